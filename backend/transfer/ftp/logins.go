package ftp

import (
	"context"
	"fmt"
	"sync"
	"time"

	"ferry/backend/transfer"
)

// Logins caps the logins Ferry holds on one FTP server at once, parked ones and second
// control connections (site.go) included: the workers of a download, the listing's
// connections, the login that puts the PHP agent in place and the one that sets modes
// all count against the same number, so a server allowing 8 per client never sees a 9th.
// A Config's Opener waits for a free login, taking a parked one of the same account as
// soon as one is parked, and closes a parked login of another account of that server to
// free one; a connection the work can do without (transfer.IsSpare) is refused at once
// instead (transfer.ErrNoSpare). nil does not limit.
type Logins struct {
	mu    sync.Mutex
	max   int // logins at once; 0 does not limit
	held  int
	freed chan struct{} // closed (and replaced) when a login ends
}

// NewLogins caps logins at max.
func NewLogins(max int) *Logins { return &Logins{max: max} }

// loginPoll is how often a waiting Opener looks for a login parked meanwhile.
const loginPoll = 20 * time.Millisecond

// SetMax changes the cap for logins taken from now on.
func (l *Logins) SetMax(max int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.max = max
	if l.freed != nil {
		close(l.freed)
		l.freed = nil
	}
}

// tryTake takes a login when one is free and returns the func that gives it back
// (once), or nil.
func (l *Logins) tryTake() func() {
	if l == nil {
		return func() {}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.max > 0 && l.held >= l.max {
		return nil
	}
	l.held++
	var once sync.Once
	return func() { once.Do(l.give) }
}

func (l *Logins) give() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.held--
	if l.freed != nil {
		close(l.freed)
		l.freed = nil
	}
}

// wake is closed when a login is given back.
func (l *Logins) wake() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.freed == nil {
		l.freed = make(chan struct{})
	}
	return l.freed
}

// Max is the cap (0: none).
func (l *Logins) Max() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.max
}

// Held is how many logins are held, parked ones included.
func (l *Logins) Held() int {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.held
}

// take waits for a free login on c's server and returns its release. Each time it finds
// none free it calls parked (when not nil), which returns a login parked meanwhile under
// c's own key; failing that, it closes a parked login of another account on the same
// server (whose Close gives its login back).
func (c Config) take(ctx context.Context, parked func() (transfer.Tree, bool)) (release func(), reuse transfer.Tree, err error) {
	l := c.Logins
	for {
		if release := l.tryTake(); release != nil {
			return release, nil, nil
		}
		if parked != nil {
			if t, ok := parked(); ok {
				return nil, t, nil
			}
		}
		if c.Parking.EvictPrefix(c.serverKey()) {
			continue
		}
		if transfer.IsSpare(ctx) {
			// a connection the work can do without is not waited for
			return nil, nil, fmt.Errorf("%w: Ferry holds %d logins on %s already", transfer.ErrNoSpare, l.Max(), c.addr())
		}
		t := time.NewTimer(loginPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, nil, ctx.Err()
		case <-l.wake():
		case <-t.C:
		}
		t.Stop()
	}
}

// serverKey is the start of loginKey that names the server alone.
func (c Config) serverKey() string {
	return "ftp\x00" + c.addr() + "\x00"
}
