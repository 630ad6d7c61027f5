package pipeline_test

import (
	"archive/zip"
	"context"
	"database/sql"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/stretchr/testify/require"

	"ferry/backend/mysqldb/mysqltest"
	"ferry/backend/service"
)

// gateSite writes a small WordPress zip whose wp-config.php sets prefix.
func gateSite(t *testing.T, prefix string) string {
	t.Helper()
	zp := filepath.Join(t.TempDir(), "wordpress-files.zip")
	f, err := os.Create(zp)
	require.NoError(t, err)
	zw := zip.NewWriter(f)
	for _, e := range [][2]string{
		{"wp-includes/version.php", "<?php $wp_version = '6.4.3';"},
		{"wp-config.php", "<?php define('DB_NAME', 'x');\n$table_prefix = '" + prefix + "';\n"},
		{"index.php", "<?php require 'wp-blog-header.php';"},
		{"wp-content/uploads/a.txt", "hello"},
	} {
		w, err := zw.Create(e[0])
		require.NoError(t, err)
		_, _ = w.Write([]byte(e[1]))
	}
	require.NoError(t, zw.Close())
	require.NoError(t, f.Close())
	return zp
}

const gateDump = "-- generated\nCREATE TABLE `wp_options` (`option_id` bigint PRIMARY KEY, `option_name` varchar(191), `option_value` longtext, `autoload` varchar(20));\n" +
	"INSERT INTO `wp_options` VALUES (1,'siteurl','http://old.test','yes'),(2,'home','http://old.test','yes');\n" +
	"CREATE TABLE `wp_posts` (`ID` bigint PRIMARY KEY, `post_content` longtext);\n" +
	"INSERT INTO `wp_posts` VALUES (1,'see http://old.test/a');\n"

// gateMigration creates a manual migration onto a local docroot holding one old file and
// a stamp, and a fresh MariaDB database; it attaches the zip and the dump.
type gateEnv struct {
	h       *harness
	id      int64
	docroot string
	stamp   time.Time
	db      *sql.DB
	dump    string
}

func newGate(t *testing.T, h *harness, zipPath, dump string) *gateEnv {
	t.Helper()
	docroot := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(docroot, "old.html"), []byte("old"), 0o644))
	stamp := time.Now()
	time.Sleep(20 * time.Millisecond)
	dsn, name := mysqltest.NewDatabase(t)
	cfg := mysqltest.Config(t, dsn)
	host, port := splitAddr(t, cfg.Addr)
	in := service.CreateInput{Method: "manual", UserName: "A", UserEmail: "a@example.com", Service: "S", Domain: "example.com",
		NewURL: "https://example.com", Destination: service.EndpointInput{Protocol: "local", Path: docroot,
			DB: service.DatabaseInput{Host: host, Port: port, User: cfg.User, Password: cfg.Passwd, Name: name}},
		Options: service.OptionsDTO{Overwrite: true}}
	ctx := context.Background()
	d, err := h.svc.CreateMigration(ctx, in)
	require.NoError(t, err)
	sqlPath := filepath.Join(t.TempDir(), "database.sql")
	require.NoError(t, os.WriteFile(sqlPath, []byte(dump), 0o600))
	_, err = h.svc.AttachFiles(ctx, d.ID, []string{zipPath, sqlPath})
	require.NoError(t, err)
	db, err := sql.Open("mysql", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return &gateEnv{h: h, id: d.ID, docroot: docroot, stamp: stamp, db: db, dump: sqlPath}
}

// requireUntouched checks nothing was written: no file in the docroot newer than the
// stamp, the old file still there, and no table in the destination database.
func (g *gateEnv) requireUntouched(t *testing.T) {
	t.Helper()
	var newer []string
	require.NoError(t, filepath.WalkDir(g.docroot, func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		if p == g.docroot {
			return nil
		}
		info, err := d.Info()
		require.NoError(t, err)
		if info.ModTime().After(g.stamp) || p != filepath.Join(g.docroot, "old.html") {
			newer = append(newer, p)
		}
		return nil
	}))
	require.Empty(t, newer, "files written to the docroot")
	var tables []string
	rows, err := g.db.Query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()")
	require.NoError(t, err)
	defer rows.Close()
	for rows.Next() {
		var n string
		require.NoError(t, rows.Scan(&n))
		tables = append(tables, n)
	}
	require.Empty(t, tables, "tables created in the destination database")
}

