package pipeline

import (
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/migration"
	"ferry/backend/transfer"
)

func TestWindowsNamesOnlyForLocalWindowsDestinations(t *testing.T) {
	local := migration.Migration{Destination: migration.Endpoint{Protocol: migration.ProtocolLocal}}
	sftp := migration.Migration{Destination: migration.Endpoint{Protocol: migration.ProtocolSFTP}}
	defer func(v bool) { onWindows = v }(onWindows)

	onWindows = false
	require.Nil(t, windowsNames(local))
	onWindows = true
	require.Nil(t, windowsNames(sftp), "a remote server keeps its own rules")
	require.NotNil(t, windowsNames(local))
}

func TestCheckWindowsPaths(t *testing.T) {
	require.NoError(t, checkWindowsPaths([]string{"wp-content", "wp-content/index.php", "index.php"}))
	err := checkWindowsPaths([]string{"wp-content", "wp-content/Logo.png", "wp-content/logo.png", "con"})
	var f *migration.Failure
	require.ErrorAs(t, err, &f)
	require.Equal(t, failWindowsNames, f.Reason)
	require.ErrorIs(t, err, transfer.ErrInvalidPath)
	require.Contains(t, err.Error(), "'wp-content/Logo.png' and 'wp-content/logo.png' differ only in upper/lower case")
	require.Contains(t, err.Error(), "'con' is reserved on Windows")
}
