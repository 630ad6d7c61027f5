package cli

import (
	"bufio"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"ferry/backend/engine"
)

// The kill -9 tests run Ferry's headless commands in a child process: this test binary
// re-executed with childArgsEnv set, which makes TestCLIChild run cli.Run with those
// arguments and exit with its code, exactly as `ferry <args>` would.
const childArgsEnv = "FERRY_CLI_CHILD_ARGS"

// TestCLIChild is the child process of the kill -9 tests; it does nothing in a normal run.
func TestCLIChild(t *testing.T) {
	raw := os.Getenv(childArgsEnv)
	if raw == "" {
		return
	}
	var args []string
	require.NoError(t, json.Unmarshal([]byte(raw), &args))
	os.Exit(Run(context.Background(), args, os.Stdout, os.Stderr))
}

// child is a running `ferry ...` in its own process.
type child struct {
	cmd  *exec.Cmd
	done chan struct{}

	mu     sync.Mutex
	stdout strings.Builder
	stderr []string
	waits  map[string]chan struct{} // stderr substrings someone waits for
}

// startFerry runs `ferry args...` on the history in dataDir.
func startFerry(t *testing.T, dataDir string, args ...string) *child {
	t.Helper()
	raw, err := json.Marshal(args)
	require.NoError(t, err)
	cmd := exec.Command(os.Args[0], "-test.run=^TestCLIChild$", "-test.count=1")
	// The kill and stop tests mark their moment in the SQL bytes a meterProxy counts, as a
	// share of the dump's size: the connections stay plain whatever a busy machine makes
	// the loopback link measure.
	cmd.Env = append(os.Environ(), childArgsEnv+"="+string(raw), "FERRY_DATA_DIR="+dataDir, "FERRY_KEYRING=off",
		engine.CompressionEnv+"=off")
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	errp, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	c := &child{cmd: cmd, done: make(chan struct{}), waits: map[string]chan struct{}{}}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		b, _ := io.ReadAll(out)
		c.mu.Lock()
		c.stdout.Write(b)
		c.mu.Unlock()
	}()
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(errp)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			c.mu.Lock()
			c.stderr = append(c.stderr, line)
			for sub, ch := range c.waits {
				if strings.Contains(line, sub) {
					close(ch)
					delete(c.waits, sub)
				}
			}
			c.mu.Unlock()
		}
	}()
	go func() {
		wg.Wait()
		_ = cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-c.done
	})
	return c
}

// seen returns a channel closed once a stderr line contains sub.
func (c *child) seen(sub string) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan struct{})
	for _, l := range c.stderr {
		if strings.Contains(l, sub) {
			close(ch)
			return ch
		}
	}
	c.waits[sub] = ch
	return ch
}

func (c *child) log() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.stderr, "\n")
}

// kill9 sends SIGKILL and waits for the process to be gone.
func (c *child) kill9(t *testing.T) {
	t.Helper()
	require.NoError(t, c.cmd.Process.Signal(syscall.SIGKILL))
	<-c.done
	require.Equal(t, "signal: killed", c.cmd.ProcessState.String())
}

// wait waits for the child to exit and returns its exit code.
func (c *child) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(d):
		t.Fatalf("ferry %v still running after %s; its log:\n%s", c.cmd.Args, d, c.log())
	}
	return c.cmd.ProcessState.ExitCode()
}

// runFerry runs `ferry args...` to its end.
func runFerry(t *testing.T, dataDir string, args ...string) (int, string, string) {
	t.Helper()
	c := startFerry(t, dataDir, args...)
	code := c.wait(t, 3*time.Minute)
	c.mu.Lock()
	defer c.mu.Unlock()
	return code, c.stdout.String(), strings.Join(c.stderr, "\n")
}

