package pipeline_test

import (
	"context"
	"database/sql"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/dbroute/routetest"
	"ferry/backend/mysqldb/mysqltest"
	"ferry/backend/service"
	"ferry/backend/transfer/transfertest"
)

// gateProxy forwards the connections it accepts to a server; a hold func, when set,
// runs before each is forwarded (the client then waits for the server's greeting).
type gateProxy struct {
	port  int
	dials atomic.Int64
	seen  chan struct{} // closed at the first connection
	once  sync.Once
}

func startGateProxy(t *testing.T, target string, hold func(n int64)) *gateProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	g := &gateProxy{port: l.Addr().(*net.TCPAddr).Port, seen: make(chan struct{})}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			n := g.dials.Add(1)
			g.once.Do(func() { close(g.seen) })
			go func() {
				if hold != nil {
					hold(n)
				}
				s, err := net.Dial("tcp", target)
				if err != nil {
					_ = c.Close()
					return
				}
				mu.Lock()
				conns = append(conns, c, s)
				mu.Unlock()
				go func() { _, _ = io.Copy(s, c); _ = s.Close() }()
				_, _ = io.Copy(c, s)
				_ = c.Close()
			}()
		}
	}()
	return g
}

// holdUntil holds the connections from the from-th on until ready closes; after 3 s it
// lets them through and records that it had to.
func holdUntil(ready <-chan struct{}, from int64, late *atomic.Bool) func(int64) {
	return func(n int64) {
		if n < from {
			return
		}
		select {
		case <-ready:
		case <-time.After(3 * time.Second):
			late.Store(true)
		}
	}
}

func hostPortOf(host string, port int) string { return net.JoinHostPort(host, strconv.Itoa(port)) }

// logIndex is the position of the first line of step containing s (-1 if none).
func logIndex(logs []service.LogDTO, step, s string) int {
	for i, l := range logs {
		if l.Step == step && strings.Contains(l.Message, s) {
			return i
		}
	}
	return -1
}

// TestCheckDestinationAsksBothSidesAtOnce holds the destination's FTP login until the
// destination database has been dialled: Check destination passes only when it asks the
// database while the files side still waits (one after the other, the database would
// not be dialled before the login ended). The log still reads files side first.
func TestCheckDestinationAsksBothSidesAtOnce(t *testing.T) {
	h := newHarness(t)
	in, _, _, _ := sftpToFTP(t)
	db := startGateProxy(t, hostPortOf(in.Destination.DB.Host, in.Destination.DB.Port), nil)
	var late atomic.Bool
	files := startGateProxy(t, hostPortOf(in.Destination.Host, in.Destination.Port), holdUntil(db.seen, 1, &late))
	in.Destination.DB.Host, in.Destination.DB.Port = "127.0.0.1", db.port
	in.Destination.Host, in.Destination.Port = "127.0.0.1", files.port

	d, err := h.svc.CreateMigration(context.Background(), in)
	require.NoError(t, err)
	d = h.waitDone(t, d.ID)
	require.Equal(t, "successful", d.Status, d.FailureReason)
	require.False(t, late.Load(), "the destination database was dialled only after the docroot's login")
	logs, err := h.svc.GetLogs(context.Background(), d.ID, 0, 1000)
	require.NoError(t, err)
	space := logIndex(logs, "check_destination", "free space")
	version := logIndex(logs, "check_destination", "Destination MySQL")
	require.GreaterOrEqual(t, space, 0, "the files side's line")
	require.Greater(t, version, space, "the database side's lines follow the files side's")
}

// TestAnalyseSourceInspectsWhileListing holds the FTP logins Analyse source lists with
// (all but the first, which found WordPress) until the source database has been dialled:
// the listing ends only when the database is opened while it waits.
func TestAnalyseSourceInspectsWhileListing(t *testing.T) {
	h := newHarness(t)
	in, s, _, _ := sftpToFTP(t)
	src := transfertest.StartFTP(t, s.Dir, transfertest.FTPOptions{DisableMLSD: true, StatDashA: true})
	db := startGateProxy(t, hostPortOf(in.Source.DB.Host, in.Source.DB.Port), nil)
	var late atomic.Bool
	files := startGateProxy(t, src.Addr(), holdUntil(db.seen, 2, &late))
	in.Method, in.Source.Protocol, in.Source.Host, in.Source.Port = "ftp", "ftp", "127.0.0.1", files.port
	in.Source.User, in.Source.Password, in.Source.Path = src.User, src.Password, "/"
	in.Source.DB.Host, in.Source.DB.Port = "127.0.0.1", db.port

	d, err := h.svc.CreateMigration(context.Background(), in)
	require.NoError(t, err)
	d = h.waitDone(t, d.ID)
	require.Equal(t, "successful", d.Status, d.FailureReason)
	require.Greater(t, files.dials.Load(), int64(1), "the tree was listed on more than one login")
	require.False(t, late.Load(), "the source database was dialled only after the listing")
	logs, err := h.svc.GetLogs(context.Background(), d.ID, 0, 1000)
	require.NoError(t, err)
	holds := logIndex(logs, "analyse_source", "Source holds")
	inspected := logIndex(logs, "analyse_source", "Source database ")
	require.GreaterOrEqual(t, holds, 0)
	require.Greater(t, inspected, holds, "the database's lines follow the listing's")
}

