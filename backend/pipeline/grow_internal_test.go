package pipeline

import (
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/migration"
)

// TestGrowToFollowsTheSetting: automatic connections (0) grow to 8 on an FTP or FTPS
// server; a number the admin chose is kept to, and SFTP never grows (one SSH connection
// carries many files in flight).
func TestGrowToFollowsTheSetting(t *testing.T) {
	ftp := migration.Endpoint{Protocol: migration.ProtocolFTP, Host: "old.example.net"}
	ftps := migration.Endpoint{Protocol: migration.ProtocolFTPS, Host: "old.example.net"}
	sftp := migration.Endpoint{Protocol: migration.ProtocolSFTP, Host: "new.example.net"}
	p := &Pipeline{}
	require.Equal(t, 4, p.connections())
	require.Equal(t, ftpConnections, p.growTo(ftp))
	require.Equal(t, ftpConnections, p.growTo(ftps))
	require.Equal(t, 0, p.growTo(sftp))
	p.SetConnections(6)
	require.Equal(t, 6, p.connections())
	require.Equal(t, 0, p.growTo(ftp))
}
