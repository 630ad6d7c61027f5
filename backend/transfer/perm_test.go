package transfer_test

import (
	"context"
	"errors"
	"fmt"
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
	for name, op := range permTrees(ctx) {
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
				require.Equal(t, mode, got, "FTP says it through STAT")
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

// permTrees opens a Tree of each kind that implements transfer.Permissions on a folder.
func permTrees(ctx context.Context) map[string]func(t *testing.T, dir string) transfer.Tree {
	return map[string]func(t *testing.T, dir string) transfer.Tree{
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
}

// TestKeepModesOnEveryDestination writes files through each kind of Tree, then gives them
// the modes a source manifest says: on disk every file with a known mode has exactly that
// mode (a 0600 file is never left at the server's wider default), a file whose mode is
// unknown and a skipped path are left alone, and the probe file is gone.
func TestKeepModesOnEveryDestination(t *testing.T) {
	ctx := context.Background()
	modes := []fs.FileMode{0o600, 0o640, 0o644, 0o755, 0o664, 0o700}
	for name, op := range permTrees(ctx) {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			tr := op(t, dir)
			defer tr.Close()
			require.NoError(t, tr.MkdirAll(ctx, "wp-content/uploads"))
			var files []transfer.ManifestFile
			for i := 0; i < 150; i++ {
				p := fmt.Sprintf("wp-content/uploads/f%03d.php", i)
				if i%2 == 0 {
					p = fmt.Sprintf("f%03d.php", i)
				}
				w, err := tr.Create(ctx, p, 0)
				require.NoError(t, err)
				_, err = w.Write([]byte("<?php // " + p))
				require.NoError(t, err)
				require.NoError(t, w.Close())
				files = append(files, transfer.ManifestFile{Path: p, Mode: modes[i%len(modes)]})
			}
			files[7].Mode = 0 // unknown on the source
			before := modeOnDisk(t, dir, files[7].Path)
			skipped := files[8].Path
			require.NoError(t, os.Chmod(filepath.Join(dir, skipped), 0o604))
			once := false
			res, err := transfer.KeepModes(ctx, func(context.Context) (transfer.Tree, error) {
				if once {
					return nil, errors.New("one connection in this test")
				}
				once = true
				return tr, nil
			}, "", files, map[string]bool{skipped: true}, 4)
			require.NoError(t, err)
			t.Logf("%s: new files are %04o, %d set", name, res.ServerDefault, res.Changed)
			require.False(t, res.Assumed)
			require.Positive(t, res.Changed)
			for _, f := range files {
				switch {
				case f.Path == skipped:
					require.Equal(t, fs.FileMode(0o604), modeOnDisk(t, dir, f.Path))
				case f.Mode == 0:
					require.Equal(t, before, modeOnDisk(t, dir, f.Path))
				default:
					require.Equal(t, f.Mode, modeOnDisk(t, dir, f.Path), f.Path)
				}
			}
			_, err = os.Stat(filepath.Join(dir, ".ferry-mode-probe"))
			require.ErrorIs(t, err, fs.ErrNotExist)
		})
	}
}

func modeOnDisk(t *testing.T, dir, p string) fs.FileMode {
	t.Helper()
	st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(p)))
	require.NoError(t, err)
	return st.Mode().Perm()
}
