package stage_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/transfer"
	"ferry/backend/transfer/stage"
)

func TestPersistence(t *testing.T) {
	dir := t.TempDir()
	open := stage.Opener(dir)
	a, err := open(ctx)
	require.NoError(t, err)
	b, err := open(ctx)
	require.NoError(t, err)
	want := map[string][]byte{}
	r := rand.New(rand.NewPCG(3, 3))
	require.NoError(t, a.MkdirAll(ctx, "wp-content/uploads/2024/05"))
	require.NoError(t, a.MkdirAll(ctx, "wp-content/cache/empty"))
	for i := range 40 {
		p := fmt.Sprintf("wp-content/uploads/2024/05/f %02d é.txt", i)
		size := r.IntN(20 << 10)
		if i%10 == 0 {
			size = mib + r.IntN(mib)
		}
		want[p] = randBytes(r, size)
		put(t, []transfer.Tree{a, b}[i%2], p, want[p])
	}
	put(t, a, ".htaccess", []byte("RewriteEngine On\n"))
	want[".htaccess"] = []byte("RewriteEngine On\n")
	put(t, b, "empty", nil)
	want["empty"] = nil
	require.NoError(t, a.Rename(ctx, "wp-content/uploads/2024/05/f 01 é.txt", "moved.txt"))
	want["moved.txt"] = want["wp-content/uploads/2024/05/f 01 é.txt"]
	delete(want, "wp-content/uploads/2024/05/f 01 é.txt")
	require.NoError(t, b.Remove(ctx, "wp-content/uploads/2024/05/f 02 é.txt"))
	delete(want, "wp-content/uploads/2024/05/f 02 é.txt")
	before, err := walk(t, a, ".")
	require.NoError(t, err)
	require.NoError(t, a.Close())
	require.NoError(t, b.Close())

	fresh, err := stage.Open(dir)
	require.NoError(t, err)
	defer fresh.Close()
	after, err := walk(t, fresh, ".")
	require.NoError(t, err)
	require.Equal(t, before, after)
	var files int
	for _, e := range after {
		if !e.IsDir {
			files++
			require.True(t, bytes.Equal(want[e.Path], read(t, fresh, e.Path, 0)), e.Path)
		}
	}
	require.Equal(t, len(want), files)
	require.Contains(t, after, walkEntry{Path: "wp-content/cache/empty", IsDir: true})
	require.Len(t, ordinaryFiles(t, dir), 4, "only the files over 1 MiB are ordinary files")
}

var fileRecord = regexp.MustCompile(`^f (\d+) (\d+) (\d+) (\d+) (".*")$`)

type packed struct {
	path      string
	pack      int
	off, size int64
}

// records parses the "f" records of the journal, as documented in the package.
func records(t *testing.T, dir string) []packed {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "packs", "index"))
	require.NoError(t, err)
	defer f.Close()
	var out []packed
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := fileRecord.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		p, err := strconv.Unquote(m[5])
		require.NoError(t, err)
		num, _ := strconv.Atoi(m[1])
		off, _ := strconv.ParseInt(m[2], 10, 64)
		size, _ := strconv.ParseInt(m[3], 10, 64)
		out = append(out, packed{p, num, off, size})
	}
	require.NoError(t, sc.Err())
	return out
}

func packName(dir string, num int) string {
	return filepath.Join(dir, "packs", fmt.Sprintf("%04d.pack", num))
}

