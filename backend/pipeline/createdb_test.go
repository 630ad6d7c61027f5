package pipeline_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/mysqldb/mysqltest"
)

// TestMissingDestinationDatabase: Check destination creates a missing database when the
// account may create databases (the migration then ends Successful and passes the
// oracle), and fails at Check destination, naming the database, when it may not,
// creating nothing.
func TestMissingDestinationDatabase(t *testing.T) {
	root, err := sql.Open("mysql", mysqltest.ServerDSN(t))
	require.NoError(t, err)
	defer root.Close()
	exists := func(name string) bool {
		var n int
		require.NoError(t, root.QueryRow("SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = ?", name).Scan(&n))
		return n == 1
	}

	t.Run("allowed", func(t *testing.T) {
		h := newHarness(t)
		in, s, destDir, _ := sftpToFTP(t)
		name := "ferry_t_new_" + randHex(t)
		t.Cleanup(func() { _, _ = dropDatabase(t, name) })
		// An account that may create databases named ferry\_t\_new\_%, as hosting panels
		// grant a prefix.
		user, pass := "ferry_c_"+randHex(t), "Cr-"+randHex(t)
		t.Cleanup(func() { mysqltest.DropUser(t, user) })
		for _, q := range []string{
			fmt.Sprintf("CREATE USER '%s'@'%%' IDENTIFIED BY '%s'", user, pass),
			fmt.Sprintf("GRANT ALL ON `ferry\\_t\\_new\\_%%`.* TO '%s'@'%%'", user),
		} {
			_, err := root.Exec(q)
			require.NoError(t, err, q)
		}
		in.Destination.DB.Name, in.Destination.DB.User, in.Destination.DB.Password = name, user, pass
		d, err := h.svc.CreateMigration(context.Background(), in)
		require.NoError(t, err)
		d = h.waitDone(t, d.ID)
		require.Equal(t, "successful", d.Status, d.FailureReason)
		require.True(t, exists(name))
		checkDestination(t, h, d.ID, in, s.Dir, destDir)
	})

	t.Run("refused", func(t *testing.T) {
		h := newHarness(t)
		in, _, _, _ := sftpToFTP(t)
		name := "ferry_t_none_" + randHex(t)
		t.Cleanup(func() { _, _ = dropDatabase(t, name) })
		in.Destination.DB.Name = name // the account may use only its own database
		d, err := h.svc.CreateMigration(context.Background(), in)
		require.NoError(t, err)
		d = h.waitDone(t, d.ID)
		require.Equal(t, "failed", d.Status)
		require.Equal(t, "check_destination", d.CurrentStep)
		// MariaDB answers "Access denied ... to database" rather than "Unknown database" to
		// an account without rights on it; either way the reason names the database.
		require.Contains(t, d.FailureReason, name)
		require.False(t, exists(name), "nothing was created")
	})
}

// dropDatabase drops a database a test let Ferry create.
func dropDatabase(t *testing.T, name string) (sql.Result, error) {
	db, err := sql.Open("mysql", mysqltest.ServerDSN(t))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return db.Exec("DROP DATABASE IF EXISTS `" + name + "`")
}