// TestFirstStepsFailAsBeforeAndLeaveNoLogin: each way the first two steps fail still
// gives its verdict at its step, and once the migration has failed (and the logins kept
// for the next migration are let go) the source FTP server and the source database hold
// no login of Ferry's.
func TestFirstStepsFailAsBeforeAndLeaveNoLogin(t *testing.T) {
	cases := []struct {
		name   string
		change func(t *testing.T, in *service.CreateInput, destDir string)
		step   string
		reason string
	}{
		{"non-empty destination", func(t *testing.T, in *service.CreateInput, destDir string) {
			require.NoError(t, os.WriteFile(filepath.Join(destDir, "index.html"), []byte("the live site"), 0o644))
		}, "check_destination", "Destination folder / is not empty"},
		{"destination database refuses the login", func(t *testing.T, in *service.CreateInput, _ string) {
			in.Destination.DB.Password = "wrong-db-password"
		}, "check_destination", "Cannot connect to the destination database: Access denied"},
		{"non-empty destination and a refused database: the files side is named", func(t *testing.T, in *service.CreateInput, destDir string) {
			require.NoError(t, os.WriteFile(filepath.Join(destDir, "index.html"), []byte("the live site"), 0o644))
			in.Destination.DB.Password = "wrong-db-password"
		}, "check_destination", "Destination folder / is not empty"},
		{"non-empty destination and no WordPress at the source: the destination is named", func(t *testing.T, in *service.CreateInput, destDir string) {
			require.NoError(t, os.WriteFile(filepath.Join(destDir, "index.html"), []byte("the live site"), 0o644))
			in.Source.Path = "/wp-content"
		}, "check_destination", "Destination folder / is not empty"},
		{"wrong FTP password at the source", func(t *testing.T, in *service.CreateInput, _ string) {
			in.Source.Password = "not-the-password"
		}, "analyse_source", "Login incorrect on FTP server"},
		{"no WordPress at the path", func(t *testing.T, in *service.CreateInput, _ string) {
			in.Source.Path = "/wp-content"
		}, "analyse_source", "WordPress not found at specified path"},
		{"source database refuses the login", func(t *testing.T, in *service.CreateInput, _ string) {
			in.Source.DB.Password = "wrong-db-password"
		}, "analyse_source", "Login failed on the source database as "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			in, s, destDir, _ := sftpToFTP(t)
			src := transfertest.StartFTP(t, s.Dir, transfertest.FTPOptions{DisableMLSD: true, StatDashA: true})
			link := transfertest.NewDelay(t, 10*time.Millisecond)
			in.Method, in.Source.Protocol, in.Source.Host, in.Source.Port = "ftp", "ftp", "127.0.0.1", link.Listen(src.Addr())
			in.Source.User, in.Source.Password, in.Source.Path = src.User, src.Password, "/"
			user := in.Source.DB.User
			tc.change(t, &in, destDir)

			d, err := h.svc.CreateMigration(context.Background(), in)
			require.NoError(t, err)
			d = h.waitDone(t, d.ID)
			require.Equal(t, "failed", d.Status)
			require.Equal(t, tc.step, d.CurrentStep, d.FailureReason)
			require.True(t, strings.HasPrefix(d.FailureReason, tc.reason), "reason %q should start with %q", d.FailureReason, tc.reason)

			require.NoError(t, h.pipe.Close()) // the logins parked for a next migration
			root, err := sql.Open("mysql", mysqltest.ServerDSN(t))
			require.NoError(t, err)
			defer root.Close()
			var sqlOpen int
			for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				require.NoError(t, root.QueryRow("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = ?", user).Scan(&sqlOpen))
				if src.Active.Load() == 0 && sqlOpen == 0 || time.Now().After(deadline) {
					break
				}
			}
			require.Zero(t, src.Active.Load(), "FTP logins left open at the source")
			require.Zero(t, sqlOpen, "connections left open to the source database")
		})
	}
}

