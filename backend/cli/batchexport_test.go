package cli

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/service"
)

func TestExportBatchCommand(t *testing.T) {
	dir := seed(t)
	ctx := context.Background()
	sites := filepath.Join(dir, "old-host.csv")
	require.NoError(t, os.WriteFile(sites, []byte("domain,new_url,source_path,source_db,dest_path,dest_db,owner,service\n"+
		"a.example.org,https://a.example.org,/a,,/a,a_wp,ann@example.org,Starter\n"+
		"b.example.org,https://b.example.org,/b,,/b,b_wp,bob@example.org,Starter\n"), 0o600))
	svc, err := service.Open(ctx, service.Config{})
	require.NoError(t, err)
	_, err = svc.StartBatch(ctx, service.BatchStart{SitesPath: sites, Shared: service.CreateInput{Method: "sftp",
		Source: service.EndpointInput{Protocol: "sftp", Host: "old.example.com", User: "deploy", Password: "pw-never-shown"},
		Destination: service.EndpointInput{Protocol: "ftp", Host: "new.example.net", User: "bob", Password: "pw-never-shown",
			DB: service.DatabaseInput{Host: "127.0.0.1", User: "wp", Password: "pw-never-shown"}}}})
	require.NoError(t, err)
	require.NoError(t, svc.Close())

	out := filepath.Join(t.TempDir(), "old-host.csv")
	code, stdout, stderr := run("export", "--batch", "old-host", "-o", out)
	require.Equal(t, ExitOK, code, stderr)
	require.Contains(t, stdout, "Exported 2 sites to "+out+" (CSV")
	f, err := os.Open(out)
	require.NoError(t, err)
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, 4)
	require.Equal(t, []string{"2", "a.example.org", "queued"}, []string{recs[1][0], recs[1][2], recs[1][4]})
	require.Equal(t, "total", recs[3][0])

	code, _, stderr = run("export", "--batch", "old-host", "--id", "1", "-o", out)
	require.Equal(t, ExitUsage, code)
	require.Contains(t, stderr, "--batch exports a whole batch")
	code, _, stderr = run("export", "--batch", "nope", "-o", out)
	require.Equal(t, ExitError, code)
	require.Contains(t, stderr, "nope")
}
