// Package local is a transfer.Tree over a folder on this machine: the staging copy a
// migration downloads into, and the destination when the new docroot is local.
package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"syscall"

	"ferry/backend/transfer"
)

// Tree is a folder on this machine seen as a transfer.Tree. It is safe for concurrent
// use: it holds no connection.
type Tree struct {
	root string
}

var (
	_ transfer.Tree          = (*Tree)(nil)
	_ transfer.OrderedWriter = (*Tree)(nil)
)

// Open returns the Tree rooted at root, which must be an existing folder.
func Open(root string) (*Tree, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("open folder %s: %w", root, err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("open folder %s: %w", root, MapErr(err))
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("open folder %s: not a folder: %w", root, transfer.ErrInvalidPath)
	}
	return &Tree{root: abs}, nil
}

// Opener returns a transfer.Opener for Mirror; every call shares one Tree.
func Opener(root string) transfer.Opener {
	return func(context.Context) (transfer.Tree, error) { return Open(root) }
}

// Root is the absolute folder the Tree is rooted at.
func (t *Tree) Root() string { return t.root }

// WritesInOrder is true: a partial local file is always a prefix of what was written.
func (t *Tree) WritesInOrder() bool { return true }

func (t *Tree) abs(p string) (string, string, error) {
	clean, err := transfer.CleanPath(p)
	if err != nil {
		return "", "", err
	}
	if err := checkName(clean); err != nil {
		return "", "", err
	}
	return clean, filepath.Join(t.root, filepath.FromSlash(clean)), nil
}

func (t *Tree) pathErr(op, abs string, err error) error {
	return &transfer.PathError{Op: op, Path: abs, Err: MapErr(err)}
}

// Walk lists dir recursively, parents before children, in lexical order.
func (t *Tree) Walk(ctx context.Context, dir string, fn func(transfer.Entry) error) error {
	clean, abs, err := t.abs(dir)
	if err != nil {
		return err
	}
	return filepath.WalkDir(abs, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return t.pathErr("list", p, err)
		}
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if p == abs {
			if !d.IsDir() {
				return t.pathErr("list", p, syscall.ENOTDIR)
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return t.pathErr("list", p, err)
		}
		rel, _ := filepath.Rel(abs, p)
		return fn(Entry(transfer.JoinRoot(clean, filepath.ToSlash(rel)), info))
	})
}

// Entry describes the file info found at the tree path p.
func Entry(p string, info fs.FileInfo) transfer.Entry {
	e := transfer.Entry{Path: p, ModTime: info.ModTime(), IsDir: info.IsDir(), IsLink: info.Mode()&fs.ModeSymlink != 0}
	if !e.IsDir && !e.IsLink {
		e.Size = info.Size()
		if runtime.GOOS != "windows" { // Windows reports made-up bits (0666, or 0444 read-only)
			e.Mode = info.Mode().Perm()
		}
	}
	return e
}

// Stat describes one path without following a final symbolic link.
func (t *Tree) Stat(_ context.Context, p string) (transfer.Entry, error) {
	clean, abs, err := t.abs(p)
	if err != nil {
		return transfer.Entry{}, err
	}
	info, err := os.Lstat(abs)
	if err != nil {
		return transfer.Entry{}, t.pathErr("stat", abs, err)
	}
	return Entry(clean, info), nil
}

// Open reads a file from offset off.
func (t *Tree) Open(ctx context.Context, p string, off int64) (io.ReadCloser, error) {
	_, abs, err := t.abs(p)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(abs)
	if err != nil {
		return nil, t.pathErr("read", abs, err)
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		_ = f.Close()
		return nil, t.pathErr("read", abs, syscall.EISDIR)
	}
	if off > 0 {
		if _, err := f.Seek(off, io.SeekStart); err != nil {
			_ = f.Close()
			return nil, t.pathErr("read", abs, err)
		}
	}
	return &file{f: f, ctx: ctx, op: "read", t: t}, nil
}

// Create writes a file, or appends to it when off > 0 (off must equal its size).
func (t *Tree) Create(ctx context.Context, p string, off int64) (io.WriteCloser, error) {
	_, abs, err := t.abs(p)
	if err != nil {
		return nil, err
	}
	if off < 0 {
		return nil, fmt.Errorf("write %s: negative offset %d: %w", abs, off, transfer.ErrInvalidPath)
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if off > 0 {
		flags = os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(abs, flags, 0o644)
	if err != nil {
		return nil, t.pathErr("write", abs, err)
	}
	if off > 0 {
		st, err := f.Stat()
		if err != nil {
			_ = f.Close()
			return nil, t.pathErr("write", abs, err)
		}
		if st.Size() != off {
			_ = f.Close()
			return nil, fmt.Errorf("resume %s at %d: file has %d bytes", abs, off, st.Size())
		}
	}
	return &file{f: f, ctx: ctx, op: "write", t: t}, nil
}

// file checks ctx between reads and writes so a cancelled copy of a large local file
// stops at the next buffer.
type file struct {
	f   *os.File
	ctx context.Context
	op  string
	t   *Tree
}

func (f *file) Read(p []byte) (int, error) {
	if err := f.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := f.f.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = f.t.pathErr(f.op, f.f.Name(), err)
	}
	return n, err
}

func (f *file) Write(p []byte) (int, error) {
	if err := f.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := f.f.Write(p)
	if err != nil {
		err = f.t.pathErr(f.op, f.f.Name(), err)
	}
	return n, err
}

func (f *file) Close() error {
	if err := f.f.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
		return f.t.pathErr(f.op, f.f.Name(), err)
	}
	return nil
}

// MkdirAll creates dir and its parents.
func (t *Tree) MkdirAll(_ context.Context, dir string) error {
	_, abs, err := t.abs(dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return t.pathErr("mkdir", abs, err)
	}
	return nil
}

// Rename moves a file, replacing the target.
func (t *Tree) Rename(_ context.Context, from, to string) error {
	_, a, err := t.abs(from)
	if err != nil {
		return err
	}
	_, b, err := t.abs(to)
	if err != nil {
		return err
	}
	if err := os.Rename(a, b); err != nil {
		return t.pathErr("rename", a, err)
	}
	return nil
}

// Remove deletes a file or an empty folder.
func (t *Tree) Remove(_ context.Context, p string) error {
	clean, abs, err := t.abs(p)
	if err != nil {
		return err
	}
	if clean == "." {
		return fmt.Errorf("remove %s: the tree root cannot be removed: %w", abs, transfer.ErrInvalidPath)
	}
	if err := os.Remove(abs); err != nil {
		return t.pathErr("remove", abs, err)
	}
	return nil
}

// FreeSpace returns the bytes available to Ferry on the file system holding p.
func (t *Tree) FreeSpace(_ context.Context, p string) (int64, error) {
	_, abs, err := t.abs(p)
	if err != nil {
		return 0, err
	}
	n, err := freeSpace(abs)
	if err != nil {
		return 0, t.pathErr("stat", abs, err)
	}
	return n, nil
}

// Close does nothing: a folder holds no connection.
func (t *Tree) Close() error { return nil }

// MapErr wraps an operating-system error in the transfer sentinel it stands for.
func MapErr(err error) error {
	if m := mapOSErr(err); m != nil {
		return m
	}
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return fmt.Errorf("%w: %w", transfer.ErrNotFound, err)
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EROFS):
		return fmt.Errorf("%w: %w", transfer.ErrPermission, err)
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return fmt.Errorf("%w: %w", transfer.ErrNoSpace, err)
	}
	return err
}
