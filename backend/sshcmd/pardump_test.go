package sshcmd_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/dbroute/routetest"
	"ferry/backend/mysqldb/mysqltest"
	"ferry/backend/sshcmd"
)

// partsDB is a database with a table to cut in ranges and a small one with a trigger.
func partsDB(t *testing.T) (dsn, name string, raw *sql.DB) {
	dsn, name = mysqltest.NewDatabase(t)
	raw, err := sql.Open("mysql", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { raw.Close() })
	for _, q := range []string{
		"CREATE TABLE t (id int NOT NULL PRIMARY KEY, v text, b blob)",
		"CREATE TABLE u (a int, v varchar(20))",
		"CREATE TRIGGER bump BEFORE INSERT ON u FOR EACH ROW SET NEW.a = NEW.a + 1000",
	} {
		_, err := raw.Exec(q)
		require.NoError(t, err, q)
	}
	odd := []string{"line\nbreak", "semi;", "semi;\n", "q ' \" \\", "),\n(", "-- x"}
	for b := 0; b < 6; b++ {
		var sb strings.Builder
		var args []any
		for j := 0; j < 500; j++ {
			if j > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString("(?, ?, ?)")
			args = append(args, b*500+j, strings.Repeat("x", j)+odd[j%len(odd)], []byte{byte(j), 0, '\n', byte(b)})
		}
		_, err := raw.Exec("INSERT INTO t VALUES "+sb.String(), args...)
		require.NoError(t, err)
	}
	_, err = raw.Exec("INSERT INTO u VALUES (1, 'a'), (2, 'b;'), (NULL, NULL)")
	require.NoError(t, err)
	return dsn, name, raw
}

// loadAndCompare loads dump with the mariadb client into a fresh database and compares
// each table with the source (CHECKSUM TABLE) and the trigger's presence.
func loadAndCompare(t *testing.T, raw *sql.DB, dsn, src string, dump []byte) {
	t.Helper()
	_, dst := mysqltest.NewDatabase(t)
	mc := mysqltest.Config(t, dsn)
	host, port, _ := net.SplitHostPort(mc.Addr)
	args := []string{"--protocol=tcp", "-h", host, "-P", port, "-u", mc.User}
	if mc.Passwd != "" {
		args = append(args, "-p"+mc.Passwd)
	}
	cmd := exec.Command("mariadb", append(args, dst)...)
	cmd.Stdin = bytes.NewReader(dump)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "mariadb client: %s", out)
	for _, tb := range []string{"t", "u"} {
		var n string
		var a, b int64
		require.NoError(t, raw.QueryRow(fmt.Sprintf("CHECKSUM TABLE `%s`.`%s`", src, tb)).Scan(&n, &a))
		require.NoError(t, raw.QueryRow(fmt.Sprintf("CHECKSUM TABLE `%s`.`%s`", dst, tb)).Scan(&n, &b))
		require.Equal(t, a, b, "table %s", tb)
	}
	var rows, trig int
	require.NoError(t, raw.QueryRow(fmt.Sprintf("SELECT COUNT(*) FROM `%s`.t", dst)).Scan(&rows))
	require.Equal(t, 3000, rows)
	require.NoError(t, raw.QueryRow("SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?", dst).Scan(&trig))
	require.Equal(t, 1, trig)
}

// partsRunner is a runner over srv's SSH login for a fresh partsDB, closed at the end.
func partsRunner(t *testing.T, srv routetest.SSHD) (r *sshcmd.Runner, dsn, name string, raw *sql.DB) {
	ctx := context.Background()
	dsn, name, raw = partsDB(t)
	user, pass := routetest.DBUser(t, name)
	r, err := sshcmd.New(ctx, srv.Client(t), sshcmd.DB{Host: "127.0.0.1", Port: 3306, User: user, Password: pass, Name: name})
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close(ctx) })
	return r, dsn, name, raw
}

var threeRanges = []sshcmd.Part{{Table: "t", Where: "`id` < 1000"}, {Table: "t", Where: "`id` >= 1000 AND `id` < 2000"}, {Table: "t", Where: "`id` >= 2000"}, {Table: "u"}}

