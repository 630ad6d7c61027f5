package stage_test

import (
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/transfer"
	"ferry/backend/transfer/stage"
)

func TestSpillAtPackLimit(t *testing.T) {
	dir := t.TempDir()
	tr, err := stage.Open(dir)
	require.NoError(t, err)
	defer tr.Close()
	r := rand.New(rand.NewPCG(9, 9))
	atLimit, over := randBytes(r, mib), randBytes(r, mib+1)
	put(t, tr, "limit.bin", atLimit)
	w, err := tr.Create(ctx, "over.bin", 0)
	require.NoError(t, err)
	for i := 0; i < len(over); i += 256 << 10 {
		_, err = w.Write(over[i:min(len(over), i+256<<10)])
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	require.Equal(t, []string{"over.bin"}, ordinaryFiles(t, dir))
	st, err := os.Stat(packName(dir, 1))
	require.NoError(t, err)
	require.Equal(t, int64(mib), st.Size(), "the spilled bytes left the pack")
	put(t, tr, "after.txt", []byte("after"))
	st, err = os.Stat(packName(dir, 1))
	require.NoError(t, err)
	require.Equal(t, int64(mib+5), st.Size(), "the next file follows without a gap")
	require.Equal(t, "after", string(read(t, tr, "after.txt", 0)))
	require.Equal(t, atLimit, read(t, tr, "limit.bin", 0))
	require.Equal(t, over, read(t, tr, "over.bin", 0))
	require.Equal(t, over[mib-3:], read(t, tr, "over.bin", mib-3))

	// Resuming a packed file moves it to tree/ first; a wrong offset loses nothing.
	w, err = tr.Create(ctx, "limit.bin", mib-1)
	if err == nil {
		err = w.Close()
	}
	require.Error(t, err)
	require.Equal(t, atLimit, read(t, tr, "limit.bin", 0))
	w, err = tr.Create(ctx, "limit.bin", mib)
	require.NoError(t, err)
	_, err = w.Write([]byte("tail"))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	require.Equal(t, append(append([]byte{}, atLimit...), "tail"...), read(t, tr, "limit.bin", 0))
	require.Equal(t, []string{"limit.bin", "over.bin"}, ordinaryFiles(t, dir))
	e, err := tr.Stat(ctx, "limit.bin")
	require.NoError(t, err)
	require.Equal(t, int64(mib+4), e.Size)
}

func TestEmptyPackRemoved(t *testing.T) {
	dir := t.TempDir()
	tr, err := stage.Open(dir)
	require.NoError(t, err)
	put(t, tr, "big.bin", randBytes(rand.New(rand.NewPCG(1, 1)), 2*mib))
	put(t, tr, "empty", nil)
	require.NoError(t, tr.Close())
	_, err = os.Stat(packName(dir, 1))
	require.ErrorIs(t, err, fs.ErrNotExist, "a pack that holds no byte is deleted")
	tr, err = stage.Open(dir)
	require.NoError(t, err)
	defer tr.Close()
	require.Empty(t, read(t, tr, "empty", 0))
	put(t, tr, "small", []byte("s"))
	_, err = os.Stat(packName(dir, 2))
	require.NoError(t, err, "pack numbers named in the journal are never reused")
}

func TestTwoStoresNeverSharePack(t *testing.T) {
	dir := t.TempDir()
	a, err := stage.Open(dir)
	require.NoError(t, err)
	b, err := stage.Open(dir)
	require.NoError(t, err)
	put(t, a, "a.txt", []byte("from a"))
	put(t, b, "b.txt", []byte("from b"))
	put(t, a, "a2.txt", []byte("from a again"))
	require.NoError(t, a.Close())
	require.NoError(t, b.Close())
	packs, err := filepath.Glob(filepath.Join(dir, "packs", "*.pack"))
	require.NoError(t, err)
	require.Len(t, packs, 2)
	c, err := stage.Open(dir)
	require.NoError(t, err)
	defer c.Close()
	require.Equal(t, "from a", string(read(t, c, "a.txt", 0)))
	require.Equal(t, "from b", string(read(t, c, "b.txt", 0)))
	require.Equal(t, "from a again", string(read(t, c, "a2.txt", 0)))
}

func TestOpenerSeesOtherStoresWrites(t *testing.T) {
	dir := t.TempDir()
	open := stage.Opener(dir)
	h, err := open(ctx)
	require.NoError(t, err)
	put(t, h, "first.txt", []byte("1"))
	require.NoError(t, h.Close())
	other, err := stage.Open(dir)
	require.NoError(t, err)
	put(t, other, "second.txt", []byte("2"))
	require.NoError(t, other.Remove(ctx, "first.txt"))
	require.NoError(t, other.Close())
	h, err = open(ctx)
	require.NoError(t, err)
	defer h.Close()
	require.Equal(t, "2", string(read(t, h, "second.txt", 0)))
	_, err = h.Stat(ctx, "first.txt")
	require.ErrorIs(t, err, transfer.ErrNotFound)
}
