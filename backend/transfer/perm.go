package transfer

import (
	"context"
	"io/fs"
)

// Permissions is implemented by Trees that can read and set a file's permission bits. It is
// separate from Tree because not every server can: an FTP server may refuse SITE CHMOD
// (Chmod then fails with ErrUnsupported) or not say a file's mode (Mode returns 0).
//
// Contract: Mode returns only the permission bits (0o777), 0 when unknown; Chmod sets
// exactly mode&0o777 and wraps ErrUnsupported when the server has no way to.
type Permissions interface {
	Mode(ctx context.Context, p string) (fs.FileMode, error)
	Chmod(ctx context.Context, p string, mode fs.FileMode) error
}
