package sshcmd_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/dbroute/routetest"
	"ferry/backend/mysqldb"
	"ferry/backend/mysqldb/mysqltest"
	"ferry/backend/mysqlwire"
	"ferry/backend/pipeline/sitetest"
	"ferry/backend/sshcmd"
)

// Over a real sshd that forbids forwarding: the dump is mysqldump's, imported through the
// mysql client it gives the same database as a direct import, and the password is in no
// command line the server saw.
func TestDumpAndImportOverSSHCommand(t *testing.T) {
	sock := routetest.Socket()
	require.NotEmpty(t, sock, "the test MariaDB has no socket")
	srv := routetest.StartSSHD(t, "127.0.0.1", false)
	client := srv.Client(t)
	ctx := context.Background()

	_, srcName := sitetest.SourceDB(t)
	user, pass := routetest.DBUser(t, srcName)
	var mu sync.Mutex
	var cmds []string
	r, err := sshcmd.New(ctx, client, sshcmd.DB{Host: "localhost:" + sock, User: user, Password: pass, Name: srcName})
	require.NoError(t, err)
	r.Commands = func(c string) { mu.Lock(); cmds = append(cmds, c); mu.Unlock() }
	opt := r.OptionFile()
	st, err := os.Stat(opt)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	// watch the process list while the dump runs
	stop := make(chan struct{})
	var seen, leaked atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			out, _ := exec.Command("ps", "-eo", "args").Output()
			if bytes.Contains(out, []byte("-dump --defaults-extra-file")) {
				seen.Store(true)
			}
			if bytes.Contains(out, []byte(pass)) {
				leaked.Store(true)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	var dump bytes.Buffer
	for i := 0; i < 20 && !seen.Load(); i++ { // repeat until ps caught one run
		dump.Reset()
		require.NoError(t, r.Dump(ctx, &dump))
	}
	close(stop)
	wg.Wait()
	require.True(t, seen.Load(), "ps never showed the dump running")
	require.False(t, leaked.Load(), "the password showed in the server's process list")
	require.Contains(t, dump.String(), "-- Dump completed")
	require.Contains(t, dump.String(), "INSERT INTO `wp_posts`")

	// import through the mysql client on the server, and directly, and compare
	dstA, _ := mysqltest.NewDatabase(t)
	_, nameB := mysqltest.NewDatabase(t)
	ua, pb := routetest.DBUser(t, nameB)
	rb, err := sshcmd.New(ctx, client, sshcmd.DB{Host: "localhost:" + sock, User: ua, Password: pb, Name: nameB})
	require.NoError(t, err)
	rb.Commands = r.Commands
	a := open(t, mysqldb.Config{Host: "127.0.0.1", Port: 3306, User: "root", Database: mysqltest.Config(t, dstA).DBName})
	b := open(t, mysqldb.Config{Host: "ssh", Database: nameB, Dial: mysqlwire.Dialer(rb)})
	_, err = mysqldb.Import(ctx, a, bytes.NewReader(dump.Bytes()), mysqldb.ImportOptions{})
	require.NoError(t, err)
	trips := rb.Trips()
	stB, err := mysqldb.Import(ctx, b, bytes.NewReader(dump.Bytes()), mysqldb.ImportOptions{TextInserts: true})
	require.NoError(t, err)
	trips = rb.Trips() - trips
	t.Logf("import of %d statements: %d round trips", stB.Statements, trips)
	// session SETs ride with the next query and a loader with nothing to commit sends no
	// COMMIT (it was 153 trips for these 42 statements, each SET costing three)
	require.Less(t, trips, int64(stB.Statements), "more round trips than statements")
	require.EqualValues(t, 60, stB.RowsPerTable["wp_posts"])
	ca, err := mysqldb.ChecksumTables(ctx, a)
	require.NoError(t, err)
	cb, err := mysqldb.ChecksumTables(ctx, b) // read back through the client too
	require.NoError(t, err)
	require.Equal(t, ca, cb)
	require.Len(t, cb, 3)

	// a refused statement comes back as the server's error
	_, err = b.SQL().ExecContext(ctx, "INSERT INTO nosuchtable VALUES (1)")
	require.ErrorContains(t, err, "1146")

	require.NoError(t, r.Close(ctx))
	require.NoError(t, rb.Close(ctx))
	require.NoFileExists(t, opt, "the option file must be removed")
	for _, c := range cmds {
		require.NotContains(t, c, pass)
		require.NotContains(t, c, pb)
	}
	require.NotEmpty(t, cmds)
}

func open(t *testing.T, cfg mysqldb.Config) *mysqldb.DB {
	t.Helper()
	db, err := mysqldb.Open(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// The option file (it holds the password) goes when the SSH connection drops without
// Close, as when Ferry is killed: the control session removes it at the end of its stdin.
func TestOptionFileRemovedWhenConnectionDrops(t *testing.T) {
	sock := routetest.Socket()
	require.NotEmpty(t, sock, "the test MariaDB has no socket")
	srv := routetest.StartSSHD(t, "127.0.0.1", false)
	client := srv.Client(t)
	ctx := context.Background()
	_, name := mysqltest.NewDatabase(t)
	user, pass := routetest.DBUser(t, name)
	r, err := sshcmd.New(ctx, client, sshcmd.DB{Host: "localhost:" + sock, User: user, Password: pass, Name: name})
	require.NoError(t, err)
	opt := r.OptionFile()
	b, err := os.ReadFile(opt)
	require.NoError(t, err)
	require.Contains(t, string(b), "password=")
	require.Contains(t, string(b), "default-character-set=utf8mb4\n")
	var out bytes.Buffer
	require.NoError(t, r.Dump(ctx, &out), "the file must work while the runner is open")
	require.NoError(t, client.Close())
	require.Eventually(t, func() bool { _, err := os.Stat(opt); return os.IsNotExist(err) }, 10*time.Second, 20*time.Millisecond,
		"the option file outlived the connection")
}
