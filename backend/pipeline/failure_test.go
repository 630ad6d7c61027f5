package pipeline_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/service"
	"ferry/backend/transfer/transfertest"
)

// TestFailuresNameTheCause runs migrations that cannot succeed and checks that each ends
// Failed with the plain reason of SPEC §7, and that the destination was left untouched.
func TestFailuresNameTheCause(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		name   string
		change func(t *testing.T, in *service.CreateInput)
		reason string
	}{
		{"wrong SFTP password", func(t *testing.T, in *service.CreateInput) {
			in.Source.Password = "not-the-password"
		}, "Login incorrect on SFTP server"},
		{"unreachable source", func(t *testing.T, in *service.CreateInput) {
			in.Source.Host, in.Source.Port = transfertest.RefusedAddr(t)
		}, "Cannot connect to SFTP server"},
		{"no WordPress at the path", func(t *testing.T, in *service.CreateInput) {
			in.Source.Path = "wp-content"
		}, "WordPress not found at specified path"},
		{"missing source path", func(t *testing.T, in *service.CreateInput) {
			in.Source.Path = "no/such/folder"
		}, "Path no/such/folder not found on SFTP server"},
		{"destination database refuses the login", func(t *testing.T, in *service.CreateInput) {
			in.Destination.DB.Password = "wrong-db-password"
		}, "Cannot connect to the destination database: Access denied"},
		{"source database refuses the login", func(t *testing.T, in *service.CreateInput) {
			in.Source.DB.Password = "wrong-db-password"
		}, "Login failed on the source database as "},
		{"wrong FTP password at the destination", func(t *testing.T, in *service.CreateInput) {
			in.Destination.Password = "nope"
		}, "Login incorrect on FTP server"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in, _, destDir, _ := sftpToFTP(t)
			tc.change(t, &in)
			d, err := h.svc.CreateMigration(context.Background(), in)
			require.NoError(t, err)
			d = h.waitDone(t, d.ID)
			require.Equal(t, "failed", d.Status)
			require.True(t, strings.HasPrefix(d.FailureReason, tc.reason), "reason %q should start with %q", d.FailureReason, tc.reason)
			for _, secret := range []string{"not-the-password", "wrong-db-password", in.Source.Password, in.Destination.DB.Password} {
				if secret != "" {
					require.NotContains(t, d.FailureReason, secret)
				}
			}
			entries, err := os.ReadDir(destDir)
			require.NoError(t, err)
			require.Empty(t, entries, "a failed check leaves the destination untouched")
		})
	}
}

// TestFullDestination moves a site onto a 1 MiB file system: the upload must refuse before
// writing anything, with the sizes in the reason.
func TestFullDestination(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("this test mounts a tmpfs and must run as root in CI")
		}
		t.Skip("needs root to mount a small tmpfs")
	}
	small := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", small).CombinedOutput()
	require.NoError(t, err, string(out))
	t.Cleanup(func() { _ = exec.Command("umount", small).Run() })
	h := newHarness(t)
	in, s, _, _ := sftpToFTP(t)
	for i := 0; i < 6; i++ {
		require.NoError(t, os.WriteFile(filepath.Join(s.Dir, "wp-content", "uploads", fmt.Sprintf("video-%d.mp4", i)), make([]byte, 512<<10), 0o644))
	}
	in.Destination = service.EndpointInput{Protocol: "local", Path: filepath.Join(small, "docroot"), DB: in.Destination.DB}
	d, err := h.svc.CreateMigration(context.Background(), in)
	require.NoError(t, err)
	d = h.waitDone(t, d.ID)
	require.Equal(t, "failed", d.Status)
	require.Contains(t, d.FailureReason, "Insufficient disk space: need 3.")
	// The upload runs alongside the download (relay.go) and checks the space first: the
	// migration stops while downloading rather than after downloading everything.
	require.Equal(t, "download_files", d.CurrentStep)
	entries, err := os.ReadDir(filepath.Join(small, "docroot"))
	require.NoError(t, err)
	require.Empty(t, entries)
}
