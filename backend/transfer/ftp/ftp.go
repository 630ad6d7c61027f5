// Package ftp is a transfer.Tree over FTP and explicit FTPS (github.com/jlaffaye/ftp),
// always in passive mode. Listings use "STAT -a <folder>" on the control connection where
// the server answers it like its data listing (statlist.go), else MLSD where the server
// offers it and "LIST -a" otherwise, because vsftpd hides dot files such as .htaccess
// from a plain LIST, and a site without its .htaccess loses its permalinks. Transfers
// overlap their round trips (fast.go).
package ftp

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"path"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jlaffaye/ftp"

	"ferry/backend/transfer"
)

// DefaultTimeout is how long a silent server is waited for, at connect and mid-transfer.
const DefaultTimeout = 30 * time.Second

// Config says how to reach and log in to an FTP server. It holds a password: never log
// it.
type Config struct {
	Host     string
	Port     int // 21 when 0
	User     string
	Password string
	// Root is the folder the Tree is rooted at, absolute or relative to the login folder
	// (FTP logins are often chrooted: "/public_html").
	Root string
	// MakeRoot creates Root and its parents when Root is missing, on the same login (a
	// new account's docroot); a failure to create it is a *transfer.PathError with Op
	// "mkdir".
	MakeRoot bool
	// TLS upgrades the control and data connections with AUTH TLS (explicit FTPS).
	TLS bool
	// CertFingerprint pins the server certificate's SHA-256 fingerprint (hex, colons
	// allowed). Set, it replaces chain verification, which is how an admin accepts a
	// self-signed certificate; empty, the certificate must verify against RootCAs.
	CertFingerprint string
	// RootCAs replaces the system roots (nil: the system's).
	RootCAs *x509.CertPool
	// Timeout bounds connecting and any wait for the server mid-transfer (default 30 s).
	Timeout time.Duration
	// DialContext replaces the TCP dialer for control and data connections (tests put
	// a fault-injecting proxy here).
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// Parking, when set, makes Opener's Trees park their login when closed, and Opener
	// take a parked login of the same account before it logs in (park.go).
	Parking *transfer.Parking
	// Logins, when set, caps the logins held on the server at once (logins.go); every
	// Config of one server should share it.
	Logins *Logins
}

func (c Config) addr() string {
	port := c.Port
	if port == 0 {
		port = 21
	}
	return net.JoinHostPort(c.Host, strconv.Itoa(port))
}

func (c Config) timeout() time.Duration {
	if c.Timeout <= 0 {
		return DefaultTimeout
	}
	return c.Timeout
}

func (c Config) protocol() string {
	if c.TLS {
		return "FTPS"
	}
	return "FTP"
}

// Opener returns a transfer.Opener that dials a new connection per call, or with
// Parking takes a parked login of the same account first (park.go).
func (c Config) Opener() transfer.Opener {
	if c.Parking != nil {
		return c.parkedOpener()
	}
	return func(ctx context.Context) (transfer.Tree, error) { return Dial(ctx, c) }
}

// Client is one FTP control connection rooted at Config.Root. Use it from one
// goroutine at a time; cancelling the ctx of a call closes the connection.
type Client struct {
	cfg     Config
	conn    *ftp.ServerConn
	root    string // absolute, as the server names it
	mlsd    bool
	listArg string // "-a " when the server needs it to show dot files

	mu      sync.Mutex
	netConn map[net.Conn]struct{} // control and data connections, closed on cancel
	closed  bool

	siteMu      sync.Mutex
	site        *textproto.Conn // a second control connection for SITE commands (site.go)
	siteRelease func()          // gives the second connection's login back (Logins)

	release func() // gives the login back to Config.Logins, once

	// w speaks the per-file commands on jlaffaye/ftp's control connection (fast.go);
	// nil when that is not possible, and every command then goes through jlaffaye/ftp.
	w       *wire
	dataTLS *tls.Config // the data connections' TLS config, shared for session reuse
	rtt     time.Duration
}

var (
	_ transfer.Tree          = (*Client)(nil)
	_ transfer.OrderedWriter = (*Client)(nil)
	_ transfer.Latency       = (*Client)(nil)
)

// RoundTrip is the time the server took to answer PWD at login: the link's round trip.
func (c *Client) RoundTrip() time.Duration { return c.rtt }

