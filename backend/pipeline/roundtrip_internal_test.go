package pipeline

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/mysqldb/mysqltest"
	"ferry/backend/transfer"
	"ferry/backend/transfer/transfertest"
)

// TestRoundTripTellsAFarDatabase: the ping that decides how many connections the
// database track imports on measures the link. Through a 20 ms link the destination
// counts as far; reached directly it does not.
func TestRoundTripTellsAFarDatabase(t *testing.T) {
	dsn := mysqltest.ServerDSN(t)
	cfg := mysqltest.Config(t, dsn)
	link := transfertest.NewDelay(t, 20*time.Millisecond)
	for _, far := range []bool{true, false} {
		c := cfg.Clone()
		if far {
			c.Net, c.Addr = "tcp", fmt.Sprintf("127.0.0.1:%d", link.Listen(cfg.Addr))
		}
		db, err := sql.Open("mysql", c.FormatDSN())
		require.NoError(t, err)
		rtt := roundTrip(context.Background(), db)
		require.NoError(t, db.Close())
		if far {
			require.GreaterOrEqual(t, rtt, transfer.FarRoundTrip)
		} else {
			require.Greater(t, rtt, time.Duration(0))
			require.Less(t, rtt, transfer.FarRoundTrip)
		}
	}
}
