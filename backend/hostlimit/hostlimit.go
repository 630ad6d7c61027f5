// Package hostlimit keeps the migrations of a batch polite to the hosts they share: no
// more than a few of them at once against one source or destination host, and no more
// than a budget of connections per server across them. A server that says it has too many
// connections (FTP 421, FTP 530 "maximum number of users", an SSH server dropping new
// connections at MaxStartups, MySQL errors 1040 and 1226) lowers that server's budget to what it
// accepted, once, and the refused connection is tried again after a back-off instead of
// failing the migration.
//
// Only migrations of a batch are limited: Limits.Context puts the budget in the context of
// their runs, and Connect does nothing more than dial for a context without one. File
// connections (FTP, FTPS, SFTP) and database connections (MySQL, and the SSH logins that
// carry database routes) go through Connect; the connections a step can do without (an
// import's second loader) go through TryConnect, which never waits.
package hostlimit

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Defaults of Config.
const (
	DefaultPerHost     = 2 // migrations of batches at once per source host and per destination host
	DefaultConnections = 8 // connections per server across the migrations of batches
)

// Hosts are the hosts one migration of a batch uses: the file servers' host names (for the
// count of migrations) and nothing else; connections are counted per address at Connect.
type Hosts struct {
	Source, Destination string
}

// Config configures New.
type Config struct {
	PerSource      int // migrations at once per source host (default 2)
	PerDestination int // migrations at once per destination host (default 2)
	Connections    int // connections per server address (default 8)
	// Backoff is the first wait after a refused connection; it doubles up to MaxBackoff
	// (defaults 1 s and 20 s).
	Backoff, MaxBackoff time.Duration
	// Attempts bounds the tries of one connection that the server keeps refusing as too
	// many (default 30); the last refusal is then returned.
	Attempts int
	// StallAfter lets a connection past a full budget when no connection to that server
	// was released for this long (default 20 s): one migration's steps can hold a
	// connection while opening another, and a lowered budget must never freeze them.
	StallAfter time.Duration
	// Lookup says whether migration id belongs to a batch and which hosts it uses.
	Lookup func(id int64) (Hosts, bool)
	// Notify receives the one message per server whose budget was lowered, with the
	// migration whose connection was refused.
	Notify func(id int64, msg string)
}

// Limits implements the per-host limits; it is safe for concurrent use and satisfies
// runner.Gate.
type Limits struct {
	cfg Config

	mu      sync.Mutex
	members map[int64]member // cache of Lookup
	running map[string]int   // "s:"+host or "d:"+host → migrations of batches running
	servers map[string]*server
}

type member struct {
	hosts Hosts
	batch bool
}

type server struct {
	limit, inUse int
	open         int // connections that got through (inUse also counts dials in flight)
	// held counts each migration's open connections; active its Connect calls under way.
	// A migration holding none may start connecting only while no other one is: two
	// migrations each holding part of what their steps need and waiting for the rest
	// would wait for ever (a file copy opens all its connections before it starts).
	held, active map[int64]int
	lowered      bool
	// oneAtATime: a database server (see Database). Once it refused a connection, a
	// migration holding none of its connections waits until no other one holds any.
	oneAtATime  bool
	peak        int       // the most connections open lately (see lingering)
	peakAt      time.Time // when open last reached peak
	lastRelease time.Time
	changed     chan struct{} // closed and replaced whenever a slot frees or the limit changes
}

// New makes Limits with cfg's zero fields set to their defaults.
func New(cfg Config) *Limits {
	if cfg.PerSource <= 0 {
		cfg.PerSource = DefaultPerHost
	}
	if cfg.PerDestination <= 0 {
		cfg.PerDestination = DefaultPerHost
	}
	if cfg.Connections <= 0 {
		cfg.Connections = DefaultConnections
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 20 * time.Second
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 30
	}
	if cfg.StallAfter <= 0 {
		cfg.StallAfter = 20 * time.Second
	}
	if cfg.Notify == nil {
		cfg.Notify = func(int64, string) {}
	}
	return &Limits{cfg: cfg, members: map[int64]member{}, running: map[string]int{}, servers: map[string]*server{}}
}

func (l *Limits) member(id int64) member {
	l.mu.Lock()
	m, ok := l.members[id]
	l.mu.Unlock()
	if ok {
		return m
	}
	if l.cfg.Lookup != nil {
		m.hosts, m.batch = l.cfg.Lookup(id)
	}
	l.mu.Lock()
	l.members[id] = m
	l.mu.Unlock()
	return m
}

// Admit lets migration id start unless its source or destination host already runs as
// many migrations of batches as allowed. Migrations outside batches are always admitted.
func (l *Limits) Admit(id int64) (release func(), ok bool) {
	m := l.member(id)
	if !m.batch {
		return func() {}, true
	}
	src, dst := "s:"+m.hosts.Source, "d:"+m.hosts.Destination
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.running[src] >= l.cfg.PerSource || l.running[dst] >= l.cfg.PerDestination {
		return nil, false
	}
	l.running[src]++
	l.running[dst]++
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			l.running[src]--
			l.running[dst]--
			l.mu.Unlock()
		})
	}, true
}

