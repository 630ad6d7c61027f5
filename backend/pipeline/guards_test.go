package pipeline_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/mysqldb/mysqltest"
	"ferry/backend/pipeline/oracle"
	"ferry/backend/service"
	"ferry/backend/transfer/transfertest"
)

// TestRefusesNonEmptyDestination: without Overwrite, a docroot holding a file or a
// database holding a table is refused at Check destination, and both are left exactly as
// they were: nothing of the site is written next to them.
func TestRefusesNonEmptyDestination(t *testing.T) {
	for _, tc := range []struct {
		name, reason string
		file, table  bool
	}{
		{"docroot", "Destination folder / is not empty", true, false},
		{"database", "Destination database ", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			in, _, destDir, dstDSN := sftpToFTP(t)
			live := []byte("<html>the live site</html>\n")
			if tc.file {
				require.NoError(t, os.WriteFile(filepath.Join(destDir, "index.html"), live, 0o644))
			}
			dst, err := sql.Open("mysql", dstDSN)
			require.NoError(t, err)
			defer dst.Close()
			if tc.table {
				_, err = dst.Exec("CREATE TABLE live_orders (id INT PRIMARY KEY, what VARCHAR(40))")
				require.NoError(t, err)
				_, err = dst.Exec("INSERT INTO live_orders VALUES (1, 'keep me')")
				require.NoError(t, err)
			}
			before := oracle.Tree(t, destDir)

			d, err := h.svc.CreateMigration(context.Background(), in)
			require.NoError(t, err)
			d = h.waitDone(t, d.ID)
			require.Equal(t, "failed", d.Status, "a live %s must be refused without Overwrite", tc.name)
			require.Equal(t, "check_destination", d.CurrentStep)
			require.True(t, strings.HasPrefix(d.FailureReason, tc.reason), d.FailureReason)

			require.Equal(t, before, oracle.Tree(t, destDir), "the docroot is unchanged")
			counts := oracle.Counts(t, dst)
			if tc.table {
				require.Equal(t, map[string]int64{"live_orders": 1}, counts, "no table of the site was created")
				var what string
				require.NoError(t, dst.QueryRow("SELECT what FROM live_orders WHERE id = 1").Scan(&what))
				require.Equal(t, "keep me", what)
			} else {
				require.Empty(t, counts, "no table of the site was created")
			}
		})
	}
}

// TestRetryKeepsFinishedTables fails the first import on its last table (the
// destination account may not INSERT into wp_posts, which a one-connection export
// writes last), marks a row of the tables it finished, and retries: the finished table must not be imported again (the mark
// survives), the rest must arrive, and the result must match the oracle.
func TestRetryKeepsFinishedTables(t *testing.T) {
	h := newHarness(t)
	// One export connection writes the tables whole, in name order: wp_posts comes last.
	h.pipe.DumpWorkers = 1
	in, s, destDir, _ := sftpToFTP(t)
	root, err := sql.Open("mysql", mysqltest.ServerDSN(t))
	require.NoError(t, err)
	defer root.Close()
	// A destination account of its own with table grants only: all on wp_options and
	// wp_postmeta, no INSERT on wp_posts.
	user := "ferry_g_" + randHex(t)
	pass := "Gr4nt-" + randHex(t)
	db := in.Destination.DB.Name
	t.Cleanup(func() { mysqltest.DropUser(t, user) })
	for _, q := range []string{
		fmt.Sprintf("CREATE USER '%s'@'%%' IDENTIFIED BY '%s'", user, pass),
		fmt.Sprintf("GRANT ALL ON `%s`.`wp_postmeta` TO '%s'@'%%'", db, user),
		fmt.Sprintf("GRANT ALL ON `%s`.`wp_options` TO '%s'@'%%'", db, user),
		fmt.Sprintf("GRANT CREATE, DROP, ALTER, INDEX, SELECT ON `%s`.`wp_posts` TO '%s'@'%%'", db, user),
	} {
		_, err := root.Exec(q)
		require.NoError(t, err, q)
	}
	in.Destination.DB.User, in.Destination.DB.Password = user, pass

	d, err := h.svc.CreateMigration(context.Background(), in)
	require.NoError(t, err)
	d = h.waitDone(t, d.ID)
	require.Equal(t, "failed", d.Status)
	require.Equal(t, "import_database", d.CurrentStep, d.FailureReason)
	res := h.results(t, d.ID)
	require.NotEmpty(t, res.ImportedTables, "the first attempt finished a table (%s)", d.FailureReason)
	require.NotContains(t, res.ImportedTables, "wp_posts")

	dstRoot, err := sql.Open("mysql", dsnOf(service.DatabaseInput{Host: in.Destination.DB.Host, Port: in.Destination.DB.Port,
		User: mysqltest.Config(t, mysqltest.ServerDSN(t)).User, Password: mysqltest.Config(t, mysqltest.ServerDSN(t)).Passwd, Name: db}))
	require.NoError(t, err)
	defer dstRoot.Close()
	var n int
	require.NoError(t, dstRoot.QueryRow("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = 'wp_posts'", db).Scan(&n))
	require.Zero(t, n, "the table the import could not finish was dropped")
	// The mark: a value no import writes, in every table the first attempt finished. A
	// second import of that table would reset it.
	marks := map[string][2]string{
		"wp_options":  {"UPDATE wp_options SET autoload = 'marker' WHERE option_name = 'blogname'", "SELECT autoload FROM wp_options WHERE option_name = 'blogname'"},
		"wp_postmeta": {"UPDATE wp_postmeta SET meta_key = 'marker' WHERE meta_id = 1", "SELECT meta_key FROM wp_postmeta WHERE meta_id = 1"},
	}
	for _, table := range res.ImportedTables {
		_, err = dstRoot.Exec(marks[table][0])
		require.NoError(t, err, table)
	}

	_, err = root.Exec(fmt.Sprintf("GRANT INSERT, CREATE ON `%s`.`wp_posts` TO '%s'@'%%'", db, user))
	require.NoError(t, err)
	_, err = h.svc.RetryMigration(context.Background(), d.ID, false)
	require.NoError(t, err)
	d = h.waitDone(t, d.ID)
	require.Equal(t, "successful", d.Status, d.FailureReason)
	for _, table := range res.ImportedTables {
		var mark string
		require.NoError(t, dstRoot.QueryRow(marks[table][1]).Scan(&mark))
		require.Equal(t, "marker", mark, "Retry imported the finished table %s again", table)
	}
	require.NoError(t, dstRoot.QueryRow("SELECT COUNT(*) FROM wp_posts").Scan(&n))
	require.Equal(t, 60, n)
	files := oracle.Files(t, s.Dir, destDir, "wp-config.php")
	require.Positive(t, files)
}

