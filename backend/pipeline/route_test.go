package pipeline_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/dbroute/routetest"
)

// agentFiles lists PHP agents left in a docroot.
func agentFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "ferry-*.php"))
	require.NoError(t, err)
	return m
}

// A migration whose destination database is reached through the site's PHP succeeds,
// logs how each side's database was reached, and leaves no agent behind.
func TestMigrationThroughTheSite(t *testing.T) {
	h := newHarness(t)
	in, _, destDir, _ := sftpToFTP(t)
	url := routetest.StartPHP(t, "127.0.0.1", destDir)
	in.NewURL = url
	in.Destination.DB.Access = "php"
	d, err := h.svc.CreateMigration(context.Background(), in)
	require.NoError(t, err)
	d = h.waitDone(t, d.ID)
	logs, err := h.svc.GetLogs(context.Background(), d.ID, 0, 1000)
	require.NoError(t, err)
	if d.Status != "successful" {
		for _, l := range logs {
			t.Log(l.Message) // the log says which step failed and why
		}
	}
	require.Equal(t, "successful", d.Status, d.FailureReason)
	var all []string
	for _, l := range logs {
		all = append(all, l.Message)
	}
	text := strings.Join(all, "\n")
	require.Contains(t, text, "Database access (source): using Direct")
	// a route the settings name is logged too, once, although every step opens the database
	require.Equal(t, 1, strings.Count(text, "Database access (destination): Through the site (PHP), as set for this migration"), text)
	require.Contains(t, text, "The destination database travels over plain HTTP")
	require.Empty(t, agentFiles(t, destDir), "the agent must be gone after success")
	require.Empty(t, h.results(t, d.ID).Agents)
	// the report says how each database was reached
	out := filepath.Join(t.TempDir(), "report.json")
	_, err = h.svc.MigrationReport(context.Background(), d.ID, "json", out)
	require.NoError(t, err)
	raw, err := os.ReadFile(out)
	require.NoError(t, err)
	require.Contains(t, string(raw), `"route": "Through the site (PHP)"`)
	require.Contains(t, string(raw), `"route": "Direct"`)
}

// A migration that fails while the agent is in the docroot removes it.
func TestFailedMigrationRemovesTheAgent(t *testing.T) {
	h := newHarness(t)
	in, _, destDir, _ := sftpToFTP(t)
	url := routetest.StartPHP(t, "127.0.0.1", destDir)
	in.NewURL = url
	in.Destination.DB.Access = "php"
	in.Destination.DB.Name = "ferry_no_such_db_and_no_right_to_create"
	in.Destination.DB.User = "ferry_nobody"
	d, err := h.svc.CreateMigration(context.Background(), in)
	require.NoError(t, err)
	d = h.waitDone(t, d.ID)
	require.Equal(t, "failed", d.Status)
	require.Empty(t, agentFiles(t, destDir), "the agent must be gone after a failure")
	require.Empty(t, h.results(t, d.ID).Agents)
	entries, _ := os.ReadDir(destDir)
	for _, e := range entries {
		require.False(t, strings.HasSuffix(e.Name(), ".php") && strings.HasPrefix(e.Name(), "ferry-"))
	}
}
