package dbroute_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"ferry/backend/dbroute"
	"ferry/backend/dbroute/routetest"
	"ferry/backend/mysqldb"
	"ferry/backend/mysqldb/mysqltest"
)

// The SSH command route dumps a database worth cutting with several mysqldump processes,
// the big table in primary-key ranges, and the merged stream is one valid dump: loaded by
// Ferry's import and by the mariadb client, every table matches the source row for row
// (CHECKSUM TABLE), the trigger comes after the rows (it would change them if it fired
// during the load), the view and the dump's settings (binary values, line breaks,
// semicolons and quotes in values) survive.
func TestCommandDumpInPartsMatchesTheSource(t *testing.T) {
	ctx := context.Background()
	dsn, name := mysqltest.NewDatabase(t)
	user, pass := routetest.DBUser(t, name)
	raw, err := sql.Open("mysql", dsn)
	require.NoError(t, err)
	defer raw.Close()
	exec1 := func(q string, args ...any) {
		t.Helper()
		_, err := raw.Exec(q, args...)
		require.NoError(t, err, q)
	}
	exec1("CREATE TABLE wp_posts (ID bigint unsigned NOT NULL AUTO_INCREMENT, post_content longtext, guid varchar(255), bin blob, at timestamp NULL, PRIMARY KEY (ID))")
	exec1("CREATE TABLE nopk (a int, b text)")
	exec1("CREATE TABLE pair (a int NOT NULL, b varchar(20) NOT NULL, c text, PRIMARY KEY (a, b))")
	exec1("CREATE TABLE `it's odd` (id int NOT NULL PRIMARY KEY, v text)")
	exec1("CREATE TABLE logged (id int NOT NULL PRIMARY KEY, v varchar(50))")
	rng := rand.New(rand.NewPCG(1, 2))
	odd := []string{"line\nbreak", "ends with;", "ends with;\n", "quote ' \" \\ back", "tab\there", "emoji 🚀 ü", "", "),\n(", "-- not a comment"}
	for b := 0; b < 12; b++ {
		var sb strings.Builder
		var args []any
		for j := 0; j < 500; j++ {
			if j > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString("(NULL, ?, ?, ?, ?)")
			content := strings.Repeat("Lorem ipsum http://old.test/ dolor ", 50) + odd[(b*500+j)%len(odd)]
			var bin []byte
			if j%7 != 0 {
				bin = make([]byte, 64)
				for k := range bin {
					bin[k] = byte(rng.IntN(256))
				}
			}
			var at any
			if j%5 != 0 {
				at = fmt.Sprintf("2024-03-%02d 12:%02d:00", 1+j%28, j%60)
			}
			args = append(args, content, fmt.Sprintf("http://old.test/?p=%d", b*500+j), bin, at)
		}
		exec1("INSERT INTO wp_posts (ID, post_content, guid, bin, at) VALUES "+sb.String(), args...)
	}
	for i := 0; i < 50; i++ {
		exec1("INSERT INTO nopk VALUES (?, ?)", i, odd[i%len(odd)])
		exec1("INSERT INTO pair VALUES (?, ?, ?)", i%5, "k"+strconv.Itoa(i), odd[i%len(odd)])
		exec1("INSERT INTO `it's odd` VALUES (?, ?)", i, odd[i%len(odd)])
		exec1("INSERT INTO logged VALUES (?, ?)", i, "v"+strconv.Itoa(i))
	}
	exec1("CREATE TRIGGER mark BEFORE INSERT ON logged FOR EACH ROW SET NEW.v = CONCAT(NEW.v, '!')")
	exec1("CREATE VIEW posts_v AS SELECT ID, guid FROM wp_posts WHERE ID < 10")
	exec1("ANALYZE TABLE wp_posts") // the planner reads the server's size estimates

	srv := routetest.StartSSHD(t, "127.0.0.1", false)
	ep := dbroute.Endpoint{Host: "127.0.0.1", Remote: true, SSH: func(context.Context) (*ssh.Client, error) {
		signer, _ := ssh.ParsePrivateKey(srv.Key)
		return ssh.Dial("tcp", srv.Addr, &ssh.ClientConfig{User: srv.User, Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)}, HostKeyCallback: ssh.InsecureIgnoreHostKey()})
	}}
	c, err := dbroute.Open(ctx, ep, dbroute.Target{Host: "127.0.0.1", Port: 3306, User: user, Password: pass, Name: name}, dbroute.Command, dbroute.Options{})
	require.NoError(t, err)
	var dump bytes.Buffer
	st, err := c.Dump(ctx, &dump, mysqldb.DumpOptions{Workers: 3, ChunkRows: 1000})
	require.NoError(t, err)
	require.NoError(t, c.Close(ctx))
	require.EqualValues(t, dump.Len(), st.Bytes)
	m := regexp.MustCompile(`^per-process \((\d+) mysqldump, 3 at a time\)$`).FindStringSubmatch(st.Snapshot)
	require.NotNil(t, m, "the dump ran in parts: %q", st.Snapshot)
	parts, _ := strconv.Atoi(m[1])
	require.GreaterOrEqual(t, parts, 5+2, "wp_posts is cut into ranges beside the 4 small tables")
	require.Regexp(t, `-- Dump completed on [^\n]*\n$`, dump.String(), "the stream ends as a dump does")
	require.Equal(t, 1, strings.Count(dump.String(), "-- Dump completed"))
	require.Less(t, strings.LastIndex(dump.String(), "INSERT INTO `logged`"), strings.Index(dump.String(), "CREATE*/ /*!50017"), "the trigger follows the rows")

	tables := []string{"wp_posts", "nopk", "pair", "it's odd", "logged"}
	checksums := func(db string) []string {
		var out []string
		for _, tb := range tables {
			var n string
			var sum sql.NullInt64
			require.NoError(t, raw.QueryRow("CHECKSUM TABLE `"+db+"`.`"+strings.ReplaceAll(tb, "`", "``")+"`").Scan(&n, &sum), tb)
			require.True(t, sum.Valid, tb)
			var rows int
			require.NoError(t, raw.QueryRow("SELECT COUNT(*) FROM `"+db+"`.`"+tb+"`").Scan(&rows))
			out = append(out, fmt.Sprintf("%s rows=%d sum=%d", tb, rows, sum.Int64))
		}
		return out
	}
	want := checksums(name)
	require.Contains(t, want[0], "rows=6000")
	check := func(db string) {
		t.Helper()
		require.Equal(t, want, checksums(db))
		var trig, viewRows int
		require.NoError(t, raw.QueryRow("SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?", db).Scan(&trig))
		require.Equal(t, 1, trig)
		require.NoError(t, raw.QueryRow("SELECT COUNT(*) FROM `"+db+"`.posts_v").Scan(&viewRows))
		require.Equal(t, 9, viewRows)
	}

	// Ferry's import
	dsn2, name2 := mysqltest.NewDatabase(t)
	mc := mysqltest.Config(t, dsn2)
	host, port, _ := net.SplitHostPort(mc.Addr)
	p, _ := strconv.Atoi(port)
	dst, err := mysqldb.Open(ctx, mysqldb.Config{Host: host, Port: p, User: mc.User, Password: mc.Passwd, Database: name2})
	require.NoError(t, err)
	defer dst.Close()
	ist, err := mysqldb.Import(ctx, dst, bytes.NewReader(dump.Bytes()), mysqldb.ImportOptions{})
	require.NoError(t, err)
	require.EqualValues(t, 6000+4*50, ist.Rows)
	check(name2)

	// the mariadb client
	_, name3 := mysqltest.NewDatabase(t)
	args := []string{"--protocol=tcp", "-h", host, "-P", port, "-u", mc.User}
	if mc.Passwd != "" {
		args = append(args, "-p"+mc.Passwd)
	}
	cmd := exec.Command("mariadb", append(args, name3)...)
	cmd.Stdin = bytes.NewReader(dump.Bytes())
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "mariadb client: %s", out)
	check(name3)
}
