// Package transfertest holds what every transfer test needs: real FTP, FTPS and SFTP
// servers running in the test process on 127.0.0.1, a fault-injecting TCP proxy, and
// the contract suite (RunContract) that every transfer.Tree implementation must pass.
// Other packages (pipeline, runner) start the same servers in their own tests.
package transfertest

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ftpserver "github.com/fclairamb/ftpserverlib"
	"github.com/gliderlabs/ssh"
	"github.com/pkg/sftp"
	"github.com/spf13/afero"
	"github.com/stretchr/testify/require"
	gossh "golang.org/x/crypto/ssh"
)

// Test credentials. They are fixed so a failing test prints something recognisable,
// and never real.
const (
	User     = "ferry"
	Password = "correct-horse-battery"
	// Passphrase protects SFTPServer.EncryptedKey.
	Passphrase = "key-passphrase"
)

// FTPOptions configures StartFTP.
type FTPOptions struct {
	// TLS requires explicit FTPS (AUTH TLS) with a fresh self-signed certificate.
	TLS bool
	// DisableMLSD makes the server list with LIST only, like vsftpd, so clients must
	// ask for dot files with "LIST -a".
	DisableMLSD bool
	// ReadOnly refuses every write with a permission error.
	ReadOnly bool
	// MaxLogins, when set, refuses a login beyond that many at once with "530 ... too
	// many connections", the way shared hosts cap an account.
	MaxLogins int
	// StatDashA answers "STAT -a <folder>" with the folder's listing on the control
	// connection, as vsftpd, ProFTPD and Pure-FTPd do (ftpserverlib alone takes "-a"
	// for part of the path and refuses it).
	StatDashA bool
}

// FTPServer is a running in-process FTP server.
type FTPServer struct {
	Host     string
	Port     int
	User     string
	Password string
	// CertFingerprint is the SHA-256 of the self-signed certificate (hex), set with TLS.
	CertFingerprint string
	// CertPool trusts the certificate, for tests of chain verification.
	CertPool *x509.CertPool
	// PeakLogins is the most logins the server held at once.
	PeakLogins *atomic.Int64
	// Logins is how many logins the server accepted so far.
	Logins *atomic.Int64
	// Reads is how many files the server opened for a client to read (RETR).
	Reads *atomic.Int64
	// Active is how many logins the server holds now (a login ends when its client
	// disconnects).
	Active *atomic.Int64
}

// Addr is host:port.
func (s *FTPServer) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

type ftpDriver struct {
	root string
	opts FTPOptions
	tls  *tls.Config

	mu     sync.Mutex
	authed map[uint32]bool
	peak   *atomic.Int64
	logins *atomic.Int64
	reads  *atomic.Int64
	active *atomic.Int64
}

func (d *ftpDriver) GetSettings() (*ftpserver.Settings, error) {
	s := &ftpserver.Settings{
		ListenAddr:             "127.0.0.1:0",
		DisableMLSD:            d.opts.DisableMLSD,
		DisableMLST:            d.opts.DisableMLSD,
		DefaultTransferType:    ftpserver.TransferTypeBinary,
		DisableASCIIConversion: true,
		IdleTimeout:            60,
		ConnectionTimeout:      10,
	}
	if d.opts.TLS {
		s.TLSRequired = ftpserver.MandatoryEncryption
	}
	return s, nil
}

func (d *ftpDriver) ClientConnected(ftpserver.ClientContext) (string, error) {
	return "Ferry test FTP server", nil
}

func (d *ftpDriver) ClientDisconnected(cc ftpserver.ClientContext) {
	d.mu.Lock()
	if d.authed[cc.ID()] {
		d.active.Add(-1)
	}
	delete(d.authed, cc.ID())
	d.mu.Unlock()
}

func (d *ftpDriver) AuthUser(cc ftpserver.ClientContext, user, pass string) (ftpserver.ClientDriver, error) {
	if user != User || pass != Password {
		return nil, errors.New("login incorrect")
	}
	d.mu.Lock()
	if d.opts.MaxLogins > 0 && len(d.authed) >= d.opts.MaxLogins {
		d.mu.Unlock()
		return nil, errors.New("too many connections for this account")
	}
	if !d.authed[cc.ID()] {
		d.active.Add(1)
	}
	d.authed[cc.ID()] = true
	d.logins.Add(1)
	if n := int64(len(d.authed)); n > d.peak.Load() {
		d.peak.Store(n)
	}
	d.mu.Unlock()
	var fs afero.Fs = afero.NewBasePathFs(afero.NewOsFs(), d.root)
	if d.opts.ReadOnly {
		fs = afero.NewReadOnlyFs(fs)
	}
	if d.opts.StatDashA {
		fs = statDashA{fs}
	}
	return countReads{fs, d.reads}, nil
}

func (d *ftpDriver) GetTLSConfig() (*tls.Config, error) {
	if d.tls == nil {
		return nil, errors.New("tls not enabled")
	}
	return d.tls, nil
}