// TestManualVerifyRunsTheImportGuard: a dump holding a statement the import refuses fails
// Verify with the guard's message (file, line, first words, cause, what to do); Continue
// Import stays refused; nothing is written to the docroot or the database.
func TestManualVerifyRunsTheImportGuard(t *testing.T) {
	h := newHarness(t)
	zp := gateSite(t, "wp_")
	for _, c := range []struct{ stmt, want string }{
		{"CREATE FUNCTION sys_exec RETURNS INTEGER SONAME 'lib_mysqludf_sys.so';", "(CREATE FUNCTION sys_exec RETURNS INTEGER SONAME) loads a server plugin library"},
		{"USE other;", "(USE other) touches database other"},
		{"CREATE USER 'x'@'%' IDENTIFIED BY 'p';", "touches database mysql"},
		{"GRANT ALL ON *.* TO 'x'@'%';", "touches database mysql"},
		{"SET GLOBAL general_log = 1;", "server-wide"},
		{"LOAD DATA INFILE '/etc/passwd' INTO TABLE wp_options;", "LOAD DATA INFILE"},
		{"SELECT * FROM wp_options INTO OUTFILE '/tmp/ferry-gate';", "INTO OUTFILE"},
		{"DROP DATABASE other;", "touches database other"},
	} {
		t.Run(c.stmt, func(t *testing.T) {
			g := newGate(t, h, zp, gateDump+c.stmt+"\n")
			rep, err := h.svc.VerifyMigration(context.Background(), g.id)
			require.NoError(t, err)
			require.False(t, rep.OK, "Verify must not pass a dump the import refuses")
			var msgs []string
			for _, p := range rep.Problems {
				msgs = append(msgs, p.Message)
			}
			all := strings.Join(msgs, "\n")
			require.Contains(t, all, "Database import refused: statement at database.sql line 6 ")
			require.Contains(t, all, c.want)
			require.Equal(t, 1, strings.Count(all, "Database import refused"), "said once")
			_, err = h.svc.ContinueImport(context.Background(), g.id)
			require.Equal(t, service.CodeNotAllowed, service.CodeOf(err))
			g.requireUntouched(t)
		})
	}
}

// TestManualContinueRefusesFilesChangedAfterVerify: Verify passes; the dump (then the
// zip) is replaced before Continue Import, which is refused with what to do, and nothing
// is written. With the files as verified, the import then runs.
func TestManualContinueRefusesFilesChangedAfterVerify(t *testing.T) {
	h := newHarness(t)
	zp := gateSite(t, "wp_")
	g := newGate(t, h, zp, gateDump)
	ctx := context.Background()
	rep, err := h.svc.VerifyMigration(ctx, g.id)
	require.NoError(t, err)
	require.True(t, rep.OK, "%+v", rep.Problems)

	// same size, same modification time, other content: only the hash tells
	st, err := os.Stat(g.dump)
	require.NoError(t, err)
	hostile := strings.Replace(gateDump, "INSERT INTO `wp_posts` VALUES (1,'see http://old.test/a');\n", "GRANT ALL ON *.* TO 'x'@'%'; -- ", 1)
	hostile += strings.Repeat("x", len(gateDump)-len(hostile)-1) + "\n"
	require.Len(t, hostile, len(gateDump))
	require.NoError(t, os.WriteFile(g.dump, []byte(hostile), 0o600))
	require.NoError(t, os.Chtimes(g.dump, st.ModTime(), st.ModTime()))
	_, err = h.svc.ContinueImport(ctx, g.id)
	require.Equal(t, service.CodeConflict, service.CodeOf(err))
	require.EqualError(t, err, "database.sql changed after Verify: Verify again")
	g.requireUntouched(t)
	_, err = h.svc.ContinueImport(ctx, g.id)
	require.Equal(t, service.CodeNotAllowed, service.CodeOf(err), "Continue stays off until Verify runs again")

	// the dump back, Verify again; now the zip changes
	require.NoError(t, os.WriteFile(g.dump, []byte(gateDump), 0o600))
	rep, err = h.svc.VerifyMigration(ctx, g.id)
	require.NoError(t, err)
	require.True(t, rep.OK)
	f, err := os.OpenFile(zp, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, _ = f.Write([]byte("x"))
	require.NoError(t, f.Close())
	_, err = h.svc.ContinueImport(ctx, g.id)
	require.EqualError(t, err, "wordpress-files.zip changed after Verify: Verify again")
	g.requireUntouched(t)

	// as verified: the import runs
	zp2 := gateSite(t, "wp_")
	b, err := os.ReadFile(zp2)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(zp, b, 0o600))
	rep, err = h.svc.VerifyMigration(ctx, g.id)
	require.NoError(t, err)
	require.True(t, rep.OK, "%+v", rep.Problems)
	_, err = h.svc.ContinueImport(ctx, g.id)
	require.NoError(t, err)
	d := h.waitDone(t, g.id)
	require.NotEqual(t, "waiting", d.Status)
	var n int
	require.NoError(t, g.db.QueryRow("SELECT COUNT(*) FROM wp_posts").Scan(&n))
	require.Equal(t, 1, n)
}

