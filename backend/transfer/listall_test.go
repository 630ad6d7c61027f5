package transfer_test

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/transfer"
	"ferry/backend/transfer/ftp"
	"ferry/backend/transfer/local"
	"ferry/backend/transfer/sftp"
	"ferry/backend/transfer/transfertest"
)

// TestListAllMatchesWalk lists a 300-folder tree with ListAll over FTP (MLSD,
// LIST -a and STAT -a), SFTP (eight Trees on one login) and a local folder, and checks it finds
// exactly what the folder holds on disk, every folder before its entries.
func TestListAllMatchesWalk(t *testing.T) {
	root := t.TempDir()
	want := makeFolders(t, root, 600, 300)
	ftpSrv := transfertest.StartFTP(t, root, transfertest.FTPOptions{})
	listSrv := transfertest.StartFTP(t, root, transfertest.FTPOptions{DisableMLSD: true})
	statSrv := transfertest.StartFTP(t, root, transfertest.FTPOptions{StatDashA: true})
	sftpSrv := transfertest.StartSFTP(t, root, transfertest.SFTPOptions{})
	ftpCfg := func(s *transfertest.FTPServer) transfer.Opener {
		return ftp.Config{Host: s.Host, Port: s.Port, User: s.User, Password: s.Password, Timeout: 5 * time.Second}.Opener()
	}
	openers := map[string]transfer.Opener{
		"ftp mlsd": ftpCfg(ftpSrv),
		"ftp list": ftpCfg(listSrv),
		"ftp stat": ftpCfg(statSrv), // batches of folders, their STATs pipelined
		"sftp": sftp.NewPool(sftp.Config{Host: sftpSrv.Host, Port: sftpSrv.Port, User: sftpSrv.User, Password: sftpSrv.Password,
			HostKeys: transfer.NewMemoryHostKeys(), Timeout: 5 * time.Second}).Opener(),
		"local": local.Opener(root),
	}
	for name, open := range openers {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			trees, done := transfer.OpenMore(ctx, open, 8)
			defer done()
			require.Len(t, trees, 8)
			seen := map[string]bool{".": true}
			var files []transfer.ManifestFile
			require.NoError(t, transfer.ListAll(ctx, trees, ".", func(e transfer.Entry) error {
				require.False(t, seen[e.Path], "listed twice: %s", e.Path)
				require.True(t, seen[parent(e.Path)], "%s before its folder", e.Path)
				seen[e.Path] = true
				if !e.IsDir {
					files = append(files, transfer.ManifestFile{Path: e.Path, Size: e.Size})
				}
				return nil
			}))
			sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
			require.Len(t, files, len(want.Files))
			for i, f := range want.Files {
				require.Equal(t, f.Path, files[i].Path)
				require.Equal(t, f.Size, files[i].Size)
			}
			require.Len(t, seen, 1+len(want.Files)+300+30+2, "every folder found")
		})
	}
}

// TestListAllSurvivesABrokenConnection lists with two FTP connections, one of them
// already closed: the listing goes on with the other, one folder or a batch at a time.
func TestListAllSurvivesABrokenConnection(t *testing.T) {
	for _, stat := range []bool{false, true} {
		root := t.TempDir()
		want := makeFolders(t, root, 50, 20)
		srv := transfertest.StartFTP(t, root, transfertest.FTPOptions{StatDashA: stat})
		open := ftp.Config{Host: srv.Host, Port: srv.Port, User: srv.User, Password: srv.Password, Timeout: 5 * time.Second}.Opener()
		ctx := context.Background()
		trees, done := transfer.OpenMore(ctx, open, 2)
		defer done()
		require.NoError(t, trees[0].Close())
		n := 0
		require.NoError(t, transfer.ListAll(ctx, trees, ".", func(e transfer.Entry) error {
			if !e.IsDir {
				n++
			}
			return nil
		}))
		require.Len(t, want.Files, n)
		// With no working connection left the listing fails.
		require.NoError(t, trees[1].Close())
		require.Error(t, transfer.ListAll(ctx, trees, ".", func(transfer.Entry) error { return nil }))
	}
}

func parent(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[:i]
		}
	}
	return "."
}
