package pipeline_test

import (
	"database/sql"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"ferry/backend/pipeline/oracle"
	"ferry/backend/service"
)

// dsnOf is the DSN of a database as a migration's input names it.
func dsnOf(db service.DatabaseInput) string {
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.DBName = db.User, db.Password, "tcp", db.Name
	cfg.Addr = db.Host + ":" + strconv.Itoa(db.Port)
	return cfg.FormatDSN()
}

// checkDestination checks a Successful migration against the oracle: every file's
// SHA-256 against the source tree, every row against the source rewritten by PHP,
// wp-config.php as PHP reads it (and a login with what it says), and the report's
// figures against counts read from the destination.
func checkDestination(t *testing.T, h *harness, id int64, in service.CreateInput, srcDir, destDir string) {
	t.Helper()
	files := oracle.Files(t, srcDir, destDir, "wp-config.php")

	cfg := oracle.Config(t, filepath.Join(destDir, "wp-config.php"))
	require.Equal(t, in.Destination.DB.Name, cfg.Name, "DB_NAME")
	require.Equal(t, in.Destination.DB.User, cfg.User, "DB_USER")
	require.Equal(t, in.Destination.DB.Password, cfg.Password, "DB_PASSWORD")
	dst := oracle.Login(t, cfg)

	src, err := sql.Open("mysql", dsnOf(in.Source.DB))
	require.NoError(t, err)
	defer src.Close()
	oldURL := in.OldURL
	if oldURL == "" {
		oldURL = h.results(t, id).OldURL
	}
	counts := oracle.Rows(t, src, dst, oldURL, in.NewURL)

	res := h.results(t, id)
	require.NotNil(t, res.Import)
	oracle.Report(t, "rows imported", res.Import.Rows, oracle.Sum(counts))
	oracle.Report(t, "tables imported", int64(res.Import.Tables), int64(len(counts)))
	require.NotNil(t, res.Upload)
	oracle.Report(t, "files uploaded", res.Upload.Files, int64(files))
	if in.Method != "manual" { // a manual migration has no export to count the source
		for table, n := range counts {
			oracle.Report(t, "source rows of "+table, res.SourceRows[table], n)
		}
	}
}
