package transfer_test

import (
	"context"
	"io"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/transfer"
	"ferry/backend/transfer/local"
)

// orderLog records the order files are opened in on a source shared by several workers.
type orderLog struct {
	transfer.Tree
	mu     *sync.Mutex
	opened *[]string
	first  map[int]string // the first file each connection opened, by connection
	id     int
}

func (o orderLog) Open(ctx context.Context, p string, off int64) (io.ReadCloser, error) {
	o.mu.Lock()
	*o.opened = append(*o.opened, p)
	if _, ok := o.first[o.id]; !ok {
		o.first[o.id] = p
	}
	o.mu.Unlock()
	return o.Tree.Open(ctx, p, off)
}

// TestMirrorMovesSmallFilesAlongsideBigOnes: with two workers, one starts with the
// largest file and the other with the smallest, and the small files are done while the
// big ones still copy (over a far link the small files wait on round trips, the big ones
// on bandwidth: both at once instead of the small ones alone at the end). A single
// worker keeps to largest first.
func TestMirrorMovesSmallFilesAlongsideBigOnes(t *testing.T) {
	src := t.TempDir()
	want := makeSite(t, src, 60, 11)
	var first map[int]string
	run := func(workers int) []string {
		var mu sync.Mutex
		var opened []string
		first = map[int]string{}
		n := 0
		open := func(ctx context.Context) (transfer.Tree, error) {
			tr, err := local.Opener(src)(ctx)
			if err != nil {
				return nil, err
			}
			mu.Lock()
			defer mu.Unlock()
			n++
			return orderLog{Tree: tr, mu: &mu, opened: &opened, first: first, id: n}, nil
		}
		dst := t.TempDir()
		_, err := transfer.Mirror(t.Context(), open, local.Opener(dst), transfer.MirrorOptions{Workers: workers})
		require.NoError(t, err)
		require.Equal(t, want.Files, manifestOf(t, dst).Files)
		return opened
	}
	size := func(p string) int64 {
		f, ok := want.Lookup(p)
		require.True(t, ok, p)
		return f.Size
	}
	opened := run(2)
	require.Len(t, opened, len(want.Files))
	// which connection opens its first file first is up to the scheduler: compare each
	// connection's own first file
	var starts []int64
	for _, p := range first {
		starts = append(starts, size(p))
	}
	require.Len(t, starts, 2)
	require.Contains(t, starts, int64(3<<20), "one worker starts with the largest file")
	require.Contains(t, starts, int64(0), "the other starts with the smallest")
	// The big files (2 MiB and more) are not all done before the small ones start.
	var smallBeforeLastBig int
	lastBig := 0
	for i, p := range opened {
		if size(p) >= 2<<20 {
			lastBig = i
		}
	}
	for _, p := range opened[:lastBig] {
		if size(p) < 1<<10 {
			smallBeforeLastBig++
		}
	}
	require.Positive(t, smallBeforeLastBig, "small files start before the last big one")

	opened = run(1)
	require.Equal(t, int64(3<<20), size(opened[0]), "a lone worker starts with the largest")
	for i := 1; i < len(opened); i++ {
		require.GreaterOrEqual(t, size(opened[i-1]), size(opened[i]), "a lone worker goes largest first")
	}
}
