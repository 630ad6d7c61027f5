package sftp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/transfer"
	"ferry/backend/transfer/sftp"
	"ferry/backend/transfer/transfertest"
)

func config(srv *transfertest.SFTPServer, keys transfer.HostKeyStore) sftp.Config {
	return sftp.Config{Host: srv.Host, Port: srv.Port, User: srv.User, Password: srv.Password, HostKeys: keys, Timeout: 5 * time.Second}
}

func TestContract(t *testing.T) {
	transfertest.RunContract(t, transfertest.Harness{
		New: func(t *testing.T) (transfer.Tree, string) {
			dir := t.TempDir()
			srv := transfertest.StartSFTP(t, dir, transfertest.SFTPOptions{})
			c, err := sftp.Dial(context.Background(), config(srv, transfer.NewMemoryHostKeys()))
			require.NoError(t, err)
			t.Cleanup(func() { _ = c.Close() })
			return c, dir
		},
		ReadOnly: func(t *testing.T, dir string) transfer.Tree {
			srv := transfertest.StartSFTP(t, dir, transfertest.SFTPOptions{ReadOnly: true})
			c, err := sftp.Dial(context.Background(), config(srv, transfer.NewMemoryHostKeys()))
			require.NoError(t, err)
			t.Cleanup(func() { _ = c.Close() })
			return c
		},
		Connect: func(ctx context.Context, host string, port int, timeout time.Duration) (transfer.Tree, error) {
			return sftp.Dial(ctx, sftp.Config{Host: host, Port: port, User: "ferry", Password: "x", HostKeys: transfer.NewMemoryHostKeys(), Timeout: timeout})
		},
		BadLogin: func(ctx context.Context, t *testing.T) error {
			srv := transfertest.StartSFTP(t, t.TempDir(), transfertest.SFTPOptions{})
			cfg := config(srv, transfer.NewMemoryHostKeys())
			cfg.Password = "wrong-password"
			_, err := sftp.Dial(ctx, cfg)
			return err
		},
		ChangedIdentity: func(ctx context.Context, t *testing.T) error {
			keys := transfer.NewMemoryHostKeys()
			srv := transfertest.StartSFTP(t, t.TempDir(), transfertest.SFTPOptions{})
			// The same address once answered with another key.
			require.NoError(t, keys.Put(ctx, srv.Addr(), "SHA256:"+"AAAAtheOldKeyAAAA"))
			_, err := sftp.Dial(ctx, config(srv, keys))
			return err
		},
		FreeSpace: true,
	})
}

func TestHostKeyPinnedOnFirstUse(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	keys := transfer.NewMemoryHostKeys()
	srv := transfertest.StartSFTP(t, dir, transfertest.SFTPOptions{})
	c, err := sftp.Dial(ctx, config(srv, keys))
	require.NoError(t, err)
	require.Equal(t, srv.Fingerprint, c.Fingerprint())
	require.NoError(t, c.Close())
	got, err := keys.Get(ctx, srv.Addr())
	require.NoError(t, err)
	require.Equal(t, srv.Fingerprint, got, "first use pins the key")

	// Same key again: accepted.
	c, err = sftp.Dial(ctx, config(srv, keys))
	require.NoError(t, err)
	require.NoError(t, c.Close())

	// A new key at the same address: refused before login, nothing written.
	other := transfertest.StartSFTP(t, dir, transfertest.SFTPOptions{})
	require.NoError(t, keys.Put(ctx, other.Addr(), srv.Fingerprint))
	_, err = sftp.Dial(ctx, config(other, keys))
	require.ErrorIs(t, err, transfer.ErrHostKey)
	require.Equal(t, "Host key of 127.0.0.1 changed", transfer.Message(err))
	require.False(t, transfer.IsTransient(err))
	still, _ := keys.Get(ctx, other.Addr())
	require.Equal(t, srv.Fingerprint, still, "a changed key never replaces the pinned one")
}

