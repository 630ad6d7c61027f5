package hostlimit

import (
	"context"
	"errors"
	"sync"
)

// ErrNoSlot is TryConnect finding the budget spent.
var ErrNoSlot = errors.New("no connection left in the host's budget")

// TryConnect is Connect for a connection the work can do without (a second loader of a
// database import, a second reader of a dump): it takes a slot only when one is free at
// once, dials once, and when the server refuses the connection as too many it lowers the
// budget as Connect does but returns the refusal instead of waiting to try again. A step
// that opens such connections beside the ones it needs so shrinks to what the budget and
// the server grant, and cannot wait on slots it holds itself. Without a budget in ctx
// TryConnect just dials.
func TryConnect[T any](ctx context.Context, addr, name string, dial func(context.Context) (T, error)) (conn T, release func(), err error) {
	b, ok := ctx.Value(ctxKey{}).(budget)
	if !ok {
		if conn, err = dial(ctx); err != nil {
			return conn, nil, err
		}
		return conn, func() {}, nil
	}
	l, id := b.l, b.id
	l.mu.Lock()
	s := l.server(addr)
	reserve := 0
	for other, n := range s.held {
		if other != id && n > 0 {
			reserve++
		}
	}
	if s.inUse+reserve >= s.limit {
		l.mu.Unlock()
		return conn, nil, ErrNoSlot
	}
	s.inUse++
	s.active[id]++
	l.mu.Unlock()
	var once sync.Once
	slot := func() { once.Do(func() { l.release(addr) }) }
	conn, err = dial(ctx)
	if err == nil {
		l.opened(addr)
		l.leave(addr, id, true)
		return conn, l.holding(addr, id, slot), nil
	}
	slot()
	l.leave(addr, id, false)
	if TooMany(err) && ctx.Err() == nil {
		l.settle(ctx, addr)
		l.refused(id, addr, name)
	}
	return conn, nil, err
}

// Carry gives ctx the connection budget from carries, if any: a connection opened for a
// step with another context (a pool's own) still counts for the step's migration.
func Carry(ctx, from context.Context) context.Context {
	b, ok := from.Value(ctxKey{}).(budget)
	if !ok {
		return ctx
	}
	return context.WithValue(ctx, ctxKey{}, b)
}

type waitKey struct{}

// WhenWaiting gives ctx a func Connect calls before it waits for a slot, now and then
// while it waits, and before it tries a refused connection again: a pool of connections
// closes its idle ones, whose slots (and places at the server) may be the ones it waits
// for.
func WhenWaiting(ctx context.Context, f func()) context.Context {
	if f == nil {
		return ctx
	}
	return context.WithValue(ctx, waitKey{}, f)
}

type databaseKey struct{}

// Database marks ctx for connections to a database server. Each migration may need
// several of them at once (an import's main connection, index builder and loader), and
// two migrations each holding part of what they need would wait on each other for ever
// at a server that refuses more: once the server refused one, a migration that holds
// none of its connections waits until no other one holds any.
func Database(ctx context.Context) context.Context {
	return context.WithValue(ctx, databaseKey{}, true)
}

func isDatabase(ctx context.Context) bool {
	v, _ := ctx.Value(databaseKey{}).(bool)
	return v
}

type yieldKey struct{}

// MayYield marks ctx for a step that can give back every connection it holds and start
// again (an import resumes at its first unfinished table): when the server refuses one of
// its connections as too many while another migration holds connections to it too,
// Connect returns the refusal at once (Yielded reports it) instead of retrying, since
// each might wait for the other's.
func MayYield(ctx context.Context) context.Context {
	return context.WithValue(ctx, yieldKey{}, true)
}

func mayYield(ctx context.Context) bool {
	v, _ := ctx.Value(yieldKey{}).(bool)
	return v
}

// yieldError is a refusal returned for the step to give its connections back.
type yieldError struct{ err error }

func (e *yieldError) Error() string { return e.err.Error() }
func (e *yieldError) Unwrap() error { return e.err }

// Yielded reports whether err is Connect's refusal to a MayYield step that should close
// its connections and start again (it then waits its turn at the server).
func Yielded(err error) bool {
	var ye *yieldError
	return errors.As(err, &ye)
}

// othersHold reports whether a migration other than id holds connections to s.
func (l *Limits) othersHold(s *server, id int64) bool {
	for other, n := range s.held {
		if other != id && n > 0 {
			return true
		}
	}
	return false
}

// sharing reports whether migration id and another one both hold connections to addr.
func (l *Limits) sharing(addr string, id int64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.server(addr)
	return s.held[id] > 0 && l.othersHold(s, id)
}

// othersActive reports whether a migration other than id is connecting to s.
func othersActive(s *server, id int64) bool {
	for other, n := range s.active {
		if other != id && n > 0 {
			return true
		}
	}
	return false
}
