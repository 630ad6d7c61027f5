package engine_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/engine"
	"ferry/backend/migration"
	"ferry/backend/runner"
	"ferry/backend/service"
)

func input() service.CreateInput {
	return service.CreateInput{
		Method: "manual", UserName: "Ada", UserEmail: "ada@example.com", Service: "Business 10GB",
		Domain: "example.com", NewURL: "https://example.com",
		Destination: service.EndpointInput{Protocol: "local", Path: "/srv/www/example",
			DB: service.DatabaseInput{Host: "127.0.0.1", Port: 3306, User: "wp", Password: "pw", Name: "wp"}},
	}
}

// forceRunning puts a migration in the state a crash leaves behind: running, mid-step.
func forceRunning(t *testing.T, e *engine.Engine, id int64) {
	t.Helper()
	ctx := context.Background()
	st := e.Service.Store()
	rec, err := st.Get(ctx, id)
	require.NoError(t, err)
	require.NoError(t, st.CompareAndSetStatus(ctx, id, rec.Version, migration.StatusQueued, "", migration.StepUploadFiles))
	require.NoError(t, st.CompareAndSetStatus(ctx, id, rec.Version+1, migration.StatusRunning, "", migration.StepUploadFiles))
	require.NoError(t, st.SetStep(ctx, id, migration.StepRecord{Step: migration.StepUploadFiles, State: migration.StepRunning}))
}

// TestOpenRecoversInterruptedRuns reopens a history whose run was left "running" by a
// process that is gone: it becomes Failed "Interrupted: Ferry was closed during Upload files".
func TestOpenRecoversInterruptedRuns(t *testing.T) {
	t.Setenv("FERRY_KEYRING", "off")
	dir := t.TempDir()
	e, err := engine.Open(context.Background(), engine.Config{DataDir: dir})
	require.NoError(t, err)
	d, err := e.Service.CreateMigration(context.Background(), input())
	require.NoError(t, err)
	forceRunning(t, e, d.ID)
	require.NoError(t, e.Close())

	e, err = engine.Open(context.Background(), engine.Config{DataDir: dir})
	require.NoError(t, err)
	defer e.Close()
	got, err := e.Service.GetMigration(context.Background(), d.ID)
	require.NoError(t, err)
	require.Equal(t, "failed", got.Status)
	require.Equal(t, "Interrupted: Ferry was closed during Upload files", got.FailureReason)
	require.Contains(t, got.Actions, "retry")
}

// TestOpenLeavesLiveRunsOfAnotherProcess holds the run's lease as another live Ferry
// process would: start-up must not mark that run interrupted.
func TestOpenLeavesLiveRunsOfAnotherProcess(t *testing.T) {
	t.Setenv("FERRY_KEYRING", "off")
	dir := t.TempDir()
	e, err := engine.Open(context.Background(), engine.Config{DataDir: dir})
	require.NoError(t, err)
	d, err := e.Service.CreateMigration(context.Background(), input())
	require.NoError(t, err)
	forceRunning(t, e, d.ID)
	require.NoError(t, e.Close())

	leases, err := runner.NewLeases(filepath.Join(dir, "runs"))
	require.NoError(t, err)
	release, ok, err := leases.Acquire(d.ID)
	require.NoError(t, err)
	require.True(t, ok)
	defer release()

	e, err = engine.Open(context.Background(), engine.Config{DataDir: dir})
	require.NoError(t, err)
	defer e.Close()
	got, err := e.Service.GetMigration(context.Background(), d.ID)
	require.NoError(t, err)
	require.Equal(t, "running", got.Status)
}

// TestTransferConnectionsDefaultToAutomatic: with nothing saved, file transfers choose
// their connections themselves (0: 4, growing to 8 on an FTP server); a number the admin
// saves is kept to, now and after a restart, and clearing it goes back to automatic.
func TestTransferConnectionsDefaultToAutomatic(t *testing.T) {
	t.Setenv("FERRY_KEYRING", "off")
	ctx := context.Background()
	dir := t.TempDir()
	e, err := engine.Open(ctx, engine.Config{DataDir: dir})
	require.NoError(t, err)
	require.Equal(t, 0, e.Pipeline.Connections, "an unset setting must leave the pipeline automatic")
	s, err := e.Service.GetSettings(ctx)
	require.NoError(t, err)
	require.Equal(t, 0, s.TransferConnections)

	s.TransferConnections = 6
	_, err = e.Service.SaveSettings(ctx, s)
	require.NoError(t, err)
	require.Equal(t, 6, e.Pipeline.Connections)
	s.TransferConnections = 17
	_, err = e.Service.SaveSettings(ctx, s)
	require.Error(t, err)
	require.NoError(t, e.Close())

	e, err = engine.Open(ctx, engine.Config{DataDir: dir})
	require.NoError(t, err)
	defer e.Close()
	require.Equal(t, 6, e.Pipeline.Connections, "a saved number survives a restart")
	s.TransferConnections = 0
	got, err := e.Service.SaveSettings(ctx, s)
	require.NoError(t, err)
	require.Equal(t, 0, got.TransferConnections)
	require.Equal(t, 0, e.Pipeline.Connections)
}
