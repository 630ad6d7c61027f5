// Package runner executes migrations: a queue with a bounded number of concurrent runs,
// one cancellable context per run held in a registry, step state persisted before and
// after every step (so Retry resumes and a crash loses nothing), panics turned into failed
// steps, and start-up recovery of runs that Ferry was closed during.
package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"ferry/backend/events"
	"ferry/backend/migration"
)

// Store is what the runner needs from the history database. Every status change goes
// through SetStatus, a compare-and-set on the migration's version, so a stale writer (a
// Stop racing a step's end) cannot overwrite a newer state.
type Store interface {
	// Load returns the migration with its steps and secrets in clear.
	Load(ctx context.Context, id int64) (migration.Migration, error)
	// SetStatus moves id from version expect to status to; it fails (wrapping ErrConflict)
	// when the version moved meanwhile, and returns the new version.
	SetStatus(ctx context.Context, id, expect int64, to migration.Status, reason string, step migration.StepID) (int64, error)
	// SetCurrentStep records which step runs now without changing the status.
	SetCurrentStep(ctx context.Context, id int64, step migration.StepID) error
	// SaveStep writes one step's state.
	SaveStep(ctx context.Context, id int64, rec migration.StepRecord) error
	// SaveProgress records the running step's last progress for the table.
	SaveProgress(ctx context.Context, id int64, p events.Progress) error
	// Log appends one line to the migration's log (the implementation redacts secrets and
	// emits migration:log).
	Log(ctx context.Context, id int64, level slog.Level, step migration.StepID, msg string)
	// ListByStatus lists the IDs of migrations in any of the statuses.
	ListByStatus(ctx context.Context, st ...migration.Status) ([]int64, error)
}

// ErrConflict is what Store.SetStatus wraps when it loses a compare-and-set.
var ErrConflict = errors.New("migration changed meanwhile")

// StepFunc runs one step. It returns nil when done, migration.ErrActionRequired to park
// the migration for the admin, or an error (ideally a *migration.Failure) to fail it.
type StepFunc func(ctx context.Context, j *Job) error

// Pipeline gives the step functions for a migration; a step it has no function for is
// completed at once (steps that do not apply to the method are never asked for).
type Pipeline interface {
	Step(m migration.Migration, s migration.StepID) StepFunc
}

// Job is what a step sees of its run.
type Job struct {
	Migration migration.Migration
	Step      migration.StepID
	// Cursor is the step's resume point saved by an earlier, interrupted run ("" at first).
	Cursor string

	r   *Runner
	mu  sync.Mutex
	rec migration.StepRecord
}

// SaveCursor persists the step's resume point now, so a crash or Stop resumes from it.
func (j *Job) SaveCursor(ctx context.Context, cursor string) error {
	j.mu.Lock()
	j.Cursor, j.rec.Cursor = cursor, cursor
	rec := j.rec
	j.mu.Unlock()
	return j.r.store.SaveStep(context.WithoutCancel(ctx), j.Migration.ID, rec)
}

// Logf writes a line to the migration's log.
func (j *Job) Logf(level slog.Level, format string, args ...any) {
	j.r.store.Log(context.Background(), j.Migration.ID, level, j.Step, fmt.Sprintf(format, args...))
}

// LogfAs writes a line to the migration's log under another step of the same run: for work
// a step starts ahead of that step's turn (the database export running while files
// download).
func (j *Job) LogfAs(step migration.StepID, level slog.Level, format string, args ...any) {
	j.r.store.Log(context.Background(), j.Migration.ID, level, step, fmt.Sprintf(format, args...))
}

// Progress publishes the step's progress (callers throttle; see backend/progress).
func (j *Job) Progress(p events.Progress) {
	p.ID, p.Step = j.Migration.ID, string(j.Step)
	j.r.em.Emit(events.MigrationProgress, p)
	_ = j.r.store.SaveProgress(context.Background(), j.Migration.ID, p)
}

// ProgressAs publishes the progress of step, a step running ahead of its turn alongside
// the current one (the upload during Download files, the database import): the window
// shows it on that step's line. The history keeps the current step's progress only.
func (j *Job) ProgressAs(step migration.StepID, p events.Progress) {
	p.ID, p.Step = j.Migration.ID, string(step)
	j.r.em.Emit(events.MigrationProgress, p)
}

// Config sets up a Runner.
type Config struct {
	Store    Store
	Pipeline Pipeline
	Emitter  events.Emitter
	Logger   *slog.Logger
	// Concurrency is how many migrations run at once (default 2, at most 8).
	Concurrency int
	// StopTimeout bounds how long Stop waits for a step to return (default 2 s).
	StopTimeout time.Duration
	// Leases, when set, marks which process runs a migration (see Leases); without it
	// Recover assumes this is the only Ferry process.
	Leases *Leases
	// WatchEvery is how often a run checks that the history still says "running", so a
	// Stop or Mark as Failed made by another Ferry process stops it too (default 1 s).
	WatchEvery time.Duration
	// Gate, when set, may hold queued migrations back (per-host limits of batches) and
	// gives each run the context its steps see.
	Gate Gate
}

