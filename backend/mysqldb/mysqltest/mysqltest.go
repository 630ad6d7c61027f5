// Package mysqltest gives Ferry's tests a real MariaDB or MySQL server to run against:
// a server DSN and fresh, uniquely named databases that are dropped when the test ends.
//
// The server is FERRY_TEST_MYSQL_DSN when set (go-sql-driver format, no database name),
// otherwise root@tcp(127.0.0.1:3306)/ if it answers. When no server is reachable the test
// is skipped on a developer machine and fails loudly under CI=true, so CI never passes by
// skipping the database tests.
package mysqltest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// EnvDSN is the environment variable that names the test server.
const EnvDSN = "FERRY_TEST_MYSQL_DSN"

// DefaultDSN is tried when EnvDSN is unset: the local server most developer machines run.
const DefaultDSN = "root@tcp(127.0.0.1:3306)/"

var (
	probeOnce sync.Once
	probeDSN  string
	probeErr  error
)

// probe finds the server once per test binary; every test then shares the answer.
func probe() (string, error) {
	probeOnce.Do(func() {
		dsn := os.Getenv(EnvDSN)
		if dsn == "" {
			dsn = DefaultDSN
		}
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			probeErr = fmt.Errorf("parse %s: %w", EnvDSN, redact(err, dsn))
			return
		}
		if cfg.DBName != "" {
			probeErr = fmt.Errorf("%s must not name a database (got %q)", EnvDSN, cfg.DBName)
			return
		}
		cfg.Timeout = 3 * time.Second
		dsn = cfg.FormatDSN()
		db, err := sql.Open("mysql", dsn)
		if err != nil {
			probeErr = err
			return
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := db.PingContext(ctx); err != nil {
			probeErr = fmt.Errorf("cannot reach test MySQL at %s: %w", cfg.Addr, err)
			return
		}
		probeDSN = dsn
	})
	return probeDSN, probeErr
}

// redact keeps a password that sits in a malformed DSN out of the error text.
func redact(err error, dsn string) error {
	_ = err
	return fmt.Errorf("malformed DSN of %d characters (not shown: it may hold a password)", len(dsn))
}

// ServerDSN returns a DSN of the test server without a database name. It skips the test
// when no server answers, and fails it under CI=true.
func ServerDSN(t testing.TB) string {
	t.Helper()
	dsn, err := probe()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("MYSQL TEST SERVER REQUIRED UNDER CI=true: %v (set %s or run build/scripts/test-mysql.sh)", err, EnvDSN)
		}
		t.Skipf("no MySQL test server: %v (set %s)", err, EnvDSN)
	}
	return dsn
}

// NewDatabase creates a fresh database named ferry_t_<random> on the test server and drops
// it when the test ends. It returns a DSN that selects the database, and its name.
func NewDatabase(t testing.TB) (dsn string, name string) {
	t.Helper()
	server := ServerDSN(t)
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("random database name: %v", err)
	}
	name = "ferry_t_" + hex.EncodeToString(b[:])
	db, err := sql.Open("mysql", server)
	if err != nil {
		t.Fatalf("open test server: %v", err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		t.Fatalf("create test database %s: %v", name, err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("mysql", server)
		if err != nil {
			t.Errorf("open test server for cleanup: %v", err)
			return
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	cfg, err := mysql.ParseDSN(server)
	if err != nil {
		t.Fatalf("parse test server DSN: %v", err)
	}
	cfg.DBName = name
	return cfg.FormatDSN(), name
}

// Config returns the parsed form of a DSN returned by ServerDSN or NewDatabase, for tests that
// need host, user and password separately (for example to run the mariadb client).
func Config(t testing.TB, dsn string) *mysql.Config {
	t.Helper()
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatalf("parse DSN: %v", err)
	}
	return cfg
}