// Running is how many migrations of batches run against a source host ("s:") or a
// destination host ("d:"), for tests and the batch summary.
func (l *Limits) Running(role byte, host string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.running[string(role)+":"+host]
}

type ctxKey struct{}

type budget struct {
	l  *Limits
	id int64
}

// Context gives the runs of batch migrations the connection budget; others get ctx.
func (l *Limits) Context(ctx context.Context, id int64) context.Context {
	if !l.member(id).batch {
		return ctx
	}
	return context.WithValue(ctx, ctxKey{}, budget{l, id})
}

// Limited reports whether ctx carries a connection budget (a batch migration's run).
func Limited(ctx context.Context) bool {
	_, ok := ctx.Value(ctxKey{}).(budget)
	return ok
}

// Limit is the current connection budget of addr.
func (l *Limits) Limit(addr string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := l.servers[addr]; s != nil {
		return s.limit
	}
	return l.cfg.Connections
}

func (l *Limits) server(addr string) *server {
	s := l.servers[addr]
	if s == nil {
		s = &server{limit: l.cfg.Connections, changed: make(chan struct{}), lastRelease: time.Now(),
			held: map[int64]int{}, active: map[int64]int{}}
		l.servers[addr] = s
	}
	return s
}

// enter waits until migration id may connect to addr (see server.held) and counts its
// Connect call as under way; leave ends it.
func (l *Limits) enter(ctx context.Context, addr string, id int64) error {
	db := isDatabase(ctx)
	for {
		l.mu.Lock()
		s := l.server(addr)
		if db {
			s.oneAtATime = true
		}
		ok := s.held[id] > 0 || s.active[id] > 0
		if !ok {
			ok = true
			for other, n := range s.active {
				if other != id && n > 0 {
					ok = false
					break
				}
			}
			if ok && s.oneAtATime && s.lowered && l.othersHold(s, id) {
				ok = false
			}
		}
		if ok {
			s.active[id]++
			l.mu.Unlock()
			return nil
		}
		wait := s.changed
		l.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (l *Limits) leave(addr string, id int64, opened bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.server(addr)
	s.active[id]--
	if s.active[id] <= 0 {
		delete(s.active, id)
	}
	if opened {
		s.held[id]++
	}
	close(s.changed)
	s.changed = make(chan struct{})
}

// acquire takes one connection slot of addr for migration id, waiting while the budget
// is spent. Unless extra, it leaves one slot free for every other migration holding
// connections: each may need one more connection to finish what it holds them for (an
// FTP connection setting modes opens a second one), and must get it.
func (l *Limits) acquire(ctx context.Context, addr string, id int64, extra bool) (func(), error) {
	shed, _ := ctx.Value(waitKey{}).(func())
	shedNow := shed != nil
	for {
		l.mu.Lock()
		s := l.server(addr)
		reserve := 0
		if !extra {
			for other, n := range s.held {
				if other != id && n > 0 {
					reserve++
				}
			}
		}
		stalled := time.Since(s.lastRelease) >= l.cfg.StallAfter
		// At a database server only a migration holding none of its connections waits
		// for the budget. One that holds some needs the rest at once (an import's index
		// builder and loader beside its main connection, its dump beside it): waiting
		// then could only be for slots it holds itself, or for another migration waiting
		// on it. Nor does one alone there wait. The server's refusals still stop them
		// where the server must, and what they can do without comes from the budget only
		// (TryConnect).
		holding := s.oneAtATime && (s.held[id] > 0 || !l.othersHold(s, id) && !othersActive(s, id))
		if s.inUse+reserve < s.limit || stalled || holding {
			s.inUse++
			if stalled {
				s.lastRelease = time.Now() // one connection past the budget per stall period
			}
			l.mu.Unlock()
			var once sync.Once
			return func() { once.Do(func() { l.release(addr) }) }, nil
		}
		wait := s.changed
		l.mu.Unlock()
		if shedNow { // give back what the caller holds unused, then look again
			shed()
			shedNow = false
			continue
		}
		every := l.cfg.StallAfter
		if shed != nil {
			// connections the caller's pool takes back while it waits are not released
			// and wake nobody: look again now and then
			every = min(every, 250*time.Millisecond)
		}
		t := time.NewTimer(every)
		select {
		case <-wait:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
		t.Stop()
		shedNow = shed != nil
	}
}

func (l *Limits) release(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.server(addr)
	s.inUse--
	s.lastRelease = time.Now()
	close(s.changed)
	s.changed = make(chan struct{})
}

// settle waits (briefly) for the dials to addr still in flight to end, so a refusal
// lowers the budget to what the server really accepted.
func (l *Limits) settle(ctx context.Context, addr string) {
	deadline := time.NewTimer(2 * time.Second)
	defer deadline.Stop()
	for {
		l.mu.Lock()
		s := l.server(addr)
		done := s.inUse <= s.open || s.lowered
		wait := s.changed
		l.mu.Unlock()
		if done {
			return
		}
		select {
		case <-wait:
		case <-deadline.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

// Workers is how many connections one file copy of a batch migration opens: a share of
// the budget (of the default budget, before any server lowered it) that leaves a
// connection for the second control connection FTP opens to set modes. Outside batches
// it is n.
func Workers(ctx context.Context, n int) int {
	b, ok := ctx.Value(ctxKey{}).(budget)
	if !ok {
		return n
	}
	per := max(b.l.cfg.PerSource, b.l.cfg.PerDestination)
	return min(n, max(1, b.l.cfg.Connections/per-1))
}

// opened counts a connection that got through. After a lowering, connections that were
// already being dialled may still get through: the server then allows that many, and the
// budget rises back to it.
func (l *Limits) opened(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.server(addr)
	s.open++
	if s.open >= s.peak || time.Since(s.peakAt) > lingering {
		s.peak, s.peakAt = s.open, time.Now()
	}
	if s.lowered && s.open > s.limit {
		s.limit = min(s.open, l.cfg.Connections)
	}
}

// lingering is how long a database server may still count a connection Ferry closed: its
// thread ends a moment after the client leaves.
const lingering = 2 * time.Second

// minDatabase is the least budget a database server is lowered to: an import needs its
// main connection, the index builder's and a loader's at once.
const minDatabase = 3

// refused records that addr refused a connection as too many: the budget is lowered,
// once, to the connections open at that moment (dials still in flight do not count); for
// a database server, to the most open in the last moments and no lower than minDatabase.
func (l *Limits) refused(id int64, addr, name string) {
	l.mu.Lock()
	s := l.server(addr)
	if s.lowered || s.open >= s.limit {
		l.mu.Unlock()
		return
	}
	from := s.limit
	to := max(1, s.open)
	if s.oneAtATime {
		// the refusal counts connections the server has not seen closed yet
		if time.Since(s.peakAt) <= lingering {
			to = max(to, s.peak)
		}
		to = max(to, minDatabase)
	}
	if to >= from {
		l.mu.Unlock()
		return
	}
	s.limit = to
	s.lowered = true
	close(s.changed)
	s.changed = make(chan struct{})
	l.mu.Unlock()
	l.cfg.Notify(id, fmt.Sprintf("%s allows %d connections: lowered from %d", name, to, from))
}

// Connect dials through dial within the connection budget of addr (host:port) that ctx
// carries: it waits for a free slot, and when the server refuses the connection as too
// many (TooMany) it lowers the budget, waits and tries again. name is how messages call
// the server. release gives the slot back; call it when the connection is closed. Without
// a budget in ctx Connect just dials.
func Connect[T any](ctx context.Context, addr, name string, dial func(context.Context) (T, error)) (conn T, release func(), err error) {
	return connect(ctx, addr, name, false, dial)
}

// ConnectExtra is Connect for a connection opened to finish work on connections already
// held (an FTP client's second control connection): it may take the slots Connect leaves
// free for that.
func ConnectExtra[T any](ctx context.Context, addr, name string, dial func(context.Context) (T, error)) (conn T, release func(), err error) {
	return connect(ctx, addr, name, true, dial)
}

func connect[T any](ctx context.Context, addr, name string, extra bool, dial func(context.Context) (T, error)) (conn T, release func(), err error) {
	b, ok := ctx.Value(ctxKey{}).(budget)
	if !ok {
		if conn, err = dial(ctx); err != nil {
			return conn, nil, err
		}
		return conn, func() {}, nil
	}
	l, id := b.l, b.id
	if err := l.enter(ctx, addr, id); err != nil {
		return conn, nil, err
	}
	opened := false
	defer func() { l.leave(addr, id, opened) }()
	wait := l.cfg.Backoff
	for attempt := 1; ; attempt++ {
		slot, err := l.acquire(ctx, addr, id, extra)
		if err != nil {
			return conn, nil, err
		}
		conn, err = dial(ctx)
		if err == nil {
			l.opened(addr)
			opened = true
			return conn, l.holding(addr, id, slot), nil
		}
		slot()
		if !TooMany(err) || ctx.Err() != nil || attempt >= l.cfg.Attempts {
			return conn, nil, err
		}
		l.settle(ctx, addr)
		l.refused(id, addr, name)
		if mayYield(ctx) && l.sharing(addr, id) {
			return conn, nil, &yieldError{err}
		}
		if shed, ok := ctx.Value(waitKey{}).(func()); ok {
			// the caller's own unused connections count at the server too
			shed()
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return conn, nil, err
		}
		wait = min(2*wait, l.cfg.MaxBackoff)
	}
}

// holding is the release of a connection of migration id that got through on slot.
func (l *Limits) holding(addr string, id int64, slot func()) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			s := l.server(addr)
			s.open--
			if s.held[id]--; s.held[id] <= 0 {
				delete(s.held, id)
			}
			l.mu.Unlock()
			slot()
		})
	}
}

// Budgeted tells whether ctx runs within a host connection budget (a batch migration's).
func Budgeted(ctx context.Context) bool {
	_, ok := ctx.Value(ctxKey{}).(budget)
	return ok
}