// ftpSource makes in's source an FTP server (listing like vsftpd) serving s's files, reached
// through a gate proxy with hold.
func ftpSource(t *testing.T, in *service.CreateInput, dir string, hold func(int64)) (*transfertest.FTPServer, *gateProxy) {
	t.Helper()
	src := transfertest.StartFTP(t, dir, transfertest.FTPOptions{DisableMLSD: true, StatDashA: true})
	g := startGateProxy(t, src.Addr(), hold)
	in.Method, in.Source.Protocol, in.Source.Host, in.Source.Port = "ftp", "ftp", "127.0.0.1", g.port
	in.Source.User, in.Source.Password, in.Source.Path = src.User, src.Password, "/"
	return src, g
}

// TestAnalyseSourceRunsWhileDestinationIsChecked holds every connection to the
// destination (files and database) until the source's FTP server has been dialled:
// Check destination passes only when Analyse source started alongside it. The analysis
// logs under Analyse source.
func TestAnalyseSourceRunsWhileDestinationIsChecked(t *testing.T) {
	h := newHarness(t)
	in, s, _, _ := sftpToFTP(t)
	var source *gateProxy
	sourceSeen := make(chan struct{})
	var late atomic.Bool
	files := startGateProxy(t, hostPortOf(in.Destination.Host, in.Destination.Port), holdUntil(sourceSeen, 1, &late))
	db := startGateProxy(t, hostPortOf(in.Destination.DB.Host, in.Destination.DB.Port), holdUntil(sourceSeen, 1, &late))
	in.Destination.Host, in.Destination.Port = "127.0.0.1", files.port
	in.Destination.DB.Host, in.Destination.DB.Port = "127.0.0.1", db.port
	_, source = ftpSource(t, &in, s.Dir, nil)
	go func() {
		select {
		case <-source.seen:
			close(sourceSeen)
		case <-time.After(10 * time.Second):
		}
	}()

	d, err := h.svc.CreateMigration(context.Background(), in)
	require.NoError(t, err)
	d = h.waitDone(t, d.ID)
	require.Equal(t, "successful", d.Status, d.FailureReason)
	require.False(t, late.Load(), "the source was dialled only after the destination was checked")
	logs, err := h.svc.GetLogs(context.Background(), d.ID, 0, 1000)
	require.NoError(t, err)
	require.GreaterOrEqual(t, logIndex(logs, "analyse_source", "Found WordPress"), 0, "the analysis logs under Analyse source")
	require.Equal(t, -1, logIndex(logs, "check_destination", "Found WordPress"))
	require.GreaterOrEqual(t, logIndex(logs, "analyse_source", "Source database "), 0)
	res := h.results(t, d.ID)
	require.Positive(t, res.SourceFiles, "Analyse source's results are kept")
	require.Equal(t, "wp_", res.TablePrefix)
}

// TestStopDuringCheckEndsTheAnalysis stops a migration whose Check destination is stuck
// on its destination while Analyse source, started alongside, is logged in to the source:
// the run ends Stopped at Check destination and no FTP login is left at the source.
func TestStopDuringCheckEndsTheAnalysis(t *testing.T) {
	h := newHarness(t)
	in, s, _, _ := sftpToFTP(t)
	stuck := make(chan struct{})
	t.Cleanup(func() { close(stuck) })
	hold := func(int64) { <-stuck }
	files := startGateProxy(t, hostPortOf(in.Destination.Host, in.Destination.Port), hold)
	in.Destination.Host, in.Destination.Port = "127.0.0.1", files.port
	src, _ := ftpSource(t, &in, s.Dir, nil)

	d, err := h.svc.CreateMigration(context.Background(), in)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return src.Active.Load() > 0 }, 10*time.Second, 5*time.Millisecond, "the analysis logs in to the source")
	_, err = h.svc.StopMigration(context.Background(), d.ID)
	require.NoError(t, err)
	d = h.waitDone(t, d.ID)
	require.Equal(t, "failed", d.Status)
	require.Equal(t, "check_destination", d.CurrentStep)
	require.NoError(t, h.run.Wait(context.Background(), d.ID))
	require.NoError(t, h.pipe.Close())
	for deadline := time.Now().Add(5 * time.Second); src.Active.Load() > 0 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	require.Zero(t, src.Active.Load(), "FTP logins left open at the source")
}

