// Package routetest starts the real servers the database-route tests talk to: Debian's
// OpenSSH sshd (own host key and authorized_keys in a temporary folder, a free loopback
// port, forwarding on or off), Debian's php built-in web server, and a password-protected
// MariaDB user. A missing program skips the test on a developer machine and fails it under
// CI=true.
package routetest

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"ferry/backend/mysqldb/mysqltest"
)

// need finds a program or ends the test.
func need(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is needed for this test (apt-get install %s): %v", name, pkg, err)
		}
		t.Skipf("%s not installed", name)
	}
	return p
}

// freeAddr returns a free port on ip.
func freeAddr(t testing.TB, ip string) string {
	t.Helper()
	l, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// startOn starts the server cmd(addr) makes on a free port of ip and returns its address.
// Between freeAddr closing its probe and the server binding the port, another process of
// the machine (parallel tests) may take it: a server that exits before it listens is
// started again on another port. listening(addr) is the line the server prints once it
// listens there: a connection to the port alone may reach that other process.
func startOn(t testing.TB, ip string, listening func(addr string) string, cmd func(addr string) *exec.Cmd) string {
	t.Helper()
	for attempt := 1; ; attempt++ {
		addr := freeAddr(t, ip)
		err := start(t, cmd(addr), addr, listening(addr))
		if err == nil {
			return addr
		}
		if attempt == 5 {
			t.Fatal(err)
		}
	}
}

// syncBuffer is a bytes.Buffer that a process writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs c until the test ends and waits until it says it listens on addr (its output
// holds listening); an error means it exited first (its output says why) or never
// listened.
func start(t testing.TB, c *exec.Cmd, addr, listening string) error {
	t.Helper()
	out := &syncBuffer{}
	c.Stdout, c.Stderr = out, out
	newProcessGroup(c)
	c.WaitDelay = 2 * time.Second
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = c.Wait(); close(exited) }()
	t.Cleanup(func() {
		killGroup(c) // the server and its session children
		<-exited
	})
	// A loaded machine can take seconds to start a php or an sshd.
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		select {
		case <-exited: // out is complete once Wait returned
			return fmt.Errorf("server for %s exited: %s", addr, out.String())
		case <-time.After(20 * time.Millisecond):
		}
		if strings.Contains(out.String(), listening) {
			if conn, err := net.Dial("tcp", addr); err == nil {
				conn.Close()
				return nil
			}
		}
	}
	killGroup(c)
	<-exited
	return fmt.Errorf("server at %s did not start: %s", addr, out.String())
}

// SSHD is a running sshd and a key that logs in to it.
type SSHD struct {
	Addr string
	User string
	Key  []byte // PEM private key
}

