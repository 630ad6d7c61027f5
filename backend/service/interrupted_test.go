package service

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/migration"
)

// TestListMarksRunsWithoutALiveProcessInterrupted leaves two runs "running" in the
// history, one whose lease a live process holds and one whose process is gone: the list
// (and opening the history) shows the dead one as Failed "Interrupted" and leaves the
// live one alone.
func TestListMarksRunsWithoutALiveProcessInterrupted(t *testing.T) {
	s, _, dir := newTestService(t)
	ctx := context.Background()
	dead, err := s.CreateMigration(ctx, sftpInput())
	require.NoError(t, err)
	live, err := s.CreateMigration(ctx, sftpInput())
	require.NoError(t, err)
	moveTo(t, s, dead.ID, migration.StatusRunning, "")
	moveTo(t, s, live.ID, migration.StatusRunning, "")
	release, ok, err := s.Leases().Acquire(live.ID) // the "other process" running it
	require.NoError(t, err)
	require.True(t, ok)
	defer release()

	s.mu.Lock()
	s.swept = time.Time{} // as for a list long after start-up
	s.mu.Unlock()
	res, err := s.ListMigrations(ctx, ListQuery{Tab: "in_progress"})
	require.NoError(t, err)
	require.Len(t, res.Rows, 1)
	require.Equal(t, live.ID, res.Rows[0].ID)
	got, err := s.GetMigration(ctx, dead.ID)
	require.NoError(t, err)
	require.Equal(t, "failed", got.Status)
	require.Equal(t, "Interrupted: Ferry was closed during Download files", got.FailureReason)
	for _, st := range got.Steps {
		require.NotEqual(t, "running", st.State, st.ID)
	}

	// Another process opening the history agrees, and once the live one's process is
	// gone too, opening marks it.
	release()
	other, err := Open(ctx, Config{DataDir: dir, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	defer other.Close()
	got, err = other.GetMigration(ctx, live.ID)
	require.NoError(t, err)
	require.Equal(t, "failed", got.Status)
	require.Equal(t, "Interrupted: Ferry was closed during Download files", got.FailureReason)
}
