package stage_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/transfer"
	"ferry/backend/transfer/local"
	"ferry/backend/transfer/stage"
)

func TestFolders(t *testing.T) {
	dir := t.TempDir()
	tr, err := stage.Open(dir)
	require.NoError(t, err)
	defer tr.Close()
	require.NoError(t, tr.MkdirAll(ctx, "a/b c/ü"))
	require.NoError(t, tr.MkdirAll(ctx, "a/b c/ü"))
	_, err = os.Stat(filepath.Join(dir, "tree", "a"))
	require.ErrorIs(t, err, fs.ErrNotExist, "folders are recorded, not created")
	put(t, tr, "a/b c/ü/small", []byte("s"))
	_, err = os.Stat(filepath.Join(dir, "tree", "a"))
	require.ErrorIs(t, err, fs.ErrNotExist)
	put(t, tr, "a/b c/ü/big", randBytes(rand.New(rand.NewPCG(2, 2)), mib+10))
	st, err := os.Stat(filepath.Join(dir, "tree", "a", "b c", "ü", "big"))
	require.NoError(t, err, "an ordinary file gets its folders")
	require.Equal(t, int64(mib+10), st.Size())

	require.Error(t, tr.MkdirAll(ctx, "a/b c/ü/small/x"), "a file in the way fails")
	require.Error(t, tr.MkdirAll(ctx, "a/b c/ü/small"))
	_, err = tr.Create(ctx, "a/b c/ü", 0)
	require.Error(t, err, "a folder is not a file")
	_, err = tr.Open(ctx, "a", 0)
	require.Error(t, err)
	require.Error(t, tr.Remove(ctx, "a/b c/ü"), "not empty")
	err = tr.Rename(ctx, "a/b c", "z")
	require.ErrorIs(t, err, transfer.ErrUnsupported, "folders are not moved")

	var paths []string
	require.NoError(t, tr.Walk(ctx, "a", func(e transfer.Entry) error {
		paths = append(paths, e.Path)
		require.False(t, e.ModTime.IsZero(), e.Path)
		return nil
	}))
	require.Equal(t, []string{"a/b c", "a/b c/ü", "a/b c/ü/big", "a/b c/ü/small"}, paths)
	stop := errors.New("stop")
	require.ErrorIs(t, tr.Walk(ctx, ".", func(transfer.Entry) error { return stop }), stop)
	err = tr.Walk(ctx, "a/b c/ü/small", func(transfer.Entry) error { return nil })
	require.ErrorIs(t, err, transfer.ErrNotFound, "a file cannot be walked")

	for _, p := range []string{"a/b c/ü/small", "a/b c/ü/big", "a/b c/ü", "a/b c", "a"} {
		require.NoError(t, tr.Remove(ctx, p), p)
	}
	es, err := walk(t, tr, ".")
	require.NoError(t, err)
	require.Empty(t, es)
	n, err := tr.FreeSpace(ctx, ".")
	if err == nil {
		require.Positive(t, n)
	} else {
		require.ErrorIs(t, err, transfer.ErrUnsupported)
	}
}

