package mysqldb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Over a far or slow link the bytes of a dump or an import are what the time goes on,
// and SQL text shrinks four to five times under zlib: a server a round trip of
// FarRoundTrip or more away, or behind a link slower than SlowLink, gets the compressed
// client protocol (the server compresses what it sends, Ferry what it sends back). A
// near server on a fast link does not: there zlib would be slower than the link, and
// both ends would only spend CPU. The routes that carry SQL text in process (SSH command,
// PHP agent: Config.NoPrepare) have no protocol to compress.

// FarRoundTrip is the round trip from which a server counts as far.
const FarRoundTrip = 10 * time.Millisecond

// SlowLink is the speed (bytes per second) below which a near server's link counts as
// slow: a port capped at a few hundred Mbit/s, common on rented servers.
const SlowLink = 30 << 20

// probeBytes is how much a near server sends to measure its link's speed.
const probeBytes = 512 << 10

// switchConnector opens plain connections until the pool learns the server is far,
// compressed ones from then on.
type switchConnector struct {
	plain, compressed driver.Connector
	far               atomic.Bool
}

func (c *switchConnector) Connect(ctx context.Context) (driver.Conn, error) {
	if c.far.Load() {
		return c.compressed.Connect(ctx)
	}
	return c.plain.Connect(ctx)
}

func (c *switchConnector) Driver() driver.Driver { return c.plain.Driver() }

// newSwitchConnector returns the pool's connector for mc; compressed is nil when the
// connections are never to be compressed.
func newSwitchConnector(mc *mysql.Config, never bool) (driver.Connector, *switchConnector, error) {
	plain, err := mysql.NewConnector(mc)
	if err != nil || never {
		return plain, nil, err
	}
	cc := mc.Clone()
	if err := cc.Apply(mysql.EnableCompression(true)); err != nil {
		return nil, nil, err
	}
	compressed, err := mysql.NewConnector(cc)
	if err != nil {
		return nil, nil, err
	}
	sc := &switchConnector{plain: plain, compressed: compressed}
	return sc, sc, nil
}

// weighDistance times a round trip to the server on db's open connection and, for a
// near server, the speed of a reply of probeBytes. When the server is far or its link
// slow, every connection from then on is compressed: the plain one the login check left
// idle is closed. speed is 0 when it was not measured (a far server).
func weighDistance(ctx context.Context, db *sql.DB, sc *switchConnector) (rtt time.Duration, speed float64) {
	t := time.Now()
	if err := db.PingContext(ctx); err != nil {
		return 0, 0
	}
	rtt = time.Since(t)
	if sc == nil {
		return rtt, 0
	}
	if rtt < FarRoundTrip {
		speed = linkSpeed(ctx, db, rtt)
	}
	if rtt >= FarRoundTrip || speed > 0 && speed < SlowLink {
		sc.far.Store(true)
		db.SetMaxIdleConns(0) // closes the idle plain connection
		db.SetMaxIdleConns(maxIdle)
	}
	return rtt, speed
}

// linkSpeed is the faster of two replies of probeBytes, in bytes per second, the round
// trip taken off; 0 when the server could not send them.
func linkSpeed(ctx context.Context, db *sql.DB, rtt time.Duration) float64 {
	best := 0.0
	for range 2 {
		var b sql.RawBytes
		t := time.Now()
		rows, err := db.QueryContext(ctx, "SELECT REPEAT('x', ?)", probeBytes)
		if err != nil {
			return 0
		}
		if rows.Next() {
			err = rows.Scan(&b)
		}
		got := len(b)
		err = errors.Join(err, rows.Close())
		took := time.Since(t) - rtt
		if err != nil || got != probeBytes {
			return 0 // a max_allowed_packet below probeBytes, say: not measured
		}
		best = max(best, float64(got)/max(took, time.Microsecond).Seconds())
	}
	return best
}

// Compressed reports whether the connections to the database use the compressed
// protocol (the server is far or its link slow; see FarRoundTrip and SlowLink).
func (d *DB) Compressed() bool { return d.sc != nil && d.sc.far.Load() }

// RoundTrip is the round trip to the server measured when the database was opened.
func (d *DB) RoundTrip() time.Duration { return d.rtt }

// LinkSpeed is the speed of the link to a near server, in bytes per second, measured when
// the database was opened; 0 when not measured (a far server, an SQL-text route).
func (d *DB) LinkSpeed() float64 { return d.speed }
