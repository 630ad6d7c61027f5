package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"ferry/backend/migration"
)

// ensureUser returns the user with u.ID, or the one with u.Email, creating it from u
// when none exists. An existing user keeps its name: the admin renames owners elsewhere.
func (s *Store) ensureUser(ctx context.Context, tx *sql.Tx, u migration.User, now time.Time) (migration.User, error) {
	if u.ID != 0 {
		got, err := scanUser(tx.QueryRowContext(ctx, `SELECT id, name, email, status FROM users WHERE id = ?`, u.ID))
		if errors.Is(err, sql.ErrNoRows) {
			return migration.User{}, fmt.Errorf("user %d: %w", u.ID, ErrNotFound)
		}
		if err != nil {
			return migration.User{}, fmt.Errorf("get user %d: %w", u.ID, err)
		}
		return got, nil
	}
	if strings.TrimSpace(u.Email) == "" || strings.TrimSpace(u.Name) == "" {
		return migration.User{}, errors.New("create user: name and email are required")
	}
	if u.Status == "" {
		u.Status = migration.UserActive
	}
	// One statement finds or creates: the no-op update makes RETURNING yield the existing row.
	stmt, err := s.stmt(ctx, tx, upsertUserSQL)
	if err != nil {
		return migration.User{}, err
	}
	got, err := scanUser(stmt.QueryRowContext(ctx, u.Name, u.Email, string(u.Status), ms(now)))
	if err != nil {
		return migration.User{}, fmt.Errorf("save user %s: %w", u.Email, err)
	}
	return got, nil
}

func (s *Store) ensureService(ctx context.Context, tx *sql.Tx, name string) (int64, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return 0, errors.New("create migration: service is required")
	}
	stmt, err := s.stmt(ctx, tx, upsertServiceSQL)
	if err != nil {
		return 0, err
	}
	var id int64
	if err := stmt.QueryRowContext(ctx, name).Scan(&id); err != nil {
		return 0, fmt.Errorf("save service %q: %w", name, err)
	}
	return id, nil
}

func scanUser(sc scanner) (migration.User, error) {
	var u migration.User
	var st string
	if err := sc.Scan(&u.ID, &u.Name, &u.Email, &st); err != nil {
		return migration.User{}, err
	}
	u.Status = migration.UserStatus(st)
	return u, nil
}

// User returns one site owner.
func (s *Store) User(ctx context.Context, id int64) (migration.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT id, name, email, status FROM users WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return migration.User{}, fmt.Errorf("user %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return migration.User{}, fmt.Errorf("get user %d: %w", id, err)
	}
	return u, nil
}

// SetUserStatus marks an owner active or suspended.
func (s *Store) SetUserStatus(ctx context.Context, id int64, st migration.UserStatus) error {
	if st != migration.UserActive && st != migration.UserSuspended {
		return fmt.Errorf("set user %d: unknown status %q", id, st)
	}
	res, err := s.w.ExecContext(ctx, `UPDATE users SET status = ? WHERE id = ?`, string(st), id)
	if err != nil {
		return fmt.Errorf("set user %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("user %d: %w", id, ErrNotFound)
	}
	return nil
}

// Users returns up to limit owners whose name or email contains search, by name.
func (s *Store) Users(ctx context.Context, search string, limit int) ([]migration.User, error) {
	if limit <= 0 {
		limit = 20
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, name, email, status FROM users
		WHERE name LIKE ?1 ESCAPE '\' OR email LIKE ?1 ESCAPE '\' ORDER BY name COLLATE NOCASE, id LIMIT ?2`,
		likePattern(strings.TrimSpace(search)), limit)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []migration.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// Services returns up to limit service names containing search, alphabetically.
func (s *Store) Services(ctx context.Context, search string, limit int) ([]string, error) {
	if limit <= 0 {
		limit = 20
	}
	rows, err := s.r.QueryContext(ctx, `SELECT name FROM services WHERE name LIKE ? ESCAPE '\'
		ORDER BY name COLLATE NOCASE LIMIT ?`, likePattern(strings.TrimSpace(search)), limit)
	if err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("list services: %w", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

const upsertUserSQL = `INSERT INTO users (name, email, status, created_at) VALUES (?,?,?,?)
		ON CONFLICT (email) DO UPDATE SET email = users.email RETURNING id, name, email, status`

const upsertServiceSQL = `INSERT INTO services (name) VALUES (?)
		ON CONFLICT (name) DO UPDATE SET name = services.name RETURNING id`
