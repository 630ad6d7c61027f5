package pipeline_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/service"
)

var updateExamples = flag.Bool("update-examples", false,
	"write backend/report/testdata/examples/report.{csv,json,pdf} from a real migration")

// TestReportOfARealMigration runs one real SFTP → FTP migration into MariaDB and exports
// its report in every format, checking the figures against what the migration recorded.
// With -update-examples the reports are written to backend/report/testdata/examples, the
// examples the README points to.
func TestReportOfARealMigration(t *testing.T) {
	h := newHarness(t)
	in, _, _, _ := sftpToFTP(t)
	in.Domain = "例え.テスト" // a CJK domain and an accented owner ("Zoë Admin") in every format
	ctx := context.Background()
	d, err := h.svc.CreateMigration(ctx, in)
	require.NoError(t, err)
	d = h.waitDone(t, d.ID)
	require.Equal(t, "successful", d.Status, "reason: %s", d.FailureReason)
	res := h.results(t, d.ID)
	require.NotNil(t, res.Upload)
	require.NotNil(t, res.Import)
	require.NotNil(t, res.Replacements)

	dir := t.TempDir()
	if *updateExamples {
		dir = filepath.Join("..", "report", "testdata", "examples")
		require.NoError(t, os.MkdirAll(dir, 0o755))
	}
	paths := map[string]string{}
	for _, f := range service.ExportFormats {
		p, err := filepath.Abs(filepath.Join(dir, "report."+f))
		require.NoError(t, err)
		out, err := h.svc.ExportReport(ctx, service.ExportInput{Format: f, Path: p, IDs: []int64{d.ID}, BOM: f == service.FormatCSV})
		require.NoError(t, err)
		require.Equal(t, 1, out.Count)
		paths[f] = p
	}

	// JSON: the figures are the recorded ones.
	body, err := os.ReadFile(paths[service.FormatJSON])
	require.NoError(t, err)
	var doc struct {
		Summary struct {
			Count           int   `json:"count"`
			BytesMoved      int64 `json:"bytesMoved"`
			RowsImported    int64 `json:"rowsImported"`
			URLReplacements int64 `json:"urlReplacements"`
		} `json:"summary"`
		Migrations []struct {
			Domain string `json:"domain"`
			User   struct {
				Name string `json:"name"`
			} `json:"user"`
			Files struct {
				Downloaded struct{ Files, Bytes int64 } `json:"downloaded"`
				Uploaded   struct{ Files, Bytes int64 } `json:"uploaded"`
			} `json:"files"`
			Database struct {
				Imported struct {
					Tables int   `json:"tables"`
					Rows   int64 `json:"rows"`
				} `json:"imported"`
			} `json:"database"`
			Replacements struct {
				Total   int64 `json:"total"`
				Columns []struct {
					Table        string `json:"table"`
					Replacements int64  `json:"replacements"`
				} `json:"columns"`
			} `json:"replacements"`
			Validation struct {
				Passed bool `json:"passed"`
				Checks []struct {
					Name string `json:"name"`
				} `json:"checks"`
			} `json:"validation"`
			Steps []struct {
				State string `json:"state"`
			} `json:"steps"`
		} `json:"migrations"`
	}
	require.NoError(t, json.Unmarshal(body, &doc))
	require.Equal(t, 1, doc.Summary.Count)
	require.Equal(t, res.Upload.Bytes+res.Import.Bytes, doc.Summary.BytesMoved)
	require.Equal(t, res.Import.Rows, doc.Summary.RowsImported)
	require.Equal(t, res.Replacements.Replacements, doc.Summary.URLReplacements)
	m := doc.Migrations[0]
	require.Equal(t, "例え.テスト", m.Domain)
	require.Equal(t, "Zoë Admin", m.User.Name)
	require.Equal(t, res.Download.Files, m.Files.Downloaded.Files)
	require.Equal(t, res.Upload.Bytes, m.Files.Uploaded.Bytes)
	require.Equal(t, res.Import.Tables, m.Database.Imported.Tables)
	require.Len(t, m.Replacements.Columns, len(res.Replacements.Columns))
	require.True(t, m.Validation.Passed)
	require.Len(t, m.Validation.Checks, len(res.Validation))
	for _, st := range m.Steps {
		require.Equal(t, "completed", st.State)
	}

	// CSV: one row with the same figures.
	raw, err := os.ReadFile(paths[service.FormatCSV])
	require.NoError(t, err)
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(raw), "\uFEFF"))).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, 2)
	row := map[string]string{}
	for i, h := range recs[0] {
		row[h] = recs[1][i]
	}
	require.Equal(t, "例え.テスト", row["domain"])
	require.Equal(t, strconv.FormatInt(res.Import.Rows, 10), row["rows_imported"])
	require.Equal(t, strconv.FormatInt(res.Upload.Files, 10), row["files_uploaded"])
	require.Equal(t, strconv.FormatInt(res.Replacements.Replacements, 10), row["url_replacements"])
	require.Equal(t, "passed", row["validation"])

	// PDF: the text a reader sees carries the same figures and renders CJK and accents.
	text := strings.Join(strings.Fields(pdfText(t, paths[service.FormatPDF])), " ")
	for _, want := range []string{"例え.テスト", "Zoë Admin", "1 migration", "Rows imported", commas(res.Import.Rows),
		commas(res.Upload.Files), commas(res.Upload.Bytes+res.Import.Bytes) + " bytes", "Download files Completed",
		"wp_posts", "All passed"} {
		if !strings.Contains(text, want) {
			t.Fatalf("the PDF text lacks %q", want)
		}
	}
	for _, secret := range []string{in.Source.Password, in.Destination.Password, in.Source.DB.Password, in.Destination.DB.Password} {
		if secret == "" { // MariaDB's root has none in the test setup
			continue
		}
		for _, p := range paths {
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			require.NotContains(t, string(b), secret)
		}
		require.NotContains(t, text, secret)
	}
}

// commas writes n with thousands separators, as the PDF prints counts.
func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// pdfText extracts a PDF's text with pdftotext; a missing tool fails under CI=true.
func pdfText(t *testing.T, path string) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("pdftotext is missing: apt-get install poppler-utils")
		}
		t.Skip("pdftotext is missing: apt-get install poppler-utils")
	}
	out, err := exec.Command(bin, "-enc", "UTF-8", path, "-").CombinedOutput()
	require.NoError(t, err, string(out))
	return string(out)
}