// TestManualVerifyRefusesPrefixMismatch: wp-config.php in the zip says one table prefix,
// the dump's tables another; Verify says which.
func TestManualVerifyRefusesPrefixMismatch(t *testing.T) {
	h := newHarness(t)
	g := newGate(t, h, gateSite(t, "shop_"), gateDump)
	rep, err := h.svc.VerifyMigration(context.Background(), g.id)
	require.NoError(t, err)
	require.False(t, rep.OK)
	var msgs []string
	for _, p := range rep.Problems {
		msgs = append(msgs, p.Message)
	}
	require.Contains(t, strings.Join(msgs, "\n"), "The dump's WordPress tables use the prefix 'wp_', but wp-config.php in the zip sets $table_prefix = 'shop_'")
	g.requireUntouched(t)
}

// TestManualImportsConvertedDumps: a UTF-16 dump with a BOM and an old latin1 MyISAM dump
// pass Verify and import with their text intact.
func TestManualImportsConvertedDumps(t *testing.T) {
	h := newHarness(t)
	table := "CREATE TABLE `wp_posts` (\n  `ID` bigint PRIMARY KEY,\n  `post_content` varchar(100)\n) ENGINE=MyISAM DEFAULT CHARSET=latin1;\n"
	u16 := []byte{0xff, 0xfe}
	for _, u := range utf16.Encode([]rune(strings.Replace(gateDump, "INSERT INTO `wp_posts` VALUES (1,'see http://old.test/a');\n", "INSERT INTO `wp_posts` VALUES (1,'Caf\u00e9 \U0001F600');\n", 1))) {
		u16 = append(u16, byte(u), byte(u>>8))
	}
	latin1 := "-- MySQL dump 10.13  Distrib 5.1.73, for debian-linux-gnu (x86_64)\n/*!40101 SET NAMES latin1 */;\n" +
		strings.Replace(strings.Replace(gateDump, "CREATE TABLE `wp_posts` (`ID` bigint PRIMARY KEY, `post_content` longtext);\n", table, 1),
			"INSERT INTO `wp_posts` VALUES (1,'see http://old.test/a');\n", "INSERT INTO `wp_posts` VALUES (1,'Caf\xe9 \x80');\n", 1) +
		"-- Dump completed on 2012-01-01 10:00:00\n"
	for _, c := range []struct {
		name, dump, hex string
	}{
		{"utf-16", string(u16), "436166C3A920F09F9880"},
		{"latin1", latin1, "436166E92080"},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := newGate(t, h, gateSite(t, "wp_"), c.dump)
			ctx := context.Background()
			rep, err := h.svc.VerifyMigration(ctx, g.id)
			require.NoError(t, err)
			require.True(t, rep.OK, "%+v", rep.Problems)
			_, err = h.svc.ContinueImport(ctx, g.id)
			require.NoError(t, err)
			d := h.waitDone(t, g.id)
			require.NotEqual(t, "waiting", d.Status)
			var hex string
			require.NoError(t, g.db.QueryRow("SELECT HEX(post_content) FROM wp_posts WHERE ID = 1").Scan(&hex))
			require.Equal(t, c.hex, hex, "the text bytes as the source had them")
		})
	}
}

// TestManualVerifyTruncationNamesTheLine: a dump cut inside a string says where the
// string starts, once.
func TestManualVerifyTruncationNamesTheLine(t *testing.T) {
	h := newHarness(t)
	g := newGate(t, h, gateSite(t, "wp_"), gateDump+"INSERT INTO `wp_posts` VALUES (2,'cut here\n")
	rep, err := h.svc.VerifyMigration(context.Background(), g.id)
	require.NoError(t, err)
	require.False(t, rep.OK)
	require.Len(t, rep.Problems, 1)
	require.Equal(t, "Database dump file is missing, empty, or corrupt: database.sql is cut short (unterminated quoted string starting at line 6); export or copy the dump again and re-attach it.", rep.Problems[0].Message)
	g.requireUntouched(t)
}

