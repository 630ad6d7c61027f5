package transfer_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/progress"
	"ferry/backend/transfer"
	"ferry/backend/transfer/ftp"
	"ferry/backend/transfer/local"
	"ferry/backend/transfer/sftp"
	"ferry/backend/transfer/transfertest"
)

// makeSite writes a WordPress-shaped tree of n files (mostly small, a few large) and
// returns its manifest, computed straight from disk.
func makeSite(t *testing.T, dir string, n int, seed uint64) transfer.Manifest {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 1))
	var m transfer.Manifest
	add := func(rel string, size int) {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(r.UintN(256))
		}
		p := filepath.Join(dir, filepath.FromSlash(rel))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, data, 0o644))
		sum := sha256.Sum256(data)
		m.Files = append(m.Files, transfer.ManifestFile{Path: rel, Size: int64(size), SHA256: hex.EncodeToString(sum[:])})
	}
	add(".htaccess", 120)
	add("wp-content/uploads/.htaccess", 0)
	add("wp-content/uploads/2024/05/grande photo é.jpg", 3<<20)
	add("wp-content/uploads/2024/06/backup.zip", 2<<20)
	for i := len(m.Files); i < n; i++ {
		size := int(r.UintN(24 << 10))
		add(fmt.Sprintf("wp-content/plugins/p%02d/inc/f%04d.php", i%40, i), size)
	}
	return manifestOf(t, dir)
}

// manifestOf hashes a folder on disk, independently of Mirror.
func manifestOf(t *testing.T, dir string) transfer.Manifest {
	t.Helper()
	var m transfer.Manifest
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		if d.IsDir() || d.Name() == transfer.ManifestName {
			return nil
		}
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		rel, _ := filepath.Rel(dir, p)
		sum := sha256.Sum256(data)
		m.Files = append(m.Files, transfer.ManifestFile{Path: filepath.ToSlash(rel), Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])})
		return nil
	}))
	return m
}

func TestMirrorLocalToLocal(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	want := makeSite(t, src, 300, 1)
	var last progress.Snapshot
	var calls atomic.Int64
	man, err := transfer.Mirror(context.Background(), local.Opener(src), local.Opener(dst), transfer.MirrorOptions{
		Progress: func(s progress.Snapshot) { calls.Add(1); last = s },
	})
	require.NoError(t, err)
	require.Empty(t, want.Diff(man), "manifest equals the source's")
	require.Empty(t, want.Diff(manifestOf(t, dst)), "destination holds the same bytes")
	require.True(t, last.Final)
	require.Equal(t, int64(300), last.FilesDone)
	require.Equal(t, int64(300), last.FilesTotal)
	require.Equal(t, want.Bytes(), last.Done)
	require.Equal(t, want.Bytes(), last.Total)
}

// TestMirrorPlansFromSourceListing hands Mirror the listing Analyse source made: it copies
// what the listing names and does not list the source again (a file added since is not
// seen; one listed but gone since is skipped, as when a file vanishes mid-copy).
func TestMirrorPlansFromSourceListing(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	want := makeSite(t, src, 50, 2)
	tree, err := local.Open(src)
	require.NoError(t, err)
	var listing []transfer.Entry
	require.NoError(t, tree.Walk(context.Background(), ".", func(e transfer.Entry) error {
		listing = append(listing, e)
		return nil
	}))
	require.NoError(t, os.WriteFile(filepath.Join(src, "added-after-listing.txt"), []byte("new"), 0o644))
	require.NoError(t, os.Remove(filepath.Join(src, ".htaccess")))
	man, err := transfer.Mirror(context.Background(), local.Opener(src), local.Opener(dst), transfer.MirrorOptions{SourceListing: listing})
	require.NoError(t, err)
	require.Equal(t, []string{".htaccess"}, man.Skipped, "listed, then gone: skipped")
	require.Len(t, man.Files, len(want.Files)-1)
	_, err = os.Stat(filepath.Join(dst, "added-after-listing.txt"))
	require.ErrorIs(t, err, os.ErrNotExist, "the source was not listed again")
	for _, f := range man.Files {
		got, ok := want.Lookup(f.Path)
		require.True(t, ok, f.Path)
		require.Equal(t, got.SHA256, f.SHA256, f.Path)
	}
}

func TestMirrorExcludesAndFolders(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	for _, p := range []string{"site/index.php", "site/wp-content/cache/page.html", "site/wp-content/uploads/a.jpg", "site/debug.log", "site/wp-content/uploads/x/debug.log", "other/skip.txt"} {
		full := filepath.Join(src, p)
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		require.NoError(t, os.WriteFile(full, []byte(p), 0o644))
	}
	require.NoError(t, os.MkdirAll(filepath.Join(src, "site/empty/dir"), 0o755))
	man, err := transfer.Mirror(context.Background(), local.Opener(src), local.Opener(dst), transfer.MirrorOptions{
		SrcDir: "site", DstDir: "public_html", Exclude: []string{"wp-content/cache/**", "*.log"},
		Workers: 2, ManifestPath: filepath.Join(dst, transfer.ManifestName),
	})
	require.NoError(t, err)
	var paths []string
	for _, f := range man.Files {
		paths = append(paths, f.Path)
	}
	require.Equal(t, []string{"index.php", "wp-content/uploads/a.jpg"}, paths)
	_, err = os.Stat(filepath.Join(dst, "public_html/empty/dir"))
	require.NoError(t, err, "empty folders are created too")
	_, err = os.Stat(filepath.Join(dst, "public_html/wp-content/cache"))
	require.ErrorIs(t, err, os.ErrNotExist)
	onDisk, err := transfer.ReadManifestFile(filepath.Join(dst, transfer.ManifestName))
	require.NoError(t, err)
	require.Empty(t, man.Diff(onDisk), "the manifest file matches the returned manifest")
}