func TestPrivateKeyLogin(t *testing.T) {
	srv := transfertest.StartSFTP(t, t.TempDir(), transfertest.SFTPOptions{})
	tests := []struct {
		name       string
		key        []byte
		passphrase string
		wantErr    error
	}{
		{"plain key", srv.PrivateKey, "", nil},
		{"encrypted key with passphrase", srv.EncryptedKey, transfertest.Passphrase, nil},
		{"encrypted key without passphrase", srv.EncryptedKey, "", transfer.ErrAuth},
		{"encrypted key with wrong passphrase", srv.EncryptedKey, "nope", transfer.ErrAuth},
		{"not a key", []byte("-----BEGIN NONSENSE-----"), "", transfer.ErrAuth},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := sftp.Config{Host: srv.Host, Port: srv.Port, User: srv.User, PrivateKey: tc.key, Passphrase: tc.passphrase, HostKeys: transfer.NewMemoryHostKeys(), Timeout: 5 * time.Second}
			c, err := sftp.Dial(context.Background(), cfg)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				if tc.passphrase != "" {
					require.NotContains(t, err.Error(), tc.passphrase, "never echoes the passphrase")
				}
				return
			}
			require.NoError(t, err)
			require.NoError(t, c.Close())
		})
	}
}

func TestRootMissing(t *testing.T) {
	srv := transfertest.StartSFTP(t, t.TempDir(), transfertest.SFTPOptions{})
	cfg := config(srv, transfer.NewMemoryHostKeys())
	cfg.Root = "public_html"
	_, err := sftp.Dial(context.Background(), cfg)
	require.ErrorIs(t, err, transfer.ErrNotFound)
	require.Equal(t, "Path public_html not found on server", transfer.Message(err))
}

func TestMakeRoot(t *testing.T) {
	dir := t.TempDir()
	srv := transfertest.StartSFTP(t, dir, transfertest.SFTPOptions{})
	cfg := config(srv, transfer.NewMemoryHostKeys())
	cfg.Root, cfg.MakeRoot = "home/new/public_html", true
	c, err := sftp.Dial(context.Background(), cfg)
	require.NoError(t, err, "a missing docroot is created on the same login")
	require.NoError(t, c.MkdirAll(context.Background(), "wp-content"))
	require.NoError(t, c.Close())
	st, err := os.Stat(filepath.Join(dir, "home", "new", "public_html", "wp-content"))
	require.NoError(t, err, "the Tree is rooted at the folder it created")
	require.True(t, st.IsDir())
	c, err = sftp.Dial(context.Background(), cfg)
	require.NoError(t, err, "an existing docroot is opened as it is")
	require.NoError(t, c.Close())

	ro := transfertest.StartSFTP(t, t.TempDir(), transfertest.SFTPOptions{ReadOnly: true})
	cfg = config(ro, transfer.NewMemoryHostKeys())
	cfg.Root, cfg.MakeRoot = "public_html", true
	_, err = sftp.Dial(context.Background(), cfg)
	var pe *transfer.PathError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "mkdir", pe.Op)
	require.ErrorIs(t, err, transfer.ErrPermission)
}

func TestNoHostKeyPolicyRefused(t *testing.T) {
	srv := transfertest.StartSFTP(t, t.TempDir(), transfertest.SFTPOptions{})
	cfg := config(srv, nil)
	_, err := sftp.Dial(context.Background(), cfg)
	require.ErrorContains(t, err, "no host key store")
}

