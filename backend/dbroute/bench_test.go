package dbroute_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
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

// BenchmarkRouteThroughput (make bench) dumps and imports a generated database by each
// route on loopback, three interleaved rounds each checked, and prints MB/s and the ratio
// of medians to direct. One call does all rounds (b.N is not used: a round takes seconds).
// FERRY_BENCH_DB_MB sets the database's size (default about 38 MB; the benchmark
// database is 500 MB), FERRY_BENCH_ROUNDS the number of rounds, FERRY_BENCH_DUMP_WORKERS
// the dumps' DumpOptions.Workers (default: each route's own; the SSH command route then
// runs as many mysqldump processes as the server has idle processors, often one here).
func BenchmarkRouteThroughput(b *testing.B) {
	t := b
	ctx := context.Background()
	batches := 40 // of 1000 rows, about 0.94 MB of dump each
	if mb := envInt(t, "FERRY_BENCH_DB_MB"); mb > 0 {
		batches = max(1, int(float64(mb)/0.94+0.5))
	}
	rounds := 3
	if n := envInt(t, "FERRY_BENCH_ROUNDS"); n > 0 {
		rounds = n
	}
	rows := batches * 1000
	dsn, name := mysqltest.NewDatabase(t)
	user, pass := routetest.DBUser(t, name)
	raw, err := sql.Open("mysql", dsn)
	require.NoError(t, err)
	defer raw.Close()
	_, err = raw.Exec("CREATE TABLE wp_posts (ID bigint unsigned NOT NULL AUTO_INCREMENT, post_content longtext, guid varchar(255), PRIMARY KEY (ID))")
	require.NoError(t, err)
	body := strings.Repeat("Lorem ipsum http://old.test/ dolor sit amet, ", 20)
	for i := 0; i < batches; i++ {
		var sb strings.Builder
		for j := 0; j < 1000; j++ {
			if j > 0 {
				sb.WriteByte(',')
			}
			fmt.Fprintf(&sb, "(NULL, '%s %d', 'http://old.test/?p=%d')", body, j, j)
		}
		_, err = raw.Exec("INSERT INTO wp_posts (ID, post_content, guid) VALUES " + sb.String())
		require.NoError(t, err)
	}
	// the dumps plan their parts from the server's size estimates, which a site that has
	// been running has and a table filled a moment ago may not
	_, err = raw.Exec("ANALYZE TABLE wp_posts")
	require.NoError(t, err)
	dumpWorkers := envInt(t, "FERRY_BENCH_DUMP_WORKERS")
	docroot := t.TempDir()
	url := routetest.StartPHP(t, "127.0.0.1", docroot)
	srv := routetest.StartSSHD(t, "127.0.0.1", false)
	ep := dbroute.Endpoint{Host: "127.0.0.1", Remote: true, SiteURL: url,
		Files: func(context.Context) (agent.Files, error) { return local.Open(docroot) },
		SSH: func(context.Context) (*ssh.Client, error) {
			signer, _ := ssh.ParsePrivateKey(srv.Key)
			return ssh.Dial("tcp", srv.Addr, &ssh.ClientConfig{User: srv.User, Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)}, HostKeyCallback: ssh.InsecureIgnoreHostKey()})
		}}
	routes := []dbroute.Access{dbroute.Direct, dbroute.Command, dbroute.Site}
	hand := byHandOverSSH(t, srv, user, pass)
	var handDump, handImp []float64
	dumpT := map[dbroute.Access][]float64{}
	impT := map[dbroute.Access][]float64{}
	var size int64
	var direct []byte
	for run := 0; run < rounds; run++ {
		for _, r := range routes {
			c, err := dbroute.Open(ctx, ep, dbroute.Target{Host: "127.0.0.1", Port: 3306, User: user, Password: pass, Name: name}, r, dbroute.Options{})
			require.NoError(t, err, r)
			// Sized ahead, as a file would be: growing a buffer of hundreds of MB by
			// copying costs the reading side CPU that is no route's.
			var b bytes.Buffer
			b.Grow(int(float64(batches)*0.94e6*1.1) + 1<<20)
			start := time.Now()
			_, err = c.Dump(ctx, &b, mysqldb.DumpOptions{Workers: dumpWorkers})
			el := time.Since(start).Seconds()
			require.NoError(t, err, r)
			require.NoError(t, c.Close(ctx))
			require.Equal(t, rows, bytes.Count(b.Bytes(), []byte("'http://old.test/?p=")), r)
			dumpT[r] = append(dumpT[r], float64(b.Len())/el/1e6)
			if r == dbroute.Direct {
				size, direct = int64(b.Len()), b.Bytes()
			}
			// import the direct dump into a fresh database by the same route
			_, dname := mysqltest.NewDatabase(t)
			_, err = raw.Exec("GRANT ALL ON `" + dname + "`.* TO '" + user + "'@'localhost'")
			require.NoError(t, err)
			_, err = raw.Exec("GRANT ALL ON `" + dname + "`.* TO '" + user + "'@'127.0.0.1'")
			require.NoError(t, err)
			c, err = dbroute.Open(ctx, ep, dbroute.Target{Host: "127.0.0.1", Port: 3306, User: user, Password: pass, Name: dname}, r, dbroute.Options{})
			require.NoError(t, err)
			start = time.Now()
			st, err := mysqldb.Import(ctx, c.DB, bytes.NewReader(direct), mysqldb.ImportOptions{TextInserts: c.Wire()})
			el = time.Since(start).Seconds()
			require.NoError(t, err, r)
			require.EqualValues(t, rows, st.Rows)
			require.NoError(t, c.Close(ctx))
			impT[r] = append(impT[r], float64(len(direct))/el/1e6)
		}
		// the admin's own way over the same SSH login, on the same data in the same round
		d, i := hand(name, raw, rows, direct)
		handDump, handImp = append(handDump, d), append(handImp, i)
	}
	med := func(v []float64) float64 { s := slices.Clone(v); slices.Sort(s); return s[len(s)/2] }
	t.Logf("dump of %.1f MB, %d interleaved runs, median MB/s (min), ratio of medians to direct", float64(size)/1e6, rounds)
	for _, r := range routes {
		t.Logf("%-24s dump %6.1f (%6.1f) x%.2f   import %6.1f (%6.1f) x%.2f", r.Name(),
			med(dumpT[r]), slices.Min(dumpT[r]), med(dumpT[r])/med(dumpT[dbroute.Direct]),
			med(impT[r]), slices.Min(impT[r]), med(impT[r])/med(impT[dbroute.Direct]))
	}
	t.Logf("%-24s dump %6.1f (%6.1f) x%.2f   import %6.1f (%6.1f) x%.2f", "By hand: ssh mysqldump/mysql",
		med(handDump), slices.Min(handDump), med(handDump)/med(dumpT[dbroute.Direct]),
		med(handImp), slices.Min(handImp), med(handImp)/med(impT[dbroute.Direct]))
	t.Logf("SSH command / by hand over SSH: dump x%.2f, import x%.2f",
		med(dumpT[dbroute.Command])/med(handDump), med(impT[dbroute.Command])/med(handImp))
}