// StartFTP serves rootDir over FTP (or FTPS) on 127.0.0.1 until the test ends.
func StartFTP(t testing.TB, rootDir string, opts FTPOptions) *FTPServer {
	t.Helper()
	d := &ftpDriver{root: rootDir, opts: opts, authed: map[uint32]bool{}, peak: &atomic.Int64{}, logins: &atomic.Int64{},
		reads: &atomic.Int64{}, active: &atomic.Int64{}}
	srv := &FTPServer{Host: "127.0.0.1", User: User, Password: Password, PeakLogins: d.peak, Logins: d.logins,
		Reads: d.reads, Active: d.active}
	if opts.TLS {
		cert, leaf := selfSignedCert(t)
		d.tls = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		sum := sha256.Sum256(leaf.Raw)
		srv.CertFingerprint = hex.EncodeToString(sum[:])
		srv.CertPool = x509.NewCertPool()
		srv.CertPool.AddCert(leaf)
	}
	s := ftpserver.NewFtpServer(d)
	require.NoError(t, s.Listen())
	go func() { _ = s.Serve() }()
	t.Cleanup(func() { _ = s.Stop() })
	host, port, err := net.SplitHostPort(s.Addr())
	require.NoError(t, err)
	srv.Host = host
	srv.Port, err = strconv.Atoi(port)
	require.NoError(t, err)
	return srv
}

func selfSignedCert(t testing.TB) (tls.Certificate, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	leaf, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, leaf
}

// SFTPOptions configures StartSFTP.
type SFTPOptions struct {
	// HostKey replaces the freshly generated host key (to play a server whose key
	// changed, or one that keeps its key across restarts).
	HostKey gossh.Signer
	// ReadOnly refuses every write with a permission error.
	ReadOnly bool
	// AllowTCPForwarding lets clients open direct-tcpip channels (ssh -L), which is how
	// Ferry reaches a MySQL server listening only on the SSH host's loopback.
	AllowTCPForwarding bool
	// ForwardTo maps a forward's requested "host:port" to the address the server really
	// dials, so a test can make a service reachable only through the SSH server: the
	// client asks for an address where nothing listens, and only a forward gets through.
	ForwardTo map[string]string
	// SFTPServer, when set, is the path of OpenSSH's sftp-server: each session runs it
	// (in rootDir) instead of pkg/sftp's server, and the server names itself OpenSSH, so
	// the client meets what OpenSSH's limits allow.
	SFTPServer string
}

// SFTPServer is a running in-process SFTP server. Logins land in Root, the way an
// unchrooted OpenSSH login lands in its home folder: relative paths resolve there.
type SFTPServer struct {
	Host     string
	Port     int
	User     string
	Password string
	// PrivateKey is an authorised OpenSSH private key without passphrase; EncryptedKey
	// is another authorised key protected by Passphrase.
	PrivateKey   []byte
	EncryptedKey []byte
	// Fingerprint is the host key's "SHA256:..." fingerprint; HostKey the key itself.
	Fingerprint string
	HostKey     gossh.Signer
	// Forwards counts the direct-tcpip channels (ssh -L forwards) the server opened.
	Forwards *atomic.Int64
}

// Addr is host:port.
func (s *SFTPServer) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// NewHostKey returns a fresh ed25519 host key.
func NewHostKey(t testing.TB) gossh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	s, err := gossh.NewSignerFromKey(priv)
	require.NoError(t, err)
	return s
}

// StartSFTP serves rootDir over SFTP on 127.0.0.1 until the test ends; password and
// public-key logins work.
func StartSFTP(t testing.TB, rootDir string, opts SFTPOptions) *SFTPServer {
	t.Helper()
	hostKey := opts.HostKey
	if hostKey == nil {
		hostKey = NewHostKey(t)
	}
	plain, plainPub := clientKey(t, "")
	enc, encPub := clientKey(t, Passphrase)
	var serverOpts []sftp.ServerOption
	serverOpts = append(serverOpts, sftp.WithServerWorkingDirectory(rootDir))
	if opts.ReadOnly {
		serverOpts = append(serverOpts, sftp.ReadOnly())
	}
	srv := &ssh.Server{
		Handler: func(s ssh.Session) { _ = s.Exit(1) },
		PasswordHandler: func(ctx ssh.Context, pass string) bool {
			return ctx.User() == User && pass == Password
		},
		PublicKeyHandler: func(ctx ssh.Context, key ssh.PublicKey) bool {
			return ctx.User() == User && (ssh.KeysEqual(key, plainPub) || ssh.KeysEqual(key, encPub))
		},
		SubsystemHandlers: map[string]ssh.SubsystemHandler{
			"sftp": func(s ssh.Session) {
				server, err := sftp.NewServer(s, serverOpts...)
				if err != nil {
					return
				}
				_ = server.Serve()
				_ = server.Close()
			},
		},
	}
	if opts.SFTPServer != "" {
		srv.Version = "OpenSSH_9.2p1 Ferry-test"
		srv.SubsystemHandlers["sftp"] = func(s ssh.Session) {
			cmd := exec.Command(opts.SFTPServer, "-d", rootDir)
			cmd.Stdin, cmd.Stdout, cmd.Stderr = s, s, io.Discard
			_ = cmd.Run()
		}
	}
	forwards := &atomic.Int64{}
	if opts.AllowTCPForwarding {
		srv.LocalPortForwardingCallback = func(ssh.Context, string, uint32) bool { return true }
		srv.ChannelHandlers = map[string]ssh.ChannelHandler{
			"session": ssh.DefaultSessionHandler,
			"direct-tcpip": func(srv *ssh.Server, conn *gossh.ServerConn, ch gossh.NewChannel, ctx ssh.Context) {
				forwards.Add(1)
				ssh.DirectTCPIPHandler(srv, conn, forwardTo(ch, opts.ForwardTo), ctx)
			},
		}
	}
	srv.AddHostKey(hostKey)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	addr := l.Addr().(*net.TCPAddr)
	return &SFTPServer{
		Host: "127.0.0.1", Port: addr.Port, User: User, Password: Password,
		PrivateKey: plain, EncryptedKey: enc,
		Fingerprint: gossh.FingerprintSHA256(hostKey.PublicKey()), HostKey: hostKey,
		Forwards: forwards,
	}
}

