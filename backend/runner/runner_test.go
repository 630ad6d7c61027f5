package runner_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/events"
	"ferry/backend/migration"
	"ferry/backend/runner"
	"ferry/backend/service"
)

// script is a pipeline whose steps do what the test says: block until cancelled, panic,
// fail, or complete, and count how often each ran. The real steps are exercised by
// backend/pipeline's end-to-end tests; here the runner's bookkeeping is under test.
type script struct {
	mu      sync.Mutex
	block   map[migration.StepID]bool
	panics  map[migration.StepID]bool
	fails   map[migration.StepID]int // fail this many times
	calls   map[migration.StepID]int
	entered chan migration.StepID
	active  atomic.Int32
	peak    atomic.Int32
	hold    time.Duration
}

func newScript() *script {
	return &script{block: map[migration.StepID]bool{}, panics: map[migration.StepID]bool{},
		fails: map[migration.StepID]int{}, calls: map[migration.StepID]int{}, entered: make(chan migration.StepID, 64)}
}

func (s *script) Step(m migration.Migration, id migration.StepID) runner.StepFunc {
	return func(ctx context.Context, j *runner.Job) error {
		n := s.active.Add(1)
		defer s.active.Add(-1)
		for {
			p := s.peak.Load()
			if n <= p || s.peak.CompareAndSwap(p, n) {
				break
			}
		}
		s.mu.Lock()
		s.calls[id]++
		block, panics, fails := s.block[id], s.panics[id], s.fails[id]
		if fails > 0 {
			s.fails[id]--
		}
		s.mu.Unlock()
		select {
		case s.entered <- id:
		default:
		}
		if s.hold > 0 {
			time.Sleep(s.hold)
		}
		switch {
		case panics:
			panic("boom in " + string(id))
		case fails > 0:
			return migration.Fail("Connection timeout", errors.New("scripted failure"))
		case block:
			<-ctx.Done()
			return ctx.Err()
		case id == migration.StepWaitForUpload && !j.Migration.Verified:
			return migration.ErrActionRequired
		}
		return nil
	}
}

type env struct {
	svc *service.Service
	run *runner.Runner
	rec *events.Recorder
}

func start(t *testing.T, p runner.Pipeline, concurrency int) env {
	t.Helper()
	t.Setenv("FERRY_KEYRING", "off")
	rec := &events.Recorder{}
	svc, err := service.Open(context.Background(), service.Config{DataDir: t.TempDir(), Emitter: rec})
	require.NoError(t, err)
	r := runner.New(runner.Config{Store: svc.RunnerStore(), Pipeline: p, Emitter: rec, Concurrency: concurrency})
	svc.AttachRunner(r)
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, r.Recover(ctx))
	r.Start(ctx)
	t.Cleanup(func() { cancel(); r.Close(); _ = svc.Close() })
	return env{svc, r, rec}
}

func input(method string) service.CreateInput {
	in := service.CreateInput{
		Method: method, UserName: "Ada Admin", UserEmail: "ada@example.com", Service: "Business 10GB",
		Domain: "example.com", OldURL: "http://old.example.com", NewURL: "https://example.com",
		Destination: service.EndpointInput{Protocol: "sftp", Host: "dest.example.com", Port: 22, User: "u", Password: "dest-secret",
			Path: "/var/www/html", DB: service.DatabaseInput{Host: "127.0.0.1", Port: 3306, User: "wp", Password: "db-secret", Name: "wp"}},
	}
	if method != "manual" {
		in.Source = service.EndpointInput{Protocol: method, Host: "old.example.com", Port: 22, User: "u", Password: "src-secret",
			Path: "/var/www/html", DB: service.DatabaseInput{Host: "127.0.0.1", Port: 3306, User: "wp", Password: "db-secret", Name: "wp"}}
		if method == "ftp" {
			in.Source.Port = 21
		}
	}
	return in
}

func wait(t *testing.T, e env, id int64, want ...string) service.MigrationDetail {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		d, err := e.svc.GetMigration(context.Background(), id)
		require.NoError(t, err)
		for _, w := range want {
			if d.Status == w && !e.run.Running(id) {
				return d
			}
		}
		require.True(t, time.Now().Before(deadline), "migration %d is %s, want %v", id, d.Status, want)
		time.Sleep(10 * time.Millisecond)
	}
}

// TestStopDuringEachStep stops a migration while each of its steps runs: every time it
// ends Failed "Stopped by admin" at that step, within two seconds, and Retry resumes
// there without running the completed steps again.
func TestStopDuringEachStep(t *testing.T) {
	for _, method := range []migration.Method{migration.MethodSFTP, migration.MethodFTP} {
		for _, step := range migration.StepsFor(method) {
			t.Run(string(method)+"/"+string(step), func(t *testing.T) {
				s := newScript()
				s.block[step] = true
				e := start(t, s, 2)
				d, err := e.svc.CreateMigration(context.Background(), input(string(method)))
				require.NoError(t, err)
				for got := range s.entered {
					if got == step {
						break
					}
				}
				begin := time.Now()
				row, err := e.svc.StopMigration(context.Background(), d.ID)
				require.NoError(t, err)
				require.Less(t, time.Since(begin), 2*time.Second)
				require.Equal(t, "failed", row.Status)
				require.Equal(t, migration.ReasonStopped, row.FailureReason)
				require.Equal(t, string(step), row.CurrentStep)

				before := map[migration.StepID]int{}
				s.mu.Lock()
				for k, v := range s.calls {
					before[k] = v
				}
				s.block[step] = false
				s.mu.Unlock()
				_, err = e.svc.RetryMigration(context.Background(), d.ID, false)
				require.NoError(t, err)
				got := wait(t, e, d.ID, "successful")
				s.mu.Lock()
				defer s.mu.Unlock()
				for _, st := range migration.StepsFor(method) {
					want := before[st]
					if !st.After(step) && st != step {
						require.Equal(t, want, s.calls[st], "completed step %s ran again", st)
					} else {
						require.Equal(t, want+1, s.calls[st], "step %s", st)
					}
				}
				for _, st := range got.Steps {
					require.Equal(t, "completed", st.State)
				}
			})
		}
	}
}

