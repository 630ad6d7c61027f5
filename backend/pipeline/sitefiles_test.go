package pipeline_test

import (
	"context"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/dbroute/routetest"
	"ferry/backend/pipeline/sitetest"
	"ferry/backend/service"
	"ferry/backend/transfer/transfertest"
)

// ftpSourceSite is sftpToFTP with the source served over FTP (the site's folder also
// served by Debian's php -S, as the site's web server would) and the destination over
// FTP too. siteIP is where the source site's URL answers.
func ftpSourceSite(t *testing.T) (in service.CreateInput, s sitetest.Site, destDir string, src *transfertest.FTPServer, siteIP string) {
	t.Helper()
	in, s, destDir, _ = sftpToFTP(t)
	src = transfertest.StartFTP(t, s.Dir, transfertest.FTPOptions{})
	in.Method = "ftp"
	in.Source.Protocol, in.Source.Host, in.Source.Port = "ftp", src.Host, src.Port
	in.Source.User, in.Source.Password, in.Source.Path = src.User, src.Password, "/"
	u, err := url.Parse(routetest.StartPHP(t, "127.0.0.1", s.Dir))
	require.NoError(t, err)
	return in, s, destDir, src, u.Host
}

// sameFiles checks, on disk, that dst holds every file of src byte for byte
// (wp-config.php aside: Configure WordPress rewrote it).
func sameFiles(t *testing.T, src, dst string) int {
	t.Helper()
	n := 0
	require.NoError(t, filepath.WalkDir(src, func(p string, e os.DirEntry, err error) error {
		require.NoError(t, err)
		rel, _ := filepath.Rel(src, p)
		if e.IsDir() || rel == "wp-config.php" || strings.HasPrefix(e.Name(), "ferry-") {
			return nil
		}
		want, err := os.ReadFile(p)
		require.NoError(t, err)
		got, err := os.ReadFile(filepath.Join(dst, rel))
		require.NoError(t, err, rel)
		require.Equal(t, want, got, rel)
		n++
		return nil
	}))
	return n
}

// An FTP source whose site answers: its small files come through the site's PHP, many
// per request, so the FTP server serves only the others; the destination holds every
// byte, and the agent is gone from the source afterwards.
func TestFTPSourceFilesComeThroughTheSite(t *testing.T) {
	h := newHarness(t)
	in, s, destDir, src, siteIP := ftpSourceSite(t)
	in.Source.DB.SiteIP = siteIP
	d, err := h.svc.CreateMigration(context.Background(), in)
	require.NoError(t, err)
	d = h.waitDone(t, d.ID)
	text := logText(t, h, d.ID)
	require.Equal(t, "successful", d.Status, "%s\n%s", d.FailureReason, text)
	files := sameFiles(t, s.Dir, destDir)
	require.Contains(t, text, "Small files come through the site's PHP at http://old.test/ferry-")
	require.Regexp(t, `\d+ files, .*, came through the site's PHP in \d+ batches`, text)
	require.Less(t, src.Reads.Load(), int64(files/2), "most files did not come over FTP (%d files)", files)
	require.Empty(t, agentFiles(t, s.Dir), "the agent must be gone from the source")
	require.Empty(t, h.results(t, d.ID).Agents)
}

// Where the site does not answer (its URL points at nothing), every file comes over FTP,
// the log says why, and the migration still succeeds; with FilesOverFTPOnly the site is
// not tried at all.
func TestFTPSourceSiteNotAnsweringFallsBackToFTP(t *testing.T) {
	for _, ftpOnly := range []bool{false, true} {
		h := newHarness(t)
		in, s, destDir, src, _ := ftpSourceSite(t)
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		in.Source.DB.SiteIP = l.Addr().String()
		require.NoError(t, l.Close()) // nothing listens there now
		in.Options.FilesOverFTPOnly = ftpOnly
		d, err := h.svc.CreateMigration(context.Background(), in)
		require.NoError(t, err)
		d = h.waitDone(t, d.ID)
		text := logText(t, h, d.ID)
		require.Equal(t, "successful", d.Status, "%s\n%s", d.FailureReason, text)
		files := sameFiles(t, s.Dir, destDir)
		require.GreaterOrEqual(t, src.Reads.Load(), int64(files), "every file came over FTP")
		require.NotContains(t, text, "came through the site's PHP")
		if ftpOnly {
			require.NotContains(t, text, "site's PHP", text)
		} else {
			require.Contains(t, text, "Small files come one at a time: The site's PHP did not answer at http://old.test", text)
		}
		require.Empty(t, agentFiles(t, s.Dir))
		require.Empty(t, h.results(t, d.ID).Agents)
	}
}

// Every FTP login of a migration counts against one cap per server, parked ones and the
// one that puts the agent in place included: with 3 allowed and 2 connections chosen,
// Analyse source lists, Download files copies beside the agent, and the server never
// holds more than 3 of Ferry's logins at once (without the cap the listing alone opens 8).
func TestFTPSourceLoginsStayWithinTheServersCap(t *testing.T) {
	h := newHarness(t)
	h.pipe.ServerLogins = 3
	h.pipe.SetConnections(2)
	in, s, destDir, src, siteIP := ftpSourceSite(t)
	in.Source.DB.SiteIP = siteIP
	d, err := h.svc.CreateMigration(context.Background(), in)
	require.NoError(t, err)
	d = h.waitDone(t, d.ID)
	text := logText(t, h, d.ID)
	require.Equal(t, "successful", d.Status, "%s\n%s", d.FailureReason, text)
	sameFiles(t, s.Dir, destDir)
	require.Contains(t, text, "came through the site's PHP")
	require.GreaterOrEqual(t, src.PeakLogins.Load(), int64(2))
	require.LessOrEqual(t, src.PeakLogins.Load(), int64(3), "Ferry held more FTP logins than the server was promised")
	require.Empty(t, agentFiles(t, s.Dir), "the agent must be gone from the source")
}
