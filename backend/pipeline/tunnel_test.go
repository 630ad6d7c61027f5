package pipeline_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/pipeline/sitetest"
	"ferry/backend/service"
	"ferry/backend/transfer/transfertest"
)

// TestDatabaseThroughSSHTunnel reads the source database settings from wp-config.php,
// where DB_HOST is the SSH server's own localhost, and reaches MySQL through an SSH
// tunnel over the SFTP login, as on most shared hosts where MySQL is not exposed.
func TestDatabaseThroughSSHTunnel(t *testing.T) {
	h := newHarness(t)
	in, s, _, _ := sftpToFTP(t)
	srcCfg, srcName := sitetest.SourceDB(t)
	_, port := splitAddr(t, srcCfg.Addr)
	// Replace the site's wp-config.php: DB_HOST says localhost with the server's port.
	s = makeSiteIn(t, s.Dir, srcName, srcCfg.User, srcCfg.Passwd, "localhost:"+strconv.Itoa(port))
	tunnelSrv := transfertest.StartSFTP(t, s.Dir, transfertest.SFTPOptions{AllowTCPForwarding: true})
	in.Source.Host, in.Source.Port = tunnelSrv.Host, tunnelSrv.Port
	in.Source.DB = service.DatabaseInput{FromWPConfig: true, SSHTunnel: true}

	rep, err := h.svc.TestConnection(context.Background(), "source", in.Source)
	require.NoError(t, err)
	require.True(t, rep.Database.OK, rep.Database.Message)

	d, err := h.svc.CreateMigration(context.Background(), in)
	require.NoError(t, err)
	d = h.waitDone(t, d.ID)
	require.Equal(t, "successful", d.Status, d.FailureReason)
	logs, err := h.svc.GetLogs(context.Background(), d.ID, 0, 1000)
	require.NoError(t, err)
	require.NotEmpty(t, logs)
	if srcCfg.Passwd != "" {
		for _, l := range logs {
			require.NotContains(t, l.Message, srcCfg.Passwd, "the password read from wp-config.php is never logged")
		}
	}
}
