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

// WhenWaiting gives ctx a func Connect calls, once, before it waits for a slot: a pool of
// connections closes its idle ones, whose slots may be the ones it would wait for.
func WhenWaiting(ctx context.Context, f func()) context.Context {
	if f == nil {
		return ctx
	}
	return context.WithValue(ctx, waitKey{}, f)
}
