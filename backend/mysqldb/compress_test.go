package mysqldb

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// lagConn holds every read back for lag: each round trip to the server costs at least
// that much, as over a far link.
type lagConn struct {
	net.Conn
	lag time.Duration
}

func (c lagConn) Read(p []byte) (int, error) {
	time.Sleep(c.lag)
	return c.Conn.Read(p)
}

// compression asks the server whether conn's session uses the compressed protocol.
func compression(t *testing.T, ctx context.Context, db *DB) []string {
	t.Helper()
	// Several connections at once, so the pool cannot answer them all from one.
	conns := make([]string, 3)
	held := make([]interface{ Close() error }, 0, 3)
	for i := range conns {
		c, err := db.SQL().Conn(ctx)
		require.NoError(t, err)
		held = append(held, c)
		var name string
		require.NoError(t, c.QueryRowContext(ctx, "SHOW SESSION STATUS LIKE 'Compression'").Scan(&name, &conns[i]))
	}
	for _, c := range held {
		require.NoError(t, c.Close())
	}
	return conns
}

// TestFarServerGetsCompressedConnections: a server a round trip of FarRoundTrip or more
// away gets the compressed protocol on every connection (the server's own status says
// so), rows of every size come back whole through it, and a near server keeps plain
// connections.
func TestFarServerGetsCompressedConnections(t *testing.T) {
	ctx := context.Background()
	near, cfg := testDB(t)
	require.False(t, near.Compressed())
	require.Less(t, near.RoundTrip(), FarRoundTrip)
	require.Equal(t, []string{"OFF", "OFF", "OFF"}, compression(t, ctx, near))

	far := cfg
	far.Dial = func(ctx context.Context, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, err
		}
		return lagConn{Conn: c, lag: 2 * FarRoundTrip}, nil
	}
	db, err := Open(ctx, far)
	require.NoError(t, err)
	defer db.Close()
	require.True(t, db.Compressed())
	require.GreaterOrEqual(t, db.RoundTrip(), FarRoundTrip)
	require.Equal(t, []string{"ON", "ON", "ON"}, compression(t, ctx, db))

	mustExec(t, db, "CREATE TABLE t (id INT PRIMARY KEY, v LONGBLOB)")
	big := bytes.Repeat([]byte("https://old.example.com/wp-content/uploads/"), 120_000) // 5 MB, past one packet's compression unit
	for i, v := range [][]byte{nil, []byte("x"), big} {
		_, err := db.SQL().ExecContext(ctx, "INSERT INTO t VALUES (?, ?)", i, v)
		require.NoError(t, err)
	}
	var sum string
	var n int
	require.NoError(t, db.SQL().QueryRowContext(ctx, "SELECT COUNT(*), MD5(GROUP_CONCAT(MD5(COALESCE(v,'-')) ORDER BY id)) FROM t").Scan(&n, &sum))
	require.Equal(t, 3, n)
	var got []byte
	require.NoError(t, db.SQL().QueryRowContext(ctx, "SELECT v FROM t WHERE id = 2").Scan(&got))
	require.True(t, bytes.Equal(big, got), "a 5 MB value comes back whole")
	var plainSum string
	require.NoError(t, near.SQL().QueryRowContext(ctx, "SELECT MD5(GROUP_CONCAT(MD5(COALESCE(v,'-')) ORDER BY id)) FROM t").Scan(&plainSum))
	require.Equal(t, plainSum, sum, "the server stored what a plain connection reads")

	// The routes that carry SQL in process never compress, however far.
	wire := far
	wire.NoPrepare = true
	wdb, err := Open(ctx, wire)
	require.NoError(t, err)
	defer wdb.Close()
	require.False(t, wdb.Compressed())
	require.True(t, strings.EqualFold(compression(t, ctx, wdb)[0], "OFF"))
}
