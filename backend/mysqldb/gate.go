package mysqldb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"net"
	"sync"
	"syscall"
	"time"
)

// Gate opens one connection of a pool through open, which dials and logs in. It may wait
// before calling open, and call it again after the server refused the connection; release
// is called once, when the connection closes. A host's connection budget plugs in here
// (see Config.Gate), so every connection of the pool counts, whichever code opens it.
type Gate func(ctx context.Context, open func(context.Context) (driver.Conn, error)) (c driver.Conn, release func(), err error)

type optionalKey struct{}

// optional marks ctx for opening a connection the work can do without (a second loader
// of an import, a second reader of a dump): a Gate should not wait for a slot for it.
func optional(ctx context.Context) context.Context {
	return context.WithValue(ctx, optionalKey{}, true)
}

// Optional reports whether the connection being opened with ctx is one the work can do
// without: a Gate refuses it at once (with any error) rather than wait for a slot, and the
// work goes on with the connections it has.
func Optional(ctx context.Context) bool {
	v, _ := ctx.Value(optionalKey{}).(bool)
	return v
}

type shedKey struct{}

// ShedIdle returns, for a Gate opening a connection with ctx, a func that closes the
// pool's idle connections (nil outside a Gate). A Gate that has to wait for a slot calls
// it first: the pool keeps connections it is not using, and their slots could be the ones
// it waits for.
func ShedIdle(ctx context.Context) func() {
	f, _ := ctx.Value(shedKey{}).(func())
	return f
}

// gatedConnector opens the pool's connections through a Gate. The release of a slot is
// tied to the network connection, which the driver closes whenever the pool lets the
// connection go (closed, idle too long, broken).
type gatedConnector struct {
	driver.Connector
	gate    Gate
	pool    *pool
	timeout time.Duration // of each try to connect and log in, apart from the gate's waits
}

// pool is the *sql.DB of a gatedConnector, set once it is open.
type pool struct {
	mu sync.Mutex
	db *sql.DB
}

func (p *pool) shed() {
	p.mu.Lock()
	db := p.db
	p.mu.Unlock()
	if db != nil {
		db.SetMaxIdleConns(0) // closes the idle ones
		db.SetMaxIdleConns(maxIdle)
	}
}

type holderKey struct{}

// holder carries the network connection the dial made back to Connect.
type holder struct {
	mu   sync.Mutex
	conn *releaseConn
}

func (g gatedConnector) Connect(ctx context.Context) (driver.Conn, error) {
	var h *holder
	ctx = context.WithValue(ctx, shedKey{}, g.pool.shed)
	c, release, err := g.gate(ctx, func(ctx context.Context) (driver.Conn, error) {
		h = &holder{}
		ctx, cancel := context.WithTimeout(ctx, g.timeout)
		defer cancel()
		c, err := g.Connector.Connect(context.WithValue(ctx, holderKey{}, h))
		if err != nil {
			return nil, err
		}
		return c, nil
	})
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	rc := h.conn
	h.mu.Unlock()
	if rc == nil { // no network connection came through the dial: nothing to tie it to
		release()
		return c, nil
	}
	rc.setRelease(release)
	return c, nil
}

// gatedDial wraps dial so the network connection reports to the holder in ctx.
func gatedDial(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		h, _ := ctx.Value(holderKey{}).(*holder)
		if h == nil {
			return c, nil
		}
		rc := &releaseConn{Conn: c}
		h.mu.Lock()
		h.conn = rc
		h.mu.Unlock()
		if _, ok := c.(syscall.Conn); ok {
			return sysReleaseConn{rc}, nil
		}
		return rc, nil
	}
}

// releaseConn gives the connection's slot back when it closes.
type releaseConn struct {
	net.Conn
	mu      sync.Mutex
	closed  bool
	release func()
}

func (c *releaseConn) setRelease(release func()) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		release()
		return
	}
	c.release = release
	c.mu.Unlock()
}

func (c *releaseConn) Close() error {
	err := c.Conn.Close()
	c.mu.Lock()
	release := c.release
	c.release, c.closed = nil, true
	c.mu.Unlock()
	if release != nil {
		release()
	}
	return err
}

// sysReleaseConn is a releaseConn over a TCP connection: the driver checks a pooled
// connection's liveness on its socket, as it does on a bare one (a tunnel's channel has
// no socket, and the driver skips the check for it).
type sysReleaseConn struct{ *releaseConn }

func (c sysReleaseConn) SyscallConn() (syscall.RawConn, error) {
	return c.Conn.(syscall.Conn).SyscallConn()
}
