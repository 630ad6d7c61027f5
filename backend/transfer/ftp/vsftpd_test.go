package ftp_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/transfer"
	"ferry/backend/transfer/ftp"
	"ferry/backend/transfer/local"
)

// startVsftpd serves root read-only to anonymous logins with Debian's vsftpd, the
// server most shared hosts run, on a free loopback port. The test accepts each
// connection and hands it to a vsftpd of its own (inetd mode, listen=NO): vsftpd's
// standalone parent sometimes exits (status 2) when sessions come and go quickly.
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
	require.NoError(t, os.MkdirAll("/var/run/vsftpd/empty", 0o755))
	require.NoError(t, os.Chmod(root, 0o755)) // the anonymous user reads it after chroot
	conf := filepath.Join(t.TempDir(), "vsftpd.conf")
	require.NoError(t, os.WriteFile(conf, []byte(strings.Join([]string{
		"listen=NO", "listen_ipv6=NO", "anonymous_enable=YES", "no_anon_password=YES", "anon_root=" + root,
		"local_enable=NO", "write_enable=NO", "pasv_enable=YES", "seccomp_sandbox=NO",
		"isolate=NO", "isolate_network=NO", "secure_chroot_dir=/var/run/vsftpd/empty",
		"allow_writeable_chroot=YES", "xferlog_enable=NO", "use_localtime=NO",
	}, "\n")+"\n"), 0o644))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var mu sync.Mutex
	var procs []*exec.Cmd
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			f, err := c.(*net.TCPConn).File()
			_ = c.Close()
			if err != nil {
				continue
			}
			cmd := exec.Command(bin, conf)
			cmd.Stdin, cmd.Stdout = f, f
			err = cmd.Start()
			_ = f.Close()
			if err != nil {
				continue
			}
			mu.Lock()
			procs = append(procs, cmd)
			mu.Unlock()
			go func() { _ = cmd.Wait() }()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, p := range procs {
			_ = p.Process.Kill()
		}
	})
	ftp.Forget("127.0.0.1", l.Addr().(*net.TCPAddr).Port, "anonymous")
	return ftp.Config{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port, User: "anonymous", Password: "ferry@example.com", Timeout: 5 * time.Second}
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
