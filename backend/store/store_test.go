package store

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/migration"
)

func openTest(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// sample returns an automatic migration for owner n (sealed-looking secrets: the store
// keeps whatever the caller's box produced).
func sample(n int) *migration.Migration {
	return &migration.Migration{
		User:    migration.User{Name: fmt.Sprintf("User %d", n), Email: fmt.Sprintf("user%d@example.com", n)},
		Service: fmt.Sprintf("Plan %d", n%7), Domain: fmt.Sprintf("site%d.example.org", n),
		Method: migration.MethodSFTP, Status: migration.StatusQueued,
		OldURL: "http://old.test", NewURL: "https://new.test",
		Source: migration.Endpoint{Protocol: migration.ProtocolSFTP, Host: "old.example.com", Port: 22, User: "deploy",
			Password: "enc:v1:AAAA", Path: "/var/www", DB: migration.Database{Host: "127.0.0.1", Port: 3306, User: "wp", Name: "wp"}},
		Destination: migration.Endpoint{Protocol: migration.ProtocolLocal, Path: "/srv/www"},
		Options:     migration.Options{Overwrite: true, Excludes: []string{"wp-content/cache/**"}},
	}
}

func TestOpenSchema(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := Open(ctx, dir)
	require.NoError(t, err)
	v, err := s.SchemaVersion(ctx)
	require.NoError(t, err)
	files, err := schemaFiles()
	require.NoError(t, err)
	require.Equal(t, len(files), v)
	var mode string
	require.NoError(t, s.r.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode))
	require.Equal(t, "wal", mode)
	var fk, busy int
	require.NoError(t, s.r.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk))
	require.NoError(t, s.r.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy))
	require.Equal(t, 1, fk)
	require.Equal(t, 10000, busy)
	require.Equal(t, 1, s.w.Stats().MaxOpenConnections, "one writer connection")
	_, err = s.r.ExecContext(ctx, "INSERT INTO settings (key, value) VALUES ('x','y')")
	require.Error(t, err, "the read pool must refuse writes")
	m := sample(1)
	require.NoError(t, s.Create(ctx, m))
	require.NoError(t, s.Close())

	// Reopening applies nothing twice and keeps the rows.
	s, err = Open(ctx, dir)
	require.NoError(t, err)
	got, err := s.Get(ctx, m.ID)
	require.NoError(t, err)
	require.Equal(t, m.Domain, got.Domain)
	// A history from a newer Ferry is refused, not damaged.
	_, err = s.w.ExecContext(ctx, "PRAGMA user_version = 99")
	require.NoError(t, err)
	require.NoError(t, s.Close())
	_, err = Open(ctx, dir)
	require.ErrorContains(t, err, "newer than this Ferry knows")
}

func TestDataDir(t *testing.T) {
	t.Setenv("FERRY_DATA_DIR", "/tmp/ferry-x")
	d, err := DataDir()
	require.NoError(t, err)
	require.Equal(t, "/tmp/ferry-x", d)
	t.Setenv("FERRY_DATA_DIR", "")
	t.Setenv("XDG_CONFIG_HOME", "/tmp/cfg")
	d, err = DataDir()
	require.NoError(t, err)
	require.Equal(t, filepath.Join("/tmp/cfg", "Ferry"), d)
}

func TestCreateGetRoundTrip(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	now := time.Date(2025, 3, 4, 5, 6, 7, 8_000_000, time.UTC)
	s.setNow(func() time.Time { return now })
	m := sample(1)
	m.Steps = []migration.StepRecord{{Step: migration.StepAnalyseSource, State: migration.StepCompleted, Cursor: "c1"}}
	require.NoError(t, s.Create(ctx, m))
	require.Equal(t, int64(1), m.ID)
	require.Equal(t, int64(1), m.Version)
	require.NotZero(t, m.User.ID)
	got, err := s.Get(ctx, m.ID)
	require.NoError(t, err)
	require.Equal(t, *m, got.Migration)
	require.Equal(t, Progress{ETASeconds: -1}, got.Progress)
	require.Equal(t, migration.StepCompleted, got.Steps[1].State)
	require.Equal(t, "c1", got.Steps[1].Cursor)
	require.Len(t, got.Steps, len(migration.StepsFor(migration.MethodSFTP)))

	var raw int64
	require.NoError(t, s.r.QueryRowContext(ctx, "SELECT created_at FROM migrations WHERE id = 1").Scan(&raw))
	require.Equal(t, now.UnixMilli(), raw, "times are Unix milliseconds UTC")

	_, err = s.Get(ctx, 42)
	require.ErrorIs(t, err, ErrNotFound)

	bad := []struct {
		name string
		edit func(*migration.Migration)
	}{
		{"method", func(m *migration.Migration) { m.Method = "scp" }},
		{"status", func(m *migration.Migration) { m.Status = "paused" }},
		{"service", func(m *migration.Migration) { m.Service = " " }},
		{"user", func(m *migration.Migration) { m.User = migration.User{} }},
		{"unknown user id", func(m *migration.Migration) { m.User = migration.User{ID: 77} }},
		{"step", func(m *migration.Migration) { m.Steps = []migration.StepRecord{{Step: "nap"}} }},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			m := sample(2)
			tc.edit(m)
			require.Error(t, s.Create(ctx, m))
			counts, err := s.TabCounts(ctx)
			require.NoError(t, err)
			require.Equal(t, 1, counts[migration.TabInProgress], "a refused create leaves nothing behind")
		})
	}
}

