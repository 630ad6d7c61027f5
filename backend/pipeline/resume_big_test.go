package pipeline_test

import (
	"context"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRetryResumesBigFileByteForByte cuts the network in the middle of files larger
// than the resume threshold (1 MiB), so Retry resumes them from their offset rather
// than copying them again; what lands at the destination must equal the source byte for
// byte (SHA-256 of every file) and the rest must pass the oracle too.
func TestRetryResumesBigFileByteForByte(t *testing.T) {
	h := newHarness(t)
	in, s, destDir, _ := sftpToFTP(t)
	r := rand.New(rand.NewPCG(7, 11))
	var siteBytes int64
	for _, name := range []string{"video-a.mp4", "video-b.mp4"} {
		// Random bytes: a resume that reads the wrong part of the source cannot produce
		// the right file by chance.
		b := make([]byte, 3<<20+12345)
		for i := range b {
			b[i] = byte(r.UintN(256))
		}
		require.NoError(t, os.WriteFile(filepath.Join(s.Dir, "wp-content", "uploads", name), b, 0o644))
		siteBytes += int64(len(b))
	}
	o := startOutage(t, net.JoinHostPort(in.Source.Host, strconv.Itoa(in.Source.Port)), siteBytes/2)
	in.Source.Port = o.port()
	d, err := h.svc.CreateMigration(context.Background(), in)
	require.NoError(t, err)
	d = h.waitDone(t, d.ID)
	require.Equal(t, "failed", d.Status, d.FailureReason)
	require.Equal(t, "download_files", d.CurrentStep)

	o.restore()
	_, err = h.svc.RetryMigration(context.Background(), d.ID, false)
	require.NoError(t, err)
	d = h.waitDone(t, d.ID)
	require.Equal(t, "successful", d.Status, d.FailureReason)
	require.Less(t, o.moved.Load(), siteBytes*3/4, "Retry resumed the big files instead of copying them again")
	checkDestination(t, h, d.ID, in, s.Dir, destDir)
}
