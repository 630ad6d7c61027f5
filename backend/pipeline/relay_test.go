package pipeline_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/events"
	"ferry/backend/hostlimit"
	"ferry/backend/migration"
	"ferry/backend/pipeline"
	"ferry/backend/runner"
	"ferry/backend/service"
	"ferry/backend/transfer"
	"ferry/backend/transfer/transfertest"
)

// addFiles writes n files of size bytes each (distinct contents) under
// wp-content/uploads/relay/ of the site in dir and returns their total size.
func addFiles(t *testing.T, dir string, n, size int) int64 {
	t.Helper()
	for i := range n {
		p := filepath.Join(dir, "wp-content", "uploads", "relay", fmt.Sprintf("%02d", i%20), fmt.Sprintf("f%04d.jpg", i))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		b := bytes.Repeat([]byte(fmt.Sprintf("%06d", i)), size/6+1)[:size]
		require.NoError(t, os.WriteFile(p, b, 0o644))
	}
	return int64(n * size)
}

// requireSameFiles compares every file of the source site with the destination, byte
// for byte (wp-config.php is rewritten on purpose), and returns the files compared.
func requireSameFiles(t *testing.T, srcDir, destDir string) int {
	t.Helper()
	n := 0
	require.NoError(t, filepath.WalkDir(srcDir, func(p string, e os.DirEntry, err error) error {
		require.NoError(t, err)
		if e.IsDir() || e.Name() == "wp-config.php" {
			return nil
		}
		rel, _ := filepath.Rel(srcDir, p)
		want, err := os.ReadFile(p)
		require.NoError(t, err)
		got, err := os.ReadFile(filepath.Join(destDir, rel))
		require.NoError(t, err, rel)
		require.True(t, bytes.Equal(want, got), "%s differs", rel)
		n++
		return nil
	}))
	return n
}

func stepOf(d service.MigrationDetail, id migration.StepID) service.StepDTO {
	for _, s := range d.Steps {
		if s.ID == string(id) {
			return s
		}
	}
	return service.StepDTO{}
}

// TestRelayUploadsWhileDownloading migrates a site whose source is 20 ms away: the
// destination ends byte-exact, and files reached it before Download files ended.
func TestRelayUploadsWhileDownloading(t *testing.T) {
	h := newHarness(t)
	in, s, destDir, _ := sftpToFTP(t)
	addFiles(t, s.Dir, 400, 3000)
	delay := transfertest.NewDelay(t, 20*time.Millisecond)
	in.Source.Port = delay.Listen(net.JoinHostPort(in.Source.Host, strconv.Itoa(in.Source.Port)))
	d, err := h.svc.CreateMigration(context.Background(), in)
	require.NoError(t, err)
	d = h.waitDone(t, d.ID)
	require.Equal(t, "successful", d.Status, d.FailureReason)
	n := requireSameFiles(t, s.Dir, destDir)
	require.EqualValues(t, n+1, h.results(t, d.ID).Upload.Files)

	var first time.Time
	require.NoError(t, filepath.WalkDir(destDir, func(p string, e os.DirEntry, err error) error {
		require.NoError(t, err)
		if e.IsDir() || e.Name() == "wp-config.php" {
			return nil
		}
		fi, err := e.Info()
		require.NoError(t, err)
		if first.IsZero() || fi.ModTime().Before(first) {
			first = fi.ModTime()
		}
		return nil
	}))
	downEnd := time.UnixMilli(stepOf(d, migration.StepDownloadFiles).FinishedAt)
	require.True(t, first.Before(downEnd), "first file uploaded at %s, download ended at %s", first, downEnd)
	logs, err := h.svc.GetLogs(context.Background(), d.ID, 0, 1000)
	require.NoError(t, err)
	relayed := false
	for _, l := range logs {
		relayed = relayed || l.Step == string(migration.StepUploadFiles) && strings.Contains(l.Message, "as soon as it is downloaded")
	}
	require.True(t, relayed, "the upload did not run alongside the download")

	// The window showed the upload's progress on its own line while Download files was
	// still the current step.
	var ups, downsAfter int
	for _, e := range h.events.Events(events.MigrationProgress) {
		p, ok := e.Payload.(events.Progress)
		require.True(t, ok)
		switch {
		case p.ID != d.ID:
		case p.Step == string(migration.StepUploadFiles):
			ups++
		case p.Step == string(migration.StepDownloadFiles) && ups > 0:
			downsAfter++
		}
	}
	require.Positive(t, downsAfter, "no upload progress was shown while the download ran")
}