func TestMirrorBadOptions(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		opts transfer.MirrorOptions
		want string
	}{
		{"too many workers", transfer.MirrorOptions{Workers: 17}, "workers must be between 1 and 16"},
		{"negative workers", transfer.MirrorOptions{Workers: -1}, "workers must be between 1 and 16"},
		{"bad exclude", transfer.MirrorOptions{Exclude: []string{"[unclosed"}}, "exclude pattern"},
		{"escaping folder", transfer.MirrorOptions{SrcDir: "../etc"}, "invalid path"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := transfer.Mirror(context.Background(), local.Opener(dir), local.Opener(dir), tc.opts)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestMirrorRetrySkipsCompleteAndResumesPartial(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	want := makeSite(t, src, 50, 2)
	first, err := transfer.Mirror(context.Background(), local.Opener(src), local.Opener(dst), transfer.MirrorOptions{})
	require.NoError(t, err)
	// Interrupted run: one small file lost, the big one cut in half, and a marker so
	// we can tell a kept file from a copied one.
	big := "wp-content/uploads/2024/05/grande photo é.jpg"
	require.NoError(t, os.Remove(filepath.Join(dst, "wp-content/plugins/p10/inc/f0010.php")))
	require.NoError(t, os.Truncate(filepath.Join(dst, filepath.FromSlash(big)), 1<<20+17))
	kept := filepath.Join(dst, "index-kept-marker")
	require.NoError(t, os.WriteFile(kept, nil, 0o644))
	keptInfo, err := os.Stat(filepath.Join(dst, ".htaccess"))
	require.NoError(t, err)

	var copied atomic.Int64
	man, err := transfer.Mirror(context.Background(), local.Opener(src), local.Opener(dst), transfer.MirrorOptions{
		Previous: &first,
		Progress: func(s progress.Snapshot) { copied.Store(s.Done) },
	})
	require.NoError(t, err)
	require.Empty(t, want.Diff(man))
	got := manifestOf(t, dst)
	got.Files = filter(got.Files, "index-kept-marker")
	require.Empty(t, want.Diff(got))
	after, err := os.Stat(filepath.Join(dst, ".htaccess"))
	require.NoError(t, err)
	require.Equal(t, keptInfo.ModTime(), after.ModTime(), "a complete file is not copied again")
	require.Equal(t, want.Bytes()-(1<<20+17), copied.Load(), "the cut file resumed from its offset")
}

func filter(files []transfer.ManifestFile, drop string) []transfer.ManifestFile {
	var out []transfer.ManifestFile
	for _, f := range files {
		if f.Path != drop {
			out = append(out, f)
		}
	}
	return out
}

func TestMirrorStopsOnPermanentError(t *testing.T) {
	src := t.TempDir()
	makeSite(t, src, 20, 3)
	srv := transfertest.StartFTP(t, t.TempDir(), transfertest.FTPOptions{ReadOnly: true})
	dst := ftp.Config{Host: srv.Host, Port: srv.Port, User: srv.User, Password: srv.Password, Timeout: 5 * time.Second}
	var retries atomic.Int64
	_, err := transfer.Mirror(context.Background(), local.Opener(src), dst.Opener(), transfer.MirrorOptions{
		OnRetry: func(string, int, error) { retries.Add(1) },
	})
	require.ErrorIs(t, err, transfer.ErrPermission)
	require.Zero(t, retries.Load(), "permission errors are never retried")

	dst.Password = "wrong-password"
	_, err = transfer.Mirror(context.Background(), local.Opener(src), dst.Opener(), transfer.MirrorOptions{
		OnRetry: func(string, int, error) { retries.Add(1) },
	})
	require.ErrorIs(t, err, transfer.ErrAuth)
	require.Equal(t, "Login incorrect", transfer.Message(err))
	require.Zero(t, retries.Load(), "a rejected login is never retried")
}

func TestMirrorCancelStopsQuickly(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "huge.bin"))
	require.NoError(t, err)
	require.NoError(t, f.Truncate(8<<30))
	require.NoError(t, f.Close())
	srv := transfertest.StartSFTP(t, dir, transfertest.SFTPOptions{})
	src := sftp.Config{Host: srv.Host, Port: srv.Port, User: srv.User, Password: srv.Password, HostKeys: transfer.NewMemoryHostKeys()}
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() {
		_, err := transfer.Mirror(ctx, src.Opener(), local.Opener(t.TempDir()), transfer.MirrorOptions{
			Progress: func(s progress.Snapshot) {
				if s.Done > 0 {
					select {
					case started <- struct{}{}:
					default:
					}
				}
			},
		})
		done <- err
	}()
	<-started
	cancel()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(time.Second):
		t.Fatal("mirror still running a second after cancel")
	}
}
