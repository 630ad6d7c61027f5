package transfertest

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Delay plays a slow network link: every byte a client sends reaches the server RTT/2
// later, and every byte back takes RTT/2 again, in order, without limiting bandwidth.
// Clients reach a server through it with Dial (as their Config.DialContext), which
// routes every connection they open through the delay, FTP passive data connections
// included, or through a Listen proxy in front of one address.
type Delay struct {
	t   testing.TB
	rtt time.Duration

	dials atomic.Int64
	mu    sync.Mutex
	byTo  map[string]int
	links map[net.Conn]struct{}
	done  chan struct{}
	once  sync.Once
}

// NewDelay returns a link with the given round-trip time; it closes every connection
// it carried when the test ends.
func NewDelay(t testing.TB, rtt time.Duration) *Delay {
	d := &Delay{t: t, rtt: rtt, byTo: map[string]int{}, links: map[net.Conn]struct{}{}, done: make(chan struct{})}
	t.Cleanup(d.close)
	return d
}

// RTT is the round-trip time the link adds.
func (d *Delay) RTT() time.Duration { return d.rtt }

// Dials is how many connections went through the link so far.
func (d *Delay) Dials() int64 { return d.dials.Load() }

// DialsTo is how many connections went through the link to addr.
func (d *Delay) DialsTo(addr string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.byTo[addr]
}

// Dial connects to addr through the delay, taking one round trip like TCP's handshake;
// it has the signature of a DialContext.
func (d *Delay) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var nd net.Dialer
	server, err := nd.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	// The caller gets one end of a loopback TCP connection; the other end is pumped
	// to the server with the delay, so the caller sees real socket semantics
	// (deadlines, half-close, TLS).
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = server.Close()
		return nil, err
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()
	client, err := nd.DialContext(ctx, "tcp", l.Addr().String())
	if err != nil {
		_ = server.Close()
		return nil, err
	}
	inner, ok := <-accepted
	if !ok {
		_ = server.Close()
		_ = client.Close()
		return nil, net.ErrClosed
	}
	d.count(addr, inner, server)
	d.link(inner, server)
	// TCP's handshake costs one round trip before the caller may send.
	select {
	case <-time.After(d.rtt):
	case <-ctx.Done():
		_ = client.Close()
		return nil, ctx.Err()
	}
	return client, nil
}

// Listen starts a proxy on 127.0.0.1 in front of target, with the delay, and returns
// its port.
func (d *Delay) Listen(target string) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(d.t, err)
	d.t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				_ = c.Close()
				continue
			}
			d.count(target, c, s)
			d.link(c, s)
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

func (d *Delay) count(addr string, conns ...net.Conn) {
	d.dials.Add(1)
	d.mu.Lock()
	d.byTo[addr]++
	for _, c := range conns {
		d.links[c] = struct{}{}
	}
	d.mu.Unlock()
}

// link pumps both directions between a and b, and closes both once both ended.
func (d *Delay) link(a, b net.Conn) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); d.pump(b, a) }()
	go func() { defer wg.Done(); d.pump(a, b) }()
	go func() {
		wg.Wait()
		_ = a.Close()
		_ = b.Close()
		d.mu.Lock()
		delete(d.links, a)
		delete(d.links, b)
		d.mu.Unlock()
	}()
}

type chunk struct {
	data []byte
	due  time.Time
	eof  bool
}

// pump forwards src to dst, each chunk RTT/2 after it was read, keeping order: a
// reader stamps the chunks and a writer releases them when due.
func (d *Delay) pump(dst, src net.Conn) {
	q := make(chan chunk, 4096)
	go func() {
		defer close(q)
		for {
			buf := make([]byte, 32*1024)
			n, err := src.Read(buf)
			if n > 0 {
				q <- chunk{data: buf[:n], due: time.Now().Add(d.rtt / 2)}
			}
			if err != nil {
				q <- chunk{eof: true, due: time.Now().Add(d.rtt / 2)}
				return
			}
		}
	}()
	for c := range q {
		if wait := time.Until(c.due); wait > 0 {
			select {
			case <-time.After(wait):
			case <-d.done:
				_ = src.Close()
				drain(q)
				return
			}
		}
		if c.eof {
			if tc, ok := dst.(*net.TCPConn); ok {
				_ = tc.CloseWrite()
			} else {
				_ = dst.Close()
			}
			continue
		}
		if _, err := dst.Write(c.data); err != nil {
			_ = src.Close()
			_ = dst.Close()
			drain(q)
			return
		}
	}
}

// drain empties q so its reader can end.
func drain(q <-chan chunk) {
	for c := range q {
		_ = c
	}
}

func (d *Delay) close() {
	d.once.Do(func() {
		close(d.done)
		d.mu.Lock()
		defer d.mu.Unlock()
		for c := range d.links {
			_ = c.Close()
		}
	})
}
