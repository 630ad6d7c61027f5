package sftp_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/transfer"
	"ferry/backend/transfer/sftp"
	"ferry/backend/transfer/transfertest"
)

const opensshSFTPServer = "/usr/lib/openssh/sftp-server"

// OpenSSH's sftp-server gets 128 KiB requests, and a file written and read back with them
// (through Ferry's 256 KiB buffers, so several requests in flight) arrives whole; any
// other server gets the 32 KiB every server takes.
func TestRequestSizeFollowsTheServer(t *testing.T) {
	if _, err := os.Stat(opensshSFTPServer); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("OpenSSH's sftp-server is needed for this test (apt-get install openssh-server): %v", err)
		}
		t.Skip("openssh-server not installed")
	}
	ctx := context.Background()
	dir := t.TempDir()
	srv := transfertest.StartSFTP(t, dir, transfertest.SFTPOptions{SFTPServer: opensshSFTPServer})
	c, err := sftp.Dial(ctx, config(srv, transfer.NewMemoryHostKeys()))
	require.NoError(t, err)
	defer c.Close()
	require.Equal(t, 128<<10, c.MaxPacket())

	data := make([]byte, 3<<20+12345)
	_, err = rand.Read(data)
	require.NoError(t, err)
	w, err := c.Create(ctx, "big.bin", 0)
	require.NoError(t, err)
	for rest := data; len(rest) > 0; {
		n := min(len(rest), 256<<10)
		_, err := w.Write(rest[:n])
		require.NoError(t, err)
		rest = rest[n:]
	}
	require.NoError(t, w.Close())
	onDisk, err := os.ReadFile(filepath.Join(dir, "big.bin"))
	require.NoError(t, err)
	require.True(t, bytes.Equal(data, onDisk), "the file on the server differs from what was written")
	r, err := c.Open(ctx, "big.bin", 0)
	require.NoError(t, err)
	back, err := io.ReadAll(r)
	require.NoError(t, err)
	require.NoError(t, r.Close())
	require.True(t, bytes.Equal(data, back), "the file read back differs")

	other := transfertest.StartSFTP(t, t.TempDir(), transfertest.SFTPOptions{})
	c2, err := sftp.Dial(ctx, config(other, transfer.NewMemoryHostKeys()))
	require.NoError(t, err)
	defer c2.Close()
	require.Equal(t, 32<<10, c2.MaxPacket())
}
