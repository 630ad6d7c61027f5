package stage

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"ferry/backend/transfer"
	"ferry/backend/transfer/local"
)

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
