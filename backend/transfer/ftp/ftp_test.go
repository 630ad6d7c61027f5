package ftp_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/transfer"
	"ferry/backend/transfer/ftp"
	"ferry/backend/transfer/transfertest"
)

// startFTP starts an in-process FTP server on a fresh port, as new to the package as it
// is to the test.
func startFTP(tb testing.TB, root string, o transfertest.FTPOptions) *transfertest.FTPServer {
	tb.Helper()
	srv := transfertest.StartFTP(tb, root, o)
	ftp.Forget(srv.Host, srv.Port, srv.User)
	return srv
}

func config(srv *transfertest.FTPServer, tls bool) ftp.Config {
	return ftp.Config{Host: srv.Host, Port: srv.Port, User: srv.User, Password: srv.Password, TLS: tls, CertFingerprint: srv.CertFingerprint, Timeout: 5 * time.Second}
}

func harness(tls bool) transfertest.Harness {
	opts := transfertest.FTPOptions{TLS: tls, DisableMLSD: !tls}
	dial := func(t *testing.T, dir string, o transfertest.FTPOptions) transfer.Tree {
		srv := startFTP(t, dir, o)
		c, err := ftp.Dial(context.Background(), config(srv, tls))
		require.NoError(t, err)
		require.Equal(t, tls, c.Encrypted())
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	h := transfertest.Harness{
		New: func(t *testing.T) (transfer.Tree, string) {
			dir := t.TempDir()
			return dial(t, dir, opts), dir
		},
		ReadOnly: func(t *testing.T, dir string) transfer.Tree {
			o := opts
			o.ReadOnly = true
			return dial(t, dir, o)
		},
		Connect: func(ctx context.Context, host string, port int, timeout time.Duration) (transfer.Tree, error) {
			return ftp.Dial(ctx, ftp.Config{Host: host, Port: port, User: "ferry", Password: "x", TLS: tls, Timeout: timeout})
		},
		BadLogin: func(ctx context.Context, t *testing.T) error {
			srv := startFTP(t, t.TempDir(), opts)
			cfg := config(srv, tls)
			cfg.Password = "wrong-password"
			_, err := ftp.Dial(ctx, cfg)
			return err
		},
	}
	if tls {
		h.ChangedIdentity = func(ctx context.Context, t *testing.T) error {
			srv := startFTP(t, t.TempDir(), opts)
			cfg := config(srv, true)
			// pinned for another certificate: the first byte differs (a pin built with "00"
			// matched one certificate in 256)
			other := "00"
			if strings.HasPrefix(srv.CertFingerprint, other) {
				other = "ff"
			}
			cfg.CertFingerprint = other + srv.CertFingerprint[2:]
			_, err := ftp.Dial(ctx, cfg)
			return err
		}
	}
	return h
}

// TestContractFTP runs against a server that lists like vsftpd (no MLSD), so dot files
// are only seen through "LIST -a".
func TestContractFTP(t *testing.T) { transfertest.RunContract(t, harness(false)) }

// TestContractFTPS runs over explicit TLS with MLSD.
func TestContractFTPS(t *testing.T) { transfertest.RunContract(t, harness(true)) }

func TestFTPSVerifiesCertificate(t *testing.T) {
	srv := startFTP(t, t.TempDir(), transfertest.FTPOptions{TLS: true})
	tests := []struct {
		name    string
		mutate  func(*ftp.Config)
		wantErr string
	}{
		{"self-signed without a pin is refused", func(c *ftp.Config) { c.CertFingerprint = "" }, "not trusted"},
		{"pinned fingerprint accepts it", func(*ftp.Config) {}, ""},
		{"pin with colons and upper case", func(c *ftp.Config) { c.CertFingerprint = colons(srv.CertFingerprint) }, ""},
		{"trusted chain without a pin", func(c *ftp.Config) { c.CertFingerprint = ""; c.RootCAs = srv.CertPool }, ""},
		{"malformed pin", func(c *ftp.Config) { c.CertFingerprint = "abc" }, "64 hex digits"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config(srv, true)
			tc.mutate(&cfg)
			c, err := ftp.Dial(context.Background(), cfg)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.True(t, c.Encrypted())
			require.NoError(t, c.Close())
		})
	}
}

func colons(hex string) string {
	out := ""
	for i := 0; i < len(hex); i += 2 {
		if i > 0 {
			out += ":"
		}
		out += hex[i : i+2]
	}
	return out
}

func TestPlainFTPIsFlaggedUnencrypted(t *testing.T) {
	srv := startFTP(t, t.TempDir(), transfertest.FTPOptions{})
	c, err := ftp.Dial(context.Background(), config(srv, false))
	require.NoError(t, err)
	defer c.Close()
	require.False(t, c.Encrypted())
}

func TestMakeRoot(t *testing.T) {
	for _, root := range []string{"/home/new/public_html", "site/public_html"} {
		t.Run(root, func(t *testing.T) {
			dir := t.TempDir()
			srv := startFTP(t, dir, transfertest.FTPOptions{})
			cfg := config(srv, false)
			cfg.Root, cfg.MakeRoot = root, true
			c, err := ftp.Dial(context.Background(), cfg)
			require.NoError(t, err, "a missing docroot is created on the same login")
			require.NoError(t, c.MkdirAll(context.Background(), "wp-content"))
			require.NoError(t, c.Close())
			st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(root, "/")), "wp-content"))
			require.NoError(t, err, "the Tree is rooted at the folder it created")
			require.True(t, st.IsDir())
			c, err = ftp.Dial(context.Background(), cfg)
			require.NoError(t, err, "an existing docroot is opened as it is")
			require.NoError(t, c.Close())
		})
	}
	srv := startFTP(t, t.TempDir(), transfertest.FTPOptions{ReadOnly: true})
	cfg := config(srv, false)
	cfg.Root, cfg.MakeRoot = "/public_html", true
	_, err := ftp.Dial(context.Background(), cfg)
	var pe *transfer.PathError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "mkdir", pe.Op)
	require.ErrorIs(t, err, transfer.ErrPermission)
}

func TestRootMissing(t *testing.T) {
	srv := startFTP(t, t.TempDir(), transfertest.FTPOptions{})
	cfg := config(srv, false)
	cfg.Root = "/public_html"
	_, err := ftp.Dial(context.Background(), cfg)
	require.ErrorIs(t, err, transfer.ErrNotFound)
	require.Equal(t, "Path /public_html not found on server", transfer.Message(err))
}
