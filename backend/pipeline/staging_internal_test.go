package pipeline

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPlainStaging tells a staging copy in the pack layout from one written file by file
// by earlier versions of Ferry, which the pack reader would see as empty.
func TestPlainStaging(t *testing.T) {
	dir := t.TempDir()
	require.False(t, plainStaging(filepath.Join(dir, "missing")), "no staging yet")
	require.False(t, plainStaging(dir), "an empty staging folder")
	require.NoError(t, os.Mkdir(filepath.Join(dir, "tree"), 0o755))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "packs"), 0o755))
	require.False(t, plainStaging(dir), "the pack layout")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "index.php"), []byte("<?php"), 0o644))
	require.True(t, plainStaging(dir), "a site file at the top: the old layout")
}
