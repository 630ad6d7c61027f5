package runner

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLeaseLockExcludesOtherHandles: while one handle holds the lease file's lock, another
// (as a second Ferry process would open) cannot take it; once released, it can. On Linux
// this is flock, on Windows LockFileEx (checked under Wine by compiling this test for
// Windows); without it a second process would mark live runs interrupted.
func TestLeaseLockExcludesOtherHandles(t *testing.T) {
	p := filepath.Join(t.TempDir(), "lease")
	a, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o600)
	require.NoError(t, err)
	defer a.Close()
	b, err := os.OpenFile(p, os.O_RDWR, 0o600)
	require.NoError(t, err)
	defer b.Close()

	ok, err := tryLock(a)
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = tryLock(b)
	require.NoError(t, err)
	require.False(t, ok, "a held lease must not be taken by another handle")
	require.NoError(t, unlock(a))
	ok, err = tryLock(b)
	require.NoError(t, err)
	require.True(t, ok, "a released lease is free")
	require.NoError(t, unlock(b))
}
