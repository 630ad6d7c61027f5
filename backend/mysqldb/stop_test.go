package mysqldb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestStoppedImportDropsUnfinishedTables stops an import (the way Stop cancels it) while
// it reads a dump that is still being written, after table a is complete and table b was
// created with some of its rows sent: the database must keep a, whole, and not b.
func TestStoppedImportDropsUnfinishedTables(t *testing.T) {
	db, _ := testDB(t)
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		st  ImportStats
		err error
	}
	done := make(chan result, 1)
	go func() {
		st, err := Import(ctx, db, pr, ImportOptions{NoPrescan: true, Workers: 1})
		done <- result{st, err}
	}()
	write := func(s string) {
		t.Helper()
		_, err := io.WriteString(pw, s)
		require.NoError(t, err)
	}
	exists := func(name string) bool {
		var n int
		require.NoError(t, db.SQL().QueryRow("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?", name).Scan(&n))
		return n == 1
	}
	write("-- Ferry dump of database `x` (format 1)\n" +
		"CREATE TABLE a (id INT PRIMARY KEY, v TEXT);\n" +
		"INSERT INTO a VALUES (1,'one'),(2,'two');\n-- ferry:table-done `a` rows=2\n" +
		"CREATE TABLE b (id INT PRIMARY KEY, v TEXT);\n")
	var rows strings.Builder
	for i := 1; i <= 200; i++ {
		fmt.Fprintf(&rows, "INSERT INTO b VALUES (%d,'%s');\n", i, strings.Repeat("x", 100))
	}
	write(rows.String())
	// Wait until a's rows are committed and b exists: the import is half-way through b.
	deadline := time.Now().Add(20 * time.Second)
	for {
		var n int
		if exists("a") && exists("b") && db.SQL().QueryRow("SELECT COUNT(*) FROM a").Scan(&n) == nil && n == 2 {
			break
		}
		require.True(t, time.Now().Before(deadline), "the import never finished table a and started b")
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	cancel()
	_ = pw.CloseWithError(context.Canceled)
	var r result
	select {
	case r = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("a stopped import did not return")
	}
	require.True(t, errors.Is(r.err, context.Canceled), "got %v", r.err)
	require.Equal(t, []string{"a"}, r.st.CompletedTables)
	require.True(t, exists("a"), "the finished table stays")
	var n int
	require.NoError(t, db.SQL().QueryRow("SELECT COUNT(*) FROM a").Scan(&n))
	require.Equal(t, 2, n)
	require.False(t, exists("b"), "the half-loaded table b is dropped")
}