// A server that allows two sessions at once (the control session and one more) still gets
// the whole dump when four processes are asked for: the workers that get no session leave
// the parts to the control session and the one that does.
func TestDumpParallelWithFewSessions(t *testing.T) {
	srv := routetest.StartSSHD(t, "127.0.0.1", false, "MaxSessions 2")
	ctx := context.Background()
	dsn, name, raw := partsDB(t)
	user, pass := routetest.DBUser(t, name)
	r, err := sshcmd.New(ctx, srv.Client(t), sshcmd.DB{Host: "127.0.0.1", Port: 3306, User: user, Password: pass, Name: name})
	require.NoError(t, err)
	defer r.Close(ctx)
	var mu sync.Mutex
	var cmds []string
	r.Commands = func(c string) { mu.Lock(); cmds = append(cmds, c); mu.Unlock() }
	var out bytes.Buffer
	require.NoError(t, r.DumpParallel(ctx, &out, threeRanges, 4, true))
	loadAndCompare(t, raw, dsn, name, out.Bytes())
	starts, parts := 0, 0
	for _, c := range cmds {
		require.NotContains(t, c, pass)
		if strings.Contains(c, "--no-create-info --skip-triggers") {
			starts++
		}
		if strings.HasPrefix(c, "part ") || regexp.MustCompile(`^dump ferry-dump-[0-9a-f]+ part `).MatchString(c) {
			parts++
		}
	}
	require.Equal(t, 3, starts, "three workers asked for a session, the control session being the fourth: %q", cmds)
	require.Equal(t, 4, parts, "each part was asked once: %q", cmds)
}

// A part that fails fails the dump, naming the table and saying what mysqldump said; a
// writer that fails stops it with its error. The runner goes on working after either.
func TestDumpParallelFailures(t *testing.T) {
	ctx := context.Background()
	r, dsn, name, raw := partsRunner(t, routetest.StartSSHD(t, "127.0.0.1", false))

	bad := append([]sshcmd.Part{{Table: "t", Where: "no_such_column > 0"}}, threeRanges...)
	err := r.DumpParallel(ctx, io.Discard, bad, 3, true)
	require.ErrorContains(t, err, "(table t)")
	require.ErrorContains(t, err, "no_such_column")
	require.NotContains(t, err.Error(), "context canceled", "the part's own failure is reported")

	boom := errors.New("disk full")
	err = r.DumpParallel(ctx, &failAfter{n: 3, err: boom}, threeRanges, 3, true)
	require.ErrorIs(t, err, boom)

	var out bytes.Buffer
	require.NoError(t, r.DumpParallel(ctx, &out, threeRanges, 3, true))
	loadAndCompare(t, raw, dsn, name, out.Bytes())
}

// A dump in parts stopped midway (Stop) ends at once with the cancellation, and the
// runner dumps again after it.
func TestDumpParallelCancelled(t *testing.T) {
	ctx := context.Background()
	r, dsn, name, raw := partsRunner(t, routetest.StartSSHD(t, "127.0.0.1", false))
	cctx, cancel := context.WithCancel(ctx)
	w := &failAfter{n: 1 << 30, cancel: cancel}
	err := r.DumpParallel(cctx, w, threeRanges, 3, true)
	require.ErrorIs(t, err, context.Canceled)
	var out bytes.Buffer
	require.NoError(t, r.DumpParallel(ctx, &out, threeRanges, 3, true))
	loadAndCompare(t, raw, dsn, name, out.Bytes())
}

// The runner hears the server's processors and load when it starts: a dump's default
// number of processes follows from them.
func TestRunnerKnowsTheServersSpareProcessors(t *testing.T) {
	srv := routetest.StartSSHD(t, "127.0.0.1", false)
	ctx := context.Background()
	_, name := mysqltest.NewDatabase(t)
	user, pass := routetest.DBUser(t, name)
	r, err := sshcmd.New(ctx, srv.Client(t), sshcmd.DB{Host: "127.0.0.1", Port: 3306, User: user, Password: pass, Name: name})
	require.NoError(t, err)
	defer r.Close(ctx)
	n := r.SpareCPUs()
	require.GreaterOrEqual(t, n, 1)
	require.LessOrEqual(t, n, runtime.NumCPU(), "the server here is this machine")
}
