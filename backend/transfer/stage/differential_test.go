package stage_test

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/transfer"
	"ferry/backend/transfer/local"
	"ferry/backend/transfer/stage"
)

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
