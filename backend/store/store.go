// Package store keeps Ferry's history in SQLite (modernc.org/sqlite, no cgo): users,
// services, migrations, their steps, logs and attached files, settings and pinned host
// keys. It is the only package that holds SQL. Writes go through one connection so they
// never fight over the lock; reads use a small pool that WAL lets run beside the writer.
// Status changes go through CompareAndSetStatus so a stale writer cannot undo a newer state.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// FileName is the history database inside the data dir.
const FileName = "ferry.db"

// ErrNotFound is wrapped when a migration, user, setting or other row does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is wrapped when a compare-and-set lost: the row changed since it was read.
var ErrConflict = errors.New("changed meanwhile")

//go:embed schema/*.sql
var schemaFS embed.FS

// DataDir is where Ferry keeps its history: $FERRY_DATA_DIR, else the OS config dir + "/Ferry".
func DataDir() (string, error) {
	if d := os.Getenv("FERRY_DATA_DIR"); d != "" {
		return d, nil
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find config dir (set FERRY_DATA_DIR): %w", err)
	}
	return filepath.Join(base, "Ferry"), nil
}

// Store is Ferry's history. It is safe for concurrent use.
type Store struct {
	w    *sql.DB // exactly one connection: every write
	r    *sql.DB // read pool
	path string
	now  func() time.Time

	mu    sync.Mutex
	stmts map[string]*sql.Stmt // prepared once on the writer, reused by every transaction
}

// Open opens (creating when missing) the history at dir/ferry.db and brings its schema up
// to date.
func Open(ctx context.Context, dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	path := filepath.Join(dir, FileName)
	// synchronous=NORMAL in WAL mode keeps every committed transaction across a crash or
	// kill of Ferry (only a power cut can lose the last few), at a fraction of FULL's fsyncs.
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(NORMAL)", "cache_size(-16384)"} {
		q.Add("_pragma", p)
	}
	wq := url.Values{"_pragma": q["_pragma"], "_txlock": {"immediate"}}
	w, err := sql.Open("sqlite", "file:"+path+"?"+wq.Encode())
	if err != nil {
		return nil, fmt.Errorf("open history %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	s := &Store{w: w, path: path, now: time.Now, stmts: map[string]*sql.Stmt{}}
	if err := s.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	if err := s.prepareHot(ctx); err != nil {
		w.Close() // closes the statements prepared so far with it
		return nil, err
	}
	rq := url.Values{"_pragma": append(q["_pragma"], "query_only(1)")}
	r, err := sql.Open("sqlite", "file:"+path+"?"+rq.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open history %s: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	s.r = r
	return s, nil
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Close closes both connection pools.
func (s *Store) Close() error {
	s.mu.Lock()
	var errs []error
	for _, st := range s.stmts {
		errs = append(errs, st.Close())
	}
	s.stmts = nil
	s.mu.Unlock()
	return errors.Join(append(errs, s.r.Close(), s.w.Close())...)
}

// stmt binds the hot write statement query to tx. The hot statements are prepared once at
// Open (parsing SQL costs more than running these inserts); they cannot be prepared
// lazily because a transaction already holds the only writer connection.
func (s *Store) stmt(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	s.mu.Lock()
	st, ok := s.stmts[query]
	s.mu.Unlock()
	if !ok {
		st, err := tx.PrepareContext(ctx, query)
		if err != nil {
			return nil, fmt.Errorf("prepare: %w", err)
		}
		return st, nil
	}
	return tx.StmtContext(ctx, st), nil
}

// prepareHot prepares the statements every create or step update runs.
func (s *Store) prepareHot(ctx context.Context) error {
	for _, q := range []string{insertMigrationSQL, insertConfigSQL, upsertUserSQL, upsertServiceSQL, upsertStepSQL} {
		st, err := s.w.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
		s.stmts[q] = st
	}
	return nil
}

// IntegrityCheck runs PRAGMA integrity_check and returns its verdict ("ok" when sound).
func (s *Store) IntegrityCheck(ctx context.Context) (string, error) {
	var res string
	if err := s.w.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res); err != nil {
		return "", fmt.Errorf("integrity check: %w", err)
	}
	return res, nil
}

// SchemaVersion is the PRAGMA user_version the schema files brought the database to.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	if err := s.r.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

type schemaFile struct {
	version int
	name    string
}

func schemaFiles() ([]schemaFile, error) {
	entries, err := fs.ReadDir(schemaFS, "schema")
	if err != nil {
		return nil, fmt.Errorf("read embedded schema: %w", err)
	}
	var out []schemaFile
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("schema file %s must start with its number", e.Name())
		}
		out = append(out, schemaFile{v, e.Name()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, f := range out {
		if f.version != i+1 {
			return nil, fmt.Errorf("schema file %s out of sequence: want number %d", f.name, i+1)
		}
	}
	return out, nil
}

// migrate applies every schema file numbered above PRAGMA user_version, each in its own
// transaction together with the version bump, so a crash leaves a whole version or none.
func (s *Store) migrate(ctx context.Context) error {
	files, err := schemaFiles()
	if err != nil {
		return err
	}
	var cur int
	if err := s.w.QueryRowContext(ctx, "PRAGMA user_version").Scan(&cur); err != nil {
		return fmt.Errorf("open history %s: %w", s.path, err)
	}
	if cur > len(files) {
		return fmt.Errorf("history %s has schema version %d, newer than this Ferry knows (%d): update Ferry", s.path, cur, len(files))
	}
	for _, f := range files[cur:] {
		body, err := schemaFS.ReadFile("schema/" + f.name)
		if err != nil {
			return fmt.Errorf("read schema %s: %w", f.name, err)
		}
		err = s.tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", f.version))
			return err
		})
		if err != nil {
			return fmt.Errorf("apply schema %s: %w", f.name, err)
		}
	}
	return nil
}

// tx runs f in a write transaction on the writer connection.
func (s *Store) tx(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := f(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// ms turns a time into Unix milliseconds UTC, 0 for the zero time.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMS is the inverse of ms.
func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
