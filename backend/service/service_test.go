package service

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/events"
	"ferry/backend/migration"
	"ferry/backend/secret"
	"ferry/backend/store"
)

// moveTo walks a freshly created automatic migration through allowed transitions to status.
func moveTo(t *testing.T, s *Service, id int64, to migration.Status, reason string) {
	t.Helper()
	ctx := context.Background()
	paths := map[migration.Status][]migration.Status{
		migration.StatusQueued:     nil,
		migration.StatusRunning:    {migration.StatusRunning},
		migration.StatusWaiting:    {migration.StatusRunning, migration.StatusWaiting},
		migration.StatusFailed:     {migration.StatusRunning, migration.StatusFailed},
		migration.StatusSuccessful: {migration.StatusRunning, migration.StatusSuccessful},
	}
	for _, st := range paths[to] {
		r, err := s.Store().Get(ctx, id)
		require.NoError(t, err)
		step := migration.StepID("")
		if st == migration.StatusRunning {
			step = migration.StepDownloadFiles
		}
		require.NoError(t, s.Store().CompareAndSetStatus(ctx, id, r.Version, st, reason, step))
	}
}

func TestCreateStates(t *testing.T) {
	s, rec, _ := newTestService(t)
	ctx := context.Background()

	auto, err := s.CreateMigration(ctx, sftpInput())
	require.NoError(t, err)
	require.Equal(t, "queued", auto.Status)
	require.Equal(t, "Queued", auto.StatusText)
	require.Equal(t, "in_progress", auto.Tab)
	require.Len(t, auto.Steps, len(migration.StepsFor(migration.MethodSFTP)))
	for _, st := range auto.Steps {
		require.Equal(t, "not_started", st.State)
	}
	require.Equal(t, "SFTP deploy@old.example.com:22 /var/www/html · MySQL wp@127.0.0.1:3306/wp via SSH", auto.SourceSummary)
	require.Equal(t, "FTPS bob@new.example.net:21 /public_html · MySQL bob_wp@db.example.net:3306/bob_wp", auto.DestinationSummary)

	man, err := s.CreateMigration(ctx, manualInput())
	require.NoError(t, err)
	require.Equal(t, "waiting", man.Status)
	require.Equal(t, "wait_for_upload", man.CurrentStep)
	require.True(t, man.ActionRequired)
	require.Equal(t, "Waiting for files", man.StatusText)
	require.Equal(t, []string{"show", "stop", "mark_failed", "delete", "attach", "edit"}, man.Actions)
	states := map[string]string{}
	for _, st := range man.Steps {
		states[st.ID] = st.State
	}
	require.Equal(t, "action_required", states["wait_for_upload"])
	require.Equal(t, "not_started", states["check_destination"])
	require.Len(t, man.Steps, 7)
	require.Equal(t, "Local /srv/www/example · MySQL wp@127.0.0.1:3306/wp_new", man.DestinationSummary)
	require.Len(t, man.Logs, 1)
	require.Contains(t, man.Logs[0].Message, "attach wordpress-files.zip")

	changed := rec.Events(events.MigrationChanged)
	require.Len(t, changed, 2)
	require.Equal(t, events.Changed{ID: auto.ID, Status: "queued"}, changed[0].Payload)
	require.Equal(t, events.Changed{ID: man.ID, Status: "waiting", Step: "wait_for_upload"}, changed[1].Payload)
	require.Len(t, rec.Events(events.MigrationLog), 2)

	// The same email reuses the owner; the service list grows once per name.
	in := sftpInput()
	in.UserName = "Another Name"
	again, err := s.CreateMigration(ctx, in)
	require.NoError(t, err)
	require.Equal(t, auto.User.ID, again.User.ID)
	require.Equal(t, "Bob Builder", again.User.Name)
	users, err := s.ListUsers(ctx, "")
	require.NoError(t, err)
	require.Len(t, users, 2)
	byID, err := s.CreateMigration(ctx, func() CreateInput { in := manualInput(); in.UserID = again.User.ID; in.UserEmail = ""; return in }())
	require.NoError(t, err)
	require.Equal(t, "bob@example.org", byID.User.Email)
	svcs, err := s.ListServices(ctx, "")
	require.NoError(t, err)
	require.Equal(t, []string{"Business 10GB", "Starter"}, svcs)
	svcs, err = s.ListServices(ctx, "busi")
	require.NoError(t, err)
	require.Equal(t, []string{"Business 10GB"}, svcs)
	users, err = s.ListUsers(ctx, "ADA")
	require.NoError(t, err)
	require.Len(t, users, 1)
	require.Equal(t, UserDTO{ID: man.User.ID, Name: "Ada Owner", Email: "ada@example.com", Status: "active"}, users[0])
}

