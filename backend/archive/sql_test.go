package archive

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got (as indented JSON) with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got any) {
	t.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	require.NoError(t, err)
	b = append(b, '\n')
	p := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(p, b, 0o644))
	}
	want, err := os.ReadFile(p)
	require.NoError(t, err, "run go test -update to create %s", p)
	require.Equal(t, string(want), string(b))
}

// sqlSummary is the part of an SQLReport the golden files pin down.
type sqlSummary struct {
	Bytes         int64
	Statements    int64
	Tool          string
	ServerVersion string
	Tables        []string
	Rows          map[string]int64
	Prefix        string
	SiteURL       string
	Home          string
	DBVersion     string
	Charsets      []string
	Collations    []string
	Databases     []string
	Found         []string
	Problems      []string
}

func summarize(r SQLReport) sqlSummary {
	s := sqlSummary{r.Bytes, r.Statements, r.Tool, r.ServerVersion, r.Tables, r.Rows, r.Prefix,
		r.SiteURL, r.Home, r.DBVersion, r.Charsets, r.Collations, r.Databases, r.Found, nil}
	for _, p := range r.Problems {
		s.Problems = append(s.Problems, p.Message)
	}
	return s
}

func TestScanSQLDumps(t *testing.T) {
	tests := []struct {
		file      string
		prefix    string
		siteURL   string
		home      string
		dbVersion string
		collation string
		warnings  int
	}{
		{"mariadb.sql", "wp_", "http://old.test", "http://old.test", "53496", "utf8mb4_unicode_520_ci", 0},
		{"mariadb-databases.sql", "wp_", "http://old.test", "http://old.test", "53496", "utf8mb4_unicode_520_ci", 1},
		{"mysql8.sql", "shop_", "https://shop.example.com", "https://shop.example.com/store", "57155", "utf8mb4_0900_ai_ci", 0},
		{"phpmyadmin.sql", "blog_", "http://old.test", "http://old.test", "49752", "utf8mb4_general_ci", 0},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", tt.file))
			require.NoError(t, err)
			defer f.Close()
			var last int64
			rep, err := ScanSQL(context.Background(), f, func(done int64) { last = done })
			require.NoError(t, err)
			require.True(t, rep.OK(), "problems: %v", rep.Err())
			require.Len(t, rep.Problems, tt.warnings)
			require.Equal(t, tt.prefix, rep.Prefix)
			require.Equal(t, tt.siteURL, rep.SiteURL)
			require.Equal(t, tt.home, rep.Home)
			require.Equal(t, tt.dbVersion, rep.DBVersion)
			require.Contains(t, rep.Collations, tt.collation)
			st, _ := f.Stat()
			require.Equal(t, st.Size(), rep.Bytes)
			require.Equal(t, st.Size(), last, "the final progress call reports every byte")
			golden(t, strings.TrimSuffix(tt.file, ".sql")+".golden.json", summarize(rep))
		})
	}
}

func TestScanSQLMySQL8Collations(t *testing.T) {
	rep, err := ScanSQLFile(context.Background(), "testdata/mysql8.sql", nil)
	require.NoError(t, err)
	require.Equal(t, []string{"utf8mb4_0900_ai_ci", "utf8mb4_unicode_520_ci"}, rep.Collations)
	require.Equal(t, []string{"shop_options", "shop_posts", "shop_wc_orders"}, rep.Tables)
	require.Equal(t, int64(6), rep.Rows["shop_options"])
	require.Equal(t, int64(3), rep.Rows["shop_posts"])
	// A MariaDB 10.11 destination has neither MySQL 8 collation name.
	mariadb := []string{"utf8mb4_general_ci", "utf8mb4_unicode_ci", "utf8mb4_unicode_520_ci", "utf8mb4_bin"}
	require.Equal(t, []string{"utf8mb4_0900_ai_ci"}, rep.MissingCollations(mariadb))
}