// TestRelayDownloadFailureStopsTheUpload cuts the source mid-download: the migration
// fails at Download files with the source's error, not an upload error, and Retry
// completes it byte-exact.
func TestRelayDownloadFailureStopsTheUpload(t *testing.T) {
	h := newHarness(t)
	in, s, destDir, _ := sftpToFTP(t)
	siteBytes := addFiles(t, s.Dir, 24, 400<<10)
	o := startOutage(t, net.JoinHostPort(in.Source.Host, strconv.Itoa(in.Source.Port)), siteBytes/2)
	in.Source.Port = o.port()
	d, err := h.svc.CreateMigration(context.Background(), in)
	require.NoError(t, err)
	d = h.waitDone(t, d.ID)
	require.Equal(t, "failed", d.Status)
	require.Equal(t, "download_files", d.CurrentStep)
	require.Contains(t, d.FailureReason, "SFTP", "the source's error names the source")
	require.NotContains(t, d.FailureReason, "upload")
	require.NotEqual(t, "completed", stepOf(d, migration.StepUploadFiles).State)

	o.restore()
	_, err = h.svc.RetryMigration(context.Background(), d.ID, false)
	require.NoError(t, err)
	d = h.waitDone(t, d.ID)
	require.Equal(t, "successful", d.Status, d.FailureReason)
	requireSameFiles(t, s.Dir, destDir)
}

// TestRelayUploadFailureStopsTheDownload takes the destination down while the source
// is stalled mid-download: the download, which could not end by itself, stops, and
// the migration fails with the destination's error.
func TestRelayUploadFailureStopsTheDownload(t *testing.T) {
	h := newHarness(t)
	in, s, _, _ := sftpToFTP(t)
	siteBytes := addFiles(t, s.Dir, 300, 8<<10)
	proxy := transfertest.StartProxy(t, net.JoinHostPort(in.Source.Host, strconv.Itoa(in.Source.Port)))
	in.Source.Port = proxy.Port()
	// About 120 bytes of FTP replies a file: the destination goes down after ~50 files.
	o := startOutage(t, net.JoinHostPort(in.Destination.Host, strconv.Itoa(in.Destination.Port)), 8<<10)
	in.Destination.Port = o.port()
	fired := proxy.Inject(transfertest.Stall, siteBytes*2/3)
	d, err := h.svc.CreateMigration(context.Background(), in)
	require.NoError(t, err)
	d = h.waitDone(t, d.ID)
	require.Equal(t, "failed", d.Status)
	require.Equal(t, "download_files", d.CurrentStep, d.FailureReason)
	require.Contains(t, d.FailureReason, "FTP")
	require.NotContains(t, d.FailureReason, "SFTP", "the destination's error names the destination")
	select {
	case <-fired:
	default:
		t.Fatal("the destination went down after the download ended")
	}
	down, err := transfer.ReadResumeManifest(filepath.Join(h.pipe.StagingDir(d.ID), "download.manifest"))
	require.NoError(t, err)
	require.Less(t, len(down.Files), 300, "the download went on after the upload failed")
}

