package mysqldb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Over a far or slow link the bytes of a dump or an import are what the time goes on,
// and SQL text shrinks four to five times under zlib: a server a round trip of
// FarRoundTrip or more away, or behind a link slower than SlowLink (linkspeed.go), gets
// the compressed client protocol (the server compresses what it sends, Ferry what it
// sends back). A near server on a fast link does not: there zlib would be slower than the
// link, and both ends would only spend CPU. The routes that carry SQL text in process
// (SSH command, PHP agent: Config.NoPrepare) have no protocol to compress.

// Compression says when a pool's connections use the compressed protocol.
type Compression int

const (
	// CompressAuto compresses the connections to a far server or over a slow link.
	CompressAuto Compression = iota
	// CompressNever keeps every connection plain, and does not time the link.
	CompressNever
	// CompressAlways compresses every connection, however near and fast the server.
	CompressAlways
)

// ParseCompression reads "auto" (or ""), "off" or "on".
func ParseCompression(s string) (Compression, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return CompressAuto, nil
	case "off", "never", "no":
		return CompressNever, nil
	case "on", "always", "yes":
		return CompressAlways, nil
	}
	return CompressAuto, fmt.Errorf("MySQL compression %q: want auto, on or off", s)
}

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

// weigh times the round trip to the server on db's open connection and, for a near
// server, its link's speed (linkSpeed). When the server is far or its link slow (or
// cfg asks for it), every connection from then on is compressed: the plain one the login
// check left idle is closed. An SQL-text route (whose wire answers pings itself) is not
// timed, a pool never compressed (sc nil) not probed for speed. speed is 0 when not
// measured; probed says a probe was wanted (so speed 0 is a probe that failed).
func weigh(ctx context.Context, db *sql.DB, sc *switchConnector, cfg Config) (rtt time.Duration, speed float64, probed bool) {
	if cfg.NoPrepare {
		return 0, 0, false
	}
	// The quickest of three: a busy machine can delay one answer past FarRoundTrip.
	best := time.Duration(-1)
	for range 3 {
		t := time.Now()
		if err := db.PingContext(ctx); err != nil {
			return 0, 0, false
		}
		if d := time.Since(t); best < 0 || d < best {
			best = d
		}
	}
	if sc == nil {
		return best, 0, false
	}
	if best < FarRoundTrip && cfg.Compression == CompressAuto {
		speed, probed = linkSpeed(ctx, db, cfg), true
	}
	if best >= FarRoundTrip || speed > 0 && speed < SlowLink || cfg.Compression == CompressAlways {
		sc.far.Store(true)
		db.SetMaxIdleConns(0) // closes the idle plain connection
		db.SetMaxIdleConns(maxIdle)
	}
	return best, speed, probed
}

// Compressed reports whether the connections to the database use the compressed
// protocol (the server is far or its link slow; see FarRoundTrip and SlowLink).
func (d *DB) Compressed() bool { return d.sc != nil && d.sc.far.Load() }

// RoundTrip is the round trip to the server measured when the database was opened (0 on
// the SQL-text routes).
func (d *DB) RoundTrip() time.Duration { return d.rtt }

// LinkSpeed is the speed of the link to a near server in bytes per second, measured when
// the database was opened (or lately by another Open of the same server); 0 when not
// measured (a far server, an SQL-text route, CompressNever or CompressAlways).
func (d *DB) LinkSpeed() float64 { return d.speed }

// LinkUntimed reports that the link to a near server was to be timed and could not be
// (the server refused the probe's query, or its reply came short or wrong): the
// connections then stay uncompressed, however slow the link.
func (d *DB) LinkUntimed() bool { return d.untimed }
