package sftp

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"ferry/backend/transfer"
)

// Files in flight on one Pool's login when Mirror copies from or to an SFTP server:
// enough to hide a 150 ms round trip behind small files, few enough that a shared host
// does not see a flood. An upload writes each file in three round trips (open, write,
// close), so it keeps more in flight: at 40 ms, 64 uploaded the bench site in 32.1 s
// where 32 took 46.2 s (bench/wan, one run each).
const (
	DownloadStreams = 32
	UploadStreams   = 64
)

// Pool shares one SFTP login among many Trees. An SFTP session carries any number of
// requests at once, so Mirror's streams can each hold a Tree from the Pool and keep
// dozens of files in flight on one SSH connection, instead of one login per stream
// and one round trip at a time. A connection that dies is replaced at the next Open;
// the Trees still holding it fail with transient errors and are reopened by Mirror.
type Pool struct {
	cfg    Config
	linger time.Duration // how long an unused login is kept (NewKeptPool)
	logins atomic.Int64

	mu     sync.Mutex
	cur    *Client
	refs   map[*Client]int
	idle   time.Time // when the current login was last released
	closed bool
}

// NewPool returns a Pool that logs in with cfg when a Tree is first opened and logs
// out when the last one is closed.
func NewPool(cfg Config) *Pool {
	return &Pool{cfg: cfg, refs: map[*Client]int{}}
}

// NewKeptPool returns a Pool whose login outlives its Trees by linger, so the steps of
// one migration share it; Close ends it at once.
func NewKeptPool(cfg Config, linger time.Duration) *Pool {
	p := NewPool(cfg)
	p.linger = linger
	return p
}

// Opener hands out Trees on the shared login.
func (p *Pool) Opener() transfer.Opener { return p.Open }

// Logins is how many SSH logins the Pool made so far.
func (p *Pool) Logins() int64 { return p.logins.Load() }

// Open returns a Tree on the shared login, logging in first when there is none or the
// last one died. Closing the Tree releases it; the login stays for the others.
func (p *Pool) Open(ctx context.Context) (transfer.Tree, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, &transfer.ConnectError{Protocol: "SFTP", Addr: p.cfg.addr(), Err: context.Canceled}
	}
	if p.cur != nil && p.cur.dead() {
		p.drop(p.cur)
	}
	if p.cur == nil {
		c := p.cfg.unpark(ctx)
		if c == nil {
			var err error
			if c, err = Dial(ctx, p.cfg); err != nil {
				return nil, err
			}
			p.logins.Add(1)
			// The session ends when the link dies: the Client closes with it, so the next
			// Open sees it dead and logs in again.
			go func() { _ = c.sftp.Wait(); _ = c.Close() }()
		}
		p.cur = c
	}
	p.refs[p.cur]++
	return &pooled{Client: p.cur, pool: p}, nil
}

// drop forgets c as the current login, closing it when no Tree holds it.
func (p *Pool) drop(c *Client) {
	if p.cur == c {
		p.cur = nil
	}
	if p.refs[c] == 0 {
		delete(p.refs, c)
		p.cfg.park(c)
	}
}

func (p *Pool) release(c *Client) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refs[c]--
	if p.refs[c] > 0 {
		return
	}
	if c != p.cur || p.linger <= 0 || p.closed || c.dead() {
		p.drop(c)
		return
	}
	p.idle = time.Now()
	time.AfterFunc(p.linger, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.refs[c] == 0 && p.cur == c && time.Since(p.idle) >= p.linger {
			p.drop(c)
		}
	})
}

// Close logs out once no Tree holds the login (at once when none does); Open fails
// afterwards.
func (p *Pool) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	// Each login is let go once: a parked one may be another Pool's a moment later. One
	// a Tree still holds goes when that Tree is closed (release).
	for c, n := range p.refs {
		if n == 0 {
			delete(p.refs, c)
			p.cfg.park(c)
		}
	}
	p.cur = nil
	return nil
}

func (c *Client) dead() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// pooled is one Tree on a Pool's login; every method but Close is the Client's, which
// serves many goroutines at once.
type pooled struct {
	*Client
	pool *Pool
	once sync.Once
}

func (t *pooled) Close() error {
	t.once.Do(func() { t.pool.release(t.Client) })
	return nil
}
