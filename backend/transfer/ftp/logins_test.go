package ftp_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/transfer"
	"ferry/backend/transfer/ftp"
	"ferry/backend/transfer/transfertest"
)

// With two logins allowed on the server, a third Tree waits while two are open, takes
// the first one closed (parked, still logged in) instead of logging in again, and a
// connection the work can do without is refused at once: the server never sees a third
// login, parked ones included.
func TestLoginsCapCountsParkedLogins(t *testing.T) {
	ctx := context.Background()
	srv := transfertest.StartFTP(t, t.TempDir(), transfertest.FTPOptions{})
	parking := &transfer.Parking{}
	t.Cleanup(func() { _ = parking.Close() })
	cfg := config(srv, false)
	cfg.Root, cfg.Parking, cfg.Logins = "/", parking, ftp.NewLogins(2)
	open := cfg.Opener()

	a, err := open(ctx)
	require.NoError(t, err)
	b, err := open(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, cfg.Logins.Held())

	got := make(chan transfer.Tree, 1)
	go func() {
		c, err := open(ctx)
		if err != nil {
			c = nil
		}
		got <- c
	}()
	select {
	case <-got:
		t.Fatal("a third login opened while two were held")
	case <-time.After(300 * time.Millisecond):
	}
	spare, closeSpare := transfer.OpenMore(ctx, open, 2)
	require.Empty(t, spare, "a spare connection must be refused, not waited for")
	closeSpare()

	require.NoError(t, a.Close()) // parked: still a login on the server
	require.Equal(t, 2, cfg.Logins.Held())
	var c transfer.Tree
	select {
	case c = <-got:
		require.NotNil(t, c)
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting Tree did not take the parked login")
	}
	_, err = c.Stat(ctx, ".")
	require.NoError(t, err)
	require.NoError(t, b.Close())
	require.NoError(t, c.Close())
	require.Equal(t, int64(2), srv.Logins.Load(), "the third Tree must reuse a login, not make one")
	require.Equal(t, int64(2), srv.PeakLogins.Load())

	require.NoError(t, parking.Close())
	require.Eventually(t, func() bool { return cfg.Logins.Held() == 0 }, 5*time.Second, 10*time.Millisecond,
		"closing parked logins must give them back")
}

// A login parked under another key of the same server (here another timeout, as another
// account would be) is logged out to make room for a login that waits: the cap holds,
// and the wait ends without the parked login's linger.
func TestLoginsCapEvictsOtherAccountsParkedLogin(t *testing.T) {
	ctx := context.Background()
	srv := transfertest.StartFTP(t, t.TempDir(), transfertest.FTPOptions{})
	parking := &transfer.Parking{Linger: time.Hour}
	t.Cleanup(func() { _ = parking.Close() })
	logins := ftp.NewLogins(1)
	one := config(srv, false)
	one.Root, one.Parking, one.Logins = "/", parking, logins
	other := one
	other.Timeout = 7 * time.Second

	a, err := one.Opener()(ctx)
	require.NoError(t, err)
	require.NoError(t, a.Close())
	require.Equal(t, 1, parking.Idle())

	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	b, err := other.Opener()(wctx)
	require.NoError(t, err)
	require.Equal(t, 0, parking.Idle(), "the other key's parked login must be logged out")
	_, err = b.Stat(ctx, ".")
	require.NoError(t, err)
	require.Equal(t, 1, logins.Held())
	require.NoError(t, b.Close())
	require.Equal(t, int64(2), srv.Logins.Load())
}

// Without Logins nothing is capped: three Trees hold three logins.
func TestNoLoginsNoCap(t *testing.T) {
	ctx := context.Background()
	srv := transfertest.StartFTP(t, t.TempDir(), transfertest.FTPOptions{})
	cfg := config(srv, false)
	var trees []transfer.Tree
	for range 3 {
		tr, err := cfg.Opener()(ctx)
		require.NoError(t, err)
		trees = append(trees, tr)
	}
	require.Equal(t, int64(3), srv.PeakLogins.Load())
	for _, tr := range trees {
		require.NoError(t, tr.Close())
	}
}
