package ftp_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/transfer"
	"ferry/backend/transfer/ftp"
	"ferry/backend/transfer/transfertest"
)

// TestFTPSRefusesAnotherCertificate: a pinned fingerprint that is not the server's (a
// server replaced, or a man in the middle) stops the login before a password is sent,
// even when the certificate chains to a trusted root.
func TestFTPSRefusesAnotherCertificate(t *testing.T) {
	srv := startFTP(t, t.TempDir(), transfertest.FTPOptions{TLS: true})
	other := startFTP(t, t.TempDir(), transfertest.FTPOptions{TLS: true})
	require.NotEqual(t, srv.CertFingerprint, other.CertFingerprint)
	for _, roots := range []bool{false, true} {
		cfg := config(srv, true)
		cfg.CertFingerprint = other.CertFingerprint
		if roots {
			cfg.RootCAs = srv.CertPool
		}
		c, err := ftp.Dial(context.Background(), cfg)
		if c != nil {
			_ = c.Close()
		}
		require.ErrorIs(t, err, transfer.ErrHostKey, "trusted roots %v", roots)
	}
}
