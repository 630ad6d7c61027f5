package sftp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"

	"github.com/pkg/sftp"

	"ferry/backend/transfer"
)

func entry(p string, fi os.FileInfo) transfer.Entry {
	e := transfer.Entry{Path: p, ModTime: fi.ModTime(), IsDir: fi.IsDir(), IsLink: fi.Mode()&os.ModeSymlink != 0}
	if !e.IsDir && !e.IsLink {
		e.Size = fi.Size()
		e.Mode = fi.Mode().Perm()
	}
	return e
}

// Walk lists dir recursively with one READDIR exchange per folder, parents first.
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

// List returns the entries of dir itself, sorted by name, with one READDIR exchange;
// many may run at once on one connection (see transfer.ListAll).
func (c *Client) List(ctx context.Context, dir string) ([]transfer.Entry, error) {
	clean, abs, err := c.abs(dir)
	if err != nil {
		return nil, err
	}
	defer c.guard(ctx)()
	return c.listDir(ctx, clean, abs)
}

func (c *Client) listDir(ctx context.Context, rel, abs string) ([]transfer.Entry, error) {
	list, err := c.sftp.ReadDirContext(ctx, abs)
	if err != nil {
		return nil, c.mapErr(ctx, "list", abs, err)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name() < list[j].Name() })
	out := make([]transfer.Entry, 0, len(list))
	for _, fi := range list {
		if fi.Name() == "." || fi.Name() == ".." {
			continue
		}
		out = append(out, entry(transfer.JoinRoot(rel, fi.Name()), fi))
	}
	return out, nil
}

// Stat describes one path without following a final symbolic link.
func (c *Client) Stat(ctx context.Context, p string) (transfer.Entry, error) {
	clean, abs, err := c.abs(p)
	if err != nil {
		return transfer.Entry{}, err
	}
	defer c.guard(ctx)()
	fi, err := c.sftp.Lstat(abs)
	if err != nil {
		return transfer.Entry{}, c.mapErr(ctx, "stat", abs, err)
	}
	return entry(clean, fi), nil
}

// Open reads a file from offset off; reads of a full buffer go out as concurrent
// requests.
func (c *Client) Open(ctx context.Context, p string, off int64) (io.ReadCloser, error) {
	_, abs, err := c.abs(p)
	if err != nil {
		return nil, err
	}
	stop := c.guard(ctx)
	f, err := c.sftp.Open(abs)
	if err != nil {
		stop()
		return nil, c.mapErr(ctx, "read", abs, err)
	}
	if off > 0 {
		if _, err := f.Seek(off, io.SeekStart); err != nil {
			_ = f.Close()
			stop()
			return nil, c.mapErr(ctx, "read", abs, err)
		}
	}
	return &file{c: c, f: f, ctx: ctx, stop: stop, op: "read", path: abs}, nil
}

// Create writes a file, or appends to it when off > 0 (off must equal its size).
func (c *Client) Create(ctx context.Context, p string, off int64) (io.WriteCloser, error) {
	_, abs, err := c.abs(p)
	if err != nil {
		return nil, err
	}
	if off < 0 {
		return nil, fmt.Errorf("write %s: negative offset %d: %w", abs, off, transfer.ErrInvalidPath)
	}
	stop := c.guard(ctx)
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if off > 0 {
		flags = os.O_WRONLY
	}
	f, err := c.sftp.OpenFile(abs, flags)
	if err != nil {
		stop()
		return nil, c.mapErr(ctx, "write", abs, err)
	}
	if off > 0 {
		st, err := f.Stat()
		if err == nil && st.Size() != off {
			err = fmt.Errorf("resume at %d: file has %d bytes", off, st.Size())
		}
		if err == nil {
			_, err = f.Seek(off, io.SeekStart)
		}
		if err != nil {
			_ = f.Close()
			stop()
			return nil, c.mapErr(ctx, "write", abs, err)
		}
	}
	return &file{c: c, f: f, ctx: ctx, stop: stop, op: "write", path: abs}, nil
}

