package transfer_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/progress"
	"ferry/backend/transfer"
	"ferry/backend/transfer/local"
	"ferry/backend/transfer/sftp"
	"ferry/backend/transfer/transfertest"
)

// TestMirrorSurvivesFaults downloads a 2,000-file site over SFTP through a proxy that
// drops, resets and stalls connections twenty times, and checks the copy is complete
// and byte-identical: once with one login per stream, once with 32 streams sharing
// one login (sftp.Pool), which must log in again after each fault.
func TestMirrorSurvivesFaults(t *testing.T) {
	t.Run("login per stream", func(t *testing.T) { mirrorSurvivesFaults(t, false) })
	t.Run("shared login", func(t *testing.T) { mirrorSurvivesFaults(t, true) })
}

func mirrorSurvivesFaults(t *testing.T, shared bool) {
	src, dst := t.TempDir(), t.TempDir()
	want := makeSite(t, src, 2000, 4)
	srv := transfertest.StartSFTP(t, src, transfertest.SFTPOptions{})
	proxy := transfertest.StartProxy(t, srv.Addr())
	cfg := sftp.Config{
		Host: srv.Host, Port: proxy.Port(), User: srv.User, Password: srv.Password,
		HostKeys: transfer.NewMemoryHostKeys(),
		Timeout:  time.Second, // a stalled link is noticed after a second
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var fired atomic.Int64
	injectorDone := make(chan struct{})
	mirrorDone := make(chan struct{})
	copying := make(chan struct{})
	var once sync.Once
	go func() {
		defer close(injectorDone)
		// One fault while the tree is listed, the rest while files move.
		select {
		case <-proxy.Inject(transfertest.Reset, 3_000):
			fired.Add(1)
		case <-mirrorDone:
			return
		}
		select {
		case <-copying:
		case <-mirrorDone:
			return
		}
		kinds := []transfertest.FaultKind{transfertest.Drop, transfertest.Reset, transfertest.Stall}
		for i := 1; i < 20; i++ {
			select {
			case <-proxy.Inject(kinds[i%3], int64(20_000+i*7_919)):
				fired.Add(1)
			case <-mirrorDone:
				return
			}
		}
	}()
	var retries atomic.Int64
	open, streams, attempts := cfg.Opener(), 0, 10
	var pool *sftp.Pool
	if shared {
		// Every fault hits every file in flight on the one login, so a big file may
		// live through all twenty.
		pool = sftp.NewPool(cfg)
		open, streams, attempts = pool.Opener(), 32, 25
	}
	man, err := transfer.Mirror(ctx, open, local.Opener(dst), transfer.MirrorOptions{
		Streams:    streams,
		Retries:    attempts,
		RetryDelay: 20 * time.Millisecond,
		OnRetry:    func(string, int, error) { retries.Add(1) },
		Progress: func(s progress.Snapshot) {
			if s.FilesDone > 0 {
				once.Do(func() { close(copying) })
			}
		},
	})
	close(mirrorDone)
	<-injectorDone
	require.NoError(t, err)
	require.Equal(t, int64(20), fired.Load(), "all twenty faults hit the mirror")
	require.Positive(t, retries.Load())
	require.Len(t, man.Files, 2000)
	require.Empty(t, want.Diff(man), "manifest identical to the source's")
	require.Empty(t, want.Diff(manifestOf(t, dst)), "the copy holds the source's bytes")
	if shared {
		require.Greater(t, pool.Logins(), int64(1), "a dead login is replaced")
		require.LessOrEqual(t, pool.Logins(), int64(21), "one login per fault at most, not one per stream")
	}
}
