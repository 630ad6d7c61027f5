package mysqltest

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Throttle forwards TCP connections to a server and lets the server's bytes through at
// a capped rate once a burst is spent, as a token bucket capping a port does (tc's tbf,
// a rented server's 200 Mbit/s): the first burst bytes after a pause pass at once, and
// the rest in packets of up to 64 KB (the loopback's size), several rows at a time.
type Throttle struct {
	l     net.Listener
	rate  float64
	burst float64
	down  atomic.Int64
}

// NewThrottle starts a Throttle to target at rate bytes a second after burst bytes; it
// stops when the test ends (close the connections through it first).
func NewThrottle(t testing.TB, target string, rate, burst float64) *Throttle {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	th := &Throttle{l: l, rate: rate, burst: burst}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			wg.Add(2)
			go func() { defer wg.Done(); _, _ = io.Copy(s, c); s.Close(); c.Close() }()
			go func() { defer wg.Done(); th.pump(c, s); s.Close(); c.Close() }()
		}
	}()
	return th
}

// Port is the port the throttle listens on, at 127.0.0.1.
func (th *Throttle) Port() int { return th.l.Addr().(*net.TCPAddr).Port }

// Down is how many bytes the server sent through the throttle.
func (th *Throttle) Down() int64 { return th.down.Load() }

func (th *Throttle) pump(dst, src net.Conn) {
	tokens, last := th.burst, time.Now()
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			now := time.Now()
			tokens = min(th.burst, tokens+now.Sub(last).Seconds()*th.rate)
			last = now
			if tokens < float64(n) {
				wait := time.Duration((float64(n) - tokens) / th.rate * float64(time.Second))
				time.Sleep(wait)
				tokens += wait.Seconds() * th.rate
				last = time.Now()
			}
			tokens -= float64(n)
			th.down.Add(int64(n))
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
