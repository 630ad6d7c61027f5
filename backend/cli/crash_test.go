package cli

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/migration"
	"ferry/backend/mysqldb/mysqltest"
	"ferry/backend/pipeline"
	"ferry/backend/pipeline/sitetest"
	"ferry/backend/service"
	"ferry/backend/store"
	"ferry/backend/transfer/transfertest"
)

// crashSite is one migration's world: a source site and database behind SFTP, an empty
// SFTP destination and destination database, each reached through a meterProxy, and the
// job file of `ferry migrate`.
type crashSite struct {
	dataDir, siteDir, destDir, spec string
	src, dst                        *sql.DB
	srcFiles, dstFiles, dstSQL      *meterProxy
	siteBytes                       int64
	sqlBytes                        int64 // row payload of the big tables, for the import's mark
	srcRows                         map[string]int64
}

const (
	// A retry re-imports the table the kill cut, so many middling tables (as WordPress
	// sites have) rather than a few huge ones.
	bigTables  = 40
	rowsPerBig = 1200
)

// bigFileSizes are over the 1 MiB resume threshold, and not round numbers. The video is
// over half the site's bytes: many files are in flight at once, so a smaller one could
// be whole by the time half the site has moved, and its resume would go untested.
var bigFileSizes = []int{12<<20 + 333_333, 3<<19 + 4099}

func newCrashSite(t *testing.T) *crashSite {
	t.Helper()
	t.Setenv("FERRY_KEYRING", "off")
	c := &crashSite{dataDir: t.TempDir(), siteDir: t.TempDir(), destDir: t.TempDir()}

	srcCfg, srcName := sitetest.SourceDB(t)
	src, err := sql.Open("mysql", srcCfg.FormatDSN())
	require.NoError(t, err)
	t.Cleanup(func() { src.Close() })
	c.src = src
	for i := 1; i <= bigTables; i++ {
		_, err := src.Exec(fmt.Sprintf("CREATE TABLE wp_big%d (id INT NOT NULL PRIMARY KEY, k INT NOT NULL, payload TEXT NOT NULL, KEY k (k)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4", i))
		require.NoError(t, err)
		for from := 1; from <= rowsPerBig; from += 500 {
			var q strings.Builder
			var args []any
			fmt.Fprintf(&q, "INSERT INTO wp_big%d (id, k, payload) VALUES ", i)
			for n := from; n < from+500 && n <= rowsPerBig; n++ {
				if n > from {
					q.WriteString(",")
				}
				q.WriteString("(?, ?, ?)")
				h := md5.Sum([]byte(strconv.Itoa(n * i)))
				args = append(args, n, n%97, fmt.Sprintf("row %d of table %d: %s", n, i, strings.Repeat(hex.EncodeToString(h[:]), 4)))
			}
			_, err = src.Exec(q.String(), args...)
			require.NoError(t, err)
		}
		var n int64
		require.NoError(t, src.QueryRow(fmt.Sprintf("SELECT SUM(LENGTH(payload) + 16) FROM wp_big%d", i)).Scan(&n))
		c.sqlBytes += n
	}
	c.srcRows = rowCounts(t, src)

	// Mirror copies largest first: while one worker is inside the big video, the others
	// get through the uploads, so a kill at half the bytes cuts the video in the middle
	// and leaves many small files finished.
	sitetest.WriteSite(t, c.siteDir, srcName, srcCfg.User, srcCfg.Passwd, srcCfg.Addr, sitetest.Options{Images: 200, ImageSize: 20000})
	for i, size := range bigFileSizes {
		b := make([]byte, size)
		_, _ = rand.Read(b)
		p := filepath.Join(c.siteDir, "wp-content", "uploads", "2024", "03", fmt.Sprintf("video-%d.mp4", i))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, b, 0o644))
	}
	require.NoError(t, filepath.Walk(c.siteDir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			c.siteBytes += fi.Size()
		}
		return err
	}))

	srcSFTP := transfertest.StartSFTP(t, c.siteDir, transfertest.SFTPOptions{})
	dstSFTP := transfertest.StartSFTP(t, c.destDir, transfertest.SFTPOptions{})
	c.srcFiles = startMeterProxy(t, srcSFTP.Addr())
	c.dstFiles = startMeterProxy(t, dstSFTP.Addr())
	dstDSN, dstName := mysqltest.NewDatabase(t)
	dstCfg := mysqltest.Config(t, dstDSN)
	c.dstSQL = startMeterProxy(t, dstCfg.Addr)
	dst, err := sql.Open("mysql", dstDSN)
	require.NoError(t, err)
	t.Cleanup(func() { dst.Close() })
	c.dst = dst

	shost, sport, err := net.SplitHostPort(srcCfg.Addr)
	require.NoError(t, err)
	sp, _ := strconv.Atoi(sport)
	in := service.CreateInput{
		Method: "sftp", UserName: "Kay Killed", UserEmail: "kay@example.com", Service: "Business 10GB",
		Domain: "new-site.example.com", OldURL: sitetest.OldURL, NewURL: "https://www.new-site.example.com:8080/blog",
		Source: service.EndpointInput{Protocol: "sftp", Host: "127.0.0.1", Port: c.srcFiles.port(), User: srcSFTP.User,
			Password: srcSFTP.Password, Path: ".",
			DB: service.DatabaseInput{Host: shost, Port: sp, User: srcCfg.User, Password: srcCfg.Passwd, Name: srcName}},
		Destination: service.EndpointInput{Protocol: "sftp", Host: "127.0.0.1", Port: c.dstFiles.port(), User: dstSFTP.User,
			Password: dstSFTP.Password, Path: ".",
			DB: service.DatabaseInput{Host: "127.0.0.1", Port: c.dstSQL.port(), User: dstCfg.User, Password: dstCfg.Passwd, Name: dstName}},
	}
	raw, err := json.Marshal(Spec{CreateInput: in})
	require.NoError(t, err)
	c.spec = filepath.Join(t.TempDir(), "job.json")
	require.NoError(t, os.WriteFile(c.spec, raw, 0o600))
	return c
}