// forwardData is the payload of a direct-tcpip channel request (RFC 4254 7.2).
type forwardData struct {
	DestAddr   string
	DestPort   uint32
	OriginAddr string
	OriginPort uint32
}

// rewrittenChannel is a channel request whose destination was mapped by ForwardTo.
type rewrittenChannel struct {
	gossh.NewChannel
	extra []byte
}

func (c rewrittenChannel) ExtraData() []byte { return c.extra }

func forwardTo(ch gossh.NewChannel, to map[string]string) gossh.NewChannel {
	var d forwardData
	if len(to) == 0 || gossh.Unmarshal(ch.ExtraData(), &d) != nil {
		return ch
	}
	target, ok := to[net.JoinHostPort(d.DestAddr, strconv.Itoa(int(d.DestPort)))]
	if !ok {
		return ch
	}
	host, port, err := net.SplitHostPort(target)
	if err != nil {
		return ch
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return ch
	}
	d.DestAddr, d.DestPort = host, uint32(p)
	return rewrittenChannel{NewChannel: ch, extra: gossh.Marshal(&d)}
}

func clientKey(t testing.TB, passphrase string) ([]byte, gossh.PublicKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	var block *pem.Block
	if passphrase == "" {
		block, err = gossh.MarshalPrivateKey(priv, "ferry test")
	} else {
		block, err = gossh.MarshalPrivateKeyWithPassphrase(priv, "ferry test", []byte(passphrase))
	}
	require.NoError(t, err)
	sshPub, err := gossh.NewPublicKey(pub)
	require.NoError(t, err)
	return pem.EncodeToMemory(block), sshPub
}

// RefusedAddr returns a loopback address where nothing listens.
func RefusedAddr(t testing.TB) (string, int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return "127.0.0.1", port
}

// SilentAddr returns a loopback address that accepts connections and never says a
// word, the way a firewalled or hung server behaves.
func SilentAddr(t testing.TB) (string, int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return "127.0.0.1", l.Addr().(*net.TCPAddr).Port
}

// statDashA maps the path ftpserverlib makes of "STAT -a <arg>" (the folder it was in,
// then "/-a <arg>") to <arg>.
type statDashA struct{ afero.Fs }

func (s statDashA) strip(name string) string {
	i := strings.Index(name, "/-a ")
	if i < 0 {
		return name
	}
	arg := name[i+4:]
	if arg == "" {
		return "/" // "-a /" joined to the folder and cleaned: its slash is gone
	}
	if path.IsAbs(arg) {
		return arg
	}
	return path.Join(name[:i], arg)
}

func (s statDashA) Stat(name string) (os.FileInfo, error) { return s.Fs.Stat(s.strip(name)) }
func (s statDashA) Open(name string) (afero.File, error)  { return s.Fs.Open(s.strip(name)) }

// countReads counts the files (not folders) opened for reading.
type countReads struct {
	afero.Fs
	n *atomic.Int64
}

func (c countReads) count(f afero.File, err error) (afero.File, error) {
	if err == nil {
		if fi, serr := f.Stat(); serr == nil && !fi.IsDir() {
			c.n.Add(1)
		}
	}
	return f, err
}

func (c countReads) Open(name string) (afero.File, error) { return c.count(c.Fs.Open(name)) }

func (c countReads) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	if flag&(os.O_WRONLY|os.O_RDWR) != 0 {
		return c.Fs.OpenFile(name, flag, perm)
	}
	return c.count(c.Fs.OpenFile(name, flag, perm))
}
