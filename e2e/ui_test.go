//go:build e2e

// Package e2e drives the real Ferry UI end to end: it starts in-process SFTP and FTP
// servers holding a generated WordPress site, MariaDB databases for the source and the
// destinations, and a control endpoint, then runs the node scripts of frontend/e2e/
// (headless Chromium against build/bin/ferry-dev under Xvfb) with their addresses in the
// environment. Run it with `make e2e`.
package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/mysqldb/mysqltest"
	"ferry/backend/pipeline/sitetest"
	"ferry/backend/transfer/transfertest"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	// go test runs in the package's folder, e2e/ (runtime.Caller would not do: the Makefile
	// builds with -trimpath).
	wd, err := os.Getwd()
	require.NoError(t, err)
	return filepath.Dir(wd)
}

func TestUI(t *testing.T) {
	root := repoRoot(t)
	bin := filepath.Join(root, "build/bin/ferry-dev")
	_, err := os.Stat(bin)
	require.NoError(t, err, "build the dev binary first: make build-dev")

	// Source: a site over SFTP whose wp-config.php points at a real source database.
	srcCfg, _ := sitetest.SourceDB(t)
	site := sitetest.WriteSite(t, t.TempDir(), srcCfg.DBName, srcCfg.User, srcCfg.Passwd, srcCfg.Addr,
		sitetest.Options{Images: 24, ImageSize: 4000}).Dir
	sftpSrv := transfertest.StartSFTP(t, site, transfertest.SFTPOptions{})
	gated := startGatedSFTP(t, site)
	slowPort := slowProxy(t, sftpSrv.Addr(), 12*1024)

	// Destination: one FTP server; each migration lands in its own empty folder and database.
	destRoot := t.TempDir()
	for _, d := range []string{"ok", "retry", "stop", "manual", "spare1", "spare2", "batch1", "batch2", "batch3"} {
		require.NoError(t, os.MkdirAll(filepath.Join(destRoot, d), 0o755))
	}
	ftpSrv := transfertest.StartFTP(t, destRoot, transfertest.FTPOptions{DisableMLSD: true})
	env := map[string]string{
		"E2E_SFTP_HOST":  sftpSrv.Host,
		"E2E_SFTP_PORT":  strconv.Itoa(sftpSrv.Port),
		"E2E_SFTP_USER":  sftpSrv.User,
		"E2E_SFTP_PASS":  sftpSrv.Password,
		"E2E_SFTP_KEY":   sftpSrv.Fingerprint,
		"E2E_GATED_PORT": strconv.Itoa(gated.Port),
		"E2E_SLOW_PORT":  strconv.Itoa(slowPort),
		"E2E_FTP_HOST":   ftpSrv.Host,
		"E2E_FTP_PORT":   strconv.Itoa(ftpSrv.Port),
		"E2E_FTP_USER":   ftpSrv.User,
		"E2E_FTP_PASS":   ftpSrv.Password,
		"E2E_DEST_ROOT":  destRoot,
		"E2E_OLD_URL":    sitetest.OldURL,
		"E2E_SRC_DB":     srcCfg.DBName,
	}
	dbHost, dbPort := "", 0
	for _, name := range []string{"ok", "retry", "stop", "manual", "spare1", "spare2", "batch1", "batch2", "batch3"} {
		dsn, db := mysqltest.NewDatabase(t)
		cfg := mysqltest.Config(t, dsn)
		dbHost, dbPort = splitAddr(t, cfg.Addr)
		env["E2E_DB_USER"], env["E2E_DB_PASS"] = cfg.User, cfg.Passwd
		env["E2E_DB_"+name] = db
	}
	env["E2E_DB_HOST"], env["E2E_DB_PORT"] = dbHost, strconv.Itoa(dbPort)

	// Batch: three sites from the one SFTP source to their own FTP folders and databases
	// (batch.test.mjs), and a file with two bad rows the preview must name.
	writeBatchFiles(t, env)

	// Manual: the same site as wordpress-files.zip and a mysqldump of its database.
	env["E2E_ZIP"] = sitetest.Zip(t, site)
	env["E2E_SQL"] = sitetest.Dump(t, srcCfg)
	exports := t.TempDir()
	env["E2E_EXPORT_DIR"] = exports
	env["FERRY_E2E_SAVE_DIR"] = exports

	// Control: the scripts open the gated server's login ("the admin fixed the password").
	mux := http.NewServeMux()
	mux.HandleFunc("POST /gate/open", func(w http.ResponseWriter, _ *http.Request) {
		gated.open.Store(true)
		fmt.Fprintln(w, "open")
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(l) }()
	t.Cleanup(func() { _ = hs.Close() })
	env["E2E_CONTROL"] = "http://" + l.Addr().String()

	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	args := []string{"--test", "--test-concurrency=1"}
	if only := os.Getenv("E2E_ONLY"); only != "" {
		args = append(args, filepath.Join("e2e", only))
	} else {
		args = append(args, "e2e/")
	}
	cmd := exec.CommandContext(ctx, "node", args...)
	cmd.Dir = filepath.Join(root, "frontend")
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	// node --test waits for its own children; a hung browser is ended by the context.
	cmd.WaitDelay = 10 * time.Second
	require.NoError(t, cmd.Run(), "the browser end-to-end scripts failed (output above)")

	if os.Getenv("E2E_ONLY") != "" {
		return // one script ran; the checks below need flows.test.mjs
	}
	// What the UI did must show on disk: the export the Successful tab wrote.
	entries, err := os.ReadDir(exports)
	require.NoError(t, err)
	var csv bool
	for _, e := range entries {
		csv = csv || filepath.Ext(e.Name()) == ".csv"
	}
	require.True(t, csv, "an exported CSV in %s", exports)
	// The PDF report of the edited migration names its extra replacement; its first page
	// is kept as a picture beside the screenshots.
	pdfs, err := filepath.Glob(filepath.Join(exports, "ferry-*-edit.example.com.pdf"))
	require.NoError(t, err)
	require.Len(t, pdfs, 1, "the PDF report saved from the details modal")
	text, err := exec.Command("pdftotext", "-layout", pdfs[0], "-").Output()
	require.NoError(t, err)
	require.Contains(t, string(text), "cdn.old-site.example", "the PDF report lists the extra replacement")
	// The picture is of the page that lists the extra replacement.
	page := "1"
	for i := 1; i <= 5; i++ {
		pt, err := exec.Command("pdftotext", "-f", strconv.Itoa(i), "-l", strconv.Itoa(i), pdfs[0], "-").Output()
		if err != nil {
			break
		}
		if strings.Contains(string(pt), "cdn.old-site.example") {
			page = strconv.Itoa(i)
			break
		}
	}
	out, err := exec.Command("pdftoppm", "-png", "-r", "70", "-f", page, "-l", page, "-singlefile", pdfs[0],
		filepath.Join(root, "test-artifacts", "34-report-extras")).CombinedOutput()
	require.NoError(t, err, "%s", out)
	// And the site arrived at the destination of the migration made through the form.
	_, err = os.Stat(filepath.Join(destRoot, "ok", "wp-includes", "version.php"))
	require.NoError(t, err, "the SFTP migration's files at the FTP destination")
}

// writeBatchFiles writes the sites files of batch.test.mjs: E2E_BATCH_SITES (three good
// rows, also the answer of the Choose file… dialog) and E2E_BATCH_BAD (line 3 has a bad
// new_url, line 4 reuses line 2's destination database).
func writeBatchFiles(t *testing.T, env map[string]string) {
	t.Helper()
	dir := t.TempDir()
	header := "domain,new_url,source_path,source_db,dest_path,dest_db,owner,service\n"
	row := func(n int, url, db string) string {
		return fmt.Sprintf("site%d.example.org,%s,.,%s,/batch%d,%s,Owner %d <owner%d@example.org>,Batch plan\n",
			n, url, env["E2E_SRC_DB"], n, db, n, n)
	}
	good := header
	for n := 1; n <= 3; n++ {
		good += row(n, fmt.Sprintf("https://site%d.example.org", n), env[fmt.Sprintf("E2E_DB_batch%d", n)])
	}
	bad := header + row(1, "https://site1.example.org", env["E2E_DB_batch1"]) +
		row(2, "not a url", env["E2E_DB_batch2"]) + row(3, "https://site3.example.org", env["E2E_DB_batch1"])
	env["E2E_BATCH_SITES"] = filepath.Join(dir, "old-host.csv")
	env["E2E_BATCH_BAD"] = filepath.Join(dir, "old-host-bad.csv")
	require.NoError(t, os.WriteFile(env["E2E_BATCH_SITES"], []byte(good), 0o600))
	require.NoError(t, os.WriteFile(env["E2E_BATCH_BAD"], []byte(bad), 0o600))
	env["FERRY_E2E_SITES_FILE"] = env["E2E_BATCH_SITES"]
}
