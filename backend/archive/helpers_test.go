package archive

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/transfer"
)

// zfile is one entry for writeZip.
type zfile struct {
	name    string
	body    []byte
	method  uint16      // zip.Deflate unless set (zip.Store is 0, so store sets storeIt)
	storeIt bool        // write with zip.Store
	mode    fs.FileMode // 0: a regular 0644 file
	nonUTF8 bool        // a Windows tool that writes CP437 names
	fat     bool        // creator FAT with DOS attributes, as Windows writes
}

func writeZip(t testing.TB, p string, files []zfile) string {
	t.Helper()
	f, err := os.Create(p)
	require.NoError(t, err)
	w := zip.NewWriter(f)
	for _, zf := range files {
		fh := &zip.FileHeader{Name: zf.name, Method: zip.Deflate, NonUTF8: zf.nonUTF8, Modified: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)}
		if zf.storeIt || strings.HasSuffix(zf.name, "/") || strings.HasSuffix(zf.name, `\`) {
			fh.Method = zip.Store
		}
		if zf.method != 0 {
			fh.Method = zf.method
		}
		switch {
		case zf.fat:
			fh.CreatorVersion = 0 // FAT
			fh.ExternalAttrs = 0x20
			if strings.HasSuffix(zf.name, `\`) {
				fh.ExternalAttrs = 0x10
			}
		case zf.mode != 0:
			fh.SetMode(zf.mode)
		default:
			fh.SetMode(0o644)
		}
		ew, err := w.CreateHeader(fh)
		require.NoError(t, err)
		_, err = ew.Write(zf.body)
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	require.NoError(t, f.Close())
	return p
}

// wpFiles is a small WordPress tree under prefix ("" or "public_html/").
func wpFiles(prefix string) []zfile {
	photo := make([]byte, 64<<10)
	rand.NewChaCha8([32]byte{7}).Read(photo)
	return []zfile{
		{name: prefix + "index.php", body: []byte("<?php\ndefine('WP_USE_THEMES', true);\nrequire __DIR__ . '/wp-blog-header.php';\n")},
		{name: prefix + ".htaccess", body: []byte("# BEGIN WordPress\nRewriteEngine On\n# END WordPress\n")},
		{name: prefix + "wp-config.php", body: []byte("<?php\ndefine( 'DB_NAME', 'site' );\n$table_prefix = 'wp_';\nrequire_once ABSPATH . 'wp-settings.php';\n")},
		{name: prefix + "wp-config-sample.php", body: []byte("<?php\ndefine( 'DB_NAME', 'database_name_here' );\n$table_prefix = 'wp_';\n")},
		{name: prefix + "wp-includes/version.php", body: []byte("<?php\n/**\n * @global string $wp_version\n */\n$wp_version = '6.5.2';\n$wp_db_version = 57155;\n")},
		{name: prefix + "wp-includes/load.php", body: bytes.Repeat([]byte("<?php // load\n"), 500)},
		{name: prefix + "wp-admin/index.php", body: []byte("<?php // admin\n")},
		{name: prefix + "wp-content/themes/ferry/style.css", body: []byte("/* Theme Name: Ferry */\n")},
		{name: prefix + "wp-content/uploads/2024/05/photo.jpg", body: photo, storeIt: true},
		{name: prefix + "wp-content/uploads/empty.txt", body: nil},
	}
}

func siteZip(t testing.TB, dir string, extra []zfile) string {
	return writeZip(t, filepath.Join(dir, "site.zip"), append(wpFiles(""), extra...))
}

// deflate compresses b at the best ratio.
func deflate(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.BestCompression)
	require.NoError(t, err)
	_, err = w.Write(b)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return buf.Bytes()
}

// rawEntry is an entry written with CreateRaw: its header says whatever the test wants.
type rawEntry struct {
	fh   zip.FileHeader
	data []byte
}

func writeRawZip(t testing.TB, p string, files []zfile, raws []rawEntry) string {
	t.Helper()
	f, err := os.Create(p)
	require.NoError(t, err)
	w := zip.NewWriter(f)
	for _, zf := range files {
		ew, err := w.Create(zf.name)
		require.NoError(t, err)
		_, err = ew.Write(zf.body)
		require.NoError(t, err)
	}
	for _, r := range raws {
		fh := r.fh
		ew, err := w.CreateRaw(&fh)
		require.NoError(t, err)
		_, err = ew.Write(r.data)
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	require.NoError(t, f.Close())
	return p
}

// duplicateCDRecord adds to the zip at p a second central-directory record for the
// entry named from, renamed to to (same length): both entries then share one local
// header and its data, the way non-recursive zip bombs overlap entries.
func duplicateCDRecord(t testing.TB, p, from, to string) {
	t.Helper()
	require.Equal(t, len(from), len(to))
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	eocd := len(b) - 22
	require.Equal(t, "PK\x05\x06", string(b[eocd:eocd+4]))
	count := binary.LittleEndian.Uint16(b[eocd+10:])
	cdSize := binary.LittleEndian.Uint32(b[eocd+12:])
	cdOff := binary.LittleEndian.Uint32(b[eocd+16:])
	cd := b[cdOff : cdOff+cdSize]
	var rec []byte
	for i := 0; i < len(cd); {
		n := int(binary.LittleEndian.Uint16(cd[i+28:]))
		m := int(binary.LittleEndian.Uint16(cd[i+30:]))
		k := int(binary.LittleEndian.Uint16(cd[i+32:]))
		if string(cd[i+46:i+46+n]) == from {
			rec = append([]byte(nil), cd[i:i+46+n+m+k]...)
			copy(rec[46:], to)
		}
		i += 46 + n + m + k
	}
	require.NotNil(t, rec, "entry %s not found", from)
	out := append(append(append([]byte(nil), b[:cdOff+cdSize]...), rec...), b[eocd:]...)
	e := len(out) - 22
	binary.LittleEndian.PutUint16(out[e+8:], count+1)
	binary.LittleEndian.PutUint16(out[e+10:], count+1)
	binary.LittleEndian.PutUint32(out[e+12:], cdSize+uint32(len(rec)))
	require.NoError(t, os.WriteFile(p, out, 0o644))
}

// osTree is a deliberately naive transfer.Tree over a local folder: it joins paths
// without any checking, so if Extract ever passed it "../x" the file really would
// land outside the root, and the tests would see it.
type osTree struct{ root string }

var _ transfer.Tree = (*osTree)(nil)

func (o *osTree) abs(p string) string { return filepath.Join(o.root, filepath.FromSlash(p)) }

func (o *osTree) Walk(ctx context.Context, dir string, fn func(transfer.Entry) error) error {
	base := o.abs(dir)
	return filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == base {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(o.root, p)
		return fn(transfer.Entry{Path: filepath.ToSlash(rel), Size: info.Size(), ModTime: info.ModTime(), IsDir: d.IsDir(), IsLink: d.Type()&fs.ModeSymlink != 0})
	})
}

func (o *osTree) Stat(ctx context.Context, p string) (transfer.Entry, error) {
	info, err := os.Lstat(o.abs(p))
	if err != nil {
		if os.IsNotExist(err) {
			return transfer.Entry{}, fmt.Errorf("stat %s: %w", p, transfer.ErrNotFound)
		}
		return transfer.Entry{}, err
	}
	return transfer.Entry{Path: p, Size: info.Size(), ModTime: info.ModTime(), IsDir: info.IsDir()}, nil
}

func (o *osTree) Open(ctx context.Context, p string, off int64) (io.ReadCloser, error) {
	f, err := os.Open(o.abs(p))
	if err != nil {
		return nil, err
	}
	_, err = f.Seek(off, io.SeekStart)
	return f, err
}

func (o *osTree) Create(ctx context.Context, p string, off int64) (io.WriteCloser, error) {
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if off > 0 {
		flags = os.O_WRONLY | os.O_APPEND
	}
	return os.OpenFile(o.abs(p), flags, 0o644)
}

func (o *osTree) MkdirAll(ctx context.Context, dir string) error {
	return os.MkdirAll(o.abs(dir), 0o755)
}
func (o *osTree) Rename(ctx context.Context, from, to string) error {
	return os.Rename(o.abs(from), o.abs(to))
}
func (o *osTree) Remove(ctx context.Context, p string) error { return os.Remove(o.abs(p)) }
func (o *osTree) FreeSpace(ctx context.Context, p string) (int64, error) {
	return 0, transfer.ErrUnsupported
}
func (o *osTree) Close() error { return nil }

// listTree returns every path under root (slash-separated, relative), dirs with a "/".
func listTree(t testing.TB, root string) []string {
	t.Helper()
	var out []string
	require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			rel += "/"
		}
		out = append(out, rel)
		return nil
	}))
	return out
}

func crcOf(b []byte) uint32 { return crc32.ChecksumIEEE(b) }

// transferTree keeps Opener literals in tests short.
type transferTree = transfer.Tree