// meterProxy forwards TCP connections to a target, counts the bytes each way and, once
// armed, freezes every connection (nothing more is forwarded either way) when the bytes
// counted reach the mark: the moment a test kills Ferry at.
type meterProxy struct {
	target string
	l      net.Listener
	up     atomic.Int64 // client → server
	down   atomic.Int64 // server → client

	mu      sync.Mutex
	mark    int64
	watch   *atomic.Int64 // the direction counted towards mark, and frozen at it
	tripped chan struct{}
	frozen  *atomic.Int64 // the direction frozen now, or nil
	oneConn bool          // freeze only the connection that reached the mark
	froze   net.Conn      // that connection (its source side)
	conns   []net.Conn
}

func startMeterProxy(t *testing.T, target string) *meterProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &meterProxy{target: target, l: l}
	go p.accept()
	t.Cleanup(func() {
		_ = l.Close()
		p.thaw()
	})
	return p
}

func (p *meterProxy) port() int { return p.l.Addr().(*net.TCPAddr).Port }

// bytes returns the bytes forwarded so far each way.
func (p *meterProxy) bytes() (up, down int64) { return p.up.Load(), p.down.Load() }

// freezeAt arms the proxy: once mark bytes went one way (client to server when up), that
// way freezes on every connection (answers still flow back); the channel closes then.
func (p *meterProxy) freezeAt(mark int64, up, oneConn bool) <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mark, p.watch, p.tripped, p.oneConn = mark, &p.down, make(chan struct{}), oneConn
	if up {
		p.watch = &p.up
	}
	return p.tripped
}

// thaw disarms the proxy and drops the frozen connections (their process is dead).
func (p *meterProxy) thaw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.watch, p.frozen, p.froze = nil, nil, nil
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}

func (p *meterProxy) accept() {
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
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		go p.pipe(s, c, &p.up)
		go p.pipe(c, s, &p.down)
	}
}

func (p *meterProxy) pipe(dst, src net.Conn, n *atomic.Int64) {
	defer func() { _ = dst.Close(); _ = src.Close() }()
	buf, spare := make([]byte, 32<<10), make([]byte, 32<<10)
	for {
		k, err := src.Read(buf)
		if k > 0 {
			// Frozen: nothing more is forwarded (a frozen link is only ever thawed by
			// closing it), but a client that goes away still closes the link, as a dead
			// process's sockets close at once.
			for p.frozenNow(n, src) {
				_ = src.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
				if _, err := src.Read(spare); err != nil && !isTimeout(err) {
					return
				}
			}
			_ = src.SetReadDeadline(time.Time{})
			if _, werr := dst.Write(buf[:k]); werr != nil {
				return
			}
			n.Add(int64(k))
			p.check(n, src)
		}
		if err != nil {
			return
		}
	}
}

func (p *meterProxy) frozenNow(n *atomic.Int64, src net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.frozen == n && (!p.oneConn || p.froze == src)
}

func (p *meterProxy) check(n *atomic.Int64, src net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.watch != n || n.Load() < p.mark {
		return
	}
	p.frozen, p.froze, p.watch = n, src, nil
	close(p.tripped)
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// treeHashes hashes every file under dir (relative slash paths), skipping skip.
func treeHashes(t *testing.T, dir string, skip ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		for _, s := range skip {
			if rel == s {
				return nil
			}
		}
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		sum := sha256.Sum256(b)
		out[rel] = hex.EncodeToString(sum[:])
		return nil
	}))
	return out
}

// rowCounts counts the rows of every base table of a database.
func rowCounts(t *testing.T, db *sql.DB) map[string]int64 {
	t.Helper()
	rows, err := db.Query("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'")
	require.NoError(t, err)
	var names []string
	for rows.Next() {
		var n string
		require.NoError(t, rows.Scan(&n))
		names = append(names, n)
	}
	require.NoError(t, rows.Err())
	rows.Close()
	out := map[string]int64{}
	for _, n := range names {
		var c int64
		require.NoError(t, db.QueryRow(fmt.Sprintf("SELECT COUNT(*) FROM `%s`", n)).Scan(&c))
		out[n] = c
	}
	return out
}

func sum(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}
