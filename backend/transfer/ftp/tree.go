package ftp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"path"
	"sort"
	"sync"

	"github.com/jlaffaye/ftp"

	"ferry/backend/transfer"
)

func (c *Client) abs(p string) (string, string, error) {
	clean, err := transfer.CleanPath(p)
	if err != nil {
		return "", "", err
	}
	return clean, transfer.JoinRoot(c.root, clean), nil
}

func protoCode(err error) int {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}

// mapErr wraps err with the transfer sentinel it stands for. FTP servers answer 550
// both for a missing file and for a forbidden one; callers that care ask the server
// again (see missing) before calling it.
func (c *Client) mapErr(ctx context.Context, op, p string, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%s %s: %w", op, p, ctx.Err())
	}
	switch code := protoCode(err); {
	case isTimeout(err):
		err = fmt.Errorf("%w: %w", &transfer.TimeoutError{After: c.cfg.timeout()}, err)
	case code == ftp.StatusNotLoggedIn:
		err = fmt.Errorf("%w: %w", transfer.ErrAuth, err)
	case code == 452 || code == 552:
		err = fmt.Errorf("%w: %w", transfer.ErrNoSpace, err)
	case code == ftp.StatusNotAvailable || code == 425 || code == 426 || code == 450 || code == 451:
		err = transfer.Transient(err)
	case code == 550 || code == 553:
		if op == "write" || op == "mkdir" {
			err = fmt.Errorf("%w: %w", transfer.ErrPermission, err)
		} else {
			err = fmt.Errorf("%w: %w", transfer.ErrNotFound, err)
		}
	case code != 0:
		// Any other reply: the server understood and refused; retrying will not help.
	case isNetErr(err):
		err = transfer.Transient(err)
	}
	return &transfer.PathError{Op: op, Path: p, Err: err}
}

// refusal turns an ambiguous 550 into not-found or permission-denied by asking whether
// the path (for reads) or its folder (for writes) exists.
func (c *Client) refusal(ctx context.Context, op, clean, abs string, err error) error {
	if code := protoCode(err); code != 550 && code != 553 && code != 450 {
		return c.mapErr(ctx, op, abs, err)
	}
	probe := clean
	if op == "write" || op == "mkdir" {
		probe = path.Dir(clean)
	}
	if _, serr := c.Stat(ctx, probe); errors.Is(serr, transfer.ErrNotFound) {
		return &transfer.PathError{Op: op, Path: transfer.JoinRoot(c.root, probe), Err: fmt.Errorf("%w: %w", transfer.ErrNotFound, err)}
	}
	if protoCode(err) == 450 {
		return c.mapErr(ctx, op, abs, err) // it exists: "busy", worth a retry
	}
	return &transfer.PathError{Op: op, Path: abs, Err: fmt.Errorf("%w: %w", transfer.ErrPermission, err)}
}

func (c *Client) list(abs string) ([]*ftp.Entry, error) {
	c.w.forget()
	if c.listArg != "" {
		entries, err := c.conn.List(c.listArg + abs)
		if err == nil || protoCode(err) == 0 {
			return entries, err
		}
		// A server that takes "-a" for a file name: list plainly from now on.
		if entries, err2 := c.conn.List(abs); err2 == nil {
			c.listArg = ""
			return entries, nil
		}
		return nil, err
	}
	return c.conn.List(abs)
}

func toEntry(p string, e *ftp.Entry) transfer.Entry {
	out := transfer.Entry{Path: p, ModTime: e.Time, IsDir: e.Type == ftp.EntryTypeFolder, IsLink: e.Type == ftp.EntryTypeLink}
	if e.Type == ftp.EntryTypeFile {
		out.Size = int64(e.Size)
	}
	return out
}

// Walk lists dir recursively, one listing (a data connection) per folder, parents
// first.
func (c *Client) Walk(ctx context.Context, dir string, fn func(transfer.Entry) error) error {
	clean, abs, err := c.abs(dir)
	if err != nil {
		return err
	}
	defer c.guard(ctx)()
	return c.walk(ctx, clean, abs, fn)
}

func (c *Client) walk(ctx context.Context, rel, abs string, fn func(transfer.Entry) error) error {
	entries, err := c.listDir(ctx, rel, abs)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := fn(e); err != nil {
			return err
		}
		if e.IsDir {
			if err := c.walk(ctx, e.Path, path.Join(abs, path.Base(e.Path)), fn); err != nil {
				return err
			}
		}
	}
	return nil
}

// List returns the entries of dir itself, sorted by name, with one listing (see
// transfer.ListAll).
func (c *Client) List(ctx context.Context, dir string) ([]transfer.Entry, error) {
	clean, abs, err := c.abs(dir)
	if err != nil {
		return nil, err
	}
	defer c.guard(ctx)()
	return c.listDir(ctx, clean, abs)
}