// TestForbiddenActionsChangeNothing tries every mark in every state it is refused in.
func TestForbiddenActionsChangeNothing(t *testing.T) {
	cases := []struct {
		status migration.Status
		action string
	}{
		{migration.StatusQueued, "successful"},
		{migration.StatusRunning, "successful"},
		{migration.StatusWaiting, "successful"},
		{migration.StatusSuccessful, "successful"},
		{migration.StatusFailed, "failed"},
		{migration.StatusSuccessful, "failed"},
	}
	for _, tc := range cases {
		t.Run(string(tc.status)+"/"+tc.action, func(t *testing.T) {
			s, rec, _ := newTestService(t)
			ctx := context.Background()
			d, err := s.CreateMigration(ctx, sftpInput())
			require.NoError(t, err)
			moveTo(t, s, d.ID, tc.status, "Cannot connect to FTP server")
			before, err := s.Store().Get(ctx, d.ID)
			require.NoError(t, err)
			nEvents := len(rec.Events(""))
			mark := s.MarkSuccessful
			if tc.action == "failed" {
				mark = s.MarkFailed
			}
			_, err = mark(ctx, d.ID)
			require.Error(t, err)
			require.Equal(t, CodeNotAllowed, CodeOf(err))
			require.True(t, errors.Is(err, migration.ErrNotAllowed))
			after, err := s.Store().Get(ctx, d.ID)
			require.NoError(t, err)
			require.Equal(t, before, after, "a refused action must change nothing")
			require.Len(t, rec.Events(""), nEvents)
		})
	}
}

func TestMarkSuccessfulAndFailed(t *testing.T) {
	s, rec, _ := newTestService(t)
	ctx := context.Background()
	d, err := s.CreateMigration(ctx, sftpInput())
	require.NoError(t, err)
	moveTo(t, s, d.ID, migration.StatusFailed, "Connection timeout")
	got, err := s.GetMigration(ctx, d.ID)
	require.NoError(t, err)
	require.Equal(t, "Connection timeout", got.StatusText)
	require.Equal(t, "failed", got.Tab)
	require.Contains(t, got.Actions, "mark_successful")

	row, err := s.MarkSuccessful(ctx, d.ID)
	require.NoError(t, err)
	require.Equal(t, "successful", row.Status)
	require.Equal(t, "Completed", row.StatusText)
	require.Empty(t, row.FailureReason)
	require.NotZero(t, row.CompletedAt)
	require.Equal(t, []string{"show", "delete"}, row.Actions)
	last := rec.Events(events.MigrationChanged)
	require.Equal(t, events.Changed{ID: d.ID, Status: "successful", Step: "download_files"}, last[len(last)-1].Payload)

	m, err := s.CreateMigration(ctx, manualInput())
	require.NoError(t, err)
	row, err = s.MarkFailed(ctx, m.ID)
	require.NoError(t, err)
	require.Equal(t, "failed", row.Status)
	require.Equal(t, migration.ReasonMarkedFailed, row.StatusText)
	detail, err := s.GetMigration(ctx, m.ID)
	require.NoError(t, err)
	for _, st := range detail.Steps {
		if st.ID == "wait_for_upload" {
			require.Equal(t, "failed", st.State, "the waiting step turns red with the status")
		}
	}
	require.Equal(t, "Marked as failed by admin", detail.Logs[len(detail.Logs)-1].Message)
}

func TestMarkConflict(t *testing.T) {
	s, _, _ := newTestService(t)
	ctx := context.Background()
	d, err := s.CreateMigration(ctx, sftpInput())
	require.NoError(t, err)
	moveTo(t, s, d.ID, migration.StatusFailed, "x")
	r, err := s.Store().Get(ctx, d.ID)
	require.NoError(t, err)
	// A runner retrying meanwhile wins; the stale version then loses.
	require.NoError(t, s.Store().CompareAndSetStatus(ctx, d.ID, r.Version, migration.StatusQueued, "", ""))
	err = s.Store().CompareAndSetStatus(ctx, d.ID, r.Version, migration.StatusSuccessful, "", "")
	require.ErrorIs(t, err, store.ErrConflict)
	require.Equal(t, CodeConflict, CodeOf(fail(err, "mark")))
	got, err := s.Store().Get(ctx, d.ID)
	require.NoError(t, err)
	require.Equal(t, migration.StatusQueued, got.Status)
}

