package archive

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDumpNeverLandsInTheDocroot: database.sql (and a compressed backup anywhere) inside the
// site zip are reported by Verify and never extracted; a plugin's install.sql is.
func TestDumpNeverLandsInTheDocroot(t *testing.T) {
	dir := t.TempDir()
	p := writeZip(t, filepath.Join(dir, "site.zip"), append(wpFiles("public_html/"),
		zfile{name: "public_html/database.sql", body: []byte("CREATE TABLE wp_users (ID int);\n")},
		zfile{name: "public_html/wp-content/backups/site.sql.gz", body: []byte("gz")},
		zfile{name: "public_html/wp-content/plugins/x/install.sql", body: []byte("-- plugin schema\n")},
	))
	rep, err := VerifyZip(context.Background(), p, Limits{}, nil)
	require.NoError(t, err)
	require.NoError(t, rep.Err(), "a dump in the zip is a warning, not a refusal")
	var warned bool
	for _, pr := range rep.Problems {
		if errors.Is(pr, ErrDumpInArchive) {
			warned = true
			require.True(t, pr.Warning)
			// database.sql beside the site is the dump Ferry imports (plan.go); another dump,
			// such as a compressed backup, is a warning and stays out of the upload.
			require.Contains(t, pr.Message, "'public_html/wp-content/backups/site.sql.gz' in the archive is a database dump")
		}
	}
	require.True(t, warned)
	require.Equal(t, len(wpFiles(""))+1, rep.Files, "counted without the dumps")

	out := t.TempDir()
	st, err := Extract(context.Background(), p, &osTree{root: out}, ExtractOptions{})
	require.NoError(t, err)
	require.EqualValues(t, rep.Files, st.Files)
	for _, gone := range []string{"database.sql", "wp-content/backups/site.sql.gz"} {
		_, err := os.Stat(filepath.Join(out, gone))
		require.ErrorIs(t, err, os.ErrNotExist, gone)
	}
	_, err = os.Stat(filepath.Join(out, "wp-content/plugins/x/install.sql"))
	require.NoError(t, err)
}

func TestIsDump(t *testing.T) {
	for p, want := range map[string]bool{
		"database.sql": true, "Backup.SQL": true, "db.sql.gz": true, "wp-content/updraft/db.sql.zip": true,
		"wp-content/plugins/x/install.sql": false, "sql.php": false, "readme.sql.txt": false,
	} {
		require.Equal(t, want, IsDump(p), p)
	}
}
