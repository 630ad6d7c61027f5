package mysqltest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"testing"
	"time"
)

// NewUser creates a MariaDB account ferry_u_<random>@'%' with a random, non-empty password
// that may use only database dbName, and drops it when the test ends. Tests give source
// and destination different accounts so a wp-config.php naming the wrong one cannot log in.
func NewUser(t testing.TB, dbName string) (user, password string) {
	t.Helper()
	server := ServerDSN(t)
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("random user name: %v", err)
	}
	user = "ferry_u_" + hex.EncodeToString(b[:])
	var p [12]byte
	if _, err := rand.Read(p[:]); err != nil {
		t.Fatalf("random password: %v", err)
	}
	// Quotes and a backslash would need escaping in wp-config.php; the password stays plain
	// but long and unique, so finding it in a log is never a coincidence.
	password = "Pw-" + hex.EncodeToString(p[:])
	exec(t, server, "CREATE USER '"+user+"'@'%' IDENTIFIED BY '"+password+"'")
	t.Cleanup(func() { DropUser(t, user) })
	exec(t, server, "GRANT ALL PRIVILEGES ON `"+dbName+"`.* TO '"+user+"'@'%'")
	return user, password
}

// DropUser drops user@'%' if it exists, on a connection of its own (safe in t.Cleanup).
func DropUser(t testing.TB, user string) {
	t.Helper()
	exec(t, ServerDSN(t), "DROP USER IF EXISTS '"+user+"'@'%'")
}

func exec(t testing.TB, server, q string) {
	t.Helper()
	db, err := sql.Open("mysql", server)
	if err != nil {
		t.Fatalf("open test server: %v", err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, q); err != nil {
		t.Errorf("%s: %v", q, err)
	}
}
