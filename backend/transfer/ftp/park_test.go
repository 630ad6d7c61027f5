package ftp_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/transfer"
	"ferry/backend/transfer/ftp"
	"ferry/backend/transfer/transfertest"
)

// A login closed by one Tree serves the next Tree of the same account in its own folder,
// without a second login; a folder asked to be made is made on the parked login.
func TestParkedLoginServesNextRoot(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "a"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "b"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a", "x.txt"), []byte("site a"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "b", "y.txt"), []byte("site b"), 0o644))
	srv := transfertest.StartFTP(t, dir, transfertest.FTPOptions{DisableMLSD: true})
	parking := &transfer.Parking{}
	t.Cleanup(func() { _ = parking.Close() })
	open := func(root string, mk bool) transfer.Tree {
		cfg := config(srv, false)
		cfg.Root, cfg.MakeRoot, cfg.Parking = root, mk, parking
		tr, err := cfg.Opener()(ctx)
		require.NoError(t, err)
		require.True(t, ftp.IsClient(tr))
		return tr
	}

	a := open("/a", false)
	r, err := a.Open(ctx, "x.txt", 0)
	require.NoError(t, err)
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	require.NoError(t, r.Close())
	require.Equal(t, "site a", string(got))
	require.NoError(t, a.Close())
	require.NoError(t, a.Close(), "a second Close must not park the login twice")
	require.Equal(t, 1, parking.Idle())

	b := open("/b", false)
	require.Equal(t, 0, parking.Idle())
	_, err = b.Stat(ctx, "y.txt")
	require.NoError(t, err)
	_, err = b.Stat(ctx, "x.txt")
	require.ErrorIs(t, err, transfer.ErrNotFound, "the parked login must be in the new folder")
	require.NoError(t, b.Close())

	c := open("/c/new", true)
	w, err := c.Create(ctx, "z.txt", 0)
	require.NoError(t, err)
	_, err = w.Write([]byte("site c"))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	require.NoError(t, c.Close())
	data, err := os.ReadFile(filepath.Join(dir, "c", "new", "z.txt"))
	require.NoError(t, err)
	require.Equal(t, "site c", string(data))

	require.Equal(t, int64(1), srv.Logins.Load(), "three Trees, one login")
	require.NoError(t, parking.Close())
	require.Equal(t, 0, parking.Idle())
}

// A folder relative to the login folder cannot be found again from another folder: such
// a login is never parked. Neither is a login whose folder a parked one cannot enter.
func TestParkingRefusesWhatItCannotReuse(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "a"), 0o755))
	srv := transfertest.StartFTP(t, dir, transfertest.FTPOptions{DisableMLSD: true})
	parking := &transfer.Parking{}
	t.Cleanup(func() { _ = parking.Close() })
	cfg := config(srv, false)
	cfg.Root, cfg.Parking = "a", parking
	tr, err := cfg.Opener()(ctx)
	require.NoError(t, err)
	require.NoError(t, tr.Close())
	require.Equal(t, 0, parking.Idle(), "a relative folder is not parked")

	cfg.Root = "/a"
	tr, err = cfg.Opener()(ctx)
	require.NoError(t, err)
	require.NoError(t, tr.Close())
	require.Equal(t, 1, parking.Idle())
	cfg.Root = "/missing"
	_, err = cfg.Opener()(ctx)
	require.ErrorIs(t, err, transfer.ErrNotFound)
	require.Equal(t, 0, parking.Idle(), "the parked login was tried, then a new one failed too")
}