// writeSQLVariants writes the same dump as .sql.gz, zip-wrapped and with a BOM.
func writeSQLVariants(t *testing.T, dir string, dump []byte) map[Kind]string {
	t.Helper()
	out := map[Kind]string{}
	gz := filepath.Join(dir, "db.sql.gz")
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(dump)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	require.NoError(t, os.WriteFile(gz, buf.Bytes(), 0o644))
	out[SQLGzip] = gz

	zp := filepath.Join(dir, "db-export.zip")
	f, err := os.Create(zp)
	require.NoError(t, err)
	w := zip.NewWriter(f)
	for _, e := range []struct{ name, body string }{{"__MACOSX/._database.sql", "junk"}, {"readme.txt", "hi"}, {"backup/database.sql", string(dump)}} {
		ew, err := w.Create(e.name)
		require.NoError(t, err)
		_, err = ew.Write([]byte(e.body))
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	require.NoError(t, f.Close())
	out[SQLZip] = zp

	plain := filepath.Join(dir, "bom.sql")
	require.NoError(t, os.WriteFile(plain, append([]byte("\xef\xbb\xbf"), dump...), 0o644))
	out[SQL] = plain
	return out
}

func TestOpenSQLKinds(t *testing.T) {
	dump, err := os.ReadFile("testdata/mariadb.sql")
	require.NoError(t, err)
	want, err := ScanSQL(context.Background(), bytes.NewReader(dump), nil)
	require.NoError(t, err)
	for kind, p := range writeSQLVariants(t, t.TempDir(), dump) {
		t.Run(kind.String(), func(t *testing.T) {
			rc, k, err := OpenSQL(p)
			require.NoError(t, err)
			require.Equal(t, kind, k)
			got, err := io.ReadAll(rc)
			require.NoError(t, err)
			require.NoError(t, rc.Close())
			require.Equal(t, string(dump), string(got), "OpenSQL yields the plain dump, BOM removed")

			var calls, lastDone, lastTotal int64
			rep, err := ScanSQLFile(context.Background(), p, func(done, total int64) { calls++; lastDone, lastTotal = done, total })
			require.NoError(t, err)
			require.Equal(t, summarize(want), summarize(rep))
			st, _ := os.Stat(p)
			require.Positive(t, calls)
			require.Equal(t, st.Size(), lastTotal, "progress counts bytes of the file on disk")
			require.Positive(t, lastDone)
		})
	}
}

func TestScanSQLBadInput(t *testing.T) {
	dump, err := os.ReadFile("testdata/mariadb.sql")
	require.NoError(t, err)
	cut := func(marker string, extra int) []byte {
		i := bytes.Index(dump, []byte(marker))
		require.Positive(t, i, marker)
		return dump[:i+extra]
	}
	png := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 100)...)
	random := make([]byte, 8192)
	rand.NewChaCha8([32]byte{1}).Read(random)
	tests := []struct {
		name  string
		input []byte
		kind  error
		msg   string
	}{
		{"empty", nil, ErrEmpty, "Database dump file is missing, empty, or corrupt: the file is empty"},
		{"blank lines", []byte("\n\n  \r\n"), ErrEmpty, "the file is empty"},
		{"only comments", []byte("-- nothing here\n/* at all */\n"), ErrEmpty, "holds no SQL statements"},
		{"png", png, ErrNotSQL, "it is not an SQL dump (it is a PNG image)"},
		{"random bytes", random, ErrNotSQL, "it is not an SQL dump"},
		{"php file", []byte("<?php\necho 'hello';\n"), ErrNotSQL, "it is text but not SQL"},
		{"cut inside a string", cut("Draft with", 5), ErrTruncated, "it ends inside a quoted string"},
		{"cut inside a statement", cut("(2,'siteurl'", 0), ErrTruncated, "it ends in the middle of a statement"},
		{"cut inside a name", cut("CREATE TABLE `wp_po", len("CREATE TABLE `wp_po")), ErrTruncated, "it ends inside a quoted name"},
		{"cut after a backslash", []byte("INSERT INTO t VALUES ('a\\"), ErrTruncated, "inside a quoted string"},
		{"cut at a statement boundary", cut("UNLOCK TABLES;", len("UNLOCK TABLES;")), ErrTruncated, "closing \"Dump completed\" line"},
		{"no tables", []byte("SET NAMES utf8mb4;\nINSERT INTO x VALUES (1);\n"), ErrNoTables, "creates no tables"},
		{"not wordpress", []byte("CREATE TABLE users (id int);\nINSERT INTO users VALUES (1),(2);\n"), ErrNoTables, "no WordPress tables"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := ScanSQL(context.Background(), bytes.NewReader(tt.input), nil)
			require.NoError(t, err)
			require.False(t, rep.OK())
			require.ErrorIs(t, rep.Err(), tt.kind)
			require.Contains(t, rep.Err().Error(), tt.msg)
		})
	}
}

func TestScanSQLFileBadFiles(t *testing.T) {
	dir := t.TempDir()
	dump, err := os.ReadFile("testdata/mariadb.sql")
	require.NoError(t, err)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(dump)
	zw.Close()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, b, 0o644))
		return p
	}
	tests := []struct {
		name, path string
		kind       error
		msg        string
	}{
		{"missing", filepath.Join(dir, "nope.sql"), ErrMissing, "'" + filepath.Join(dir, "nope.sql") + "' cannot be opened"},
		{"empty", write("empty.sql", nil), ErrEmpty, "is empty"},
		{"truncated gzip", write("cut.sql.gz", gz.Bytes()[:gz.Len()/2]), ErrTruncated, "the compressed file is cut short"},
		{"site zip", siteZip(t, dir, nil), ErrNotSQL, "is a zip of a site without a database dump beside it"},
		{"gzip of an image", write("img.gz", gzipOf(t, []byte("\x89PNG\r\n\x1a\n"))), ErrNotSQL, "gzip-compressed but holds no SQL dump"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := ScanSQLFile(context.Background(), tt.path, nil)
			require.NoError(t, err)
			require.ErrorIs(t, rep.Err(), tt.kind)
			require.Contains(t, rep.Err().Error(), "Database dump file is missing, empty, or corrupt")
			require.Contains(t, rep.Err().Error(), tt.msg)
		})
	}
}