func TestCrashLeftovers(t *testing.T) {
	dir := t.TempDir()
	tr, err := stage.Open(dir)
	require.NoError(t, err)
	want := map[string][]byte{}
	r := rand.New(rand.NewPCG(5, 5))
	for i := range 10 {
		p := fmt.Sprintf("f%d.php", i)
		want[p] = randBytes(r, 100+r.IntN(5000))
		put(t, tr, p, want[p])
	}
	require.NoError(t, tr.Close())

	recs := records(t, dir)
	require.Len(t, recs, 10)
	last := recs[len(recs)-1]
	require.Equal(t, "f9.php", last.path)
	// The pack lost the end of the last file, and the journal has half a line.
	require.NoError(t, os.Truncate(packName(dir, last.pack), last.off+last.size-1))
	idx, err := os.OpenFile(filepath.Join(dir, "packs", "index"), os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = idx.WriteString(`f 1 0 5 1700000000000000000 "f0.ph`)
	require.NoError(t, err)
	require.NoError(t, idx.Close())

	tr, err = stage.Open(dir)
	require.NoError(t, err, "what a crash leaves is no error")
	_, err = tr.Stat(ctx, "f9.php")
	require.ErrorIs(t, err, transfer.ErrNotFound, "a file whose bytes are not all in its pack is missing")
	delete(want, "f9.php")
	for p, data := range want {
		require.Equal(t, data, read(t, tr, p, 0), p)
	}
	// Writing goes on after the torn line.
	put(t, tr, "after.txt", []byte("after the crash"))
	put(t, tr, "f9.php", []byte("copied again"))
	require.NoError(t, tr.Close())

	tr, err = stage.Open(dir)
	require.NoError(t, err)
	defer tr.Close()
	require.Equal(t, "after the crash", string(read(t, tr, "after.txt", 0)))
	require.Equal(t, "copied again", string(read(t, tr, "f9.php", 0)))
	for p, data := range want {
		require.Equal(t, data, read(t, tr, p, 0), p)
	}
}

func TestKilledMidCopy(t *testing.T) {
	dir := t.TempDir()
	tr, err := stage.Open(dir)
	require.NoError(t, err)
	put(t, tr, "old.txt", []byte("old version"))
	put(t, tr, "done.txt", []byte("complete"))
	w, err := tr.Create(ctx, "old.txt", 0)
	require.NoError(t, err)
	_, err = w.Write([]byte("new version, half written"))
	require.NoError(t, err)
	other, err := stage.Open(dir)
	require.NoError(t, err)
	w2, err := other.Create(ctx, "fresh.txt", 0)
	require.NoError(t, err)
	_, err = w2.Write([]byte("never closed"))
	require.NoError(t, err)
	// Ferry is killed here: nothing more reaches the disk. What the next run loads:
	again, err := stage.Open(dir)
	require.NoError(t, err)
	require.Equal(t, "complete", string(read(t, again, "done.txt", 0)))
	for _, p := range []string{"fresh.txt", "old.txt"} {
		_, err = again.Stat(ctx, p)
		require.ErrorIs(t, err, transfer.ErrNotFound, "%s was being written: it is missing, not stale", p)
	}
	require.NoError(t, again.Close())

	// A second Create on the same Tree moves the open file to tree/: killed now, the
	// next run finds the prefix written so far, as with a plain folder.
	w3, err := tr.Create(ctx, "third.txt", 0)
	require.NoError(t, err)
	again, err = stage.Open(dir)
	require.NoError(t, err)
	defer again.Close()
	require.Equal(t, "new version, half written", string(read(t, again, "old.txt", 0)))
	_, err = w.Write([]byte(", now complete"))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	require.NoError(t, w3.Close())
	require.Equal(t, "new version, half written, now complete", string(read(t, tr, "old.txt", 0)))
	require.Equal(t, []string{"old.txt"}, ordinaryFiles(t, dir))
	_ = tr.Close()
	_ = other.Close()
}

func TestCancelledWriteRecordsNothing(t *testing.T) {
	dir := t.TempDir()
	tr, err := stage.Open(dir)
	require.NoError(t, err)
	defer tr.Close()
	put(t, tr, "keep.txt", []byte("keep"))
	c, cancel := context.WithCancel(ctx)
	w, err := tr.Create(c, "x.txt", 0)
	require.NoError(t, err)
	_, err = w.Write(bytes.Repeat([]byte("x"), 1000))
	require.NoError(t, err)
	cancel()
	_, err = w.Write([]byte("more"))
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, w.Close(), context.Canceled, "Close says the file is incomplete")
	require.NoError(t, w.Close(), "a second Close does nothing")
	_, err = tr.Stat(ctx, "x.txt")
	require.ErrorIs(t, err, transfer.ErrNotFound)
	st, err := os.Stat(packName(dir, 1))
	require.NoError(t, err)
	require.Equal(t, int64(len("keep")), st.Size(), "the pack gave the bytes back")
	rd, err := tr.Open(c, "keep.txt", 0)
	require.NoError(t, err)
	_, err = rd.Read(make([]byte, 10))
	require.ErrorIs(t, err, context.Canceled, "a read checks its context too")
	require.NoError(t, rd.Close())
	put(t, tr, "next.txt", []byte("next"))
	st, err = os.Stat(packName(dir, 1))
	require.NoError(t, err)
	require.Equal(t, int64(len("keepnext")), st.Size(), "the next file takes their place")

	// Closing the Tree under an open writer records nothing either.
	w, err = tr.Create(ctx, "y.txt", 0)
	require.NoError(t, err)
	_, err = w.Write([]byte("y"))
	require.NoError(t, err)
	require.NoError(t, tr.Close())
	require.NoError(t, tr.Close(), "Close is idempotent")
	require.Error(t, w.Close())
	_, err = tr.Stat(ctx, "keep.txt")
	require.Error(t, err, "a closed Tree refuses work")
	again, err := stage.Open(dir)
	require.NoError(t, err)
	defer again.Close()
	_, err = again.Stat(ctx, "y.txt")
	require.ErrorIs(t, err, transfer.ErrNotFound)
	require.Equal(t, "keep", string(read(t, again, "keep.txt", 0)))
}
