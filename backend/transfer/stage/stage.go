// Package stage is the staging copy of a WordPress site on the admin's machine: the
// folder a migration downloads the source's files into and uploads them from. It is a
// transfer.Tree like local.Tree, but it keeps small files inside a few append-only pack
// files instead of one file each. A typical site holds thousands of small PHP, CSS and
// image files, and creating a file costs the file system far more than writing its
// bytes: about 0.7 ms of kernel CPU per file on ext4 (inode allocation), and small-file
// creation is slow on NTFS too. Files over 1 MiB stay ordinary files.
//
// # Layout
//
// Inside the staging folder:
//
//	tree/            ordinary files (those over 1 MiB, and files resumed from an
//	                 offset) and only the folders they need
//	packs/0001.pack  the bytes of small files, back to back; each open Tree writes its own
//	packs/index      append-only journal saying which file lives where
//
// The journal is text, one record per line, each line written with a single write on a
// file opened for appending; paths are quoted with strconv.Quote and times are Unix
// nanoseconds:
//
//	f <pack> <offset> <size> <mtime> <path>   a small file: size bytes at offset of NNNN.pack
//	d <mtime> <path>                          a folder (MkdirAll records it and its parents)
//	r <path>                                  the file or folder at path was removed
//
// Opening replays the lines in order. A later record for a path replaces an earlier one;
// Rename is an "f" record under the new name followed by an "r" of the old one. A folder
// exists when it is recorded, when a recorded file or folder lies below it, or when it
// exists under tree/. When a path is both an ordinary file under tree/ and a packed
// file, the ordinary file wins: the two coexist only for a moment while a file moves
// from a pack to tree/ (or after a crash in that moment), and the ordinary file is then
// the newer one or holds the same bytes.
//
// # Crashes
//
// Nothing is synced (local.Tree does not sync either). A file's bytes reach its pack
// before its "f" record reaches the journal, so after Ferry is killed mid-copy every
// file whose Close returned is there and intact, and a small file being written is
// simply missing (a larger one holds the prefix written so far, as in a plain folder):
// Mirror copies or resumes it. Opening ignores what a crash can leave behind: a
// last line without its newline (it is closed off with "#" so it can never be read as
// a record), an "f" record whose bytes lie beyond the current end of its pack, and any
// line that cannot be parsed. Create truncates the way local.Tree does: the previous
// content of the path is forgotten when Create returns, so an interrupted write never
// leaves an older version behind that Mirror could take for a prefix of the new one.
//
// Space held by replaced or removed small files is not reclaimed; a staging folder
// lives for one migration and is deleted as a whole.
package stage

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"

	"ferry/backend/transfer"
	"ferry/backend/transfer/local"
)

// packMax is the largest file kept in a pack. It equals Mirror's default ResumeMin, so
// the files Mirror resumes from an offset are ordinary files; a packed file grown past
// it moves to tree/ ("spills").
const packMax = 1 << 20

const (
	treeName  = "tree"
	packsName = "packs"
	indexName = "index"
)

var (
	_ transfer.Tree          = (*Tree)(nil)
	_ transfer.OrderedWriter = (*Tree)(nil)
)

// errClosed is the cause of every call on a Tree after its Close.
var errClosed = errors.New("the staging tree was closed")

// Opener returns the transfer.Opener of the staging copy in dir, which is created when
// missing. The first call loads the journal into one shared store; every call returns a
// new Tree sharing it, so Mirror's workers write at once, each into its own pack. When
// all of them are closed and the journal changed behind the store's back (another Open
// on the same folder wrote to it), the next call loads it again.
func Opener(dir string) transfer.Opener {
	var mu sync.Mutex
	var s *store
	return func(context.Context) (transfer.Tree, error) {
		mu.Lock()
		defer mu.Unlock()
		if s == nil {
			st, err := openStore(dir)
			if err != nil {
				return nil, err
			}
			s = st
		}
		return s.handle()
	}
}

// Open loads the staging copy in dir (created when missing) for one-off use, such as
// reading wp-config.php after the download. Several stores may be open on one folder:
// they never write into the same pack, but each sees only what the journal held when it
// was loaded, plus its own changes.
func Open(dir string) (transfer.Tree, error) {
	s, err := openStore(dir)
	if err != nil {
		return nil, err
	}
	return s.handle()
}

// Tree is one handle on a staging copy, used by one goroutine at a time (the
// transfer.Tree contract); the Trees of one Opener may be used at once. Each Tree
// appends the small files it writes to a pack of its own, created on its first Create.
type Tree struct {
	s       *store
	pack    *os.File // this Tree's pack, read-write; nil before the first Create
	packNum int
	packEnd int64
	active  *writer          // the packed writer that owns the end of the pack
	readers map[int]*os.File // other packs, opened read-only for Open
	closed  bool
}

// WritesInOrder is true: a partial file is always a prefix of what was written (or
// missing, for a small file whose Close did not return).
func (t *Tree) WritesInOrder() bool { return true }

func (t *Tree) abs(p string) (string, string, error) {
	clean, err := transfer.CleanPath(p)
	if err != nil {
		return "", "", err
	}
	abs := filepath.Join(t.s.tree, filepath.FromSlash(clean))
	if t.closed {
		return "", "", &transfer.PathError{Op: "open", Path: abs, Err: errClosed}
	}
	return clean, abs, nil
}

func (t *Tree) pathErr(op, abs string, err error) error {
	return &transfer.PathError{Op: op, Path: abs, Err: local.MapErr(err)}
}

// Close closes the Tree's pack and the packs it read. A file still being written into
// the pack is not recorded (its Close reports that). An empty pack is deleted. A second
// Close does nothing.
func (t *Tree) Close() error {
	if t.closed {
		return nil
	}
	t.closed = true
	if t.active != nil {
		t.active.fail(&transfer.PathError{Op: "write", Path: t.active.abs, Err: errClosed})
	}
	var errs []error
	if t.pack != nil {
		name := t.pack.Name()
		if err := t.pack.Close(); err != nil {
			errs = append(errs, t.pathErr("write", name, err))
		} else if t.packEnd == 0 {
			// Only empty files (which read nothing) can refer to it.
			_ = os.Remove(name)
		}
		t.pack = nil
	}
	for num, f := range t.readers {
		_ = f.Close()
		delete(t.readers, num)
	}
	errs = append(errs, t.s.release())
	return errors.Join(errs...)
}