// crashAt starts `ferry migrate`, kills it (SIGKILL) at about half of step's work and
// returns the migration's ID. The proxy in front of what the step moves freezes at half
// its bytes (files: every connection; the import: its loading connection) and Ferry is
// killed then; an import is held there until Import database is the current step.
func (c *crashSite) crashAt(t *testing.T, step migration.StepID) int64 {
	t.Helper()
	var tripped <-chan struct{}
	switch step {
	case migration.StepDownloadFiles:
		tripped = c.srcFiles.freezeAt(c.siteBytes/2, false, false)
	case migration.StepUploadFiles:
		tripped = c.dstFiles.freezeAt(c.siteBytes/2, true, false)
	case migration.StepImportDatabase:
		// only the loading connection: the index builds queued behind it go on, as
		// they would in a process that is simply halfway through the rows
		// (the mark is a little over half the row payload: the protocol adds its own bytes)
		tripped = c.dstSQL.freezeAt(c.sqlBytes*55/100, true, true)
	}
	ch := startFerry(t, c.dataDir, "migrate", "--spec", c.spec)
	select {
	case <-tripped:
	case <-ch.done:
		t.Fatalf("ferry migrate ended before the kill; its log:\n%s", ch.log())
	case <-time.After(3 * time.Minute):
		t.Fatalf("ferry migrate never reached half of %s; its log:\n%s", step, ch.log())
	}
	if step == migration.StepImportDatabase {
		select {
		case <-ch.seen("Import database started"):
		case <-time.After(3 * time.Minute):
			t.Fatalf("ferry migrate never reached Import database; its log:\n%s", ch.log())
		}
	}
	ch.kill9(t)
	for _, p := range []*meterProxy{c.srcFiles, c.dstFiles, c.dstSQL} {
		p.thaw() // the dead process's sockets close, as the kernel closes them
	}
	ch.mu.Lock()
	out := strings.TrimSpace(ch.stdout.String())
	ch.mu.Unlock()
	id, err := strconv.ParseInt(out, 10, 64)
	require.NoError(t, err, "ferry migrate printed %q", out)
	time.Sleep(300 * time.Millisecond) // the server notices the dead connections
	return id
}

// requireInterrupted checks what `ferry list` says right after the kill.
func (c *crashSite) requireInterrupted(t *testing.T, id int64, steps ...migration.StepID) {
	t.Helper()
	code, out, errOut := runFerry(t, c.dataDir, "list", "--tab", "failed", "--json")
	require.Equal(t, 0, code, errOut)
	var res service.ListResult
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	require.Len(t, res.Rows, 1, out)
	require.Equal(t, id, res.Rows[0].ID)
	require.Equal(t, "failed", res.Rows[0].Status)
	var reasons []string
	for _, step := range steps {
		reasons = append(reasons, migration.InterruptedReason(step))
	}
	require.Contains(t, reasons, res.Rows[0].FailureReason)
	code, out, errOut = runFerry(t, c.dataDir, "list", "--json")
	require.Equal(t, 0, code, errOut)
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	require.Empty(t, res.Rows, "a killed run is no longer In Progress")
}

