package archive

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
)

// Fingerprint identifies an attached file as Verify saw it, so that Continue Import can
// refuse a file changed since: its size, modification time and a SHA-256 of what the
// import reads, namely the central directory (with the end records) of a site zip and
// the whole file of a dump.
type Fingerprint struct {
	Name    string `json:"name"` // the file's base name, for messages
	Size    int64  `json:"size"`
	ModTime int64  `json:"modTime"` // Unix nanoseconds
	SHA256  string `json:"sha256"`
}

// Same reports whether two fingerprints are of the same content.
func (f Fingerprint) Same(g Fingerprint) bool {
	return f.Size == g.Size && f.ModTime == g.ModTime && f.SHA256 == g.SHA256
}

// FingerprintZip fingerprints a site zip: SHA-256 of its central directory and end
// records, which name every entry with its sizes, CRC-32 and offset.
func FingerprintZip(path string) (Fingerprint, error) {
	return fingerprint(path, true)
}

// FingerprintDump fingerprints a dump (.sql, .sql.gz or a zip holding the SQL): SHA-256
// of the whole file.
func FingerprintDump(path string) (Fingerprint, error) {
	return fingerprint(path, false)
}

func fingerprint(path string, zipDir bool) (Fingerprint, error) {
	fp := Fingerprint{Name: filepath.Base(path)}
	f, err := os.Open(path)
	if err != nil {
		return fp, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fp, err
	}
	fp.Size, fp.ModTime = st.Size(), st.ModTime().UnixNano()
	from := int64(0)
	if zipDir {
		if from, err = directoryOffset(f, st.Size()); err != nil {
			return fp, fmt.Errorf("fingerprint %s: %w", fp.Name, err)
		}
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, from, st.Size()-from)); err != nil {
		return fp, fmt.Errorf("fingerprint %s: %w", fp.Name, err)
	}
	fp.SHA256 = hex.EncodeToString(h.Sum(nil))
	return fp, nil
}

// directoryOffset finds where a zip's central directory starts, from its end record (or
// the Zip64 end record it points to).
func directoryOffset(f io.ReaderAt, size int64) (int64, error) {
	tail := min(size, 22+65535+20)
	buf := make([]byte, tail)
	if _, err := f.ReadAt(buf, size-tail); err != nil && err != io.EOF {
		return 0, err
	}
	for i := len(buf) - 22; i >= 0; i-- {
		if binary.LittleEndian.Uint32(buf[i:]) != 0x06054b50 {
			continue
		}
		off := int64(binary.LittleEndian.Uint32(buf[i+16:]))
		if off != 0xffffffff {
			return min(off, size), nil
		}
		// Zip64: the locator sits just before the end record
		if i < 20 || binary.LittleEndian.Uint32(buf[i-20:]) != 0x07064b50 {
			return 0, fmt.Errorf("zip64 end locator missing: %w", ErrCorrupt)
		}
		rec := int64(binary.LittleEndian.Uint64(buf[i-20+8:]))
		var r [56]byte
		if rec < 0 || rec+56 > size {
			return 0, fmt.Errorf("zip64 end record out of range: %w", ErrCorrupt)
		}
		if _, err := f.ReadAt(r[:], rec); err != nil {
			return 0, err
		}
		return min(int64(binary.LittleEndian.Uint64(r[48:])), rec), nil
	}
	return 0, fmt.Errorf("no end of central directory record: %w", ErrCorrupt)
}

var splitPartRe = regexp.MustCompile(`(?i)\.z[0-9]{2,}$`)

// splitZip reports one part of a split (spanned) zip archive: a .z01 part, which starts
// with the spanning marker, or the closing .zip part, whose end record names another disk.
func splitZip(f io.ReaderAt, size int64, name string) bool {
	var head [4]byte
	if _, err := f.ReadAt(head[:], 0); err == nil && binary.LittleEndian.Uint32(head[:]) == 0x08074b50 {
		return true
	}
	if splitPartRe.MatchString(name) {
		return true
	}
	tail := min(size, 22+65535)
	buf := make([]byte, tail)
	if _, err := f.ReadAt(buf, size-tail); err != nil && err != io.EOF {
		return false
	}
	for i := len(buf) - 22; i >= 0; i-- {
		if binary.LittleEndian.Uint32(buf[i:]) == 0x06054b50 {
			return binary.LittleEndian.Uint16(buf[i+4:]) != 0 || binary.LittleEndian.Uint16(buf[i+6:]) != 0
		}
	}
	return false
}

func splitZipMessage(name string) string {
	return fmt.Sprintf("'%s' is one part of a split zip archive (.z01, .z02, … and .zip), which Ferry cannot read; join the parts into one file (zip -s 0 site.zip --out whole.zip) or zip the site again as a single file, then attach it", displayName(name))
}
