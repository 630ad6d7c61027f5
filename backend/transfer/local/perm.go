package local

import (
	"context"
	"io/fs"
	"os"

	"ferry/backend/transfer"
)

var _ transfer.Permissions = (*Tree)(nil)

// Mode returns the permission bits of p.
func (t *Tree) Mode(_ context.Context, p string) (fs.FileMode, error) {
	_, abs, err := t.abs(p)
	if err != nil {
		return 0, err
	}
	info, err := os.Lstat(abs)
	if err != nil {
		return 0, t.pathErr("stat", abs, err)
	}
	return info.Mode().Perm(), nil
}

// Chmod sets the permission bits of p.
func (t *Tree) Chmod(_ context.Context, p string, mode fs.FileMode) error {
	_, abs, err := t.abs(p)
	if err != nil {
		return err
	}
	if err := os.Chmod(abs, mode.Perm()); err != nil {
		return t.pathErr("chmod", abs, err)
	}
	return nil
}
