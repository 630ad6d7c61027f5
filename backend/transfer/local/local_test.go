package local_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/transfer"
	"ferry/backend/transfer/local"
	"ferry/backend/transfer/transfertest"
)

func TestContract(t *testing.T) {
	transfertest.RunContract(t, transfertest.Harness{
		New: func(t *testing.T) (transfer.Tree, string) {
			dir := t.TempDir()
			tr, err := local.Open(dir)
			require.NoError(t, err)
			return tr, dir
		},
		ReadOnly: func(t *testing.T, dir string) transfer.Tree {
			if os.Geteuid() == 0 {
				// root ignores file modes; sysfs refuses file creation even to root.
				tr, err := local.Open("/sys")
				require.NoError(t, err)
				return tr
			}
			require.NoError(t, os.Chmod(dir, 0o555))
			t.Cleanup(func() { _ = os.Chmod(dir, 0o755) })
			tr, err := local.Open(dir)
			require.NoError(t, err)
			return tr
		},
		FreeSpace: true,
	})
}

func TestOpenRejectsMissingFolder(t *testing.T) {
	_, err := local.Open(t.TempDir() + "/missing")
	require.ErrorIs(t, err, transfer.ErrNotFound)
	f := t.TempDir() + "/file"
	require.NoError(t, os.WriteFile(f, nil, 0o644))
	_, err = local.Open(f)
	require.ErrorIs(t, err, transfer.ErrInvalidPath)
}
