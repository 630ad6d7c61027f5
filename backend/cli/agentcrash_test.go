package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/dbroute/routetest"
	"ferry/backend/engine"
	"ferry/backend/migration"
	"ferry/backend/service"
)

// TestAgentOfAKilledRunIsRemovedAtTheNextStart: the destination database is reached
// through the site's PHP; `ferry migrate` is killed (SIGKILL) halfway through the import,
// while Ferry's PHP file is in the destination docroot. The next start of Ferry (no
// Retry, no Stop) removes it from the docroot and says so in the migration's log.
func TestAgentOfAKilledRunIsRemovedAtTheNextStart(t *testing.T) {
	c := newCrashSite(t)
	raw, err := os.ReadFile(c.spec)
	require.NoError(t, err)
	var sp Spec
	require.NoError(t, json.Unmarshal(raw, &sp))
	sp.NewURL = routetest.StartPHP(t, "127.0.0.1", c.destDir)
	sp.Destination.DB.Access = "php"
	raw, err = json.Marshal(sp)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(c.spec, raw, 0o600))

	id := c.crashAt(t, migration.StepImportDatabase)
	c.requireInterrupted(t, id, migration.StepImportDatabase)
	left, err := filepath.Glob(filepath.Join(c.destDir, "ferry-*.php"))
	require.NoError(t, err)
	require.Len(t, left, 1, "the killed run left its PHP file in the docroot")
	require.Len(t, c.results(t, id).Agents, 1, "the history knows the file's path")

	e, err := engine.Open(context.Background(), engine.Config{DataDir: c.dataDir})
	require.NoError(t, err)
	deadline := time.Now().Add(time.Minute)
	for {
		if _, err := os.Stat(left[0]); os.IsNotExist(err) {
			break
		}
		require.True(t, time.Now().Before(deadline), "the PHP file is still in the docroot a minute after the start")
		time.Sleep(100 * time.Millisecond)
	}
	require.NoError(t, e.Close())
	require.Empty(t, c.results(t, id).Agents)
	svc, err := service.Open(context.Background(), service.Config{DataDir: c.dataDir})
	require.NoError(t, err)
	logs, err := svc.GetLogs(context.Background(), id, 0, 1000)
	require.NoError(t, err)
	require.NoError(t, svc.Close())
	var text []string
	for _, l := range logs {
		text = append(text, l.Message)
	}
	all := strings.Join(text, "\n")
	require.Contains(t, all, "Removed Ferry's PHP file")
	require.Contains(t, all, filepath.Base(left[0])+" left in the destination docroot by an earlier run")
}
