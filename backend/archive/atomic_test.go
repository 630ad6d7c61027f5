package archive

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// breakingTree's writers of one file fail after a few bytes, as a dropped connection
// does in the middle of an upload.
type breakingTree struct {
	osTree
	breaks string // the base name whose writes fail
}

var errDropped = errors.New("connection dropped")

type breakingWriter struct {
	io.WriteCloser
	left int
}

func (w *breakingWriter) Write(p []byte) (int, error) {
	if len(p) > w.left {
		n, _ := w.WriteCloser.Write(p[:w.left])
		w.left = 0
		return n, errDropped
	}
	w.left -= len(p)
	return w.WriteCloser.Write(p)
}

func (b *breakingTree) Create(ctx context.Context, p string, off int64) (io.WriteCloser, error) {
	w, err := b.osTree.Create(ctx, p, off)
	if err != nil || !strings.HasSuffix(p, b.breaks) {
		return w, err
	}
	return &breakingWriter{WriteCloser: w, left: 10}, nil
}

// TestExtractWritesWPConfigAtomically: an upload of wp-config.php that breaks midway
// leaves the destination's wp-config.php as it was (not truncated) and no temporary file;
// the next attempt puts the zip's in place. Without Atomic, the same break loses it.
func TestExtractWritesWPConfigAtomically(t *testing.T) {
	const old = "<?php // the destination's own wp-config.php\n"
	for _, atomic := range []bool{true, false} {
		sb := newSandbox(t)
		p := siteZip(t, sb.in, nil)
		cfgPath := filepath.Join(sb.root, "wp-config.php")
		require.NoError(t, os.WriteFile(cfgPath, []byte(old), 0o640))
		opts := ExtractOptions{}
		if atomic {
			opts.Atomic = []string{"wp-config.php"}
		}
		_, err := Extract(context.Background(), p, &breakingTree{osTree: osTree{root: sb.root}, breaks: "wp-config.php"}, opts)
		require.ErrorIs(t, err, errDropped)
		got, rerr := os.ReadFile(cfgPath)
		if !atomic {
			require.False(t, rerr == nil && string(got) == old, "written in place, a broken upload loses the destination's file")
			continue
		}
		require.NoError(t, rerr)
		require.Equal(t, old, string(got), "a broken upload leaves wp-config.php as it was")
		require.NotContains(t, listTree(t, sb.root), ".ferry-up-wp-config.php", "the temporary copy is removed")

		_, err = Extract(context.Background(), p, &osTree{root: sb.root}, opts)
		require.NoError(t, err)
		got, err = os.ReadFile(cfgPath)
		require.NoError(t, err)
		require.Contains(t, string(got), "define( 'DB_NAME', 'site' );", "the zip's wp-config.php is in place")
		require.NotContains(t, listTree(t, sb.root), ".ferry-up-wp-config.php")
	}
}
