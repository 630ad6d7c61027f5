package agent_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/agent"
	"ferry/backend/dbroute/routetest"
	"ferry/backend/mysqldb"
	"ferry/backend/mysqldb/mysqltest"
	"ferry/backend/mysqlwire"
	"ferry/backend/pipeline/sitetest"
	"ferry/backend/transfer/local"
)

// startPHP serves docroot with Debian's real php (skipped without php, failed under CI=true).
func startPHP(t testing.TB, docroot string, ini ...string) string {
	t.Helper()
	return routetest.StartPHP(t, "127.0.0.1", docroot, ini...)
}

// counter counts requests to the agent and can cut the response of a chosen one short.
type counter struct {
	base   http.RoundTripper
	n      atomic.Int64
	cutAt  int64 // 1-based request number whose body is cut; 0: none
	cutLen int64
	mu     sync.Mutex
	cuts   int
	kinds  map[string]int
	read   atomic.Int64 // bytes of response bodies read
}

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	b, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(b))
	op := ""
	if len(b) > 4 {
		n := int(b[3])
		op = string(b[4 : 4+n])
	}
	c.mu.Lock()
	if c.kinds == nil {
		c.kinds = map[string]int{}
	}
	c.kinds[op]++
	c.mu.Unlock()
	n := c.n.Add(1)
	resp, err := c.base.RoundTrip(r)
	if err == nil && n == c.cutAt {
		c.mu.Lock()
		c.cuts++
		c.mu.Unlock()
		resp.Body = &cutBody{r: io.LimitReader(resp.Body, c.cutLen), c: resp.Body}
	}
	if err == nil {
		resp.Body = &countBody{ReadCloser: resp.Body, n: &c.read}
	}
	return resp, err
}

func (c *counter) count(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.kinds[op]
}

type cutBody struct {
	r io.Reader
	c io.Closer
}

func (b *cutBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}
func (b *cutBody) Close() error { return b.c.Close() }

type countBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c *countBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// deploy uploads an agent into docroot for the database of cfg.
func deploy(t *testing.T, url, docroot string, dsn string, tr http.RoundTripper, slice time.Duration) *agent.Agent {
	t.Helper()
	mc := mysqltest.Config(t, dsn)
	host, port, _ := net.SplitHostPort(mc.Addr)
	var p int
	fmt.Sscan(port, &p)
	a, err := agent.New(agent.Config{
		SiteURL: url, Transport: tr, Slice: slice,
		Open: func(context.Context) (agent.Files, error) { return local.Open(docroot) },
		DB:   agent.DB{Host: host, Port: p, User: mc.User, Password: mc.Passwd, Name: mc.DBName},
	})
	require.NoError(t, err)
	require.NoError(t, a.Upload(context.Background()))
	t.Cleanup(func() { _ = a.Remove(context.Background()) })
	return a
}

// openDirect opens a test database over TCP.
func openDirect(t *testing.T, dsn string) *mysqldb.DB {
	t.Helper()
	mc := mysqltest.Config(t, dsn)
	host, port, _ := net.SplitHostPort(mc.Addr)
	var p int
	fmt.Sscan(port, &p)
	db, err := mysqldb.Open(context.Background(), mysqldb.Config{Host: host, Port: p, User: mc.User, Password: mc.Passwd, Database: mc.DBName})
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// openAgent opens the same database through the agent.
func openAgent(t *testing.T, a *agent.Agent, name string) *mysqldb.DB {
	t.Helper()
	db, err := mysqldb.Open(context.Background(), mysqldb.Config{Host: "agent", Database: name, Dial: mysqlwire.Dialer(a)})
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// sourceDSN builds the WordPress-shaped test database plus a table of awkward values
// (NULLs, binary, floats, unsigned, dates) and a table of rows rows.
func sourceDSN(t *testing.T, rows int) string {
	t.Helper()
	cfg, _ := sitetest.SourceDB(t)
	dsn := cfg.FormatDSN()
	db, err := sql.Open("mysql", dsn)
	require.NoError(t, err)
	defer db.Close()
	for _, s := range []string{
		"CREATE TABLE odd (id int NOT NULL, b varbinary(20), bl blob, f float, d double, u bigint unsigned, dt datetime, j text, n decimal(10,3), PRIMARY KEY (id))",
		"INSERT INTO odd VALUES (1, 0x00FF0A27, 0x5C00, 1.5, 2.25e-10, 18446744073709551615, '0000-00-00 00:00:00', NULL, -12.5), (2, NULL, '', NULL, NULL, 0, NULL, 'it''s \\\\ \"q\"\\n', NULL)",
		"CREATE TABLE nokey (a varchar(10), b int)",
		"INSERT INTO nokey VALUES ('x', 1), (NULL, NULL)",
		// The dump cuts a table into ranges by the server's row estimate: with background
		// statistics off and one ANALYZE after the rows are in, every dump of the table
		// sees the same estimate, and two routes' dumps compare byte for byte. (A late
		// background recount made the agent's dump start an INSERT at another row.)
		"CREATE TABLE big (id int unsigned NOT NULL AUTO_INCREMENT, v varchar(64), PRIMARY KEY (id)) STATS_AUTO_RECALC=0",
	} {
		_, err := db.Exec(s)
		require.NoError(t, err, s)
	}
	var sb strings.Builder
	for i := 1; i <= rows; i++ {
		if sb.Len() > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, "(NULL, 'row %d http://old.test/x')", i)
		if i%2000 == 0 || i == rows {
			_, err := db.Exec("INSERT INTO big (id, v) VALUES " + sb.String())
			require.NoError(t, err)
			sb.Reset()
		}
	}
	_, err = db.Exec("ANALYZE TABLE big")
	require.NoError(t, err)
	return dsn
}

// dump dumps db with one worker, so that the bytes are comparable.
func dump(t *testing.T, db *mysqldb.DB) []byte {
	t.Helper()
	var b bytes.Buffer
	_, err := mysqldb.Dump(context.Background(), db, &b, mysqldb.DumpOptions{Workers: 1, ChunkRows: 4000})
	require.NoError(t, err)
	return b.Bytes()
}

// withoutName drops the header line that names the database.
func withoutName(b []byte) []byte {
	_, rest, _ := bytes.Cut(b, []byte("\n"))
	return rest
}
