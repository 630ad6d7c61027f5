package archive

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Kind is what an attached file holds, decided by its content.
type Kind int

// The kinds of file a manual migration accepts.
const (
	Unknown Kind = iota
	// SiteZip is a zip of a WordPress tree, possibly under one top folder.
	SiteZip
	// SQL is a plain-text SQL dump.
	SQL
	// SQLGzip is an SQL dump compressed with gzip (.sql.gz).
	SQLGzip
	// SQLZip is a zip whose main entry is an SQL dump.
	SQLZip
)

// String returns the name the service and the UI use (AttachedFileDTO.Kind).
func (k Kind) String() string {
	switch k {
	case SiteZip:
		return "site_zip"
	case SQL:
		return "sql"
	case SQLGzip:
		return "sql_gz"
	case SQLZip:
		return "sql_zip"
	}
	return "unknown"
}

// IsSQL reports whether the file is a database dump in any wrapping.
func (k Kind) IsSQL() bool { return k == SQL || k == SQLGzip || k == SQLZip }

// Attachment is a file attached to a manual migration: recorded, not copied.
type Attachment struct {
	Path string // absolute
	Size int64
	Kind Kind
	// HasDump is set for a site zip that also holds the site's database dump, which
	// OpenSQL then reads from it.
	HasDump bool
}

// Attach records a file the admin dropped or chose: its absolute path, size and kind.
// It reads only headers (and, for a zip, the central directory), so it is instant
// for multi-GB files. Unusable files get an error that says why in plain words.
func Attach(p string) (Attachment, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return Attachment{}, fmt.Errorf("attach %s: %w", p, err)
	}
	k, err := Sniff(abs)
	if err != nil {
		return Attachment{}, err
	}
	st, err := os.Stat(abs)
	if err != nil {
		return Attachment{}, fmt.Errorf("attach %s: %w", p, err)
	}
	a := Attachment{Path: abs, Size: st.Size(), Kind: k}
	if k == SiteZip {
		if zr, err := zip.OpenReader(abs); err == nil {
			a.HasDump = len(siteDumps(&zr.Reader)) == 1
			zr.Close()
		}
	}
	return a, nil
}

// sniffLen is how much of a file (or of its decompressed start) Sniff looks at.
const sniffLen = 4096

// Sniff tells what a file holds by its content, never its name: a site zip, a plain
// SQL dump, a gzipped one or a zip holding one. It reads the first few KB, and for a
// zip its central directory (headers only, never the data of a site).
func Sniff(p string) (Kind, error) {
	f, err := os.Open(p)
	if err != nil {
		return Unknown, fmt.Errorf("'%s' cannot be opened: %w: %w", displayName(p), ErrMissing, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Unknown, fmt.Errorf("'%s' cannot be read: %w: %w", displayName(p), ErrMissing, err)
	}
	if st.IsDir() {
		return Unknown, fmt.Errorf("'%s' is a folder; attach the site's zip file and the database dump: %w", displayName(p), ErrUnrecognized)
	}
	if st.Size() == 0 {
		return Unknown, fmt.Errorf("'%s' is empty: %w", displayName(p), ErrEmpty)
	}
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return Unknown, fmt.Errorf("read %s: %w", displayName(p), err)
	}
	head = head[:n]
	if splitZip(f, st.Size(), p) {
		return Unknown, fmt.Errorf("%s: %w", splitZipMessage(p), ErrUnrecognized)
	}
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return sniffZip(f, st.Size(), p)
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return sniffGzip(f, p)
	}
	switch sqlVerdict(head, n < sniffLen) {
	case sqlYes:
		return SQL, nil
	case sqlBlank:
		return Unknown, fmt.Errorf("'%s' holds only blank lines: %w", displayName(p), ErrEmpty)
	}
	return Unknown, fmt.Errorf("'%s' is neither a zip of a WordPress site nor an SQL dump (%s): %w", displayName(p), describeBinary(head), ErrUnrecognized)
}

