package agent_test

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/agent"
	"ferry/backend/transfer/local"
)

// deployFiles uploads an agent into docroot with no database: reading files needs none.
func deployFiles(t testing.TB, url, docroot string, tr http.RoundTripper, slice time.Duration) *agent.Agent {
	t.Helper()
	a, err := agent.New(agent.Config{
		SiteURL: url, Transport: tr, Slice: slice,
		Open: func(context.Context) (agent.Files, error) { return local.Open(docroot) },
	})
	require.NoError(t, err)
	require.NoError(t, a.Upload(context.Background()))
	t.Cleanup(func() { _ = a.Remove(context.Background()) })
	return a
}

// siteFiles writes a WordPress-like tree into docroot: small files in nested folders, a
// few of 1-2 MB, an empty one and one whose name has spaces and UTF-8. It returns the
// paths in the order to ask for them (the big ones among the small) and their sha256.
func siteFiles(t *testing.T, docroot string, small int) ([]string, map[string][32]byte) {
	t.Helper()
	rnd := rand.New(rand.NewSource(7))
	sums := map[string][32]byte{}
	var paths []string
	put := func(p string, n int) {
		b := make([]byte, n)
		rnd.Read(b)
		full := filepath.Join(docroot, filepath.FromSlash(p))
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		require.NoError(t, os.WriteFile(full, b, 0o644))
		sums[p] = sha256.Sum256(b)
		paths = append(paths, p)
	}
	for i := 0; i < small; i++ {
		put(fmt.Sprintf("wp-content/plugins/p%d/inc/d%d/file-%d.php", i%7, i%5, i), rnd.Intn(6000))
		if i%100 == 50 {
			put(fmt.Sprintf("wp-content/uploads/2024/big-%d.jpg", i), 1<<20+rnd.Intn(1<<20))
		}
	}
	put("wp-content/empty.txt", 0)
	put("wp-content/uploads/été 2024/photo de ça ✓.txt", 1234)
	return paths, sums
}

// got records ReadFiles' calls.
type got struct {
	order []string
	sums  map[string][32]byte
	errs  map[string]error
}

func (g *got) fn(p string, r io.Reader, err error) error {
	g.order = append(g.order, p)
	if g.sums == nil {
		g.sums, g.errs = map[string][32]byte{}, map[string]error{}
	}
	if err != nil {
		g.errs[p] = err
		if r != nil {
			return errors.New("r set with an error")
		}
		return nil
	}
	b, rerr := io.ReadAll(r)
	if rerr != nil {
		return rerr
	}
	g.sums[p] = sha256.Sum256(b)
	return nil
}

// Every file arrives once, in order, with the bytes on disk, in one request.
func TestReadFilesMatchDisk(t *testing.T) {
	docroot := t.TempDir()
	url := startPHP(t, docroot)
	paths, sums := siteFiles(t, docroot, 300)
	c := &counter{base: http.DefaultTransport}
	a := deployFiles(t, url, docroot, c, 0)

	var g got
	start := time.Now()
	require.NoError(t, a.ReadFiles(context.Background(), paths, g.fn))
	t.Logf("%d files in %v, %d request(s)", len(paths), time.Since(start), c.count("files"))
	require.Equal(t, paths, g.order, "fn must be called once per path, in order")
	require.Empty(t, g.errs)
	require.Equal(t, sums, g.sums)
	require.Equal(t, 1, c.count("files"))
}

// Under a time budget shorter than a millisecond the agent answers one file per request
// (it stops between files once the budget is spent): every file still arrives once.
func TestReadFilesInManyRequests(t *testing.T) {
	docroot := t.TempDir()
	url := startPHP(t, docroot, "max_execution_time=1")
	paths, sums := siteFiles(t, docroot, 300)
	c := &counter{base: http.DefaultTransport}
	a := deployFiles(t, url, docroot, c, time.Nanosecond)
	require.Equal(t, time.Second, a.MaxExecution)

	var g got
	require.NoError(t, a.ReadFiles(context.Background(), paths, g.fn))
	require.Equal(t, paths, g.order)
	require.Equal(t, sums, g.sums)
	require.Empty(t, g.errs)
	require.Equal(t, len(paths), c.count("files"), "expected one request per file")
}

