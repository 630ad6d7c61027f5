package stage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"ferry/backend/transfer"
)

// Open reads a file from offset off; an offset past the end reads nothing.
func (t *Tree) Open(ctx context.Context, p string, off int64) (io.ReadCloser, error) {
	clean, abs, err := t.abs(p)
	if err != nil {
		return nil, err
	}
	if off < 0 {
		return nil, fmt.Errorf("read %s: negative offset %d: %w", abs, off, transfer.ErrInvalidPath)
	}
	n, err := t.resolve(clean, abs)
	switch {
	case err != nil:
		return nil, t.pathErr("read", abs, err)
	case n.isDir():
		return nil, t.pathErr("read", abs, syscall.EISDIR)
	case n.disk != nil:
		return t.s.disk.Open(ctx, clean, off)
	case !n.packed:
		return nil, t.pathErr("read", abs, syscall.ENOENT)
	}
	off = min(off, n.loc.size)
	r := &reader{ctx: ctx, t: t, abs: abs, r: bytes.NewReader(nil)}
	if n.loc.size > off {
		f, err := t.packFile(n.loc.pack)
		if err != nil {
			return nil, t.pathErr("read", abs, err)
		}
		r.r = io.NewSectionReader(f, n.loc.off+off, n.loc.size-off)
	}
	return r, nil
}

// packFile returns pack num opened for reading; it stays open until the Tree closes.
func (t *Tree) packFile(num int) (*os.File, error) {
	if num == t.packNum && t.pack != nil {
		return t.pack, nil
	}
	if f := t.readers[num]; f != nil {
		return f, nil
	}
	f, err := os.Open(t.s.packPath(num))
	if err != nil {
		return nil, err
	}
	t.readers[num] = f
	return f, nil
}

func (s *store) packPath(num int) string {
	return filepath.Join(s.packs, fmt.Sprintf("%04d.pack", num))
}

// reader checks ctx before each read, so a cancelled copy stops at the next buffer.
type reader struct {
	ctx    context.Context
	t      *Tree
	abs    string
	r      io.Reader
	f      *os.File // an ordinary file, closed with the reader
	closed bool
}

func (r *reader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	if r.closed {
		return 0, r.t.pathErr("read", r.abs, os.ErrClosed)
	}
	n, err := r.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = r.t.pathErr("read", r.abs, err)
	}
	return n, err
}

func (r *reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	if r.f != nil {
		if err := r.f.Close(); err != nil {
			return r.t.pathErr("read", r.abs, err)
		}
	}
	return nil
}

// Create writes a file, or appends to it when off > 0 (off must equal its size).
//
// A new file is written at the end of the Tree's pack; when it grows past 1 MiB it
// spills: its bytes move to an ordinary file under tree/ and the rest is written there.
// Its journal record is written by Close, so the file exists only once Close returned
// nil. The previous content of the path is forgotten at once, as a truncating open
// would. A Create while the Tree's previous packed file is still open moves that file
// to tree/ first, so several files can be written at once.
//
// Resuming a packed file moves it to an ordinary file, then appends to that.
func (t *Tree) Create(ctx context.Context, p string, off int64) (io.WriteCloser, error) {
	clean, abs, err := t.abs(p)
	if err != nil {
		return nil, err
	}
	if off < 0 {
		return nil, fmt.Errorf("write %s: negative offset %d: %w", abs, off, transfer.ErrInvalidPath)
	}
	if clean == "." {
		return nil, t.pathErr("write", abs, syscall.EISDIR)
	}
	if err := t.parentIsDir("write", clean, abs); err != nil {
		return nil, err
	}
	n, err := t.resolve(clean, abs)
	switch {
	case err != nil:
		return nil, t.pathErr("write", abs, err)
	case n.isDir():
		return nil, t.pathErr("write", abs, syscall.EISDIR)
	case off > 0:
		return t.resume(ctx, clean, abs, off, n)
	}
	if n.disk != nil {
		if err := os.Remove(abs); err != nil {
			return nil, t.pathErr("write", abs, err)
		}
	}
	if n.record {
		if err := t.s.commit(removeRecord(clean), func() { t.s.remove(clean) }); err != nil {
			return nil, err
		}
	}
	if t.active != nil {
		_ = t.active.spill() // on failure the writer fails and reports it itself
	}
	if err := t.openPack(); err != nil {
		return nil, err
	}
	w := &writer{t: t, ctx: ctx, path: clean, abs: abs, packed: true, start: t.packEnd}
	t.active = w
	return w, nil
}

// resume opens an existing file for appending at off, moving a packed file to tree/.
func (t *Tree) resume(ctx context.Context, clean, abs string, off int64, n node) (io.WriteCloser, error) {
	if n.disk != nil {
		f, err := os.OpenFile(abs, os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, t.pathErr("write", abs, err)
		}
		st, err := f.Stat()
		if err != nil {
			_ = f.Close()
			return nil, t.pathErr("write", abs, err)
		}
		if st.Size() != off {
			_ = f.Close()
			return nil, fmt.Errorf("resume %s at %d: file has %d bytes", abs, off, st.Size())
		}
		return &writer{t: t, ctx: ctx, path: clean, abs: abs, f: f}, nil
	}
	if !n.packed {
		return nil, t.pathErr("write", abs, syscall.ENOENT)
	}
	if n.loc.size != off {
		return nil, fmt.Errorf("resume %s at %d: file has %d bytes", abs, off, n.loc.size)
	}
	f, err := t.unpack(abs, n.loc)
	if err != nil {
		return nil, err
	}
	// The ordinary file is now the one truth; until this record is written both hold
	// the same bytes, and the ordinary file wins anyway.
	if err := t.s.commit(removeRecord(clean), func() { t.s.remove(clean) }); err != nil {
		_ = f.Close()
		return nil, err
	}
	return &writer{t: t, ctx: ctx, path: clean, abs: abs, f: f}, nil
}

