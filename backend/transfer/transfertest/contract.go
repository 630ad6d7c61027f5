package transfertest

import (
	"bytes"
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
)

// Harness tells RunContract how to reach one transfer.Tree implementation.
type Harness struct {
	// New returns a Tree over a fresh, empty folder and that folder on this machine, so
	// the suite can arrange files behind the server's back and check what it stored.
	New func(t *testing.T) (transfer.Tree, string)
	// ReadOnly returns a Tree over dir whose server refuses every write.
	ReadOnly func(t *testing.T, dir string) transfer.Tree
	// Connect dials host:port with good credentials and the given timeout. Nil for
	// trees that hold no connection (a local folder).
	Connect func(ctx context.Context, host string, port int, timeout time.Duration) (transfer.Tree, error)
	// BadLogin dials a running server with a wrong password. Nil with Connect.
	BadLogin func(ctx context.Context, t *testing.T) error
	// ChangedIdentity dials a server whose host key or certificate differs from the
	// one pinned; nil where the protocol has no identity (plain FTP, local).
	ChangedIdentity func(ctx context.Context, t *testing.T) error
	// FreeSpace is true when the protocol can tell the free space.
	FreeSpace bool
}

// RunContract checks every promise of the transfer.Tree contract against h.
func RunContract(t *testing.T, h Harness) {
	t.Run("Walk", func(t *testing.T) { testWalk(t, h) })
	t.Run("OpenAtOffset", func(t *testing.T) { testOpen(t, h) })
	t.Run("CreateAndOverwrite", func(t *testing.T) { testCreate(t, h) })
	t.Run("Resume", func(t *testing.T) { testResume(t, h) })
	t.Run("MkdirAllIdempotent", func(t *testing.T) { testMkdir(t, h) })
	t.Run("Rename", func(t *testing.T) { testRename(t, h) })
	t.Run("Remove", func(t *testing.T) { testRemove(t, h) })
	t.Run("Stat", func(t *testing.T) { testStat(t, h) })
	t.Run("EmptyFile", func(t *testing.T) { testEmpty(t, h) })
	t.Run("SparseMultiGB", func(t *testing.T) { testSparse(t, h) })
	t.Run("InvalidPaths", func(t *testing.T) { testInvalid(t, h) })
	t.Run("PermissionDenied", func(t *testing.T) { testPermission(t, h) })
	t.Run("FreeSpace", func(t *testing.T) { testFreeSpace(t, h) })
	t.Run("Cancel", func(t *testing.T) { testCancel(t, h) })
	t.Run("CloseIdempotent", func(t *testing.T) {
		tr, _ := h.New(t)
		require.NoError(t, tr.Close())
		require.NoError(t, tr.Close())
	})
	if h.Connect != nil {
		t.Run("BadCredentials", func(t *testing.T) { testBadLogin(t, h) })
		t.Run("Refused", func(t *testing.T) { testRefused(t, h) })
		t.Run("Timeout", func(t *testing.T) { testTimeout(t, h) })
	}
	if h.ChangedIdentity != nil {
		t.Run("ChangedIdentity", func(t *testing.T) {
			err := h.ChangedIdentity(context.Background(), t)
			require.ErrorIs(t, err, transfer.ErrHostKey)
			require.Contains(t, transfer.Message(err), "Host key of 127.0.0.1 changed")
		})
	}
}

func writeFile(t *testing.T, dir, rel string, data []byte) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, data, 0o644))
}

func readAll(t *testing.T, tr transfer.Tree, p string, off int64) []byte {
	t.Helper()
	r, err := tr.Open(context.Background(), p, off)
	require.NoError(t, err)
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	require.NoError(t, r.Close())
	return b
}

func put(t *testing.T, tr transfer.Tree, p string, off int64, data []byte) {
	t.Helper()
	w, err := tr.Create(context.Background(), p, off)
	require.NoError(t, err)
	_, err = w.Write(data)
	require.NoError(t, err)
	require.NoError(t, w.Close())
}

// names covers what WordPress sites really hold: dot files, spaces, non-ASCII.
var names = map[string]string{
	".htaccess":                            "RewriteEngine On\n",
	"index.php":                            "<?php // index\n",
	"wp-content/uploads/.htaccess":         "deny from all\n",
	"wp-content/uploads/2024/05/café.jpg":  "jpeg bytes",
	"wp-content/uploads/2024/05/a b c.png": "png bytes",
	"wp-content/themes/тема/style.css":     "body{}",
	"wp-content/uploads/empty.txt":         "",
}