// A response stops between files after 32 MiB; the rest comes in the next request.
func TestReadFilesStopsAfter32MiB(t *testing.T) {
	docroot := t.TempDir()
	url := startPHP(t, docroot)
	rnd := rand.New(rand.NewSource(1))
	var paths []string
	sums := map[string][32]byte{}
	for i := 0; i < 20; i++ {
		b := make([]byte, 2<<20)
		rnd.Read(b)
		p := fmt.Sprintf("f%02d.bin", i)
		require.NoError(t, os.WriteFile(filepath.Join(docroot, p), b, 0o644))
		paths, sums[p] = append(paths, p), sha256.Sum256(b)
	}
	c := &counter{base: http.DefaultTransport}
	a := deployFiles(t, url, docroot, c, time.Minute)
	var g got
	require.NoError(t, a.ReadFiles(context.Background(), paths, g.fn))
	require.Equal(t, paths, g.order)
	require.Equal(t, sums, g.sums)
	require.Equal(t, 2, c.count("files"), "40 MiB should take two responses")
}

// Paths that leave the folder, are not plain, are not regular files or name the agent are
// refused one by one; the others arrive.
func TestReadFilesRefusesPaths(t *testing.T) {
	root := t.TempDir()
	docroot := filepath.Join(root, "site")
	require.NoError(t, os.MkdirAll(filepath.Join(docroot, "a"), 0o755))
	for p, s := range map[string]string{"a/b": "b", "ok.txt": "fine", "../secret.txt": "secret"} {
		require.NoError(t, os.WriteFile(filepath.Join(docroot, filepath.FromSlash(p)), []byte(s), 0o644))
	}
	url := startPHP(t, docroot)
	a := deployFiles(t, url, docroot, nil, 0)

	bad := []string{"../secret.txt", "/etc/passwd", "../etc/passwd", "a/./b", "./ok.txt", "a//b", "a/", "a\\b",
		"ok.txt\x00", "", "a", "missing.txt", a.Path(), "a/../ok.txt"}
	good := []string{"ok.txt", "a/b"}
	paths := []string{good[0]}
	paths = append(paths, bad...)
	paths = append(paths, good[1], good[0])
	var g got
	require.NoError(t, a.ReadFiles(context.Background(), paths, g.fn))
	require.Equal(t, paths, g.order)
	require.Len(t, g.errs, len(bad))
	for _, p := range bad {
		require.ErrorIs(t, g.errs[p], agent.ErrUnreadable, "%q", p)
		require.NotContains(t, g.errs[p].Error(), docroot, "the error names a server path")
	}
	require.Equal(t, sha256.Sum256([]byte("fine")), g.sums["ok.txt"])
	require.Equal(t, sha256.Sum256([]byte("b")), g.sums["a/b"])
}

// A response cut off inside a big file is asked for again from that file on: every file
// reaches fn once and whole.
func TestCutFilesResponseIsRetried(t *testing.T) {
	docroot := t.TempDir()
	url := startPHP(t, docroot)
	paths, sums := siteFiles(t, docroot, 300)
	c := &counter{base: http.DefaultTransport}
	a := deployFiles(t, url, docroot, c, 0)
	c.cutAt, c.cutLen = c.n.Load()+1, 1500000 // inside the first big file

	var g got
	require.NoError(t, a.ReadFiles(context.Background(), paths, g.fn))
	require.Equal(t, 1, c.cuts, "no response was cut")
	require.Equal(t, 2, c.count("files"))
	require.Equal(t, paths, g.order, "a file reached fn twice or not at all")
	require.Equal(t, sums, g.sums)
}

// An error from fn stops ReadFiles and comes back as it is.
func TestReadFilesReturnsCallbackError(t *testing.T) {
	docroot := t.TempDir()
	url := startPHP(t, docroot)
	paths, _ := siteFiles(t, docroot, 20)
	a := deployFiles(t, url, docroot, nil, 0)
	stop := errors.New("disk full")
	calls := 0
	err := a.ReadFiles(context.Background(), paths, func(string, io.Reader, error) error {
		if calls++; calls == 5 {
			return stop
		}
		return nil
	})
	require.Same(t, stop, err)
	require.Equal(t, 5, calls)
}

