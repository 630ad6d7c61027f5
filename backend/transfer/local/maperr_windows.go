package local

import (
	"errors"
	"fmt"

	"golang.org/x/sys/windows"

	"ferry/backend/transfer"
)

// mapOSErr maps the Windows errors that have no POSIX twin in package syscall: a full
// disk is ERROR_DISK_FULL or ERROR_HANDLE_DISK_FULL (never ENOSPC), and a name the file
// system refuses is ERROR_INVALID_NAME (a reserved or malformed name that got past the
// name check, on a volume with stricter rules).
func mapOSErr(err error) error {
	switch {
	case errors.Is(err, windows.ERROR_DISK_FULL), errors.Is(err, windows.ERROR_HANDLE_DISK_FULL):
		return fmt.Errorf("%w: %w", transfer.ErrNoSpace, err)
	case errors.Is(err, windows.ERROR_WRITE_PROTECT):
		return fmt.Errorf("%w: %w", transfer.ErrPermission, err)
	case errors.Is(err, windows.ERROR_INVALID_NAME), errors.Is(err, windows.ERROR_FILENAME_EXCED_RANGE):
		return fmt.Errorf("%w: %w", transfer.ErrInvalidPath, err)
	}
	return nil
}
