package runner

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"ferry/backend/events"
	"ferry/backend/migration"
)

// MarkInterrupted fails every run the history says is "running" but no living process
// runs: its lease is free, because the process holding it was killed (or quit without
// finishing). Each becomes Failed with migration.InterruptedReason of the step it was in,
// its running step failed too; staging and the import's records are kept, so Retry
// resumes. Every process that opens the history calls it before answering (the window, a
// headless migrate, retry, stop or list), so a killed run never shows as still in
// progress with stale numbers. Without leases (nil) the caller must be the only Ferry
// process: every running run is then taken as interrupted. It returns the IDs marked.
func MarkInterrupted(ctx context.Context, st Store, leases *Leases, em events.Emitter) ([]int64, error) {
	if em == nil {
		em = events.Nop{}
	}
	ids, err := st.ListByStatus(ctx, migration.StatusRunning)
	if err != nil {
		return nil, fmt.Errorf("list interrupted runs: %w", err)
	}
	var marked []int64
	for _, id := range ids {
		ok, err := markOne(ctx, st, leases, em, id)
		if err != nil {
			return marked, err
		}
		if ok {
			marked = append(marked, id)
		}
	}
	return marked, nil
}

// markOne marks id interrupted when its lease is free, holding the lease meanwhile so the
// run cannot start or end under it.
func markOne(ctx context.Context, st Store, leases *Leases, em events.Emitter, id int64) (bool, error) {
	if leases != nil {
		release, free, err := leases.Acquire(id)
		if err != nil {
			return false, err
		}
		if !free {
			return false, nil // a live Ferry process runs it
		}
		defer release()
	}
	m, err := st.Load(ctx, id)
	if err != nil {
		return false, fmt.Errorf("load interrupted run %d: %w", id, err)
	}
	if m.Status != migration.StatusRunning {
		return false, nil // it ended between the listing and the lease
	}
	reason := migration.InterruptedReason(m.CurrentStep)
	for _, rec := range m.Steps {
		if rec.State == migration.StepRunning {
			rec.State, rec.Error, rec.FinishedAt = migration.StepFailed, reason, time.Now()
			if err := st.SaveStep(ctx, id, rec); err != nil {
				return false, err
			}
		}
	}
	if _, err := st.SetStatus(ctx, id, m.Version, migration.StatusFailed, reason, m.CurrentStep); err != nil {
		return false, fmt.Errorf("mark run %d interrupted: %w", id, err)
	}
	st.Log(ctx, id, slog.LevelError, m.CurrentStep, reason)
	em.Emit(events.MigrationChanged, events.Changed{ID: id, Status: string(migration.StatusFailed), Step: string(m.CurrentStep)})
	return true, nil
}