// A files request must be signed like any other.
func TestUnsignedFilesRequestGets404(t *testing.T) {
	docroot := t.TempDir()
	url := startPHP(t, docroot)
	require.NoError(t, os.WriteFile(filepath.Join(docroot, "wp-config.php"), []byte("DB_PASSWORD secret-value"), 0o644))
	a := deployFiles(t, url, docroot, nil, 0)
	body := []byte("\x00\x00\x00\x05files\x00\x00\x00\x041000\x00\x00\x00\x011\x00\x00\x00\x0dwp-config.php")
	for _, sig := range []string{"", "00", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"} {
		req, err := http.NewRequest(http.MethodPost, a.URL(), bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("X-Ferry-Time", fmt.Sprint(time.Now().Unix()))
		req.Header.Set("X-Ferry-Sig", sig)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, 404, resp.StatusCode)
		require.NotContains(t, string(b), "secret-value")
	}
	var g got
	require.NoError(t, a.ReadFiles(context.Background(), []string{"wp-config.php"}, g.fn), "a signed request still works")
	require.Equal(t, sha256.Sum256([]byte("DB_PASSWORD secret-value")), g.sums["wp-config.php"])
}

// The list of paths is split to stay under half the server's post_max_size (PHP may drop
// a larger body); two ReadFiles at once each get their own files.
func TestReadFilesUnderSmallPostMaxAndConcurrently(t *testing.T) {
	docroot := t.TempDir()
	url := startPHP(t, docroot, "post_max_size=4K")
	paths, sums := siteFiles(t, docroot, 300)
	c := &counter{base: http.DefaultTransport}
	a := deployFiles(t, url, docroot, c, 0)
	require.EqualValues(t, 4<<10, a.PostMax)

	half := len(paths) / 2
	var g [2]got
	errs := make(chan error, 2)
	for i, part := range [][]string{paths[:half], paths[half:]} {
		go func() { errs <- a.ReadFiles(context.Background(), part, g[i].fn) }()
	}
	require.NoError(t, <-errs)
	require.NoError(t, <-errs)
	require.Equal(t, paths, append(g[0].order, g[1].order...))
	all := g[0].sums
	maps.Copy(all, g[1].sums)
	require.Equal(t, sums, all)
	require.Empty(t, g[0].errs)
	require.Empty(t, g[1].errs)
	require.GreaterOrEqual(t, c.count("files"), 4, "the paths should need several requests")
}

// Text comes deflated, images as they are, a file that is text then noise in both kinds
// of chunk: the bytes match the disk and the text crosses the wire much smaller.
func TestReadFilesDeflatesText(t *testing.T) {
	docroot := t.TempDir()
	url := startPHP(t, docroot)
	rnd := rand.New(rand.NewSource(5))
	var paths []string
	sums := map[string][32]byte{}
	var text, noise int
	put := func(p string, b []byte) {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(docroot, p)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(docroot, p), b, 0o644))
		paths, sums[p] = append(paths, p), sha256.Sum256(b)
	}
	code := func(n int) []byte {
		var b bytes.Buffer
		for b.Len() < n {
			fmt.Fprintf(&b, "function wp_thing_%d($post, $args = array()) { return apply_filters('thing', $post->ID + %d); }\n", rnd.Intn(500), rnd.Intn(99))
		}
		return b.Bytes()[:n]
	}
	random := func(n int) []byte { b := make([]byte, n); rnd.Read(b); return b }
	for i := range 100 {
		b := code(200 + rnd.Intn(20000))
		put(fmt.Sprintf("wp-includes/f%d.php", i), b)
		text += len(b)
	}
	put("wp-includes/tiny.php", []byte("<?php // tiny\n"))
	put("wp-content/uploads/photo.jpg", random(300000))
	mixed := append(code(65536), random(100000)...)
	put("wp-content/mixed.bin", mixed)
	big := code(700000)
	put("wp-content/big.js", big)
	text, noise = text+65536+len(big)+14, 300000+100000

	c := &counter{base: http.DefaultTransport}
	a := deployFiles(t, url, docroot, c, 0)
	before := c.read.Load()
	var g got
	require.NoError(t, a.ReadFiles(context.Background(), paths, g.fn))
	require.Equal(t, paths, g.order)
	require.Equal(t, sums, g.sums)
	wire := c.read.Load() - before
	t.Logf("%d bytes of text and %d of noise came as %d bytes", text, noise, wire)
	require.Less(t, wire, int64(text/3+noise+20000), "text should travel deflated")
	require.Greater(t, wire, int64(noise), "noise cannot shrink")
}

