package sshcmd_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/dbroute/routetest"
	"ferry/backend/mysqldb/mysqltest"
	"ferry/backend/pipeline/sitetest"
	"ferry/backend/sshcmd"
)

var completedRe = regexp.MustCompile(`(?m)^-- Dump completed on .*$`)

type failAfter struct {
	n      int
	err    error
	cancel func()
}

func (f *failAfter) Write(p []byte) (int, error) {
	if f.cancel != nil {
		f.cancel()
	}
	if f.n--; f.n < 0 && f.err != nil {
		return 0, f.err
	}
	return len(p), nil
}

// Dumps run through the control session (one at a time; a second at once takes a session
// of its own) give mysqldump's output unchanged; a cancelled dump, a writer that fails and
// a refused dump leave the control session usable.
func TestDumpThroughControlSession(t *testing.T) {
	sock := routetest.Socket()
	require.NotEmpty(t, sock, "the test MariaDB has no socket")
	srv := routetest.StartSSHD(t, "127.0.0.1", false)
	client := srv.Client(t)
	ctx := context.Background()
	_, name := sitetest.SourceDB(t)
	user, pass := routetest.DBUser(t, name)
	r, err := sshcmd.New(ctx, client, sshcmd.DB{Host: "localhost:" + sock, User: user, Password: pass, Name: name})
	require.NoError(t, err)
	defer r.Close(ctx)
	var mu sync.Mutex
	var cmds []string
	r.Commands = func(c string) { mu.Lock(); cmds = append(cmds, c); mu.Unlock() }

	var outs [2]bytes.Buffer
	var errs [2]error
	var wg sync.WaitGroup
	for i := range outs {
		wg.Go(func() { errs[i] = r.Dump(ctx, &outs[i]) })
	}
	wg.Wait()
	require.NoError(t, errs[0])
	require.NoError(t, errs[1])
	separate := 0
	for _, c := range cmds {
		if regexp.MustCompile(`-dump --defaults-extra-file`).MatchString(c) {
			separate++
		}
	}
	require.Equal(t, 1, separate, "one of two dumps at once takes its own session: %q", cmds)
	a, b := completedRe.ReplaceAll(outs[0].Bytes(), nil), completedRe.ReplaceAll(outs[1].Bytes(), nil)
	require.Contains(t, string(a), "INSERT INTO `wp_posts`")
	require.Equal(t, string(a), string(b), "the control session passes the dump unchanged")
	require.Regexp(t, `(?s)-- Dump completed on [^\n]*\n$`, outs[0].String(), "nothing of the boundary is left")
	require.Regexp(t, `(?s)-- Dump completed on [^\n]*\n$`, outs[1].String())

	cctx, cancel := context.WithCancel(ctx)
	err = r.Dump(cctx, &failAfter{cancel: cancel})
	require.ErrorIs(t, err, context.Canceled)

	boom := errors.New("disk full")
	err = r.Dump(ctx, &failAfter{err: boom}) // fails at once: the dump may come in one write
	require.ErrorIs(t, err, boom)

	var again bytes.Buffer
	cmds = nil
	require.NoError(t, r.Dump(ctx, &again))
	require.Equal(t, string(a), string(completedRe.ReplaceAll(again.Bytes(), nil)), "the control session is still in step")
	require.Equal(t, 1, len(cmds))
	require.Regexp(t, `^dump ferry-dump-[0-9a-f]{32}$`, cmds[0], "the dump ran through the control session")

	bad, err := sshcmd.New(ctx, client, sshcmd.DB{Host: "localhost:" + sock, User: user, Password: pass, Name: "ferry_no_such_db"})
	require.NoError(t, err)
	defer bad.Close(ctx)
	err = bad.Dump(ctx, &bytes.Buffer{})
	require.ErrorContains(t, err, "exit status 2")
	require.ErrorContains(t, err, "ferry_no_such_db")
	require.ErrorContains(t, bad.Dump(ctx, &bytes.Buffer{}), "exit status 2", "still in step after a failed dump")
}

// A dump cancelled midway (Stop) is killed on the server and the control session goes on.
func TestCancelledDumpIsKilled(t *testing.T) {
	sock := routetest.Socket()
	require.NotEmpty(t, sock, "the test MariaDB has no socket")
	srv := routetest.StartSSHD(t, "127.0.0.1", false)
	ctx := context.Background()
	dsn, name := mysqltest.NewDatabase(t)
	raw, err := sql.Open("mysql", dsn)
	require.NoError(t, err)
	defer raw.Close()
	_, err = raw.Exec("CREATE TABLE big (id INT PRIMARY KEY AUTO_INCREMENT, v LONGTEXT)")
	require.NoError(t, err)
	row := "(NULL, '" + strings.Repeat("x", 100<<10) + "')"
	for range 8 { // 8 x 50 rows of 100 KiB: a dump much longer than the pipes and the SSH window
		_, err = raw.Exec("INSERT INTO big VALUES " + strings.Repeat(row+",", 49) + row)
		require.NoError(t, err)
	}
	user, pass := routetest.DBUser(t, name)
	r, err := sshcmd.New(ctx, srv.Client(t), sshcmd.DB{Host: "localhost:" + sock, User: user, Password: pass, Name: name})
	require.NoError(t, err)
	defer r.Close(ctx)
	var mu sync.Mutex
	var cmds []string
	r.Commands = func(c string) { mu.Lock(); cmds = append(cmds, c); mu.Unlock() }
	cctx, cancel := context.WithCancel(ctx)
	w := &slowCancel{after: 1 << 20, cancel: cancel}
	start := time.Now()
	err = r.Dump(cctx, w)
	require.ErrorIs(t, err, context.Canceled)
	require.Less(t, time.Since(start), 20*time.Second)
	require.Less(t, w.n, int64(30<<20), "the dump went on after the cancel")
	mu.Lock()
	require.Contains(t, strings.Join(cmds, "\n"), "\nkill ", "the dump was killed")
	mu.Unlock()
	var out bytes.Buffer
	require.NoError(t, r.Dump(ctx, &out))
	require.Equal(t, 400, strings.Count(out.String(), "'xxxxxxxxxx"))
}

// slowCancel cancels once it has seen after bytes, and then takes its time (6 MB/s: the
// kill needs an SSH session start, well under the 3 s the rest of the dump would take).
type slowCancel struct {
	n, after int64
	cancel   func()
}

func (s *slowCancel) Write(p []byte) (int, error) {
	s.n += int64(len(p))
	if s.n >= s.after {
		s.cancel()
		time.Sleep(5 * time.Millisecond)
	}
	return len(p), nil
}
