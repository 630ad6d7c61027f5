package agent_test

import (
	"context"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/transfer/transfertest"
)

// BenchmarkReadFilesOverRTT fetches a WordPress-sized tree of small files (3,700 files,
// most of a few KiB, none over 1 MiB) through the agent behind a 40 ms link, in one
// ReadFiles call over one connection, and reports the time and the requests it took.
//
//	go test ./backend/agent/ -run '^$' -bench ReadFilesOverRTT -benchtime 1x
func BenchmarkReadFilesOverRTT(b *testing.B) {
	const files, rtt = 3700, 40 * time.Millisecond
	docroot := b.TempDir()
	rnd := rand.New(rand.NewSource(3))
	var paths []string
	var total int64
	for i := range files {
		n := min(int(rnd.ExpFloat64()*12000), 1<<20)
		p := fmt.Sprintf("wp-content/plugins/p%02d/d%d/f%04d.php", i%40, i%9, i)
		full := filepath.Join(docroot, filepath.FromSlash(p))
		require.NoError(b, os.MkdirAll(filepath.Dir(full), 0o755))
		buf := make([]byte, n)
		rnd.Read(buf)
		require.NoError(b, os.WriteFile(full, buf, 0o644))
		paths, total = append(paths, p), total+int64(n)
	}
	url := startPHP(b, docroot)
	delay := transfertest.NewDelay(b, rtt)
	c := &counter{base: &http.Transport{DialContext: delay.Dial, DisableCompression: true}}
	a := deployFiles(b, url, docroot, c, 0)
	b.ResetTimer()
	for range b.N {
		before := c.count("files")
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
		require.Equal(b, files, n)
		require.Equal(b, total, got)
		b.ReportMetric(el.Seconds(), "s/site")
		b.ReportMetric(float64(c.count("files")-before), "requests/site")
		b.Logf("%d files, %.1f MiB in %v over %v RTT, %d requests", n, float64(got)/(1<<20), el.Round(time.Millisecond), rtt, c.count("files")-before)
	}
}