func (c *Client) listDir(ctx context.Context, rel, abs string) ([]transfer.Entry, error) {
	entries, err := c.listEntries(abs)
	return c.entries(ctx, rel, abs, entries, err)
}

// entries turns the listing of the folder abs (rel in the tree) into Entries.
func (c *Client) entries(ctx context.Context, rel, abs string, entries []*ftp.Entry, err error) ([]transfer.Entry, error) {
	if err != nil {
		return nil, c.refusal(ctx, "list", rel, abs, err)
	}
	if len(entries) == 1 && entries[0].Type == ftp.EntryTypeFile && (entries[0].Name == abs || entries[0].Name == path.Base(abs)) && !c.mlsd {
		// LIST of a file lists the file itself: dir is not a folder.
		return nil, &transfer.PathError{Op: "list", Path: abs, Err: fmt.Errorf("not a folder: %w", transfer.ErrNotFound)}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
	out := make([]transfer.Entry, 0, len(entries))
	for _, fe := range entries {
		if fe.Name == "." || fe.Name == ".." || fe.Name == "" {
			continue
		}
		out = append(out, toEntry(transfer.JoinRoot(rel, path.Base(fe.Name)), fe))
	}
	return out, nil
}

// Stat describes one path: with MLST where the server has it, else from a listing of
// its folder.
func (c *Client) Stat(ctx context.Context, p string) (transfer.Entry, error) {
	clean, abs, err := c.abs(p)
	if err != nil {
		return transfer.Entry{}, err
	}
	defer c.guard(ctx)()
	if clean == "." {
		return transfer.Entry{Path: ".", IsDir: true}, nil
	}
	if c.mlsd {
		fe, err := c.conn.GetEntry(abs)
		if err != nil {
			return transfer.Entry{}, c.mapErr(ctx, "stat", abs, err)
		}
		return toEntry(clean, fe), nil
	}
	entries, err := c.list(path.Dir(abs))
	if code := protoCode(err); code == 450 || code == 550 {
		// The folder cannot be listed: as far as this login can tell, p is not there.
		return transfer.Entry{}, &transfer.PathError{Op: "stat", Path: abs, Err: fmt.Errorf("%w: %w", transfer.ErrNotFound, err)}
	}
	if err != nil {
		return transfer.Entry{}, c.mapErr(ctx, "stat", abs, err)
	}
	for _, fe := range entries {
		if path.Base(fe.Name) == path.Base(abs) {
			return toEntry(clean, fe), nil
		}
	}
	return transfer.Entry{}, &transfer.PathError{Op: "stat", Path: abs, Err: transfer.ErrNotFound}
}

// Open reads a file from offset off (REST + RETR).
func (c *Client) Open(ctx context.Context, p string, off int64) (io.ReadCloser, error) {
	clean, abs, err := c.abs(p)
	if err != nil {
		return nil, err
	}
	if c.w != nil {
		if r, ok, err := c.fastOpen(ctx, clean, abs, max(off, 0)); ok {
			return r, err
		}
	}
	c.w.forget()
	stop := c.guard(ctx)
	resp, err := c.conn.RetrFrom(abs, uint64(max(off, 0)))
	if err != nil {
		err = c.refusal(ctx, "read", clean, abs, err)
		stop()
		return nil, err
	}
	return &reader{c: c, resp: resp, ctx: ctx, stop: stop, path: abs}, nil
}

type reader struct {
	c      *Client
	resp   *ftp.Response
	ctx    context.Context
	stop   func() bool
	path   string
	closed bool
}

func (r *reader) Read(p []byte) (int, error) {
	n, err := r.resp.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = r.c.mapErr(r.ctx, "read", r.path, err)
	}
	return n, err
}

// Close ends the data connection and reads the server's verdict on the transfer.
func (r *reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	defer r.stop()
	return r.c.mapErr(r.ctx, "read", r.path, r.resp.Close())
}