// TestPoolSharesOneLogin writes 40 files from 40 goroutines at once through Trees of
// one Pool and checks the server saw a single connection and every file's bytes.
func TestPoolSharesOneLogin(t *testing.T) {
	dir := t.TempDir()
	srv := transfertest.StartSFTP(t, dir, transfertest.SFTPOptions{})
	link := transfertest.NewDelay(t, 10*time.Millisecond)
	cfg := config(srv, transfer.NewMemoryHostKeys())
	cfg.DialContext = link.Dial
	pool := sftp.NewPool(cfg)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tree, err := pool.Open(ctx)
			if err != nil {
				errs <- err
				return
			}
			defer tree.Close()
			w, err := tree.Create(ctx, fmt.Sprintf("f%02d.txt", i), 0)
			if err == nil {
				_, err = w.Write(bytes.Repeat([]byte{byte(i)}, 100_000+i))
				err = errors.Join(err, w.Close())
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.EqualValues(t, 1, pool.Logins())
	require.Equal(t, 1, link.DialsTo(srv.Addr()))
	for i := range 40 {
		got, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("f%02d.txt", i)))
		require.NoError(t, err)
		require.Equal(t, bytes.Repeat([]byte{byte(i)}, 100_000+i), got)
	}
	// The last Tree closed logs out; the next Open logs in again.
	tree, err := pool.Open(ctx)
	require.NoError(t, err)
	_, err = tree.Stat(ctx, "f00.txt")
	require.NoError(t, err)
	require.NoError(t, tree.Close())
	require.EqualValues(t, 2, pool.Logins())
	require.NoError(t, pool.Close())
	_, err = pool.Open(ctx)
	require.Error(t, err, "a closed Pool opens nothing")
}

// TestPoolContract runs the Tree contract on Trees from a Pool.
func TestPoolContract(t *testing.T) {
	pooled := func(t *testing.T, srv *transfertest.SFTPServer) transfer.Tree {
		pool := sftp.NewPool(config(srv, transfer.NewMemoryHostKeys()))
		c, err := pool.Open(context.Background())
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close(); _ = pool.Close() })
		return c
	}
	transfertest.RunContract(t, transfertest.Harness{
		New: func(t *testing.T) (transfer.Tree, string) {
			dir := t.TempDir()
			return pooled(t, transfertest.StartSFTP(t, dir, transfertest.SFTPOptions{})), dir
		},
		ReadOnly: func(t *testing.T, dir string) transfer.Tree {
			return pooled(t, transfertest.StartSFTP(t, dir, transfertest.SFTPOptions{ReadOnly: true}))
		},
		Connect: func(ctx context.Context, host string, port int, timeout time.Duration) (transfer.Tree, error) {
			return sftp.NewPool(sftp.Config{Host: host, Port: port, User: "ferry", Password: "x", HostKeys: transfer.NewMemoryHostKeys(), Timeout: timeout}).Open(ctx)
		},
		BadLogin: func(ctx context.Context, t *testing.T) error {
			srv := transfertest.StartSFTP(t, t.TempDir(), transfertest.SFTPOptions{})
			cfg := config(srv, transfer.NewMemoryHostKeys())
			cfg.Password = "wrong-password"
			_, err := sftp.NewPool(cfg).Open(ctx)
			return err
		},
		FreeSpace: true,
	})
}

// TestKeptPoolLingers keeps its login between Trees for the linger time, then logs out.
func TestKeptPoolLingers(t *testing.T) {
	srv := transfertest.StartSFTP(t, t.TempDir(), transfertest.SFTPOptions{})
	link := transfertest.NewDelay(t, time.Millisecond)
	cfg := config(srv, transfer.NewMemoryHostKeys())
	cfg.DialContext = link.Dial
	pool := sftp.NewKeptPool(cfg, 300*time.Millisecond)
	defer pool.Close()
	ctx := context.Background()
	for range 3 {
		tree, err := pool.Open(ctx)
		require.NoError(t, err)
		_, err = tree.Stat(ctx, ".")
		require.NoError(t, err)
		require.NoError(t, tree.Close())
	}
	require.EqualValues(t, 1, pool.Logins(), "one login for three Trees in a row")
	time.Sleep(700 * time.Millisecond)
	tree, err := pool.Open(ctx)
	require.NoError(t, err)
	require.NoError(t, tree.Close())
	require.EqualValues(t, 2, pool.Logins(), "an unused login ends after the linger time")
	require.Equal(t, 2, link.DialsTo(srv.Addr()))
}
