package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"

	"ferry/backend/events"
	"ferry/backend/migration"
	"ferry/backend/runner"
	"ferry/backend/store"
)

// runStore is the history as the runner sees it: secrets opened on Load, log lines
// redacted and sent to the UI, status changes by compare-and-set.
type runStore struct{ s *Service }

var _ runner.Store = runStore{}

func (r runStore) Load(ctx context.Context, id int64) (migration.Migration, error) {
	rec, err := r.s.st.Get(ctx, id)
	if err != nil {
		return migration.Migration{}, err
	}
	m := rec.Migration
	for _, p := range []*string{&m.Source.Password, &m.Source.PrivateKey, &m.Source.Passphrase, &m.Source.DB.Password,
		&m.Destination.Password, &m.Destination.PrivateKey, &m.Destination.Passphrase, &m.Destination.DB.Password} {
		clear, err := r.s.box.Open(*p)
		if err != nil {
			return migration.Migration{}, fmt.Errorf("open stored credentials of migration %d: %w", id, err)
		}
		*p = clear
	}
	return m, nil
}

func (r runStore) SetStatus(ctx context.Context, id, expect int64, to migration.Status, reason string, step migration.StepID) (int64, error) {
	if err := r.s.st.CompareAndSetStatus(ctx, id, expect, to, reason, step); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return 0, fmt.Errorf("%w: %w", runner.ErrConflict, err)
		}
		return 0, err
	}
	return expect + 1, nil
}

func (r runStore) SetCurrentStep(ctx context.Context, id int64, step migration.StepID) error {
	return r.s.st.SetCurrentStep(ctx, id, step)
}

func (r runStore) SaveStep(ctx context.Context, id int64, rec migration.StepRecord) error {
	return r.s.st.SetStep(ctx, id, rec)
}

func (r runStore) SaveProgress(ctx context.Context, id int64, p events.Progress) error {
	return r.s.st.SetProgress(ctx, id, store.Progress{Percent: p.Percent, Speed: p.Speed, ETASeconds: p.ETASeconds})
}

func (r runStore) Log(ctx context.Context, id int64, level slog.Level, step migration.StepID, msg string) {
	lv := store.LevelInfo
	switch {
	case level >= slog.LevelError:
		lv = store.LevelError
	case level >= slog.LevelWarn:
		lv = store.LevelWarn
	case level < slog.LevelInfo:
		lv = store.LevelDebug
	}
	if _, err := r.s.AppendLog(context.WithoutCancel(ctx), id, lv, step, msg); err != nil {
		r.s.log.Warn("append log", "id", id, "err", err)
	}
}

func (r runStore) ListByStatus(ctx context.Context, st ...migration.Status) ([]int64, error) {
	recs, err := r.s.st.ListByStatus(ctx, st...)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(recs))
	for i, rec := range recs {
		ids[i] = rec.ID
	}
	return ids, nil
}

// RunnerStore is the history as the runner needs it.
func (s *Service) RunnerStore() runner.Store { return runStore{s} }

// AttachRunner connects the service to the runner: new and retried migrations are queued
// on it, and Stop, Mark as Failed and Delete cancel its runs.
func (s *Service) AttachRunner(r *runner.Runner) {
	s.mu.Lock()
	s.runner = r
	s.mu.Unlock()
	s.SetStopper(runnerStopper{r})
}

func (s *Service) getRunner() *runner.Runner {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.runner
}

// enqueue hands a queued migration to the runner, when one is attached.
func (s *Service) enqueue(id int64) {
	if r := s.getRunner(); r != nil {
		r.Enqueue(id)
	}
}

type runnerStopper struct{ r *runner.Runner }

func (st runnerStopper) Stop(ctx context.Context, id int64) error {
	if !st.r.Cancel(id) {
		return errors.New("the running step did not stop in time; try again")
	}
	return nil
}