func TestCompareAndSetStatus(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	clock := time.UnixMilli(1_700_000_000_000).UTC()
	s.setNow(func() time.Time { clock = clock.Add(time.Second); return clock })
	m := sample(1)
	require.NoError(t, s.Create(ctx, m))

	require.NoError(t, s.CompareAndSetStatus(ctx, m.ID, 1, migration.StatusRunning, "ignored", migration.StepCheckDestination))
	got, err := s.Get(ctx, m.ID)
	require.NoError(t, err)
	require.Equal(t, int64(2), got.Version)
	require.Equal(t, migration.StepCheckDestination, got.CurrentStep)
	require.Empty(t, got.FailureReason)
	started := got.StartedAt
	require.False(t, started.IsZero())

	err = s.CompareAndSetStatus(ctx, m.ID, 1, migration.StatusFailed, "late", "")
	require.ErrorIs(t, err, ErrConflict, "a stale version loses")
	err = s.CompareAndSetStatus(ctx, m.ID, 2, migration.StatusRunning, "", "")
	require.ErrorIs(t, err, migration.ErrTransition)
	err = s.CompareAndSetStatus(ctx, 99, 1, migration.StatusRunning, "", "")
	require.ErrorIs(t, err, ErrNotFound)
	require.Error(t, s.CompareAndSetStatus(ctx, m.ID, 2, "paused", "", ""))
	require.Error(t, s.CompareAndSetStatus(ctx, m.ID, 2, migration.StatusFailed, "", "nap"))
	same, err := s.Get(ctx, m.ID)
	require.NoError(t, err)
	require.Equal(t, got, same, "refused changes change nothing")

	require.NoError(t, s.CompareAndSetStatus(ctx, m.ID, 2, migration.StatusFailed, "Connection timeout", ""))
	got, err = s.Get(ctx, m.ID)
	require.NoError(t, err)
	require.Equal(t, "Connection timeout", got.FailureReason)
	require.Equal(t, migration.StepCheckDestination, got.CurrentStep, "an empty step keeps the current one")
	require.False(t, got.CompletedAt.IsZero())

	require.NoError(t, s.CompareAndSetStatus(ctx, m.ID, 3, migration.StatusQueued, "", ""))
	require.NoError(t, s.CompareAndSetStatus(ctx, m.ID, 4, migration.StatusRunning, "", ""))
	got, err = s.Get(ctx, m.ID)
	require.NoError(t, err)
	require.Empty(t, got.FailureReason, "a retry clears the reason")
	require.True(t, got.CompletedAt.IsZero())
	require.Equal(t, started, got.StartedAt, "started_at is stamped once")
	require.NoError(t, s.CompareAndSetStatus(ctx, m.ID, 5, migration.StatusSuccessful, "", migration.StepCleanUp))
	got, err = s.Get(ctx, m.ID)
	require.NoError(t, err)
	require.Equal(t, int64(6), got.Version)
	require.False(t, got.CompletedAt.IsZero())
}

// TestCompareAndSetRace lets many writers race from one version: exactly one wins.
func TestCompareAndSetRace(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	m := sample(1)
	require.NoError(t, s.Create(ctx, m))
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		go func() { errs <- s.CompareAndSetStatus(ctx, m.ID, 1, migration.StatusRunning, "", "") }()
	}
	wins := 0
	for i := 0; i < 8; i++ {
		err := <-errs
		if err == nil {
			wins++
		} else {
			require.ErrorIs(t, err, ErrConflict)
		}
	}
	require.Equal(t, 1, wins)
}

