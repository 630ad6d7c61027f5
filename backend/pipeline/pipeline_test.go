package pipeline_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/events"
	"ferry/backend/migration"
	"ferry/backend/mysqldb/mysqltest"
	"ferry/backend/pipeline"
	"ferry/backend/pipeline/sitetest"
	"ferry/backend/runner"
	"ferry/backend/service"
	"ferry/backend/transfer/transfertest"
)

// harness is a whole Ferry backend (history, runner, pipeline) on a temporary data dir.
type harness struct {
	svc    *service.Service
	run    *runner.Runner
	pipe   *pipeline.Pipeline
	events *events.Recorder
	dir    string
	cancel context.CancelFunc
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	t.Setenv("FERRY_KEYRING", "off")
	return newHarnessIn(t, t.TempDir())
}

// newHarnessIn starts Ferry's backend on an existing data dir, recovering as at start-up.
func newHarnessIn(t testing.TB, dir string) *harness {
	t.Helper()
	rec := &events.Recorder{}
	svc, err := service.Open(context.Background(), service.Config{DataDir: dir, Emitter: rec})
	require.NoError(t, err)
	pipe := &pipeline.Pipeline{DataDir: dir, HostKeys: svc.Store().HostKeys(), Results: svc.Store(), Files: svc.Store(), Timeout: 10 * time.Second}
	r := runner.New(runner.Config{Store: svc.RunnerStore(), Pipeline: pipe, Emitter: rec})
	svc.AttachRunner(r)
	svc.AttachPipeline(pipe)
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, r.Recover(ctx))
	r.Start(ctx)
	h := &harness{svc: svc, run: r, pipe: pipe, events: rec, dir: dir, cancel: cancel}
	t.Cleanup(func() {
		cancel()
		r.Close()
		_ = svc.Close()
	})
	return h
}

// waitDone waits until migration id leaves the In Progress tab (or is parked waiting).
func (h *harness) waitDone(t testing.TB, id int64) service.MigrationDetail {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		d, err := h.svc.GetMigration(context.Background(), id)
		require.NoError(t, err)
		if d.Status == string(migration.StatusFailed) || d.Status == string(migration.StatusSuccessful) || d.Status == string(migration.StatusWaiting) {
			return d
		}
		time.Sleep(50 * time.Millisecond)
	}
	d, _ := h.svc.GetMigration(context.Background(), id)
	t.Fatalf("migration %d still %s at %s after 90 s", id, d.Status, d.CurrentStep)
	return d
}

func (h *harness) results(t *testing.T, id int64) pipeline.Results {
	t.Helper()
	raw, err := h.svc.Store().Results(context.Background(), id)
	require.NoError(t, err)
	var r pipeline.Results
	require.NoError(t, json.Unmarshal(raw, &r))
	return r
}

// sftpToFTP builds the input of an SFTP → FTP migration of a fresh site.
func sftpToFTP(t testing.TB) (service.CreateInput, sitetest.Site, string, string) {
	t.Helper()
	srcCfg, srcName := sitetest.SourceDB(t)
	// Source and destination get accounts of their own, as on two real hosts: a
	// wp-config.php naming the wrong one cannot log in.
	srcCfg.User, srcCfg.Passwd = mysqltest.NewUser(t, srcName)
	s := makeSite(t, srcName, srcCfg.User, srcCfg.Passwd, srcCfg.Addr)
	sftpSrv := transfertest.StartSFTP(t, s.Dir, transfertest.SFTPOptions{})
	destDir := t.TempDir()
	ftpSrv := transfertest.StartFTP(t, destDir, transfertest.FTPOptions{DisableMLSD: true})
	dstDSN, dstName := mysqltest.NewDatabase(t)
	dstCfg := mysqltest.Config(t, dstDSN)
	dstCfg.User, dstCfg.Passwd = mysqltest.NewUser(t, dstName)
	host, port := splitAddr(t, srcCfg.Addr)
	dhost, dport := splitAddr(t, dstCfg.Addr)
	in := service.CreateInput{
		Method: "sftp", UserName: "Zoë Admin", UserEmail: "zoe@example.com", Service: "Business 10GB",
		Domain: "new-site.example.com", OldURL: oldURL, NewURL: newURL,
		Source: service.EndpointInput{Protocol: "sftp", Host: sftpSrv.Host, Port: sftpSrv.Port, User: sftpSrv.User,
			Password: sftpSrv.Password, Path: ".",
			DB: service.DatabaseInput{Host: host, Port: port, User: srcCfg.User, Password: srcCfg.Passwd, Name: srcName}},
		Destination: service.EndpointInput{Protocol: "ftp", Host: ftpSrv.Host, Port: ftpSrv.Port, User: ftpSrv.User,
			Password: ftpSrv.Password, Path: "/",
			DB: service.DatabaseInput{Host: dhost, Port: dport, User: dstCfg.User, Password: dstCfg.Passwd, Name: dstName}},
	}
	return in, s, destDir, dstDSN
}

func splitAddr(t testing.TB, addr string) (string, int) {
	t.Helper()
	i := strings.LastIndex(addr, ":")
	require.Positive(t, i)
	p, err := strconv.Atoi(addr[i+1:])
	require.NoError(t, err)
	return addr[:i], p
}

