package transfer_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/transfer"
	"ferry/backend/transfer/local"
)

// openCounter counts the files opened for reading on a source, by path.
type openCounter struct {
	mu     sync.Mutex
	opened map[string]int
}

type countingTree struct {
	transfer.Tree
	c *openCounter
}

func (t countingTree) Open(ctx context.Context, p string, off int64) (io.ReadCloser, error) {
	t.c.mu.Lock()
	t.c.opened[path.Clean(p)]++
	t.c.mu.Unlock()
	return t.Tree.Open(ctx, p, off)
}

func (c *openCounter) opener(dir string) transfer.Opener {
	open := local.Opener(dir)
	return func(ctx context.Context) (transfer.Tree, error) {
		t, err := open(ctx)
		if err != nil {
			return nil, err
		}
		return countingTree{t, c}, nil
	}
}

// diskBulk is a BulkReader over a folder of this machine (what the site's PHP agent
// does on the server), recording what it was asked for. spoil, when set, may replace a
// file's answer.
type diskBulk struct {
	dir   string
	mu    sync.Mutex
	asked []string
	calls int
	spoil func(call int, p string, data []byte) ([]byte, error)
}

func (b *diskBulk) read(ctx context.Context, paths []string, fn func(string, io.Reader, error) error) error {
	b.mu.Lock()
	b.calls++
	call := b.calls
	b.asked = append(b.asked, paths...)
	b.mu.Unlock()
	for _, p := range paths {
		data, err := os.ReadFile(filepath.Join(b.dir, filepath.FromSlash(p)))
		if err == nil && b.spoil != nil {
			data, err = b.spoil(call, p, data)
			if errors.Is(err, errWholeRequest) {
				return err
			}
		}
		var r io.Reader
		if err == nil {
			r = bytes.NewReader(data)
		}
		if ferr := fn(p, r, err); ferr != nil {
			return ferr
		}
	}
	return nil
}

var errWholeRequest = errors.New("the site stopped answering")

func sizes(m transfer.Manifest) map[string]int64 {
	out := map[string]int64{}
	for _, f := range m.Files {
		out[f.Path] = f.Size
	}
	return out
}

// TestMirrorFetchesSmallFilesInBulk copies a site whose small files come through a bulk
// reader and whose big ones through the workers: no small file is opened on the source,
// no big one is asked of the reader, and the destination holds every byte once.
func TestMirrorFetchesSmallFilesInBulk(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	want := makeSite(t, src, 400, 7)
	const maxSize = 16 << 10
	oc := &openCounter{opened: map[string]int{}}
	b := &diskBulk{dir: src}
	// growth would add a connection every millisecond: while bulk fetching runs the
	// workers keep to the four asked for
	defer transfer.SetGrowEvery(time.Millisecond)()
	var logins atomic.Int64
	open := oc.opener(src)
	man, err := transfer.Mirror(context.Background(), func(ctx context.Context) (transfer.Tree, error) {
		logins.Add(1)
		return open(ctx)
	}, local.Opener(dst), transfer.MirrorOptions{
		Bulk: b.read, BulkMax: maxSize, Atomic: []string{".htaccess"}, Workers: 4, GrowTo: 8,
	})
	require.NoError(t, err)
	require.EqualValues(t, 4, logins.Load(), "no connection added while small files come in bulk")
	require.Empty(t, want.Diff(man), "the manifest lists every file once, with its hash")
	require.Len(t, man.Files, len(want.Files))
	require.Empty(t, want.Diff(manifestOf(t, dst)), "the destination holds the same bytes")
	size := sizes(want)
	askedOnce := map[string]bool{}
	for _, p := range b.asked {
		require.LessOrEqual(t, size[p], int64(maxSize), "%s is too big for the bulk reader", p)
		require.False(t, askedOnce[p], "%s asked twice", p)
		require.NotEqual(t, ".htaccess", p, "an atomic file is written by the workers only")
		askedOnce[p] = true
	}
	for p, s := range size {
		if s <= maxSize && p != ".htaccess" {
			require.True(t, askedOnce[p], "%s came through the workers", p)
			require.Zero(t, oc.opened[p], "%s was opened on the source too", p)
		} else {
			require.Equal(t, 1, oc.opened[p], "%s opened on the source", p)
		}
	}
	small := 0
	for p, s := range size {
		if s <= maxSize && p != ".htaccess" {
			small++
		}
	}
	require.Len(t, b.asked, small)
	require.Greater(t, small, 200)
	require.Less(t, b.calls, len(b.asked)/10, "many files per request")
}

// TestMirrorBulkGivesBackWhatItCannotFetch: the files the reader could not read, and one
// that changed size since the listing, are copied by the workers; nothing is lost or
// written twice.
func TestMirrorBulkGivesBackWhatItCannotFetch(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	want := makeSite(t, src, 200, 8)
	oc := &openCounter{opened: map[string]int{}}
	var refused []string
	changed := ""
	b := &diskBulk{dir: src, spoil: func(_ int, p string, data []byte) ([]byte, error) {
		if len(refused) < 5 && strings.HasSuffix(p, "1.php") {
			refused = append(refused, p)
			return nil, errors.New("permission denied")
		}
		if changed == "" && len(data) > 0 {
			changed = p
			return append(data, 'x'), nil
		}
		return data, nil
	}}
	var heard notices
	man, err := transfer.Mirror(context.Background(), oc.opener(src), local.Opener(dst), transfer.MirrorOptions{
		Bulk: b.read, OnNotice: heard.add,
	})
	require.NoError(t, err)
	require.Len(t, refused, 5)
	require.NotEmpty(t, changed)
	require.Empty(t, want.Diff(man))
	require.Len(t, man.Files, len(want.Files))
	require.Empty(t, want.Diff(manifestOf(t, dst)))
	for _, p := range append(refused, changed) {
		require.Equal(t, 1, oc.opened[p], "%s copied by a worker", p)
	}
	require.Empty(t, heard.list(), "single files refused are not worth a notice")
}

// TestMirrorBulkFailingGoesOnOverTheWorkers: when the reader fails as a whole partway
// through a request, the admin hears it once, no more requests are made, and the workers
// copy the rest.
func TestMirrorBulkFailingGoesOnOverTheWorkers(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	want := makeSite(t, src, 300, 9)
	oc := &openCounter{opened: map[string]int{}}
	n := 0
	var mu sync.Mutex
	b := &diskBulk{dir: src, spoil: func(_ int, _ string, data []byte) ([]byte, error) {
		mu.Lock()
		defer mu.Unlock()
		if n++; n > 20 {
			return nil, errWholeRequest
		}
		return data, nil
	}}
	var heard notices
	man, err := transfer.Mirror(context.Background(), oc.opener(src), local.Opener(dst), transfer.MirrorOptions{
		Bulk: b.read, OnNotice: heard.add,
	})
	require.NoError(t, err)
	require.Empty(t, want.Diff(man))
	require.Len(t, man.Files, len(want.Files))
	require.Empty(t, want.Diff(manifestOf(t, dst)))
	require.LessOrEqual(t, b.calls, 2, "no request after the reader failed (two run at once)")
	require.Equal(t, []string{"Small files come one at a time: The site stopped answering"}, heard.list())
	opened := 0
	for _, c := range oc.opened {
		require.Equal(t, 1, c)
		opened++
	}
	require.GreaterOrEqual(t, opened, len(want.Files)-20-20, "the workers copied all but what the reader delivered")
}
