package service

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/migration"
	"ferry/backend/pipeline"
)

// TestBatchReportTotalsMatchTheStore exports a batch with one successful, one failed and
// one queued site in every format and checks each line and total against what the store
// holds.
func TestBatchReportTotalsMatchTheStore(t *testing.T) {
	s, _, _ := newTestService(t)
	ctx := context.Background()
	b, err := s.StartBatch(ctx, BatchStart{Shared: sftpInput(), SitesPath: writeSites(t, "old-host.csv", testSites)})
	require.NoError(t, err)
	ok, bad := b.Migrations[0], b.Migrations[1]
	setResults := func(id int64, res pipeline.Results) {
		raw, err := json.Marshal(res)
		require.NoError(t, err)
		require.NoError(t, s.Store().SetResults(ctx, id, raw))
	}
	moveTo(t, s, ok, migration.StatusSuccessful, "")
	setResults(ok, pipeline.Results{Upload: &pipeline.TransferStats{Files: 1200, Bytes: 48_000_000},
		Import: &pipeline.DatabaseStats{Tables: 12, Rows: 3456, Bytes: 2_000_000}})
	// The server echoed the password: the report must not.
	moveTo(t, s, bad, migration.StatusFailed, "530 Login incorrect for deploy/src-"+testPassword)
	setResults(bad, pipeline.Results{Upload: &pipeline.TransferStats{Files: 7, Bytes: 1000}})

	dir := t.TempDir()
	export := func(format string) string {
		p := filepath.Join(dir, "batch."+format)
		res, err := s.BatchReport(ctx, "old-host", format, p)
		require.NoError(t, err)
		require.Equal(t, 3, res.Count)
		raw, err := os.ReadFile(p)
		require.NoError(t, err)
		require.NotContains(t, string(raw), testPassword)
		return string(raw)
	}

	recs, err := csv.NewReader(strings.NewReader(export("csv"))).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, 5, "header, 3 sites, total")
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	cell := func(row int, name string) string { return recs[row][col[name]] }
	require.Equal(t, []string{"a.example.org", "successful", "1200", "50000000", "3456"},
		[]string{cell(1, "domain"), cell(1, "status"), cell(1, "files"), cell(1, "bytes"), cell(1, "rows")})
	require.Equal(t, "failed", cell(2, "status"))
	require.Contains(t, cell(2, "failure_reason"), "530 Login incorrect for deploy/")
	require.Equal(t, "queued", cell(3, "status"))
	require.Equal(t, "total", cell(4, "line"))
	require.Equal(t, "1207", cell(4, "files"))
	require.Equal(t, "50001000", cell(4, "bytes"))
	require.Equal(t, "3456", cell(4, "rows"))
	require.Contains(t, cell(4, "status"), "3 sites: 1 successful, 1 failed, 1 in progress, 0 not started")
	require.Contains(t, cell(4, "failure_reason"), "×1")

	// The totals against the store itself.
	var files, bytes int64
	for _, id := range b.Migrations {
		res, err := s.results(ctx, id)
		require.NoError(t, err)
		if res.Upload != nil {
			files += res.Upload.Files
			bytes += res.Upload.Bytes
		}
		if res.Import != nil {
			bytes += res.Import.Bytes
		}
	}
	require.Equal(t, strconv.FormatInt(files, 10), cell(4, "files"))
	require.Equal(t, strconv.FormatInt(bytes, 10), cell(4, "bytes"))

	var doc struct {
		Format string
		Batch  struct{ Name string }
		Totals struct {
			Sites, Successful, Failed, InProgress int
			Files, Bytes, Rows                    int64
			FailuresByReason                      []struct {
				Reason string
				Sites  int
			}
		}
		Sites []struct {
			Line          int
			ID            *int64
			Domain        string
			Status        string
			DurationMs    int64
			FailureReason string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(export("json")), &doc))
	require.Equal(t, "ferry.batch-report", doc.Format)
	require.Equal(t, "old-host", doc.Batch.Name)
	require.Equal(t, [4]int{3, 1, 1, 1}, [4]int{doc.Totals.Sites, doc.Totals.Successful, doc.Totals.Failed, doc.Totals.InProgress})
	require.Equal(t, [3]int64{files, bytes, 3456}, [3]int64{doc.Totals.Files, doc.Totals.Bytes, doc.Totals.Rows})
	require.Len(t, doc.Totals.FailuresByReason, 1)
	require.Equal(t, 1, doc.Totals.FailuresByReason[0].Sites)
	require.Equal(t, doc.Sites[1].FailureReason, doc.Totals.FailuresByReason[0].Reason)
	require.Equal(t, []int{2, 3, 4}, []int{doc.Sites[0].Line, doc.Sites[1].Line, doc.Sites[2].Line})
	require.Equal(t, ok, *doc.Sites[0].ID)

	export("pdf")
	if _, err := exec.LookPath("pdftotext"); err != nil {
		require.Empty(t, os.Getenv("CI"), "pdftotext (poppler-utils) is needed under CI")
		t.Skip("pdftotext not installed")
	}
	out, err := exec.Command("pdftotext", "-layout", filepath.Join(dir, "batch.pdf"), "-").Output()
	require.NoError(t, err)
	text := string(out)
	for _, want := range []string{"Batch report: old-host", "a.example.org", "b.example.org", "c.example.org",
		"Failures by reason", "530 Login incorrect", "50.0 MB", "1,207", "3,456"} {
		require.Contains(t, text, want)
	}
	require.NotContains(t, text, testPassword)

	_, err = s.BatchReport(ctx, "nope", "csv", filepath.Join(dir, "x.csv"))
	require.Equal(t, CodeNotFound, CodeOf(err))
	_, err = s.BatchReport(ctx, "old-host", "xlsx", filepath.Join(dir, "x.xlsx"))
	require.Equal(t, CodeInvalid, CodeOf(err))
}