// TestManualFailedImportLeavesDestinationAsItWas: a dump Verify passes fails at the
// server halfway (a duplicate key in its second table): the files extracted and the
// tables created by this attempt are removed again.
func TestManualFailedImportLeavesDestinationAsItWas(t *testing.T) {
	h := newHarness(t)
	dump := gateDump + "INSERT INTO `wp_posts` VALUES (1,'the same key again');\n"
	g := newGate(t, h, gateSite(t, "wp_"), dump)
	ctx := context.Background()
	rep, err := h.svc.VerifyMigration(ctx, g.id)
	require.NoError(t, err)
	require.True(t, rep.OK, "%+v", rep.Problems)
	_, err = h.svc.ContinueImport(ctx, g.id)
	require.NoError(t, err)
	d := h.waitDone(t, g.id)
	require.Equal(t, "failed", d.Status)
	require.Contains(t, d.FailureReason, "Duplicate entry")
	g.requireUntouched(t)
	logs, err := h.svc.GetLogs(ctx, g.id, 0, 1000)
	require.NoError(t, err)
	var all []string
	for _, l := range logs {
		all = append(all, l.Message)
	}
	require.Contains(t, strings.Join(all, "\n"), "removed the 2 tables and 4 files this migration wrote, so the destination is as it was")
}

// combinedZip writes a site zip that also holds dumps at its top.
func combinedZip(t *testing.T, dumps ...string) string {
	t.Helper()
	zp := filepath.Join(t.TempDir(), "site-and-db.zip")
	f, err := os.Create(zp)
	require.NoError(t, err)
	zw := zip.NewWriter(f)
	entries := [][2]string{
		{"wp-includes/version.php", "<?php $wp_version = '6.4.3';"},
		{"wp-config.php", "<?php define('DB_NAME', 'x');\n$table_prefix = 'wp_';\n"},
		{"index.php", "<?php require 'wp-blog-header.php';"},
		{"wp-content/plugins/shop/install.sql", "CREATE TABLE shop (a int);"},
	}
	for i, d := range dumps {
		entries = append(entries, [2]string{[]string{"database.sql", "old-backup.sql"}[i], d})
	}
	for _, e := range entries {
		w, err := zw.Create(e[0])
		require.NoError(t, err)
		_, _ = w.Write([]byte(e[1]))
	}
	require.NoError(t, zw.Close())
	require.NoError(t, f.Close())
	return zp
}

// TestManualOneZipHoldingSiteAndDump: SPEC allows one zip holding the site and
// database.sql. Attached alone, it is both; the dump is imported and never lands in the
// docroot (a plugin's .sql file does). A zip holding two dumps is refused.
func TestManualOneZipHoldingSiteAndDump(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	zp := combinedZip(t, gateDump)
	g := newGate(t, h, zp, gateDump)
	// the combined zip alone: the separate dump is detached first
	require.NoError(t, h.svc.Store().RemoveFile(ctx, g.id, "sql"))
	d, err := h.svc.GetMigration(ctx, g.id)
	require.NoError(t, err)
	require.Len(t, d.Files, 1)
	_, err = h.svc.AttachFiles(ctx, g.id, []string{zp})
	require.NoError(t, err)
	d, err = h.svc.GetMigration(ctx, g.id)
	require.NoError(t, err)
	require.Len(t, d.Files, 2, "the zip is attached as the site and as the dump")
	rep, err := h.svc.VerifyMigration(ctx, g.id)
	require.NoError(t, err)
	require.True(t, rep.OK, "%+v", rep.Problems)
	require.Contains(t, strings.Join(rep.Found, "\n"), "'database.sql' in the zip is the site's database dump")
	require.Equal(t, 2, rep.Tables)
	_, err = h.svc.ContinueImport(ctx, g.id)
	require.NoError(t, err)
	h.waitDone(t, g.id)
	var n int
	require.NoError(t, g.db.QueryRow("SELECT COUNT(*) FROM wp_posts").Scan(&n))
	require.Equal(t, 1, n)
	_, err = os.Stat(filepath.Join(g.docroot, "database.sql"))
	require.ErrorIs(t, err, os.ErrNotExist, "no dump lands in the docroot")
	_, err = os.Stat(filepath.Join(g.docroot, "wp-content/plugins/shop/install.sql"))
	require.NoError(t, err, "a plugin's .sql file is part of the site")

	two := combinedZip(t, gateDump, gateDump)
	g2 := newGate(t, h, gateSite(t, "wp_"), gateDump)
	_, err = h.svc.AttachFiles(ctx, g2.id, []string{two})
	require.Equal(t, service.CodeInvalid, service.CodeOf(err), "%v", err)
	var se *service.Error
	require.ErrorAs(t, err, &se)
	require.Contains(t, se.Fields[two], "holds 2 database dumps beside the site ('database.sql' and 'old-backup.sql')")
}
