package transfer

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// The manifest file is written when a mirror ends, so a Ferry killed mid-copy (kill -9, a
// power cut, a crash) would leave none and its Retry would copy every file again. The
// journal closes that gap: beside the manifest, Mirror appends one JSON line per file as
// soon as the file is complete (the manifest's own line format), each with a single write
// on a file opened for appending, so a killed process loses at most the line being
// written. Lines are synced to disk in batches (every journalSyncFiles files or
// journalSyncEvery, whichever comes first), which bounds what a power cut can lose without
// an fsync per file. Reading ignores a last line without its newline (a torn write) and
// any line that does not parse. A manifest written at the end supersedes the journal,
// which is then removed.

const (
	journalSyncFiles = 256
	journalSyncEvery = time.Second
)

// JournalPath is where Mirror journals the files of the manifest at manifestPath.
func JournalPath(manifestPath string) string { return manifestPath + ".journal" }

// journal appends finished files to a journal file.
type journal struct {
	mu       sync.Mutex
	f        *os.File
	unsynced int
	synced   time.Time
	err      error // the first write or sync error: journaling stops, the copy goes on
}

func openJournal(path string) (*journal, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open manifest journal: %w", err)
	}
	// A previous process may have died halfway through a line: end it, so the next
	// record starts on a line of its own (the torn line is then simply unparsable).
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		if last, err := lastByte(path, st.Size()); err == nil && last != '\n' {
			_, _ = f.WriteString("\n")
		}
	}
	return &journal{f: f, synced: time.Now()}, nil
}

func lastByte(path string, size int64) (byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	b := make([]byte, 1)
	_, err = f.ReadAt(b, size-1)
	return b[0], err
}

// add records one finished file. A failing journal only costs a later Retry some
// copying, so it never fails the mirror.
func (j *journal) add(f ManifestFile) {
	if j == nil {
		return
	}
	line, err := json.Marshal(f)
	if err != nil {
		return
	}
	line = append(line, '\n')
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return
	}
	if _, err := j.f.Write(line); err != nil {
		j.err = err
		return
	}
	j.unsynced++
	if j.unsynced >= journalSyncFiles || time.Since(j.synced) >= journalSyncEvery {
		j.err = j.f.Sync()
		j.unsynced, j.synced = 0, time.Now()
	}
}

// close syncs and closes the journal.
func (j *journal) close() error {
	if j == nil {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	err := j.f.Sync()
	if cerr := j.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// ReadJournal returns the files a journal lists, the last record of a path winning. A
// missing journal is an empty list; torn or damaged lines are skipped.
func ReadJournal(path string) ([]ManifestFile, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read manifest journal: %w", err)
	}
	if i := bytes.LastIndexByte(b, '\n'); i < len(b)-1 {
		b = b[:i+1] // a last line without its newline was torn by a crash
	}
	byPath := map[string]int{}
	var out []ManifestFile
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		var f ManifestFile
		if json.Unmarshal(sc.Bytes(), &f) != nil || !validEntry(f) {
			continue
		}
		if i, ok := byPath[f.Path]; ok {
			out[i] = f
			continue
		}
		byPath[f.Path] = len(out)
		out = append(out, f)
	}
	return out, nil
}

func validEntry(f ManifestFile) bool {
	if _, err := CleanPath(f.Path); err != nil || f.Path == "." || f.Size < 0 {
		return false
	}
	h, err := hex.DecodeString(f.SHA256)
	return err == nil && len(h) == 32
}

// ReadResumeManifest is what an earlier, interrupted Mirror writing to manifestPath
// completed: its manifest, when it ended (a failure or a Stop), plus every file its
// journal lists (it was killed). A missing manifest and journal wrap ErrNotFound.
func ReadResumeManifest(manifestPath string) (Manifest, error) {
	man, err := ReadManifestFile(manifestPath)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Manifest{}, err
	}
	missing := err != nil
	files, jerr := ReadJournal(JournalPath(manifestPath))
	if jerr != nil {
		return man, jerr
	}
	if missing && len(files) == 0 {
		return Manifest{}, err
	}
	at := make(map[string]int, len(man.Files))
	for i, f := range man.Files {
		at[f.Path] = i
	}
	for _, f := range files {
		if i, ok := at[f.Path]; ok {
			man.Files[i] = f
		} else {
			at[f.Path] = len(man.Files)
			man.Files = append(man.Files, f)
		}
	}
	man.sort()
	return man, nil
}

// removeJournal deletes the journal once a manifest listing its files is on disk.
func removeJournal(manifestPath string) error {
	if err := os.Remove(JournalPath(manifestPath)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove manifest journal: %w", err)
	}
	return nil
}
