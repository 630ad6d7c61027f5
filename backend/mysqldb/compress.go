package mysqldb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Over a far link the bytes of a dump or an import are what the time goes on, and SQL
// text shrinks four to five times under zlib: a server a round trip of FarRoundTrip or
// more away gets the compressed client protocol (the server compresses what it sends,
// Ferry what it sends back). A near server does not: there the link is faster than
// zlib, and both ends would only spend CPU. The routes that carry SQL text in process
// (SSH command, PHP agent: Config.NoPrepare) have no protocol to compress.

// FarRoundTrip is the round trip from which a server counts as far.
const FarRoundTrip = 10 * time.Millisecond

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

// weighDistance times the round trip to the server on db's open connection and, when the
// server is far, makes every connection from then on compressed: the plain one the login
// check left idle is closed. A pool never compressed (sc nil: an SQL-text route, whose
// wire answers pings itself) is not timed.
func weighDistance(ctx context.Context, db *sql.DB, sc *switchConnector) time.Duration {
	if sc == nil {
		return 0
	}
	// The quickest of three: a busy machine can delay one answer past FarRoundTrip.
	best := time.Duration(-1)
	for range 3 {
		t := time.Now()
		if err := db.PingContext(ctx); err != nil {
			return 0
		}
		if d := time.Since(t); best < 0 || d < best {
			best = d
		}
	}
	if best >= FarRoundTrip {
		sc.far.Store(true)
		db.SetMaxIdleConns(0) // closes the idle plain connection
		db.SetMaxIdleConns(maxIdle)
	}
	return best
}

// Compressed reports whether the connections to the database use the compressed
// protocol (the server is far; see FarRoundTrip).
func (d *DB) Compressed() bool { return d.sc != nil && d.sc.far.Load() }

// RoundTrip is the round trip to the server measured when the database was opened (0 on
// the SQL-text routes).
func (d *DB) RoundTrip() time.Duration { return d.rtt }
