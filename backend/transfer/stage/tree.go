package stage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"ferry/backend/transfer"
	"ferry/backend/transfer/local"
)

// node is what one path is: an ordinary file or folder under tree/ (disk), a packed
// file, a folder known to the journal, or nothing.
type node struct {
	disk   fs.FileInfo
	loc    loc
	packed bool
	dir    bool  // recorded, or with recorded entries below it
	dirMod int64 // mtime of a recorded folder
	record bool  // the journal names this path (file or folder)
}

func (n node) exists() bool { return n.disk != nil || n.packed || n.dir }

func (n node) isDir() bool {
	if n.disk != nil {
		return n.disk.IsDir()
	}
	return n.dir && !n.packed
}

func (n node) entry(p string) transfer.Entry {
	switch {
	case n.disk != nil:
		return local.Entry(p, n.disk)
	case n.packed:
		return transfer.Entry{Path: p, Size: n.loc.size, ModTime: time.Unix(0, n.loc.mod)}
	}
	return transfer.Entry{Path: p, IsDir: true, ModTime: dirTime(n.dirMod)}
}

// dirTime is a recorded folder's mtime; a folder only implied by what lies below it has
// none.
func dirTime(mod int64) time.Time {
	if mod == 0 {
		return time.Time{}
	}
	return time.Unix(0, mod)
}

// known describes clean from the journal alone.
func (t *Tree) known(clean string) node {
	if clean == "." {
		return node{dir: true}
	}
	s := t.s
	s.mu.Lock()
	defer s.mu.Unlock()
	var n node
	n.loc, n.packed = s.files[clean]
	mod, rec := s.dirs[clean]
	n.dir, n.dirMod = rec || s.under[clean] > 0, mod
	n.record = n.packed || rec
	return n
}

// resolve describes clean from the journal and from tree/.
func (t *Tree) resolve(clean, abs string) (node, error) {
	n := t.known(clean)
	info, err := os.Lstat(abs)
	switch {
	case err == nil:
		n.disk = info
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
	default:
		return n, err
	}
	return n, nil
}

// parentIsDir checks that the folder holding clean exists, the way the file system
// does for a plain folder: ENOENT when it is missing, ENOTDIR when it is a file.
func (t *Tree) parentIsDir(op, clean, abs string) error {
	par := path.Dir(clean)
	if par == "." {
		return nil
	}
	if n := t.known(par); n.dir && !n.packed {
		return nil // recorded by MkdirAll: no system call
	}
	n, err := t.resolve(par, filepath.Dir(abs))
	switch {
	case err != nil:
		return t.pathErr(op, abs, err)
	case n.isDir():
		return nil
	case n.exists():
		return t.pathErr(op, abs, syscall.ENOTDIR)
	}
	return t.pathErr(op, abs, syscall.ENOENT)
}

// Walk lists dir recursively, parents before children, in the order local.Tree uses
// (names sorted within each folder): packed files, recorded folders and what is on disk
// under tree/, each path once.
func (t *Tree) Walk(ctx context.Context, dir string, fn func(transfer.Entry) error) error {
	clean, abs, err := t.abs(dir)
	if err != nil {
		return err
	}
	n, err := t.resolve(clean, abs)
	switch {
	case err != nil:
		return t.pathErr("list", abs, err)
	case !n.exists():
		return t.pathErr("list", abs, syscall.ENOENT)
	case !n.isDir():
		return t.pathErr("list", abs, syscall.ENOTDIR)
	}
	found := t.s.snapshot(clean)
	if n.disk != nil {
		err := t.s.disk.Walk(ctx, clean, func(e transfer.Entry) error {
			found[e.Path] = e // the ordinary file wins over a packed one
			return nil
		})
		if err != nil {
			return err
		}
	}
	paths := make([]string, 0, len(found))
	for p := range found {
		paths = append(paths, p)
	}
	slices.SortFunc(paths, comparePaths)
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(found[p]); err != nil {
			return err
		}
	}
	return nil
}

// snapshot copies the journal's entries below dir.
func (s *store) snapshot(dir string) map[string]transfer.Entry {
	prefix := dir + "/"
	below := func(p string) bool { return dir == "." || strings.HasPrefix(p, prefix) }
	s.mu.Lock()
	defer s.mu.Unlock()
	found := make(map[string]transfer.Entry, len(s.files)+len(s.under))
	for p := range s.under {
		if below(p) {
			found[p] = transfer.Entry{Path: p, IsDir: true}
		}
	}
	for p, mod := range s.dirs {
		if below(p) {
			found[p] = transfer.Entry{Path: p, IsDir: true, ModTime: dirTime(mod)}
		}
	}
	for p, l := range s.files {
		if below(p) {
			found[p] = transfer.Entry{Path: p, Size: l.size, ModTime: time.Unix(0, l.mod)}
		}
	}
	return found
}

// comparePaths orders paths the way a recursive walk with sorted folder listings
// does: "/" sorts before every other byte, so "a/x" comes before "a b".
func comparePaths(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		ca, cb := a[i], b[i]
		switch {
		case ca == cb:
			continue
		case ca == '/':
			return -1
		case cb == '/':
			return 1
		case ca < cb:
			return -1
		default:
			return 1
		}
	}
	return len(a) - len(b)
}

