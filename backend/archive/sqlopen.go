package archive

import (
	"archive/zip"
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// OpenSQL opens a dump of any kind Sniff recognises (.sql, .sql.gz, a zip holding the
// .sql) as a stream of plain SQL, decompressed on the fly and never held whole, with
// any UTF-8 byte-order mark removed. Close releases the file.
func OpenSQL(path string) (io.ReadCloser, Kind, error) {
	rc, k, _, err := openSQL(path, nil)
	return rc, k, err
}

// ScanSQLFile runs ScanSQL on a dump file of any kind, reporting progress in bytes of
// the file on disk (compressed bytes for .sql.gz), so the percentage is right. A file
// that is missing or not a dump is a problem in the report, not an error.
func ScanSQLFile(ctx context.Context, path string, progress func(done, total int64)) (SQLReport, error) {
	m := &meter{fn: progress}
	rc, _, size, err := openSQL(path, m.add)
	if err != nil {
		var rep SQLReport
		rep.Problems = []*Problem{sqlOpenProblem(path, err)}
		return rep, nil
	}
	defer rc.Close()
	m.total = size
	rep, err := ScanSQL(ctx, rc, nil)
	m.finish()
	for _, p := range rep.Problems { // every message names the file it is about, once
		p.Message = strings.Replace(p.Message, dumpCorrupt+": ", dumpCorrupt+": "+filepath.Base(path)+": ", 1)
	}
	if err != nil {
		return rep, fmt.Errorf("scan %s: %w", path, err)
	}
	return rep, nil
}

func sqlOpenProblem(path string, err error) *Problem {
	kind := ErrCorrupt
	for _, k := range []error{ErrMissing, ErrEmpty, ErrNotSQL, ErrUnrecognized, ErrCorrupt} {
		if errors.Is(err, k) {
			kind = k
			break
		}
	}
	what := "attach the .sql, .sql.gz or zipped .sql exported from the site's database"
	if kind == ErrMissing {
		what = "attach the file again"
	}
	return &Problem{Err: kind, Message: fmt.Sprintf("%s: %s; %s.", dumpCorrupt, plainReason(err), what)}
}

// plainReason is the first part of an error chain built by Sniff, which already reads
// as a sentence fragment ("'x.png' is neither ...").
func plainReason(err error) string {
	msg := err.Error()
	for _, k := range []error{ErrMissing, ErrEmpty, ErrNotSQL, ErrUnrecognized, ErrCorrupt} {
		if i := strings.Index(msg, ": "+k.Error()); i >= 0 {
			return msg[:i]
		}
	}
	return msg
}

// countingFile counts the bytes read from the file, for progress in file bytes.
type countingFile struct {
	f  *os.File
	on func(int64)
}

func (c *countingFile) Read(p []byte) (int, error) {
	n, err := c.f.Read(p)
	if n > 0 && c.on != nil {
		c.on(int64(n))
	}
	return n, err
}

func (c *countingFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.f.ReadAt(p, off)
	if n > 0 && c.on != nil {
		c.on(int64(n))
	}
	return n, err
}

// multiCloser closes a decompressor and then the file beneath it.
type multiCloser struct {
	io.Reader
	closers []io.Closer
}

func (m *multiCloser) Close() error {
	var errs []error
	for _, c := range m.closers {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// siteZipDump is openSQL's private kind for the dump inside a site zip.
const siteZipDump Kind = -1

func openSQL(path string, on func(int64)) (io.ReadCloser, Kind, int64, error) {
	k, err := Sniff(path)
	if err != nil {
		return nil, Unknown, 0, err
	}
	if k == SiteZip {
		k = siteZipDump // read the dump the site zip carries, if it has one
	} else if !k.IsSQL() {
		return nil, k, 0, fmt.Errorf("'%s' is a zip of a site, not a database dump: %w", displayName(path), ErrNotSQL)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, k, 0, fmt.Errorf("'%s' cannot be opened: %w: %w", displayName(path), ErrMissing, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, k, 0, fmt.Errorf("'%s' cannot be read: %w: %w", displayName(path), ErrMissing, err)
	}
	cf := &countingFile{f: f, on: on}
	var r io.Reader
	closers := []io.Closer{}
	switch k {
	case SQL:
		r = cf
	case SQLGzip:
		gz, err := gzip.NewReader(bufio.NewReaderSize(cf, 256<<10))
		if err != nil {
			f.Close()
			return nil, k, 0, fmt.Errorf("'%s' is a damaged gzip file: %w", displayName(path), ErrCorrupt)
		}
		r, closers = gz, append(closers, gz)
	case SQLZip, siteZipDump:
		zr, err := zip.NewReader(cf, st.Size())
		if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
			f.Close()
			return nil, k, 0, fmt.Errorf("'%s' is a damaged zip file: %w", displayName(path), ErrCorrupt)
		}
		e := sqlEntry(zr)
		if k == siteZipDump {
			k = SiteZip
			dumps := siteDumps(zr)
			if len(dumps) != 1 {
				f.Close()
				return nil, k, 0, fmt.Errorf("'%s' is a zip of a site without a database dump beside it: %w", displayName(path), ErrNotSQL)
			}
			e = dumps[0]
		}
		ec, err := e.Open() // checks the entry's CRC-32 when the stream ends
		if err != nil {
			f.Close()
			return nil, k, 0, fmt.Errorf("'%s': entry '%s' cannot be read: %w", displayName(path), displayName(e.Name), ErrCorrupt)
		}
		r, closers = ec, append(closers, ec)
	}
	br := bufio.NewReaderSize(r, 64<<10)
	if bom, _ := br.Peek(3); string(bom) == "\xef\xbb\xbf" {
		br.Discard(3)
	}
	return &multiCloser{Reader: toUTF8(br), closers: append(closers, f)}, k, st.Size(), nil
}