// Create uploads a file (STOR), or appends to it (APPE) when off > 0.
func (c *Client) Create(ctx context.Context, p string, off int64) (io.WriteCloser, error) {
	clean, abs, err := c.abs(p)
	if err != nil {
		return nil, err
	}
	if off < 0 {
		return nil, fmt.Errorf("write %s: negative offset %d: %w", abs, off, transfer.ErrInvalidPath)
	}
	if off == 0 && c.w != nil {
		if w, ok, err := c.fastCreate(ctx, clean, abs); ok {
			return w, err
		}
	}
	c.w.forget()
	stop := c.guard(ctx)
	if off > 0 {
		size, err := c.conn.FileSize(abs)
		if err == nil && size != off {
			err = fmt.Errorf("resume at %d: file has %d bytes", off, size)
		}
		if err != nil {
			stop()
			return nil, c.mapErr(ctx, "write", abs, err)
		}
	}
	// jlaffaye/ftp pulls from a reader; a pipe turns that into the writer the Tree
	// contract promises. Create waits until the server has accepted the upload (the
	// first read from the pipe), so a refusal is reported here and not on Close.
	pr, pw := io.Pipe()
	sr := &startReader{r: pr, started: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		var err error
		if off > 0 {
			err = c.conn.Append(abs, sr)
		} else {
			err = c.conn.Stor(abs, sr)
		}
		_ = pr.CloseWithError(errors.Join(err, io.ErrClosedPipe))
		done <- err
	}()
	select {
	case <-sr.started:
		return &writer{c: c, pw: pw, done: done, ctx: ctx, stop: stop, path: abs}, nil
	case err := <-done:
		err = c.refusal(ctx, "write", clean, abs, err)
		stop()
		return nil, err
	}
}

type startReader struct {
	r       io.Reader
	once    sync.Once
	started chan struct{}
}

func (s *startReader) Read(p []byte) (int, error) {
	s.once.Do(func() { close(s.started) })
	return s.r.Read(p)
}

type writer struct {
	c      *Client
	pw     *io.PipeWriter
	done   chan error
	ctx    context.Context
	stop   func() bool
	path   string
	closed bool
	err    error
}

func (w *writer) Write(p []byte) (int, error) {
	n, err := w.pw.Write(p)
	if err != nil {
		// The upload ended early; its own error says why.
		err = w.c.mapErr(w.ctx, "write", w.path, w.finish())
	}
	return n, err
}

func (w *writer) finish() error {
	if !w.closed {
		w.closed = true
		_ = w.pw.Close()
		w.err = <-w.done
		w.stop()
	}
	return w.err
}

// Close ends the upload and waits for the server to confirm it has the whole file.
func (w *writer) Close() error {
	return w.c.mapErr(w.ctx, "write", w.path, w.finish())
}

// MkdirAll creates dir and its parents; one MKD when the parent exists.
func (c *Client) MkdirAll(ctx context.Context, dir string) error {
	clean, abs, err := c.abs(dir)
	if err != nil {
		return err
	}
	if clean == "." {
		return nil
	}
	defer c.guard(ctx)()
	return c.mkdirAll(ctx, clean, abs)
}

func (c *Client) mkdirAll(ctx context.Context, clean, abs string) error {
	err := c.conn.MakeDir(abs)
	if err == nil {
		return nil
	}
	if protoCode(err) == 0 {
		return c.mapErr(ctx, "mkdir", abs, err)
	}
	if c.conn.ChangeDir(abs) == nil {
		return nil // it already exists
	}
	if parent := path.Dir(clean); parent != "." {
		if perr := c.mkdirAll(ctx, parent, transfer.JoinRoot(c.root, parent)); perr != nil {
			return perr
		}
		if err = c.conn.MakeDir(abs); err == nil {
			return nil
		}
	}
	return c.mapErr(ctx, "mkdir", abs, err)
}

// Rename moves a file (RNFR + RNTO), replacing the target.
func (c *Client) Rename(ctx context.Context, from, to string) error {
	cleanFrom, a, err := c.abs(from)
	if err != nil {
		return err
	}
	_, b, err := c.abs(to)
	if err != nil {
		return err
	}
	defer c.guard(ctx)()
	err = c.conn.Rename(a, b)
	if err != nil && protoCode(err) != 0 {
		// Servers that refuse to overwrite: remove the target and try once more.
		if c.conn.Delete(b) == nil {
			err = c.conn.Rename(a, b)
		}
	}
	if err != nil {
		return c.refusal(ctx, "rename", cleanFrom, a, err)
	}
	return nil
}

// Remove deletes a file (DELE) or an empty folder (RMD).
func (c *Client) Remove(ctx context.Context, p string) error {
	clean, abs, err := c.abs(p)
	if err != nil {
		return err
	}
	if clean == "." {
		return fmt.Errorf("remove %s: the tree root cannot be removed: %w", abs, transfer.ErrInvalidPath)
	}
	defer c.guard(ctx)()
	err = c.conn.Delete(abs)
	if err != nil && protoCode(err) != 0 {
		if c.conn.RemoveDir(abs) == nil {
			return nil
		}
	}
	if err != nil {
		return c.refusal(ctx, "remove", clean, abs, err)
	}
	return nil
}

// FreeSpace is not available over FTP.
func (c *Client) FreeSpace(context.Context, string) (int64, error) {
	return 0, transfer.ErrUnsupported
}
