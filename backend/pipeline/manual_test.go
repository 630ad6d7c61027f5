package pipeline_test

import (
	"archive/zip"
	"context"
	"database/sql"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/mysqldb/mysqltest"
	"ferry/backend/service"
	"ferry/backend/transfer/transfertest"
)

// zipSite packs a site folder the way hosting panels export it: under public_html/.
func zipSite(t *testing.T, dir string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "wordpress-files.zip")
	f, err := os.Create(out)
	require.NoError(t, err)
	zw := zip.NewWriter(f)
	err = filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		w, err := zw.Create("public_html/" + filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		r, err := os.Open(p)
		if err != nil {
			return err
		}
		defer r.Close()
		_, err = io.Copy(w, r)
		return err
	})
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	require.NoError(t, f.Close())
	return out
}

// mysqldumpFile dumps a database with the real mysqldump, as an admin's old host would.
func mysqldumpFile(t *testing.T, dsn string) string {
	t.Helper()
	bin, err := exec.LookPath("mysqldump")
	if err != nil {
		bin, err = exec.LookPath("mariadb-dump")
	}
	require.NoError(t, err, "mysqldump (mariadb-client) is needed: apt-get install mariadb-client")
	cfg := mysqltest.Config(t, dsn)
	host, port := splitAddr(t, cfg.Addr)
	out := filepath.Join(t.TempDir(), "database.sql")
	cmd := exec.Command(bin, "--single-transaction", "-h", host, "-P", port2s(port), "-u", cfg.User, cfg.DBName)
	cmd.Env = append(os.Environ(), "MYSQL_PWD="+cfg.Passwd)
	b, err := cmd.Output()
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(out, b, 0o600))
	return out
}

func port2s(p int) string { return strings.TrimSpace(strings.Repeat(" ", 0) + itoa(p)) }

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

// TestManualMigrationEndToEnd attaches a site zip and a mysqldump file, verifies them,
// continues the import onto an SFTP destination and MariaDB, and checks the moved site.
func TestManualMigrationEndToEnd(t *testing.T) {
	h := newHarness(t)
	srcCfg, srcName := sourceDB(t)
	s := makeSite(t, srcName, srcCfg.User, srcCfg.Passwd, srcCfg.Addr)
	srcDSN := srcCfg.FormatDSN()
	zipPath := zipSite(t, s.dir)
	sqlPath := mysqldumpFile(t, srcDSN)

	destDir := t.TempDir()
	sftpSrv := transfertest.StartSFTP(t, destDir, transfertest.SFTPOptions{})
	dstDSN, dstName := mysqltest.NewDatabase(t)
	dstCfg := mysqltest.Config(t, dstDSN)
	dhost, dport := splitAddr(t, dstCfg.Addr)
	in := service.CreateInput{
		Method: "manual", UserName: "José Núñez", UserEmail: "jose@example.com", Service: "Starter 5GB",
		Domain: "new-site.example.com", NewURL: newURL,
		Destination: service.EndpointInput{Protocol: "sftp", Host: sftpSrv.Host, Port: sftpSrv.Port, User: sftpSrv.User,
			PrivateKey: string(sftpSrv.PrivateKey), Path: ".",
			DB: service.DatabaseInput{Host: dhost, Port: dport, User: dstCfg.User, Password: dstCfg.Passwd, Name: dstName}},
	}
	ctx := context.Background()
	d, err := h.svc.CreateMigration(ctx, in)
	require.NoError(t, err)
	require.Equal(t, "waiting", d.Status)
	require.Contains(t, d.Actions, "attach")

	// Continue is refused before a successful Verify.
	_, err = h.svc.ContinueImport(ctx, d.ID)
	require.Equal(t, service.CodeNotAllowed, service.CodeOf(err))
	notSQL := filepath.Join(t.TempDir(), "notes.txt")
	require.NoError(t, os.WriteFile(notSQL, []byte("hello, this is not a dump"), 0o600))
	_, err = h.svc.AttachFiles(ctx, d.ID, []string{zipPath, sqlPath, notSQL})
	require.Equal(t, service.CodeInvalid, service.CodeOf(err), "the text file is refused, the others attached")
	got, err := h.svc.GetMigration(ctx, d.ID)
	require.NoError(t, err)
	require.Len(t, got.Files, 2)

	rep, err := h.svc.VerifyMigration(ctx, d.ID)
	require.NoError(t, err)
	require.True(t, rep.OK, "problems: %+v", rep.Problems)
	require.Equal(t, "6.4.3", rep.WordPressVersion)
	require.Equal(t, s.files, rep.Files)
	require.Equal(t, "wp_", rep.TablePrefix)
	require.Equal(t, oldURL, rep.SiteURL)
	require.Equal(t, 3, rep.Tables)

	row, err := h.svc.ContinueImport(ctx, d.ID)
	require.NoError(t, err)
	require.NotContains(t, row.Actions, "stop", "no Stop once the import has started")
	got = h.waitDone(t, d.ID)
	require.Equal(t, "successful", got.Status, got.FailureReason)

	// The zip's top folder was stripped; files and the database arrived rewritten.
	b, err := os.ReadFile(filepath.Join(destDir, "wp-content", "uploads", "2024", "01", "café menu.txt"))
	require.NoError(t, err)
	require.Equal(t, "crème brûlée — 12 €\n", string(b))
	_, err = os.Stat(filepath.Join(destDir, ".htaccess"))
	require.NoError(t, err)
	cfg, err := os.ReadFile(filepath.Join(destDir, "wp-config.php"))
	require.NoError(t, err)
	require.Contains(t, string(cfg), "'"+dstName+"'")
	db, err := sql.Open("mysql", dstDSN)
	require.NoError(t, err)
	defer db.Close()
	var home string
	require.NoError(t, db.QueryRow("SELECT option_value FROM wp_options WHERE option_name='home'").Scan(&home))
	require.Equal(t, newURL, home)
	res := h.results(t, d.ID)
	for _, c := range res.Validation {
		require.True(t, c.OK, "%s: %s", c.Name, c.Message)
	}
	require.Len(t, res.Validation, 5)
}