// Gate holds queued migrations back beyond the runner's own concurrency.
//
// Contract: Admit is called by the dispatcher without the runner's lock held and must
// not block for long; when it returns ok, release is called exactly once when that run
// ends. A migration Admit refuses stays in the queue, in order, and is asked again after
// any run ends. Context returns the context a run's steps get (ctx itself when the gate
// has nothing to add).
type Gate interface {
	Admit(id int64) (release func(), ok bool)
	Context(ctx context.Context, id int64) context.Context
}

// Runner queues and runs migrations.
type Runner struct {
	store  Store
	pipe   Pipeline
	em     events.Emitter
	log    *slog.Logger
	stopTO time.Duration
	leases *Leases
	watch  time.Duration
	gate   Gate

	mu      sync.Mutex
	slots   chan struct{}
	queue   []int64
	queued  map[int64]bool
	running map[int64]*run
	wake    chan struct{}
	wg      sync.WaitGroup
}

// run is the registry entry of one running migration.
type run struct {
	cancel context.CancelCauseFunc
	done   chan struct{}
}

// errStopped is the cancellation cause of Stop.
var errStopped = errors.New("stopped by admin")

// New makes a Runner; call Start to recover and begin.
func New(cfg Config) *Runner {
	n := cfg.Concurrency
	if n <= 0 {
		n = 2
	}
	if n > 8 {
		n = 8
	}
	if cfg.Emitter == nil {
		cfg.Emitter = events.Nop{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.StopTimeout <= 0 {
		cfg.StopTimeout = 2 * time.Second
	}
	if cfg.WatchEvery <= 0 {
		cfg.WatchEvery = time.Second
	}
	return &Runner{
		store: cfg.Store, pipe: cfg.Pipeline, em: cfg.Emitter, log: cfg.Logger, stopTO: cfg.StopTimeout,
		leases: cfg.Leases, watch: cfg.WatchEvery, gate: cfg.Gate,
		slots: make(chan struct{}, n), queued: map[int64]bool{}, running: map[int64]*run{},
		wake: make(chan struct{}, 1),
	}
}

// SetConcurrency changes how many migrations run at once (1..8) for runs started from now on.
func (r *Runner) SetConcurrency(n int) {
	if n < 1 {
		n = 1
	}
	if n > 8 {
		n = 8
	}
	r.mu.Lock()
	r.slots = make(chan struct{}, n)
	r.mu.Unlock()
	r.poke()
}

// Recover marks every run left "running" by a previous Ferry process as failed with an
// Interrupted reason (see MarkInterrupted), and queues the runs that were waiting in the
// queue.
func (r *Runner) Recover(ctx context.Context) error {
	if _, err := MarkInterrupted(ctx, r.store, r.leases, r.em); err != nil {
		return err
	}
	queued, err := r.store.ListByStatus(ctx, migration.StatusQueued)
	if err != nil {
		return fmt.Errorf("list queued runs: %w", err)
	}
	for _, id := range queued {
		r.Enqueue(id)
	}
	return nil
}

// Start runs the dispatcher until ctx ends; Close waits for running steps.
func (r *Runner) Start(ctx context.Context) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.dispatch(ctx)
	}()
}

// Enqueue puts a queued migration in line for a worker.
func (r *Runner) Enqueue(id int64) {
	r.mu.Lock()
	if !r.queued[id] && r.running[id] == nil {
		r.queued[id] = true
		r.queue = append(r.queue, id)
	}
	r.mu.Unlock()
	r.poke()
}

func (r *Runner) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *Runner) dispatch(ctx context.Context) {
	for {
		r.mu.Lock()
		slots := r.slots
		r.mu.Unlock()
		// Wait for a free slot before taking a migration off the queue, so a Stop of a
		// queued migration still finds it in the queue.
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		var id int64
		var release func()
		for {
			id, release = r.next()
			if id != 0 {
				break
			}
			select {
			case <-r.wake:
			case <-ctx.Done():
				<-slots
				return
			}
		}
		rctx, cancel := context.WithCancelCause(ctx)
		entry := &run{cancel: cancel, done: make(chan struct{})}
		r.mu.Lock()
		r.running[id] = entry
		r.mu.Unlock()
		r.wg.Add(1)
		go func(id int64) {
			defer r.wg.Done()
			defer func() { <-slots }()
			defer func() {
				release()
				r.mu.Lock()
				delete(r.running, id)
				r.mu.Unlock()
				cancel(nil)
				close(entry.done)
				r.poke()
			}()
			if r.gate != nil {
				rctx = r.gate.Context(rctx, id)
			}
			r.execute(rctx, id)
		}(id)
	}
}

