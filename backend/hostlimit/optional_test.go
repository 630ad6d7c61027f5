package hostlimit

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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