type recordingStopper struct {
	mu  sync.Mutex
	ids []int64
	err error
}

func (r *recordingStopper) Stop(_ context.Context, id int64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ids = append(r.ids, id)
	return r.err
}

func TestDeleteMigrations(t *testing.T) {
	s, rec, dir := newTestService(t)
	ctx := context.Background()
	a, err := s.CreateMigration(ctx, sftpInput())
	require.NoError(t, err)
	b, err := s.CreateMigration(ctx, manualInput())
	require.NoError(t, err)
	c, err := s.CreateMigration(ctx, sftpInput())
	require.NoError(t, err)
	moveTo(t, s, c.ID, migration.StatusSuccessful, "")
	stage := filepath.Join(dir, "staging", "1")
	require.Equal(t, stage, s.StagingDir(a.ID))
	require.NoError(t, os.MkdirAll(filepath.Join(stage, "files", "wp-content"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(stage, "files", "wp-content", "x.php"), []byte("<?php"), 0o644))
	keep := filepath.Join(dir, "staging", "2")
	require.NoError(t, os.MkdirAll(keep, 0o755))
	stopper := &recordingStopper{}
	s.SetStopper(stopper)

	res, err := s.DeleteMigrations(ctx, []int64{a.ID, c.ID, 404, a.ID})
	require.NoError(t, err)
	require.Equal(t, []int64{a.ID, c.ID}, res.Done)
	require.Len(t, res.Failed, 1)
	require.Contains(t, res.Failed[404], "not found")
	require.Equal(t, []int64{a.ID}, stopper.ids, "only the migration in progress is stopped")
	require.NoDirExists(t, stage)
	require.DirExists(t, keep, "another migration's staging stays")
	_, err = s.GetMigration(ctx, a.ID)
	require.Equal(t, CodeNotFound, CodeOf(err))
	logs, err := s.Store().Logs(ctx, a.ID, 0, 0)
	require.NoError(t, err)
	require.Empty(t, logs, "logs go with the migration")
	counts, err := s.TabCounts(ctx)
	require.NoError(t, err)
	require.Equal(t, TabCounts{InProgress: 1}, counts)
	var deleted []int64
	for _, e := range rec.Events(events.MigrationChanged) {
		if ch := e.Payload.(events.Changed); ch.Deleted {
			deleted = append(deleted, ch.ID)
		}
	}
	require.Equal(t, []int64{a.ID, c.ID}, deleted)

	// A run that cannot be stopped keeps its record; a lone refusal is an error.
	stopper.err = errors.New("worker did not stop")
	res, err = s.DeleteMigrations(ctx, []int64{b.ID})
	require.Error(t, err)
	require.Empty(t, res.Done)
	_, err = s.GetMigration(ctx, b.ID)
	require.NoError(t, err)
	_, err = s.DeleteMigrations(ctx, nil)
	require.Equal(t, CodeInvalid, CodeOf(err))
	_, err = s.DeleteMigrations(ctx, []int64{9999})
	require.Equal(t, CodeNotFound, CodeOf(err))
}

// TestNoSecretAtRest creates migrations with known passwords and keys and reads the SQLite
// files as bytes: no secret may appear, sealed or split.
func TestNoSecretAtRest(t *testing.T) {
	s, rec, dir := newTestService(t)
	ctx := context.Background()
	key := testKey(t, "key-Passphrase-42")
	in := sftpInput()
	in.Source.PrivateKey, in.Source.Passphrase = key, "key-Passphrase-42"
	d, err := s.CreateMigration(ctx, in)
	require.NoError(t, err)
	_, err = s.CreateMigration(ctx, manualInput())
	require.NoError(t, err)
	// A careless log line quoting a password is redacted before it is stored or sent.
	_, err = s.AppendLog(ctx, d.ID, store.LevelError, migration.StepAnalyseSource, "login failed with src-"+testPassword+" for deploy")
	require.NoError(t, err)

	secrets := []string{testPassword, "key-Passphrase-42", strings.Split(key, "\n")[1]}
	var files []string
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), store.FileName) {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	require.Contains(t, files, filepath.Join(dir, store.FileName+"-wal"), "WAL mode keeps fresh rows in the -wal file")
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, sec := range secrets {
			require.NotContains(t, string(raw), sec, "%s holds a secret", f)
		}
	}
	require.Contains(t, string(mustRead(t, filepath.Join(dir, store.FileName+"-wal"))), secret.Prefix, "secrets are stored sealed")

	got, err := s.GetMigration(ctx, d.ID)
	require.NoError(t, err)
	require.Equal(t, secret.Masked, got.Source.Password)
	require.Equal(t, secret.Masked, got.Source.DB.Password)
	require.Equal(t, secret.Masked, got.Destination.Password)
	require.Equal(t, secret.Masked, got.Destination.DB.Password)
	require.True(t, got.Source.HasPrivateKey)
	for _, l := range got.Logs {
		require.NotContains(t, l.Message, testPassword)
	}
	require.Contains(t, got.Logs[len(got.Logs)-1].Message, "login failed with "+secret.Masked)
	for _, e := range rec.Events(events.MigrationLog) {
		require.NotContains(t, e.Payload.(events.LogLine).Message, testPassword)
	}

	for field, want := range map[string]string{
		"source.password": "src-" + testPassword, "source.db.password": "src-db-" + testPassword,
		"destination.password": "dst-" + testPassword, "destination.db.password": "dst-db-" + testPassword,
		"source.privateKey": key, "source.passphrase": "key-Passphrase-42", "destination.passphrase": "",
	} {
		v, err := s.RevealSecret(ctx, d.ID, field)
		require.NoError(t, err, field)
		require.Equal(t, want, v, field)
	}
	_, err = s.RevealSecret(ctx, d.ID, "source.host")
	require.Equal(t, CodeInvalid, CodeOf(err))
	_, err = s.RevealSecret(ctx, 999, "source.password")
	require.Equal(t, CodeNotFound, CodeOf(err))
	logs, err := s.GetLogs(ctx, d.ID, 0, 0)
	require.NoError(t, err)
	require.Equal(t, "Admin revealed source.password", findLog(logs, "Admin revealed source.password"))
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

