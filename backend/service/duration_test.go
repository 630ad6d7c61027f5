package service

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/migration"
)

// TestDurationsLeaveOutTheTimeBetweenAttempts: a migration that failed at 10:00 after two
// minutes and was retried the next morning for three more took five minutes of work, not
// a day; the span is reported apart.
func TestDurationsLeaveOutTheTimeBetweenAttempts(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	next := t0.Add(24 * time.Hour)
	m := migration.Migration{
		Status: migration.StatusSuccessful, StartedAt: t0, CompletedAt: next.Add(3 * time.Minute),
		Steps: []migration.StepRecord{
			{Step: migration.StepCheckDestination, State: migration.StepCompleted, StartedAt: t0, FinishedAt: t0.Add(time.Minute)},
			{Step: migration.StepAnalyseSource, State: migration.StepCompleted, StartedAt: t0.Add(time.Minute), FinishedAt: t0.Add(2 * time.Minute)},
			{Step: migration.StepDownloadFiles, State: migration.StepCompleted, StartedAt: next, FinishedAt: next.Add(3 * time.Minute)},
		},
	}
	total, wall := durations(m, next.Add(time.Hour))
	require.Equal(t, (5 * time.Minute).Milliseconds(), total)
	require.Equal(t, (24*time.Hour + 3*time.Minute).Milliseconds(), wall)

	// A running step counts up to now; a step left "running" by a failed run does not.
	m.Status, m.CompletedAt = migration.StatusRunning, time.Time{}
	m.Steps = append(m.Steps, migration.StepRecord{Step: migration.StepUploadFiles, State: migration.StepRunning, StartedAt: next.Add(3 * time.Minute)})
	total, wall = durations(m, next.Add(4*time.Minute))
	require.Equal(t, (6 * time.Minute).Milliseconds(), total)
	require.Equal(t, (24*time.Hour + 4*time.Minute).Milliseconds(), wall)
	m.Status = migration.StatusFailed
	total, _ = durations(m, next.Add(10*time.Minute))
	require.Equal(t, (5 * time.Minute).Milliseconds(), total)
}
