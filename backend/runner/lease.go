package runner

import (
	"fmt"
	"os"
	"path/filepath"
)

// Leases tell which process runs a migration, so that a second Ferry process sharing the
// history (the window and a `ferry migrate` in a terminal) never marks the other's live
// runs as interrupted. A lease is an advisory lock on a file: the operating system drops
// it when the holder dies, even by kill -9, which is exactly when a run is interrupted.
type Leases struct{ dir string }

// NewLeases keeps lease files in dir (created when missing).
func NewLeases(dir string) (*Leases, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create lease folder: %w", err)
	}
	return &Leases{dir: dir}, nil
}

func (l *Leases) path(id int64) string { return filepath.Join(l.dir, fmt.Sprintf("%d.lock", id)) }

// Acquire takes the lease of migration id; ok is false when another live process holds it.
// release gives it back.
func (l *Leases) Acquire(id int64) (release func(), ok bool, err error) {
	f, err := os.OpenFile(l.path(id), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("open lease of migration %d: %w", id, err)
	}
	held, err := tryLock(f)
	if err != nil || !held {
		_ = f.Close()
		return nil, false, err
	}
	return func() {
		_ = unlock(f)
		_ = f.Close()
	}, true, nil
}