// next takes the first queued migration the gate admits off the queue; 0 when none.
func (r *Runner) next() (int64, func()) {
	r.mu.Lock()
	queue := append([]int64(nil), r.queue...)
	r.mu.Unlock()
	for _, id := range queue {
		release, ok := func() { /* no gate: everything is admitted */ }, true
		if r.gate != nil {
			release, ok = r.gate.Admit(id)
		}
		if !ok {
			continue
		}
		r.mu.Lock()
		taken := r.queued[id]
		if taken {
			delete(r.queued, id)
			for i, q := range r.queue {
				if q == id {
					r.queue = append(r.queue[:i], r.queue[i+1:]...)
					break
				}
			}
		}
		r.mu.Unlock()
		if taken {
			return id, release
		}
		release() // dequeued meanwhile (Stop, Delete)
	}
	return 0, nil
}

// Running reports whether id is executing now.
func (r *Runner) Running(id int64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.running[id] != nil
}

// Dequeue removes id from the queue if it is waiting there; it reports whether it was.
func (r *Runner) Dequeue(id int64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.queued[id] {
		return false
	}
	delete(r.queued, id)
	for i, q := range r.queue {
		if q == id {
			r.queue = append(r.queue[:i], r.queue[i+1:]...)
			break
		}
	}
	return true
}

// Cancel stops a running migration's context and waits (up to the stop timeout) for its
// step to return. It reports whether the run had ended by then. The migration's status
// is left to the caller (Stop marks it failed "Stopped by admin").
func (r *Runner) Cancel(id int64) bool {
	r.Dequeue(id)
	r.mu.Lock()
	entry := r.running[id]
	r.mu.Unlock()
	if entry == nil {
		return true
	}
	entry.cancel(errStopped)
	select {
	case <-entry.done:
		return true
	case <-time.After(r.stopTO):
		return false
	}
}

