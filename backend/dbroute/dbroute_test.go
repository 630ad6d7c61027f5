package dbroute_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"ferry/backend/agent"
	"ferry/backend/dbroute"
	"ferry/backend/dbroute/routetest"
	"ferry/backend/mysqldb"
	"ferry/backend/mysqldb/mysqltest"
	"ferry/backend/transfer/local"
)

// Automatic keeps the first route that works and says why the earlier ones failed. The
// servers are real: MariaDB listens on 127.0.0.1 only, while the "web host" (sshd, its
// address for a database on localhost) is 127.0.0.2, so direct TCP to it is refused just
// as on a host whose MySQL is bound to localhost.
func TestAutomaticChoosesTheFirstRouteThatWorks(t *testing.T) {
	_, name := mysqltest.NewDatabase(t)
	user, pass := routetest.DBUser(t, name)
	onServer := dbroute.Target{Host: "localhost", User: user, Password: pass, Name: name}
	sshFor := func(s routetest.SSHD) func(context.Context) (*ssh.Client, error) {
		return func(context.Context) (*ssh.Client, error) {
			signer, err := ssh.ParsePrivateKey(s.Key)
			if err != nil {
				return nil, err
			}
			return ssh.Dial("tcp", s.Addr, &ssh.ClientConfig{User: s.User, Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)}, HostKeyCallback: ssh.InsecureIgnoreHostKey()})
		}
	}
	docroot := t.TempDir()
	siteURL := routetest.StartPHP(t, "127.0.0.1", docroot)
	files := func(context.Context) (agent.Files, error) { return local.Open(docroot) }

	tunnelOK := routetest.StartSSHD(t, "127.0.0.2", true)
	noForward := routetest.StartSSHD(t, "127.0.0.2", false)
	noClient := routetest.StartSSHD(t, "127.0.0.2", false, "SetEnv PATH="+routetest.PathWithout(t))

	cases := []struct {
		name    string
		ep      dbroute.Endpoint
		db      dbroute.Target
		route   dbroute.Access
		summary string
	}{
		{"direct open", dbroute.Endpoint{Host: "127.0.0.1", Remote: true, SSH: sshFor(tunnelOK)},
			onServer,
			dbroute.Direct, "using Direct"},
		{"only tunnel", dbroute.Endpoint{Host: "127.0.0.2", Remote: true, SSH: sshFor(tunnelOK)}, onServer,
			dbroute.Tunnel, "Direct: port 3306 refused; using SSH tunnel"},
		{"only ssh command", dbroute.Endpoint{Host: "127.0.0.2", Remote: true, SSH: sshFor(noForward), Files: files, SiteURL: siteURL}, onServer,
			dbroute.Command, "Direct: port 3306 refused; SSH tunnel: forwarding disabled by the server; using SSH command"},
		{"only php", dbroute.Endpoint{Host: "127.0.0.2", Remote: true, SSH: sshFor(noClient), Files: files, SiteURL: siteURL}, onServer,
			dbroute.Site, "Direct: port 3306 refused; SSH tunnel: forwarding disabled by the server; SSH command: mysqldump not found; using the site's PHP"},
		{"php, no ssh at all", dbroute.Endpoint{Host: "127.0.0.2", Remote: true, Files: files, SiteURL: siteURL}, onServer,
			dbroute.Site, "Direct: port 3306 refused; SSH tunnel: needs an SFTP login; SSH command: needs an SFTP login; using the site's PHP"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			var recorded []string
			tc.ep.OnAgent = func(p string, present bool) error {
				if present {
					recorded = append(recorded, p)
				}
				return nil
			}
			c, err := dbroute.Open(ctx, tc.ep, tc.db, dbroute.Automatic, dbroute.Options{})
			require.NoError(t, err)
			require.Equal(t, tc.route, c.Route)
			require.Equal(t, tc.summary, c.Summary())
			// the route really reaches the database
			_, err = c.DB.SQL().ExecContext(ctx, fmt.Sprintf("CREATE TABLE t_%d (id int PRIMARY KEY)", i))
			require.NoError(t, err)
			info, err := mysqldb.Inspect(ctx, c.DB)
			require.NoError(t, err)
			require.NotEmpty(t, info.Tables)
			require.NoError(t, c.Close(ctx))
			if tc.route == dbroute.Site {
				require.Len(t, recorded, 1, "the agent's path is recorded before upload")
				_, err := os.Stat(filepath.Join(docroot, recorded[0]))
				require.True(t, os.IsNotExist(err), "the agent is removed at Close")
			}
		})
	}
}

// A chosen route is used alone: with SSH tunnel chosen and forwarding off, Open fails and
// says why, instead of trying another route.
func TestChosenRouteIsNotReplaced(t *testing.T) {
	_, name := mysqltest.NewDatabase(t)
	user, pass := routetest.DBUser(t, name)
	s := routetest.StartSSHD(t, "127.0.0.2", false)
	ep := dbroute.Endpoint{Host: "127.0.0.2", Remote: true, SSH: func(context.Context) (*ssh.Client, error) {
		signer, _ := ssh.ParsePrivateKey(s.Key)
		return ssh.Dial("tcp", s.Addr, &ssh.ClientConfig{User: s.User, Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)}, HostKeyCallback: ssh.InsecureIgnoreHostKey()})
	}}
	_, err := dbroute.Open(context.Background(), ep, dbroute.Target{Host: "localhost", User: user, Password: pass, Name: name}, dbroute.Tunnel, dbroute.Options{})
	require.EqualError(t, err, "SSH tunnel: forwarding disabled by the server")
}

