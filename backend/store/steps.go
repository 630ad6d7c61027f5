package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"ferry/backend/migration"
)

// SetStep writes one step's state (insert or replace). The runner calls it before and
// after every step so a crash leaves the last known state for Retry to resume from.
func (s *Store) SetStep(ctx context.Context, id int64, r migration.StepRecord) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return s.setStep(ctx, tx, id, r) })
}

func (s *Store) setStep(ctx context.Context, tx *sql.Tx, id int64, r migration.StepRecord) error {
	if !r.Step.Valid() {
		return fmt.Errorf("set step of migration %d: unknown step %q", id, r.Step)
	}
	if r.State == "" {
		r.State = migration.StepNotStarted
	}
	if !validState(r.State) {
		return fmt.Errorf("set step %s of migration %d: unknown state %q", r.Step, id, r.State)
	}
	stmt, err := s.stmt(ctx, tx, upsertStepSQL)
	if err != nil {
		return err
	}
	_, err = stmt.ExecContext(ctx, id, string(r.Step), string(r.State), ms(r.StartedAt), ms(r.FinishedAt), r.Error, r.Cursor, r.Percent)
	if err != nil {
		return fmt.Errorf("set step %s of migration %d: %w", r.Step, id, err)
	}
	return nil
}

func validState(st migration.StepState) bool {
	for _, x := range migration.StepStates {
		if st == x {
			return true
		}
	}
	return false
}

// Steps returns the stored step records of a migration in run order (steps never
// written are absent; Get fills them in as not started).
func (s *Store) Steps(ctx context.Context, id int64) ([]migration.StepRecord, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT step, state, started_at, finished_at, error, cursor, percent
		FROM steps WHERE migration_id = ?`, id)
	if err != nil {
		return nil, fmt.Errorf("steps of migration %d: %w", id, err)
	}
	defer rows.Close()
	var out []migration.StepRecord
	for rows.Next() {
		var r migration.StepRecord
		var step, state string
		var started, finished int64
		if err := rows.Scan(&step, &state, &started, &finished, &r.Error, &r.Cursor, &r.Percent); err != nil {
			return nil, fmt.Errorf("steps of migration %d: %w", id, err)
		}
		r.Step, r.State = migration.StepID(step), migration.StepState(state)
		r.StartedAt, r.FinishedAt = fromMS(started), fromMS(finished)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("steps of migration %d: %w", id, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Step.Number() < out[j].Step.Number() })
	return out, nil
}

// Log levels a log line may carry.
const (
	LevelDebug = "debug"
	LevelInfo  = "info"
	LevelWarn  = "warn"
	LevelError = "error"
)

// LogLine is one line of a migration's log. Seq orders all lines; it only grows.
type LogLine struct {
	Seq     int64
	Time    time.Time
	Level   string
	Step    migration.StepID
	Message string
}

// AppendLog stores a log line (already redacted by the caller) and returns its Seq.
// A zero Time means now.
func (s *Store) AppendLog(ctx context.Context, id int64, l LogLine) (int64, error) {
	switch l.Level {
	case LevelDebug, LevelInfo, LevelWarn, LevelError:
	default:
		return 0, fmt.Errorf("append log to migration %d: unknown level %q", id, l.Level)
	}
	if l.Time.IsZero() {
		l.Time = s.now()
	}
	res, err := s.w.ExecContext(ctx, `INSERT INTO logs (migration_id, time, level, step, message) VALUES (?,?,?,?,?)`,
		id, ms(l.Time), l.Level, string(l.Step), l.Message)
	if err != nil {
		return 0, fmt.Errorf("append log to migration %d: %w", id, err)
	}
	seq, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("append log to migration %d: %w", id, err)
	}
	return seq, nil
}

// Logs returns up to limit lines with Seq > afterSeq, oldest first; limit <= 0 means 1000.
func (s *Store) Logs(ctx context.Context, id, afterSeq int64, limit int) ([]LogLine, error) {
	if limit <= 0 {
		limit = 1000
	}
	return s.logs(ctx, id, `SELECT seq, time, level, step, message FROM logs
		WHERE migration_id = ? AND seq > ? ORDER BY seq LIMIT ?`, id, afterSeq, limit)
}

// LogTail returns the last n lines, oldest first.
func (s *Store) LogTail(ctx context.Context, id int64, n int) ([]LogLine, error) {
	out, err := s.logs(ctx, id, `SELECT seq, time, level, step, message FROM logs
		WHERE migration_id = ? ORDER BY seq DESC LIMIT ?`, id, n)
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, err
}

func (s *Store) logs(ctx context.Context, id int64, query string, args ...any) ([]LogLine, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("logs of migration %d: %w", id, err)
	}
	defer rows.Close()
	var out []LogLine
	for rows.Next() {
		var l LogLine
		var t int64
		var step string
		if err := rows.Scan(&l.Seq, &t, &l.Level, &step, &l.Message); err != nil {
			return nil, fmt.Errorf("logs of migration %d: %w", id, err)
		}
		l.Time, l.Step = fromMS(t), migration.StepID(step)
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("logs of migration %d: %w", id, err)
	}
	return out, nil
}

const upsertStepSQL = `INSERT INTO steps (migration_id, step, state, started_at, finished_at, error, cursor, percent)
		VALUES (?,?,?,?,?,?,?,?)
		ON CONFLICT (migration_id, step) DO UPDATE SET state = excluded.state, started_at = excluded.started_at,
		finished_at = excluded.finished_at, error = excluded.error, cursor = excluded.cursor, percent = excluded.percent`
