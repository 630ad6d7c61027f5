package pipeline_test

import (
	"archive/zip"
	"context"
	"io"
	"io/fs"
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

// requireNoDump fails when any SQL dump landed anywhere in the docroot.
func requireNoDump(t *testing.T, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		require.NoError(t, err)
		l := strings.ToLower(e.Name())
		require.False(t, strings.HasSuffix(l, ".sql") || strings.Contains(l, ".sql."), "a dump landed in the docroot: %s", p)
		return nil
	})
	require.NoError(t, err)
}

func modeOf(t *testing.T, p string) fs.FileMode {
	t.Helper()
	st, err := os.Stat(p)
	require.NoError(t, err)
	return st.Mode().Perm()
}

// TestWPConfigNeverWiderOnEveryDestination migrates from SFTP (which says the mode of
// every file) to SFTP, FTP (SITE CHMOD) and a local folder: wp-config.php keeps the
// source's mode, never readable by others, every other file keeps exactly its source mode
// (the test FTP server makes new files 0755, wider than the source's 0644), and no dump
// lands in the docroot.
func TestWPConfigNeverWiderOnEveryDestination(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		dest      string
		src, want fs.FileMode
	}{
		{"sftp", 0o640, 0o640},
		{"ftp", 0o640, 0o640},
		{"local", 0o640, 0o640},
		{"sftp", 0o600, 0o600},
		{"local", 0o644, 0o640}, // world-readable on the source: not at the destination
	}
	for _, c := range cases {
		t.Run(c.dest+"-"+c.src.String(), func(t *testing.T) {
			in, s, destDir, _ := sftpToFTP(t)
			require.NoError(t, os.Chmod(filepath.Join(s.Dir, "wp-config.php"), c.src))
			// Other files keep their source mode too, narrower or wider than the server's
			// default for new files.
			siteModes := map[string]fs.FileMode{"index.php": 0o644, "wp-content/secret.php": 0o600,
				"wp-content/group.php": 0o640, "cron.sh": 0o755}
			for p, mode := range siteModes {
				full := filepath.Join(s.Dir, filepath.FromSlash(p))
				if _, err := os.Stat(full); err != nil {
					require.NoError(t, os.WriteFile(full, []byte("<?php // "+p), 0o644))
				}
				require.NoError(t, os.Chmod(full, mode))
			}
			switch c.dest {
			case "sftp":
				destDir = t.TempDir()
				srv := transfertest.StartSFTP(t, destDir, transfertest.SFTPOptions{})
				in.Destination.Protocol, in.Destination.Host, in.Destination.Port = "sftp", srv.Host, srv.Port
				in.Destination.User, in.Destination.Password, in.Destination.Path = srv.User, srv.Password, "."
			case "local":
				destDir = filepath.Join(t.TempDir(), "public_html")
				in.Destination = service.EndpointInput{Protocol: "local", Path: destDir, DB: in.Destination.DB}
			}
			d, err := h.svc.CreateMigration(context.Background(), in)
			require.NoError(t, err)
			d = h.waitDone(t, d.ID)
			require.Equal(t, "successful", d.Status, d.FailureReason)
			got := modeOf(t, filepath.Join(destDir, "wp-config.php"))
			t.Logf("%s destination: wp-config.php %04o (source %04o)", c.dest, got, c.src)
			require.Equal(t, c.want, got)
			for p, mode := range siteModes {
				require.Equal(t, mode, modeOf(t, filepath.Join(destDir, filepath.FromSlash(p))), p)
			}
			require.Empty(t, d.Warnings)
			requireNoDump(t, destDir)
		})
	}
}

