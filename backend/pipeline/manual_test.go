package pipeline_test

import (
	"archive/zip"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/mysqldb/mysqltest"
	"ferry/backend/pipeline/sitetest"
	"ferry/backend/service"
	"ferry/backend/transfer/transfertest"
)

// TestManualMigrationEndToEnd attaches a site zip and a mysqldump file, verifies them,
// continues the import onto an SFTP destination and MariaDB, and checks the moved site.
func TestManualMigrationEndToEnd(t *testing.T) {
	h := newHarness(t)
	srcCfg, srcName := sitetest.SourceDB(t)
	s := makeSite(t, srcName, srcCfg.User, srcCfg.Passwd, srcCfg.Addr)
	zipPath := sitetest.Zip(t, s.Dir)
	sqlPath := sitetest.Dump(t, srcCfg)

	destDir := t.TempDir()
	sftpSrv := transfertest.StartSFTP(t, destDir, transfertest.SFTPOptions{})
	dstDSN, dstName := mysqltest.NewDatabase(t)
	dstCfg := mysqltest.Config(t, dstDSN)
	dstCfg.User, dstCfg.Passwd = mysqltest.NewUser(t, dstName)
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
	require.Equal(t, s.Files, rep.Files)
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

	// Independent truth: the oracle reads the source database the dump came from.
	shost, sport := splitAddr(t, srcCfg.Addr)
	oin := in
	oin.OldURL = oldURL
	oin.Source.DB = service.DatabaseInput{Host: shost, Port: sport, User: srcCfg.User, Password: srcCfg.Passwd, Name: srcName}
	checkDestination(t, h, d.ID, oin, s.Dir, destDir)
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