func TestStepsLogsFilesSettings(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	m := sample(1)
	m.Method, m.Status, m.CurrentStep = migration.MethodManual, migration.StatusWaiting, migration.StepWaitForUpload
	require.NoError(t, s.Create(ctx, m))

	start := time.UnixMilli(1_700_000_000_123).UTC()
	rec := migration.StepRecord{Step: migration.StepCheckDestination, State: migration.StepCompleted, StartedAt: start,
		FinishedAt: start.Add(1500 * time.Millisecond), Cursor: `{"files":10}`, Percent: 100}
	require.NoError(t, s.SetStep(ctx, m.ID, rec))
	steps, err := s.Steps(ctx, m.ID)
	require.NoError(t, err)
	require.Equal(t, rec, steps[0])
	require.Equal(t, 1500*time.Millisecond, steps[0].Duration())
	require.Error(t, s.SetStep(ctx, m.ID, migration.StepRecord{Step: migration.StepCleanUp, State: "sleeping"}))
	require.Error(t, s.SetStep(ctx, 999, migration.StepRecord{Step: migration.StepCleanUp}), "foreign keys are on")

	var seqs []int64
	for i := 0; i < 5; i++ {
		seq, err := s.AppendLog(ctx, m.ID, LogLine{Level: LevelInfo, Step: migration.StepCheckDestination, Message: fmt.Sprint("line ", i)})
		require.NoError(t, err)
		seqs = append(seqs, seq)
	}
	_, err = s.AppendLog(ctx, m.ID, LogLine{Level: "shout", Message: "x"})
	require.Error(t, err)
	logs, err := s.Logs(ctx, m.ID, seqs[1], 2)
	require.NoError(t, err)
	require.Equal(t, []string{"line 2", "line 3"}, []string{logs[0].Message, logs[1].Message})
	tail, err := s.LogTail(ctx, m.ID, 2)
	require.NoError(t, err)
	require.Equal(t, seqs[3:], []int64{tail[0].Seq, tail[1].Seq})

	require.NoError(t, s.PutFile(ctx, m.ID, AttachedFile{Kind: FileSiteZip, Path: "/tmp/a.zip", Size: 10}))
	require.NoError(t, s.PutFile(ctx, m.ID, AttachedFile{Kind: FileSiteZip, Path: "/tmp/b.zip", Size: 20}))
	require.NoError(t, s.PutFile(ctx, m.ID, AttachedFile{Kind: FileSQL, Path: "/tmp/d.sql", Size: 5}))
	require.Error(t, s.PutFile(ctx, m.ID, AttachedFile{Kind: "exe", Path: "/tmp/x"}))
	files, err := s.Files(ctx, m.ID)
	require.NoError(t, err)
	require.Len(t, files, 2)
	require.Equal(t, "/tmp/b.zip", files[0].Path)
	require.NoError(t, s.RemoveFile(ctx, m.ID, FileSQL))
	require.ErrorIs(t, s.RemoveFile(ctx, m.ID, FileSQL), ErrNotFound)
	require.NoError(t, s.SetAttachment(ctx, m.ID, true, true))
	got, err := s.Get(ctx, m.ID)
	require.NoError(t, err)
	require.True(t, got.Attached && got.Verified)

	results := json.RawMessage(`{"bytes":123,"tables":4}`)
	require.NoError(t, s.SetResults(ctx, m.ID, results))
	back, err := s.Results(ctx, m.ID)
	require.NoError(t, err)
	require.JSONEq(t, string(results), string(back))
	require.Error(t, s.SetResults(ctx, m.ID, json.RawMessage(`{bad`)))
	require.ErrorIs(t, s.SetProgress(ctx, 999, Progress{}), ErrNotFound)

	_, err = s.Setting(ctx, "workers")
	require.ErrorIs(t, err, ErrNotFound)
	require.NoError(t, s.SetSetting(ctx, "workers", "2"))
	require.NoError(t, s.SetSetting(ctx, "workers", "3"))
	v, err := s.Setting(ctx, "workers")
	require.NoError(t, err)
	require.Equal(t, "3", v)
	require.Error(t, s.SetSetting(ctx, "", "x"))

	hk := s.HostKeys()
	fp, err := hk.Get(ctx, "old.example.com:22")
	require.NoError(t, err)
	require.Empty(t, fp)
	require.NoError(t, hk.Put(ctx, "old.example.com:22", "SHA256:abc"))
	fp, err = hk.Get(ctx, "old.example.com:22")
	require.NoError(t, err)
	require.Equal(t, "SHA256:abc", fp)
	require.Error(t, hk.Put(ctx, "", "SHA256:abc"))

	// Delete cascades to steps, logs and files.
	require.NoError(t, s.Delete(ctx, m.ID))
	require.ErrorIs(t, s.Delete(ctx, m.ID), ErrNotFound)
	for _, table := range []string{"steps", "logs", "attached_files"} {
		var n int
		require.NoError(t, s.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n))
		require.Zero(t, n, table)
	}
}