func testWalk(t *testing.T, h Harness) {
	tr, dir := h.New(t)
	for p, body := range names {
		writeFile(t, dir, p, []byte(body))
	}
	seen := map[string]transfer.Entry{}
	var order []string
	require.NoError(t, tr.Walk(context.Background(), ".", func(e transfer.Entry) error {
		seen[e.Path] = e
		order = append(order, e.Path)
		return nil
	}))
	for p, body := range names {
		e, ok := seen[p]
		require.True(t, ok, "walk must list %s (dot files included)", p)
		require.False(t, e.IsDir, p)
		require.Equal(t, int64(len(body)), e.Size, p)
	}
	for _, d := range []string{"wp-content", "wp-content/uploads", "wp-content/uploads/2024/05", "wp-content/themes/тема"} {
		require.True(t, seen[d].IsDir, "%s is a folder", d)
	}
	pos := map[string]int{}
	for i, p := range order {
		pos[p] = i
	}
	for _, p := range order {
		if parent := filepath.ToSlash(filepath.Dir(p)); parent != "." {
			require.Less(t, pos[parent], pos[p], "parent %s before %s", parent, p)
		}
	}
	// A sub-folder walk names paths from the root too.
	var sub []string
	require.NoError(t, tr.Walk(context.Background(), "wp-content/uploads/2024", func(e transfer.Entry) error {
		sub = append(sub, e.Path)
		return nil
	}))
	require.ElementsMatch(t, []string{"wp-content/uploads/2024/05", "wp-content/uploads/2024/05/café.jpg", "wp-content/uploads/2024/05/a b c.png"}, sub)

	err := tr.Walk(context.Background(), "no/such/dir", func(transfer.Entry) error { return nil })
	require.ErrorIs(t, err, transfer.ErrNotFound)
	require.Contains(t, transfer.Message(err), "not found on server")

	stop := errors.New("stop here")
	require.ErrorIs(t, tr.Walk(context.Background(), ".", func(transfer.Entry) error { return stop }), stop)
}

func testOpen(t *testing.T, h Harness) {
	tr, dir := h.New(t)
	data := bytes.Repeat([]byte("0123456789"), 50_000) // 500 kB, many packets
	writeFile(t, dir, "big.bin", data)
	require.Equal(t, data, readAll(t, tr, "big.bin", 0))
	require.Equal(t, data[123_457:], readAll(t, tr, "big.bin", 123_457))
	require.Empty(t, readAll(t, tr, "big.bin", int64(len(data))))

	_, err := tr.Open(context.Background(), "missing.txt", 0)
	require.ErrorIs(t, err, transfer.ErrNotFound)
	require.Regexp(t, `^Path \S*missing.txt not found on server$`, transfer.Message(err))
	// The connection survives a failed command.
	require.Equal(t, data[:10], readAll(t, tr, "big.bin", 0)[:10])
}

func testCreate(t *testing.T, h Harness) {
	tr, dir := h.New(t)
	for p, body := range names {
		require.NoError(t, tr.MkdirAll(context.Background(), filepath.ToSlash(filepath.Dir(p))))
		put(t, tr, p, 0, []byte(body))
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		require.NoError(t, err)
		require.Equal(t, body, string(got), p)
	}
	put(t, tr, "index.php", 0, []byte("short"))
	got, err := os.ReadFile(filepath.Join(dir, "index.php"))
	require.NoError(t, err)
	require.Equal(t, "short", string(got), "Create truncates")

	_, err = tr.Create(context.Background(), "no/such/dir/x.txt", 0)
	require.Error(t, err, "parents must exist")
}

func testResume(t *testing.T, h Harness) {
	tr, dir := h.New(t)
	data := bytes.Repeat([]byte("resume-me "), 30_000)
	writeFile(t, dir, "part.bin", data[:100_000])
	put(t, tr, "part.bin", 100_000, data[100_000:])
	got, err := os.ReadFile(filepath.Join(dir, "part.bin"))
	require.NoError(t, err)
	require.Equal(t, data, got)

	w, err := tr.Create(context.Background(), "part.bin", 5)
	if err == nil {
		err = w.Close()
	}
	require.Error(t, err, "resume at an offset other than the file's size fails")
	got, err = os.ReadFile(filepath.Join(dir, "part.bin"))
	require.NoError(t, err)
	require.Equal(t, data, got, "a refused resume loses nothing")
}