func sniffGzip(f *os.File, p string) (Kind, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return Unknown, fmt.Errorf("read %s: %w", displayName(p), err)
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		return Unknown, fmt.Errorf("'%s' is a damaged gzip file: %w", displayName(p), ErrCorrupt)
	}
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(zr, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return Unknown, fmt.Errorf("'%s' is a damaged gzip file: %w", displayName(p), ErrCorrupt)
	}
	head = head[:n]
	if n > 262 && string(head[257:262]) == "ustar" {
		return Unknown, fmt.Errorf("'%s' is a .tar.gz archive; Ferry takes the site as a .zip and the database as .sql, .sql.gz or a zip holding the .sql: %w", displayName(p), ErrUnrecognized)
	}
	switch sqlVerdict(head, n < sniffLen) {
	case sqlYes:
		return SQLGzip, nil
	case sqlBlank:
		return Unknown, fmt.Errorf("'%s' decompresses to an empty file: %w", displayName(p), ErrEmpty)
	}
	return Unknown, fmt.Errorf("'%s' is gzip-compressed but holds no SQL dump: %w", displayName(p), ErrNotSQL)
}

func sniffZip(f *os.File, size int64, p string) (Kind, error) {
	zr, err := zip.NewReader(f, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return Unknown, fmt.Errorf("'%s' is corrupt (its central directory cannot be read, the file is truncated or not a zip): %w", displayName(p), ErrCorrupt)
	}
	main := sqlEntry(zr)
	if main == nil {
		if dumps := siteDumps(zr); len(dumps) > 1 {
			return Unknown, fmt.Errorf("'%s' holds %d database dumps beside the site ('%s' and '%s'), and Ferry would have to guess which to import; keep only the site's dump in the zip, or attach it alone: %w",
				displayName(p), len(dumps), displayName(dumps[0].Name), displayName(dumps[1].Name), ErrDuplicate)
		}
		return SiteZip, nil
	}
	if dumps := sqlEntries(zr); len(dumps) > 1 {
		return Unknown, fmt.Errorf("'%s' holds %d database dumps ('%s' and '%s'), and Ferry would have to guess which to import; zip only the site's dump, or attach it alone: %w",
			displayName(p), len(dumps), displayName(dumps[0].Name), displayName(dumps[1].Name), ErrDuplicate)
	}
	rc, err := main.Open()
	if err != nil {
		return Unknown, fmt.Errorf("'%s': entry '%s' cannot be read: %w", displayName(p), displayName(main.Name), ErrCorrupt)
	}
	defer rc.Close()
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(rc, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return Unknown, fmt.Errorf("'%s': entry '%s' is corrupt: %w", displayName(p), displayName(main.Name), ErrCorrupt)
	}
	if sqlVerdict(head[:n], n < sniffLen) != sqlYes {
		return Unknown, fmt.Errorf("'%s': entry '%s' is not an SQL dump: %w", displayName(p), displayName(main.Name), ErrNotSQL)
	}
	return SQLZip, nil
}

