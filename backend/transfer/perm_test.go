package transfer_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/transfer"
	"ferry/backend/transfer/ftp"
	"ferry/backend/transfer/local"
	"ferry/backend/transfer/sftp"
	"ferry/backend/transfer/transfertest"
)

// TestPermissionsOnEveryDestination sets a file's mode through each kind of Tree (SFTP,
// FTP and FTPS with SITE CHMOD, a local folder) and reads the result on disk.
func TestPermissionsOnEveryDestination(t *testing.T) {
	ctx := context.Background()
	open := map[string]func(t *testing.T, dir string) transfer.Tree{
		"local": func(t *testing.T, dir string) transfer.Tree {
			tr, err := local.Opener(dir)(ctx)
			require.NoError(t, err)
			return tr
		},
		"sftp": func(t *testing.T, dir string) transfer.Tree {
			srv := transfertest.StartSFTP(t, dir, transfertest.SFTPOptions{})
			c, err := sftp.Dial(ctx, sftp.Config{Host: srv.Host, Port: srv.Port, User: srv.User, Password: srv.Password, HostKeys: transfer.NewMemoryHostKeys(), Timeout: 5 * time.Second})
			require.NoError(t, err)
			return c
		},
		"ftp": func(t *testing.T, dir string) transfer.Tree {
			srv := transfertest.StartFTP(t, dir, transfertest.FTPOptions{})
			c, err := ftp.Dial(ctx, ftp.Config{Host: srv.Host, Port: srv.Port, User: srv.User, Password: srv.Password, Timeout: 5 * time.Second})
			require.NoError(t, err)
			return c
		},
		"ftps": func(t *testing.T, dir string) transfer.Tree {
			srv := transfertest.StartFTP(t, dir, transfertest.FTPOptions{TLS: true})
			c, err := ftp.Dial(ctx, ftp.Config{Host: srv.Host, Port: srv.Port, User: srv.User, Password: srv.Password, TLS: true, CertFingerprint: srv.CertFingerprint, Timeout: 5 * time.Second})
			require.NoError(t, err)
			return c
		},
	}
	for name, op := range open {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, os.MkdirAll(filepath.Join(dir, "sub"), 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "sub", "wp-config.php"), []byte("<?php"), 0o644))
			tr := op(t, dir)
			defer tr.Close()
			pt, ok := tr.(transfer.Permissions)
			require.True(t, ok, "%T implements transfer.Permissions", tr)
			for _, mode := range []fs.FileMode{0o640, 0o600} {
				require.NoError(t, pt.Chmod(ctx, "sub/wp-config.php", mode))
				st, err := os.Stat(filepath.Join(dir, "sub", "wp-config.php"))
				require.NoError(t, err)
				require.Equal(t, mode, st.Mode().Perm())
				got, err := pt.Mode(ctx, "sub/wp-config.php")
				require.NoError(t, err)
				if name == "ftp" || name == "ftps" {
					require.Zero(t, got, "FTP listings do not say the mode")
				} else {
					require.Equal(t, mode, got)
				}
			}
			err := pt.Chmod(ctx, "sub/missing.php", 0o640)
			require.Error(t, err)
			require.ErrorIs(t, pt.Chmod(ctx, "../escape", 0o640), transfer.ErrInvalidPath)
			// the main connection still works after SITE commands
			_, err = tr.Stat(ctx, "sub/wp-config.php")
			require.NoError(t, err)
		})
	}
}
