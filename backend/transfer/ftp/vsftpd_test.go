package ftp_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/transfer"
	"ferry/backend/transfer/ftp"
	"ferry/backend/transfer/local"
)

// startVsftpd serves root read-only to anonymous logins with Debian's vsftpd, the
// server most shared hosts run, on a free loopback port.
func startVsftpd(t *testing.T, root string) ftp.Config {
	t.Helper()
	bin, err := exec.LookPath("vsftpd")
	if err != nil {
		bin = "/usr/sbin/vsftpd"
	}
	if _, serr := os.Stat(bin); serr != nil || os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatalf("vsftpd (apt-get install vsftpd) and root are needed for this test: %v", serr)
		}
		t.Skip("vsftpd not installed or not root")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	require.NoError(t, os.MkdirAll("/var/run/vsftpd/empty", 0o755))
	require.NoError(t, os.Chmod(root, 0o755)) // the anonymous user reads it after chroot
	conf := filepath.Join(t.TempDir(), "vsftpd.conf")
	require.NoError(t, os.WriteFile(conf, []byte(strings.Join([]string{
		"listen=YES", "listen_ipv6=NO", "listen_address=127.0.0.1", "listen_port=" + strconv.Itoa(port),
		"background=NO", "anonymous_enable=YES", "no_anon_password=YES", "anon_root=" + root,
		"local_enable=NO", "write_enable=NO", "pasv_enable=YES", "seccomp_sandbox=NO",
		"isolate=NO", "isolate_network=NO", "secure_chroot_dir=/var/run/vsftpd/empty",
		"allow_writeable_chroot=YES", "xferlog_enable=NO", "use_localtime=NO", "max_per_ip=0", "max_clients=0",
	}, "\n")+"\n"), 0o644))
	cmd := exec.Command(bin, conf)
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		select {
		case <-exited:
			t.Logf("vsftpd ended early (%v): %s", cmd.ProcessState, out)
		default:
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for deadline := time.Now().Add(5 * time.Second); ; {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.Close()
			break
		}
		require.True(t, time.Now().Before(deadline), "vsftpd did not start: %s", out)
		time.Sleep(20 * time.Millisecond)
	}
	return ftp.Config{Host: "127.0.0.1", Port: port, User: "anonymous", Password: "ferry@example.com", Timeout: 5 * time.Second}
}

// TestVsftpdStatListing lists a real vsftpd with STAT -a: dot files (which vsftpd
// hides from a plain STAT or LIST), spaces and brackets, no data connection per folder.
func TestVsftpdStatListing(t *testing.T) {
	root := t.TempDir()
	files := statTree(t, root)
	cfg := startVsftpd(t, root)
	k := &counter{}
	cfg.DialContext = k.dial
	c, err := ftp.Dial(context.Background(), cfg)
	require.NoError(t, err)
	defer c.Close()
	require.True(t, ftp.Fast(c))
	checkStatListing(t, c, files, false)
	stat, known := ftp.StatHost(c)
	require.True(t, known)
	require.True(t, stat, "vsftpd answers STAT -a with the folder's listing")
	dials := k.dials.Load()
	k.take()
	es, err := c.List(context.Background(), "wp-content")
	require.NoError(t, err)
	require.Equal(t, "wp-content/.htaccess", es[0].Path)
	es, err = c.List(context.Background(), "dir with space")
	require.NoError(t, err)
	require.Len(t, es, 2)
	require.Equal(t, []string{"STAT", "CWD", "STAT"}, k.take())
	require.Equal(t, dials, k.dials.Load(), "STAT needs no data connection")
	checkListMany(t, c, k)
}

// TestVsftpdMirror downloads a tree from vsftpd with Mirror, byte for byte, the listing
// by STAT and the files by the overlapped RETR.
func TestVsftpdMirror(t *testing.T) {
	root := t.TempDir()
	files := statTree(t, root)
	cfg := startVsftpd(t, root)
	out := t.TempDir()
	man, err := transfer.Mirror(context.Background(), cfg.Opener(), local.Opener(out), transfer.MirrorOptions{})
	require.NoError(t, err)
	n := 0
	for rel, body := range files {
		if strings.HasSuffix(rel, "/") {
			require.DirExists(t, filepath.Join(out, rel))
			continue
		}
		n++
		got, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(rel)))
		require.NoError(t, err)
		require.Equal(t, body, string(got), rel)
	}
	require.Len(t, man.Files, n)
}