// Dial connects, upgrades to TLS when asked, logs in and resolves Root.
// With Config.Logins it first waits for a free login on the server (logins.go).
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	if cfg.Host == "" {
		return nil, &transfer.ConnectError{Protocol: cfg.protocol(), Addr: cfg.addr(), Err: errors.New("no host given")}
	}
	release, _, err := cfg.take(ctx, nil)
	if err != nil {
		return nil, &transfer.ConnectError{Protocol: cfg.protocol(), Addr: cfg.addr(), Err: err}
	}
	return dial(ctx, cfg, release)
}

// dial logs in on a login taken from cfg.Logins; release gives it back, when the login
// fails or the Client closes.
func dial(ctx context.Context, cfg Config, release func()) (_ *Client, err error) {
	defer func() {
		if err != nil {
			release()
		}
	}()
	addr := cfg.addr()
	cerr := func(err error) error { return &transfer.ConnectError{Protocol: cfg.protocol(), Addr: addr, Err: err} }
	timeout := cfg.timeout()
	c := &Client{cfg: cfg, netConn: map[net.Conn]struct{}{}, release: release}
	stop := c.guard(ctx)
	defer stop()
	opts := []ftp.DialOption{
		ftp.DialWithDialFunc(c.dialFunc(ctx, timeout)),
		ftp.DialWithShutTimeout(timeout),
	}
	if cfg.TLS {
		tc, err := tlsConfig(cfg)
		if err != nil {
			return nil, cerr(err)
		}
		opts = append(opts, ftp.DialWithExplicitTLS(tc))
	}
	conn, err := ftp.Dial(addr, opts...)
	if err != nil {
		c.closeConns()
		return nil, cerr(c.connectErr(ctx, err))
	}
	c.conn = conn
	if err := conn.Login(cfg.User, cfg.Password); err != nil {
		_ = c.Close()
		if isNetErr(err) || isTLSErr(err) || ctx.Err() != nil {
			return nil, cerr(c.connectErr(ctx, err))
		}
		if tooMany(err) {
			return nil, cerr(fmt.Errorf("%w: %w", transfer.ErrTooManyConnections, transfer.Transient(err)))
		}
		// Any other refusal at USER or PASS is a rejected login; the reply text can
		// carry the user name but never the password.
		return nil, cerr(fmt.Errorf("%w: %w", transfer.ErrAuth, err))
	}
	c.mlsd = conn.IsTimePreciseInList() // true exactly when MLSD is in use
	c.w = wireOf(conn)
	if !c.mlsd {
		c.listArg = "-a "
	}
	root := cfg.Root
	if root == "" {
		root = "."
	}
	err = conn.ChangeDir(root)
	if err != nil && cfg.MakeRoot && protoCode(err) != 0 {
		if err := c.makeRoot(ctx, root); err != nil {
			_ = c.Close()
			return nil, err
		}
	} else if err != nil {
		_ = c.Close()
		return nil, c.mapErr(ctx, "stat", root, err)
	}
	asked := time.Now()
	c.root, err = conn.CurrentDir()
	c.rtt = time.Since(asked) // PWD costs the server nothing: one round trip
	if err != nil {
		_ = c.Close()
		return nil, c.mapErr(ctx, "stat", root, err)
	}
	if ctx.Err() != nil {
		_ = c.Close()
		return nil, ctx.Err()
	}
	return c, nil
}

func tlsConfig(cfg Config) (*tls.Config, error) {
	tc := &tls.Config{
		ServerName: cfg.Host,
		MinVersion: tls.VersionTLS12,
		RootCAs:    cfg.RootCAs,
		// Each control connection gets its own cache: servers that demand TLS session
		// resumption on the data channel (FileZilla Server, vsftpd's
		// require_ssl_reuse) check that it resumes this control session.
		ClientSessionCache: tls.NewLRUClientSessionCache(4),
	}
	if cfg.CertFingerprint == "" {
		return tc, nil
	}
	want, err := parseFingerprint(cfg.CertFingerprint)
	if err != nil {
		return nil, err
	}
	host := cfg.Host
	tc.InsecureSkipVerify = true // replaced by the pin below, checked on every handshake
	tc.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return &transfer.HostKeyError{Host: host, Want: hex.EncodeToString(want), Got: "no certificate"}
		}
		got := sha256.Sum256(cs.PeerCertificates[0].Raw)
		if string(got[:]) != string(want) {
			return &transfer.HostKeyError{Host: host, Want: hex.EncodeToString(want), Got: hex.EncodeToString(got[:])}
		}
		return nil
	}
	return tc, nil
}

