package hostlimit

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"
)

func batchLimits(connections int, notify func(int64, string)) *Limits {
	return New(Config{Connections: connections, Backoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond,
		Lookup: func(int64) (Hosts, bool) { return Hosts{Source: "a", Destination: "b"}, true }, Notify: notify})
}

// An import holds the connections it needs and asks for more it can do without: it gets
// what the budget has left and the server accepts, never waits, and the server's refusal
// lowers the budget once.
func TestTryConnectTakesOnlyWhatIsFree(t *testing.T) {
	srv := &fakeServer{max: 3}
	var notes []string
	l := batchLimits(8, func(_ int64, msg string) { notes = append(notes, msg) })
	ctx := l.Context(t.Context(), 1)
	const addr = "db.example.net:3306"
	var hangs []func()
	var releases []func()
	for range 2 { // the connections it cannot do without
		hang, release, err := Connect(ctx, addr, "db.example.net", srv.dial)
		require.NoError(t, err)
		hangs, releases = append(hangs, hang), append(releases, release)
	}
	got := 0
	var errs []error
	for range 6 {
		hang, release, err := TryConnect(ctx, addr, "db.example.net", srv.dial)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		got++
		hangs, releases = append(hangs, hang), append(releases, release)
	}
	require.Equal(t, 1, got, "the server takes one more")
	require.Len(t, errs, 5)
	require.True(t, TooMany(errs[0]), "then refuses as too many: %v", errs[0])
	for _, err := range errs[1:] {
		require.ErrorIs(t, err, ErrNoSlot, "the lowered budget is spent")
	}
	require.Equal(t, []string{"db.example.net allows 3 connections: lowered from 8"}, notes)
	require.Equal(t, 3, l.Limit(addr))
	require.Equal(t, 1, srv.refs, "a spent budget is not dialled again")

	_, _, err := TryConnect(ctx, addr, "db.example.net", srv.dial)
	require.ErrorIs(t, err, ErrNoSlot)
	for i := range hangs {
		hangs[i]()
		releases[i]()
	}
	hang, release, err := TryConnect(ctx, addr, "db.example.net", srv.dial)
	require.NoError(t, err, "slots given back are free again")
	hang()
	release()

	// Without a budget it only dials.
	_, release, err = TryConnect(t.Context(), addr, "db.example.net", srv.dial)
	require.NoError(t, err)
	require.NotNil(t, release)
}

// A pool waiting for a slot its own idle connections hold gives them back and goes on,
// instead of waiting for a stall.
func TestConnectShedsIdleConnectionsBeforeWaiting(t *testing.T) {
	srv := &fakeServer{max: 8}
	l := New(Config{Connections: 2, StallAfter: time.Hour,
		Lookup: func(int64) (Hosts, bool) { return Hosts{Source: "a", Destination: "b"}, true }})
	ctx := l.Context(t.Context(), 1)
	const addr = "db.example.net:3306"
	var mu sync.Mutex
	var idle []func()
	for range 2 {
		hang, release, err := Connect(ctx, addr, "db", srv.dial)
		require.NoError(t, err)
		idle = append(idle, func() { hang(); release() })
	}
	var shed atomic.Int32
	wctx := WhenWaiting(ctx, func() {
		shed.Add(1)
		mu.Lock()
		defer mu.Unlock()
		for _, f := range idle {
			f()
		}
		idle = nil
	})
	tctx, cancel := context.WithTimeout(wctx, 10*time.Second)
	defer cancel()
	hang, release, err := Connect(tctx, addr, "db", srv.dial)
	require.NoError(t, err)
	require.Positive(t, shed.Load())
	hang()
	release()

	// Nothing to shed: it waits (here until its context ends) rather than pass the budget.
	hangs := []func(){}
	for range 2 {
		hang, release, err := Connect(ctx, addr, "db", srv.dial)
		require.NoError(t, err)
		hangs = append(hangs, hang, release)
	}
	sctx, cancel2 := context.WithTimeout(WhenWaiting(ctx, func() {}), 600*time.Millisecond)
	defer cancel2()
	_, _, err = Connect(sctx, addr, "db", srv.dial)
	require.True(t, errors.Is(err, context.DeadlineExceeded), "%v", err)
	for _, f := range hangs {
		f()
	}
}

// capServer is a database server whose user may hold max connections: the next is refused
// with MySQL's error 1226.
type capServer struct {
	max  int
	mu   sync.Mutex
	open int
}

func (s *capServer) dial(context.Context) (func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open >= s.max {
		return nil, &mysql.MySQLError{Number: 1226, Message: "User 'wp' has exceeded the 'max_user_connections' resource (current value: 3)"}
	}
	s.open++
	return func() { s.mu.Lock(); s.open--; s.mu.Unlock() }, nil
}

// Two imports each hold part of what they need at a database server that refuses more:
// the one refused gives its connections back (Yielded) instead of waiting on the other,
// the budget is lowered once, and from then on a migration holding none of the server's
// connections waits its turn until no other holds any.
func TestDatabaseServerYieldsAndTakesTurns(t *testing.T) {
	srv := &capServer{max: 3}
	var notes []string
	var mu sync.Mutex
	l := batchLimits(8, func(_ int64, msg string) { mu.Lock(); notes = append(notes, msg); mu.Unlock() })
	const addr = "db.example.net:3306"
	ctxOf := func(id int64) context.Context { return MayYield(Database(l.Context(t.Context(), id))) }
	type held struct{ hang, release func() }
	take := func(id int64) (held, error) {
		hang, release, err := Connect(ctxOf(id), addr, "db.example.net", srv.dial)
		return held{hang, release}, err
	}
	a1, err := take(1)
	require.NoError(t, err)
	a2, err := take(1)
	require.NoError(t, err)
	b1, err := take(2)
	require.NoError(t, err)
	_, err = take(1)
	require.True(t, Yielded(err), "refused while another migration holds some: give them back (%v)", err)
	require.True(t, TooMany(err))
	mu.Lock()
	require.Equal(t, []string{"db.example.net allows 3 connections: lowered from 8"}, notes)
	mu.Unlock()
	a1.hang()
	a1.release()
	a2.hang()
	a2.release()

	// Migration 3 holds nothing there: it waits while migration 2 holds a connection.
	got := make(chan error, 1)
	var c held
	go func() {
		var err error
		c, err = take(3)
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("migration 3 connected while migration 2 held a connection (%v)", err)
	case <-time.After(200 * time.Millisecond):
	}
	b1.hang()
	b1.release()
	select {
	case err := <-got:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("migration 3 never got its turn")
	}
	c.hang()
	c.release()
}