// StopMigration stops a migration in progress: its run is cancelled (within about two
// seconds), it becomes Failed with "Stopped by admin", and its staging files are kept so
// Retry can resume.
func (s *Service) StopMigration(ctx context.Context, id int64) (MigrationRow, error) {
	rec, err := s.st.Get(ctx, id)
	if err != nil {
		return MigrationRow{}, fail(err, "stop migration %d", id)
	}
	if interrupted(rec) {
		// Its process died mid-run: there is nothing left to cancel, only its half-done
		// import to undo, as a live run's import undoes itself when stopped.
		if err := s.cleanUpInterrupted(ctx, rec); err != nil {
			return MigrationRow{}, fail(err, "stop migration %d", id)
		}
		_, _ = s.AppendLog(ctx, id, store.LevelWarn, rec.CurrentStep, "Stopped by admin after Ferry was closed during the run; staging files are kept so Retry can resume")
		return rowOf(rec), nil
	}
	if err := migration.Allowed(rec.Facts(), migration.ActionStop); err != nil {
		return MigrationRow{}, fail(err, "stop migration %d", id)
	}
	if st := s.getStopper(); st != nil {
		if err := st.Stop(ctx, id); err != nil {
			return MigrationRow{}, fail(err, "stop migration %d", id)
		}
	}
	// Re-read: the run may have moved the migration on before it stopped.
	rec, err = s.st.Get(ctx, id)
	if err != nil {
		return MigrationRow{}, fail(err, "stop migration %d", id)
	}
	if rec.Status.Tab() == migration.TabInProgress {
		if err := s.st.CompareAndSetStatus(ctx, id, rec.Version, migration.StatusFailed, migration.ReasonStopped, rec.CurrentStep); err != nil {
			return MigrationRow{}, fail(err, "stop migration %d", id)
		}
		s.failOpenStep(ctx, rec, migration.ReasonStopped)
	}
	_, _ = s.AppendLog(ctx, id, store.LevelWarn, rec.CurrentStep, "Stopped by admin; staging files are kept so Retry can resume")
	rec, err = s.st.Get(ctx, id)
	if err != nil {
		return MigrationRow{}, fail(err, "stop migration %d", id)
	}
	s.changed(id, rec.Status, rec.CurrentStep, false)
	return rowOf(rec), nil
}

// RetryMigration queues a failed migration again. It resumes at the failed step, skipping
// completed steps and the work each step recorded as done; fromStart runs every step again
// and discards the staging files.
func (s *Service) RetryMigration(ctx context.Context, id int64, fromStart bool) (MigrationRow, error) {
	action := migration.ActionRetry
	if fromStart {
		action = migration.ActionRetryFromStart
	}
	rec, err := s.st.Get(ctx, id)
	if err != nil {
		return MigrationRow{}, fail(err, "retry migration %d", id)
	}
	if err := migration.Allowed(rec.Facts(), action); err != nil {
		return MigrationRow{}, fail(err, "retry migration %d", id)
	}
	first := rec.CurrentStep
	for _, st := range rec.Steps {
		reset := st.State != migration.StepCompleted || fromStart
		if rec.Method == migration.MethodManual && fromStart && !st.Step.After(migration.StepWaitForUpload) && st.Step != migration.StepCheckDestination {
			// Retry from start of a manual migration goes back to waiting for its files.
			reset = true
		}
		if !reset {
			continue
		}
		cursor := st.Cursor
		if fromStart {
			cursor = ""
		}
		if err := s.st.SetStep(ctx, id, migration.StepRecord{Step: st.Step, State: migration.StepNotStarted, Cursor: cursor}); err != nil {
			return MigrationRow{}, fail(err, "retry migration %d", id)
		}
	}
	if fromStart {
		first = migration.StepsFor(rec.Method)[0]
		if err := s.removeStaging(id); err != nil && !errors.Is(err, os.ErrNotExist) {
			return MigrationRow{}, fail(err, "retry migration %d", id)
		}
		if err := s.st.SetResults(ctx, id, nil); err != nil {
			return MigrationRow{}, fail(err, "retry migration %d", id)
		}
		if rec.Method == migration.MethodManual {
			if err := s.st.SetAttachment(ctx, id, rec.Attached, false); err != nil {
				return MigrationRow{}, fail(err, "retry migration %d", id)
			}
		}
	}
	if err := s.st.CompareAndSetStatus(ctx, id, rec.Version, migration.StatusQueued, "", first); err != nil {
		return MigrationRow{}, fail(err, "retry migration %d", id)
	}
	msg := "Retry requested: resuming at " + first.Title()
	if fromStart {
		msg = "Retry from start requested"
	}
	_, _ = s.AppendLog(ctx, id, store.LevelInfo, first, msg)
	s.enqueue(id)
	rec, err = s.st.Get(ctx, id)
	if err != nil {
		return MigrationRow{}, fail(err, "retry migration %d", id)
	}
	s.changed(id, rec.Status, rec.CurrentStep, false)
	return rowOf(rec), nil
}

// RetryMigrations retries several failed migrations (bulk Retry on the Failed tab).
func (s *Service) RetryMigrations(ctx context.Context, ids []int64) (BulkResult, error) {
	res := BulkResult{Done: []int64{}, Failed: map[int64]string{}}
	if len(ids) == 0 {
		return res, &Error{Code: CodeInvalid, Message: "choose at least one migration to retry"}
	}
	var first error
	for _, id := range ids {
		if _, err := s.RetryMigration(ctx, id, false); err != nil {
			res.Failed[id] = err.Error()
			if first == nil {
				first = err
			}
			continue
		}
		res.Done = append(res.Done, id)
	}
	sort.Slice(res.Done, func(i, j int) bool { return res.Done[i] < res.Done[j] })
	if len(res.Done) == 0 {
		return res, first
	}
	return res, nil
}
