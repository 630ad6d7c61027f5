package transfer_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/transfer"
	"ferry/backend/transfer/ftp"
	"ferry/backend/transfer/local"
	"ferry/backend/transfer/transfertest"
)

type notices struct {
	mu  sync.Mutex
	got []string
}

func (n *notices) add(msg string) {
	n.mu.Lock()
	n.got = append(n.got, msg)
	n.mu.Unlock()
}

func (n *notices) list() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.got...)
}

// TestMirrorGoesOnWhenServerCapsLogins uploads to an FTP server that takes two logins
// of the account at once while Mirror asks for four: the copy completes on two, and the
// admin hears once that the server refused more.
func TestMirrorGoesOnWhenServerCapsLogins(t *testing.T) {
	src := t.TempDir()
	want := makeFolders(t, src, 200, 20)
	dst := t.TempDir()
	srv := transfertest.StartFTP(t, dst, transfertest.FTPOptions{MaxLogins: 2})
	var heard notices
	_, err := transfer.Mirror(context.Background(), local.Opener(src),
		ftp.Config{Host: srv.Host, Port: srv.Port, User: srv.User, Password: srv.Password, Timeout: 5 * time.Second}.Opener(),
		transfer.MirrorOptions{Workers: 4, OnNotice: heard.add, RetryDelay: 10 * time.Millisecond})
	require.NoError(t, err)
	require.Equal(t, want.Files, hashDir(t, dst).Files)
	require.LessOrEqual(t, srv.PeakLogins.Load(), int64(2))
	require.Len(t, heard.list(), 1)
	require.Contains(t, heard.list()[0], "refused")
}

// TestMirrorGrowsConnections downloads over a 20 ms link from four connections with
// room to grow to eight: Mirror adds connections while the copy goes on.
func TestMirrorGrowsConnections(t *testing.T) {
	defer transfer.SetGrowEvery(150 * time.Millisecond)()
	src := t.TempDir()
	want := makeFolders(t, src, 300, 10)
	srv := transfertest.StartFTP(t, src, transfertest.FTPOptions{})
	link := transfertest.NewDelay(t, 20*time.Millisecond)
	dst := t.TempDir()
	_, err := transfer.Mirror(context.Background(),
		ftp.Config{Host: srv.Host, Port: srv.Port, User: srv.User, Password: srv.Password, Timeout: 5 * time.Second, DialContext: link.Dial}.Opener(),
		local.Opener(dst), transfer.MirrorOptions{Workers: 4, GrowTo: 8})
	require.NoError(t, err)
	require.Equal(t, want.Files, hashDir(t, dst).Files)
	require.Greater(t, srv.PeakLogins.Load(), int64(4))
	require.LessOrEqual(t, srv.PeakLogins.Load(), int64(8))
}

// TestMirrorGrowthStopsAtServerLimit: a server at its limit refuses the connection
// Mirror tries to add; the copy goes on with the four it has.
func TestMirrorGrowthStopsAtServerLimit(t *testing.T) {
	defer transfer.SetGrowEvery(100 * time.Millisecond)()
	src := t.TempDir()
	want := makeFolders(t, src, 200, 10)
	srv := transfertest.StartFTP(t, src, transfertest.FTPOptions{MaxLogins: 4})
	link := transfertest.NewDelay(t, 20*time.Millisecond)
	dst := t.TempDir()
	var heard notices
	_, err := transfer.Mirror(context.Background(),
		ftp.Config{Host: srv.Host, Port: srv.Port, User: srv.User, Password: srv.Password, Timeout: 5 * time.Second, DialContext: link.Dial}.Opener(),
		local.Opener(dst), transfer.MirrorOptions{Workers: 4, GrowTo: 8, OnNotice: heard.add})
	require.NoError(t, err)
	require.Equal(t, want.Files, hashDir(t, dst).Files)
	require.EqualValues(t, 4, srv.PeakLogins.Load())
	require.Len(t, heard.list(), 1)
	require.Contains(t, heard.list()[0], "refused connection 5")
}

// TestMirrorOpensAllConnectionsOverAFarLink: over a 20 ms link every connection allowed
// pays, so Mirror opens them all at once instead of one per growth period (set here
// far beyond the copy's length); on a near server it keeps to the four it started with.
func TestMirrorOpensAllConnectionsOverAFarLink(t *testing.T) {
	defer transfer.SetGrowEvery(time.Hour)()
	src := t.TempDir()
	want := makeFolders(t, src, 200, 10)
	for _, rtt := range []time.Duration{20 * time.Millisecond, 0} {
		srv := transfertest.StartFTP(t, src, transfertest.FTPOptions{})
		link := transfertest.NewDelay(t, rtt)
		cfg := ftp.Config{Host: srv.Host, Port: srv.Port, User: srv.User, Password: srv.Password, Timeout: 5 * time.Second, DialContext: link.Dial}
		c, err := ftp.Dial(context.Background(), cfg)
		require.NoError(t, err)
		if rtt > 0 {
			require.GreaterOrEqual(t, c.RoundTrip(), rtt, "the login measures the link's round trip")
		} else {
			require.Less(t, c.RoundTrip(), transfer.FarRoundTrip)
		}
		require.NoError(t, c.Close())
		dst := t.TempDir()
		_, err = transfer.Mirror(context.Background(), cfg.Opener(), local.Opener(dst), transfer.MirrorOptions{Workers: 4, GrowTo: 8})
		require.NoError(t, err)
		require.Equal(t, want.Files, hashDir(t, dst).Files)
		if rtt > 0 {
			require.EqualValues(t, 8, srv.PeakLogins.Load(), "far: all eight connections")
		} else {
			// near: the four asked for, and no growth within the hour; a worker whose
			// connection timed out on a loaded machine may log in again before the server
			// has seen its old login go, so one more can show at once
			peak := srv.PeakLogins.Load()
			require.True(t, peak >= 4 && peak <= 5, "near: the four asked for, not grown to eight (peak %d)", peak)
		}
	}
}

// TestMirrorGoesOnWithoutSpareConnections copies with four workers through an opener that
// has only one connection to give: the first worker's, which it opens as needed; the
// other three are asked for as spare and refused at once. The copy completes on one, and
// nothing is said: no server refused anything.
func TestMirrorGoesOnWithoutSpareConnections(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	want := makeFolders(t, src, 100, 10)
	var mu sync.Mutex
	asked := map[bool]int{}
	open := local.Opener(dst)
	var heard notices
	_, err := transfer.Mirror(context.Background(), local.Opener(src), func(ctx context.Context) (transfer.Tree, error) {
		mu.Lock()
		asked[transfer.IsSpare(ctx)]++
		mu.Unlock()
		if transfer.IsSpare(ctx) {
			return nil, transfer.ErrNoSpare
		}
		return open(ctx)
	}, transfer.MirrorOptions{Workers: 4, OnNotice: heard.add, RetryDelay: 10 * time.Millisecond})
	require.NoError(t, err)
	require.Equal(t, want.Files, hashDir(t, dst).Files)
	require.Equal(t, map[bool]int{false: 1, true: 3}, asked)
	require.Empty(t, heard.list())
}