// TestManualZipWithoutModesAndWithADump: a zip made without Unix modes (as on Windows)
// holding database.sql in the site folder. wp-config.php lands 0640, the dump stays out of
// the docroot, and Verify says so. A zip made on Unix gives every file its recorded mode.
func TestManualZipWithoutModesAndWithADump(t *testing.T) {
	for _, dest := range []string{"local", "ftp", "ftp-unix-zip"} {
		t.Run(dest, func(t *testing.T) {
			h := newHarness(t)
			srcCfg, srcName := sitetest.SourceDB(t)
			s := makeSite(t, srcName, srcCfg.User, srcCfg.Passwd, srcCfg.Addr)
			sqlPath := sitetest.Dump(t, srcCfg)
			b, err := os.ReadFile(sqlPath)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(s.Dir, "database.sql"), b, 0o600))
			// A zip made on Unix records modes, and the files keep them.
			unixModes := map[string]fs.FileMode{"wp-config.php": 0o600, "index.php": 0o644,
				"wp-content/secret.php": 0o600, "cron.sh": 0o750}
			var zipPath string
			if dest == "ftp-unix-zip" {
				for p, mode := range unixModes {
					full := filepath.Join(s.Dir, filepath.FromSlash(p))
					if _, err := os.Stat(full); err != nil {
						require.NoError(t, os.WriteFile(full, []byte("<?php // "+p), 0o644))
					}
					require.NoError(t, os.Chmod(full, mode))
				}
				zipPath = sitetest.ZipWithModes(t, s.Dir)
			} else {
				zipPath = sitetest.Zip(t, s.Dir) // zip.Writer.Create records no Unix mode
				requireZipHasNoModes(t, zipPath)
			}

			dstDSN, dstName := mysqltest.NewDatabase(t)
			dstCfg := mysqltest.Config(t, dstDSN)
			dhost, dport := splitAddr(t, dstCfg.Addr)
			db := service.DatabaseInput{Host: dhost, Port: dport, User: dstCfg.User, Password: dstCfg.Passwd, Name: dstName}
			destDir := filepath.Join(t.TempDir(), "public_html")
			dst := service.EndpointInput{Protocol: "local", Path: destDir, DB: db}
			if dest != "local" {
				destDir = t.TempDir()
				srv := transfertest.StartFTP(t, destDir, transfertest.FTPOptions{})
				dst = service.EndpointInput{Protocol: "ftp", Host: srv.Host, Port: srv.Port, User: srv.User, Password: srv.Password, Path: "/", DB: db}
			}
			in := service.CreateInput{Method: "manual", UserName: "A", UserEmail: "a@example.com", Service: "S",
				Domain: "new-site.example.com", NewURL: newURL, Destination: dst}
			ctx := context.Background()
			d, err := h.svc.CreateMigration(ctx, in)
			require.NoError(t, err)
			_, err = h.svc.AttachFiles(ctx, d.ID, []string{zipPath, sqlPath})
			require.NoError(t, err)
			rep, err := h.svc.VerifyMigration(ctx, d.ID)
			require.NoError(t, err)
			require.True(t, rep.OK, "problems: %+v", rep.Problems)
			// database.sql beside the site in the zip is never extracted (requireNoDump below
			// checks the docroot itself).
			_, err = h.svc.ContinueImport(ctx, d.ID)
			require.NoError(t, err)
			d = h.waitDone(t, d.ID)
			require.Equal(t, "successful", d.Status, d.FailureReason)
			got := modeOf(t, filepath.Join(destDir, "wp-config.php"))
			t.Logf("manual → %s: wp-config.php %04o", dest, got)
			if dest == "ftp-unix-zip" {
				for p, mode := range unixModes {
					require.Equal(t, mode, modeOf(t, filepath.Join(destDir, filepath.FromSlash(p))), p)
				}
			} else {
				require.Equal(t, fs.FileMode(0o640), got)
			}
			requireNoDump(t, destDir)
		})
	}
}

func requireZipHasNoModes(t *testing.T, p string) {
	t.Helper()
	zr, err := zip.OpenReader(p)
	require.NoError(t, err)
	defer zr.Close()
	for _, f := range zr.File {
		require.Zero(t, f.CreatorVersion>>8, "%s was zipped with a creator that records Unix modes", f.Name)
		rc, err := f.Open()
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, rc)
		rc.Close()
	}
}
