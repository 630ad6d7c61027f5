package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/transfer"
)

// sandbox lays out base/in (the zip) and base/dst/www (the docroot) so a test can
// check that nothing at all appeared anywhere else under base.
type sandbox struct{ base, in, root string }

func newSandbox(t *testing.T) sandbox {
	base := t.TempDir()
	s := sandbox{base: base, in: filepath.Join(base, "in"), root: filepath.Join(base, "dst", "www")}
	require.NoError(t, os.MkdirAll(s.in, 0o755))
	require.NoError(t, os.MkdirAll(s.root, 0o755))
	return s
}

// outside lists what exists under base but outside in/ and dst/www/.
func (s sandbox) outside(t *testing.T) []string {
	var out []string
	for _, p := range listTree(t, s.base) {
		if p == "in/" || strings.HasPrefix(p, "in/") || p == "dst/" || p == "dst/www/" || strings.HasPrefix(p, "dst/www/") {
			continue
		}
		out = append(out, p)
	}
	return out
}

func (s sandbox) opener(opened *atomic.Int32) func(context.Context) (transferTree, error) {
	return func(context.Context) (transferTree, error) {
		if opened != nil {
			opened.Add(1)
		}
		return &osTree{root: s.root}, nil
	}
}

func TestExtractWritesTheSite(t *testing.T) {
	for _, prefix := range []string{"", "public_html/", "home/user/public_html/"} {
		t.Run("prefix "+prefix, func(t *testing.T) {
			sb := newSandbox(t)
			files := wpFiles(prefix)
			p := writeZip(t, filepath.Join(sb.in, "site.zip"), files)
			var opened atomic.Int32
			var last ExtractProgress
			st, err := Extract(context.Background(), p, &osTree{root: sb.root}, ExtractOptions{
				Workers: 3, Opener: sb.opener(&opened), Progress: func(p ExtractProgress) { last = p },
			})
			require.NoError(t, err)
			require.Equal(t, prefix, st.Root)
			require.Equal(t, len(files), st.Files)
			require.Equal(t, int32(2), opened.Load(), "workers 2 and 3 open their own Tree")
			require.Empty(t, sb.outside(t))

			var total int64
			for _, f := range files {
				rel := strings.TrimPrefix(f.name, prefix)
				got, err := os.ReadFile(filepath.Join(sb.root, rel))
				require.NoError(t, err, rel)
				require.Equal(t, string(f.body), string(got), rel)
				total += int64(len(f.body))
			}
			require.Equal(t, total, st.Bytes)
			require.Equal(t, ExtractProgress{BytesDone: total, BytesTotal: total, FilesDone: int64(len(files)), FilesTotal: int64(len(files))}, last)

			require.Len(t, st.Manifest, len(files))
			require.True(t, sort.SliceIsSorted(st.Manifest, func(i, j int) bool { return st.Manifest[i].Path < st.Manifest[j].Path }))
			for _, m := range st.Manifest {
				b, err := os.ReadFile(filepath.Join(sb.root, m.Path))
				require.NoError(t, err)
				sum := sha256.Sum256(b)
				require.Equal(t, hex.EncodeToString(sum[:]), m.SHA256, m.Path)
				require.Equal(t, int64(len(b)), m.Size)
			}
		})
	}
}

func TestExtractRefusesBeforeWriting(t *testing.T) {
	for _, tt := range badZips() {
		t.Run(tt.name, func(t *testing.T) {
			sb := newSandbox(t)
			p := tt.make(t, sb.in)
			_, err := Extract(context.Background(), p, &osTree{root: sb.root}, ExtractOptions{Limits: tt.limits, Workers: 2, Opener: sb.opener(nil)})
			require.ErrorIs(t, err, tt.kind)
			var pe *ProblemsError
			require.ErrorAs(t, err, &pe)
			var msgs []string
			for _, p := range pe.Problems {
				if errors.Is(p, tt.kind) {
					msgs = append(msgs, p.Message)
				}
			}
			require.Contains(t, msgs[0], tt.message)
			require.Empty(t, sb.outside(t), "nothing is written outside the docroot")
			got := listTree(t, sb.root)
			switch {
			case errors.Is(err, ErrChecksum), tt.name == "damaged deflate data", tt.name == "bomb: entry lies about its size":
				// Found only while streaming: the other files may be there, never the bad one.
				bad := "wp-content/x.php"
				if tt.name == "damaged deflate data" {
					bad = "wp-includes/load.php"
				} else if strings.HasPrefix(tt.name, "bomb") {
					bad = "wp-content/small.txt"
				}
				require.NotContains(t, got, bad, "a bad entry's partial file is removed")
			default:
				require.Empty(t, got, "refused before anything was written")
			}
		})
	}
}

