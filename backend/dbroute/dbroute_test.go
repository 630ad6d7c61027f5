package dbroute_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

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
