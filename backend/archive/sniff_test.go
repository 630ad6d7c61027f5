package archive

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSniff(t *testing.T) {
	dir := t.TempDir()
	dump, err := os.ReadFile("testdata/mysql8.sql")
	require.NoError(t, err)
	variants := writeSQLVariants(t, dir, dump)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, b, 0o644))
		return p
	}
	random := make([]byte, 10000)
	rand.NewChaCha8([32]byte{9}).Read(random)
	tar := make([]byte, 1024)
	copy(tar[257:], "ustar")
	site := siteZip(t, t.TempDir(), nil)
	bundled := writeZip(t, filepath.Join(dir, "site-with-db.zip"), append(wpFiles(""), zfile{name: "backup.sql", body: dump}))
	fakeSQLZip := writeZip(t, filepath.Join(dir, "fake.zip"), []zfile{{name: "db.sql", body: []byte("\x89PNG\r\n")}})
	emptyZip := writeZip(t, filepath.Join(dir, "empty.zip"), nil)
	corrupt, err := os.ReadFile(site)
	require.NoError(t, err)

	tests := []struct {
		name string
		path string
		kind Kind
		err  error
	}{
		{"site zip", site, SiteZip, nil},
		{"site zip with a dump inside", bundled, SiteZip, nil},
		{"empty zip is a site zip (Verify says what is missing)", emptyZip, SiteZip, nil},
		{"plain sql", "testdata/mariadb.sql", SQL, nil},
		{"sql with BOM", variants[SQL], SQL, nil},
		{"sql.gz named .gz", variants[SQLGzip], SQLGzip, nil},
		{"zip holding the sql", variants[SQLZip], SQLZip, nil},
		{"sql named .txt", write("dump.txt", dump), SQL, nil},
		{"zip named .sql", write("looks.sql", mustRead(t, site)), SiteZip, nil},
		{"png", write("a.png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")), Unknown, ErrUnrecognized},
		{"random bytes", write("r.bin", random), Unknown, ErrUnrecognized},
		{"empty file", write("e.sql", nil), Unknown, ErrEmpty},
		{"blank file", write("b.sql", []byte("\n\n\t\n")), Unknown, ErrEmpty},
		{"tar.gz", write("s.tar.gz", gzipOf(t, tar)), Unknown, ErrUnrecognized},
		{"gzip of an image", write("i.gz", gzipOf(t, []byte("\x89PNG\r\n"))), Unknown, ErrNotSQL},
		{"zip whose .sql is not SQL", fakeSQLZip, Unknown, ErrNotSQL},
		{"truncated zip", write("cut.zip", corrupt[:len(corrupt)/2]), Unknown, ErrCorrupt},
		{"missing", filepath.Join(dir, "nope.zip"), Unknown, ErrMissing},
		{"folder", dir, Unknown, ErrUnrecognized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := Sniff(tt.path)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				require.Equal(t, Unknown, k)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.kind, k)
		})
	}
}

func mustRead(t *testing.T, p string) []byte {
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	return b
}

func TestAttach(t *testing.T) {
	wd, err := os.Getwd()
	require.NoError(t, err)
	a, err := Attach("testdata/mysql8.sql")
	require.NoError(t, err)
	st, err := os.Stat("testdata/mysql8.sql")
	require.NoError(t, err)
	require.Equal(t, Attachment{Path: filepath.Join(wd, "testdata/mysql8.sql"), Size: st.Size(), Kind: SQL}, a)
	require.Equal(t, "sql", a.Kind.String())
	require.True(t, a.Kind.IsSQL())

	_, err = Attach(filepath.Join(t.TempDir(), "gone.zip"))
	require.ErrorIs(t, err, ErrMissing)
	require.Contains(t, err.Error(), "cannot be opened")
}

func TestKindString(t *testing.T) {
	for k, s := range map[Kind]string{Unknown: "unknown", SiteZip: "site_zip", SQL: "sql", SQLGzip: "sql_gz", SQLZip: "sql_zip"} {
		require.Equal(t, s, k.String())
	}
	require.False(t, SiteZip.IsSQL())
}
