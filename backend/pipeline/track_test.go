package pipeline_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/mysqldb/mysqltest"
)

// TestExportFailingMidwayStopsTheImport runs the database track (export and import side by
// side with the file download) against a source whose database user may read only the key
// of wp_postmeta: the export writes wp_options, then fails on wp_postmeta while the
// import may be reading the dump as it grows (TestImportReadsTheDumpAsItGrows checks that
// part without a race). (INSERT lets the user read the table's
// definition and SELECT on meta_id its key range, so the dump fails only at its rows.) The migration must fail at Export database with
// the cause, leave no half-imported table at the destination, and, once the user may read
// everything, Retry must complete it without importing wp_options a second time.
func TestExportFailingMidwayStopsTheImport(t *testing.T) {
	h := newHarness(t)
	in, _, _, dstDSN := sftpToFTP(t)
	root, err := sql.Open("mysql", mysqltest.ServerDSN(t))
	require.NoError(t, err)
	defer root.Close()
	user := fmt.Sprintf("ferry_lim_%d", time.Now().UnixNano()%1e9)
	pass := "Lim1ted-pass"
	db := in.Source.DB.Name
	for _, q := range []string{
		fmt.Sprintf("CREATE USER '%s'@'%%' IDENTIFIED BY '%s'", user, pass),
		fmt.Sprintf("GRANT SELECT ON `%s`.`wp_options` TO '%s'@'%%'", db, user),
		fmt.Sprintf("GRANT SELECT ON `%s`.`wp_posts` TO '%s'@'%%'", db, user),
		fmt.Sprintf("GRANT INSERT, SELECT (meta_id) ON `%s`.`wp_postmeta` TO '%s'@'%%'", db, user),
	} {
		_, err := root.Exec(q)
		require.NoError(t, err, q)
	}
	// On a connection of its own: root is closed by the time cleanups run.
	t.Cleanup(func() { mysqltest.DropUser(t, user) })
	in.Source.DB.User, in.Source.DB.Password = user, pass

	d, err := h.svc.CreateMigration(context.Background(), in)
	require.NoError(t, err)
	d = h.waitDone(t, d.ID)
	require.Equal(t, "failed", d.Status)
	require.True(t, strings.HasPrefix(d.FailureReason, "Cannot dump MySQL database on remote server"), d.FailureReason)
	require.Equal(t, "export_database", d.CurrentStep, "the run fails at the step whose work failed")
	require.NotContains(t, d.FailureReason, pass)

	dst, err := sql.Open("mysql", dstDSN)
	require.NoError(t, err)
	defer dst.Close()
	tables := func() []string {
		rows, err := dst.Query("SHOW TABLES")
		require.NoError(t, err)
		defer rows.Close()
		var out []string
		for rows.Next() {
			var n string
			require.NoError(t, rows.Scan(&n))
			out = append(out, n)
		}
		return out
	}
	require.NotContains(t, tables(), "wp_postmeta", "no half-imported table is left behind")
	logs, err := h.svc.GetLogs(context.Background(), d.ID, 0, 1000)
	require.NoError(t, err)
	var ahead bool
	for _, l := range logs {
		ahead = ahead || l.Step == "export_database" && strings.Contains(l.Message, "while the files download")
	}
	require.True(t, ahead, "the export ran alongside the download")

	_, err = root.Exec(fmt.Sprintf("GRANT SELECT ON `%s`.* TO '%s'@'%%'", db, user))
	require.NoError(t, err)
	_, err = h.svc.RetryMigration(context.Background(), d.ID, false)
	require.NoError(t, err)
	d = h.waitDone(t, d.ID)
	require.Equal(t, "successful", d.Status, d.FailureReason)
	require.ElementsMatch(t, []string{"wp_options", "wp_postmeta", "wp_posts"}, tables())
	var n int
	require.NoError(t, dst.QueryRow("SELECT COUNT(*) FROM wp_postmeta").Scan(&n))
	require.Equal(t, 120, n)
	require.NoError(t, dst.QueryRow("SELECT COUNT(*) FROM wp_options").Scan(&n))
	require.Equal(t, 5, n)
}
