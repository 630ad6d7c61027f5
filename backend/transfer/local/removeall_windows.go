package local

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// RemoveAll deletes dir and what it holds. os.RemoveAll on Windows deletes each file
// through NtSetInformationFile(FileDispositionInformationEx) with POSIX semantics and
// falls back to the classic delete only for the statuses Windows itself returns when it
// lacks that call. Some layers answer otherwise (Wine 8 fails every such delete with
// "Invalid function"), which would leave a migration's staging folder behind. Then each
// file and folder is removed again, deepest first, with os.Remove (DeleteFileW and
// RemoveDirectoryW), clearing the read-only attribute WordPress zips sometimes carry.
func RemoveAll(dir string) error {
	err := os.RemoveAll(dir)
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		return err
	}
	var paths []string
	werr := filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err == nil {
			paths = append(paths, p)
		}
		return nil
	})
	if werr != nil {
		return err
	}
	slices.Reverse(paths) // children before their folder
	for _, p := range paths {
		if rerr := os.Remove(p); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			_ = os.Chmod(p, 0o666) // clears FILE_ATTRIBUTE_READONLY
			if rerr := os.Remove(p); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
				return rerr
			}
		}
	}
	return nil
}
