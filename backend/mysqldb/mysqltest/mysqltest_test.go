package mysqltest_test

import (
	"context"
	"database/sql"
	"testing"

	_ "github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"ferry/backend/mysqldb/mysqltest"
)

func TestNewDatabaseIsFreshAndDropped(t *testing.T) {
	server := mysqltest.ServerDSN(t)
	var name string
	t.Run("create", func(t *testing.T) {
		dsn, n := mysqltest.NewDatabase(t)
		name = n
		require.Regexp(t, `^ferry_t_[0-9a-f]{12}$`, name)
		db, err := sql.Open("mysql", dsn)
		require.NoError(t, err)
		defer db.Close()
		var current string
		require.NoError(t, db.QueryRowContext(context.Background(), "SELECT DATABASE()").Scan(&current))
		require.Equal(t, name, current)
		var tables int
		require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = ?", name).Scan(&tables))
		require.Zero(t, tables)
		_, err = db.Exec("CREATE TABLE t (id INT PRIMARY KEY)")
		require.NoError(t, err)
	})
	db, err := sql.Open("mysql", server)
	require.NoError(t, err)
	defer db.Close()
	var n int
	require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = ?", name).Scan(&n))
	require.Zero(t, n, "database %s must be dropped by the subtest's cleanup", name)
}

func TestNamesAreUnique(t *testing.T) {
	_, a := mysqltest.NewDatabase(t)
	_, b := mysqltest.NewDatabase(t)
	require.NotEqual(t, a, b)
}
