package sshcmd_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/dbroute/routetest"
	"ferry/backend/mysqldb"
	"ferry/backend/mysqldb/mysqltest"
	"ferry/backend/mysqlwire"
	"ferry/backend/sshcmd"
)

// openOverSSH opens a fresh database through the mysql client run over a real sshd that
// forbids forwarding.
func openOverSSH(t *testing.T, srv routetest.SSHD) (*mysqldb.DB, *sshcmd.Runner, string) {
	t.Helper()
	sock := routetest.Socket()
	require.NotEmpty(t, sock, "the test MariaDB has no socket")
	ctx := context.Background()
	dsn, name := mysqltest.NewDatabase(t)
	user, pass := routetest.DBUser(t, name)
	r, err := sshcmd.New(ctx, srv.Client(t), sshcmd.DB{Host: "localhost:" + sock, User: user, Password: pass, Name: name})
	require.NoError(t, err)
	t.Cleanup(func() { r.Close(context.Background()) })
	return open(t, mysqldb.Config{Host: "ssh", Database: name, Dial: mysqlwire.Dialer(r), NoPrepare: true}), r, dsn
}

// tables counts the database's tables over a direct connection.
func tables(t *testing.T, dsn string) int {
	db, err := sql.Open("mysql", dsn)
	require.NoError(t, err)
	defer db.Close()
	var n int
	require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()").Scan(&n))
	return n
}

// A SET is answered at once and sent with the next query; when it fails, the next query
// reports the SET's error naming it, and the connection works again after.
func TestDeferredSetErrorNamesTheSet(t *testing.T) {
	db, r, _ := openOverSSH(t, routetest.StartSSHD(t, "127.0.0.1", false))
	ctx := context.Background()
	c, err := db.SQL().Conn(ctx)
	require.NoError(t, err)
	defer c.Close()
	before := r.Trips()
	_, err = c.ExecContext(ctx, "SET @ferry_a = 41")
	require.NoError(t, err)
	_, err = c.ExecContext(ctx, "/*!40101 SET @ferry_a = @ferry_a + 1 */")
	require.NoError(t, err)
	var v int
	require.NoError(t, c.QueryRowContext(ctx, "SELECT @ferry_a").Scan(&v))
	require.Equal(t, 42, v, "the SETs ran, in order, before the query")
	require.EqualValues(t, 1, r.Trips()-before, "two SETs and a SELECT in one round trip")

	_, err = c.ExecContext(ctx, "SET SESSION ferry_no_such_variable = 1")
	require.NoError(t, err, "answered before it ran")
	err = c.QueryRowContext(ctx, "SELECT 1").Scan(&v)
	require.ErrorContains(t, err, "ferry_no_such_variable")
	require.ErrorContains(t, err, "(in the earlier statement SET SESSION ferry_no_such_variable = 1)")
	require.NoError(t, c.QueryRowContext(ctx, "SELECT 2").Scan(&v))
	require.Equal(t, 2, v)
}

// An import through the SSH command route that fails on the 3rd of 1000 INSERTs names the
// statements' lines as the direct route does and leaves no partial table; one whose SET
// fails names the SET and leaves nothing either.
func TestImportFailuresOverSSHCommand(t *testing.T) {
	var dup strings.Builder
	dup.WriteString("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20));\n")
	for i := 1; i <= 1000; i++ {
		id := i
		if i == 3 {
			id = 1
		}
		fmt.Fprintf(&dup, "INSERT INTO t VALUES (%d,'row %d');\n", id, i)
	}
	badSet := "CREATE TABLE a (id INT PRIMARY KEY);\nINSERT INTO a VALUES (1),(2);\n" +
		"/*!40101 SET SQL_MODE='FERRY_NO_SUCH_MODE' */;\nCREATE TABLE b (id INT PRIMARY KEY);\nINSERT INTO b VALUES (1);\n"
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"duplicate in the 3rd INSERT", dup.String(), []string{"Database import failed at line 2: Duplicate entry '1'", "lines 2-1001"}},
		{"unknown variable in a SET", badSet, []string{"Database import failed at line 4: Variable 'sql_mode' can't be set to the value of 'FERRY_NO_SUCH_MODE'",
			"(in the earlier statement /*!40101 SET SQL_MODE='FERRY_NO_SUCH_MODE' */)"}},
	}
	srv := routetest.StartSSHD(t, "127.0.0.1", false)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db, _, dsn := openOverSSH(t, srv)
			_, err := mysqldb.Import(context.Background(), db, strings.NewReader(tc.in), mysqldb.ImportOptions{TextInserts: true})
			require.Error(t, err)
			for _, w := range tc.want {
				require.ErrorContains(t, err, w)
			}
			require.Zero(t, tables(t, dsn), "a failed import leaves no partial table")
		})
	}
}
