package ftp_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/transfer/ftp"
	"ferry/backend/transfer/transfertest"
)

// BenchmarkRoundTripsPerFile times one connection's downloads, uploads and folder
// listings through a 40 ms link, one after the other, and reports round trips per item:
// "jlaffaye" is how every command went before fast.go, "fast" is now.
//
//	go test ./backend/transfer/ftp/ -run '^$' -bench RoundTripsPerFile -benchtime 1x
func BenchmarkRoundTripsPerFile(b *testing.B) {
	const n, rtt = 30, 40 * time.Millisecond
	root := b.TempDir()
	for i := range n {
		dir := filepath.Join(root, "site", fmt.Sprintf("d%02d", i))
		require.NoError(b, os.MkdirAll(dir, 0o755))
		require.NoError(b, os.WriteFile(filepath.Join(dir, "f.jpg"), []byte(strings.Repeat("x", 4000)), 0o644))
		require.NoError(b, os.WriteFile(filepath.Join(dir, ".htaccess"), []byte("deny"), 0o644))
	}
	srv := startFTP(b, root, transfertest.FTPOptions{StatDashA: true, DisableMLSD: true})
	delay := transfertest.NewDelay(b, rtt)
	for _, mode := range []string{"jlaffaye", "fast"} {
		cfg := config(srv, false)
		cfg.DialContext = delay.Dial
		cfg.Root = "/site"
		cfg.Timeout = 20 * time.Second
		ctx := context.Background()
		c, err := ftp.Dial(ctx, cfg)
		require.NoError(b, err)
		if mode == "jlaffaye" {
			ftp.Slow(c)
		}
		per := func(op string, fn func(i int)) {
			b.Run(mode+"/"+op, func(b *testing.B) {
				for range b.N {
					fn(0) // the first may ask for what the others get ahead
					start := time.Now()
					for i := 1; i < n; i++ {
						fn(i)
					}
					rtts := time.Since(start).Seconds() / float64(n-1) / rtt.Seconds()
					b.ReportMetric(rtts, "RTT/"+op)
					b.Logf("%s %s: %.2f round trips each", mode, op, rtts)
				}
			})
		}
		per("download", func(i int) {
			r, err := c.Open(ctx, fmt.Sprintf("d%02d/f.jpg", i), 0)
			require.NoError(b, err)
			_, err = io.Copy(io.Discard, io.LimitReader(r, 4000))
			require.NoError(b, err)
			require.NoError(b, r.Close())
		})
		per("upload", func(i int) {
			w, err := c.Create(ctx, fmt.Sprintf("d%02d/up-%s.jpg", i, mode), 0)
			require.NoError(b, err)
			_, err = w.Write([]byte(strings.Repeat("y", 4000)))
			require.NoError(b, err)
			require.NoError(b, w.Close())
		})
		per("list", func(i int) {
			es, err := c.List(ctx, fmt.Sprintf("d%02d", i))
			require.NoError(b, err)
			require.GreaterOrEqual(b, len(es), 2)
		})
		require.NoError(b, c.Close())
	}
}
