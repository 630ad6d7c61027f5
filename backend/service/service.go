package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"ferry/backend/events"
	"ferry/backend/migration"
	"ferry/backend/pipeline"
	"ferry/backend/runner"
	"ferry/backend/secret"
	"ferry/backend/store"
	"ferry/backend/transfer/local"
)

// Config says where the history lives and where events and diagnostics go.
type Config struct {
	// DataDir holds ferry.db, the key file and staging folders; "" means store.DataDir().
	DataDir string
	// Emitter receives migration:changed and migration:log; nil drops them.
	Emitter events.Emitter
	// Logger receives diagnostics (never secrets); nil discards them.
	Logger *slog.Logger
	// Keyring replaces the OS keyring (tests); nil uses secret.OSKeyring unless FERRY_KEYRING=off.
	Keyring secret.Keyring
}

// Stopper stops the run of a migration, if one is active, and returns once the run has
// ended. The runner sets it with SetStopper; until then nothing runs, so nothing is stopped.
type Stopper interface {
	Stop(ctx context.Context, id int64) error
}

// Service is the set of use cases behind the UI and the headless commands. It is safe for
// concurrent use.
type Service struct {
	st      *store.Store
	box     *secret.Box
	emit    events.Emitter
	log     *slog.Logger
	dataDir string

	leases *runner.Leases

	mu      sync.RWMutex
	stopper Stopper
	runner  *runner.Runner
	pipe    *pipeline.Pipeline
	swept   time.Time // the last sweep for interrupted runs (interrupted.go)
}

// Open opens the history in cfg.DataDir (creating it) and the secret box for its credentials.
func Open(ctx context.Context, cfg Config) (*Service, error) {
	dir := cfg.DataDir
	if dir == "" {
		d, err := store.DataDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	em := cfg.Emitter
	if em == nil {
		em = events.Nop{}
	}
	st, err := store.Open(ctx, dir)
	if err != nil {
		return nil, err
	}
	box, src, err := secret.OpenBox(ctx, dir, secret.OpenOptions{Keyring: cfg.Keyring, Logger: lg})
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("open secret key: %w", err)
	}
	lg.Debug("history opened", "path", st.Path(), "key", string(src))
	leases, err := runner.NewLeases(LeaseDir(dir))
	if err != nil {
		st.Close()
		return nil, err
	}
	s := &Service{st: st, box: box, emit: em, log: lg, dataDir: dir, leases: leases}
	if err := s.sweep(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("mark interrupted migrations: %w", err)
	}
	return s, nil
}

// Close closes the history.
func (s *Service) Close() error { return s.st.Close() }

// Store is the history, for the runner.
func (s *Service) Store() *store.Store { return s.st }

// Box is the secret box, for the runner to open credentials.
func (s *Service) Box() *secret.Box { return s.box }

// DataDir is the folder holding the history and staging folders.
func (s *Service) DataDir() string { return s.dataDir }

// StagingDir is the local folder where a migration keeps downloaded files between steps.
func (s *Service) StagingDir(id int64) string {
	return filepath.Join(s.dataDir, "staging", strconv.FormatInt(id, 10))
}

// SetStopper installs the runner's Stopper; Delete calls it before removing a migration.
func (s *Service) SetStopper(st Stopper) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopper = st
}

func (s *Service) getStopper() Stopper {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.stopper
}

// changed tells the UI a migration changed.
func (s *Service) changed(id int64, st migration.Status, step migration.StepID, deleted bool) {
	s.emit.Emit(events.MigrationChanged, events.Changed{ID: id, Status: string(st), Step: string(step), Deleted: deleted})
}

// AppendLog writes one line to a migration's log and sends it to the UI, with every one of
// secrets (and the migration's own stored secrets) replaced by a mask first.
func (s *Service) AppendLog(ctx context.Context, id int64, level string, step migration.StepID, message string, secrets ...string) (int64, error) {
	if rec, err := s.st.Get(ctx, id); err == nil {
		secrets = append(secrets, s.openSecrets(rec.Migration)...)
	}
	message = secret.Redact(message, secrets...)
	l := store.LogLine{Level: level, Step: step, Message: message}
	seq, err := s.st.AppendLog(ctx, id, l)
	if err != nil {
		return 0, err
	}
	lines, err := s.st.Logs(ctx, id, seq-1, 1)
	if err == nil && len(lines) == 1 {
		l = lines[0]
	}
	s.emit.Emit(events.MigrationLog, events.LogLine{ID: id, Time: l.Time.UnixMilli(), Level: l.Level, Step: string(l.Step), Message: l.Message})
	return seq, nil
}

// openSecrets returns the clear text of every secret stored with m, for redaction.
func (s *Service) openSecrets(m migration.Migration) []string {
	var out []string
	for _, sealed := range []string{m.Source.Password, m.Source.PrivateKey, m.Source.Passphrase, m.Source.DB.Password,
		m.Destination.Password, m.Destination.PrivateKey, m.Destination.Passphrase, m.Destination.DB.Password} {
		if p, err := s.box.Open(sealed); err == nil && p != "" {
			out = append(out, p)
		}
	}
	return out
}

// fail turns any error into an *Error with a code, keeping the cause for errors.Is.
func fail(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	msg := fmt.Sprintf(format, args...)
	code := CodeInternal
	switch {
	case errors.Is(err, store.ErrNotFound):
		code = CodeNotFound
	case errors.Is(err, store.ErrConflict):
		code, msg = CodeConflict, msg+": it changed meanwhile, reload and try again"
	case errors.Is(err, migration.ErrNotAllowed), errors.Is(err, migration.ErrTransition):
		code = CodeNotAllowed
	}
	if code != CodeConflict {
		msg += ": " + unrepeated(msg, err.Error())
	}
	return &Error{Code: code, Message: msg, Err: err}
}

// unrepeated drops from detail a first part msg already says ("retry migration 99" +
// "migration 99: not found" reads "retry migration 99: not found").
func unrepeated(msg, detail string) string {
	if head, rest, ok := strings.Cut(detail, ": "); ok && rest != "" && strings.HasSuffix(strings.ToLower(msg), strings.ToLower(head)) {
		return rest
	}
	return detail
}

// removeStaging deletes the local staging folder of a migration; a missing folder is fine.
func (s *Service) removeStaging(id int64) error {
	if err := local.RemoveAll(s.StagingDir(id)); err != nil {
		return fmt.Errorf("remove staging folder of migration %d: %w", id, err)
	}
	return nil
}
