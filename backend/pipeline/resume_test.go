package pipeline_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/service"
	"ferry/backend/transfer/transfertest"
)

// outage forwards TCP to a server and, once tripAfter bytes came back from the server,
// takes the network down: every open connection is cut and new ones are refused until
// restore. Unlike a single dropped connection, which the mirror retries by itself, an
// outage outlasts the retries and fails the step, as a dead uplink does.
type outage struct {
	target    string
	l         net.Listener
	tripAfter int64
	moved     atomic.Int64
	down      atomic.Bool
	mu        sync.Mutex
	conns     []net.Conn
}

func startOutage(t *testing.T, target string, tripAfter int64) *outage {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	o := &outage{target: target, l: l, tripAfter: tripAfter}
	t.Cleanup(func() { _ = l.Close(); o.cut() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			if o.down.Load() {
				_ = c.Close()
				continue
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				_ = c.Close()
				continue
			}
			o.mu.Lock()
			o.conns = append(o.conns, c, s)
			o.mu.Unlock()
			go func() { _, _ = io.Copy(s, c); _ = s.Close() }()
			go func() {
				buf := make([]byte, 32<<10)
				for {
					n, err := s.Read(buf)
					if n > 0 {
						if o.moved.Add(int64(n)) > o.tripAfter && o.tripAfter > 0 && !o.down.Load() {
							o.down.Store(true)
							o.cut()
							return
						}
						if _, werr := c.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						_ = c.Close()
						return
					}
				}
			}()
		}
	}()
	return o
}

func (o *outage) port() int { return o.l.Addr().(*net.TCPAddr).Port }

func (o *outage) cut() {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, c := range o.conns {
		_ = c.Close()
	}
	o.conns = nil
}

// restore brings the network back and starts counting again, without further outages.
func (o *outage) restore() {
	o.tripAfter = 0
	o.moved.Store(0)
	o.down.Store(false)
}

// TestRetryResumesDownloadAfterOutage cuts the network mid-download: the migration fails
// at Download files, keeps its staging, and Retry moves only what was missing.
func TestRetryResumesDownloadAfterOutage(t *testing.T) {
	h := newHarness(t)
	in, s, _, _ := sftpToFTP(t)
	var siteBytes int64
	for i := 0; i < 24; i++ {
		b := make([]byte, 400<<10)
		for j := range b {
			b[j] = byte(i + j)
		}
		require.NoError(t, os.WriteFile(filepath.Join(s.Dir, "wp-content", "uploads", fmt.Sprintf("big-%02d.bin", i)), b, 0o644))
		siteBytes += int64(len(b))
	}
	target := net.JoinHostPort(in.Source.Host, strconv.Itoa(in.Source.Port))
	o := startOutage(t, target, siteBytes/2)
	in.Source.Port = o.port()
	d, err := h.svc.CreateMigration(context.Background(), in)
	require.NoError(t, err)
	d = h.waitDone(t, d.ID)
	require.Equal(t, "failed", d.Status, d.FailureReason)
	require.Equal(t, "download_files", d.CurrentStep)
	firstRun := o.moved.Load()
	require.Greater(t, firstRun, siteBytes/4, "the outage came mid-download")

	o.restore()
	_, err = h.svc.RetryMigration(context.Background(), d.ID, false)
	require.NoError(t, err)
	d = h.waitDone(t, d.ID)
	require.Equal(t, "successful", d.Status, d.FailureReason)
	second := o.moved.Load()
	require.Less(t, second, siteBytes*3/4, "retry moved %d bytes of a %d-byte site: it must skip what the first run finished", second, siteBytes)
	for _, st := range d.Steps {
		require.Equal(t, "completed", st.State, st.ID)
	}
}

// TestStopDuringDownloadStopsFast stalls the source mid-file: Stop must still end the run
// within two seconds, fail it "Stopped by admin" and keep the staging folder.
func TestStopDuringDownloadStopsFast(t *testing.T) {
	h := newHarness(t)
	in, s, _, _ := sftpToFTP(t)
	require.NoError(t, os.WriteFile(filepath.Join(s.Dir, "wp-content", "uploads", "big.bin"), make([]byte, 8<<20), 0o644))
	p := transfertest.StartProxy(t, net.JoinHostPort(in.Source.Host, strconv.Itoa(in.Source.Port)))
	in.Source.Port = p.Port()
	d, err := h.svc.CreateMigration(context.Background(), in)
	require.NoError(t, err)
	// Stall once the download is under way.
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := h.svc.GetMigration(context.Background(), d.ID)
		require.NoError(t, err)
		if got.CurrentStep == "download_files" {
			break
		}
		require.True(t, time.Now().Before(deadline), "never reached Download files: %s %s", got.Status, got.FailureReason)
		time.Sleep(5 * time.Millisecond)
	}
	<-p.Inject(transfertest.Stall, 64<<10)
	start := time.Now()
	row, err := h.svc.StopMigration(context.Background(), d.ID)
	require.NoError(t, err)
	require.Less(t, time.Since(start), 2500*time.Millisecond)
	require.Equal(t, "failed", row.Status)
	require.Equal(t, "Stopped by admin", row.FailureReason)
	require.False(t, h.run.Running(d.ID))
	_, err = os.Stat(h.pipe.StagingDir(d.ID))
	require.NoError(t, err, "staging is kept for Retry")
	// Stop is not allowed twice.
	_, err = h.svc.StopMigration(context.Background(), d.ID)
	require.Equal(t, service.CodeNotAllowed, service.CodeOf(err))
}