func testMkdir(t *testing.T, h Harness) {
	tr, dir := h.New(t)
	for i := 0; i < 2; i++ {
		require.NoError(t, tr.MkdirAll(context.Background(), "a/b c/ü"))
		require.NoError(t, tr.MkdirAll(context.Background(), "a"))
		require.NoError(t, tr.MkdirAll(context.Background(), "."))
	}
	st, err := os.Stat(filepath.Join(dir, "a", "b c", "ü"))
	require.NoError(t, err)
	require.True(t, st.IsDir())
	writeFile(t, dir, "file", []byte("x"))
	require.Error(t, tr.MkdirAll(context.Background(), "file/sub"), "a file in the way fails")
}

func testRename(t *testing.T, h Harness) {
	tr, dir := h.New(t)
	writeFile(t, dir, "a.txt", []byte("A"))
	writeFile(t, dir, "b.txt", []byte("B"))
	require.NoError(t, tr.MkdirAll(context.Background(), "sub dir"))
	require.NoError(t, tr.Rename(context.Background(), "a.txt", "sub dir/ä.txt"))
	got, err := os.ReadFile(filepath.Join(dir, "sub dir", "ä.txt"))
	require.NoError(t, err)
	require.Equal(t, "A", string(got))
	require.NoError(t, tr.Rename(context.Background(), "sub dir/ä.txt", "b.txt"), "rename replaces the target")
	got, err = os.ReadFile(filepath.Join(dir, "b.txt"))
	require.NoError(t, err)
	require.Equal(t, "A", string(got))
	require.ErrorIs(t, tr.Rename(context.Background(), "nope.txt", "x.txt"), transfer.ErrNotFound)
}

func testRemove(t *testing.T, h Harness) {
	tr, dir := h.New(t)
	writeFile(t, dir, "d/f.txt", []byte("x"))
	require.NoError(t, tr.Remove(context.Background(), "d/f.txt"))
	require.NoError(t, tr.Remove(context.Background(), "d"))
	_, err := os.Stat(filepath.Join(dir, "d"))
	require.ErrorIs(t, err, os.ErrNotExist)
	require.ErrorIs(t, tr.Remove(context.Background(), "d"), transfer.ErrNotFound)
	require.ErrorIs(t, tr.Remove(context.Background(), "."), transfer.ErrInvalidPath, "the root is never removed")
}

func testStat(t *testing.T, h Harness) {
	tr, dir := h.New(t)
	writeFile(t, dir, "wp-content/a file.txt", []byte("12345"))
	e, err := tr.Stat(context.Background(), "wp-content/a file.txt")
	require.NoError(t, err)
	require.Equal(t, "wp-content/a file.txt", e.Path)
	require.Equal(t, int64(5), e.Size)
	require.False(t, e.IsDir)
	e, err = tr.Stat(context.Background(), "wp-content")
	require.NoError(t, err)
	require.True(t, e.IsDir)
	_, err = tr.Stat(context.Background(), "wp-content/missing")
	require.ErrorIs(t, err, transfer.ErrNotFound)
}

func testEmpty(t *testing.T, h Harness) {
	tr, dir := h.New(t)
	put(t, tr, "empty", 0, nil)
	st, err := os.Stat(filepath.Join(dir, "empty"))
	require.NoError(t, err)
	require.Zero(t, st.Size())
	require.Empty(t, readAll(t, tr, "empty", 0))
	e, err := tr.Stat(context.Background(), "empty")
	require.NoError(t, err)
	require.Zero(t, e.Size)
}

// testSparse uses a 5 GiB sparse file: sizes past 4 GiB break 32-bit offsets, and the
// file costs no disk. Only its ends are read and appended to.
func testSparse(t *testing.T, h Harness) {
	tr, dir := h.New(t)
	const size = 5 << 30
	f, err := os.Create(filepath.Join(dir, "huge.bin"))
	require.NoError(t, err)
	require.NoError(t, f.Truncate(size-4))
	_, err = f.WriteAt([]byte("tail"), size-4)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	e, err := tr.Stat(context.Background(), "huge.bin")
	require.NoError(t, err)
	require.Equal(t, int64(size), e.Size)
	got := readAll(t, tr, "huge.bin", size-8)
	require.Equal(t, []byte("\x00\x00\x00\x00tail"), got)
	put(t, tr, "huge.bin", size, []byte("more"))
	st, err := os.Stat(filepath.Join(dir, "huge.bin"))
	require.NoError(t, err)
	require.Equal(t, int64(size+4), st.Size())
}