// fakeAgent answers Ping as the agent would and every files request with the frames
// answer returns for the paths asked.
func fakeAgent(t *testing.T, answer func(paths []string) string) (*agent.Agent, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	str := func(s string) string { return string(binary.BigEndian.AppendUint32(nil, uint32(len(s)))) + s }
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var fields []string
		for len(body) >= 4 {
			l := binary.BigEndian.Uint32(body)
			fields, body = append(fields, string(body[4:4+l])), body[4+l:]
		}
		_, _ = io.WriteString(w, "FERRY1\n")
		switch fields[0] {
		case "ping":
			_, _ = io.WriteString(w, "P"+str("8.2.0")+str("30")+str("8M")+"Z")
		case "files":
			n.Add(1)
			_, _ = io.WriteString(w, answer(fields[4:]))
		}
	}))
	t.Cleanup(srv.Close)
	docroot := t.TempDir()
	a, err := agent.New(agent.Config{SiteURL: srv.URL, Retries: 2,
		Open: func(context.Context) (agent.Files, error) { return local.Open(docroot) }})
	require.NoError(t, err)
	require.NoError(t, a.Upload(context.Background()))
	return a, &n
}

// What a misbehaving or failing agent sends is caught in Go: a file that failed mid-way
// reaches fn as unreadable, a file not asked for ends the call without a retry, a chunk
// too long or a deflated chunk that inflates too far counts as a broken response.
func TestReadFilesCatchesBadFrames(t *testing.T) {
	str := func(s string) string { return string(binary.BigEndian.AppendUint32(nil, uint32(len(s)))) + s }
	var z bytes.Buffer
	zw, _ := flate.NewWriter(&z, 9)
	_, _ = zw.Write(make([]byte, 2<<20))
	require.NoError(t, zw.Close())
	for _, tc := range []struct {
		name   string
		answer func(p []string) string
		calls  int    // fn calls
		errs   int    // of them with an error
		err    string // what ReadFiles returns ("" nil)
		tries  int64
	}{
		{"failed mid-way", func(p []string) string {
			return "F" + str(p[0]) + "c" + str("part") + "x" + str("read failed") + "F" + str(p[1]) + "d" + str(deflate(t, "hello")) + "eZ"
		}, 2, 1, "", 1},
		{"not asked for", func(p []string) string { return "F" + str("wp-config.php") + "c" + str("x") + "eZ" }, 0, 0, "not asked for", 1},
		{"chunk too long", func(p []string) string { return "F" + str(p[0]) + "c\x7f\x00\x00\x00Z" }, 0, 0, "chunk too long", 3},
		{"deflate bomb", func(p []string) string { return "F" + str(p[0]) + "d" + str(z.String()) + "eZ" }, 0, 0, "chunk too long", 3},
		{"no file answered", func(p []string) string { return "Z" }, 0, 0, "none of the files", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, n := fakeAgent(t, tc.answer)
			var g got
			err := a.ReadFiles(context.Background(), []string{"a.php", "b.php"}, g.fn)
			if tc.err == "" {
				require.NoError(t, err)
				require.Equal(t, sha256.Sum256([]byte("hello")), g.sums["b.php"])
				require.ErrorIs(t, g.errs["a.php"], agent.ErrUnreadable)
				require.ErrorContains(t, g.errs["a.php"], "read failed")
			} else {
				require.ErrorContains(t, err, tc.err)
			}
			require.Len(t, g.order, tc.calls)
			require.Len(t, g.errs, tc.errs)
			require.Equal(t, tc.tries, n.Load(), "requests")
		})
	}
}

func deflate(t *testing.T, s string) string {
	var b bytes.Buffer
	w, err := flate.NewWriter(&b, 1)
	require.NoError(t, err)
	_, _ = io.WriteString(w, s)
	require.NoError(t, w.Close())
	return b.String()
}
