package ftp_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/transfer"
	"ferry/backend/transfer/transfertest"
)

// BenchmarkListThousandFolders lists a tree of 1,110 folders (10 × 10 × 10 leaves, each
// with a file) through a 40 ms link on one connection and on as many as Analyse source
// uses, and reports the seconds the latter took (a 1,000-folder tree should take 15 s
// or less) and its ratio to the former.
//
//	go test ./backend/transfer/ftp/ -run '^$' -bench ListThousandFolders -benchtime 1x
func BenchmarkListThousandFolders(b *testing.B) {
	const rtt = 40 * time.Millisecond
	root := b.TempDir()
	for i := range 10 {
		for j := range 10 {
			for k := range 10 {
				dir := filepath.Join(root, "site", fmt.Sprintf("a%d", i), fmt.Sprintf("b%d", j), fmt.Sprintf("c%d", k))
				require.NoError(b, os.MkdirAll(dir, 0o755))
				require.NoError(b, os.WriteFile(filepath.Join(dir, "f.php"), []byte("<?php\n"), 0o644))
			}
		}
	}
	srv := startFTP(b, root, transfertest.FTPOptions{StatDashA: true, DisableMLSD: true})
	delay := transfertest.NewDelay(b, rtt)
	cfg := config(srv, false)
	cfg.DialContext = delay.Dial
	cfg.Root = "/site"
	cfg.Timeout = 20 * time.Second
	ctx := context.Background()
	list := func(n int) float64 {
		start := time.Now()
		trees, closeAll := transfer.OpenMore(ctx, cfg.Opener(), n)
		require.Len(b, trees, n)
		folders, files := 0, 0
		err := transfer.ListAll(ctx, trees, ".", func(e transfer.Entry) error {
			if e.IsDir {
				folders++
			} else {
				files++
			}
			return nil
		})
		closeAll()
		require.NoError(b, err)
		require.Equal(b, 1110, folders)
		require.Equal(b, 1000, files)
		return time.Since(start).Seconds()
	}
	for range b.N {
		one, many := list(1), list(transfer.ListConnections)
		b.ReportMetric(many, "s/list")
		b.ReportMetric(many/one, "ratio-to-1-conn")
		b.Logf("1,110 folders through a %s link: %.1f s on 1 connection, %.1f s on %d (%.2fx)", rtt, one, many, transfer.ListConnections, many/one)
	}
}
