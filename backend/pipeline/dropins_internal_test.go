package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/transfer"
	"ferry/backend/transfer/ftp"
	"ferry/backend/transfer/local"
	"ferry/backend/transfer/transfertest"
	"ferry/backend/wordpress"
)

// TestDropIns finds wp-content's cache drop-ins with one listing, over FTP (a Lister)
// and on a local tree, and takes a site without wp-content as having none.
func TestDropIns(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{"wp-content/object-cache.php", "wp-content/uploads/2024/advanced-cache.php", "wp-content/index.php"} {
		p := filepath.Join(root, "site", filepath.FromSlash(f))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte("<?php"), 0o644))
	}
	require.NoError(t, os.MkdirAll(filepath.Join(root, "bare"), 0o755))
	srv := transfertest.StartFTP(t, root, transfertest.FTPOptions{})
	ctx := context.Background()
	for name, open := range map[string]func(dir string) transfer.Opener{
		"ftp": func(dir string) transfer.Opener {
			return ftp.Config{Host: srv.Host, Port: srv.Port, User: srv.User, Password: srv.Password, Root: "/" + dir, Timeout: 5 * time.Second}.Opener()
		},
		"local": func(dir string) transfer.Opener { return local.Opener(filepath.Join(root, dir)) },
	} {
		t.Run(name, func(t *testing.T) {
			tree, err := open("site")(ctx)
			require.NoError(t, err)
			defer tree.Close()
			names, err := dropIns(ctx, tree)
			require.NoError(t, err)
			warns := wordpress.CacheDropInWarnings(names)
			require.Len(t, warns, 1, "only wp-content's own object-cache.php is a drop-in: %v", names)
			bare, err := open("bare")(ctx)
			require.NoError(t, err)
			defer bare.Close()
			names, err = dropIns(ctx, bare)
			require.NoError(t, err)
			require.Empty(t, names)
		})
	}
}
