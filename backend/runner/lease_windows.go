//go:build windows

package runner

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// On Windows a lease is a LockFileEx byte-range lock on the lease file: held by the
// process that runs the migration, released by Windows when that process dies, so a
// second Ferry process sees the run as live, and a killed one's run as interrupted.
func tryLock(f *os.File) (bool, error) {
	ol := new(windows.Overlapped)
	err := windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) || errors.Is(err, windows.ERROR_IO_PENDING) {
		return false, nil
	}
	return err == nil, err
}

func unlock(f *os.File) error {
	return windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, new(windows.Overlapped))
}