// TestKilledRelayIsRetriedWithoutResending kills (SIGKILL) Ferry while files go up and
// the download is stalled halfway; Retry completes the migration byte-exact, and the
// files the killed run had uploaded are not sent again.
func TestKilledRelayIsRetriedWithoutResending(t *testing.T) {
	t.Setenv("FERRY_KEYRING", "off")
	dir := t.TempDir()
	in, s, destDir, _ := sftpToFTP(t)
	siteBytes := addFiles(t, s.Dir, 300, 4<<10)
	proxy := transfertest.StartProxy(t, net.JoinHostPort(in.Source.Host, strconv.Itoa(in.Source.Port)))
	in.Source.Port = proxy.Port()
	svc, err := service.Open(context.Background(), service.Config{DataDir: dir})
	require.NoError(t, err)
	d, err := svc.CreateMigration(context.Background(), in)
	require.NoError(t, err)
	require.NoError(t, svc.Close())

	fired := proxy.Inject(transfertest.Stall, siteBytes/2)
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "child running\n", line)
	select {
	case <-fired:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("the child never reached the middle of the download")
	}
	// Files downloaded before the stall go up meanwhile.
	upMan := filepath.Join(dir, "staging", strconv.FormatInt(d.ID, 10), "upload.manifest")
	var up transfer.Manifest
	for deadline := time.Now().Add(20 * time.Second); len(up.Files) < 20; {
		require.True(t, time.Now().Before(deadline), "no file went up while the download was stalled")
		time.Sleep(50 * time.Millisecond)
		up, _ = transfer.ReadResumeManifest(upMan)
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	_ = cmd.Wait()

	up, err = transfer.ReadResumeManifest(upMan)
	require.NoError(t, err)
	require.Less(t, len(up.Files), 300)
	mtimes := map[string]time.Time{}
	for _, f := range up.Files {
		if f.Path == "wp-config.php" {
			continue // Configure WordPress rewrites it
		}
		fi, err := os.Stat(filepath.Join(destDir, filepath.FromSlash(f.Path)))
		require.NoError(t, err, f.Path)
		mtimes[f.Path] = fi.ModTime()
	}

	h := newHarnessIn(t, dir)
	got, err := h.svc.GetMigration(context.Background(), d.ID)
	require.NoError(t, err)
	require.Equal(t, "failed", got.Status)
	require.Equal(t, migration.InterruptedReason(migration.StepDownloadFiles), got.FailureReason)
	_, err = h.svc.RetryMigration(context.Background(), d.ID, false)
	require.NoError(t, err)
	got = h.waitDone(t, d.ID)
	require.Equal(t, "successful", got.Status, got.FailureReason)
	requireSameFiles(t, s.Dir, destDir)
	for p, was := range mtimes {
		fi, err := os.Stat(filepath.Join(destDir, filepath.FromSlash(p)))
		require.NoError(t, err, p)
		require.True(t, fi.ModTime().Equal(was), "%s was uploaded again after the crash", p)
	}
}

// TestRelayStaysWithinTheConnectionBudget runs a migration of a batch (a budget of
// three connections per server) with the upload running alongside the download: the
// FTP destination never holds more than three logins at once, and the copy is whole.
func TestRelayStaysWithinTheConnectionBudget(t *testing.T) {
	t.Setenv("FERRY_KEYRING", "off")
	dir := t.TempDir()
	in, s, _, _ := sftpToFTP(t)
	addFiles(t, s.Dir, 300, 3000)
	destDir := t.TempDir()
	ftpSrv := transfertest.StartFTP(t, destDir, transfertest.FTPOptions{DisableMLSD: true})
	in.Destination.Host, in.Destination.Port = ftpSrv.Host, ftpSrv.Port
	in.Destination.User, in.Destination.Password = ftpSrv.User, ftpSrv.Password

	svc, err := service.Open(context.Background(), service.Config{DataDir: dir})
	require.NoError(t, err)
	pipe := &pipeline.Pipeline{DataDir: dir, HostKeys: svc.Store().HostKeys(), Results: svc.Store(), Files: svc.Store(), Timeout: 10 * time.Second}
	limits := hostlimit.New(hostlimit.Config{Connections: 3, Lookup: func(int64) (hostlimit.Hosts, bool) {
		return hostlimit.Hosts{Source: in.Source.Host, Destination: in.Destination.Host}, true
	}})
	r := runner.New(runner.Config{Store: svc.RunnerStore(), Pipeline: pipe, Gate: limits})
	svc.AttachRunner(r)
	svc.AttachPipeline(pipe)
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, r.Recover(ctx))
	r.Start(ctx)
	t.Cleanup(func() { cancel(); r.Close(); _ = svc.Close() })
	h := &harness{svc: svc, run: r, pipe: pipe, dir: dir, cancel: cancel}

	d, err := h.svc.CreateMigration(context.Background(), in)
	require.NoError(t, err)
	d = h.waitDone(t, d.ID)
	require.Equal(t, "successful", d.Status, d.FailureReason)
	requireSameFiles(t, s.Dir, destDir)
	logs, err := h.svc.GetLogs(context.Background(), d.ID, 0, 1000)
	require.NoError(t, err)
	relayed := false
	for _, l := range logs {
		relayed = relayed || strings.Contains(l.Message, "as soon as it is downloaded")
	}
	require.True(t, relayed, "the upload did not run alongside the download")
	require.Positive(t, ftpSrv.PeakLogins.Load())
	require.LessOrEqual(t, ftpSrv.PeakLogins.Load(), int64(3))
}
