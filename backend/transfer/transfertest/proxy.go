package transfertest

import (
	"io"
	"net"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// FaultKind is what the Proxy does to a connection.
type FaultKind int

// The faults a real network produces.
const (
	// Drop closes both sides cleanly (FIN), like a server that gives up.
	Drop FaultKind = iota
	// Reset aborts both sides (RST), like a NAT box forgetting the connection.
	Reset
	// Stall stops forwarding in both directions and leaves the sockets open, like a
	// dead link: only the client's timeout can end it.
	Stall
)

func (k FaultKind) String() string { return [...]string{"drop", "reset", "stall"}[k] }

// Proxy forwards TCP connections to a target and injects faults into them on demand.
type Proxy struct {
	t      testing.TB
	target string
	l      net.Listener

	mu      sync.Mutex
	links   map[*link]struct{}
	armed   *armedFault
	stalled []*link
}

type armedFault struct {
	kind  FaultKind
	after int64 // bytes still to forward before the fault fires
	fired chan struct{}
}

type link struct {
	client, server net.Conn
	stall          chan struct{}
	once           sync.Once
}

// StartProxy listens on 127.0.0.1 and forwards every connection to target.
func StartProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &Proxy{t: t, target: target, l: l, links: map[*link]struct{}{}}
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// Port is the port clients connect to instead of the target's.
func (p *Proxy) Port() int { return p.l.Addr().(*net.TCPAddr).Port }

// Inject arms a fault that fires on whichever connection first forwards afterBytes
// more bytes; the returned channel closes when it has fired.
func (p *Proxy) Inject(kind FaultKind, afterBytes int64) <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := &armedFault{kind: kind, after: afterBytes, fired: make(chan struct{})}
	p.armed = f
	return f.fired
}

func (p *Proxy) accept() {
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		l := &link{client: c, server: s, stall: make(chan struct{})}
		p.mu.Lock()
		p.links[l] = struct{}{}
		p.mu.Unlock()
		go p.pipe(l, l.server, l.client)
		go p.pipe(l, l.client, l.server)
	}
}

func (p *Proxy) pipe(l *link, dst, src net.Conn) {
	buf := make([]byte, 16*1024)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if p.count(l, int64(n)) {
				return
			}
			select {
			case <-l.stall:
				return // stalled: swallow everything, forward nothing
			default:
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				l.closeBoth()
				return
			}
		}
		if err != nil {
			if err != io.EOF {
				l.closeBoth()
				return
			}
			if tc, ok := dst.(*net.TCPConn); ok {
				_ = tc.CloseWrite()
			}
			return
		}
	}
}

// count charges n bytes to the armed fault and applies it when due; it reports
// whether this pipe must stop.
func (p *Proxy) count(l *link, n int64) bool {
	p.mu.Lock()
	f := p.armed
	if f == nil {
		p.mu.Unlock()
		return false
	}
	f.after -= n
	if f.after > 0 {
		p.mu.Unlock()
		return false
	}
	p.armed = nil
	if f.kind == Stall {
		p.stalled = append(p.stalled, l)
	}
	p.mu.Unlock()
	switch f.kind {
	case Drop:
		l.closeBoth()
	case Reset:
		for _, c := range []net.Conn{l.client, l.server} {
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // close sends RST
			}
		}
		l.closeBoth()
	case Stall:
		l.once.Do(func() { close(l.stall) })
	}
	close(f.fired)
	return true
}

func (l *link) closeBoth() {
	_ = l.client.Close()
	_ = l.server.Close()
}

func (p *Proxy) close() {
	_ = p.l.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for l := range p.links {
		l.closeBoth()
	}
}
