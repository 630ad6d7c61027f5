package agent_test

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/agent"
	"ferry/backend/transfer/local"
	"ferry/backend/transfer/transfertest"
)

// BenchmarkReadFilesOverRTT fetches a WordPress-sized tree of small files through the
// agent behind a 40 ms link, in one ReadFiles call over one connection, and reports the
// time, the requests and the bytes on the wire, deflated and plain, with no bandwidth
// limit and at 100 Mbit/s. The files are 3,700 source files of Go's own tree (real code,
// as a WordPress is mostly PHP and JavaScript), none over 1 MiB.
//
//	go test ./backend/agent/ -run '^$' -bench ReadFilesOverRTT -benchtime 1x
func BenchmarkReadFilesOverRTT(b *testing.B) {
	const files, rtt = 3700, 40 * time.Millisecond
	docroot := b.TempDir()
	var paths []string
	var total int64
	src := filepath.Join(runtime.GOROOT(), "src")
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || len(paths) == files {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil || len(data) > 1<<20 {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		full := filepath.Join(docroot, rel)
		require.NoError(b, os.MkdirAll(filepath.Dir(full), 0o755))
		require.NoError(b, os.WriteFile(full, data, 0o644))
		paths, total = append(paths, filepath.ToSlash(rel)), total+int64(len(data))
		return nil
	})
	require.NoError(b, err)
	require.Len(b, paths, files)
	url := startPHP(b, docroot)
	delay := transfertest.NewDelay(b, rtt)
	for _, mbit := range []int{0, 100} {
		for _, plain := range []bool{false, true} {
			var tr http.RoundTripper = &http.Transport{DialContext: delay.Dial, DisableCompression: true}
			name := map[bool]string{false: "deflate", true: "plain"}[plain]
			if mbit > 0 {
				tr, name = &throttle{base: tr, rate: float64(mbit) * 1e6 / 8}, fmt.Sprintf("%s-%dMbit", name, mbit)
			}
			c := &counter{base: tr}
			a, err := agent.New(agent.Config{SiteURL: url, Transport: c, Plain: plain,
				Open: func(context.Context) (agent.Files, error) { return local.Open(docroot) }})
			require.NoError(b, err)
			require.NoError(b, a.Upload(context.Background()))
			b.Cleanup(func() { _ = a.Remove(context.Background()) })
			b.Run(name, func(b *testing.B) { readAll(b, a, c, paths, total, rtt) })
		}
	}
}

// throttle limits how fast response bodies are read, to play a link of rate bytes a
// second (TCP's flow control slows the server down to it).
type throttle struct {
	base http.RoundTripper
	rate float64
}

func (t *throttle) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err == nil {
		resp.Body = &slowBody{ReadCloser: resp.Body, rate: t.rate, start: time.Now()}
	}
	return resp, err
}

type slowBody struct {
	io.ReadCloser
	rate  float64
	start time.Time
	n     int64
}

func (s *slowBody) Read(p []byte) (int, error) {
	n, err := s.ReadCloser.Read(p[:min(len(p), 16<<10)])
	s.n += int64(n)
	if ahead := time.Duration(float64(s.n)/s.rate*float64(time.Second)) - time.Since(s.start); ahead > 0 {
		time.Sleep(ahead)
	}
	return n, err
}

func readAll(b *testing.B, a *agent.Agent, c *counter, paths []string, total int64, rtt time.Duration) {
	for range b.N {
		before, wire := c.count("files"), c.read.Load()
		start := time.Now()
		var got int64
		n := 0
		require.NoError(b, a.ReadFiles(context.Background(), paths, func(_ string, r io.Reader, err error) error {
			require.NoError(b, err)
			m, err := io.Copy(io.Discard, r)
			got, n = got+m, n+1
			return err
		}))
		el := time.Since(start)
		wire = c.read.Load() - wire
		require.Equal(b, len(paths), n)
		require.Equal(b, total, got)
		b.ReportMetric(el.Seconds(), "s/site")
		b.ReportMetric(float64(c.count("files")-before), "requests/site")
		b.ReportMetric(float64(wire)/float64(got), "wire/bytes")
		b.Logf("%d files, %.1f MiB in %v over %v RTT, %d requests, %.1f MiB on the wire",
			n, float64(got)/(1<<20), el.Round(time.Millisecond), rtt, c.count("files")-before, float64(wire)/(1<<20))
	}
}
