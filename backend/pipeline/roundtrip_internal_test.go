package pipeline

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/migration"
	"ferry/backend/mysqldb"
	"ferry/backend/mysqldb/mysqltest"
	"ferry/backend/transfer/transfertest"
)

// TestRoundTripTellsAFarDatabase: the round trip measured when a database is opened
// decides how many connections the database track imports on, and whether they are
// compressed. Through a 20 ms link the destination counts as far; reached directly it
// does not.
func TestRoundTripTellsAFarDatabase(t *testing.T) {
	dsn := mysqltest.ServerDSN(t)
	mc := mysqltest.Config(t, dsn)
	link := transfertest.NewDelay(t, 20*time.Millisecond)
	host, port, err := net.SplitHostPort(mc.Addr)
	require.NoError(t, err)
	for _, far := range []bool{true, false} {
		cfg := mysqldb.Config{Host: host, User: mc.User, Password: mc.Passwd}
		cfg.Port, err = strconv.Atoi(port)
		require.NoError(t, err)
		if far {
			cfg.Host, cfg.Port = "127.0.0.1", link.Listen(mc.Addr)
		}
		db, err := mysqldb.Open(context.Background(), cfg)
		require.NoError(t, err)
		rtt, compressed := db.RoundTrip(), db.Compressed()
		require.NoError(t, db.Close())
		if far {
			require.GreaterOrEqual(t, rtt, mysqldb.FarRoundTrip)
			require.True(t, compressed)
		} else {
			require.Greater(t, rtt, time.Duration(0))
			require.Less(t, rtt, mysqldb.FarRoundTrip)
			require.False(t, compressed)
		}
	}
}

// TestNearSlowLinkCompressesTheImport: behind a link slower than mysqldb.SlowLink (a
// 200 Mbit/s token bucket in front of the real server), the destination's connections are
// compressed and the log line says why; the source's are not (its server would spend
// zlib's CPU on every row it sends), and its link is not even timed.
func TestNearSlowLinkCompressesTheImport(t *testing.T) {
	m, _ := freshDestination(t, 7)
	th := mysqltest.NewThrottle(t, net.JoinHostPort(m.Destination.DB.Host, strconv.Itoa(m.Destination.DB.Port)), 25e6, 256<<10)
	m.Destination.DB.Host, m.Destination.DB.Port = "127.0.0.1", th.Port()
	m.Source = migration.Endpoint{Protocol: migration.ProtocolFTP, Host: "127.0.0.1", DB: m.Destination.DB}
	p := &Pipeline{Results: &memResults{}}
	ctx := withRoute(context.Background(), m, nil)

	src, err := p.openDB(ctx, m.Source, m.Source.DB, "")
	require.NoError(t, err)
	defer src.Close()
	require.Less(t, src.RoundTrip(), mysqldb.FarRoundTrip)
	require.False(t, src.Compressed())
	require.Zero(t, src.LinkSpeed())

	dst, err := p.openDB(ctx, m.Destination, m.Destination.DB, "")
	require.NoError(t, err)
	defer dst.Close()
	require.Less(t, dst.RoundTrip(), mysqldb.FarRoundTrip)
	require.True(t, dst.Compressed(), "link %.1f MB/s", dst.LinkSpeed()/1e6)
	require.Regexp(t, `^is behind a link of [0-9]+\.[0-9] MB/s$`, linkNote(dst))
	t.Log(linkNote(dst))
}
