package sftp

import (
	"context"
	"io/fs"

	"ferry/backend/transfer"
)

var _ transfer.Permissions = (*Client)(nil)

// Mode returns the permission bits of p as the server reports them.
func (c *Client) Mode(ctx context.Context, p string) (fs.FileMode, error) {
	_, abs, err := c.abs(p)
	if err != nil {
		return 0, err
	}
	defer c.guard(ctx)()
	fi, err := c.sftp.Lstat(abs)
	if err != nil {
		return 0, c.mapErr(ctx, "stat", abs, err)
	}
	return fi.Mode().Perm(), nil
}

// Chmod sets the permission bits of p (SSH_FXP_SETSTAT).
func (c *Client) Chmod(ctx context.Context, p string, mode fs.FileMode) error {
	_, abs, err := c.abs(p)
	if err != nil {
		return err
	}
	defer c.guard(ctx)()
	if err := c.sftp.Chmod(abs, mode.Perm()); err != nil {
		return c.mapErr(ctx, "chmod", abs, err)
	}
	return nil
}