func parseFingerprint(s string) ([]byte, error) {
	s = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(s)), "sha256:")
	b, err := hex.DecodeString(strings.ReplaceAll(s, ":", ""))
	if err != nil || len(b) != sha256.Size {
		return nil, fmt.Errorf("certificate fingerprint must be 64 hex digits (SHA-256), got %q", s)
	}
	return b, nil
}

// Fingerprint returns the SHA-256 fingerprint of a certificate in the form
// CertFingerprint accepts, for showing to the admin who decides to pin it.
func Fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return hex.EncodeToString(sum[:])
}

// Encrypted reports whether the connection uses TLS; the pipeline logs a warning for
// plain FTP, which sends the password and every file in clear text.
func (c *Client) Encrypted() bool { return c.cfg.TLS }

// WritesInOrder is true: an FTP upload is one ordered stream.
func (c *Client) WritesInOrder() bool { return true }

// dialFunc dials the control connection first and data connections after it. Every
// connection gets an idle deadline (a stalled server fails with a timeout instead of
// hanging) and is tracked so cancellation can close it. jlaffaye/ftp does not wrap
// data connections in TLS when a dial function is set, so this does, with the shared
// config whose session cache lets the data channel resume the control session.
func (c *Client) dialFunc(ctx context.Context, timeout time.Duration) func(network, addr string) (net.Conn, error) {
	control := true
	return func(network, addr string) (net.Conn, error) {
		base := ctx
		if !control {
			// A parked login outlives the ctx it was dialled with: its data connections
			// are bounded by the timeout, and each call's guard closes them on cancel.
			base = context.WithoutCancel(ctx)
		}
		dctx, cancel := context.WithTimeout(base, timeout)
		defer cancel()
		var raw net.Conn
		var err error
		if c.cfg.DialContext != nil {
			raw, err = c.cfg.DialContext(dctx, network, addr)
		} else {
			d := net.Dialer{}
			raw, err = d.DialContext(dctx, network, addr)
		}
		if err != nil {
			return nil, err
		}
		conn := net.Conn(&deadlineConn{Conn: raw, timeout: timeout})
		if !c.track(conn) {
			_ = conn.Close()
			return nil, net.ErrClosed
		}
		if control {
			control = false
			if c.cfg.TLS {
				c.dataTLS, _ = tlsConfig(c.cfg) // checked in Dial; the same config serves data
			}
			return conn, nil
		}
		return c.wrapData(conn), nil
	}
}

// dialData dials a data connection for the commands of fast.go, like dialFunc does for
// jlaffaye/ftp's.
func (c *Client) dialData(ctx context.Context, addr string) (net.Conn, error) {
	timeout := c.cfg.timeout()
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var raw net.Conn
	var err error
	if c.cfg.DialContext != nil {
		raw, err = c.cfg.DialContext(dctx, "tcp", addr)
	} else {
		d := net.Dialer{}
		raw, err = d.DialContext(dctx, "tcp", addr)
	}
	if err != nil {
		return nil, err
	}
	conn := net.Conn(&deadlineConn{Conn: raw, timeout: timeout})
	if !c.track(conn) {
		_ = conn.Close()
		return nil, net.ErrClosed
	}
	return c.wrapData(conn), nil
}

func (c *Client) wrapData(conn net.Conn) net.Conn {
	if c.dataTLS != nil {
		return &trackedTLS{Conn: tls.Client(conn, c.dataTLS), c: c, raw: conn}
	}
	return &trackedConn{Conn: conn, c: c}
}

func (c *Client) track(conn net.Conn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.netConn[conn] = struct{}{}
	return true
}

func (c *Client) untrack(conn net.Conn) {
	c.mu.Lock()
	delete(c.netConn, conn)
	c.mu.Unlock()
}

// trackedConn forgets a data connection once jlaffaye/ftp closes it.
type trackedConn struct {
	net.Conn
	c *Client
}

func (t *trackedConn) Close() error { t.c.untrack(t.Conn); return t.Conn.Close() }

// trackedTLS keeps *tls.Conn's Handshake method visible: jlaffaye/ftp calls it for
// empty uploads, which would otherwise never start the TLS session.
type trackedTLS struct {
	*tls.Conn
	c   *Client
	raw net.Conn
}

