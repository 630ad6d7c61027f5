// Package sftp is a transfer.Tree over SFTP (github.com/pkg/sftp on x/crypto/ssh). Reads
// and writes are split into concurrent requests, because pkg/sftp waits one round trip
// per 32 KiB otherwise. Host keys are pinned on first use through a
// transfer.HostKeyStore; a changed key stops the connection before anything moves.
package sftp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"ferry/backend/transfer"
)

// DefaultTimeout is how long a silent server is waited for, at connect and mid-transfer.
const DefaultTimeout = 30 * time.Second

// Config says how to reach and log in to an SFTP server. It holds secrets: never log it.
type Config struct {
	Host string
	Port int // 22 when 0
	User string
	// Password, or PrivateKey (PEM, OpenSSH or PKCS#8) with its Passphrase when
	// encrypted. Both may be set: the key is tried first.
	Password   string
	PrivateKey []byte
	Passphrase string
	// Root is the folder the Tree is rooted at: absolute, or relative to the login's
	// home folder (SFTP logins are usually not chrooted: "public_html").
	Root string
	// MakeRoot creates Root and its parents when Root is missing, on the same login (a
	// new account's docroot); a failure to create it is a *transfer.PathError with Op
	// "mkdir".
	MakeRoot bool
	// Timeout bounds connecting and any wait for the server mid-transfer (default 30 s).
	Timeout time.Duration
	// HostKeys pins the server's host key on first use. HostKeyCallback, when set,
	// replaces it (for callers with their own policy). One of the two is required.
	HostKeys        transfer.HostKeyStore
	HostKeyCallback ssh.HostKeyCallback
	// MaxConcurrentRequests is the number of 32 KiB requests in flight per file
	// (default 64).
	MaxConcurrentRequests int
	// DialContext replaces the TCP dialer (tests put a fault-injecting proxy here).
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// Parking, when set, makes a Pool park its login when it logs out, and take a
	// parked login of the same account before it logs in (park.go).
	Parking *transfer.Parking
}

func (c Config) addr() string {
	port := c.Port
	if port == 0 {
		port = 22
	}
	return net.JoinHostPort(c.Host, strconv.Itoa(port))
}

func (c Config) timeout() time.Duration {
	if c.Timeout <= 0 {
		return DefaultTimeout
	}
	return c.Timeout
}

// Opener returns a transfer.Opener that dials a new connection per call.
func (c Config) Opener() transfer.Opener {
	return func(ctx context.Context) (transfer.Tree, error) { return Dial(ctx, c) }
}

// Client is one SFTP connection rooted at Config.Root. Many goroutines may use it at
// once (each call is its own requests on the shared session, see Pool); cancelling the
// ctx of a call closes the connection.
type Client struct {
	cfg         Config
	conn        net.Conn
	ssh         *ssh.Client
	sftp        *sftp.Client
	root        string
	fingerprint string
	timedOut    atomic.Bool
	packet      int // the largest read or write request
	closeOnce   sync.Once
	done        chan struct{}
}

var (
	_ transfer.Tree          = (*Client)(nil)
	_ transfer.OrderedWriter = (*Client)(nil)
)

