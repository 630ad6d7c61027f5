package archive

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// copyTree copies the regular files of src (following no links) into dst.
func copyTree(t *testing.T, src, dst string, keep func(rel string) bool) int {
	t.Helper()
	n := 0
	require.NoError(t, filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.Type()&fs.ModeSymlink != 0 || (!d.IsDir() && !keep(rel)) {
			return nil
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		n++
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	}))
	return n
}

// realWordPress copies part of Debian's WordPress package (real core files) into
// dir/public_html and returns how many files it copied.
func realWordPress(t *testing.T, dir string) int {
	const wp = "/usr/share/wordpress"
	_, err := os.Stat(filepath.Join(wp, "wp-includes/version.php"))
	require.NoError(t, err, "Debian's wordpress package provides real core files: apt-get install wordpress")
	return copyTree(t, wp, filepath.Join(dir, "public_html"), func(rel string) bool {
		d := filepath.Dir(rel)
		return d == "." || d == "wp-includes" || d == "wp-admin" || d == "wp-admin/css"
	})
}

func zipCommand(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "site.zip")
	cmd := exec.Command("zip", append([]string{"-q", "-r", out}, args...)...)
	cmd.Dir = dir
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "zip: %s", b)
	return out
}

func TestVerifyZipAccepts(t *testing.T) {
	dir := t.TempDir()
	realFiles := realWordPress(t, dir)
	windows := []zfile{
		{name: `wordpress\`, fat: true, nonUTF8: true},
		{name: `wordpress\wp-includes\version.php`, body: []byte("<?php $wp_version = '5.9.3';"), fat: true, nonUTF8: true},
		{name: `wordpress\wp-config-sample.php`, body: []byte("<?php $table_prefix = 'wp_';"), fat: true, nonUTF8: true},
		{name: `wordpress\wp-content\uploads\caf` + "\x82" + `.jpg`, body: []byte("jpeg"), fat: true, nonUTF8: true},
		{name: `wordpress\wp-content\uploads\` + "\x94\x81" + `.txt`, body: []byte("öü"), fat: true, nonUTF8: true},
	}
	tests := []struct {
		name      string
		zip       func() string
		root      string
		version   string
		files     int
		config    bool
		warnings  int
		wantNames []string
	}{
		{"zip command, public_html top folder", func() string { return zipCommand(t, dir, "public_html") },
			"public_html/", "6.1.9", realFiles, true, 0, nil},
		{"go archive/zip, files at the top", func() string { return siteZip(t, t.TempDir(), nil) },
			"", "6.5.2", 10, true, 0, nil},
		{"windows tool: backslashes and CP437 names", func() string { return writeZip(t, filepath.Join(t.TempDir(), "w.zip"), windows) },
			"wordpress/", "5.9.3", 4, false, 1, []string{"wp-content/uploads/café.jpg", "wp-content/uploads/öü.txt"}},
		{"macOS metadata and a dump beside the site", func() string {
			return writeZip(t, filepath.Join(t.TempDir(), "m.zip"), append(wpFiles("site/"),
				zfile{name: "__MACOSX/site/._index.php", body: []byte("x")}, zfile{name: "db.sql", body: []byte("CREATE TABLE x (a int);")}))
		}, "site/", "6.5.2", 10, true, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.zip()
			var last, total int64
			rep, err := VerifyZip(context.Background(), p, Limits{}, func(d, tot int64) { last, total = d, tot })
			require.NoError(t, err)
			require.True(t, rep.OK(), "problems: %v", rep.Err())
			require.Len(t, rep.Problems, tt.warnings)
			require.True(t, rep.WordPress)
			require.Equal(t, tt.root, rep.Root)
			require.Equal(t, tt.version, rep.WPVersion)
			require.Equal(t, tt.files, rep.Files)
			require.Equal(t, tt.config, rep.HasWPConfig)
			require.True(t, rep.HasWPConfigSample)
			require.Equal(t, total, last, "the last progress call reports all compressed bytes")
			require.Positive(t, rep.TotalSize)
			require.NotEmpty(t, rep.Found)
			if tt.wantNames != nil {
				out := t.TempDir()
				_, err := Extract(context.Background(), p, &osTree{root: out}, ExtractOptions{})
				require.NoError(t, err)
				for _, n := range tt.wantNames {
					require.FileExists(t, filepath.Join(out, n))
				}
			}
		})
	}
}

func TestVerifyZipWordPressFacts(t *testing.T) {
	dir := t.TempDir()
	noConfig := []zfile{}
	for _, f := range wpFiles("") {
		if f.name != "wp-config.php" {
			noConfig = append(noConfig, f)
		}
	}
	var noSample []zfile
	for _, f := range noConfig {
		if f.name != "wp-config-sample.php" {
			noSample = append(noSample, f)
		}
	}
	tests := []struct {
		name    string
		files   []zfile
		ok      bool
		kind    error
		message string
	}{
		{"wp-config.php missing: written from the sample", noConfig, true, ErrNoConfig, "wp-config.php is missing from the archive; Ferry will write one for the destination from wp-config-sample.php."},
		{"no config at all", noSample, false, ErrNoConfig, "Neither wp-config.php nor wp-config-sample.php is in the archive"},
		{"no WordPress", []zfile{{name: "docs/readme.txt", body: []byte("hi")}, {name: "docs/a.html", body: []byte("<p>")}}, false, ErrNoWordPress, "WordPress not found in the archive (no wp-includes/version.php)"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := VerifyZip(context.Background(), writeZip(t, filepath.Join(dir, fmt.Sprint(i, ".zip")), tt.files), Limits{}, nil)
			require.NoError(t, err)
			require.Equal(t, tt.ok, rep.OK())
			require.Len(t, rep.Problems, 1)
			require.ErrorIs(t, rep.Problems[0], tt.kind)
			require.Contains(t, rep.Problems[0].Message, tt.message)
		})
	}
}

// badZip is an archive Ferry must refuse, with the sentinel and words it must give.
type badZip struct {
	name    string
	make    func(t *testing.T, dir string) string
	limits  Limits
	kind    error
	message string
}

func badZips() []badZip {
	zeros := make([]byte, 8<<20)
	block := make([]byte, 1024)
	rand.NewChaCha8([32]byte{3}).Read(block)
	large := bytes.Repeat(block, 8<<10) // 8 MiB that deflate shrinks about 80 times, not 1000
	return []badZip{
		{"corrupt CRC", func(t *testing.T, dir string) string {
			p := siteZip(t, dir, []zfile{{name: "wp-content/x.php", body: []byte("<?php echo 'Ferry corrupt test';"), storeIt: true}})
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			i := bytes.Index(b, []byte("Ferry corrupt test"))
			b[i] ^= 0x20
			require.NoError(t, os.WriteFile(p, b, 0o644))
			return p
		}, Limits{}, ErrChecksum, "entry 'wp-content/x.php' is corrupt (CRC mismatch)"},
		{"damaged deflate data", func(t *testing.T, dir string) string {
			p := siteZip(t, dir, nil)
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			off := bytes.Index(b, []byte("wp-includes/load.php")) + len("wp-includes/load.php")
			for i := off + 10; i < off+40; i++ {
				b[i] ^= 0xff
			}
			require.NoError(t, os.WriteFile(p, b, 0o644))
			return p
		}, Limits{}, ErrCorrupt, "entry 'wp-includes/load.php' is corrupt"},
		{"truncated archive", func(t *testing.T, dir string) string {
			p := siteZip(t, dir, nil)
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(p, b[:len(b)/2], 0o644))
			return p
		}, Limits{}, ErrCorrupt, "archive is corrupt"},
		{"not a zip at all", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "site.zip")
			require.NoError(t, os.WriteFile(p, []byte("\x89PNG\r\n\x1a\nnot a zip"), 0o644))
			return p
		}, Limits{}, ErrCorrupt, "archive is corrupt"},
		{"zip-slip", func(t *testing.T, dir string) string {
			return siteZip(t, dir, []zfile{{name: "../../etc/passwd", body: []byte("root:x:0:0")}})
		}, Limits{}, ErrZipSlip, "entry '../../etc/passwd' would escape the docroot"},
		{"zip-slip with backslashes", func(t *testing.T, dir string) string {
			return siteZip(t, dir, []zfile{{name: `wp-content\..\..\..\evil.php`, body: []byte("<?php"), nonUTF8: true}})
		}, Limits{}, ErrZipSlip, `would escape the docroot`},
		{"absolute path", func(t *testing.T, dir string) string {
			return siteZip(t, dir, []zfile{{name: "/etc/cron.d/evil", body: []byte("* * * * * root x")}})
		}, Limits{}, ErrAbsolutePath, "entry '/etc/cron.d/evil' has an absolute path"},
		{"drive letter", func(t *testing.T, dir string) string {
			return siteZip(t, dir, []zfile{{name: `C:\Windows\evil.dll`, body: []byte("MZ"), nonUTF8: true}})
		}, Limits{}, ErrAbsolutePath, `starts with a drive letter`},
		{"control characters", func(t *testing.T, dir string) string {
			return siteZip(t, dir, []zfile{{name: "wp-content/a\r\nDELE index.php", body: []byte("x")}})
		}, Limits{}, ErrBadName, `has control characters in its name`},
		{"symlink entry", func(t *testing.T, dir string) string {
			return siteZip(t, dir, []zfile{{name: "wp-content/uploads/passwd", body: []byte("/etc/passwd"), mode: fs.ModeSymlink | 0o777}})
		}, Limits{}, ErrSymlink, "entry 'wp-content/uploads/passwd' is a symbolic link"},
		{"duplicate names", func(t *testing.T, dir string) string {
			return siteZip(t, dir, []zfile{{name: "index.php", body: []byte("<?php // second")}})
		}, Limits{}, ErrDuplicate, "entry 'index.php' appears twice"},
		{"file and folder of one name", func(t *testing.T, dir string) string {
			return siteZip(t, dir, []zfile{{name: "wp-content/themes", body: []byte("x")}})
		}, Limits{}, ErrDuplicate, "is both a file and a folder"},
		{"too many entries", func(t *testing.T, dir string) string { return siteZip(t, dir, nil) },
			Limits{MaxEntries: 5}, ErrTooManyEntries, "the archive has 10 entries, more than the 5 Ferry extracts"},
		{"bigger than the size limit", func(t *testing.T, dir string) string {
			return siteZip(t, dir, []zfile{{name: "wp-content/big.bin", body: large}})
		}, Limits{MaxTotalSize: 4 << 20}, ErrTooLarge, "expands to more than 4 MiB"},
		{"compression ratio", func(t *testing.T, dir string) string {
			return siteZip(t, dir, []zfile{{name: "wp-content/zeros.bin", body: zeros}})
		}, Limits{MaxRatio: 100}, ErrRatio, "entry 'wp-content/zeros.bin' expands more than 100 times"},
		{"bomb: entry lies about its size", func(t *testing.T, dir string) string {
			return writeRawZip(t, filepath.Join(dir, "site.zip"), wpFiles(""), []rawEntry{{
				fh:   zip.FileHeader{Name: "wp-content/small.txt", Method: zip.Deflate, CRC32: crcOf(zeros), CompressedSize64: uint64(len(deflate(t, zeros))), UncompressedSize64: 1000},
				data: deflate(t, zeros)}})
		}, Limits{}, ErrTooLarge, "entry 'wp-content/small.txt' expands past the size its header declares"},
		{"bomb: overlapping entries", func(t *testing.T, dir string) string {
			p := siteZip(t, dir, []zfile{{name: "wp-content/a.bin", body: large}})
			duplicateCDRecord(t, p, "wp-content/a.bin", "wp-content/b.bin")
			return p
		}, Limits{}, ErrOverlap, "entry 'wp-content/b.bin' shares its data with entry 'wp-content/a.bin'"},
		{"encrypted entry", func(t *testing.T, dir string) string {
			return writeRawZip(t, filepath.Join(dir, "site.zip"), wpFiles(""), []rawEntry{{
				fh:   zip.FileHeader{Name: "wp-content/secret.php", Method: zip.Store, Flags: 0x1, CRC32: crcOf([]byte("abc")), CompressedSize64: 3, UncompressedSize64: 3},
				data: []byte("abc")}})
		}, Limits{}, ErrEncrypted, "entry 'wp-content/secret.php' is password-protected"},
		{"unsupported method", func(t *testing.T, dir string) string {
			return writeRawZip(t, filepath.Join(dir, "site.zip"), wpFiles(""), []rawEntry{{
				fh:   zip.FileHeader{Name: "wp-content/x.bz2", Method: 12, CRC32: crcOf([]byte("abc")), CompressedSize64: 3, UncompressedSize64: 3},
				data: []byte("abc")}})
		}, Limits{}, ErrMethod, "uses compression method 12"},
	}
}

func TestVerifyZipRefuses(t *testing.T) {
	for _, tt := range badZips() {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.make(t, t.TempDir())
			rep, err := VerifyZip(context.Background(), p, tt.limits, nil)
			require.NoError(t, err)
			require.False(t, rep.OK())
			require.ErrorIs(t, rep.Err(), tt.kind)
			var msgs []string
			for _, pr := range rep.Problems {
				if errors.Is(pr, tt.kind) {
					msgs = append(msgs, pr.Message)
				}
			}
			require.NotEmpty(t, msgs)
			require.Contains(t, msgs[0], tt.message)
		})
	}
}

func TestVerifyZipSymlinkFromZipCommand(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "site/wp-includes"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "site/wp-includes/version.php"), []byte("<?php $wp_version = '6.4';"), 0o644))
	require.NoError(t, os.Symlink("/etc/passwd", filepath.Join(dir, "site/passwd.txt")))
	p := zipCommand(t, dir, "-y", "site") // -y stores the link itself
	rep, err := VerifyZip(context.Background(), p, Limits{}, nil)
	require.NoError(t, err)
	require.ErrorIs(t, rep.Err(), ErrSymlink)
	require.Contains(t, rep.Err().Error(), "entry 'site/passwd.txt' is a symbolic link")
}

func TestVerifyZipMissingFile(t *testing.T) {
	rep, err := VerifyZip(context.Background(), filepath.Join(t.TempDir(), "nope.zip"), Limits{}, nil)
	require.NoError(t, err)
	require.ErrorIs(t, rep.Err(), ErrMissing)
	require.Contains(t, rep.Err().Error(), "is missing or unreadable")
}

func TestVerifyZipCancelled(t *testing.T) {
	p := siteZip(t, t.TempDir(), nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := VerifyZip(ctx, p, Limits{}, nil)
	require.ErrorIs(t, err, context.Canceled)
}

func TestVerifyZipManyProblemsAreSummarised(t *testing.T) {
	var extra []zfile
	for i := range 25 {
		extra = append(extra, zfile{name: fmt.Sprintf("../evil%d.php", i), body: []byte("x")})
	}
	rep, err := VerifyZip(context.Background(), siteZip(t, t.TempDir(), extra), Limits{}, nil)
	require.NoError(t, err)
	require.Len(t, rep.Problems, problemCap+1)
	require.Equal(t, "site.zip: 15 more entries have the same problem as '../evil0.php'.", rep.Problems[problemCap].Message)
}

func TestVerifyZipZip64(t *testing.T) {
	const n = 70_000 // more than the 65,535 entries a classic zip can count
	files := wpFiles("")
	for i := range n {
		files = append(files, zfile{name: fmt.Sprintf("wp-content/uploads/%03d/%d.txt", i/1000, i), body: []byte{byte(i)}, storeIt: true})
	}
	p := writeZip(t, filepath.Join(t.TempDir(), "big.zip"), files)
	rep, err := VerifyZip(context.Background(), p, Limits{}, nil)
	require.NoError(t, err)
	require.True(t, rep.OK(), "problems: %v", rep.Err())
	require.True(t, rep.Zip64)
	require.Equal(t, n+10, rep.Files)
	require.Equal(t, n+10, rep.Entries)

}