func TestListByStatusAndUsers(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	for i := 0; i < 4; i++ {
		require.NoError(t, s.Create(ctx, sample(i)))
	}
	require.NoError(t, s.CompareAndSetStatus(ctx, 2, 1, migration.StatusRunning, "", migration.StepDownloadFiles))
	require.NoError(t, s.CompareAndSetStatus(ctx, 4, 1, migration.StatusRunning, "", migration.StepExportDatabase))
	running, err := s.ListByStatus(ctx, migration.StatusRunning)
	require.NoError(t, err)
	require.Len(t, running, 2)
	require.Equal(t, migration.StepExportDatabase, running[1].CurrentStep)
	require.NotEmpty(t, running[0].Steps)
	none, err := s.ListByStatus(ctx)
	require.NoError(t, err)
	require.Empty(t, none)

	page, err := s.List(ctx, Query{UserID: running[0].User.ID})
	require.NoError(t, err)
	require.Equal(t, 1, page.Total)
	_, err = s.List(ctx, Query{Sort: "password"})
	require.Error(t, err)
	_, err = s.List(ctx, Query{Tab: "archive"})
	require.Error(t, err)

	u, err := s.User(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, migration.UserActive, u.Status)
	require.NoError(t, s.SetUserStatus(ctx, 1, migration.UserSuspended))
	require.Error(t, s.SetUserStatus(ctx, 1, "banned"))
	u, err = s.User(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, migration.UserSuspended, u.Status)
	_, err = s.User(ctx, 9)
	require.ErrorIs(t, err, ErrNotFound)
	us, err := s.Users(ctx, "user3@", 0)
	require.NoError(t, err)
	require.Len(t, us, 1)
	names, err := s.Services(ctx, "plan", 2)
	require.NoError(t, err)
	require.Equal(t, []string{"Plan 0", "Plan 1"}, names)
}

// TestListMatchesIndependentFilter compares every tab × sort × direction against a sort
// done in Go over the same rows.
func TestListMatchesIndependentFilter(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	var all []*migration.Migration
	for i := 0; i < 60; i++ {
		m := sample(i % 23)
		all = append(all, m)
	}
	require.NoError(t, s.CreateMany(ctx, all))
	for i, m := range all {
		switch i % 3 {
		case 1:
			require.NoError(t, s.CompareAndSetStatus(ctx, m.ID, 1, migration.StatusFailed, "x", ""))
		case 2:
			require.NoError(t, s.CompareAndSetStatus(ctx, m.ID, 1, migration.StatusRunning, "", ""))
		}
	}
	for _, tab := range migration.Tabs {
		var want []int64
		for i, m := range all {
			inTab := map[int]migration.Tab{0: migration.TabInProgress, 1: migration.TabFailed, 2: migration.TabInProgress}[i%3]
			if inTab == tab && (containsFold(m.Domain, "site1") || containsFold(m.User.Name, "site1")) {
				want = append(want, m.ID)
			}
		}
		for _, sort := range Sorts {
			for _, desc := range []bool{false, true} {
				p, err := s.List(ctx, Query{Tab: tab, Search: "SITE1", Sort: sort, Desc: desc, Limit: 500})
				require.NoError(t, err)
				require.Equal(t, len(want), p.Total, "%s %s", tab, sort)
				var got []int64
				for _, r := range p.Records {
					got = append(got, r.ID)
				}
				require.ElementsMatch(t, want, got, "%s %s", tab, sort)
				requireSorted(t, p.Records, sort, desc)
			}
		}
	}
}
