package service

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"ferry/backend/migration"
	"ferry/backend/pipeline"
	"ferry/backend/runner"
	"ferry/backend/store"
)

// A run whose Ferry process was killed stays "running" in the history. Every process that
// opens the history sweeps such runs (their lease is free: see runner.Leases) into Failed
// "Interrupted: Ferry was closed during <step>" before it answers anything, and the
// window's list sweeps again now and then, so a `ferry migrate` killed while the window is
// open does not stay In Progress there either.

// sweepEvery bounds how often ListMigrations looks for interrupted runs.
const sweepEvery = 2 * time.Second

// LeaseDir is the folder of the run leases inside a data dir.
func LeaseDir(dataDir string) string { return filepath.Join(dataDir, "runs") }

// Leases are the run leases of this history, for the runner.
func (s *Service) Leases() *runner.Leases { return s.leases }

// sweep marks runs no living process runs as interrupted. Runs the attached runner
// executes in this process are left alone even when it keeps no leases (tests).
func (s *Service) sweep(ctx context.Context) error {
	s.mu.Lock()
	s.swept = time.Now()
	s.mu.Unlock()
	_, err := runner.MarkInterrupted(ctx, liveStore{runStore{s}}, s.leases, s.emit)
	return err
}

// sweepSometimes is sweep at most every sweepEvery; a failure is only logged, since the
// list is still worth showing.
func (s *Service) sweepSometimes(ctx context.Context) {
	s.mu.RLock()
	due := time.Since(s.swept) >= sweepEvery
	s.mu.RUnlock()
	if !due {
		return
	}
	if err := s.sweep(ctx); err != nil {
		s.log.Warn("mark interrupted migrations", "err", err)
	}
}

// liveStore hides from the sweep the runs this process's runner executes.
type liveStore struct{ runStore }

func (l liveStore) ListByStatus(ctx context.Context, st ...migration.Status) ([]int64, error) {
	ids, err := l.runStore.ListByStatus(ctx, st...)
	r := l.s.getRunner()
	if err != nil || r == nil {
		return ids, err
	}
	out := ids[:0]
	for _, id := range ids {
		if !r.Running(id) {
			out = append(out, id)
		}
	}
	return out, nil
}

// interrupted reports whether rec is a run whose process died (swept, or found at
// start-up) and that nobody stopped or retried since.
func interrupted(rec store.Record) bool {
	return rec.Status == migration.StatusFailed && strings.HasPrefix(rec.FailureReason, migration.InterruptedReason(""))
}

// cleanUpInterrupted does for an interrupted run what Stop does for a live one: the
// tables its unfinished import created are dropped from the destination database.
func (s *Service) cleanUpInterrupted(ctx context.Context, rec store.Record) error {
	p := s.cleanupPipeline()
	tables, err := p.UnfinishedTables(ctx, rec.ID)
	if err != nil || len(tables) == 0 {
		return err
	}
	m, err := runStore{s}.Load(ctx, rec.ID)
	if err != nil {
		return err
	}
	dropped, err := p.DropUnfinishedTables(ctx, m)
	if err != nil {
		return fmt.Errorf("remove the tables of the unfinished import: %w", err)
	}
	if len(dropped) > 0 {
		_, _ = s.AppendLog(ctx, rec.ID, store.LevelWarn, rec.CurrentStep,
			"Removed the tables the interrupted import had not finished: "+strings.Join(dropped, ", "))
	}
	return nil
}

// cleanupPipeline is the attached pipeline, or one made for the clean-up alone (a
// headless `ferry stop` runs no engine).
func (s *Service) cleanupPipeline() *pipeline.Pipeline {
	s.mu.RLock()
	p := s.pipe
	s.mu.RUnlock()
	if p != nil {
		return p
	}
	return &pipeline.Pipeline{DataDir: s.dataDir, HostKeys: s.st.HostKeys(), Results: s.st, Files: s.st}
}

// RemoveLeftAgents removes the PHP agents that runs killed mid-way left in a docroot (their
// paths are in the history before each upload), logging each in its migration's log.
// The window and `ferry migrate` call it at start-up, in the background: an agent also
// deletes itself after some idle minutes, and a Retry or Clean up removes it too.
func (s *Service) RemoveLeftAgents(ctx context.Context) error {
	ids, err := liveStore{runStore{s}}.ListByStatus(ctx, migration.StatusFailed)
	if err != nil {
		return fmt.Errorf("list failed migrations: %w", err)
	}
	p := s.cleanupPipeline()
	for _, id := range ids {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		m, err := runStore{s}.Load(ctx, id)
		if err != nil {
			continue // deleted meanwhile
		}
		p.RemoveLeftAgents(ctx, m, func(level slog.Level, msg string) {
			runStore{s}.Log(ctx, id, level, m.CurrentStep, msg)
		})
	}
	return nil
}
