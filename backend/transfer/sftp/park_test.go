package sftp_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/transfer"
	"ferry/backend/transfer/sftp"
	"ferry/backend/transfer/transfertest"
)

// The login of one migration's Pool, once let go, serves the next Pool of the same
// account in another folder: one SSH login for both.
func TestParkedLoginServesNextPool(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "a"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a", "x.txt"), []byte("site a"), 0o644))
	srv := transfertest.StartSFTP(t, dir, transfertest.SFTPOptions{})
	keys := transfer.NewMemoryHostKeys()
	parking := &transfer.Parking{}
	t.Cleanup(func() { _ = parking.Close() })
	cfg := config(srv, keys)
	cfg.Parking = parking

	cfg.Root = "a"
	pa := sftp.NewKeptPool(cfg, time.Minute)
	ta, err := pa.Open(ctx)
	require.NoError(t, err)
	r, err := ta.Open(ctx, "x.txt", 0)
	require.NoError(t, err)
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	require.NoError(t, r.Close())
	require.Equal(t, "site a", string(got))
	require.NoError(t, ta.Close()) // the kept login stays the Pool's until Close
	require.Equal(t, 0, parking.Idle())
	require.NoError(t, pa.Close())
	require.Equal(t, 1, parking.Idle(), "parked once, not once per way out")
	require.Equal(t, int64(1), pa.Logins())

	cfg.Root, cfg.MakeRoot = "b/new", true
	pb := sftp.NewPool(cfg)
	tb, err := pb.Open(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(0), pb.Logins(), "the parked login was taken")
	_, err = tb.Stat(ctx, "x.txt")
	require.ErrorIs(t, err, transfer.ErrNotFound, "the parked login must be in the new folder")
	w, err := tb.Create(ctx, "y.txt", 0)
	require.NoError(t, err)
	_, err = w.Write([]byte("site b"))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	require.NoError(t, tb.Close())
	require.NoError(t, pb.Close())
	data, err := os.ReadFile(filepath.Join(dir, "b", "new", "y.txt"))
	require.NoError(t, err)
	require.Equal(t, "site b", string(data))
	require.Equal(t, 1, parking.Idle())

	// Another password is another account: it logs in on its own.
	other := cfg
	other.Password = "wrong-password"
	_, err = sftp.NewPool(other).Open(ctx)
	require.ErrorIs(t, err, transfer.ErrAuth)
	require.Equal(t, 1, parking.Idle())
}

// A parked login that died is not handed out: the next Pool logs in again.
func TestDeadParkedLoginIsReplaced(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	srv := transfertest.StartSFTP(t, dir, transfertest.SFTPOptions{})
	parking := &transfer.Parking{Linger: 50 * time.Millisecond}
	t.Cleanup(func() { _ = parking.Close() })
	cfg := config(srv, transfer.NewMemoryHostKeys())
	cfg.Parking = parking
	p := sftp.NewPool(cfg)
	tr, err := p.Open(ctx)
	require.NoError(t, err)
	require.NoError(t, tr.Close())
	require.Equal(t, 1, parking.Idle())
	require.Eventually(t, func() bool { return parking.Idle() == 0 }, 2*time.Second, 10*time.Millisecond, "closed after its linger")
	p2 := sftp.NewPool(cfg)
	tr, err = p2.Open(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(1), p2.Logins())
	require.NoError(t, tr.Close())
}
