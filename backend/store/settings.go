package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// File kinds a manual migration can have attached.
const (
	FileSiteZip = "site_zip"
	FileSQL     = "sql"
	FileSQLGz   = "sql_gz"
	FileSQLZip  = "sql_zip"
)

// AttachedFile is a file the admin attached to a manual migration; only its path is kept.
type AttachedFile struct {
	Kind       string
	Path       string
	Size       int64
	AttachedAt time.Time
}

// PutFile attaches (or replaces) the file of f.Kind.
func (s *Store) PutFile(ctx context.Context, id int64, f AttachedFile) error {
	switch f.Kind {
	case FileSiteZip, FileSQL, FileSQLGz, FileSQLZip:
	default:
		return fmt.Errorf("attach file to migration %d: unknown kind %q", id, f.Kind)
	}
	if f.AttachedAt.IsZero() {
		f.AttachedAt = s.now()
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO attached_files (migration_id, kind, path, size, attached_at)
		VALUES (?,?,?,?,?) ON CONFLICT (migration_id, kind) DO UPDATE SET path = excluded.path,
		size = excluded.size, attached_at = excluded.attached_at`, id, f.Kind, f.Path, f.Size, ms(f.AttachedAt))
	if err != nil {
		return fmt.Errorf("attach file to migration %d: %w", id, err)
	}
	return nil
}

// Files lists a migration's attached files by kind.
func (s *Store) Files(ctx context.Context, id int64) ([]AttachedFile, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT kind, path, size, attached_at FROM attached_files
		WHERE migration_id = ? ORDER BY kind`, id)
	if err != nil {
		return nil, fmt.Errorf("files of migration %d: %w", id, err)
	}
	defer rows.Close()
	var out []AttachedFile
	for rows.Next() {
		var f AttachedFile
		var at int64
		if err := rows.Scan(&f.Kind, &f.Path, &f.Size, &at); err != nil {
			return nil, fmt.Errorf("files of migration %d: %w", id, err)
		}
		f.AttachedAt = fromMS(at)
		out = append(out, f)
	}
	return out, rows.Err()
}

// RemoveFile detaches the file of kind; detaching a missing one returns ErrNotFound.
func (s *Store) RemoveFile(ctx context.Context, id int64, kind string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM attached_files WHERE migration_id = ? AND kind = ?`, id, kind)
	if err != nil {
		return fmt.Errorf("detach file of migration %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("file %s of migration %d: %w", kind, id, ErrNotFound)
	}
	return nil
}

// Setting returns the value of key, or an error wrapping ErrNotFound.
func (s *Store) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := s.r.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("setting %q: %w", key, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("get setting %q: %w", key, err)
	}
	return v, nil
}

// SetSetting stores value under key.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	if strings.TrimSpace(key) == "" {
		return errors.New("set setting: empty key")
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?,?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	if err != nil {
		return fmt.Errorf("set setting %q: %w", key, err)
	}
	return nil
}

// HostKeys is the pinned SSH host key fingerprints, trusted on first use; the SFTP
// client consults it through an interface of the same two methods.
type HostKeys struct{ s *Store }

// HostKeys returns the host key pins kept in this history.
func (s *Store) HostKeys() *HostKeys { return &HostKeys{s} }

// Get returns the pinned fingerprint of hostport, or "" and nil when it was never seen.
func (h *HostKeys) Get(ctx context.Context, hostport string) (string, error) {
	var fp string
	err := h.s.r.QueryRowContext(ctx, `SELECT fingerprint FROM host_keys WHERE hostport = ?`, hostport).Scan(&fp)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("get host key of %s: %w", hostport, err)
	}
	return fp, nil
}

// Put pins fp for hostport, replacing an earlier pin (the admin accepted a changed key)
// while keeping when it was first seen.
func (h *HostKeys) Put(ctx context.Context, hostport, fp string) error {
	if hostport == "" || fp == "" {
		return errors.New("pin host key: host and fingerprint are required")
	}
	_, err := h.s.w.ExecContext(ctx, `INSERT INTO host_keys (hostport, fingerprint, first_seen) VALUES (?,?,?)
		ON CONFLICT (hostport) DO UPDATE SET fingerprint = excluded.fingerprint`, hostport, fp, ms(h.s.now()))
	if err != nil {
		return fmt.Errorf("pin host key of %s: %w", hostport, err)
	}
	return nil
}
