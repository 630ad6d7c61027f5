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
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

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

// loc is where a packed file's bytes are.
type loc struct {
	pack      int
	off, size int64
	mod       int64 // Unix nanoseconds of the moment it was recorded
}

// store is the state all Trees of one Opener share: the journal and what it says. Its
// mutex guards the maps and the journal; pack data needs no lock, because each pack is
// written by one Tree only and readers only read recorded bytes.
type store struct {
	tree, packs, index string      // absolute paths
	disk               *local.Tree // tree/, where the ordinary files are

	mu       sync.Mutex
	files    map[string]loc   // packed files by path
	dirs     map[string]int64 // recorded folders, with their mtime
	under    map[string]int   // number of packed files and recorded folders below a folder
	nextPack int
	journal  *os.File // open for appending while refs > 0
	size     int64    // bytes of the journal this store has read or written
	refs     int
	broken   error // a failed journal write: no more records until the next load
}

func openStore(dir string) (*store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open staging folder %s: %w", dir, err)
	}
	s := &store{tree: filepath.Join(abs, treeName), packs: filepath.Join(abs, packsName)}
	s.index = filepath.Join(s.packs, indexName)
	// The staging copy holds wp-config.php and its database password: private folder.
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, &transfer.PathError{Op: "mkdir", Path: abs, Err: local.MapErr(err)}
	}
	for _, d := range []string{s.tree, s.packs} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, &transfer.PathError{Op: "mkdir", Path: d, Err: local.MapErr(err)}
		}
	}
	if s.disk, err = local.Open(s.tree); err != nil {
		return nil, err
	}
	if err := s.load(); err != nil {
		return nil, err
	}
	return s, nil
}

// load reads the pack sizes and replays the journal. It is called before the store is
// shared, or with s.mu held and no Tree open.
func (s *store) load() error {
	s.files = map[string]loc{}
	s.dirs = map[string]int64{}
	s.under = map[string]int{}
	s.broken = nil
	sizes := map[int]int64{}
	maxPack := 0
	ents, err := os.ReadDir(s.packs)
	if err != nil {
		return &transfer.PathError{Op: "list", Path: s.packs, Err: local.MapErr(err)}
	}
	for _, e := range ents {
		num, ok := strings.CutSuffix(e.Name(), ".pack")
		n, err := strconv.Atoi(num)
		if !ok || err != nil || n < 0 || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return &transfer.PathError{Op: "stat", Path: filepath.Join(s.packs, e.Name()), Err: local.MapErr(err)}
		}
		sizes[n] = info.Size()
		maxPack = max(maxPack, n)
	}
	data, err := os.ReadFile(s.index)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return &transfer.PathError{Op: "read", Path: s.index, Err: local.MapErr(err)}
	}
	s.size = int64(len(data))
	if len(data) > 0 && data[len(data)-1] != '\n' {
		// A torn last line: close it off so that what follows starts on a line of its
		// own and the fragment can never be read as a record.
		if err := appendFile(s.index, "#\n"); err != nil {
			return &transfer.PathError{Op: "write", Path: s.index, Err: local.MapErr(err)}
		}
		s.size += 2
		data = data[:bytes.LastIndexByte(data, '\n')+1]
	}
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		line := string(data[:i])
		data = data[i+1:]
		r, ok := parseRecord(line)
		if !ok {
			continue
		}
		switch r.kind {
		case 'f':
			maxPack = max(maxPack, r.loc.pack)
			if r.loc.size > 0 && r.loc.off > sizes[r.loc.pack]-r.loc.size {
				continue // its bytes never reached the pack
			}
			s.setFile(r.path, r.loc)
		case 'd':
			s.setDir(r.path, r.mod)
		case 'r':
			s.remove(r.path)
		}
	}
	s.nextPack = maxPack + 1
	return nil
}

func appendFile(name, text string) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(text)
	return errors.Join(err, f.Close())
}

// handle returns a new Tree on the store, opening the journal for the first one.
func (s *store) handle() (*Tree, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refs == 0 {
		st, err := os.Stat(s.index)
		changed := (err == nil && st.Size() != s.size) || (err != nil && s.size != 0)
		if changed || s.broken != nil {
			if err := s.load(); err != nil {
				return nil, err
			}
		}
		f, err := os.OpenFile(s.index, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return nil, &transfer.PathError{Op: "write", Path: s.index, Err: local.MapErr(err)}
		}
		s.journal = f
	}
	s.refs++
	return &Tree{s: s, readers: map[int]*os.File{}}, nil
}

