package store

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/migration"
)

// crashDirEnv tells a re-executed test binary to act as the writer the crash test kills.
const crashDirEnv = "FERRY_STORE_CRASH_WRITER_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashDirEnv); dir != "" {
		os.Exit(crashWriter(dir))
	}
	os.Exit(m.Run())
}

// crashWriter writes migrations, steps and log lines as fast as it can, printing each ID
// only after its transaction committed, until it is killed.
func crashWriter(dir string) int {
	ctx := context.Background()
	s, err := Open(ctx, dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	out := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		m := sample(i)
		if err := s.Create(ctx, m); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 4
		}
		if _, err := s.AppendLog(ctx, m.ID, LogLine{Level: LevelInfo, Message: "committed " + strconv.Itoa(i)}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 5
		}
		if err := s.CompareAndSetStatus(ctx, m.ID, 1, migration.StatusRunning, "", migration.StepDownloadFiles); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 6
		}
		// Only now are all three writes committed: report the ID.
		fmt.Fprintf(out, "%d\n", m.ID)
		out.Flush()
	}
}

// TestKillMidWrite really kills a writing process with SIGKILL, then checks that the
// history opens, passes integrity_check and holds every row the child saw committed.
func TestKillMidWrite(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())

	var committed []int64
	sc := bufio.NewScanner(stdout)
	deadline := time.Now().Add(60 * time.Second)
	for len(committed) < 300 && sc.Scan() {
		id, err := strconv.ParseInt(sc.Text(), 10, 64)
		require.NoError(t, err)
		committed = append(committed, id)
		require.True(t, time.Now().Before(deadline), "child too slow; stderr: %s", stderr.String())
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	// Lines already in the pipe were committed before the kill: read them too.
	for sc.Scan() {
		if id, err := strconv.ParseInt(sc.Text(), 10, 64); err == nil {
			committed = append(committed, id)
		}
	}
	err = cmd.Wait()
	var exitErr *exec.ExitError
	require.ErrorAs(t, err, &exitErr, "stderr: %s", stderr.String())
	ws, ok := exitErr.Sys().(syscall.WaitStatus)
	require.True(t, ok)
	require.Equal(t, syscall.SIGKILL, ws.Signal(), "the child must die by SIGKILL, not exit: %s", stderr.String())
	require.GreaterOrEqual(t, len(committed), 300)

	ctx := context.Background()
	s, err := Open(ctx, dir)
	require.NoError(t, err)
	defer s.Close()
	verdict, err := s.IntegrityCheck(ctx)
	require.NoError(t, err)
	require.Equal(t, "ok", verdict)
	for _, id := range committed {
		r, err := s.Get(ctx, id)
		require.NoError(t, err, "committed migration %d lost", id)
		require.Equal(t, migration.StatusRunning, r.Status, "migration %d", id)
		require.Len(t, r.Steps, len(migration.StepsFor(migration.MethodSFTP)))
		logs, err := s.Logs(ctx, id, 0, 0)
		require.NoError(t, err)
		require.Len(t, logs, 1, "migration %d", id)
	}
	// The store stays writable after the crash.
	require.NoError(t, s.Create(ctx, sample(1)))
}