// TestPanicFailsTheStepNotTheApp makes a step panic: the migration fails with a plain
// reason and the runner keeps serving the next migration.
func TestPanicFailsTheStepNotTheApp(t *testing.T) {
	s := newScript()
	s.panics[migration.StepExportDatabase] = true
	e := start(t, s, 1)
	d, err := e.svc.CreateMigration(context.Background(), input("sftp"))
	require.NoError(t, err)
	got := wait(t, e, d.ID, "failed")
	require.Equal(t, "Internal error in Export database", got.FailureReason)
	require.Equal(t, "export_database", got.CurrentStep)
	s.mu.Lock()
	s.panics[migration.StepExportDatabase] = false
	s.mu.Unlock()
	d2, err := e.svc.CreateMigration(context.Background(), input("ftp"))
	require.NoError(t, err)
	wait(t, e, d2.ID, "successful")
}

// TestConcurrencyLimit queues five migrations on a runner allowed two at once.
func TestConcurrencyLimit(t *testing.T) {
	s := newScript()
	s.hold = 30 * time.Millisecond
	e := start(t, s, 2)
	var ids []int64
	for i := 0; i < 5; i++ {
		d, err := e.svc.CreateMigration(context.Background(), input("sftp"))
		require.NoError(t, err)
		ids = append(ids, d.ID)
	}
	for _, id := range ids {
		wait(t, e, id, "successful")
	}
	require.EqualValues(t, 2, s.peak.Load(), "two run at once, never more")
}

// TestManualWaitsForFiles checks that a manual migration parks in Wait for upload after
// checking its destination, and that Stop is allowed there.
func TestManualWaitsForFiles(t *testing.T) {
	s := newScript()
	e := start(t, s, 2)
	d, err := e.svc.CreateMigration(context.Background(), input("manual"))
	require.NoError(t, err)
	got := wait(t, e, d.ID, "waiting")
	require.Equal(t, "wait_for_upload", got.CurrentStep)
	require.True(t, got.ActionRequired)
	require.Contains(t, got.Actions, "stop")
	row, err := e.svc.StopMigration(context.Background(), d.ID)
	require.NoError(t, err)
	require.Equal(t, migration.ReasonStopped, row.FailureReason)
}

// TestRetryAfterFailureSkipsCompletedSteps fails Import database once; Retry resumes there.
func TestRetryAfterFailureSkipsCompletedSteps(t *testing.T) {
	s := newScript()
	s.fails[migration.StepImportDatabase] = 1
	e := start(t, s, 2)
	d, err := e.svc.CreateMigration(context.Background(), input("sftp"))
	require.NoError(t, err)
	got := wait(t, e, d.ID, "failed")
	require.Equal(t, "Connection timeout", got.FailureReason)
	_, err = e.svc.RetryMigration(context.Background(), d.ID, false)
	require.NoError(t, err)
	wait(t, e, d.ID, "successful")
	s.mu.Lock()
	defer s.mu.Unlock()
	require.Equal(t, 1, s.calls[migration.StepDownloadFiles])
	require.Equal(t, 2, s.calls[migration.StepImportDatabase])
	// Retry from start runs everything again — but only a failed migration may retry.
	_, err = e.svc.RetryMigration(context.Background(), d.ID, true)
	require.Equal(t, service.CodeNotAllowed, service.CodeOf(err))
}

// TestStopFromAnotherProcess stops a run through a second handle on the same history, as
// `ferry stop` in a terminal does while the window runs the migration: the running
// process notices within its watch interval and cancels the step.
func TestStopFromAnotherProcess(t *testing.T) {
	s := newScript()
	s.block[migration.StepDownloadFiles] = true
	t.Setenv("FERRY_KEYRING", "off")
	dir := t.TempDir()
	svc, err := service.Open(context.Background(), service.Config{DataDir: dir})
	require.NoError(t, err)
	// The lease is how the second process knows the first one is alive (without it, the
	// second one would take the run for interrupted).
	r := runner.New(runner.Config{Store: svc.RunnerStore(), Pipeline: s, WatchEvery: 100 * time.Millisecond, Leases: svc.Leases()})
	svc.AttachRunner(r)
	ctx, cancel := context.WithCancel(context.Background())
	r.Start(ctx)
	t.Cleanup(func() { cancel(); r.Close(); _ = svc.Close() })
	d, err := svc.CreateMigration(context.Background(), input("sftp"))
	require.NoError(t, err)
	for got := range s.entered {
		if got == migration.StepDownloadFiles {
			break
		}
	}
	other, err := service.Open(context.Background(), service.Config{DataDir: dir})
	require.NoError(t, err)
	defer other.Close()
	row, err := other.StopMigration(context.Background(), d.ID)
	require.NoError(t, err)
	require.Equal(t, migration.ReasonStopped, row.FailureReason)
	require.Eventually(t, func() bool { return !r.Running(d.ID) }, 5*time.Second, 20*time.Millisecond,
		"the run in the first process ends once the history says stopped")
	got, err := svc.GetMigration(context.Background(), d.ID)
	require.NoError(t, err)
	require.Equal(t, "failed", got.Status)
	require.Equal(t, migration.ReasonStopped, got.FailureReason)
}
