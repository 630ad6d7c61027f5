package transfer

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// ManifestFile is one file copied by Mirror, with the SHA-256 of its bytes computed as
// they streamed past.
type ManifestFile struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	// Mode is the source file's permission bits, 0 when the source did not say (FTP).
	Mode fs.FileMode `json:"mode,omitempty"`
}

// Manifest lists the files of a tree copy, sorted by path. It is written next to the
// staging copy (ManifestName) so Retry can skip files already complete, and Validate
// compares the destination against it.
type Manifest struct {
	Files []ManifestFile
	// Skipped are paths Mirror did not copy: symbolic links, and files that vanished
	// from the source between listing and copying (WordPress caches do this).
	Skipped []string
}

// ManifestName is the file name Mirror uses when asked to write its manifest.
const ManifestName = ".ferry-manifest.jsonl"

// Bytes is the total size of the files.
func (m Manifest) Bytes() int64 {
	var n int64
	for _, f := range m.Files {
		n += f.Size
	}
	return n
}

// Lookup returns the entry for path.
func (m Manifest) Lookup(p string) (ManifestFile, bool) {
	i := sort.Search(len(m.Files), func(i int) bool { return m.Files[i].Path >= p })
	if i < len(m.Files) && m.Files[i].Path == p {
		return m.Files[i], true
	}
	return ManifestFile{}, false
}

// Diff lists the paths whose presence, size or hash differ between m and other; empty
// means the two trees hold the same bytes.
func (m Manifest) Diff(other Manifest) []string {
	var out []string
	i, j := 0, 0
	for i < len(m.Files) || j < len(other.Files) {
		switch {
		case j >= len(other.Files) || (i < len(m.Files) && m.Files[i].Path < other.Files[j].Path):
			out = append(out, m.Files[i].Path)
			i++
		case i >= len(m.Files) || other.Files[j].Path < m.Files[i].Path:
			out = append(out, other.Files[j].Path)
			j++
		default:
			if a, b := m.Files[i], other.Files[j]; a.Size != b.Size || a.SHA256 != b.SHA256 {
				out = append(out, m.Files[i].Path)
			}
			i++
			j++
		}
	}
	return out
}

func (m *Manifest) sort() {
	sort.Slice(m.Files, func(i, j int) bool { return m.Files[i].Path < m.Files[j].Path })
	sort.Strings(m.Skipped)
}

// WriteTo writes the manifest as JSON lines, one file per line, so a manifest of a
// hundred thousand files streams and diffs line by line.
func (m Manifest) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	bw := bufio.NewWriter(cw)
	enc := json.NewEncoder(bw)
	for _, f := range m.Files {
		if err := enc.Encode(f); err != nil {
			return cw.n, fmt.Errorf("write manifest: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return cw.n, fmt.Errorf("write manifest: %w", err)
	}
	return cw.n, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// ReadManifest parses a manifest written by WriteTo. A damaged line fails with its line
// number rather than yielding a shorter manifest, because a short manifest would make
// Retry skip checks it should make.
func ReadManifest(r io.Reader) (Manifest, error) {
	var m Manifest
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		if len(sc.Bytes()) == 0 {
			continue
		}
		var f ManifestFile
		if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
			return Manifest{}, fmt.Errorf("read manifest line %d: %w", line, err)
		}
		if _, err := CleanPath(f.Path); err != nil || f.Path == "." {
			return Manifest{}, fmt.Errorf("read manifest line %d: bad path %q: %w", line, f.Path, ErrInvalidPath)
		}
		if f.Size < 0 {
			return Manifest{}, fmt.Errorf("read manifest line %d: negative size %d", line, f.Size)
		}
		if b, err := hex.DecodeString(f.SHA256); err != nil || len(b) != 32 {
			return Manifest{}, fmt.Errorf("read manifest line %d: bad sha256 %q", line, f.SHA256)
		}
		m.Files = append(m.Files, f)
	}
	if err := sc.Err(); err != nil {
		return Manifest{}, fmt.Errorf("read manifest line %d: %w", line+1, err)
	}
	m.sort()
	for i := 1; i < len(m.Files); i++ {
		if m.Files[i].Path == m.Files[i-1].Path {
			return Manifest{}, fmt.Errorf("read manifest: %s listed twice", m.Files[i].Path)
		}
	}
	return m, nil
}

// WriteManifestFile writes m to path atomically (temp file + rename), so a crash never
// leaves half a manifest that Retry would trust.
func WriteManifestFile(path string, m Manifest) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".manifest-*")
	if err != nil {
		return fmt.Errorf("write manifest %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = m.WriteTo(tmp); err != nil {
		_ = tmp.Close()
		return err
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("write manifest %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write manifest %s: %w", path, err)
	}
	return nil
}

// ReadManifestFile reads a manifest written by WriteManifestFile; a missing file wraps
// ErrNotFound so Retry can tell "no previous run" from a damaged manifest.
func ReadManifestFile(path string) (Manifest, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return Manifest{}, fmt.Errorf("read manifest %s: %w", path, ErrNotFound)
	}
	if err != nil {
		return Manifest{}, fmt.Errorf("read manifest %s: %w", path, err)
	}
	defer f.Close()
	return ReadManifest(f)
}