func TestInvalidPaths(t *testing.T) {
	dir := t.TempDir()
	tr, err := stage.Open(dir)
	require.NoError(t, err)
	defer tr.Close()
	put(t, tr, "keep.txt", []byte("keep"))
	for _, p := range []string{"../escape", "/etc/passwd", "a/../../b", "nul\x00byte", "line\r\nDELE keep.txt", `back\slash`} {
		t.Run(strings.ToValidUTF8(p, "?"), func(t *testing.T) {
			_, err := tr.Stat(ctx, p)
			require.ErrorIs(t, err, transfer.ErrInvalidPath)
			_, err = tr.Open(ctx, p, 0)
			require.ErrorIs(t, err, transfer.ErrInvalidPath)
			_, err = tr.Create(ctx, p, 0)
			require.ErrorIs(t, err, transfer.ErrInvalidPath)
			_, err = tr.Create(ctx, p, 4)
			require.ErrorIs(t, err, transfer.ErrInvalidPath)
			require.ErrorIs(t, tr.MkdirAll(ctx, p), transfer.ErrInvalidPath)
			require.ErrorIs(t, tr.Remove(ctx, p), transfer.ErrInvalidPath)
			require.ErrorIs(t, tr.Rename(ctx, "keep.txt", p), transfer.ErrInvalidPath)
			require.ErrorIs(t, tr.Rename(ctx, p, "keep.txt"), transfer.ErrInvalidPath)
			require.ErrorIs(t, tr.Walk(ctx, p, func(transfer.Entry) error { return nil }), transfer.ErrInvalidPath)
			_, err = tr.FreeSpace(ctx, p)
			require.ErrorIs(t, err, transfer.ErrInvalidPath)
		})
	}
	require.Equal(t, "keep", string(read(t, tr, "keep.txt", 0)), "bad input loses nothing")
	require.ErrorIs(t, tr.Remove(ctx, "."), transfer.ErrInvalidPath, "the root is never removed")
	_, err = tr.Create(ctx, "keep.txt", -1)
	require.ErrorIs(t, err, transfer.ErrInvalidPath)

	_, err = tr.Open(ctx, "missing.txt", 0)
	require.ErrorIs(t, err, transfer.ErrNotFound)
	require.Regexp(t, `^Path \S*missing.txt not found on server$`, transfer.Message(err))
	err = tr.Walk(ctx, "no/such/dir", func(transfer.Entry) error { return nil })
	require.ErrorIs(t, err, transfer.ErrNotFound)
	require.Contains(t, transfer.Message(err), "not found on server")
	require.ErrorIs(t, tr.Rename(ctx, "nope.txt", "x.txt"), transfer.ErrNotFound)
	require.ErrorIs(t, tr.Remove(ctx, "nope.txt"), transfer.ErrNotFound)
	_, err = tr.Create(ctx, "no/such/dir/x.txt", 0)
	require.ErrorIs(t, err, transfer.ErrNotFound, "parents must exist")
}

// makeSource writes a site-shaped tree: ~300 files of random sizes (nine over 1 MiB,
// one exactly 1 MiB), nested and empty folders, spaces, non-ASCII and dot files.
func makeSource(t *testing.T, dir string) (big int) {
	t.Helper()
	r := rand.New(rand.NewPCG(11, 11))
	add := func(rel string, size int) {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, randBytes(r, size), 0o644))
		if size > mib {
			big++
		}
	}
	add(".htaccess", 120)
	add("wp-config.php", 3000)
	add("wp-content/uploads/.htaccess", 0)
	add("wp-content/uploads/2024/05/grande photo é.jpg", 2*mib+mib/2)
	add("wp-content/uploads/2024/05/exactly one mib.bin", mib)
	add("wp-content/themes/тема/style.css", 4000)
	for i := range 8 {
		add(fmt.Sprintf("wp-content/uploads/2023/%02d/big %d.zip", i+1, i), mib+1+r.IntN(mib))
	}
	for i := range 286 {
		add(fmt.Sprintf("wp-content/plugins/p%02d/inc/.f%04d ü.php", i%30, i), r.IntN(40<<10))
	}
	for _, d := range []string{"wp-content/cache/empty", "wp-content/uploads/2024/12", "wp-content/upgrade"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, filepath.FromSlash(d)), 0o755))
	}
	return big
}

// folder lists a folder on disk: its sub-folders, and each file's SHA-256.
func folder(t *testing.T, dir string) (dirs []string, files map[string]string) {
	t.Helper()
	files = map[string]string{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case p == dir:
		case d.IsDir():
			dirs = append(dirs, rel)
		case d.Name() != transfer.ManifestName:
			data, err := os.ReadFile(p)
			require.NoError(t, err)
			sum := sha256.Sum256(data)
			files[rel] = hex.EncodeToString(sum[:])
		}
		return nil
	}))
	return dirs, files
}

