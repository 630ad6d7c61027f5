//go:build e2e

package e2e

import (
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gliderlabs/ssh"
	"github.com/pkg/sftp"
	"github.com/stretchr/testify/require"

	"ferry/backend/transfer/transfertest"
)

// gatedSFTP is an SFTP server whose login refuses the right password until open is set:
// the admin's "wrong password" that gets fixed on the server side before Retry.
type gatedSFTP struct {
	Port int
	open atomic.Bool
}

func startGatedSFTP(t *testing.T, root string) *gatedSFTP {
	t.Helper()
	g := &gatedSFTP{}
	srv := &ssh.Server{
		Handler: func(s ssh.Session) { _ = s.Exit(1) },
		PasswordHandler: func(ctx ssh.Context, pass string) bool {
			return g.open.Load() && ctx.User() == transfertest.User && pass == transfertest.Password
		},
		SubsystemHandlers: map[string]ssh.SubsystemHandler{
			"sftp": func(s ssh.Session) {
				server, err := sftp.NewServer(s, sftp.WithServerWorkingDirectory(root))
				if err != nil {
					return
				}
				_ = server.Serve()
				_ = server.Close()
			},
		},
	}
	srv.AddHostKey(transfertest.NewHostKey(t))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	g.Port = l.Addr().(*net.TCPAddr).Port
	return g
}

// slowProxy forwards TCP to target at about rate bytes a second each way, so a
// migration through it stays in Downloading files long enough to be stopped.
func slowProxy(t *testing.T, target string, rate int) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	track := func(c net.Conn) {
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				_ = c.Close()
				continue
			}
			track(c)
			track(up)
			wg.Add(2)
			go func() { defer wg.Done(); throttle(up, c, rate); _ = up.Close() }()
			go func() { defer wg.Done(); throttle(c, up, rate); _ = c.Close() }()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return l.Addr().(*net.TCPAddr).Port
}

func throttle(dst io.Writer, src io.Reader, rate int) {
	const chunk = 1024
	buf := make([]byte, chunk)
	pause := time.Duration(float64(time.Second) * chunk / float64(rate))
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
			time.Sleep(pause)
		}
		if err != nil {
			return
		}
	}
}

func splitAddr(t *testing.T, addr string) (string, int) {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	p, err := strconv.Atoi(port)
	require.NoError(t, err)
	return host, p
}