// TestRetryAtAnalyseSourceAnalyses: a run that failed at Analyse source (its analysis
// started alongside Check destination) is retried from Analyse source, which then
// analyses on its own and the migration completes.
func TestRetryAtAnalyseSourceAnalyses(t *testing.T) {
	h := newHarness(t)
	in, s, _, _ := sftpToFTP(t)
	empty := t.TempDir()
	ftpSource(t, &in, empty, nil)

	d, err := h.svc.CreateMigration(context.Background(), in)
	require.NoError(t, err)
	d = h.waitDone(t, d.ID)
	require.Equal(t, "failed", d.Status)
	require.Equal(t, "analyse_source", d.CurrentStep)
	require.True(t, strings.HasPrefix(d.FailureReason, "WordPress not found at specified path"), d.FailureReason)

	require.NoError(t, os.CopyFS(empty, os.DirFS(s.Dir)))
	_, err = h.svc.RetryMigration(context.Background(), d.ID, false)
	require.NoError(t, err)
	d = h.waitDone(t, d.ID)
	require.Equal(t, "successful", d.Status, d.FailureReason)
	logs, err := h.svc.GetLogs(context.Background(), d.ID, 0, 1000)
	require.NoError(t, err)
	var checks, aheads int
	for _, l := range logs {
		if l.Step == "check_destination" && strings.HasSuffix(l.Message, "started") {
			checks++
		}
		if strings.Contains(l.Message, "while the destination is checked") {
			aheads++
		}
	}
	require.Equal(t, 1, checks, "the retry starts at Analyse source")
	require.Equal(t, 1, aheads, "only the first run analysed ahead")
	require.Positive(t, h.results(t, d.ID).SourceFiles)
}

// TestNonEmptyDocrootCreatesNoDatabase: the destination's database side, asked while the
// docroot is checked, creates a missing database only once the docroot passed: a refused
// docroot leaves no new database behind.
func TestNonEmptyDocrootCreatesNoDatabase(t *testing.T) {
	root, err := sql.Open("mysql", mysqltest.ServerDSN(t))
	require.NoError(t, err)
	defer root.Close()
	h := newHarness(t)
	in, _, destDir, _ := sftpToFTP(t)
	require.NoError(t, os.WriteFile(filepath.Join(destDir, "index.html"), []byte("the live site"), 0o644))
	name := "ferry_t_new_" + randHex(t)
	t.Cleanup(func() { _, _ = dropDatabase(t, name) })
	user, pass := "ferry_c_"+randHex(t), "Cr-"+randHex(t)
	t.Cleanup(func() { mysqltest.DropUser(t, user) })
	for _, q := range []string{
		"CREATE USER '" + user + "'@'%' IDENTIFIED BY '" + pass + "'",
		"GRANT ALL ON `ferry\\_t\\_new\\_%`.* TO '" + user + "'@'%'",
	} {
		_, err := root.Exec(q)
		require.NoError(t, err, q)
	}
	in.Destination.DB.Name, in.Destination.DB.User, in.Destination.DB.Password = name, user, pass
	// a far docroot: the database side is ready to create long before the docroot's verdict
	link := transfertest.NewDelay(t, 100*time.Millisecond)
	in.Destination.Port = link.Listen(hostPortOf(in.Destination.Host, in.Destination.Port))

	d, err := h.svc.CreateMigration(context.Background(), in)
	require.NoError(t, err)
	d = h.waitDone(t, d.ID)
	require.Equal(t, "failed", d.Status)
	require.Equal(t, "check_destination", d.CurrentStep)
	require.True(t, strings.HasPrefix(d.FailureReason, "Destination folder / is not empty"), d.FailureReason)
	var n int
	require.NoError(t, root.QueryRow("SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = ?", name).Scan(&n))
	require.Zero(t, n, "no database was created for a refused destination")
}

// TestRefusedDocrootGetsNoAgent: a destination database reached through the site's PHP,
// asked while a non-empty docroot is checked, puts no agent in that docroot (watched
// throughout the run): the check refuses the docroot first.
func TestRefusedDocrootGetsNoAgent(t *testing.T) {
	h := newHarness(t)
	in, _, destDir, _ := sftpToFTP(t)
	require.NoError(t, os.WriteFile(filepath.Join(destDir, "index.php"), []byte("<?php echo 'the live site';"), 0o644))
	in.NewURL = routetest.StartPHP(t, "127.0.0.1", destDir)
	in.Destination.DB.Access = "php"
	var seen atomic.Bool
	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for {
			if len(agentFiles(t, destDir)) > 0 {
				seen.Store(true)
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	d, err := h.svc.CreateMigration(context.Background(), in)
	require.NoError(t, err)
	d = h.waitDone(t, d.ID)
	close(stop)
	<-watched
	require.Equal(t, "failed", d.Status)
	require.True(t, strings.HasPrefix(d.FailureReason, "Destination folder / is not empty"), d.FailureReason)
	require.False(t, seen.Load(), "an agent was put in the refused docroot")
	raw, err := h.svc.Store().Results(context.Background(), d.ID)
	require.NoError(t, err)
	require.NotContains(t, string(raw), "ferry-", "no agent was recorded")
}
