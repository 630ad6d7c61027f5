package stage_test

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/transfer"
)

const mib = 1 << 20

var ctx = context.Background()

// noise is random bytes that test files are cut from.
var noise = func() []byte {
	r := rand.New(rand.NewPCG(7, 7))
	b := make([]byte, 3*mib)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}()

func randBytes(r *rand.Rand, n int) []byte {
	start := r.IntN(len(noise) - n + 1)
	return noise[start : start+n]
}

func put(t *testing.T, tr transfer.Tree, p string, data []byte) {
	t.Helper()
	w, err := tr.Create(ctx, p, 0)
	require.NoError(t, err)
	_, err = w.Write(data)
	require.NoError(t, err)
	require.NoError(t, w.Close())
}

func read(t *testing.T, tr transfer.Tree, p string, off int64) []byte {
	t.Helper()
	r, err := tr.Open(ctx, p, off)
	require.NoError(t, err, p)
	b, err := io.ReadAll(r)
	require.NoError(t, err, p)
	require.NoError(t, r.Close())
	return b
}

// walkEntry is what two trees must agree on; ModTime is not compared.
type walkEntry struct {
	Path  string
	Size  int64
	IsDir bool
}

func walk(t *testing.T, tr transfer.Tree, dir string) ([]walkEntry, error) {
	t.Helper()
	var out []walkEntry
	err := tr.Walk(ctx, dir, func(e transfer.Entry) error {
		out = append(out, walkEntry{e.Path, e.Size, e.IsDir})
		return nil
	})
	return out, err
}

// sameTrees checks that two trees list the same entries in the same order and, unless
// listOnly, hold the same bytes in every file.
func sameTrees(t *testing.T, want, got transfer.Tree, msg string, listOnly ...bool) {
	t.Helper()
	we, err := walk(t, want, ".")
	require.NoError(t, err, msg)
	ge, err := walk(t, got, ".")
	require.NoError(t, err, msg)
	require.Equal(t, we, ge, msg)
	if len(listOnly) > 0 && listOnly[0] {
		return
	}
	wb, gb := make([]byte, 256<<10), make([]byte, 256<<10)
	for _, e := range we {
		if e.IsDir {
			continue
		}
		wr, err := want.Open(ctx, e.Path, 0)
		require.NoError(t, err, e.Path)
		gr, err := got.Open(ctx, e.Path, 0)
		require.NoError(t, err, e.Path)
		for off := 0; ; off += len(wb) {
			wn, werr := io.ReadFull(wr, wb)
			gn, gerr := io.ReadFull(gr, gb)
			require.True(t, bytes.Equal(wb[:wn], gb[:gn]), "%s: bytes of %s differ after %d", msg, e.Path, off)
			if werr != nil || gerr != nil {
				require.ErrorIs(t, werr, gerr, "%s: %s", msg, e.Path)
				break
			}
		}
		require.NoError(t, wr.Close())
		require.NoError(t, gr.Close())
	}
}

func ordinaryFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	require.NoError(t, filepath.WalkDir(filepath.Join(dir, "tree"), func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		if !d.IsDir() {
			rel, _ := filepath.Rel(filepath.Join(dir, "tree"), p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	}))
	sort.Strings(out)
	return out
}