// results reads the migration's recorded results from the history.
func (c *crashSite) results(t *testing.T, id int64) pipeline.Results {
	t.Helper()
	st, err := store.Open(context.Background(), c.dataDir)
	require.NoError(t, err)
	defer st.Close()
	raw, err := st.Results(context.Background(), id)
	require.NoError(t, err)
	var r pipeline.Results
	require.NoError(t, json.Unmarshal(raw, &r))
	return r
}

// requireDestinationIsSource compares the destination itself with the source: every
// file's SHA-256 (wp-config.php is rewritten on purpose) and every table's row count.
func (c *crashSite) requireDestinationIsSource(t *testing.T) {
	t.Helper()
	want := treeHashes(t, c.siteDir, "wp-config.php")
	got := treeHashes(t, c.destDir, "wp-config.php")
	require.Equal(t, len(want), len(got), "file count")
	for p, h := range want {
		require.Equal(t, h, got[p], "SHA-256 of %s", p)
	}
	_, err := os.Stat(filepath.Join(c.destDir, "wp-config.php"))
	require.NoError(t, err)
	require.Equal(t, c.srcRows, rowCounts(t, c.dst), "row counts per table")
}

var importedRe = regexp.MustCompile(`Imported (\d+) tables, (\d+) rows`)

// TestKill9ThenRetryResumes kills a real `ferry migrate` process (SIGKILL) at about half
// of Download files, Upload files and Import database, then runs `ferry retry`: right
// after the kill `ferry list` shows the run Failed "Interrupted", the retry says what it
// resumes, moves under 60% of the killed step's bytes and rows, ends Successful (Validate
// passed), and the destination holds the source's files (SHA-256) and rows. After the
// import kill a row is added to (and one removed from) a table the import had finished:
// the retry must leave that table alone.
func TestKill9ThenRetryResumes(t *testing.T) {
	var table []string
	defer func() {
		t.Log("step killed at | attempt 1 | retry | verdict")
		for _, l := range table {
			t.Log(l)
		}
	}()
	for _, step := range []migration.StepID{migration.StepDownloadFiles, migration.StepUploadFiles, migration.StepImportDatabase} {
		t.Run(string(step), func(t *testing.T) {
			c := newCrashSite(t)
			id := c.crashAt(t, step)
			_, srcDown1 := c.srcFiles.bytes()
			dstUp1, _ := c.dstFiles.bytes()
			rows1 := sum(rowCounts(t, c.dst))
			killedIn := []migration.StepID{step}
			if step == migration.StepUploadFiles {
				// The upload runs alongside the download (pipeline/relay.go): half of it
				// is reached while Download files is current, or just after.
				killedIn = []migration.StepID{migration.StepDownloadFiles, migration.StepExportDatabase, migration.StepUploadFiles}
			}
			c.requireInterrupted(t, id, killedIn...)

			// The big video was cut in the middle: its partial copy is where the retry must
			// resume from (staging for a download, the docroot for an upload).
			video := filepath.Join("wp-content", "uploads", "2024", "03", "video-0.mp4")
			partial := int64(-1)
			switch step {
			case migration.StepDownloadFiles:
				partial = fileSize(filepath.Join(c.dataDir, "staging", strconv.FormatInt(id, 10), "files", "tree", video))
			case migration.StepUploadFiles:
				partial = fileSize(filepath.Join(c.destDir, video))
			}
			if partial >= 0 {
				t.Logf("%s holds %d of %d bytes at the kill", video, partial, bigFileSizes[0])
				require.Greater(t, partial, int64(1<<20), "the kill cut the big file past the resume threshold")
				require.Less(t, partial, int64(bigFileSizes[0]))
			}

			// Tables the history records finished: the retry must not touch them. One gets
			// a marker row (and loses row 1, so Validate's row count still matches).
			res := c.results(t, id)
			var finishedRows int64
			for _, tb := range res.ImportedTables {
				finishedRows += c.srcRows[tb]
			}
			var marked string
			for _, tb := range res.ImportedTables {
				if strings.HasPrefix(tb, "wp_big") {
					marked = tb
					break
				}
			}
			if step == migration.StepImportDatabase && marked != "" {
				_, err := c.dst.Exec("INSERT INTO `" + marked + "` (id, k, payload) VALUES (999999, 0, 'marker written between the attempts')")
				require.NoError(t, err)
				_, err = c.dst.Exec("DELETE FROM `" + marked + "` WHERE id = 1")
				require.NoError(t, err)
			}

			code, _, log := runFerry(t, c.dataDir, "retry", strconv.FormatInt(id, 10))
			_, srcDown2 := c.srcFiles.bytes()
			dstUp2, _ := c.dstFiles.bytes()
			var rows2 int64
			for _, m := range importedRe.FindAllStringSubmatch(log, -1) {
				n, _ := strconv.ParseInt(m[2], 10, 64)
				rows2 += n
			}
			total := sum(c.srcRows)
			var moved1, moved2 int64
			switch step {
			case migration.StepDownloadFiles:
				moved1, moved2 = srcDown1, srcDown2-srcDown1
			case migration.StepUploadFiles:
				moved1, moved2 = dstUp1, dstUp2-dstUp1
			}
			verdict := "Successful (Validate passed)"
			if code != 0 {
				verdict = "retry failed"
			}
			line := fmt.Sprintf("%s | files %s, rows %d/%d | files %s, rows %d/%d | %s",
				step.Title(), pct(moved1, c.siteBytes), rows1, total, pct(moved2, c.siteBytes), rows2, total, verdict)
			table = append(table, line)
			t.Log(line)

			require.Equal(t, 0, code, "ferry retry failed:\n%s", log)
			require.Contains(t, log, "Resuming: ")
			c.requireDestinationIsSource(t)
			require.Equal(t, total-finishedRows, rows2, "the retry imports exactly the tables not recorded finished (%v)", res.ImportedTables)
			if step == migration.StepImportDatabase {
				require.NotEmpty(t, marked, "a table finished before the kill is recorded: %v", res.ImportedTables)
				var n int
				require.NoError(t, c.dst.QueryRow("SELECT COUNT(*) FROM `"+marked+"` WHERE id = 999999").Scan(&n))
				require.Equal(t, 1, n, "the marker row in finished table %s survives the retry", marked)
				require.NoError(t, c.dst.QueryRow("SELECT COUNT(*) FROM `"+marked+"` WHERE id = 1").Scan(&n))
				require.Equal(t, 0, n, "the retry did not load %s again", marked)
				require.Greater(t, rows1, total/3)
				require.Less(t, float64(rows2), 0.6*float64(total), "the retry imports under 60%% of the rows")
			} else {
				require.Greater(t, moved1, c.siteBytes/3)
				require.Less(t, float64(moved2), 0.6*float64(c.siteBytes), "the retry moves under 60%% of the files' bytes")
			}
		})
	}
}