// sqlEntry returns the dump inside a zip that holds one (the largest .sql entry), or
// nil when the zip holds a WordPress tree or no .sql at all.
func sqlEntry(zr *zip.Reader) *zip.File {
	var best *zip.File
	for _, f := range zr.File {
		orig := strings.ReplaceAll(f.Name, `\`, "/")
		name := strings.ToLower(orig)
		if isMetadata(orig) || isMetadata(name) || strings.HasSuffix(name, "/") {
			continue
		}
		if strings.HasSuffix(name, "wp-includes/version.php") || path.Base(name) == "wp-config.php" {
			return nil
		}
		if strings.HasSuffix(name, ".sql") && (best == nil || f.UncompressedSize64 > best.UncompressedSize64) {
			best = f
		}
	}
	return best
}

// siteDumps lists the database dumps a site zip carries beside the site (SPEC allows one):
// .sql entries outside the WordPress folder or at its top, never a plugin's .sql file.
func siteDumps(zr *zip.Reader) []*zip.File {
	root, depth := "", -1
	for _, f := range zr.File {
		name := strings.ReplaceAll(f.Name, `\`, "/")
		if strings.HasSuffix(name, "wp-includes/version.php") && !isMetadata(name) {
			r := strings.TrimSuffix(name, "wp-includes/version.php")
			if d := strings.Count(r, "/"); depth < 0 || d < depth {
				root, depth = r, d
			}
		}
	}
	var out []*zip.File
	for _, f := range zr.File {
		name := strings.ReplaceAll(f.Name, `\`, "/")
		if isMetadata(name) || !strings.HasSuffix(strings.ToLower(name), ".sql") {
			continue
		}
		if rest, in := strings.CutPrefix(name, root); !in || !strings.Contains(rest, "/") {
			out = append(out, f)
		}
	}
	return out
}

// isSiteDump reports whether the entry at dest (relative to the WordPress root) is where a
// site zip carries its database dump: a .sql file at the top of the docroot, which is
// imported and never uploaded.
func isSiteDump(dest string) bool {
	return !strings.Contains(dest, "/") && strings.HasSuffix(strings.ToLower(dest), ".sql")
}

// sqlEntries lists the .sql entries of a zip holding no WordPress tree.
func sqlEntries(zr *zip.Reader) []*zip.File {
	var out []*zip.File
	for _, f := range zr.File {
		orig := strings.ReplaceAll(f.Name, `\`, "/")
		name := strings.ToLower(orig)
		if !isMetadata(orig) && !isMetadata(name) && !strings.HasSuffix(name, "/") && strings.HasSuffix(name, ".sql") {
			out = append(out, f)
		}
	}
	return out
}

type verdict int

const (
	sqlNo verdict = iota
	sqlYes
	sqlBlank
)

// sqlStarts are the ways dumps begin: mysqldump and MariaDB ("--", "/*!"), phpMyAdmin
// ("--"), WordPress backup plugins ("#"), and bare statements.
var sqlStarts = []string{"--", "/*", "#", "create", "drop", "set", "insert", "lock", "unlock",
	"use", "start transaction", "begin", "alter", "replace", "delimiter", "commit"}

// sqlVerdict judges the start of a file: SQL dumps are UTF-8 text (any binary byte
// rules it out) and, after an optional BOM and blank lines, start with a comment or a
// statement. complete says head is the whole file.
func sqlVerdict(head []byte, complete bool) verdict {
	head = bytes.TrimPrefix(decodeHead(head, complete), []byte("\xef\xbb\xbf"))
	if i := bytes.IndexByte(head, 0); i >= 0 {
		// judged by the text before it: a dump with a wiped block is a damaged dump,
		// which ScanSQL reports with its line
		if i == 0 {
			return sqlNo
		}
		head, complete = head[:i], false
	}
	check := head
	if !complete { // the last rune may be cut by the read
		for i := 0; i < utf8.UTFMax && len(check) > 0 && !utf8.Valid(check); i++ {
			check = check[:len(check)-1]
		}
	}
	if !utf8.Valid(check) {
		return sqlNo
	}
	t := bytes.TrimLeft(head, " \t\r\n\f\v")
	if len(t) == 0 {
		return sqlBlank
	}
	lower := strings.ToLower(string(t[:min(len(t), 32)]))
	for _, s := range sqlStarts {
		if strings.HasPrefix(lower, s) {
			return sqlYes
		}
	}
	return sqlNo
}

// describeBinary names a few file types admins attach by mistake.
func describeBinary(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte("\x89PNG")):
		return "it is a PNG image"
	case bytes.HasPrefix(head, []byte("\xff\xd8\xff")):
		return "it is a JPEG image"
	case bytes.HasPrefix(head, []byte("%PDF")):
		return "it is a PDF document"
	case bytes.HasPrefix(head, []byte("Rar!")):
		return "it is a RAR archive"
	case bytes.HasPrefix(head, []byte("7z\xbc\xaf")):
		return "it is a 7-Zip archive"
	case len(head) > 262 && string(head[257:262]) == "ustar":
		return "it is a tar archive"
	case bytes.IndexByte(head, 0) >= 0 || !utf8.Valid(head[:max(0, len(head)-utf8.UTFMax)]):
		return "it is binary data"
	}
	return "it is text but not SQL"
}