// Wait blocks until id is not running (tests and headless commands).
func (r *Runner) Wait(ctx context.Context, id int64) error {
	r.mu.Lock()
	entry := r.running[id]
	r.mu.Unlock()
	if entry == nil {
		return nil
	}
	select {
	case <-entry.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close cancels every run and waits for them to return. Their status stays "running" in
// the database on purpose: the next start-up marks them Interrupted, as after a crash.
func (r *Runner) Close() {
	r.mu.Lock()
	for _, e := range r.running {
		e.cancel(context.Canceled)
	}
	r.mu.Unlock()
	r.wg.Wait()
}

// execute runs the migration's remaining steps.
func (r *Runner) execute(ctx context.Context, id int64) {
	m, err := r.store.Load(ctx, id)
	if err != nil {
		r.log.Error("load migration", "id", id, "err", err)
		return
	}
	if m.Status != migration.StatusQueued {
		return // stopped or deleted while queued
	}
	if r.leases != nil {
		release, ok, err := r.leases.Acquire(id)
		if err != nil || !ok {
			r.log.Warn("migration runs in another Ferry process", "id", id, "err", err)
			return
		}
		defer release()
	}
	go r.watchStatus(ctx, id)
	steps := migration.StepsFor(m.Method)
	first := m.CurrentStep
	if !first.Valid() {
		first = steps[0]
	}
	ver, err := r.store.SetStatus(ctx, id, m.Version, migration.StatusRunning, "", first)
	if err != nil {
		r.log.Warn("start migration", "id", id, "err", err)
		return
	}
	m.Version, m.Status = ver, migration.StatusRunning
	r.changed(m, first)
	state := map[migration.StepID]migration.StepRecord{}
	for _, rec := range m.Steps {
		state[rec.Step] = rec
	}
	for _, s := range steps {
		rec := state[s]
		rec.Step = s
		if rec.State == migration.StepCompleted {
			continue
		}
		if s != m.CurrentStep {
			if err := r.store.SetCurrentStep(ctx, id, s); err != nil {
				r.log.Warn("advance migration", "id", id, "err", err)
				return
			}
		}
		m.CurrentStep = s
		rec.State, rec.StartedAt, rec.FinishedAt, rec.Error, rec.Percent = migration.StepRunning, time.Now(), time.Time{}, "", 0
		if err := r.store.SaveStep(ctx, id, rec); err != nil {
			r.fail(ctx, &m, rec, fmt.Errorf("save step: %w", err))
			return
		}
		r.changed(m, s)
		r.store.Log(ctx, id, slog.LevelInfo, s, s.Title()+" started")
		job := &Job{Migration: m, Step: s, Cursor: rec.Cursor, r: r, rec: rec}
		err := r.runStep(ctx, job)
		job.mu.Lock()
		rec = job.rec
		job.mu.Unlock()
		rec.FinishedAt = time.Now()
		switch {
		case err == nil:
			rec.State, rec.Percent = migration.StepCompleted, 100
			if err := r.store.SaveStep(context.WithoutCancel(ctx), id, rec); err != nil {
				r.fail(ctx, &m, rec, fmt.Errorf("save step: %w", err))
				return
			}
			r.store.Log(ctx, id, slog.LevelInfo, s, fmt.Sprintf("%s completed in %s", s.Title(), rec.Duration().Round(time.Millisecond)))
		case errors.Is(err, migration.ErrActionRequired):
			rec.State, rec.FinishedAt = migration.StepActionRequired, time.Time{}
			_ = r.store.SaveStep(context.WithoutCancel(ctx), id, rec)
			if _, err := r.store.SetStatus(context.WithoutCancel(ctx), id, m.Version, migration.StatusWaiting, "", s); err != nil {
				r.log.Warn("park migration", "id", id, "err", err)
			}
			r.changed(migration.Migration{ID: id, Status: migration.StatusWaiting}, s)
			return
		default:
			if context.Cause(ctx) == errStopped {
				// Stop owns the status change; record the step as failed and leave.
				rec.State, rec.Error = migration.StepFailed, migration.ReasonStopped
				_ = r.store.SaveStep(context.WithoutCancel(ctx), id, rec)
				return
			}
			if ctx.Err() != nil {
				// Ferry is closing: leave the run "running" so start-up marks it Interrupted.
				rec.State = migration.StepRunning
				_ = r.store.SaveStep(context.WithoutCancel(ctx), id, rec)
				return
			}
			r.fail(ctx, &m, rec, err)
			return
		}
	}
	if _, err := r.store.SetStatus(context.WithoutCancel(ctx), id, m.Version, migration.StatusSuccessful, "", m.CurrentStep); err != nil {
		r.log.Warn("complete migration", "id", id, "err", err)
		return
	}
	r.store.Log(ctx, id, slog.LevelInfo, m.CurrentStep, "Migration completed")
	r.changed(migration.Migration{ID: id, Status: migration.StatusSuccessful}, m.CurrentStep)
}

// watchStatus cancels the run when the history stops saying it is running: another Ferry
// process stopped it, marked it failed or deleted it.
func (r *Runner) watchStatus(ctx context.Context, id int64) {
	t := time.NewTicker(r.watch)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		m, err := r.store.Load(ctx, id)
		if ctx.Err() != nil {
			return
		}
		if err != nil || (m.Status != migration.StatusRunning && m.Status != migration.StatusQueued) {
			r.mu.Lock()
			entry := r.running[id]
			r.mu.Unlock()
			if entry != nil {
				entry.cancel(errStopped)
			}
			return
		}
	}
}

// runStep calls the step function, turning a panic into an error.
func (r *Runner) runStep(ctx context.Context, j *Job) (err error) {
	fn := r.pipe.Step(j.Migration, j.Step)
	if fn == nil {
		return nil
	}
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("step panicked", "id", j.Migration.ID, "step", j.Step, "panic", p, "stack", string(debug.Stack()))
			err = migration.Fail(fmt.Sprintf("Internal error in %s", j.Step.Title()), fmt.Errorf("panic: %v", p))
		}
	}()
	return fn(ctx, j)
}

func (r *Runner) fail(ctx context.Context, m *migration.Migration, rec migration.StepRecord, err error) {
	bg := context.WithoutCancel(ctx)
	reason, detail := migration.ShortReasonOf(err), migration.ReasonOf(err)
	rec.State, rec.Error = migration.StepFailed, detail
	if rec.FinishedAt.IsZero() {
		rec.FinishedAt = time.Now()
	}
	_ = r.store.SaveStep(bg, m.ID, rec)
	r.store.Log(bg, m.ID, slog.LevelError, rec.Step, fmt.Sprintf("%s failed: %s", rec.Step.Title(), detail))
	if _, serr := r.store.SetStatus(bg, m.ID, m.Version, migration.StatusFailed, reason, rec.Step); serr != nil {
		r.log.Warn("fail migration", "id", m.ID, "err", serr)
	}
	r.changed(migration.Migration{ID: m.ID, Status: migration.StatusFailed}, rec.Step)
}

func (r *Runner) changed(m migration.Migration, s migration.StepID) {
	r.em.Emit(events.MigrationChanged, events.Changed{ID: m.ID, Status: string(m.Status), Step: string(s)})
}