func fileSize(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func pct(n, total int64) string {
	return fmt.Sprintf("%.1f MB (%.0f%%)", float64(n)/1e6, float64(n)*100/float64(total))
}

// TestStopOrDeleteOfAKilledImportDropsItsUnfinishedTables kills `ferry migrate` in the
// middle of Import database, then stops it with `ferry stop` (or deletes it): the tables
// the import had not finished are gone from the destination database, the finished ones
// stay whole.
func TestStopOrDeleteOfAKilledImportDropsItsUnfinishedTables(t *testing.T) {
	for _, action := range []string{"stop", "delete"} {
		t.Run(action, func(t *testing.T) {
			c := newCrashSite(t)
			id := c.crashAt(t, migration.StepImportDatabase)
			c.requireInterrupted(t, id, migration.StepImportDatabase)
			res := c.results(t, id)
			var unfinished []string
			for _, tb := range res.CreatedTables {
				if !slices.Contains(res.ImportedTables, tb) {
					unfinished = append(unfinished, tb)
				}
			}
			require.NotEmpty(t, unfinished, "the kill left a table half-imported")
			require.NotEmpty(t, res.ImportedTables)
			before := rowCounts(t, c.dst)
			for _, tb := range unfinished {
				require.Contains(t, before, tb, "the half-imported table is at the destination before the %s", action)
			}

			if action == "stop" {
				code, out, errOut := runFerry(t, c.dataDir, "stop", strconv.FormatInt(id, 10))
				require.Equal(t, 0, code, errOut)
				require.Contains(t, out, fmt.Sprintf("Migration %d:", id))
			} else {
				svc, err := service.Open(context.Background(), service.Config{DataDir: c.dataDir})
				require.NoError(t, err)
				_, err = svc.DeleteMigrations(context.Background(), []int64{id})
				require.NoError(t, err)
				require.NoError(t, svc.Close())
			}

			after := rowCounts(t, c.dst)
			for _, tb := range unfinished {
				require.NotContains(t, after, tb, "the %s dropped the half-imported table", action)
			}
			for _, tb := range res.ImportedTables {
				require.Equal(t, c.srcRows[tb], after[tb], "finished table %s stays whole", tb)
			}
		})
	}
}