// unpack copies a packed file's bytes to a new ordinary file at abs, open for
// appending. On failure nothing is left at abs.
func (t *Tree) unpack(abs string, l loc) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return nil, t.pathErr("write", abs, err)
	}
	f, err := os.OpenFile(abs, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o644)
	if err != nil {
		return nil, t.pathErr("write", abs, err)
	}
	err = nil
	if l.size > 0 {
		var src *os.File
		if src, err = t.packFile(l.pack); err == nil {
			_, err = io.Copy(f, io.NewSectionReader(src, l.off, l.size))
		}
	}
	if err != nil {
		_ = f.Close()
		_ = os.Remove(abs)
		return nil, t.pathErr("write", abs, err)
	}
	return f, nil
}

// openPack creates this Tree's pack on first use, with the next free number; O_EXCL
// keeps two stores on one folder from ever sharing a pack.
func (t *Tree) openPack() error {
	if t.pack != nil {
		return nil
	}
	for {
		t.s.mu.Lock()
		num := t.s.nextPack
		t.s.nextPack++
		t.s.mu.Unlock()
		name := t.s.packPath(num)
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return t.pathErr("write", name, err)
		}
		t.pack, t.packNum, t.packEnd = f, num, 0
		return nil
	}
}

// writer writes one file: packed (at the end of its Tree's pack, from start) until it
// spills, then into the ordinary file f.
type writer struct {
	t         *Tree
	ctx       context.Context
	path, abs string
	packed    bool
	start, n  int64
	f         *os.File
	err       error // the failure that ended the writer; Close returns it
	closed    bool
}

func (w *writer) Write(p []byte) (int, error) {
	if w.closed {
		return 0, w.t.pathErr("write", w.abs, os.ErrClosed)
	}
	if w.err != nil {
		return 0, w.err
	}
	if err := w.ctx.Err(); err != nil {
		w.fail(err)
		return 0, err
	}
	if w.packed && w.n+int64(len(p)) > packMax {
		if err := w.spill(); err != nil {
			return 0, err
		}
	}
	if !w.packed {
		n, err := w.f.Write(p)
		if err != nil {
			w.err = w.t.pathErr("write", w.abs, err)
			return n, w.err
		}
		return n, nil
	}
	n, err := w.t.pack.WriteAt(p, w.start+w.n)
	if err != nil {
		w.fail(w.t.pathErr("write", w.abs, err))
		return n, w.err
	}
	w.n += int64(n)
	w.t.packEnd = w.start + w.n
	return n, nil
}

// fail ends the writer with err; a packed writer gives its bytes back to the pack.
func (w *writer) fail(err error) {
	if w.err != nil {
		return
	}
	w.err = err
	if w.packed {
		w.packed = false
		w.t.active = nil
		w.t.packEnd = w.start
		_ = w.t.pack.Truncate(w.start) // only space: nothing refers to these bytes
	}
}

// spill moves a packed writer's bytes to an ordinary file and continues there.
func (w *writer) spill() error {
	t := w.t
	if err := os.MkdirAll(filepath.Dir(w.abs), 0o755); err != nil {
		w.fail(t.pathErr("write", w.abs, err))
		return w.err
	}
	f, err := os.OpenFile(w.abs, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		w.fail(t.pathErr("write", w.abs, err))
		return w.err
	}
	if _, err := io.Copy(f, io.NewSectionReader(t.pack, w.start, w.n)); err != nil {
		_ = f.Close()
		w.fail(t.pathErr("write", w.abs, err))
		return w.err
	}
	w.f = f
	w.packed = false
	t.active = nil
	t.packEnd = w.start
	_ = t.pack.Truncate(w.start) // only space: the bytes are in f now
	return nil
}

// Close records the file. It returns the error that ended a failed writer, and records
// nothing for a packed one. A second Close does nothing.
func (w *writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	t := w.t
	if w.f != nil {
		if err := w.f.Close(); err != nil && w.err == nil {
			w.err = t.pathErr("write", w.abs, err)
		}
	}
	if w.err != nil {
		return w.err
	}
	s := t.s
	if !w.packed {
		// One truth per path: a packed file recorded meanwhile under this path goes.
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, ok := s.files[w.path]; !ok {
			return nil
		}
		return s.commitLocked(removeRecord(w.path), func() { s.remove(w.path) })
	}
	l := loc{pack: t.packNum, off: w.start, size: w.n, mod: time.Now().UnixNano()}
	if err := s.commit(fileRecord(w.path, l), func() { s.setFile(w.path, l) }); err != nil {
		w.fail(err)
		return err
	}
	w.packed = false
	t.active = nil
	return nil
}

// MkdirAll records dir and its missing parents in the journal; folders are created
