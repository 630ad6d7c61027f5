package pipeline

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"strconv"
	"sync"

	"ferry/backend/hostlimit"
	"ferry/backend/migration"
	"ferry/backend/mysqldb"
	"ferry/backend/transfer"
	"ferry/backend/transfer/ftp"
)

// limited makes op's connections count against the connection budget of the endpoint's
// server when the run belongs to a batch (see hostlimit); for any other run it is op.
func limited(ep migration.Endpoint, op transfer.Opener) transfer.Opener {
	addr, name := serverAddr(ep), serverName(ep)
	return func(ctx context.Context) (transfer.Tree, error) {
		if !hostlimit.Limited(ctx) {
			return op(ctx)
		}
		connect := hostlimit.Connect[transfer.Tree]
		if transfer.IsSpare(ctx) {
			connect = spareConnect
		}
		t, release, err := connect(ctx, addr, name, func(ctx context.Context) (transfer.Tree, error) { return op(ctx) })
		if err != nil {
			return nil, err
		}
		site := ftp.IsClient(t) // opens a second control connection for modes
		lt := &limitedTree{Tree: t, release: release, ctx: ctx, addr: addr, name: name, site: site}
		if _, ok := t.(transfer.Lister); ok {
			return limitedLister{lt}, nil
		}
		return lt, nil
	}
}

// spareConnect opens a connection a file copy can do without (transfer.IsSpare) only
// when the budget has a slot free and the server takes it; otherwise the copy goes on
// with the connections it has instead of waiting on other migrations' slots while it
// holds its own.
func spareConnect(ctx context.Context, addr, name string, dial func(context.Context) (transfer.Tree, error)) (transfer.Tree, func(), error) {
	t, release, err := hostlimit.TryConnect(ctx, addr, name, dial)
	switch {
	case errors.Is(err, hostlimit.ErrNoSlot):
		err = fmt.Errorf("%w: %w", transfer.ErrNoSpare, err)
	case err != nil && hostlimit.TooMany(err) && !errors.Is(err, transfer.ErrTooManyConnections):
		err = fmt.Errorf("%w: %w", transfer.ErrTooManyConnections, err)
	}
	return t, release, err
}

// serverAddr is the endpoint's host:port, the default port filled in: what a
// connection budget counts against.
func serverAddr(ep migration.Endpoint) string {
	port := ep.Port
	if port == 0 {
		port = 21
		if ep.Protocol == migration.ProtocolSFTP {
			port = 22
		}
	}
	return net.JoinHostPort(ep.Host, strconv.Itoa(port))
}

// serverName is how messages call the endpoint's server: its host, with the port when it
// is not the protocol's.
func serverName(ep migration.Endpoint) string {
	if ep.Port != 0 && ep.Port != 21 && ep.Port != 22 {
		return serverAddr(ep)
	}
	return ep.Host
}

// dbGate makes each database connection of a batch migration's run count against the
// connection budget of the database server (see dbroute.Options.Gate): a connection the
// step cannot do without waits for a slot (and is tried again when the server refuses it
// as too many); one it can do without (mysqldb.Optional: an import's second loader, a
// dump's second reader) is opened only when a slot is free, so an import shrinks to what
// the budget grants instead of waiting on slots its own migration holds. run is the step's
// context: connections the pool opens with another keep counting for its migration.
func dbGate(run context.Context) func(addr, name string) mysqldb.Gate {
	return func(addr, name string) mysqldb.Gate {
		return func(ctx context.Context, open func(context.Context) (driver.Conn, error)) (driver.Conn, func(), error) {
			ctx = hostlimit.WhenWaiting(hostlimit.Database(hostlimit.Carry(ctx, run)), mysqldb.ShedIdle(ctx))
			if mysqldb.Optional(ctx) {
				return hostlimit.TryConnect(ctx, addr, name, open)
			}
			return hostlimit.Connect(ctx, addr, name, open)
		}
	}
}

// modeWorkers is how many connections set file modes at once. Within a batch's
// connection budget it is one: an FTP connection setting modes holds a second control
// connection, and several such pairs waiting for each other's slots would stall.
func modeWorkers(ctx context.Context, n int) int {
	if hostlimit.Limited(ctx) {
		return 1
	}
	return n
}

// limitedTree gives its budget slot back on Close. An FTP client's Mode and Chmod open a
// second control connection at their first call: that one takes a slot of its own.
type limitedTree struct {
	transfer.Tree
	release func()

	ctx        context.Context // the run's, which carries the budget
	addr, name string
	site       bool

	mu          sync.Mutex
	siteRelease func()
}

var (
	_ transfer.Permissions   = (*limitedTree)(nil)
	_ transfer.OrderedWriter = (*limitedTree)(nil)
)

// limitedLister is a limitedTree whose tree lists one folder at a time: without List,
// transfer.ListAll would walk the whole source on one connection (and the others opened
// for it would sit idle within the budget).
type limitedLister struct{ *limitedTree }

var _ transfer.Lister = limitedLister{}

func (t limitedLister) List(ctx context.Context, dir string) ([]transfer.Entry, error) {
	return t.Tree.(transfer.Lister).List(ctx, dir)
}

func (t *limitedTree) Close() error {
	err := t.Tree.Close()
	t.release()
	t.mu.Lock()
	if t.siteRelease != nil {
		t.siteRelease()
		t.siteRelease = nil
	}
	t.mu.Unlock()
	return err
}

// WritesInOrder passes the wrapped tree's answer on.
func (t *limitedTree) WritesInOrder() bool {
	ow, ok := t.Tree.(transfer.OrderedWriter)
	return ok && ow.WritesInOrder()
}

// Mode passes on to the wrapped tree (transfer.ErrUnsupported when it cannot say modes).
func (t *limitedTree) Mode(ctx context.Context, p string) (fs.FileMode, error) {
	pt, ok := t.Tree.(transfer.Permissions)
	if !ok {
		return 0, transfer.ErrUnsupported
	}
	var mode fs.FileMode
	err := t.withSite(ctx, func() error {
		var err error
		mode, err = pt.Mode(ctx, p)
		return err
	})
	return mode, err
}

// Chmod passes on to the wrapped tree (transfer.ErrUnsupported when it cannot set modes).
func (t *limitedTree) Chmod(ctx context.Context, p string, mode fs.FileMode) error {
	pt, ok := t.Tree.(transfer.Permissions)
	if !ok {
		return transfer.ErrUnsupported
	}
	return t.withSite(ctx, func() error { return pt.Chmod(ctx, p, mode) })
}

// withSite runs op, the first time within a budget slot for the second control
// connection it opens.
func (t *limitedTree) withSite(ctx context.Context, op func() error) error {
	if !t.site {
		return op()
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.siteRelease != nil {
		return op()
	}
	_, release, err := hostlimit.ConnectExtra(t.ctx, t.addr, t.name, func(context.Context) (struct{}, error) {
		err := op()
		var pe *transfer.PathError
		if errors.As(err, &pe) && errors.Is(err, transfer.ErrAuth) {
			// The first login with the same account succeeded: a refused second one
			// means the server is full.
			err = hostlimit.Full(err)
		}
		return struct{}{}, err
	})
	if err == nil {
		t.siteRelease = release
	}
	return err
}