// Dial connects, checks the host key, logs in and checks that Root exists.
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	addr := cfg.addr()
	cerr := func(err error) error { return &transfer.ConnectError{Protocol: "SFTP", Addr: addr, Err: err} }
	if cfg.Host == "" {
		return nil, cerr(errors.New("no host given"))
	}
	if cfg.HostKeys == nil && cfg.HostKeyCallback == nil {
		return nil, cerr(errors.New("no host key store: refusing to trust any server blindly"))
	}
	var hostKeyOK, authTried atomic.Bool
	auth, err := authMethods(cfg, &authTried)
	if err != nil {
		return nil, cerr(err)
	}
	timeout := cfg.timeout()
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	dial := cfg.DialContext
	if dial == nil {
		d := &net.Dialer{}
		dial = d.DialContext
	}
	conn, err := dial(dctx, "tcp", addr)
	if err != nil {
		return nil, cerr(dialErr(ctx, err, timeout))
	}
	c := &Client{cfg: cfg, conn: conn, done: make(chan struct{})}
	// The handshake has no context: a deadline bounds a silent server and AfterFunc
	// lets the caller cancel.
	_ = conn.SetDeadline(time.Now().Add(timeout))
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	host := cfg.Host
	sshCfg := &ssh.ClientConfig{
		User: cfg.User,
		Auth: auth,
		HostKeyCallback: func(hostname string, remote net.Addr, key ssh.PublicKey) error {
			c.fingerprint = ssh.FingerprintSHA256(key)
			var err error
			if cfg.HostKeyCallback != nil {
				err = cfg.HostKeyCallback(hostname, remote, key)
			} else {
				err = transfer.CheckHostKey(ctx, cfg.HostKeys, host, addr, c.fingerprint)
			}
			hostKeyOK.Store(err == nil)
			return err
		},
		Timeout: timeout,
	}
	sconn, chans, reqs, err := ssh.NewClientConn(conn, addr, sshCfg)
	if err != nil {
		stop()
		_ = conn.Close()
		switch {
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case errors.Is(err, transfer.ErrHostKey):
			return nil, err
		case isTimeout(err):
			return nil, cerr(&transfer.TimeoutError{After: timeout})
		case hostKeyOK.Load() && authTried.Load() && !isNetErr(err):
			// The server answered every credential with a refusal; a link that died
			// mid-login is a network error instead, and worth a retry.
			return nil, cerr(fmt.Errorf("%w: %w", transfer.ErrAuth, err))
		}
		return nil, cerr(transfer.Transient(err))
	}
	c.ssh = ssh.NewClient(sconn, chans, reqs)
	c.sftp, err = sftp.NewClient(c.ssh,
		sftp.UseConcurrentReads(true),
		sftp.UseConcurrentWrites(true),
		sftp.MaxConcurrentRequestsPerFile(max(cfg.MaxConcurrentRequests, 64)),
	)
	if err != nil {
		stop()
		_ = c.ssh.Close()
		return nil, cerr(fmt.Errorf("start sftp subsystem: %w", transfer.Transient(err)))
	}
	c.packet = defaultPacket
	if openSSHServer(c.ssh.ServerVersion(), c.sftp) {
		_ = sftp.MaxPacketUnchecked(openSSHPacket)(c.sftp) // only sets a size
		c.packet = openSSHPacket
	}
	stop()
	_ = conn.SetDeadline(time.Time{})
	if ctx.Err() != nil {
		_ = c.Close()
		return nil, ctx.Err()
	}
	go c.keepalive(timeout)
	c.root = cfg.Root
	if c.root == "" {
		c.root = "."
	}
	st, err := c.sftp.Stat(c.root)
	if err != nil && cfg.MakeRoot && errors.Is(err, os.ErrNotExist) {
		if merr := c.sftp.MkdirAll(c.root); merr != nil {
			_ = c.Close()
			return nil, c.mapErr(ctx, "mkdir", c.root, merr)
		}
		st, err = c.sftp.Stat(c.root)
	}
	if err != nil {
		_ = c.Close()
		return nil, c.mapErr(ctx, "stat", c.root, err)
	}
	if !st.IsDir() {
		_ = c.Close()
		return nil, &transfer.PathError{Op: "stat", Path: c.root, Err: fmt.Errorf("not a folder: %w", transfer.ErrNotFound)}
	}
	return c, nil
}

// authMethods builds the login methods; each callback sets tried, which is how a
// rejected login is told apart from a broken connection: x/crypto/ssh reports both as
// plain errors.
func authMethods(cfg Config, tried *atomic.Bool) ([]ssh.AuthMethod, error) {
	var out []ssh.AuthMethod
	if len(cfg.PrivateKey) > 0 {
		var signer ssh.Signer
		var err error
		if cfg.Passphrase != "" {
			signer, err = ssh.ParsePrivateKeyWithPassphrase(cfg.PrivateKey, []byte(cfg.Passphrase))
		} else {
			signer, err = ssh.ParsePrivateKey(cfg.PrivateKey)
		}
		var missing *ssh.PassphraseMissingError
		switch {
		case errors.As(err, &missing):
			return nil, fmt.Errorf("private key is encrypted and no passphrase was given: %w", transfer.ErrAuth)
		case err != nil:
			// The parser's own message is dropped: it is of no use to an admin.
			return nil, fmt.Errorf("private key cannot be read (wrong passphrase or not a key): %w", transfer.ErrAuth)
		}
		out = append(out, ssh.PublicKeysCallback(func() ([]ssh.Signer, error) {
			tried.Store(true)
			return []ssh.Signer{signer}, nil
		}))
	}
	if cfg.Password != "" {
		pw := cfg.Password
		out = append(out,
			ssh.PasswordCallback(func() (string, error) {
				tried.Store(true)
				return pw, nil
			}),
			ssh.KeyboardInteractive(func(_, _ string, questions []string, _ []bool) ([]string, error) {
				tried.Store(true)
				answers := make([]string, len(questions))
				for i := range answers {
					answers[i] = pw
				}
				return answers, nil
			}))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no password or private key given: %w", transfer.ErrAuth)
	}
	return out, nil
}

