package transfer_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/transfer"
	"ferry/backend/transfer/ftp"
	"ferry/backend/transfer/local"
	"ferry/backend/transfer/sftp"
	"ferry/backend/transfer/transfertest"
)

// makeFolders writes files small files spread over folders folders (ten per parent,
// like wp-content/uploads/YYYY/MM) and returns the tree's manifest.
func makeFolders(tb testing.TB, dir string, files, folders int) transfer.Manifest {
	tb.Helper()
	r := rand.New(rand.NewPCG(uint64(files), uint64(folders)))
	for i := range files {
		f := i % folders
		rel := fmt.Sprintf("wp-content/uploads/%04d/%02d/f%05d.jpg", 2000+f/10, f%10, i)
		data := make([]byte, r.IntN(24<<10))
		for k := range data {
			data[k] = byte(r.UintN(256))
		}
		p := filepath.Join(dir, filepath.FromSlash(rel))
		require.NoError(tb, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(tb, os.WriteFile(p, data, 0o644))
	}
	return hashDir(tb, dir)
}

// hashDir hashes every file under dir, straight from disk.
func hashDir(tb testing.TB, dir string) transfer.Manifest {
	tb.Helper()
	var m transfer.Manifest
	require.NoError(tb, filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		require.NoError(tb, err)
		if fi.IsDir() || fi.Name() == transfer.ManifestName {
			return nil
		}
		f, err := os.Open(p)
		require.NoError(tb, err)
		defer f.Close()
		h := sha256.New()
		n, err := io.Copy(h, f)
		require.NoError(tb, err)
		rel, _ := filepath.Rel(dir, p)
		m.Files = append(m.Files, transfer.ManifestFile{Path: filepath.ToSlash(rel), Size: n, SHA256: hex.EncodeToString(h.Sum(nil))})
		return nil
	}))
	return m
}

// remote is an in-process server reached through a delayed link.
type remote struct {
	name   string
	delay  *transfertest.Delay
	opener func(root string) transfer.Opener
	// down and up are the files in flight each way (0: one per connection); grow the
	// connections Mirror may grow to; list the Trees ListAll lists with.
	down, up, grow, list int
}

