package pipeline

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

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