func TestExtractResumes(t *testing.T) {
	sb := newSandbox(t)
	files := wpFiles("")
	p := writeZip(t, filepath.Join(sb.in, "site.zip"), files)
	first, err := Extract(context.Background(), p, &osTree{root: sb.root}, ExtractOptions{})
	require.NoError(t, err)

	// One file vanished and one was cut short since: only those two are written again.
	require.NoError(t, os.Remove(filepath.Join(sb.root, "index.php")))
	require.NoError(t, os.Truncate(filepath.Join(sb.root, "wp-content/uploads/2024/05/photo.jpg"), 10))
	second, err := Extract(context.Background(), p, &osTree{root: sb.root}, ExtractOptions{Previous: first.Manifest})
	require.NoError(t, err)
	require.Equal(t, 2, second.Files)
	require.Equal(t, len(files)-2, second.Resumed)
	require.Equal(t, first.Manifest, second.Manifest)
	b, err := os.ReadFile(filepath.Join(sb.root, "wp-content/uploads/2024/05/photo.jpg"))
	require.NoError(t, err)
	require.Equal(t, files[8].body, b)
}

func TestExtractCancelled(t *testing.T) {
	sb := newSandbox(t)
	p := siteZip(t, sb.in, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	st, err := Extract(ctx, p, &osTree{root: sb.root}, ExtractOptions{})
	require.ErrorIs(t, err, context.Canceled)
	require.Empty(t, st.Manifest)
}

func TestExtractNestedZipIsAFile(t *testing.T) {
	// A zip inside the site (a backup plugin's archive, or a nested bomb) is copied as
	// the bytes it is, never expanded.
	sb := newSandbox(t)
	inner := writeZip(t, filepath.Join(t.TempDir(), "inner.zip"), []zfile{{name: "zeros.bin", body: make([]byte, 16<<20)}})
	innerBytes, err := os.ReadFile(inner)
	require.NoError(t, err)
	p := siteZip(t, sb.in, []zfile{{name: "wp-content/backups/inner.zip", body: innerBytes}})
	rep, err := VerifyZip(context.Background(), p, Limits{MaxRatio: 100}, nil)
	require.NoError(t, err)
	require.True(t, rep.OK(), "problems: %v", rep.Err())
	_, err = Extract(context.Background(), p, &osTree{root: sb.root}, ExtractOptions{Limits: Limits{MaxRatio: 100}})
	require.NoError(t, err)
	got, err := os.ReadFile(filepath.Join(sb.root, "wp-content/backups/inner.zip"))
	require.NoError(t, err)
	require.True(t, bytes.Equal(innerBytes, got))
}

// fullTree refuses every Create after the first left, as a full disk would.
type fullTree struct {
	osTree
	left int
}

func (f *fullTree) Create(ctx context.Context, p string, off int64) (io.WriteCloser, error) {
	if f.left == 0 {
		return nil, fmt.Errorf("create %s: %w", p, transfer.ErrNoSpace)
	}
	f.left--
	return f.osTree.Create(ctx, p, off)
}

func TestExtractDestinationFull(t *testing.T) {
	sb := newSandbox(t)
	p := siteZip(t, sb.in, nil)
	st, err := Extract(context.Background(), p, &fullTree{osTree: osTree{root: sb.root}, left: 3}, ExtractOptions{})
	require.ErrorIs(t, err, transfer.ErrNoSpace)
	require.Len(t, st.Manifest, 3, "the manifest keeps what was finished, for a retry")
	require.Equal(t, 3, st.Files)
}

func TestExtractCheckPathsRefusesBeforeWriting(t *testing.T) {
	sb := newSandbox(t)
	files := append(wpFiles("public_html/"), zfile{name: "public_html/wp-content/aux.php", body: []byte("<?php\n")})
	p := writeZip(t, filepath.Join(sb.in, "site.zip"), files)
	var seen []string
	_, err := Extract(context.Background(), p, &osTree{root: sb.root}, ExtractOptions{CheckPaths: func(paths []string) error {
		seen = paths
		var w transfer.WindowsNames
		for _, p := range paths {
			w.Add(p)
		}
		return w.Err()
	}})
	require.ErrorIs(t, err, transfer.ErrInvalidPath)
	require.Contains(t, err.Error(), "'wp-content/aux.php' ('aux.php') is reserved on Windows")
	require.Contains(t, seen, "wp-content")
	require.Contains(t, seen, "wp-content/aux.php")
	require.Empty(t, listTree(t, sb.root), "refused before anything was written")
}
