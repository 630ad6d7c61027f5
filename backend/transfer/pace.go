package transfer

import (
	"context"
	"sync"
	"time"
)

// Pacer holds the bytes of one or more copies to a rate that may change while they run
// (MirrorOptions.Pace): a caller that knows the copy is not what the migration waits for
// lets the work that is (a database import sharing the link and the servers) have them.
// A nil Pacer, or a rate of 0, does not pace. Safe for concurrent use.
type Pacer struct {
	mu   sync.Mutex
	rate float64   // bytes per second; 0: not paced
	next time.Time // when the bytes taken so far are paid for
}

// paceBurst is how far ahead of its rate a paced copy may run: a buffer or two, so that
// pacing is smooth and a full-speed copy is never held back by the bookkeeping.
const paceBurst = 100 * time.Millisecond

// SetRate paces from now on at bytesPerSec; 0 or less stops pacing.
func (p *Pacer) SetRate(bytesPerSec float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rate = max(bytesPerSec, 0)
}

// Rate is the current rate, 0 when not pacing.
func (p *Pacer) Rate() float64 {
	if p == nil {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rate
}

// Wait accounts n bytes just moved and waits, when paced, until the rate allows them.
func (p *Pacer) Wait(ctx context.Context, n int) error {
	if p == nil || n <= 0 {
		return nil
	}
	p.mu.Lock()
	if p.rate <= 0 {
		p.mu.Unlock()
		return nil
	}
	now := time.Now()
	if p.next.Before(now.Add(-paceBurst)) {
		p.next = now.Add(-paceBurst)
	}
	p.next = p.next.Add(time.Duration(float64(n) / p.rate * float64(time.Second)))
	d := p.next.Sub(now)
	p.mu.Unlock()
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