// Stat describes one path without following a final symbolic link under tree/.
func (t *Tree) Stat(_ context.Context, p string) (transfer.Entry, error) {
	clean, abs, err := t.abs(p)
	if err != nil {
		return transfer.Entry{}, err
	}
	n, err := t.resolve(clean, abs)
	if err != nil {
		return transfer.Entry{}, t.pathErr("stat", abs, err)
	}
	if !n.exists() {
		return transfer.Entry{}, t.pathErr("stat", abs, syscall.ENOENT)
	}
	return n.entry(clean), nil
}

// under tree/ only when an ordinary file needs them. A file in the way fails.
func (t *Tree) MkdirAll(_ context.Context, dir string) error {
	clean, abs, err := t.abs(dir)
	if err != nil {
		return err
	}
	if clean == "." {
		return nil
	}
	var missing []string
	absent := false // below a missing folder nothing exists: no need to look
	for _, d := range prefixes(clean) {
		if absent {
			missing = append(missing, d)
			continue
		}
		if n := t.known(d); n.dir && !n.packed && n.record {
			continue
		}
		n, err := t.resolve(d, filepath.Join(t.s.tree, filepath.FromSlash(d)))
		switch {
		case err != nil:
			return t.pathErr("mkdir", abs, err)
		case n.disk != nil && n.disk.IsDir():
		case n.exists() && !n.isDir():
			return t.pathErr("mkdir", abs, syscall.ENOTDIR)
		default: // missing, or only implied by records below it
			absent = !n.exists()
			missing = append(missing, d)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	mod := time.Now().UnixNano()
	var lines strings.Builder
	for _, d := range missing {
		lines.WriteString(dirRecord(d, mod))
	}
	return t.s.commit(lines.String(), func() {
		for _, d := range missing {
			t.s.setDir(d, mod)
		}
	})
}

// prefixes lists "a", "a/b", "a/b/c" for "a/b/c".
func prefixes(p string) []string {
	var out []string
	for i := 0; i < len(p); i++ {
		if p[i] == '/' {
			out = append(out, p[:i])
		}
	}
	return append(out, p)
}

// Rename moves a file, replacing the target. A packed file moves in the journal only;
// an ordinary file is renamed under tree/. Folders cannot be moved: nothing in Ferry
// moves one, and a staging copy would have to rewrite every record below it.
func (t *Tree) Rename(_ context.Context, from, to string) error {
	cf, af, err := t.abs(from)
	if err != nil {
		return err
	}
	ct, at, err := t.abs(to)
	if err != nil {
		return err
	}
	nf, err := t.resolve(cf, af)
	switch {
	case err != nil:
		return t.pathErr("rename", af, err)
	case !nf.exists():
		return t.pathErr("rename", af, syscall.ENOENT)
	case nf.isDir():
		return &transfer.PathError{Op: "rename", Path: af, Err: fmt.Errorf("moving a folder in a staging copy: %w", transfer.ErrUnsupported)}
	case cf == ct:
		return nil
	}
	if ct == "." {
		return t.pathErr("rename", at, syscall.EISDIR)
	}
	if err := t.parentIsDir("rename", ct, at); err != nil {
		return err
	}
	nt, err := t.resolve(ct, at)
	switch {
	case err != nil:
		return t.pathErr("rename", at, err)
	case nt.isDir():
		return t.pathErr("rename", at, syscall.EISDIR)
	}
	s := t.s
	if nf.disk != nil {
		if err := os.MkdirAll(filepath.Dir(at), 0o755); err != nil {
			return t.pathErr("rename", at, err)
		}
		if err := os.Rename(af, at); err != nil {
			return t.pathErr("rename", af, err)
		}
		var lines string
		if nt.record {
			lines += removeRecord(ct)
		}
		if nf.record {
			lines += removeRecord(cf)
		}
		if lines == "" {
			return nil
		}
		return s.commit(lines, func() { s.remove(ct); s.remove(cf) })
	}
	if nt.disk != nil {
		if err := os.Remove(at); err != nil {
			return t.pathErr("rename", at, err)
		}
	}
	return s.commit(fileRecord(ct, nf.loc)+removeRecord(cf), func() {
		s.setFile(ct, nf.loc)
		s.remove(cf)
	})
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
	n, err := t.resolve(clean, abs)
	switch {
	case err != nil:
		return t.pathErr("remove", abs, err)
	case !n.exists():
		return t.pathErr("remove", abs, syscall.ENOENT)
	}
	s := t.s
	if n.isDir() {
		s.mu.Lock()
		busy := s.under[clean] > 0
		s.mu.Unlock()
		if busy {
			return t.pathErr("remove", abs, syscall.ENOTEMPTY)
		}
	}
	if n.disk != nil {
		if err := os.Remove(abs); err != nil {
			return t.pathErr("remove", abs, err)
		}
	}
	if !n.record {
		return nil
	}
	return s.commit(removeRecord(clean), func() { s.remove(clean) })
}

// FreeSpace returns the bytes available to Ferry on the file system holding the
// staging folder.
func (t *Tree) FreeSpace(ctx context.Context, p string) (int64, error) {
	clean, abs, err := t.abs(p)
	if err != nil {
		return 0, err
	}
	n, err := t.resolve(clean, abs)
	if err != nil {
		return 0, t.pathErr("stat", abs, err)
	}
	if !n.exists() {
		return 0, t.pathErr("stat", abs, syscall.ENOENT)
	}
	return t.s.disk.FreeSpace(ctx, ".")
}