func slowServers(tb testing.TB, rtt time.Duration, root string) []remote {
	// StatDashA: the server answers "STAT -a <folder>" on the control connection, as
	// vsftpd, ProFTPD and Pure-FTPd do.
	ftpSrv := transfertest.StartFTP(tb, root, transfertest.FTPOptions{StatDashA: true})
	sftpSrv := transfertest.StartSFTP(tb, root, transfertest.SFTPOptions{})
	fd := transfertest.NewDelay(tb, rtt)
	sd := transfertest.NewDelay(tb, rtt)
	keys := transfer.NewMemoryHostKeys()
	return []remote{
		{name: "ftp", delay: fd, grow: 8, list: transfer.ListConnections, opener: func(dir string) transfer.Opener {
			return ftp.Config{Host: ftpSrv.Host, Port: ftpSrv.Port, User: ftpSrv.User, Password: ftpSrv.Password,
				Root: "/" + dir, DialContext: fd.Dial, Timeout: 20 * time.Second}.Opener()
		}},
		{name: "sftp", delay: sd, down: sftp.DownloadStreams, up: sftp.UploadStreams, list: sftp.DownloadStreams, opener: func(dir string) transfer.Opener {
			return sftp.NewPool(sftp.Config{Host: sftpSrv.Host, Port: sftpSrv.Port, User: sftpSrv.User, Password: sftpSrv.Password,
				Root: dir, HostKeys: keys, DialContext: sd.Dial, Timeout: 20 * time.Second}).Opener()
		}},
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkMirrorRTT lists, downloads and uploads a generated tree (FERRY_BENCH_FILES
// files, default 1,000, in FERRY_BENCH_FOLDERS folders, default 100) over FTP and SFTP
// through a link of FERRY_BENCH_RTT_MS round trip (default 40), and prints the seconds
// each took. Every copy is checked file by file against the source.
//
//	go test ./backend/transfer/ -run '^$' -bench MirrorRTT -benchtime 1x
func BenchmarkMirrorRTT(b *testing.B) {
	files := envInt("FERRY_BENCH_FILES", 1000)
	folders := envInt("FERRY_BENCH_FOLDERS", 100)
	rtt := time.Duration(envInt("FERRY_BENCH_RTT_MS", 40)) * time.Millisecond
	root := b.TempDir()
	want := makeFolders(b, filepath.Join(root, "site"), files, folders)
	for _, r := range slowServers(b, rtt, root) {
		b.Run(r.name+"/list", func(b *testing.B) {
			for range b.N {
				start := time.Now()
				n := 0
				ctx := context.Background()
				op := r.opener("site")
				t, err := op(ctx)
				require.NoError(b, err)
				more, done := transfer.OpenMore(ctx, op, r.list-1)
				require.NoError(b, transfer.ListAll(ctx, append([]transfer.Tree{t}, more...), ".", func(e transfer.Entry) error {
					if !e.IsDir {
						n++
					}
					return nil
				}))
				_ = t.Close()
				done()
				require.Equal(b, files, n)
				b.Logf("%s list %d files at RTT %s: %.1f s", r.name, files, rtt, time.Since(start).Seconds())
			}
		})
		b.Run(r.name+"/down", func(b *testing.B) {
			for i := range b.N {
				out := filepath.Join(b.TempDir(), strconv.Itoa(i))
				require.NoError(b, os.MkdirAll(out, 0o755))
				dials := r.delay.Dials()
				start := time.Now()
				man, err := transfer.Mirror(context.Background(), r.opener("site"), local.Opener(out), transfer.MirrorOptions{Streams: r.down, GrowTo: r.grow})
				require.NoError(b, err)
				require.Empty(b, man.Skipped, "files taken for vanished")
				b.Logf("%s download %d files at RTT %s: %.1f s, %d connections", r.name, files, rtt, time.Since(start).Seconds(), r.delay.Dials()-dials)
				require.Equal(b, want.Files, hashDir(b, out).Files)
			}
		})
		b.Run(r.name+"/up", func(b *testing.B) {
			for i := range b.N {
				dir := fmt.Sprintf("up-%s-%d", r.name, i)
				require.NoError(b, os.MkdirAll(filepath.Join(root, dir), 0o755))
				dials := r.delay.Dials()
				start := time.Now()
				man, err := transfer.Mirror(context.Background(), local.Opener(filepath.Join(root, "site")), r.opener(dir), transfer.MirrorOptions{Streams: r.up, GrowTo: r.grow})
				require.NoError(b, err)
				require.Empty(b, man.Skipped, "files taken for vanished")
				b.Logf("%s upload %d files at RTT %s: %.1f s, %d connections", r.name, files, rtt, time.Since(start).Seconds(), r.delay.Dials()-dials)
				require.Equal(b, want.Files, hashDir(b, filepath.Join(root, dir)).Files)
			}
		})
	}
}

// TestDelayAddsRoundTrip checks the latency injector itself: a reply comes back no
// sooner than one RTT, bytes arrive intact and in order, and every connection counts.
func TestDelayAddsRoundTrip(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(c, c); _ = c.Close() }()
		}
	}()
	d := transfertest.NewDelay(t, 60*time.Millisecond)
	for _, dial := range []func() (net.Conn, error){
		func() (net.Conn, error) { return d.Dial(context.Background(), "tcp", l.Addr().String()) },
		func() (net.Conn, error) {
			return net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(d.Listen(l.Addr().String()))))
		},
	} {
		c, err := dial()
		require.NoError(t, err)
		data := make([]byte, 1<<20)
		for i := range data {
			data[i] = byte(i * 7)
		}
		start := time.Now()
		go func() { _, _ = c.Write(data); _ = c.(*net.TCPConn).CloseWrite() }()
		got, err := io.ReadAll(c)
		require.NoError(t, err)
		require.GreaterOrEqual(t, time.Since(start), 60*time.Millisecond)
		require.Equal(t, data, got)
		_ = c.Close()
	}
	require.EqualValues(t, 2, d.Dials())
	require.Equal(t, 2, d.DialsTo(l.Addr().String()))
}