// release is a Tree's Close; the last one closes the journal, so that the staging
// folder can be deleted (Windows refuses to delete an open file).
func (s *store) release() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refs--
	if s.refs > 0 || s.journal == nil {
		return nil
	}
	err := s.journal.Close()
	s.journal = nil
	if err != nil {
		return &transfer.PathError{Op: "write", Path: s.index, Err: local.MapErr(err)}
	}
	return nil
}

// commitLocked appends lines to the journal and then runs apply; s.mu must be held. A
// failed write may leave half a line, so the store refuses to write after one.
func (s *store) commitLocked(lines string, apply func()) error {
	if s.broken != nil {
		return s.broken
	}
	if s.journal == nil {
		return &transfer.PathError{Op: "write", Path: s.index, Err: errClosed}
	}
	n, err := s.journal.WriteString(lines)
	s.size += int64(n)
	if err != nil {
		s.broken = &transfer.PathError{Op: "write", Path: s.index, Err: local.MapErr(err)}
		return s.broken
	}
	apply()
	return nil
}

func (s *store) commit(lines string, apply func()) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commitLocked(lines, apply)
}

// ancestors calls fn for each folder above p, the root excluded.
func ancestors(p string, fn func(string)) {
	for d := path.Dir(p); d != "."; d = path.Dir(d) {
		fn(d)
	}
}

func (s *store) count(p string, delta int) {
	ancestors(p, func(d string) {
		if s.under[d] += delta; s.under[d] <= 0 {
			delete(s.under, d)
		}
	})
}

// setFile, setDir and remove apply one record to the maps; s.mu must be held (or the
// store not yet shared).
func (s *store) setFile(p string, l loc) {
	if _, ok := s.files[p]; !ok {
		s.remove(p)
		s.count(p, 1)
	}
	s.files[p] = l
}

func (s *store) setDir(p string, mod int64) {
	if _, ok := s.dirs[p]; ok {
		return
	}
	s.remove(p)
	s.dirs[p] = mod
	s.count(p, 1)
}

func (s *store) remove(p string) {
	_, isFile := s.files[p]
	_, isDir := s.dirs[p]
	if isFile || isDir {
		delete(s.files, p)
		delete(s.dirs, p)
		s.count(p, -1)
	}
}

func fileRecord(p string, l loc) string {
	return fmt.Sprintf("f %d %d %d %d %s\n", l.pack, l.off, l.size, l.mod, strconv.Quote(p))
}

func dirRecord(p string, mod int64) string {
	return fmt.Sprintf("d %d %s\n", mod, strconv.Quote(p))
}

func removeRecord(p string) string { return "r " + strconv.Quote(p) + "\n" }

type record struct {
	kind byte
	path string
	loc  loc
	mod  int64
}

// parseRecord reads one journal line; ok is false for anything malformed.
func parseRecord(line string) (r record, ok bool) {
	if len(line) < 3 || line[1] != ' ' {
		return r, false
	}
	r.kind = line[0]
	var fields []string
	switch r.kind {
	case 'f':
		fields = strings.SplitN(line[2:], " ", 5)
	case 'd':
		fields = strings.SplitN(line[2:], " ", 2)
	case 'r':
		fields = []string{line[2:]}
	default:
		return r, false
	}
	nums := make([]int64, len(fields)-1)
	for i := range nums {
		n, err := strconv.ParseInt(fields[i], 10, 64)
		if err != nil || n < 0 {
			return r, false
		}
		nums[i] = n
	}
	p, err := strconv.Unquote(fields[len(fields)-1])
	if err != nil {
		return r, false
	}
	if clean, err := transfer.CleanPath(p); err != nil || clean != p || clean == "." {
		return r, false
	}
	r.path = p
	switch r.kind {
	case 'f':
		if len(nums) != 4 || nums[0] > 1<<30 {
			return r, false
		}
		r.loc = loc{pack: int(nums[0]), off: nums[1], size: nums[2], mod: nums[3]}
	case 'd':
		if len(nums) != 1 {
			return r, false
		}
		r.mod = nums[0]
	}
	return r, true
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
