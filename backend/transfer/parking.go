package transfer

import (
	"io"
	"strings"
	"sync"
	"time"
)

// Parking keeps logins that were closed while still healthy, for a while, so that the
// next connection to the same server with the same account takes one of them instead of
// logging in again. A login is what a server pays most for on a WordPress tree: vsftpd
// and OpenSSH check the password through PAM (yescrypt on Debian) and fork for each one,
// which costs them more CPU than copying a few hundred small files. A batch moves many
// sites between the same two accounts, one migration after another, and each of them
// would otherwise log in afresh.
//
// Keys name the login (server, account, secrets, security settings): the protocol
// package that parks a connection builds them and never logs them. A parked connection
// is closed once it has waited Linger, when more than MaxPerKey wait under its key, and
// at Close. The protocol package checks a connection it takes (its folder is resolved
// again) and logs in afresh when that fails.
type Parking struct {
	// Linger is how long a connection waits (default 15 s: enough for the next
	// migration of a batch to start, well within the idle timeout of FTP and SSH
	// servers).
	Linger time.Duration
	// MaxPerKey bounds the connections waiting under one key (default MaxWorkers).
	MaxPerKey int

	mu     sync.Mutex
	idle   map[string][]*parkedConn
	closed bool
}

type parkedConn struct {
	c     io.Closer
	timer *time.Timer
}

// DefaultLinger is Parking.Linger's default.
const DefaultLinger = 15 * time.Second

func (p *Parking) linger() time.Duration {
	if p.Linger > 0 {
		return p.Linger
	}
	return DefaultLinger
}

func (p *Parking) maxPerKey() int {
	if p.MaxPerKey > 0 {
		return p.MaxPerKey
	}
	return MaxWorkers
}

// Put parks c under key and reports true, or reports false when it cannot (the Parking
// is closed, or enough wait under key already): the caller then closes c itself.
func (p *Parking) Put(key string, c io.Closer) bool {
	if p == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || len(p.idle[key]) >= p.maxPerKey() {
		return false
	}
	if p.idle == nil {
		p.idle = map[string][]*parkedConn{}
	}
	pc := &parkedConn{c: c}
	pc.timer = time.AfterFunc(p.linger(), func() {
		if p.remove(key, pc) {
			_ = c.Close()
		}
	})
	p.idle[key] = append(p.idle[key], pc)
	return true
}

// Take returns the connection parked last under key, no longer parked, or nil.
func (p *Parking) Take(key string) io.Closer {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	list := p.idle[key]
	if len(list) == 0 {
		return nil
	}
	pc := list[len(list)-1]
	p.idle[key] = list[:len(list)-1]
	if len(p.idle[key]) == 0 {
		delete(p.idle, key)
	}
	pc.timer.Stop()
	return pc.c
}

// remove unparks pc when it is still parked under key.
func (p *Parking) remove(key string, pc *parkedConn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	list := p.idle[key]
	for i, x := range list {
		if x == pc {
			p.idle[key] = append(list[:i:i], list[i+1:]...)
			if len(p.idle[key]) == 0 {
				delete(p.idle, key)
			}
			return true
		}
	}
	return false
}

// EvictPrefix closes the oldest connection parked under one of the keys starting with
// prefix, if any, and reports whether there was one: a connection that waits for a free
// login on a server frees one held by an idle login of another account.
func (p *Parking) EvictPrefix(prefix string) bool {
	if p == nil {
		return false
	}
	p.mu.Lock()
	var victim *parkedConn
	for key, list := range p.idle {
		if strings.HasPrefix(key, prefix) && len(list) > 0 {
			victim = list[0]
			if len(list) == 1 {
				delete(p.idle, key)
			} else {
				p.idle[key] = list[1:]
			}
			break
		}
	}
	p.mu.Unlock()
	if victim == nil {
		return false
	}
	victim.timer.Stop()
	_ = victim.c.Close()
	return true
}

// Idle is the number of connections parked.
func (p *Parking) Idle() int {
	if p == nil {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, l := range p.idle {
		n += len(l)
	}
	return n
}

// Close closes every parked connection; Put refuses from then on.
func (p *Parking) Close() error {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	p.closed = true
	var all []*parkedConn
	for _, l := range p.idle {
		all = append(all, l...)
	}
	p.idle = nil
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, pc := range all {
		pc.timer.Stop()
		wg.Add(1)
		go func(c io.Closer) { defer wg.Done(); _ = c.Close() }(pc.c)
	}
	wg.Wait()
	return nil
}