// file maps errors and keeps the ctx guard armed until Close.
type file struct {
	c      *Client
	f      *sftp.File
	ctx    context.Context
	stop   func() bool
	op     string
	path   string
	closed bool
}

func (f *file) Read(p []byte) (int, error) {
	n, err := f.f.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = f.c.mapErr(f.ctx, f.op, f.path, err)
	}
	return n, err
}

func (f *file) Write(p []byte) (int, error) {
	n, err := f.f.Write(p)
	if err != nil {
		err = f.c.mapErr(f.ctx, f.op, f.path, err)
	}
	return n, err
}

func (f *file) Close() error {
	if f.closed {
		return nil
	}
	f.closed = true
	if f.op == "read" {
		// Nothing a read handle's close could say matters once the bytes are in:
		// the close goes out without waiting a round trip for its reply, and the
		// end of the caller's ctx no longer concerns the connection.
		f.stop()
		go func() { _ = f.f.Close() }()
		return nil
	}
	defer f.stop()
	if err := f.f.Close(); err != nil {
		return f.c.mapErr(f.ctx, f.op, f.path, err)
	}
	return nil
}

// MkdirAll creates dir and its parents; one round trip when the parent exists.
func (c *Client) MkdirAll(ctx context.Context, dir string) error {
	clean, abs, err := c.abs(dir)
	if err != nil {
		return err
	}
	if clean == "." {
		return nil
	}
	defer c.guard(ctx)()
	if err := c.sftp.Mkdir(abs); err == nil {
		return nil
	}
	if fi, err := c.sftp.Stat(abs); err == nil && fi.IsDir() {
		return nil
	}
	if err := c.sftp.MkdirAll(abs); err != nil {
		return c.mapErr(ctx, "mkdir", abs, err)
	}
	return nil
}

// Rename moves a file, replacing the target: with the posix-rename extension where the
// server has it (OpenSSH does), else by removing the target first.
func (c *Client) Rename(ctx context.Context, from, to string) error {
	_, a, err := c.abs(from)
	if err != nil {
		return err
	}
	_, b, err := c.abs(to)
	if err != nil {
		return err
	}
	defer c.guard(ctx)()
	if _, ok := c.sftp.HasExtension("posix-rename@openssh.com"); ok {
		return c.mapErr(ctx, "rename", a, c.sftp.PosixRename(a, b))
	}
	if _, err := c.sftp.Lstat(b); err == nil {
		if err := c.sftp.Remove(b); err != nil {
			return c.mapErr(ctx, "rename", b, err)
		}
	}
	return c.mapErr(ctx, "rename", a, c.sftp.Rename(a, b))
}

// Remove deletes a file or an empty folder.
func (c *Client) Remove(ctx context.Context, p string) error {
	clean, abs, err := c.abs(p)
	if err != nil {
		return err
	}
	if clean == "." {
		return fmt.Errorf("remove %s: the tree root cannot be removed: %w", abs, transfer.ErrInvalidPath)
	}
	defer c.guard(ctx)()
	return c.mapErr(ctx, "remove", abs, c.sftp.Remove(abs))
}

// FreeSpace asks the server with the statvfs@openssh.com extension.
func (c *Client) FreeSpace(ctx context.Context, p string) (int64, error) {
	_, abs, err := c.abs(p)
	if err != nil {
		return 0, err
	}
	if _, ok := c.sftp.HasExtension("statvfs@openssh.com"); !ok {
		return 0, transfer.ErrUnsupported
	}
	defer c.guard(ctx)()
	st, err := c.sftp.StatVFS(abs)
	if err != nil {
		return 0, c.mapErr(ctx, "stat", abs, err)
	}
	return int64(st.Bavail * st.Frsize), nil // Bavail: what a non-root login may use
}
