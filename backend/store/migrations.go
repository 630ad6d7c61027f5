package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"ferry/backend/migration"
)

// Progress is the last known progress of a migration's running step.
type Progress struct {
	Percent    float64
	Speed      float64 // bytes (or rows) per second
	ETASeconds float64 // -1 when unknown
}

// Record is a migration as stored: the domain value plus what only the table shows.
// Secrets in Source and Destination are sealed exactly as the caller stored them.
type Record struct {
	migration.Migration
	Progress Progress
}

const recordCols = `m.id, m.user_id, u.name, u.email, u.status, s.name, m.domain, m.method, m.status,
	m.failure_reason, m.current_step, m.old_url, m.new_url, c.source, c.destination, c.options,
	m.progress_percent, m.progress_speed, m.progress_eta, m.attached, m.verified,
	m.created_at, m.started_at, m.completed_at, m.updated_at, m.version`

const recordFrom = ` FROM migrations m JOIN users u ON u.id = m.user_id JOIN services s ON s.id = m.service_id
	JOIN migration_configs c ON c.migration_id = m.id`

type scanner interface{ Scan(dest ...any) error }

func scanRecord(sc scanner, extra ...any) (Record, error) {
	var r Record
	var src, dst, opts, method, status, step, ustatus string
	var created, started, completed, updated int64
	var attached, verified int
	dest := []any{&r.ID, &r.User.ID, &r.User.Name, &r.User.Email, &ustatus, &r.Service, &r.Domain,
		&method, &status, &r.FailureReason, &step, &r.OldURL, &r.NewURL, &src, &dst, &opts,
		&r.Progress.Percent, &r.Progress.Speed, &r.Progress.ETASeconds, &attached, &verified,
		&created, &started, &completed, &updated, &r.Version}
	if err := sc.Scan(append(dest, extra...)...); err != nil {
		return Record{}, err
	}
	r.User.Status = migration.UserStatus(ustatus)
	r.Method, r.Status, r.CurrentStep = migration.Method(method), migration.Status(status), migration.StepID(step)
	r.Attached, r.Verified = attached != 0, verified != 0
	r.CreatedAt, r.StartedAt, r.CompletedAt, r.UpdatedAt = fromMS(created), fromMS(started), fromMS(completed), fromMS(updated)
	if err := json.Unmarshal([]byte(src), &r.Source); err != nil {
		return Record{}, fmt.Errorf("decode source of migration %d: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(dst), &r.Destination); err != nil {
		return Record{}, fmt.Errorf("decode destination of migration %d: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(opts), &r.Options); err != nil {
		return Record{}, fmt.Errorf("decode options of migration %d: %w", r.ID, err)
	}
	return r, nil
}

// Create stores a new migration, its owner (found by email, or created from m.User when
// m.User.ID is 0), its service (by name) and one not-started row per step of its method,
// except the steps already listed in m.Steps, which are stored as given. It fills m.ID,
// m.User.ID, m.Version and the times. Secrets in m must already be sealed.
func (s *Store) Create(ctx context.Context, m *migration.Migration) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return s.create(ctx, tx, m) })
}

// CreateMany stores many migrations in one transaction (imports, benchmarks, seeding):
// all or none are stored.
func (s *Store) CreateMany(ctx context.Context, ms []*migration.Migration) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, m := range ms {
			if err := s.create(ctx, tx, m); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) create(ctx context.Context, tx *sql.Tx, m *migration.Migration) error {
	if !m.Method.Valid() {
		return fmt.Errorf("create migration: unknown method %q", m.Method)
	}
	if !m.Status.Valid() {
		return fmt.Errorf("create migration: unknown status %q", m.Method)
	}
	for _, r := range m.Steps {
		if !r.Step.AppliesTo(m.Method) {
			return fmt.Errorf("create migration: step %q does not apply to the %s method", r.Step, m.Method)
		}
	}
	now := s.now()
	user, err := s.ensureUser(ctx, tx, m.User, now)
	if err != nil {
		return err
	}
	serviceID, err := s.ensureService(ctx, tx, m.Service)
	if err != nil {
		return err
	}
	src, dst, opts, err := encodeConfig(m)
	if err != nil {
		return err
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = now
	}
	m.UpdatedAt, m.Version, m.User = now, 1, user
	search := strings.ToLower(strings.Join([]string{user.Name, user.Email, m.Domain, m.Service}, "\n"))
	stmt, err := s.stmt(ctx, tx, insertMigrationSQL)
	if err != nil {
		return err
	}
	res, err := stmt.ExecContext(ctx, user.ID, serviceID, m.Domain, string(m.Method), string(m.Status), m.FailureReason,
		string(m.CurrentStep), m.OldURL, m.NewURL, b2i(m.Attached), b2i(m.Verified),
		ms(m.CreatedAt), ms(m.StartedAt), ms(m.CompletedAt), ms(m.UpdatedAt), search)
	if err != nil {
		return fmt.Errorf("insert migration: %w", err)
	}
	if m.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("insert migration: %w", err)
	}
	cstmt, err := s.stmt(ctx, tx, insertConfigSQL)
	if err != nil {
		return err
	}
	if _, err := cstmt.ExecContext(ctx, m.ID, string(src), string(dst), string(opts)); err != nil {
		return fmt.Errorf("insert migration: %w", err)
	}
	// Only the steps given are written; the others are not started, which Steps reports
	// without a row each. That keeps a create at three statements.
	for _, r := range m.Steps {
		if err := s.setStep(ctx, tx, m.ID, r); err != nil {
			return err
		}
	}
	m.Steps = fillSteps(m.Method, m.Steps)
	return nil
}

