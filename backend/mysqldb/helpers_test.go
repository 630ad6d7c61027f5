package mysqldb

import (
	"bytes"
	"context"
	"net"
	"os/exec"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/mysqldb/mysqltest"
)

// testDB creates a fresh database and opens it with Open.
func testDB(t *testing.T) (*DB, Config) {
	t.Helper()
	dsn, name := mysqltest.NewDatabase(t)
	mc := mysqltest.Config(t, dsn)
	host, port, err := net.SplitHostPort(mc.Addr)
	require.NoError(t, err)
	p, err := strconv.Atoi(port)
	require.NoError(t, err)
	cfg := Config{Host: host, Port: p, User: mc.User, Password: mc.Passwd, Database: name}
	db, err := Open(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db, cfg
}

func mustExec(t *testing.T, db *DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		_, err := db.SQL().Exec(s)
		require.NoError(t, err, s)
	}
}

// clientArgs are the mariadb/mysqldump command-line arguments for cfg.
func clientArgs(cfg Config) []string {
	args := []string{"--protocol=tcp", "-h", cfg.Host, "-P", strconv.Itoa(cfg.Port), "-u", cfg.User}
	if cfg.Password != "" {
		args = append(args, "-p"+cfg.Password)
	}
	return args
}

// runClient runs the real mariadb client with stdin.
func runClient(t *testing.T, cfg Config, stdin []byte) {
	t.Helper()
	cmd := exec.Command("mariadb", append(clientArgs(cfg), cfg.Database)...)
	cmd.Stdin = bytes.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "mariadb client: %s", out)
}

func tableCount(t *testing.T, db *DB) int {
	t.Helper()
	var n int
	require.NoError(t, db.SQL().QueryRow("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()").Scan(&n))
	return n
}