// byHandOverSSH returns a round of what an admin runs when only SSH reaches the database:
// `ssh host mysqldump db > dump.sql` and `ssh host mysql newdb < dump.sql` (OpenSSH's
// client, the password in an option file), each timed and checked; MB/s of dump and import.
func byHandOverSSH(t *testing.B, srv routetest.SSHD, user, pass string) func(name string, raw *sql.DB, rows int, dump []byte) (float64, float64) {
	dir := t.TempDir()
	key, cnf := filepath.Join(dir, "key"), filepath.Join(dir, "my.cnf")
	require.NoError(t, os.WriteFile(key, srv.Key, 0o600))
	esc := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace
	require.NoError(t, os.WriteFile(cnf, []byte("[client]\nhost=127.0.0.1\nuser="+user+"\npassword=\""+esc(pass)+"\"\n"), 0o600))
	host, port, _ := net.SplitHostPort(srv.Addr)
	ssh := func(stdin io.Reader, stdout io.Writer, remote string) {
		c := exec.Command("ssh", "-i", key, "-p", port, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
			"-o", "LogLevel=error", "-o", "BatchMode=yes", srv.User+"@"+host, remote)
		var errb bytes.Buffer
		c.Stdin, c.Stdout, c.Stderr = stdin, stdout, &errb
		require.NoError(t, c.Run(), "%s: %s", remote, errb.String())
	}
	return func(name string, raw *sql.DB, rows int, dump []byte) (float64, float64) {
		var b bytes.Buffer
		start := time.Now()
		ssh(nil, &b, "mysqldump --defaults-extra-file="+cnf+" --single-transaction "+name)
		d := float64(b.Len()) / time.Since(start).Seconds() / 1e6
		require.Equal(t, rows, bytes.Count(b.Bytes(), []byte("'http://old.test/?p=")))
		_, dname := mysqltest.NewDatabase(t)
		_, err := raw.Exec("GRANT ALL ON `" + dname + "`.* TO '" + user + "'@'127.0.0.1'")
		require.NoError(t, err)
		start = time.Now()
		ssh(bytes.NewReader(dump), io.Discard, "mysql --defaults-extra-file="+cnf+" "+dname)
		i := float64(len(dump)) / time.Since(start).Seconds() / 1e6
		var n int
		require.NoError(t, raw.QueryRow("SELECT COUNT(*) FROM `"+dname+"`.wp_posts").Scan(&n))
		require.Equal(t, rows, n)
		return d, i
	}
}

func envInt(t testing.TB, name string) int {
	v := os.Getenv(name)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	require.NoError(t, err, name)
	return n
}
