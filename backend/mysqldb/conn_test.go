package mysqldb

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	gliderssh "github.com/gliderlabs/ssh"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
)

func TestOpenErrors(t *testing.T) {
	_, cfg := testDB(t)
	const secret = "s3cret-Pa55word"
	tests := []struct {
		name string
		mod  func(c *Config)
		want string
		kind error
	}{
		{"wrong user", func(c *Config) { c.User, c.Password = "ferry_nobody", secret }, "Access denied for user 'ferry_nobody'@", ErrAccessDenied},
		{"unknown database", func(c *Config) { c.Database = "ferry_missing_db" }, "Unknown database 'ferry_missing_db'", ErrUnknownDatabase},
		{"unreachable", func(c *Config) { c.Host, c.Port, c.Password = "127.0.0.1", 1, secret }, "Cannot reach MySQL at 127.0.0.1:1", ErrUnreachable},
		{"tunnel failure", func(c *Config) {
			c.Password = secret
			c.Dial = func(context.Context, string) (net.Conn, error) {
				return nil, errors.New("ssh: rejected: administratively prohibited")
			}
		}, "SSH tunnel failed: ssh: rejected: administratively prohibited", ErrTunnel},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := cfg
			c.ConnectTimeout = 3 * time.Second
			tc.mod(&c)
			_, err := Open(context.Background(), c)
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
			require.ErrorIs(t, err, tc.kind)
			require.NotContains(t, err.Error(), secret)
			var ce *ConnError
			require.ErrorAs(t, err, &ce)
		})
	}
}

// startSSH runs an in-process SSH server that forwards direct-tcpip channels, as the web
// host's OpenSSH does for `ssh -L`.
func startSSH(t *testing.T, allowForward bool) *ssh.Client {
	t.Helper()
	srv := &gliderssh.Server{
		Handler:         func(s gliderssh.Session) {},
		PasswordHandler: func(ctx gliderssh.Context, pass string) bool { return ctx.User() == "site" && pass == "sftp-pass" },
		LocalPortForwardingCallback: func(ctx gliderssh.Context, host string, port uint32) bool {
			return allowForward
		},
		ChannelHandlers: map[string]gliderssh.ChannelHandler{"direct-tcpip": gliderssh.DirectTCPIPHandler, "session": gliderssh.DefaultSessionHandler},
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	client, err := ssh.Dial("tcp", ln.Addr().String(), &ssh.ClientConfig{
		User: "site", Auth: []ssh.AuthMethod{ssh.Password("sftp-pass")},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 5 * time.Second,
	})
	require.NoError(t, err)
	t.Cleanup(func() { client.Close() })
	return client
}

func TestOpenThroughSSHTunnel(t *testing.T) {
	src, cfg := testDB(t)
	mustExec(t, src, "CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (1),(2),(3)")

	c := cfg
	c.Dial = SSHTunnelDialer(startSSH(t, true))
	db, err := Open(context.Background(), c)
	require.NoError(t, err)
	defer db.Close()
	counts, err := CountRows(context.Background(), db)
	require.NoError(t, err)
	require.Equal(t, map[string]int64{"t": 3}, counts)

	c.Dial = SSHTunnelDialer(startSSH(t, false))
	_, err = Open(context.Background(), c)
	require.ErrorIs(t, err, ErrTunnel)
	require.Contains(t, err.Error(), "SSH tunnel failed: forward to "+net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)))
}

func TestInspect(t *testing.T) {
	db, _ := testDB(t)
	mustExec(t, db,
		"CREATE TABLE site2_options (option_id INT PRIMARY KEY, option_name VARCHAR(191), option_value LONGTEXT)",
		"INSERT INTO site2_options VALUES (1, 'siteurl', 'http://other.test')",
		"CREATE TABLE wp_options (option_id INT PRIMARY KEY, option_name VARCHAR(191), option_value LONGTEXT)",
		"INSERT INTO wp_options VALUES (1, 'siteurl', 'http://old.test'), (2, 'home', 'http://old.test/home'), (3, 'x', 'a:1:{s:1:\"a\";i:1;}')",
		"CREATE TABLE plugin_options (k INT)",
		"CREATE VIEW v AS SELECT 1",
	)
	info, err := Inspect(context.Background(), db)
	require.NoError(t, err)
	require.Regexp(t, `^\d+\.\d+`, info.Version)
	require.Positive(t, info.MaxAllowedPacket)
	require.Contains(t, info.Collations, "utf8mb4_unicode_ci")
	require.True(t, info.CanCreateDatabase, "the test login is root-like")
	require.Equal(t, "wp_", info.TablePrefix)
	require.Equal(t, "http://old.test", info.SiteURL)
	require.Equal(t, "http://old.test/home", info.Home)
	names := []string{}
	for _, ti := range info.Tables {
		names = append(names, ti.Name)
	}
	require.Equal(t, []string{"plugin_options", "site2_options", "v", "wp_options"}, names)

	counts, err := CountRows(context.Background(), db)
	require.NoError(t, err)
	require.Equal(t, map[string]int64{"plugin_options": 0, "site2_options": 1, "wp_options": 3}, counts)
	sums, err := ChecksumTables(context.Background(), db, "wp_options")
	require.NoError(t, err)
	require.NotZero(t, sums["wp_options"])
	_, err = ChecksumTables(context.Background(), db, "missing")
	require.Error(t, err)
}

// TestCountRowsManyTables counts more tables than one UNION ALL query holds, each right.
func TestCountRowsManyTables(t *testing.T) {
	db, _ := testDB(t)
	want := map[string]int64{}
	for i := range 70 {
		name := fmt.Sprintf("t%02d", i)
		mustExec(t, db, "CREATE TABLE "+name+" (id INT PRIMARY KEY)")
		for k := range i % 4 {
			mustExec(t, db, fmt.Sprintf("INSERT INTO %s VALUES (%d)", name, k))
		}
		want[name] = int64(i % 4)
	}
	counts, err := CountRows(context.Background(), db)
	require.NoError(t, err)
	require.Equal(t, want, counts)
}