// A dump through the site's PHP does not claim a snapshot it does not have: each request
// runs in its own session on the server.
func TestSiteDumpSaysItsSnapshotIsPerRequest(t *testing.T) {
	_, name := mysqltest.NewDatabase(t)
	user, pass := routetest.DBUser(t, name)
	docroot := t.TempDir()
	ep := dbroute.Endpoint{Host: "127.0.0.2", Remote: true, SiteURL: routetest.StartPHP(t, "127.0.0.1", docroot),
		Files: func(context.Context) (agent.Files, error) { return local.Open(docroot) }}
	ctx := context.Background()
	c, err := dbroute.Open(ctx, ep, dbroute.Target{Host: "localhost", User: user, Password: pass, Name: name}, dbroute.Site, dbroute.Options{})
	require.NoError(t, err)
	defer c.Close(ctx)
	_, err = c.DB.SQL().ExecContext(ctx, "CREATE TABLE t (id int PRIMARY KEY)")
	require.NoError(t, err)
	_, err = c.DB.SQL().ExecContext(ctx, "INSERT INTO t VALUES (1), (2)")
	require.NoError(t, err)
	st, err := c.Dump(ctx, io.Discard, mysqldb.DumpOptions{})
	require.NoError(t, err)
	require.Equal(t, int64(2), st.Rows)
	require.Equal(t, "per-request", st.Snapshot)
}

// A dump through the site's PHP reads a table's key ranges on two requests at once by
// default, and holds every row once: its statements are the direct dump's, in another order.
func TestSiteDumpReadsRangesInParallel(t *testing.T) {
	dsn, name := mysqltest.NewDatabase(t)
	user, pass := routetest.DBUser(t, name)
	raw, err := sql.Open("mysql", dsn)
	require.NoError(t, err)
	defer raw.Close()
	// statistics fixed by one ANALYZE, so both dumps cut the table at the same keys
	_, err = raw.Exec("CREATE TABLE t (id int NOT NULL AUTO_INCREMENT, v varchar(200), n int NULL, PRIMARY KEY (id)) STATS_AUTO_RECALC=0")
	require.NoError(t, err)
	for i := 0; i < 6; i++ {
		_, err = raw.Exec("INSERT INTO t (v, n) SELECT CONCAT(REPEAT('it''s \\\\ ', 10), seq), IF(seq % 7 = 0, NULL, seq) FROM seq_1_to_2000")
		require.NoError(t, err)
	}
	_, err = raw.Exec("ANALYZE TABLE t")
	require.NoError(t, err)
	docroot := t.TempDir()
	inFlight := &flightCounter{base: http.DefaultTransport}
	ep := dbroute.Endpoint{Host: "127.0.0.1", Remote: true, SiteURL: routetest.StartPHP(t, "127.0.0.1", docroot),
		Files: func(context.Context) (agent.Files, error) { return local.Open(docroot) }}
	ctx := context.Background()
	target := dbroute.Target{Host: "127.0.0.1", Port: 3306, User: user, Password: pass, Name: name}
	dump := func(r dbroute.Access, workers int) []string {
		c, err := dbroute.Open(ctx, ep, target, r, dbroute.Options{Agent: agent.Config{Transport: inFlight, Slice: 50 * time.Millisecond}})
		require.NoError(t, err)
		defer c.Close(ctx)
		var b bytes.Buffer
		st, err := c.Dump(ctx, &b, mysqldb.DumpOptions{Workers: workers, ChunkRows: 1500})
		require.NoError(t, err)
		require.EqualValues(t, 12000, st.Rows)
		lines := strings.Split(b.String(), "\n")
		slices.Sort(lines)
		return lines
	}
	direct := dump(dbroute.Direct, 1)
	viaSite := dump(dbroute.Site, 0)
	require.Equal(t, direct, viaSite, "the site's dump holds other statements than the direct one")
	require.Equal(t, 2, int(inFlight.most.Load()), "two slice requests at once")
}

// flightCounter counts the dump requests in flight at once (until their answer is read).
type flightCounter struct {
	base http.RoundTripper
	now  atomic.Int32
	most atomic.Int32
}

func (f *flightCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	b, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(b))
	if !bytes.HasPrefix(b, []byte("\x00\x00\x00\x05slice")) {
		return f.base.RoundTrip(r)
	}
	n := f.now.Add(1)
	for m := f.most.Load(); n > m && !f.most.CompareAndSwap(m, n); m = f.most.Load() {
	}
	resp, err := f.base.RoundTrip(r)
	if err != nil {
		f.now.Add(-1)
		return nil, err
	}
	resp.Body = &doneBody{ReadCloser: resp.Body, done: func() { f.now.Add(-1) }}
	return resp, nil
}

type doneBody struct {
	io.ReadCloser
	once sync.Once
	done func()
}

func (d *doneBody) Close() error {
	d.once.Do(d.done)
	return d.ReadCloser.Close()
}