func findLog(logs []LogDTO, msg string) string {
	for _, l := range logs {
		if l.Message == msg {
			return l.Message
		}
	}
	return ""
}

func TestGetLogsPaging(t *testing.T) {
	s, _, _ := newTestService(t)
	ctx := context.Background()
	d, err := s.CreateMigration(ctx, sftpInput())
	require.NoError(t, err)
	for i := 0; i < 5; i++ {
		_, err := s.AppendLog(ctx, d.ID, store.LevelInfo, migration.StepDownloadFiles, "line")
		require.NoError(t, err)
	}
	all, err := s.GetLogs(ctx, d.ID, 0, 0)
	require.NoError(t, err)
	require.Len(t, all, 6)
	page, err := s.GetLogs(ctx, d.ID, all[2].Seq, 2)
	require.NoError(t, err)
	require.Equal(t, []int64{all[3].Seq, all[4].Seq}, []int64{page[0].Seq, page[1].Seq})
	_, err = s.GetLogs(ctx, d.ID, 0, 6000)
	require.Equal(t, CodeInvalid, CodeOf(err))
	_, err = s.GetLogs(ctx, 77, 0, 10)
	require.Equal(t, CodeNotFound, CodeOf(err))
	_, err = s.AppendLog(ctx, d.ID, "loud", "", "x")
	require.Error(t, err)
}

func TestStatusTextRunning(t *testing.T) {
	s, _, _ := newTestService(t)
	ctx := context.Background()
	d, err := s.CreateMigration(ctx, sftpInput())
	require.NoError(t, err)
	moveTo(t, s, d.ID, migration.StatusRunning, "")
	got, err := s.GetMigration(ctx, d.ID)
	require.NoError(t, err)
	require.Equal(t, "Downloading files…", got.StatusText)
	require.NoError(t, s.Store().SetProgress(ctx, d.ID, store.Progress{Percent: 42.7, Speed: 1e6, ETASeconds: 30}))
	got, err = s.GetMigration(ctx, d.ID)
	require.NoError(t, err)
	require.Equal(t, "Downloading files… 42% · 1.0 MB/s · less than a minute left", got.StatusText)
	require.Equal(t, &ProgressDTO{Percent: 42.7, Speed: 1e6, ETASeconds: 30}, got.Progress)
	require.NotZero(t, got.StartedAt)
	require.Contains(t, got.Actions, "stop")
}

// A missing migration is named once: "retry migration 99: not found", not "retry migration
// 99: migration 99: not found"; other details are kept whole.
func TestFailSaysWhatIsMissingOnce(t *testing.T) {
	s, _, _ := newTestService(t)
	_, err := s.RetryMigration(context.Background(), 99, false)
	require.Equal(t, CodeNotFound, CodeOf(err))
	require.Equal(t, "retry migration 99: not found", err.Error())
	require.Equal(t, "stop: dial tcp: refused", fail(errors.New("dial tcp: refused"), "stop").Error())
}
