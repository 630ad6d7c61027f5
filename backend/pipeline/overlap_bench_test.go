package pipeline_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"ferry/backend/transfer/transfertest"
)

// BenchmarkFirstStepsRTT migrates the test site from FTP to SFTP with every server (both
// file servers, both databases) behind a link of FERRY_BENCH_RTT_MS round trip (default
// 40) and reports how long the run took from its start until Download files started
// (Check destination and Analyse source), and each of the two steps. The FTP link lags the
// control connection; passive data connections go straight to the server. For example:
//
//	FERRY_BENCH_RTT_MS=120 go test -run '^$' -bench FirstStepsRTT -benchtime 5x ./backend/pipeline/
//
// Measured (2 shared cores, one run per process, interleaved with the steps one after the
// other and each step's halves in turn): at 40 ms, start to Download files 3.72 s median
// before, 1.37 s after (5 runs each), the whole migration 8.06 s and 5.81 s; at 120 ms,
// 11.30 s and 4.05 s (3 runs each).
func BenchmarkFirstStepsRTT(b *testing.B) {
	rtt := 40 * time.Millisecond
	if v, err := strconv.Atoi(os.Getenv("FERRY_BENCH_RTT_MS")); err == nil && v >= 0 {
		rtt = time.Duration(v) * time.Millisecond
	}
	h := newHarness(b)
	link := transfertest.NewDelay(b, rtt)
	var toDownload, check, analyse time.Duration
	for b.Loop() {
		b.StopTimer()
		in, s, _, _ := sftpToFTP(b)
		src := transfertest.StartFTP(b, s.Dir, transfertest.FTPOptions{DisableMLSD: true, StatDashA: true})
		dst := transfertest.StartSFTP(b, b.TempDir(), transfertest.SFTPOptions{})
		in.Method, in.Source.Protocol, in.Source.Host, in.Source.Port = "ftp", "ftp", "127.0.0.1", link.Listen(src.Addr())
		in.Source.User, in.Source.Password, in.Source.Path = src.User, src.Password, "/"
		in.Source.DB.Host, in.Source.DB.Port = "127.0.0.1", link.Listen(hostPortOf(in.Source.DB.Host, in.Source.DB.Port))
		in.Destination.Protocol, in.Destination.Host, in.Destination.Port = "sftp", "127.0.0.1", link.Listen(dst.Addr())
		in.Destination.User, in.Destination.Password, in.Destination.Path = dst.User, dst.Password, "."
		in.Destination.DB.Host, in.Destination.DB.Port = "127.0.0.1", link.Listen(hostPortOf(in.Destination.DB.Host, in.Destination.DB.Port))
		b.StartTimer()
		d, err := h.svc.CreateMigration(context.Background(), in)
		if err != nil {
			b.Fatal(err)
		}
		d = h.waitDone(b, d.ID)
		if d.Status != "successful" {
			b.Fatalf("migration %s: %s", d.Status, d.FailureReason)
		}
		started := map[string]int64{}
		for _, st := range d.Steps {
			started[st.ID] = st.StartedAt
			switch st.ID {
			case "check_destination":
				check += time.Duration(st.DurationMs) * time.Millisecond
			case "analyse_source":
				analyse += time.Duration(st.DurationMs) * time.Millisecond
			}
		}
		toDownload += time.Duration(started["download_files"]-started["check_destination"]) * time.Millisecond
	}
	n := float64(b.N)
	b.ReportMetric(toDownload.Seconds()/n, "s-to-download")
	b.ReportMetric(check.Seconds()/n, "s-check")
	b.ReportMetric(analyse.Seconds()/n, "s-analyse")
}