// fillSteps returns one record per step of method, in run order: the stored ones as they
// are and the others not started.
func fillSteps(method migration.Method, stored []migration.StepRecord) []migration.StepRecord {
	got := make(map[migration.StepID]migration.StepRecord, len(stored))
	for _, r := range stored {
		got[r.Step] = r
	}
	steps := migration.StepsFor(method)
	out := make([]migration.StepRecord, 0, len(steps))
	for _, id := range steps {
		r, ok := got[id]
		if !ok {
			r = migration.StepRecord{Step: id, State: migration.StepNotStarted}
		}
		out = append(out, r)
	}
	return out
}

// Get returns one migration with its steps in run order.
func (s *Store) Get(ctx context.Context, id int64) (Record, error) {
	r, err := scanRecord(s.r.QueryRowContext(ctx, `SELECT `+recordCols+recordFrom+` WHERE m.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Record{}, fmt.Errorf("migration %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Record{}, fmt.Errorf("get migration %d: %w", id, err)
	}
	stored, err := s.Steps(ctx, id)
	if err != nil {
		return Record{}, err
	}
	r.Steps = fillSteps(r.Method, stored)
	return r, nil
}

// Delete removes a migration with its steps, logs and attached-file records (the caller
// removes staging folders). Deleting a missing migration returns ErrNotFound.
func (s *Store) Delete(ctx context.Context, id int64) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM migrations WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete migration %d: %w", id, err)
	}
	return affected(res, id)
}

func affected(res sql.Result, id int64) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("migration %d: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("migration %d: %w", id, ErrNotFound)
	}
	return nil
}

// CompareAndSetStatus moves migration id to status to, but only when its version is still
// expectVersion and the transition table allows the change. On success the version becomes
// expectVersion+1. reason is the failure reason (kept only when to is failed). step, when
// not empty, becomes the current step. Entering running stamps started_at once; entering
// successful or failed stamps completed_at; entering queued or running clears it.
// A lost race returns an error wrapping ErrConflict; a refused change wraps
// migration.ErrTransition; a missing row wraps ErrNotFound.
func (s *Store) CompareAndSetStatus(ctx context.Context, id, expectVersion int64, to migration.Status, reason string, step migration.StepID) error {
	if !to.Valid() {
		return fmt.Errorf("set status of migration %d: unknown status %q", id, to)
	}
	if step != "" && !step.Valid() {
		return fmt.Errorf("set status of migration %d: unknown step %q", id, step)
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		from, err := atVersion(ctx, tx, id, expectVersion)
		if err != nil {
			return err
		}
		if err := migration.CheckTransition(from, to); err != nil {
			return fmt.Errorf("migration %d: %w", id, err)
		}
		if to != migration.StatusFailed {
			reason = ""
		}
		now := ms(s.now())
		completed := "completed_at"
		switch to {
		case migration.StatusSuccessful, migration.StatusFailed:
			completed = "?5"
		case migration.StatusQueued, migration.StatusRunning:
			completed = "0"
		}
		res, err := tx.ExecContext(ctx, `UPDATE migrations SET status = ?1, failure_reason = ?2,
			current_step = CASE WHEN ?3 = '' THEN current_step ELSE ?3 END,
			started_at = CASE WHEN ?1 = 'running' AND started_at = 0 THEN ?5 ELSE started_at END,
			completed_at = `+completed+`, updated_at = ?5, version = version + 1
			WHERE id = ?6 AND version = ?4`,
			string(to), reason, string(step), expectVersion, now, id)
		if err != nil {
			return fmt.Errorf("set status of migration %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("migration %d: %w", id, ErrConflict)
		}
		return nil
	})
}

// SetCurrentStep records which step is running or waiting without changing the status.
func (s *Store) SetCurrentStep(ctx context.Context, id int64, step migration.StepID) error {
	if step != "" && !step.Valid() {
		return fmt.Errorf("set step of migration %d: unknown step %q", id, step)
	}
	res, err := s.w.ExecContext(ctx, `UPDATE migrations SET current_step = ?, updated_at = ? WHERE id = ?`,
		string(step), ms(s.now()), id)
	if err != nil {
		return fmt.Errorf("set step of migration %d: %w", id, err)
	}
	return affected(res, id)
}

// SetProgress records the running step's progress; it is not versioned because it
// never decides anything.
func (s *Store) SetProgress(ctx context.Context, id int64, p Progress) error {
	res, err := s.w.ExecContext(ctx, `UPDATE migrations SET progress_percent = ?, progress_speed = ?,
		progress_eta = ? WHERE id = ?`, p.Percent, p.Speed, p.ETASeconds, id)
	if err != nil {
		return fmt.Errorf("set progress of migration %d: %w", id, err)
	}
	return affected(res, id)
}

// SetAttachment records a manual migration's progress through Wait for upload.
func (s *Store) SetAttachment(ctx context.Context, id int64, attached, verified bool) error {
	res, err := s.w.ExecContext(ctx, `UPDATE migrations SET attached = ?, verified = ?, updated_at = ? WHERE id = ?`,
		b2i(attached), b2i(verified), ms(s.now()), id)
	if err != nil {
		return fmt.Errorf("set attachment of migration %d: %w", id, err)
	}
	return affected(res, id)
}

// SetResults stores the opaque results JSON (bytes, files, tables, rows, replacements,
// validation) that the pipeline fills and reports read.
func (s *Store) SetResults(ctx context.Context, id int64, results json.RawMessage) error {
	if len(results) > 0 && !json.Valid(results) {
		return fmt.Errorf("set results of migration %d: not valid JSON", id)
	}
	res, err := s.w.ExecContext(ctx, `UPDATE migration_configs SET results = ? WHERE migration_id = ?`,
		string(results), id)
	if err != nil {
		return fmt.Errorf("set results of migration %d: %w", id, err)
	}
	return affected(res, id)
}

// Results returns the results JSON, nil when none was stored yet.
func (s *Store) Results(ctx context.Context, id int64) (json.RawMessage, error) {
	var v string
	err := s.r.QueryRowContext(ctx, `SELECT results FROM migration_configs WHERE migration_id = ?`, id).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("migration %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get results of migration %d: %w", id, err)
	}
	if v == "" {
		return nil, nil
	}
	return json.RawMessage(v), nil
}

// ListByStatus returns every migration in one of statuses, oldest first, with steps;
// the runner uses it at start-up to fail runs a crash left running and to requeue.
func (s *Store) ListByStatus(ctx context.Context, statuses ...migration.Status) ([]Record, error) {
	if len(statuses) == 0 {
		return nil, nil
	}
	args := make([]any, len(statuses))
	for i, st := range statuses {
		args[i] = string(st)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+recordCols+recordFrom+` WHERE m.status IN (`+
		placeholders(len(statuses))+`) ORDER BY m.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list by status: %w", err)
	}
	var out []Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("list by status: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Close(); err != nil {
		return nil, fmt.Errorf("list by status: %w", err)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list by status: %w", err)
	}
	for i := range out {
		stored, err := s.Steps(ctx, out[i].ID)
		if err != nil {
			return nil, err
		}
		out[i].Steps = fillSteps(out[i].Method, stored)
	}
	return out, nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// setNow lets tests pin the clock.
func (s *Store) setNow(f func() time.Time) { s.now = f }

const insertMigrationSQL = `INSERT INTO migrations (user_id, service_id, domain, method, status,
		failure_reason, current_step, old_url, new_url, attached, verified,
		created_at, started_at, completed_at, updated_at, version, search_text)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,1,?)`

const insertConfigSQL = `INSERT INTO migration_configs (migration_id, source, destination, options) VALUES (?,?,?,?)`