// Close ends a TLS data connection the orderly way: close_notify, FIN, then read what
// the server still sends (TLS 1.3 session tickets) before closing. Closing a socket
// with unread bytes makes the kernel send a reset, and a server that sees a reset may
// throw away the end of an upload.
func (t *trackedTLS) Close() error {
	t.c.untrack(t.raw)
	if t.Conn.ConnectionState().HandshakeComplete {
		_ = t.Conn.CloseWrite()
		if cw, ok := t.raw.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		}
		_ = t.Conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, _ = io.CopyN(io.Discard, t.Conn, 256*1024) // bounded: an aborted download keeps coming
	}
	return t.Conn.Close()
}

// deadlineConn pushes the deadline forward on every read and write, so only silence
// longer than the timeout fails, however long the whole transfer takes.
type deadlineConn struct {
	net.Conn
	timeout time.Duration
}

func (d *deadlineConn) Read(p []byte) (int, error) {
	_ = d.Conn.SetReadDeadline(time.Now().Add(d.timeout))
	return d.Conn.Read(p)
}

// CloseWrite sends FIN while the connection stays open for reading.
func (d *deadlineConn) CloseWrite() error {
	if cw, ok := d.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

func (d *deadlineConn) Write(p []byte) (int, error) {
	_ = d.Conn.SetWriteDeadline(time.Now().Add(d.timeout))
	return d.Conn.Write(p)
}

func (c *Client) closeConns() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for conn := range c.netConn {
		_ = conn.Close()
	}
	c.netConn = map[net.Conn]struct{}{}
}

// guard closes every connection if ctx ends while a call is blocked on the server.
func (c *Client) guard(ctx context.Context) func() bool {
	return context.AfterFunc(ctx, c.closeConns)
}

// Close says goodbye when it can and ends every connection; it is idempotent and safe
// to call from any goroutine.
func (c *Client) Close() error {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if !closed && c.conn != nil {
		done := make(chan struct{})
		go func() { _ = c.conn.Quit(); close(done) }()
		select {
		case <-done:
		case <-time.After(time.Second): // QUIT is a courtesy, not worth a hang
		}
	}
	c.closeConns()
	c.siteMu.Lock()
	c.dropSite()
	c.siteMu.Unlock()
	if c.release != nil {
		c.release()
	}
	return nil
}

func (c *Client) connectErr(ctx context.Context, err error) error {
	var hk *transfer.HostKeyError
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.As(err, &hk):
		return err
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("%w: %w", transfer.ErrRefused, err)
	case isTimeout(err):
		return &transfer.TimeoutError{After: c.cfg.timeout()}
	case isTLSErr(err):
		return fmt.Errorf("certificate of %s is not trusted (pin its SHA-256 fingerprint to accept a self-signed one): %w", c.cfg.Host, err)
	}
	if tooMany(err) {
		return fmt.Errorf("%w: %w", transfer.ErrTooManyConnections, transfer.Transient(err))
	}
	return transfer.Transient(err)
}

// tooMany reports a server refusing one more connection from this account: a 421
// (service not available, which is what servers answer at their limit), or a 530
// whose text says so (Pure-FTPd, ProFTPD: "Sorry, the maximum number of clients ...").
func tooMany(err error) bool {
	var te *textproto.Error
	if !errors.As(err, &te) {
		return false
	}
	msg := strings.ToLower(te.Msg)
	return te.Code == ftp.StatusNotAvailable ||
		te.Code == ftp.StatusNotLoggedIn && (strings.Contains(msg, "too many") || strings.Contains(msg, "maximum") || strings.Contains(msg, "connections"))
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded)
}

func isNetErr(err error) bool {
	var ne net.Error
	var oe *net.OpError
	return errors.As(err, &ne) || errors.As(err, &oe) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

func isTLSErr(err error) bool {
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	var hk *transfer.HostKeyError
	return errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &ci) || errors.As(err, &hk)
}

// makeRoot creates the missing folder root (absolute, or relative to the login folder) with
// its parents, and changes into it.
func (c *Client) makeRoot(ctx context.Context, root string) error {
	base, rel := "/", strings.TrimPrefix(path.Clean(root), "/")
	if !path.IsAbs(root) {
		var err error
		if base, err = c.conn.CurrentDir(); err != nil {
			return c.mapErr(ctx, "stat", root, err)
		}
	}
	c.root = base
	if err := c.mkdirAll(ctx, rel, transfer.JoinRoot(base, rel)); err != nil {
		return err
	}
	if err := c.conn.ChangeDir(root); err != nil {
		return c.mapErr(ctx, "stat", root, err)
	}
	return nil
}