func testInvalid(t *testing.T, h Harness) {
	tr, dir := h.New(t)
	writeFile(t, dir, "keep.txt", []byte("keep"))
	ctx := context.Background()
	for _, p := range []string{"../escape", "/etc/passwd", "a/../../b", "nul\x00byte", "line\r\nDELE keep.txt"} {
		t.Run(strings.ToValidUTF8(p, "?"), func(t *testing.T) {
			_, err := tr.Stat(ctx, p)
			require.ErrorIs(t, err, transfer.ErrInvalidPath)
			_, err = tr.Open(ctx, p, 0)
			require.ErrorIs(t, err, transfer.ErrInvalidPath)
			_, err = tr.Create(ctx, p, 0)
			require.ErrorIs(t, err, transfer.ErrInvalidPath)
			require.ErrorIs(t, tr.MkdirAll(ctx, p), transfer.ErrInvalidPath)
			require.ErrorIs(t, tr.Remove(ctx, p), transfer.ErrInvalidPath)
			require.ErrorIs(t, tr.Rename(ctx, "keep.txt", p), transfer.ErrInvalidPath)
			require.ErrorIs(t, tr.Walk(ctx, p, func(transfer.Entry) error { return nil }), transfer.ErrInvalidPath)
		})
	}
	got, err := os.ReadFile(filepath.Join(dir, "keep.txt"))
	require.NoError(t, err)
	require.Equal(t, "keep", string(got), "bad input loses nothing")
}

func testPermission(t *testing.T, h Harness) {
	_, dir := h.New(t)
	writeFile(t, dir, "wp-config.php", []byte("<?php"))
	ro := h.ReadOnly(t, dir)
	ctx := context.Background()
	w, err := ro.Create(ctx, "wp-config.php", 0)
	if err == nil {
		_, err = w.Write([]byte("overwritten"))
		err = errors.Join(err, w.Close())
	}
	require.ErrorIs(t, err, transfer.ErrPermission)
	require.Regexp(t, `^Permission denied writing \S*wp-config.php$`, transfer.Message(err))
	require.ErrorIs(t, ro.MkdirAll(ctx, "newdir"), transfer.ErrPermission)
	got, err := os.ReadFile(filepath.Join(dir, "wp-config.php"))
	require.NoError(t, err)
	require.Equal(t, "<?php", string(got), "a refused write loses nothing")
}

func testFreeSpace(t *testing.T, h Harness) {
	tr, _ := h.New(t)
	n, err := tr.FreeSpace(context.Background(), ".")
	if h.FreeSpace {
		require.NoError(t, err)
		require.Positive(t, n)
		return
	}
	require.ErrorIs(t, err, transfer.ErrUnsupported)
}

func testCancel(t *testing.T, h Harness) {
	tr, dir := h.New(t)
	f, err := os.Create(filepath.Join(dir, "endless.bin"))
	require.NoError(t, err)
	require.NoError(t, f.Truncate(4<<30))
	require.NoError(t, f.Close())

	ctx, cancel := context.WithCancel(context.Background())
	r, err := tr.Open(ctx, "endless.bin", 0)
	require.NoError(t, err)
	buf := make([]byte, 64*1024)
	_, err = io.ReadFull(r, buf)
	require.NoError(t, err)
	cancel()
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, r)
		done <- err
	}()
	select {
	case err := <-done:
		require.Error(t, err, "a cancelled read must not run to the end of 4 GiB")
	case <-time.After(5 * time.Second):
		t.Fatal("read did not stop after cancel")
	}
	_ = r.Close()
	_ = tr.Close()
}

func testBadLogin(t *testing.T, h Harness) {
	err := h.BadLogin(context.Background(), t)
	require.ErrorIs(t, err, transfer.ErrAuth)
	require.False(t, transfer.IsTransient(err), "a rejected login is never retried")
	require.Equal(t, "Login incorrect", transfer.Message(err))
	require.NotContains(t, err.Error(), Password)
	require.NotContains(t, err.Error(), "wrong-password")
}

func testRefused(t *testing.T, h Harness) {
	host, port := RefusedAddr(t)
	_, err := h.Connect(context.Background(), host, port, 5*time.Second)
	require.ErrorIs(t, err, transfer.ErrRefused)
	require.Regexp(t, `^Cannot connect to (FTP|FTPS|SFTP) server 127\.0\.0\.1:\d+: connection refused$`, transfer.Message(err))
}

func testTimeout(t *testing.T, h Harness) {
	host, port := SilentAddr(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := h.Connect(ctx, host, port, time.Second)
	require.ErrorIs(t, err, transfer.ErrTimeout)
	require.NoError(t, ctx.Err(), "the configured timeout, not the test's, ended the wait")
	require.Equal(t, "Connection timeout after 1 s", transfer.Message(err))
}