func gzipOf(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(b)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func TestScanSQLLexer(t *testing.T) {
	tests := []struct {
		name    string
		sql     string
		tables  []string
		siteURL string
		rows    int64 // rows in wp_options
	}{
		{"escaped quotes in values", "CREATE TABLE wp_options (option_id int, option_name varchar(9), option_value text, autoload varchar(3));\n" +
			`INSERT INTO wp_options VALUES (1,'blog\'name','x;y','yes'),(2,'siteurl','http://a.test/it''s','yes');`, []string{"wp_options"}, "http://a.test/it's", 2},
		{"semicolon in comment and string", "CREATE TABLE `wp_options` (a int); -- ; \n# ;\n/* ; */ INSERT INTO `wp_options` VALUES (1,'siteurl','https://x.test/;','y');", []string{"wp_options"}, "https://x.test/;", 1},
		{"double-quoted strings", `CREATE TABLE wp_options (a int); INSERT INTO wp_options VALUES (1,"siteurl","http://d.test/\"q\"","yes");`, []string{"wp_options"}, `http://d.test/"q"`, 1},
		{"column list reorders", "CREATE TABLE wp_options (a int); INSERT INTO wp_options (`option_value`,`option_name`) VALUES ('http://r.test','siteurl');", []string{"wp_options"}, "http://r.test", 1},
		{"db-qualified names", "CREATE TABLE `old`.`wp_options` (a int); INSERT INTO `old`.`wp_options` VALUES (1,'siteurl','http://q.test','yes');", []string{"wp_options"}, "http://q.test", 1},
		{"replace and ignore", "CREATE TABLE wp_options (a int); REPLACE INTO wp_options VALUES (1,'siteurl','http://1.test','yes'); INSERT IGNORE INTO wp_options VALUES (1,'siteurl','http://2.test','yes');", []string{"wp_options"}, "http://2.test", 2},
		{"delimiter and trigger", "CREATE TABLE wp_options (a int);\nDELIMITER $$\nCREATE TRIGGER t BEFORE INSERT ON wp_options FOR EACH ROW BEGIN SET @a = 1; SET @b = ';'; END$$\nDELIMITER ;\nCREATE TABLE wp_posts (b int);", []string{"wp_options", "wp_posts"}, "", 0},
		{"function call in tuple", "CREATE TABLE wp_options (a int); INSERT INTO wp_options VALUES (1,CONCAT('site','url'),'http://f.test','yes'),(2,'siteurl','http://g.test','yes');", []string{"wp_options"}, "http://g.test", 2},
		{"CRLF line ends", "CREATE TABLE wp_options (a int);\r\nINSERT INTO wp_options VALUES\r\n(1,'siteurl','http://crlf.test','yes');\r\n", []string{"wp_options"}, "http://crlf.test", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, chunk := range []int{1, 2, 3, 7, 1 << 20} {
				rep, err := ScanSQL(context.Background(), &chunkReader{b: []byte(tt.sql), n: chunk}, nil)
				require.NoError(t, err)
				require.NotErrorIs(t, rep.Err(), ErrTruncated, "chunk %d", chunk)
				require.Equal(t, tt.tables, rep.Tables, "chunk %d", chunk)
				require.Equal(t, tt.siteURL, rep.SiteURL, "chunk %d", chunk)
				require.Equal(t, tt.rows, rep.Rows["wp_options"], "chunk %d", chunk)
			}
		})
	}
}

// chunkReader returns at most n bytes per Read, to cut tokens at every position.
type chunkReader struct {
	b []byte
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), c.n)], c.b)
	c.b = c.b[k:]
	return k, nil
}

func TestScanSQLCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := ScanSQL(ctx, strings.NewReader("CREATE TABLE wp_options (a int);"), nil)
	require.ErrorIs(t, err, context.Canceled)
}

func FuzzScanSQL(f *testing.F) {
	for _, name := range []string{"mariadb.sql", "mysql8.sql", "phpmyadmin.sql"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		require.NoError(f, err)
		f.Add(b, uint8(3))
	}
	f.Add([]byte("INSERT INTO wp_options VALUES (1,'siteurl','\\"), uint8(1))
	f.Add([]byte("DELIMITER ;;\nSELECT 1;;\n/*!50003 x */;;"), uint8(2))
	f.Fuzz(func(t *testing.T, b []byte, chunk uint8) {
		whole, err := ScanSQL(context.Background(), bytes.NewReader(b), nil)
		require.NoError(t, err)
		if !errors.Is(whole.Err(), ErrNotSQL) && !errors.Is(whole.Err(), ErrEmpty) {
			require.Equal(t, int64(len(b)), whole.Bytes, "a dump is read to the end")
		}
		// However the input is cut into reads, the report is the same.
		split, err := ScanSQL(context.Background(), &chunkReader{b: b, n: int(chunk%16) + 1}, nil)
		require.NoError(t, err)
		require.Equal(t, summarize(whole), summarize(split))
	})
}
