package pipeline_test

import (
	"bufio"
	"context"
	"encoding/json"
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

	"ferry/backend/migration"
	"ferry/backend/pipeline"
	"ferry/backend/runner"
	"ferry/backend/service"
	"ferry/backend/transfer/transfertest"
)

const childEnv = "FERRY_PIPELINE_CRASH_CHILD"

// TestCrashChild is the child process of TestKilledRunIsInterruptedAndRetried: it opens
// the history in the given data dir and runs its queued migrations, as Ferry does at
// start-up, until it is killed. It does nothing in a normal test run.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(childEnv)
	if dir == "" {
		return
	}
	svc, err := service.Open(context.Background(), service.Config{DataDir: dir})
	require.NoError(t, err)
	pipe := &pipeline.Pipeline{DataDir: dir, HostKeys: svc.Store().HostKeys(), Results: svc.Store()}
	r := runner.New(runner.Config{Store: svc.RunnerStore(), Pipeline: pipe})
	svc.AttachRunner(r)
	require.NoError(t, r.Recover(context.Background()))
	r.Start(context.Background())
	os.Stdout.WriteString("child running\n")
	time.Sleep(2 * time.Minute) // killed long before
	t.Fatal("the parent should have killed this child")
}

// TestKilledRunIsInterruptedAndRetried kills (SIGKILL) a Ferry process in the middle of
// Download files; the next start marks the run Failed "Interrupted: Ferry was closed
// during Download files", keeps staging, and Retry completes the migration.
func TestKilledRunIsInterruptedAndRetried(t *testing.T) {
	t.Setenv("FERRY_KEYRING", "off")
	dir := t.TempDir()
	in, s, destDir, _ := sftpToFTP(t)
	require.NoError(t, os.WriteFile(filepath.Join(s.Dir, "wp-content", "uploads", "big.bin"), make([]byte, 8<<20), 0o644))
	proxy := transfertest.StartProxy(t, net.JoinHostPort(in.Source.Host, strconv.Itoa(in.Source.Port)))
	in.Source.Port = proxy.Port()

	// Create the migration with no runner attached: it waits in the queue for the child.
	svc, err := service.Open(context.Background(), service.Config{DataDir: dir})
	require.NoError(t, err)
	d, err := svc.CreateMigration(context.Background(), in)
	require.NoError(t, err)
	require.NoError(t, svc.Close())

	fired := proxy.Inject(transfertest.Stall, 256<<10) // freeze the download mid-file
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
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	err = cmd.Wait()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	require.Equal(t, "signal: killed", exit.Error())

	// Start-up after the crash.
	h := newHarnessIn(t, dir)
	got, err := h.svc.GetMigration(context.Background(), d.ID)
	require.NoError(t, err)
	require.Equal(t, "failed", got.Status)
	require.Equal(t, migration.InterruptedReason(migration.StepDownloadFiles), got.FailureReason)
	_, err = os.Stat(h.pipe.StagingDir(d.ID))
	require.NoError(t, err, "staging survives the crash")

	_, err = h.svc.RetryMigration(context.Background(), d.ID, false)
	require.NoError(t, err)
	got = h.waitDone(t, d.ID)
	require.Equal(t, "successful", got.Status, got.FailureReason)
	b, err := os.ReadFile(filepath.Join(destDir, "wp-content", "uploads", "big.bin"))
	require.NoError(t, err)
	require.Len(t, b, 8<<20)
	raw, err := json.Marshal(got.Steps)
	require.NoError(t, err)
	require.False(t, strings.Contains(string(raw), `"state":"running"`))
}
