package pipeline_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/pipeline/sitetest"
	"ferry/backend/service"
	"ferry/backend/transfer/transfertest"
)

// TestSSHTunnelFailureSaysItsCauseOnce: the SSH server refuses to forward to MySQL; the
// reason names the tunnel and its cause once, not twice.
func TestSSHTunnelFailureSaysItsCauseOnce(t *testing.T) {
	h := newHarness(t)
	in, s, _, _ := sftpToFTP(t)
	srcCfg, srcName := sitetest.SourceDB(t)
	_, port := splitAddr(t, srcCfg.Addr)
	s = makeSiteIn(t, s.Dir, srcName, srcCfg.User, srcCfg.Passwd, "localhost:"+strconv.Itoa(port))
	srv := transfertest.StartSFTP(t, s.Dir, transfertest.SFTPOptions{}) // no TCP forwarding
	in.Source.Host, in.Source.Port = srv.Host, srv.Port
	in.Source.DB = service.DatabaseInput{FromWPConfig: true, SSHTunnel: true}

	d, err := h.svc.CreateMigration(context.Background(), in)
	require.NoError(t, err)
	d = h.waitDone(t, d.ID)
	require.Equal(t, "failed", d.Status)
	const cause = `ssh: rejected: unknown channel type ("unsupported channel type")`
	require.Contains(t, d.FailureReason, "SSH tunnel failed")
	require.Equal(t, 1, strings.Count(d.FailureReason, cause), d.FailureReason)
	logs, err := h.svc.GetLogs(context.Background(), d.ID, 0, 1000)
	require.NoError(t, err)
	seen := 0
	for _, l := range logs {
		if strings.Contains(l.Message, "SSH tunnel failed") {
			seen++
			require.Equal(t, 1, strings.Count(l.Message, "SSH tunnel failed"), l.Message)
			require.Equal(t, 1, strings.Count(l.Message, cause), l.Message)
		}
	}
	require.Positive(t, seen, "the log says why")
	rep, err := h.svc.TestConnection(context.Background(), "source", in.Source)
	require.NoError(t, err)
	require.False(t, rep.Database.OK)
	require.Equal(t, 1, strings.Count(rep.Database.Message, cause), rep.Database.Message)
}

// TestSourceLoginFailureNamesUserAndHost: a wrong source database password says the login
// failed and as whom, user@host:port, never the password; Test connection says the same.
func TestSourceLoginFailureNamesUserAndHost(t *testing.T) {
	h := newHarness(t)
	in, _, _, _ := sftpToFTP(t)
	in.Source.DB.Password = "Wr0ng-secret"
	want := fmt.Sprintf("Login failed on the source database as %s@%s:%d", in.Source.DB.User, in.Source.DB.Host, in.Source.DB.Port)
	d, err := h.svc.CreateMigration(context.Background(), in)
	require.NoError(t, err)
	d = h.waitDone(t, d.ID)
	require.Equal(t, "failed", d.Status)
	require.True(t, strings.HasPrefix(d.FailureReason, want), d.FailureReason)
	require.NotContains(t, d.FailureReason, "Cannot dump")
	require.NotContains(t, d.FailureReason, "Wr0ng-secret")
	rep, err := h.svc.TestConnection(context.Background(), "source", in.Source)
	require.NoError(t, err)
	require.False(t, rep.Database.OK)
	require.True(t, strings.HasPrefix(rep.Database.Message, want), rep.Database.Message)
	require.Contains(t, rep.Database.Message, "Access denied")
	require.NotContains(t, rep.Database.Message, "Wr0ng-secret")
}

// TestSerializedCheckSaysOneThing: the serialized-values check of a plain migration says
// how many values it read back and that they parse, in one sentence that does not contradict
// itself ("All 62 rewritten serialized values parse …; no serialized values to check").
func TestSerializedCheckSaysOneThing(t *testing.T) {
	h := newHarness(t)
	in, _, _, _ := sftpToFTP(t)
	d, err := h.svc.CreateMigration(context.Background(), in)
	require.NoError(t, err)
	d = h.waitDone(t, d.ID)
	require.Equal(t, "successful", d.Status, d.FailureReason)
	var msg string
	for _, c := range h.results(t, d.ID).Validation {
		if c.Name == "serialized_values" {
			msg = c.Message
		}
	}
	// widget_text, theme_mods_t and 60 attachment metadata values, read back from the
	// destination
	require.Equal(t, "All 62 serialized values parse.", msg)
}
