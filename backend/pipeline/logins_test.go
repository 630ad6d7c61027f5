package pipeline_test

import (
	"context"
	"io"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/transfer"
	"ferry/backend/transfer/transfertest"
)

// TestSFTPMigrationLogsInOncePerServer migrates SFTP to SFTP and counts the SSH
// connections each server saw: the source's steps (Analyse source, Download files) share
// one login, and so do the destination's (Check destination, Upload files, keeping
// modes, Configure WordPress); each logged in on its own before. Upload files adds one
// login of its own beside the shared one (secondLogin): two in all.
func TestSFTPMigrationLogsInOncePerServer(t *testing.T) {
	h := newHarness(t)
	in, s, _, _ := sftpToFTP(t)
	destDir := t.TempDir()
	dst := transfertest.StartSFTP(t, destDir, transfertest.SFTPOptions{})
	link := transfertest.NewDelay(t, time.Millisecond)
	srcAddr := in.Source.Host + ":" + itoa(in.Source.Port)
	in.Source.Port = link.Listen(srcAddr)
	in.Destination.Protocol, in.Destination.Host, in.Destination.Port = "sftp", dst.Host, link.Listen(dst.Addr())
	in.Destination.User, in.Destination.Password, in.Destination.Path = dst.User, dst.Password, "."
	d, err := h.svc.CreateMigration(context.Background(), in)
	require.NoError(t, err)
	start := time.Now()
	d = h.waitDone(t, d.ID)
	t.Logf("migration took %s", time.Since(start))
	require.Equal(t, "successful", d.Status, "reason: %s", d.FailureReason)
	require.Positive(t, requireSameFiles(t, s.Dir, destDir))
	t.Logf("SSH logins: source %d, destination %d", link.DialsTo(srcAddr), link.DialsTo(dst.Addr()))
	require.Equal(t, 1, link.DialsTo(srcAddr), "source logins")
	require.Equal(t, 2, link.DialsTo(dst.Addr()), "destination logins: the steps' shared one and the upload's second")
}

// TestFTPMigrationDownloadsOnAnalyseLogins migrates FTP (listing like vsftpd) to SFTP and
// counts the logins each server took: Download files reuses the FTP logins Analyse
// source listed with instead of logging in again (12 FTP logins before: 8 to list, 4 to
// download), and the destination's steps share one SSH login, Upload files adding a
// second of its own.
func TestFTPMigrationDownloadsOnAnalyseLogins(t *testing.T) {
	h := newHarness(t)
	in, s, _, _ := sftpToFTP(t)
	src := transfertest.StartFTP(t, s.Dir, transfertest.FTPOptions{DisableMLSD: true, StatDashA: true})
	destDir := t.TempDir()
	dst := transfertest.StartSFTP(t, destDir, transfertest.SFTPOptions{})
	link := transfertest.NewDelay(t, 0)
	in.Method, in.Source.Protocol, in.Source.Host, in.Source.Port = "ftp", "ftp", src.Host, src.Port
	in.Source.User, in.Source.Password, in.Source.Path = src.User, src.Password, "/"
	in.Destination.Protocol, in.Destination.Host, in.Destination.Port = "sftp", dst.Host, link.Listen(dst.Addr())
	in.Destination.User, in.Destination.Password, in.Destination.Path = dst.User, dst.Password, "."
	d, err := h.svc.CreateMigration(context.Background(), in)
	require.NoError(t, err)
	d = h.waitDone(t, d.ID)
	require.Equal(t, "successful", d.Status, "reason: %s", d.FailureReason)
	require.Positive(t, requireSameFiles(t, s.Dir, destDir))
	t.Logf("logins: FTP source %d, SSH destination %d", src.Logins.Load(), link.DialsTo(dst.Addr()))
	require.LessOrEqual(t, src.Logins.Load(), int64(transfer.ListConnections), "source FTP logins")
	require.Equal(t, 2, link.DialsTo(dst.Addr()), "destination SSH logins: the steps' shared one and the upload's second")
}

func itoa(n int) string { return strconv.Itoa(n) }

// oneSessionProxy forwards to target one TCP connection at a time, as a host that allows
// one SSH session per account: a connection opened while another is up is closed at once.
// It returns its port and the count of connections it refused.
func oneSessionProxy(t *testing.T, target string) (int, *atomic.Int64) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	var refused atomic.Int64
	var busy atomic.Bool
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			if !busy.CompareAndSwap(false, true) {
				refused.Add(1)
				_ = c.Close()
				continue
			}
			go func() {
				defer busy.Store(false)
				defer c.Close()
				s, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer s.Close()
				done := make(chan struct{}, 2)
				go func() { _, _ = io.Copy(s, c); done <- struct{}{} }()
				go func() { _, _ = io.Copy(c, s); done <- struct{}{} }()
				<-done
			}()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port, &refused
}

// TestUploadGoesOnWhenTheSecondLoginIsRefused: a destination that allows one SSH session
// per account refuses Upload files' second login; the migration still ends Successful,
// every file on the destination as on the source, uploaded on the steps' one login.
func TestUploadGoesOnWhenTheSecondLoginIsRefused(t *testing.T) {
	h := newHarness(t)
	in, s, _, _ := sftpToFTP(t)
	destDir := t.TempDir()
	dst := transfertest.StartSFTP(t, destDir, transfertest.SFTPOptions{})
	port, refused := oneSessionProxy(t, dst.Addr())
	in.Destination.Protocol, in.Destination.Host, in.Destination.Port = "sftp", "127.0.0.1", port
	in.Destination.User, in.Destination.Password, in.Destination.Path = dst.User, dst.Password, "."
	d, err := h.svc.CreateMigration(context.Background(), in)
	require.NoError(t, err)
	d = h.waitDone(t, d.ID)
	require.Equal(t, "successful", d.Status, "reason: %s", d.FailureReason)
	require.Positive(t, refused.Load(), "the second login was refused")
	require.Positive(t, requireSameFiles(t, s.Dir, destDir))
}
