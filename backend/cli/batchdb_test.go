package cli

import (
	"context"
	"database/sql"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/mysqldb/mysqltest"
	"ferry/backend/store"
)

// userPeak counts, from the server's side, the connections user has open, and keeps the
// most it ever had, until stop.
func userPeak(t *testing.T, user string) (stop func() int) {
	t.Helper()
	root, err := sql.Open("mysql", mysqltest.ServerDSN(t))
	require.NoError(t, err)
	root.SetMaxOpenConns(1)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	peak := 0
	wg.Go(func() {
		for ctx.Err() == nil {
			var n int
			if err := root.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = ?", user).Scan(&n); err == nil {
				peak = max(peak, n)
			}
			time.Sleep(2 * time.Millisecond)
		}
	})
	return func() int {
		cancel()
		wg.Wait()
		root.Close()
		return peak
	}
}

// TestBatchUnderADatabaseConnectionCap moves 4 sites whose destination database user may
// hold 3 connections at once (MAX_USER_CONNECTIONS 3, as shared hosts cap each database
// user; MariaDB refuses the next one with error 1226). Ferry's budget for the database
// server starts at 8: the refusal lowers it once, the refused connections are tried again,
// the imports shrink to what they are granted, and every site ends Successful.
func TestBatchUnderADatabaseConnectionCap(t *testing.T) {
	dataDir := historyDir(t)
	b := newBatchSites(t, 4, 50)
	const limit = 3
	server, err := sql.Open("mysql", mysqltest.ServerDSN(t))
	require.NoError(t, err)
	defer server.Close()
	_, err = server.Exec("ALTER USER '" + b.dst.User + "'@'%' WITH MAX_USER_CONNECTIONS 3")
	require.NoError(t, err)

	stop := userPeak(t, b.dst.User)
	code, out, errOut := runLocked("batch", "--spec", b.spec, "--sites", b.sites)
	peak := stop()
	require.Equal(t, ExitOK, code, errOut)
	require.Equal(t, "1\n", out)
	t.Logf("destination user: at most %d connections at once", peak)
	require.LessOrEqual(t, peak, limit)
	require.Positive(t, peak)
	var lines []string
	for _, l := range strings.Split(errOut, "\n") {
		if strings.Contains(l, "allows ") {
			lines = append(lines, l)
		}
	}
	require.Len(t, lines, 1, errOut)
	t.Log(lines[0])
	require.Regexp(t, regexp.MustCompile(`127\.0\.0\.1 allows [3-7] connections: lowered from 8`), lines[0])
	require.Contains(t, errOut, "Batch 1 (old-host-move): 4 successful, 0 failed of 4 sites")
	for _, v := range []string{b.src.Password, b.dst.Password} {
		require.NotContains(t, errOut, v, "a secret reached the terminal")
	}
	// The checks below log in as the site does, beside the cap's own connections.
	_, err = server.Exec("ALTER USER '" + b.dst.User + "'@'%' WITH MAX_USER_CONNECTIONS 0")
	require.NoError(t, err)
	b.requireMigrated(t)

	st, err := store.Open(t.Context(), dataDir)
	require.NoError(t, err)
	defer st.Close()
	lowered := 0
	for id := int64(1); id <= 4; id++ {
		logs, err := st.Logs(t.Context(), id, 0, 10000)
		require.NoError(t, err)
		for _, l := range logs {
			if strings.Contains(l.Message, "allows ") {
				lowered++
			}
		}
	}
	require.Equal(t, 1, lowered, "the lowering is in one migration's log, once")
}