func TestSFTPToFTPMigrationEndToEnd(t *testing.T) {
	h := newHarness(t)
	in, s, destDir, dstDSN := sftpToFTP(t)
	d, err := h.svc.CreateMigration(context.Background(), in)
	require.NoError(t, err)
	d = h.waitDone(t, d.ID)
	require.Equal(t, "successful", d.Status, "reason: %s", d.FailureReason)
	for _, st := range d.Steps {
		require.Equal(t, "completed", st.State, st.ID)
	}

	// Files: every source file arrived byte for byte, dot files included; wp-config.php
	// now names the destination database.
	err = filepath.WalkDir(s.Dir, func(p string, e os.DirEntry, err error) error {
		require.NoError(t, err)
		if e.IsDir() || e.Name() == "wp-config.php" {
			return nil
		}
		rel, _ := filepath.Rel(s.Dir, p)
		want, _ := os.ReadFile(p)
		got, err := os.ReadFile(filepath.Join(destDir, rel))
		require.NoError(t, err, rel)
		require.Equal(t, want, got, rel)
		return nil
	})
	require.NoError(t, err)
	cfg, err := os.ReadFile(filepath.Join(destDir, "wp-config.php"))
	require.NoError(t, err)
	dstCfg := mysqltest.Config(t, dstDSN)
	require.Contains(t, string(cfg), "define( 'DB_NAME', '"+dstCfg.DBName+"' );")

	// Database: URLs rewritten everywhere, serialized lengths right, traps untouched.
	db, err := sql.Open("mysql", dstDSN)
	require.NoError(t, err)
	defer db.Close()
	var siteurl, widget, content string
	require.NoError(t, db.QueryRow("SELECT option_value FROM wp_options WHERE option_name='siteurl'").Scan(&siteurl))
	require.Equal(t, newURL, siteurl)
	require.NoError(t, db.QueryRow("SELECT option_value FROM wp_options WHERE option_name='widget_text'").Scan(&widget))
	require.Contains(t, widget, `s:43:"https://www.new-site.example.com:8080/blog/"`)
	require.NoError(t, db.QueryRow("SELECT post_content FROM wp_posts WHERE ID=7").Scan(&content))
	require.Contains(t, content, newURL+"/?p=7")
	require.Contains(t, content, "http://bold.test/")
	require.Contains(t, content, "http://old.testing.com/")
	var n int
	require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM wp_posts WHERE post_date = '0000-00-00 00:00:00'").Scan(&n))
	require.Equal(t, 60, n, "zero dates survive the import")

	require.NotEmpty(t, d.Source.HostKey, "the pinned SFTP host key shows in Source Details")
	require.True(t, strings.HasPrefix(d.Source.HostKey, "SHA256:"), d.Source.HostKey)
	res := h.results(t, d.ID)
	require.Equal(t, "6.4.3", res.WordPressVersion)
	require.Equal(t, "wp_", res.TablePrefix)
	require.EqualValues(t, s.Files, res.Download.Files)
	require.EqualValues(t, s.Files, res.Upload.Files)
	require.EqualValues(t, 60, res.SourceRows["wp_posts"])
	require.NotNil(t, res.Replacements)
	require.Positive(t, res.Replacements.Replacements)
	require.NotEmpty(t, res.Validation)
	for _, c := range res.Validation {
		require.True(t, c.OK, "%s: %s", c.Name, c.Message)
	}
	_, err = os.Stat(h.pipe.StagingDir(d.ID))
	require.ErrorIs(t, err, os.ErrNotExist, "Clean up removes staging")

	// The history and the events tell the same story.
	require.NotEmpty(t, h.events.Events(events.MigrationProgress))
	require.NotEmpty(t, h.events.Events(events.MigrationLog))
	logs, err := h.svc.GetLogs(context.Background(), d.ID, 0, 1000)
	require.NoError(t, err)
	var text strings.Builder
	for _, l := range logs {
		text.WriteString(l.Message + "\n")
	}
	require.Contains(t, text.String(), "Found WordPress 6.4.3")
	require.Contains(t, text.String(), "Migration completed")
	require.NotContains(t, text.String(), in.Source.Password)
	require.NotContains(t, text.String(), in.Destination.DB.Password+"'")

	// Independent truth: the destination itself against the source, with PHP's help.
	checkDestination(t, h, d.ID, in, s.Dir, destDir)
}

// TestTestConnection answers the New migration form's Test connection buttons.
func TestTestConnection(t *testing.T) {
	h := newHarness(t)
	in, _, _, _ := sftpToFTP(t)
	ctx := context.Background()
	rep, err := h.svc.TestConnection(ctx, "source", in.Source)
	require.NoError(t, err)
	require.True(t, rep.Files.OK, rep.Files.Message)
	require.Equal(t, "6.4.3", rep.WordPressVersion)
	require.True(t, rep.Database.OK, rep.Database.Message)
	require.Equal(t, oldURL, rep.SiteURL)
	require.NotEmpty(t, rep.HostKey)

	var start time.Time
	rep, err = h.svc.TestConnection(ctx, "destination", in.Destination)
	require.NoError(t, err)
	require.True(t, rep.Files.OK, rep.Files.Message)
	require.True(t, rep.Database.OK, rep.Database.Message)
	require.False(t, rep.Encrypted, "plain FTP is flagged")

	bad := in.Source
	bad.Password = "wrong"
	bad.DB.Password = "wrong-too"
	rep, err = h.svc.TestConnection(ctx, "source", bad)
	require.NoError(t, err)
	require.False(t, rep.Files.OK)
	require.Contains(t, rep.Files.Message, "Login incorrect on SFTP server")
	require.False(t, rep.Database.OK)
	require.Contains(t, rep.Database.Message, "Access denied")
	require.NotContains(t, rep.Database.Message, "wrong-too")

	// A host that accepts TCP but never answers: the form gets an answer, not a hang.
	silent := in.Source
	silent.Host, silent.Port = transfertest.SilentAddr(t)
	start = time.Now()
	rep, err = h.svc.TestConnection(ctx, "source", silent)
	require.NoError(t, err)
	require.False(t, rep.Files.OK)
	require.Contains(t, rep.Files.Message, "timeout")
	require.Less(t, time.Since(start), 10*time.Second, "Test connection answers within ten seconds")
}
