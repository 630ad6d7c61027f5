package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Batch is one list of sites moved together, with the settings its sites share.
type Batch struct {
	ID        int64
	Name      string
	Shared    string // JSON, secrets sealed by the caller
	CreatedAt int64  // Unix ms
}

// BatchSite is one row of a batch's list.
type BatchSite struct {
	Line        int    // line of the sites file
	Site        string // JSON of the row (no secrets)
	MigrationID int64  // 0 until its migration is created
}

// CreateBatch stores a batch and its rows in one transaction; the rows get their
// migrations later (SetBatchMigration). A name already taken wraps ErrConflict.
func (s *Store) CreateBatch(ctx context.Context, b *Batch, sites []BatchSite) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM batches WHERE name = ?`, b.Name).Scan(&n); err != nil {
			return fmt.Errorf("create batch: %w", err)
		}
		if n > 0 {
			return fmt.Errorf("create batch %q: name taken: %w", b.Name, ErrConflict)
		}
		b.CreatedAt = s.now().UnixMilli()
		res, err := tx.ExecContext(ctx, `INSERT INTO batches (name, shared, created_at) VALUES (?, ?, ?)`, b.Name, b.Shared, b.CreatedAt)
		if err != nil {
			return fmt.Errorf("create batch: %w", err)
		}
		if b.ID, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("create batch: %w", err)
		}
		for _, site := range sites {
			if _, err := tx.ExecContext(ctx, `INSERT INTO batch_sites (batch_id, line, site, migration_id) VALUES (?, ?, ?, ?)`,
				b.ID, site.Line, site.Site, site.MigrationID); err != nil {
				return fmt.Errorf("create batch: line %d: %w", site.Line, err)
			}
		}
		return nil
	})
}

// SetBatchMigration records the migration created for one row of a batch.
func (s *Store) SetBatchMigration(ctx context.Context, batchID int64, line int, migrationID int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE batch_sites SET migration_id = ? WHERE batch_id = ? AND line = ?`, migrationID, batchID, line)
		if err != nil {
			return fmt.Errorf("tag migration %d with batch %d: %w", migrationID, batchID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("batch %d line %d: %w", batchID, line, ErrNotFound)
		}
		return nil
	})
}

// BatchByRef finds a batch by its ID (all digits) or its name.
func (s *Store) BatchByRef(ctx context.Context, ref string) (Batch, error) {
	var b Batch
	q := `SELECT id, name, shared, created_at FROM batches WHERE name = ?`
	args := []any{ref}
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		q += ` OR id = ? ORDER BY name = ? DESC LIMIT 1`
		args = append(args, id, ref)
	}
	err := s.r.QueryRowContext(ctx, q, args...).Scan(&b.ID, &b.Name, &b.Shared, &b.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Batch{}, fmt.Errorf("batch %s: %w", ref, ErrNotFound)
	}
	if err != nil {
		return Batch{}, fmt.Errorf("read batch %s: %w", ref, err)
	}
	return b, nil
}

// Batches lists every batch, newest first.
func (s *Store) Batches(ctx context.Context) ([]Batch, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, name, shared, created_at FROM batches ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("list batches: %w", err)
	}
	defer rows.Close()
	var out []Batch
	for rows.Next() {
		var b Batch
		if err := rows.Scan(&b.ID, &b.Name, &b.Shared, &b.CreatedAt); err != nil {
			return nil, fmt.Errorf("list batches: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// BatchSites lists the rows of a batch in the list's order.
func (s *Store) BatchSites(ctx context.Context, batchID int64) ([]BatchSite, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT line, site, migration_id FROM batch_sites WHERE batch_id = ? ORDER BY line`, batchID)
	if err != nil {
		return nil, fmt.Errorf("list sites of batch %d: %w", batchID, err)
	}
	defer rows.Close()
	var out []BatchSite
	for rows.Next() {
		var b BatchSite
		if err := rows.Scan(&b.Line, &b.Site, &b.MigrationID); err != nil {
			return nil, fmt.Errorf("list sites of batch %d: %w", batchID, err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// BatchState is where one site of a batch stands.
type BatchState struct {
	MigrationID   int64 // 0 until its migration is created
	Deleted       bool  // its migration was deleted by the admin
	Domain        string
	Status        string
	FailureReason string
}

// BatchStates lists the sites of a batch in the list's order with the status of their
// migrations, in one query: what a caller waiting on a batch reads again and again,
// without each migration's configuration, steps and results.
func (s *Store) BatchStates(ctx context.Context, batchID int64) ([]BatchState, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT bs.migration_id, m.id IS NULL, COALESCE(m.domain, ''), COALESCE(m.status, ''),
		COALESCE(m.failure_reason, '') FROM batch_sites bs LEFT JOIN migrations m ON m.id = bs.migration_id
		WHERE bs.batch_id = ? ORDER BY bs.line`, batchID)
	if err != nil {
		return nil, fmt.Errorf("states of batch %d: %w", batchID, err)
	}
	defer rows.Close()
	var out []BatchState
	for rows.Next() {
		var b BatchState
		if err := rows.Scan(&b.MigrationID, &b.Deleted, &b.Domain, &b.Status, &b.FailureReason); err != nil {
			return nil, fmt.Errorf("states of batch %d: %w", batchID, err)
		}
		b.Deleted = b.Deleted && b.MigrationID != 0
		out = append(out, b)
	}
	return out, rows.Err()
}

// BatchOf returns the batch migration id belongs to, 0 when none.
func (s *Store) BatchOf(ctx context.Context, migrationID int64) (int64, error) {
	var id int64
	err := s.r.QueryRowContext(ctx, `SELECT batch_id FROM batch_sites WHERE migration_id = ? LIMIT 1`, migrationID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("batch of migration %d: %w", migrationID, err)
	}
	return id, nil
}

// BatchNames maps each of ids that belongs to a batch to the batch's name, so a page of
// the table can tag its rows in one query instead of one per row.
func (s *Store) BatchNames(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	q := `SELECT bs.migration_id, b.name FROM batch_sites bs JOIN batches b ON b.id = bs.batch_id WHERE bs.migration_id IN (?` +
		strings.Repeat(",?", len(ids)-1) + `)`
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("batch names: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, fmt.Errorf("batch names: %w", err)
		}
		out[id] = name
	}
	return out, rows.Err()
}
