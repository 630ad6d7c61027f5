package stage_test

import (
	"bufio"
	"bytes"
	"context"
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
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/transfer"
	"ferry/backend/transfer/local"
	"ferry/backend/transfer/stage"
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

// differential applies one random sequence of operations to a local.Tree and to three
// Trees of one stage Opener (in turn), and requires the same outcome of each.
type differential struct {
	t     *testing.T
	r     *rand.Rand
	ref   transfer.Tree
	open  transfer.Opener
	hs    []transfer.Tree
	op    int
	trace []string
}

var segments = []string{"a", "a b", "b", "é", ".h", "x"}

func (d *differential) path() string {
	if d.r.IntN(30) == 0 {
		return "."
	}
	n := 1 + d.r.IntN(3)
	parts := make([]string, n)
	for i := range parts {
		parts[i] = segments[d.r.IntN(len(segments))]
	}
	return strings.Join(parts, "/")
}

// existing picks a path the reference tree holds (files only when files is set), or
// a random one when there is none.
func (d *differential) existing(files bool) string {
	es, err := walk(d.t, d.ref, ".")
	require.NoError(d.t, err)
	var ps []string
	for _, e := range es {
		if !files || !e.IsDir {
			ps = append(ps, e.Path)
		}
	}
	if len(ps) == 0 || d.r.IntN(5) == 0 {
		return d.path()
	}
	return ps[d.r.IntN(len(ps))]
}

// newPath is a path in an existing folder, most of the time.
func (d *differential) newPath() string {
	if d.r.IntN(4) == 0 {
		return d.path()
	}
	es, err := walk(d.t, d.ref, ".")
	require.NoError(d.t, err)
	dirs := []string{"."}
	for _, e := range es {
		if e.IsDir {
			dirs = append(dirs, e.Path)
		}
	}
	return transfer.JoinRoot(dirs[d.r.IntN(len(dirs))], segments[d.r.IntN(len(segments))])
}

func (d *differential) size() int {
	switch k := d.r.IntN(20); {
	case k < 2:
		return 0
	case k < 9:
		return d.r.IntN(4 << 10)
	case k < 13:
		return d.r.IntN(200 << 10)
	case k < 16:
		return mib - 2 + d.r.IntN(5) // around the pack limit
	default:
		return mib + d.r.IntN(3*mib/2)
	}
}

func (d *differential) same(what string, lerr, serr error) bool {
	d.t.Helper()
	d.trace = append(d.trace, fmt.Sprintf("%d %s: local %v, stage %v", d.op, what, lerr, serr))
	if (lerr == nil) != (serr == nil) {
		d.t.Fatalf("op %d %s: local error %v, stage error %v\n%s", d.op, what, lerr, serr, strings.Join(d.trace, "\n"))
	}
	return lerr == nil
}

// write writes data to both writers in random chunks.
func (d *differential) write(what string, lw, sw io.Writer, data []byte) {
	for len(data) > 0 {
		n := min(len(data), 1+d.r.IntN(300<<10))
		_, lerr := lw.Write(data[:n])
		_, serr := sw.Write(data[:n])
		if !d.same(what+" write", lerr, serr) {
			return
		}
		data = data[n:]
	}
}

func (d *differential) step() {
	t := d.t
	h := d.hs[d.op%len(d.hs)]
	switch k := d.r.IntN(100); {
	case k < 14:
		p := d.path()
		d.same("mkdir "+p, d.ref.MkdirAll(ctx, p), h.MkdirAll(ctx, p))
	case k < 40:
		p := d.newPath()
		lw, lerr := d.ref.Create(ctx, p, 0)
		sw, serr := h.Create(ctx, p, 0)
		if !d.same("create "+p, lerr, serr) {
			return
		}
		d.write("create "+p, lw, sw, randBytes(d.r, d.size()))
		d.same("close "+p, lw.Close(), sw.Close())
	case k < 46:
		// Two files open at once on one Tree.
		p1, p2 := d.newPath(), d.newPath()
		if p1 == p2 {
			return
		}
		lw1, lerr := d.ref.Create(ctx, p1, 0)
		sw1, serr := h.Create(ctx, p1, 0)
		if !d.same("create "+p1, lerr, serr) {
			return
		}
		lw2, lerr := d.ref.Create(ctx, p2, 0)
		sw2, serr := h.Create(ctx, p2, 0)
		ok2 := d.same("create "+p2, lerr, serr)
		for range 3 {
			d.write("interleaved "+p1, lw1, sw1, randBytes(d.r, d.size()/3))
			if ok2 {
				d.write("interleaved "+p2, lw2, sw2, randBytes(d.r, d.size()/3))
			}
		}
		if ok2 && d.r.IntN(2) == 0 {
			d.same("close "+p2, lw2.Close(), sw2.Close())
		}
		d.same("close "+p1, lw1.Close(), sw1.Close())
		if ok2 {
			d.same("close "+p2, lw2.Close(), sw2.Close())
		}
	case k < 54:
		p := d.existing(true)
		st, err := d.ref.Stat(ctx, p)
		if err != nil || st.IsDir || st.Size == 0 {
			return
		}
		off := st.Size
		if d.r.IntN(5) == 0 {
			off += int64(d.r.IntN(3)) - 1
			if off == st.Size || off <= 0 {
				off = st.Size + 1
			}
		}
		what := fmt.Sprintf("resume %s at %d of %d", p, off, st.Size)
		lw, lerr := d.ref.Create(ctx, p, off)
		sw, serr := h.Create(ctx, p, off)
		if !d.same(what, lerr, serr) {
			return
		}
		d.write(what, lw, sw, randBytes(d.r, d.r.IntN(mib+mib/4)))
		d.same("close "+p, lw.Close(), sw.Close())
	case k < 62:
		from, to := d.existing(true), d.newPath()
		if d.r.IntN(4) == 0 {
			to = d.existing(true)
		}
		if st, err := d.ref.Stat(ctx, from); err == nil && st.IsDir {
			return // the staging copy renames files only
		}
		d.same("rename "+from+" to "+to, d.ref.Rename(ctx, from, to), h.Rename(ctx, from, to))
	case k < 70:
		p := d.existing(false)
		d.same("remove "+p, d.ref.Remove(ctx, p), h.Remove(ctx, p))
	case k < 78:
		p := d.existing(false)
		le, lerr := d.ref.Stat(ctx, p)
		se, serr := h.Stat(ctx, p)
		if d.same("stat "+p, lerr, serr) {
			require.Equal(t, walkEntry{le.Path, le.Size, le.IsDir}, walkEntry{se.Path, se.Size, se.IsDir}, "op %d stat %s", d.op, p)
		}
	case k < 88:
		p := d.existing(true)
		var off int64
		if st, err := d.ref.Stat(ctx, p); err == nil && !st.IsDir {
			off = d.r.Int64N(st.Size + 10)
		}
		lr, lerr := d.ref.Open(ctx, p, off)
		sr, serr := h.Open(ctx, p, off)
		if d.same(fmt.Sprintf("open %s at %d", p, off), lerr, serr) {
			lb, err := io.ReadAll(lr)
			require.NoError(t, err)
			sb, err := io.ReadAll(sr)
			require.NoError(t, err)
			require.True(t, bytes.Equal(lb, sb), "op %d open %s at %d: %d bytes, want %d", d.op, p, off, len(sb), len(lb))
			require.NoError(t, lr.Close())
			require.NoError(t, sr.Close())
		}
	case k < 96:
		p := d.existing(false)
		le, lerr := walk(t, d.ref, p)
		se, serr := walk(t, h, p)
		if d.same("walk "+p, lerr, serr) {
			require.Equal(t, le, se, "op %d walk %s", d.op, p)
		}
	default:
		i := d.r.IntN(len(d.hs))
		require.NoError(t, d.hs[i].Close())
		var err error
		d.hs[i], err = d.open(ctx)
		require.NoError(t, err)
	}
}

// TestDifferential checks the staging copy against local.Tree, the plain folder it
// replaces, over random sequences of every operation.
func TestDifferential(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			refDir, dir := t.TempDir(), t.TempDir()
			ref, err := local.Open(refDir)
			require.NoError(t, err)
			d := &differential{t: t, r: rand.New(rand.NewPCG(seed, 99)), ref: ref, open: stage.Opener(dir)}
			for range 3 {
				h, err := d.open(ctx)
				require.NoError(t, err)
				d.hs = append(d.hs, h)
			}
			for d.op = 0; d.op < 300; d.op++ {
				d.step()
				if d.op%10 == 9 {
					sameTrees(t, ref, d.hs[d.op%3], fmt.Sprintf("after op %d", d.op), d.op%100 != 99)
				}
			}
			sameTrees(t, ref, d.hs[0], "at the end")
			for _, h := range d.hs {
				require.NoError(t, h.Close())
			}
			// What a fresh store loads from disk is the same tree.
			fresh, err := stage.Open(dir)
			require.NoError(t, err)
			defer fresh.Close()
			sameTrees(t, ref, fresh, "reloaded")
			// Every small file is in a pack: only big or resumed files are ordinary.
			for _, p := range ordinaryFiles(t, dir) {
				st, err := ref.Stat(ctx, p)
				require.NoError(t, err)
				require.Greater(t, st.Size, int64(0), p)
			}
		})
	}
}

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
