package transfer_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/transfer"
	"ferry/backend/transfer/ftp"
	"ferry/backend/transfer/local"
	"ferry/backend/transfer/transfertest"
)

// brokenSource is a local tree whose files stop with an error after 1,000 bytes: a
// source connection lost midway through a file. (The breakage is simulated; the
// destination is a real FTP server.)
type brokenSource struct{ transfer.Tree }

func (b brokenSource) Open(ctx context.Context, p string, off int64) (io.ReadCloser, error) {
	r, err := b.Tree.Open(ctx, p, off)
	if err != nil {
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{io.MultiReader(io.LimitReader(r, 1000), errReader{}), r}, nil
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset by peer") }

// TestMirrorAtomicFile: a file listed in Atomic reaches its place whole or not at all.
// A copy that breaks midway leaves the destination's earlier copy untouched and no
// temporary file; a copy that succeeds replaces it byte for byte.
func TestMirrorAtomicFile(t *testing.T) {
	src, dstDir := t.TempDir(), t.TempDir()
	config := "<?php\n" + strings.Repeat("define( 'X', 'y' );\n", 2000)
	require.NoError(t, os.WriteFile(filepath.Join(src, "wp-config.php"), []byte(config), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dstDir, "wp-config.php"), []byte("<?php // the destination's own\n"), 0o644))
	srv := transfertest.StartFTP(t, dstDir, transfertest.FTPOptions{})
	dst := ftp.Config{Host: srv.Host, Port: srv.Port, User: srv.User, Password: srv.Password, Timeout: 5 * time.Second}
	broken := func(ctx context.Context) (transfer.Tree, error) {
		t, err := local.Open(src)
		return brokenSource{t}, err
	}

	_, err := transfer.Mirror(context.Background(), broken, dst.Opener(), transfer.MirrorOptions{Atomic: []string{"wp-config.php"}, Retries: -1})
	require.Error(t, err)
	got, err := os.ReadFile(filepath.Join(dstDir, "wp-config.php"))
	require.NoError(t, err)
	require.Equal(t, "<?php // the destination's own\n", string(got), "a broken copy leaves the earlier file whole")
	names, err := os.ReadDir(dstDir)
	require.NoError(t, err)
	require.Len(t, names, 1, "no temporary file is left: %v", names)

	man, err := transfer.Mirror(context.Background(), local.Opener(src), dst.Opener(), transfer.MirrorOptions{Atomic: []string{"wp-config.php"}})
	require.NoError(t, err)
	require.Len(t, man.Files, 1)
	got, err = os.ReadFile(filepath.Join(dstDir, "wp-config.php"))
	require.NoError(t, err)
	require.Equal(t, config, string(got))
	names, err = os.ReadDir(dstDir)
	require.NoError(t, err)
	require.Len(t, names, 1, "no temporary file is left: %v", names)
}
