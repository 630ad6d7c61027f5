package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"ferry/backend/migration"
)

// UpdateSettings stores an edited migration's settings (domain, service, URLs, source,
// destination, options; secrets sealed by the caller) if the row is still at
// expectVersion. The status, steps and log are left as they are. A lost race wraps
// ErrConflict; a missing row wraps ErrNotFound.
func (s *Store) UpdateSettings(ctx context.Context, expectVersion int64, m migration.Migration) error {
	src, dst, opts, err := encodeConfig(&m)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		var user migration.User
		if _, err := atVersion(ctx, tx, m.ID, expectVersion); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT u.name, u.email FROM migrations m JOIN users u ON u.id = m.user_id
			WHERE m.id = ?`, m.ID).Scan(&user.Name, &user.Email); err != nil {
			return fmt.Errorf("read migration %d: %w", m.ID, err)
		}
		serviceID, err := s.ensureService(ctx, tx, m.Service)
		if err != nil {
			return err
		}
		search := strings.ToLower(strings.Join([]string{user.Name, user.Email, m.Domain, m.Service}, "\n"))
		res, err := tx.ExecContext(ctx, `UPDATE migrations SET domain = ?, service_id = ?, old_url = ?, new_url = ?,
			search_text = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`,
			m.Domain, serviceID, m.OldURL, m.NewURL, search, ms(s.now()), m.ID, expectVersion)
		if err != nil {
			return fmt.Errorf("update migration %d: %w", m.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("migration %d: %w", m.ID, ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE migration_configs SET source = ?, destination = ?, options = ?
			WHERE migration_id = ?`, string(src), string(dst), string(opts), m.ID); err != nil {
			return fmt.Errorf("update settings of migration %d: %w", m.ID, err)
		}
		return nil
	})
}

// SwitchToManual turns a failed automatic migration into a manual one waiting at Wait for
// upload (action required), if the row is still at expectVersion: its step records are
// replaced by the manual method's, attachments and Verify are cleared, and its results
// (what earlier steps recorded) are dropped. Destination, options and the log stay.
func (s *Store) SwitchToManual(ctx context.Context, id, expectVersion int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		status, err := atVersion(ctx, tx, id, expectVersion)
		if err != nil {
			return err
		}
		if err := migration.CheckTransition(status, migration.StatusWaiting); err != nil {
			return fmt.Errorf("migration %d: %w", id, err)
		}
		res, err := tx.ExecContext(ctx, `UPDATE migrations SET method = ?, status = ?, failure_reason = '', current_step = ?,
			attached = 0, verified = 0, completed_at = 0, progress_percent = 0, progress_speed = 0, progress_eta = -1,
			updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`,
			string(migration.MethodManual), string(migration.StatusWaiting), string(migration.StepWaitForUpload),
			ms(s.now()), id, expectVersion)
		if err != nil {
			return fmt.Errorf("switch migration %d to manual: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("migration %d: %w", id, ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM steps WHERE migration_id = ?`, id); err != nil {
			return fmt.Errorf("switch migration %d to manual: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM attached_files WHERE migration_id = ?`, id); err != nil {
			return fmt.Errorf("switch migration %d to manual: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE migration_configs SET results = '' WHERE migration_id = ?`, id); err != nil {
			return fmt.Errorf("switch migration %d to manual: %w", id, err)
		}
		return s.setStep(ctx, tx, id, migration.StepRecord{Step: migration.StepWaitForUpload, State: migration.StepActionRequired})
	})
}

// atVersion returns the status of migration id when it is still at expectVersion; a lost
// race wraps ErrConflict, a missing row ErrNotFound.
func atVersion(ctx context.Context, tx *sql.Tx, id, expectVersion int64) (migration.Status, error) {
	var status string
	var version int64
	err := tx.QueryRowContext(ctx, `SELECT status, version FROM migrations WHERE id = ?`, id).Scan(&status, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("migration %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("read migration %d: %w", id, err)
	}
	if version != expectVersion {
		return "", fmt.Errorf("migration %d is at version %d, not %d: %w", id, version, expectVersion, ErrConflict)
	}
	return migration.Status(status), nil
}

// encodeConfig is a migration's source, destination and options as stored in
// migration_configs.
func encodeConfig(m *migration.Migration) (src, dst, opts []byte, err error) {
	if src, err = json.Marshal(m.Source); err != nil {
		return nil, nil, nil, fmt.Errorf("encode source: %w", err)
	}
	if dst, err = json.Marshal(m.Destination); err != nil {
		return nil, nil, nil, fmt.Errorf("encode destination: %w", err)
	}
	if opts, err = json.Marshal(m.Options); err != nil {
		return nil, nil, nil, fmt.Errorf("encode options: %w", err)
	}
	return src, dst, opts, nil
}