// TestManualRefusesHostileZip attaches a zip with an entry escaping the docroot: Verify
// reports it, Continue stays refused, and nothing is written anywhere.
func TestManualRefusesHostileZip(t *testing.T) {
	h := newHarness(t)
	zp := filepath.Join(t.TempDir(), "site.zip")
	f, err := os.Create(zp)
	require.NoError(t, err)
	zw := zip.NewWriter(f)
	for name, body := range map[string]string{
		"wp-includes/version.php": "<?php $wp_version = '6.4.3';",
		"wp-config-sample.php":    "<?php define('DB_NAME', 'x');",
		"../../evil.php":          "<?php system($_GET['c']);",
	} {
		w, err := zw.Create(name)
		require.NoError(t, err)
		_, _ = w.Write([]byte(body))
	}
	require.NoError(t, zw.Close())
	require.NoError(t, f.Close())
	dump := filepath.Join(t.TempDir(), "database.sql")
	require.NoError(t, os.WriteFile(dump, []byte("CREATE TABLE wp_options (option_name varchar(191), option_value longtext);\nINSERT INTO wp_options VALUES ('siteurl','http://old.test');\n"), 0o600))
	destDir := t.TempDir()
	in := service.CreateInput{Method: "manual", UserName: "A", UserEmail: "a@example.com", Service: "S", Domain: "example.com",
		NewURL: "https://example.com", Destination: service.EndpointInput{Protocol: "local", Path: destDir,
			DB: service.DatabaseInput{Host: "127.0.0.1", Port: 3306, User: "root", Name: "unused"}}}
	ctx := context.Background()
	d, err := h.svc.CreateMigration(ctx, in)
	require.NoError(t, err)
	_, err = h.svc.AttachFiles(ctx, d.ID, []string{zp, dump})
	require.NoError(t, err)
	rep, err := h.svc.VerifyMigration(ctx, d.ID)
	require.NoError(t, err)
	require.False(t, rep.OK)
	var msgs []string
	for _, p := range rep.Problems {
		msgs = append(msgs, p.Message)
	}
	require.Contains(t, strings.Join(msgs, "\n"), "../../evil.php")
	_, err = h.svc.ContinueImport(ctx, d.ID)
	require.Equal(t, service.CodeNotAllowed, service.CodeOf(err))
	entries, err := os.ReadDir(destDir)
	require.NoError(t, err)
	require.Empty(t, entries)
	_, err = os.Stat(filepath.Join(filepath.Dir(destDir), "evil.php"))
	require.ErrorIs(t, err, os.ErrNotExist)
}
