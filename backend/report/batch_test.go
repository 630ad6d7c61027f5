package report

import (
	"bytes"
	"encoding/csv"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func testBatch() Batch {
	t0 := time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC)
	site := func(line int, id int64, domain, status string, start, dur time.Duration, files, bytes, rows int64) BatchSite {
		m := Migration{ID: id, Domain: domain, Status: status, User: User{Name: "Owner " + domain},
			Upload: Transfer{Files: files, Bytes: bytes}, Import: Database{Rows: rows, Bytes: bytes / 10}}
		if start >= 0 {
			m.StartedAt = t0.Add(start)
			m.Duration = dur
			if status == "successful" || status == "failed" {
				m.CompletedAt = m.StartedAt.Add(dur)
			}
		}
		return BatchSite{Line: line, Migration: m}
	}
	b := Batch{ID: 1, Name: "old-host", CreatedAt: t0, Sites: []BatchSite{
		site(2, 1, "a.example.org", "successful", 0, 4*time.Minute, 1200, 48_000_000, 3456),
		site(3, 2, "b.example.org", "failed", time.Minute, 30*time.Second, 7, 1000, 0),
		site(4, 3, "c.example.org", "failed", 2*time.Minute, 20*time.Second, 0, 0, 0),
		site(5, 4, "d.example.org", "failed", 3*time.Minute, 10*time.Second, 0, 0, 0),
		site(6, 5, "e.example.org", "running", 3*time.Minute, 0, 0, 0, 0),
		{Line: 7, Migration: Migration{Domain: "f.example.org", Status: NotStarted}},
	}}
	b.Sites[1].FailureReason = "Upload files: 530 Login incorrect"
	b.Sites[2].FailureReason = "Upload files: 530 Login incorrect"
	b.Sites[3].FailureReason = "Import database: Error 1044: Access denied"
	return b
}

func TestBatchTotals(t *testing.T) {
	tot := testBatch().Totals()
	require.Equal(t, [5]int{6, 1, 3, 1, 1}, [5]int{tot.Sites, tot.Successful, tot.Failed, tot.InProgress, tot.NotStarted})
	require.Equal(t, int64(1207), tot.Files)
	require.Equal(t, int64(48_000_000+4_800_000+1000+100), tot.Bytes)
	require.Equal(t, int64(3456), tot.Rows)
	require.Equal(t, 5*time.Minute, tot.TotalDuration)
	require.Equal(t, 25*time.Second, tot.MedianDuration)
	require.Equal(t, 4*time.Minute, tot.Wall, "a.example.org ran from 0 to 4 min, the rest inside it")
	require.Equal(t, []ReasonCount{{"Upload files: 530 Login incorrect", 2}, {"Import database: Error 1044: Access denied", 1}}, tot.Failures)
}

func TestWriteBatchCSV(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteBatchCSV(&buf, testBatch(), CSVOptions{}))
	recs, err := csv.NewReader(&buf).ReadAll()
	require.NoError(t, err)
	require.Equal(t, BatchCSVHeader, recs[0])
	require.Len(t, recs, 8)
	require.Equal(t, []string{"7", "", "f.example.org", "", "not_started"}, recs[6][:5])
	require.Equal(t, "total", recs[7][0])
	require.Equal(t, "Upload files: 530 Login incorrect ×2; Import database: Error 1044: Access denied ×1", recs[7][11])
	if p := os.Getenv("FERRY_BATCH_PDF"); p != "" { // to look at the PDF by eye
		f, err := os.Create(p)
		require.NoError(t, err)
		defer f.Close()
		require.NoError(t, WriteBatchPDF(f, testBatch(), PDFOptions{GeneratedAt: time.Now()}))
	}
}