// keepalive asks the server for a reply every third of the timeout; no reply within
// the timeout means a dead or stalled link, and the connection is closed so every
// waiting call fails with a timeout instead of hanging.
func (c *Client) keepalive(timeout time.Duration) {
	tick := time.NewTicker(max(timeout/3, 100*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-tick.C:
		}
		reply := make(chan struct{})
		go func() {
			_, _, _ = c.ssh.SendRequest("keepalive@openssh.com", true, nil)
			close(reply)
		}()
		t := time.NewTimer(timeout)
		select {
		case <-reply:
			t.Stop()
		case <-c.done:
			t.Stop()
			return
		case <-t.C:
			c.timedOut.Store(true)
			_ = c.Close()
			return
		}
	}
}

// Request sizes: 32 KiB is what every SFTP server must take. OpenSSH's sftp-server takes
// up to 256 KiB a message (it says so through limits@openssh.com, which pkg/sftp cannot
// ask): with half that, a WordPress tree costs sshd and sftp-server about a sixth less
// CPU, in fewer requests and replies, and Ferry fewer packets.
const (
	defaultPacket = 32 << 10
	openSSHPacket = 128 << 10
)

// openSSHServer reports whether the server is OpenSSH with an sftp-server recent enough
// to announce its limits (8.7 and later), whose messages may be 256 KiB.
func openSSHServer(version []byte, c *sftp.Client) bool {
	if !strings.HasPrefix(string(version), "SSH-2.0-OpenSSH_") {
		return false
	}
	_, ok := c.HasExtension("limits@openssh.com")
	return ok
}

// MaxPacket is the largest read or write request the Client sends.
func (c *Client) MaxPacket() int { return c.packet }

// Fingerprint is the server's host key fingerprint ("SHA256:..."), for the admin to
// compare with what the hosting provider publishes.
func (c *Client) Fingerprint() string { return c.fingerprint }

// WritesInOrder is false: concurrent writes may leave holes in a partial file.
func (c *Client) WritesInOrder() bool { return false }

// Close ends the connection; it is idempotent and safe to call from any goroutine.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		close(c.done)
		// The socket goes first: closing the SFTP session writes to it, and on a
		// stalled link that write would block forever.
		_ = c.conn.Close()
		if c.sftp != nil {
			_ = c.sftp.Close()
		}
		if c.ssh != nil {
			_ = c.ssh.Close()
		}
	})
	return nil
}

// guard closes the connection if ctx ends while a call is blocked on the server.
func (c *Client) guard(ctx context.Context) func() bool {
	return context.AfterFunc(ctx, func() { _ = c.Close() })
}

func (c *Client) abs(p string) (string, string, error) {
	clean, err := transfer.CleanPath(p)
	if err != nil {
		return "", "", err
	}
	return clean, transfer.JoinRoot(c.root, clean), nil
}

func (c *Client) mapErr(ctx context.Context, op, p string, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%s %s: %w", op, p, ctx.Err())
	}
	var se *sftp.StatusError
	switch {
	case c.timedOut.Load():
		err = fmt.Errorf("%w: %w", &transfer.TimeoutError{After: c.cfg.timeout()}, err)
	case errors.Is(err, os.ErrNotExist):
		err = fmt.Errorf("%w: %w", transfer.ErrNotFound, err)
	case errors.Is(err, os.ErrPermission):
		err = fmt.Errorf("%w: %w", transfer.ErrPermission, err)
	case errors.As(err, &se) && se.FxCode() == sftp.ErrSSHFxFailure && op == "write" && c.full(p):
		err = fmt.Errorf("%w: %w", transfer.ErrNoSpace, err)
	case errors.As(err, &se) && se.FxCode() == sftp.ErrSSHFxNoSuchFile:
		err = fmt.Errorf("%w: %w", transfer.ErrNotFound, err)
	case errors.As(err, &se) && se.FxCode() == sftp.ErrSSHFxPermissionDenied:
		err = fmt.Errorf("%w: %w", transfer.ErrPermission, err)
	case errors.As(err, &se):
		// A server-side failure with a status code: the connection itself is fine.
	default:
		err = transfer.Transient(err)
	}
	return &transfer.PathError{Op: op, Path: p, Err: err}
}

// full reports whether the file system holding p is out of space: OpenSSH answers a
// failed write with a bare SSH_FX_FAILURE, so the free space says what happened.
func (c *Client) full(p string) bool {
	if _, ok := c.sftp.HasExtension("statvfs@openssh.com"); !ok {
		return false
	}
	st, err := c.sftp.StatVFS(p)
	return err == nil && st.FreeSpace() < 64*1024
}

func isNetErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func dialErr(ctx context.Context, err error, timeout time.Duration) error {
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("%w: %w", transfer.ErrRefused, err)
	case isTimeout(err), errors.Is(err, context.DeadlineExceeded):
		return &transfer.TimeoutError{After: timeout}
	}
	return transfer.Transient(err)
}