// TestDatabaseOnlyThroughTheTunnel: the source's wp-config.php says DB_HOST is
// localhost on a port where nothing listens on this machine; only the SSH server maps
// that address to MariaDB, so the migration can succeed only through the tunnel. The
// database password it reads from wp-config.php (a real, non-empty one of an account of
// its own) must appear in no log line, event, failure reason, details or report.
func TestDatabaseOnlyThroughTheTunnel(t *testing.T) {
	h := newHarness(t)
	in, s, destDir, _ := sftpToFTP(t)
	srcName := in.Source.DB.Name
	user, pass := in.Source.DB.User, in.Source.DB.Password
	require.NotEmpty(t, pass)
	_, fake := transfertest.RefusedAddr(t)
	mysqlAddr := net.JoinHostPort(in.Source.DB.Host, strconv.Itoa(in.Source.DB.Port))
	s = makeSiteIn(t, s.Dir, srcName, user, pass, "localhost:"+strconv.Itoa(fake))
	tunnel := transfertest.StartSFTP(t, s.Dir, transfertest.SFTPOptions{AllowTCPForwarding: true, ForwardTo: map[string]string{
		"127.0.0.1:" + strconv.Itoa(fake): mysqlAddr,
		"localhost:" + strconv.Itoa(fake): mysqlAddr,
	}})
	in.Source.Host, in.Source.Port = tunnel.Host, tunnel.Port
	in.Source.DB = service.DatabaseInput{FromWPConfig: true, SSHTunnel: true}

	d, err := h.svc.CreateMigration(context.Background(), in)
	require.NoError(t, err)
	d = h.waitDone(t, d.ID)
	require.Equal(t, "successful", d.Status, d.FailureReason)
	require.Positive(t, tunnel.Forwards.Load(), "the database was reached through SSH forwards")
	in.Source.DB = service.DatabaseInput{Host: "127.0.0.1", Port: portOf(t, mysqlAddr), User: user, Password: pass, Name: srcName}
	checkDestination(t, h, d.ID, in, s.Dir, destDir)

	// Every text Ferry shows or writes about this migration.
	var texts []string
	logs, err := h.svc.GetLogs(context.Background(), d.ID, 0, 1000)
	require.NoError(t, err)
	require.NotEmpty(t, logs)
	for _, l := range logs {
		texts = append(texts, l.Message)
	}
	for _, e := range h.events.Events("") {
		b, err := json.Marshal(e.Payload)
		require.NoError(t, err)
		texts = append(texts, string(b))
	}
	detail, err := h.svc.GetMigration(context.Background(), d.ID)
	require.NoError(t, err)
	b, err := json.Marshal(detail)
	require.NoError(t, err)
	texts = append(texts, string(b))
	for _, format := range []string{"json", "csv"} {
		out := filepath.Join(t.TempDir(), "report."+format)
		_, err = h.svc.ExportReport(context.Background(), service.ExportInput{Format: format, Path: out, IDs: []int64{d.ID}})
		require.NoError(t, err)
		b, err := os.ReadFile(out)
		require.NoError(t, err)
		require.Contains(t, string(b), in.Domain, "the %s report describes the migration", format)
		texts = append(texts, string(b))
	}
	var found bool
	for _, tx := range texts {
		require.NotContains(t, tx, pass, "the database password read from wp-config.php leaked")
		found = found || strings.Contains(tx, "Source database "+srcName)
	}
	require.True(t, found, "the log names the source database it analysed")
}

func portOf(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	n, err := strconv.Atoi(p)
	require.NoError(t, err)
	return n
}

func randHex(t *testing.T) string {
	t.Helper()
	var b [5]byte
	_, err := rand.Read(b[:])
	require.NoError(t, err)
	return fmt.Sprintf("%x", b)
}