func TestMirrorRoundTrip(t *testing.T) {
	src, staging, dst := t.TempDir(), t.TempDir(), t.TempDir()
	big := makeSource(t, src)
	down, err := transfer.Mirror(ctx, local.Opener(src), stage.Opener(staging), transfer.MirrorOptions{Workers: 4})
	require.NoError(t, err)
	up, err := transfer.Mirror(ctx, stage.Opener(staging), local.Opener(dst), transfer.MirrorOptions{Workers: 4})
	require.NoError(t, err)

	srcDirs, srcFiles := folder(t, src)
	dstDirs, dstFiles := folder(t, dst)
	require.Equal(t, 300, len(srcFiles))
	require.Equal(t, srcDirs, dstDirs, "the same folders, empty ones included")
	require.Equal(t, srcFiles, dstFiles, "the same bytes in every file")
	require.Empty(t, down.Diff(up), "the manifests agree")
	require.Len(t, down.Files, 300)
	for _, f := range down.Files {
		require.Equal(t, srcFiles[f.Path], f.SHA256, f.Path)
	}
	ordinary := ordinaryFiles(t, staging)
	require.Len(t, ordinary, big, "only the files over 1 MiB are ordinary files: %v", ordinary)
	for _, p := range ordinary {
		st, err := os.Stat(filepath.Join(src, filepath.FromSlash(p)))
		require.NoError(t, err)
		require.Greater(t, st.Size(), int64(mib), p)
	}

	// A second download into the same staging copy with the first one's manifest keeps
	// every file, and a fresh store sees the same tree as the source.
	again, err := transfer.Mirror(ctx, local.Opener(src), stage.Opener(staging), transfer.MirrorOptions{Previous: &down})
	require.NoError(t, err)
	require.Empty(t, again.Diff(down))
	srcTree, err := local.Open(src)
	require.NoError(t, err)
	fresh, err := stage.Open(staging)
	require.NoError(t, err)
	defer fresh.Close()
	sameTrees(t, srcTree, fresh, "staging copy")
}

// TestConcurrentHandles writes through many Trees of one Opener at once, with
// overlapping folders, while others read: run it with -race.
func TestConcurrentHandles(t *testing.T) {
	dir := t.TempDir()
	open := stage.Opener(dir)
	const workers, files = 8, 60
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- func() error {
				tr, err := open(ctx)
				if err != nil {
					return err
				}
				defer tr.Close()
				r := rand.New(rand.NewPCG(uint64(w), 1))
				for i := range files {
					d := path.Join("shared", fmt.Sprint(i%5), fmt.Sprint(w))
					if err := tr.MkdirAll(ctx, d); err != nil {
						return err
					}
					p := path.Join(d, fmt.Sprintf("f%d", i))
					data := randBytes(r, r.IntN(8<<10))
					if i%20 == 0 {
						data = randBytes(r, mib+r.IntN(1000))
					}
					wr, err := tr.Create(ctx, p, 0)
					if err != nil {
						return err
					}
					if _, err := wr.Write(data); err != nil {
						return err
					}
					if err := wr.Close(); err != nil {
						return err
					}
					rd, err := tr.Open(ctx, p, 0)
					if err != nil {
						return err
					}
					got, err := io.ReadAll(rd)
					_ = rd.Close()
					if err != nil {
						return err
					}
					if !bytes.Equal(got, data) {
						return fmt.Errorf("%s: read back %d bytes, wrote %d", p, len(got), len(data))
					}
					if _, err := tr.Stat(ctx, "shared"); err != nil {
						return err
					}
				}
				return tr.Walk(ctx, ".", func(transfer.Entry) error { return nil })
			}()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	fresh, err := stage.Open(dir)
	require.NoError(t, err)
	defer fresh.Close()
	var n int
	require.NoError(t, fresh.Walk(ctx, ".", func(e transfer.Entry) error {
		if !e.IsDir {
			n++
		}
		return nil
	}))
	require.Equal(t, workers*files, n)
}