// Client logs in.
func (s SSHD) Client(t testing.TB) *ssh.Client {
	t.Helper()
	signer, err := ssh.ParsePrivateKey(s.Key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ssh.Dial("tcp", s.Addr, &ssh.ClientConfig{User: s.User, Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// StartSSHD starts Debian's sshd on a free port of ip for the current user, with TCP
// forwarding allowed or not (AllowTcpForwarding no, as many hosts set it).
func StartSSHD(t testing.TB, ip string, forwarding bool, extra ...string) SSHD {
	t.Helper()
	bin := "/usr/sbin/sshd"
	if _, err := os.Stat(bin); err != nil {
		bin = need(t, "sshd", "openssh-server")
	}
	dir := t.TempDir()
	_, hostKey, _ := ed25519.GenerateKey(rand.Reader)
	writeKey(t, filepath.Join(dir, "host_ed25519"), hostKey)
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), ssh.MarshalAuthorizedKey(sp), 0o600); err != nil {
		t.Fatal(err)
	}
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	fwd := "no"
	if forwarding {
		fwd = "yes"
	}
	if os.Geteuid() == 0 {
		_ = os.MkdirAll("/run/sshd", 0o755) // privilege separation folder sshd wants as root
	}
	cfgPath := filepath.Join(dir, "sshd_config")
	listening := func(addr string) string {
		host, port, _ := net.SplitHostPort(addr)
		return "Server listening on " + host + " port " + port + "."
	}
	addr := startOn(t, ip, listening, func(addr string) *exec.Cmd {
		host, port, _ := net.SplitHostPort(addr)
		conf := fmt.Sprintf("ListenAddress %s\nPort %s\nHostKey %s\nAuthorizedKeysFile %s\nPasswordAuthentication no\n"+
			"KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nPidFile %s\nAllowTcpForwarding %s\nPermitRootLogin prohibit-password\n",
			host, port, filepath.Join(dir, "host_ed25519"), filepath.Join(dir, "authorized_keys"), filepath.Join(dir, "sshd.pid"), fwd)
		for _, l := range extra {
			conf += l + "\n"
		}
		if err := os.WriteFile(cfgPath, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		return exec.Command(bin, "-D", "-e", "-f", cfgPath)
	})
	return SSHD{Addr: addr, User: u.Username, Key: pemKey(t, key)}
}

func pemKey(t testing.TB, k ed25519.PrivateKey) []byte {
	b, err := ssh.MarshalPrivateKey(k, "")
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(b)
}

func writeKey(t testing.TB, path string, k ed25519.PrivateKey) {
	if err := os.WriteFile(path, pemKey(t, k), 0o600); err != nil {
		t.Fatal(err)
	}
}

// StartPHP serves docroot with Debian's php built-in web server (ini settings as
// "name=value") on a free port of ip and returns its base URL.
func StartPHP(t testing.TB, ip, docroot string, ini ...string) string {
	t.Helper()
	bin := need(t, "php", "php-cli php-mysql")
	listening := func(addr string) string { return "Development Server (http://" + addr + ") started" }
	return "http://" + startOn(t, ip, listening, func(addr string) *exec.Cmd {
		var args []string
		for _, s := range ini {
			args = append(args, "-d", s)
		}
		return exec.Command(bin, append(args, "-S", addr, "-t", docroot)...)
	})
}

// DBUser creates a MariaDB user with a random password and every right on database name,
// for both the server's socket (localhost) and 127.0.0.1; it is dropped when the test ends.
func DBUser(t testing.TB, name string) (user, password string) {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	user = "ferry_u_" + hex.EncodeToString(b[:])
	_, _ = rand.Read(b[:])
	password = "pw'\"x" + hex.EncodeToString(b[:])
	db, err := sql.Open("mysql", mysqltest.ServerDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q := func(s string) string { return "'" + stringsReplace(s) + "'" }
	for _, h := range []string{"localhost", "127.0.0.1"} {
		for _, s := range []string{
			fmt.Sprintf("CREATE USER %s@%s IDENTIFIED BY %s", q(user), q(h), q(password)),
			fmt.Sprintf("GRANT ALL ON `%s`.* TO %s@%s", name, q(user), q(h)),
		} {
			if _, err := db.Exec(s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
	}
	t.Cleanup(func() {
		db, err := sql.Open("mysql", mysqltest.ServerDSN(t))
		if err != nil {
			return
		}
		defer db.Close()
		for _, h := range []string{"localhost", "127.0.0.1"} {
			_, _ = db.Exec(fmt.Sprintf("DROP USER IF EXISTS %s@%s", q(user), q(h)))
		}
	})
	return user, password
}

func stringsReplace(s string) string {
	var b bytes.Buffer
	for _, c := range []byte(s) {
		if c == '\'' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	return b.String()
}

// Socket is the test server's Unix socket when it has the usual one ("" when not).
func Socket() string {
	for _, p := range []string{"/run/mysqld/mysqld.sock", "/var/run/mysqld/mysqld.sock", "/tmp/mysql.sock"} {
		if st, err := os.Stat(p); err == nil && st.Mode()&os.ModeSocket != 0 {
			return p
		}
	}
	return ""
}

// PathWithout returns a folder holding only the shell tools the SSH command route uses
// (no MySQL client programs), for a PATH of a server without them.
func PathWithout(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range []string{"sh", "bash", "env", "mktemp", "cat", "rm", "printf", "head"} {
		p, err := exec.LookPath(n)
		if err != nil {
			continue
		}
		if err := os.Symlink(p, filepath.Join(dir, n)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
