package service

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/migration"
	"ferry/backend/pipeline"
	"ferry/backend/store"
	"ferry/backend/wordpress"
)

// finished makes migration id successful with its steps completed and results recorded,
// as a real run leaves it. extra is written into the results' free text (warnings,
// validation messages, step errors), to check that reports mask it when it is a secret.
func finished(t *testing.T, s *Service, id int64, rows int64, extra string) pipeline.Results {
	t.Helper()
	ctx := context.Background()
	moveTo(t, s, id, migration.StatusSuccessful, "")
	r, err := s.Store().Get(ctx, id)
	require.NoError(t, err)
	at := r.StartedAt
	for i, st := range migration.StepsFor(r.Method) {
		rec := migration.StepRecord{Step: st, State: migration.StepCompleted, StartedAt: at, FinishedAt: at.Add(time.Second), Percent: 100}
		if i == 0 && extra != "" {
			rec.Error = "retried after: " + extra
		}
		require.NoError(t, s.Store().SetStep(ctx, id, rec))
		at = at.Add(time.Second)
	}
	res := pipeline.Results{
		WordPressVersion: "6.4.3", TablePrefix: "wp_",
		Download: &pipeline.TransferStats{Files: 52, Bytes: 85_321, DurationMs: 1200},
		Upload:   &pipeline.TransferStats{Files: 52, Bytes: 85_321, DurationMs: 1300},
		Export:   &pipeline.DatabaseStats{Tables: 3, Rows: rows, Bytes: 40_112, DurationMs: 400},
		Import:   &pipeline.DatabaseStats{Tables: 3, Rows: rows, Bytes: 40_112, DurationMs: 500},
		Replacements: &wordpress.Stats{Values: 64, Replacements: 65, Columns: []wordpress.ColumnStats{
			{Table: "wp_options", Column: "option_value", Values: 4, Replacements: 5},
			{Table: "wp_posts", Column: "guid", Values: 60, Replacements: 60}}},
		Validation: []wordpress.Check{{Name: wordpress.CheckRowCounts, OK: true, Message: "3 tables match"},
			{Name: wordpress.CheckHTTP, OK: extra == "", Message: "GET returned 200 " + extra}},
	}
	if extra != "" {
		res.Warnings = []string{"the server said: " + extra}
	}
	raw, err := json.Marshal(res)
	require.NoError(t, err)
	require.NoError(t, s.Store().SetResults(ctx, id, raw))
	return res
}

func TestExportReportValidation(t *testing.T) {
	s, _, dir := newTestService(t)
	out := filepath.Join(dir, "r.csv")
	cases := []struct {
		name   string
		in     ExportInput
		fields []string
	}{
		{"unknown format", ExportInput{Format: "xlsx", Path: out}, []string{"format"}},
		{"no path", ExportInput{Format: "csv"}, []string{"path"}},
		{"relative path", ExportInput{Format: "csv", Path: "r.csv"}, []string{"path"}},
		{"a folder", ExportInput{Format: "csv", Path: dir}, []string{"path"}},
		{"missing folder", ExportInput{Format: "csv", Path: filepath.Join(dir, "nope", "r.csv")}, []string{"path"}},
		{"ids and search", ExportInput{Format: "csv", Path: out, IDs: []int64{1}, Search: "x"}, []string{"ids"}},
		{"until before since", ExportInput{Format: "csv", Path: out, Since: 2000, Until: 1000}, []string{"until"}},
		{"negative since", ExportInput{Format: "csv", Path: out, Since: -1}, []string{"since"}},
		{"everything wrong", ExportInput{Format: "", Path: ""}, []string{"format", "path"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.ExportReport(context.Background(), tc.in)
			fields := fieldsOf(t, err)
			var keys []string
			for k := range fields {
				keys = append(keys, k)
			}
			require.ElementsMatch(t, tc.fields, keys)
		})
	}
	_, err := os.Stat(out)
	require.ErrorIs(t, err, os.ErrNotExist, "nothing written for a refused export")
}

func TestExportReportSelection(t *testing.T) {
	s, _, dir := newTestService(t)
	ctx := context.Background()
	var ids []int64
	for i, domain := range []string{"alpha.example.com", "beta.example.com", "gamma.example.org"} {
		in := sftpInput()
		in.Domain = domain
		d, err := s.CreateMigration(ctx, in)
		require.NoError(t, err)
		ids = append(ids, d.ID)
		if i < 2 {
			finished(t, s, d.ID, int64(100*(i+1)), "")
		}
	}
	third := ids[2] // still queued
	start := time.Now().Add(-time.Hour).UnixMilli()
	later := time.Now().Add(time.Hour).UnixMilli()

	cases := []struct {
		name string
		in   ExportInput
		want []int64
		code Code
	}{
		{"every successful", ExportInput{}, ids[:2], ""},
		{"search", ExportInput{Search: "BETA"}, ids[1:2], ""},
		{"date range", ExportInput{Since: start, Until: later}, ids[:2], ""},
		{"completed before the range", ExportInput{Since: later}, nil, CodeNothingToExport},
		{"no match", ExportInput{Search: "nowhere"}, nil, CodeNothingToExport},
		{"selected, repeated", ExportInput{IDs: []int64{ids[1], ids[0], ids[1]}}, ids[:2], ""},
		{"selected but in progress", ExportInput{IDs: []int64{ids[0], third}}, nil, CodeNotAllowed},
		{"selected but deleted", ExportInput{IDs: []int64{999}}, nil, CodeNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.Format, tc.in.Path = FormatJSON, filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".json")
			res, err := s.ExportReport(ctx, tc.in)
			if tc.code != "" {
				require.Error(t, err)
				require.Equal(t, tc.code, CodeOf(err), "%v", err)
				_, statErr := os.Stat(tc.in.Path)
				require.ErrorIs(t, statErr, os.ErrNotExist)
				return
			}
			require.NoError(t, err)
			require.Equal(t, len(tc.want), res.Count)
			require.Equal(t, tc.in.Path, res.Path)
			body, err := os.ReadFile(tc.in.Path)
			require.NoError(t, err)
			require.EqualValues(t, len(body), res.Bytes)
			var doc struct {
				Summary struct {
					Count        int   `json:"count"`
					RowsImported int64 `json:"rowsImported"`
				} `json:"summary"`
				Migrations []struct {
					ID       int64 `json:"id"`
					Database struct {
						Imported struct {
							Rows int64 `json:"rows"`
						} `json:"imported"`
					} `json:"database"`
					Steps []struct {
						State      string `json:"state"`
						DurationMs int64  `json:"durationMs"`
					} `json:"steps"`
				} `json:"migrations"`
			}
			require.NoError(t, json.Unmarshal(body, &doc))
			var got []int64
			var rows int64
			for _, m := range doc.Migrations {
				got = append(got, m.ID)
				rows += m.Database.Imported.Rows
				require.Len(t, m.Steps, len(migration.StepsFor(migration.MethodSFTP)))
				for _, st := range m.Steps {
					require.Equal(t, "completed", st.State)
					require.EqualValues(t, 1000, st.DurationMs)
				}
			}
			require.Equal(t, tc.want, got)
			require.Equal(t, rows, doc.Summary.RowsImported)
		})
	}
}

func TestMigrationReportAndSaveLog(t *testing.T) {
	s, _, dir := newTestService(t)
	ctx := context.Background()
	d, err := s.CreateMigration(ctx, manualInput())
	require.NoError(t, err)
	_, err = s.MarkFailed(ctx, d.ID)
	require.NoError(t, err)

	out := filepath.Join(dir, "one.csv")
	res, err := s.MigrationReport(ctx, d.ID, FormatCSV, out)
	require.NoError(t, err, "any status has a report from its Details")
	require.Equal(t, 1, res.Count)
	recs := readCSV(t, out)
	require.Len(t, recs, 2)
	require.Equal(t, "failed", recs[1][1])
	require.Equal(t, "example.com", recs[1][5])

	_, err = s.MigrationReport(ctx, 999, FormatPDF, filepath.Join(dir, "x.pdf"))
	require.Equal(t, CodeNotFound, CodeOf(err))
	_, err = s.MigrationReport(ctx, d.ID, "doc", out)
	require.Equal(t, CodeInvalid, CodeOf(err))

	for i := range 7000 { // more than one page of the log
		_, err := s.Store().AppendLog(ctx, d.ID, store.LogLine{Level: store.LevelInfo, Step: migration.StepUploadFiles,
			Message: "line " + strconv.Itoa(i) + "\nsecond line"})
		require.NoError(t, err)
	}
	logPath := filepath.Join(dir, "log.txt")
	res, err = s.SaveLog(ctx, d.ID, logPath)
	require.NoError(t, err)
	body, err := os.ReadFile(logPath)
	require.NoError(t, err)
	text := string(body)
	require.Equal(t, "text", res.Format)
	require.Greater(t, res.Count, 7000)
	require.True(t, strings.HasPrefix(text, "Ferry log of migration #1 · example.com · Ada Owner\n"))
	require.Contains(t, text, "Migration of example.com created")
	require.Contains(t, text, "INFO   upload_files         line 6999\n    second line\n")
	require.Equal(t, res.Count+1+7000, strings.Count(text, "\n"), "header, lines, continuation lines")
	_, err = s.SaveLog(ctx, 999, logPath)
	require.Equal(t, CodeNotFound, CodeOf(err))
	_, err = s.SaveLog(ctx, d.ID, "log.txt")
	require.Equal(t, CodeInvalid, CodeOf(err))
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	body, err := os.ReadFile(path)
	require.NoError(t, err)
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\uFEFF")))).ReadAll()
	require.NoError(t, err)
	return recs
}

func TestWriteAtomicKeepsTheOldFileOnFailure(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.pdf")
	require.NoError(t, os.WriteFile(path, []byte("the previous report"), 0o644))
	_, err := writeAtomic(path, func(w io.Writer) error {
		_, _ = w.Write([]byte("half a rep"))
		return errors.New("disk full")
	})
	require.Error(t, err)
	body, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "the previous report", string(body))
	n, err := writeAtomic(path, func(w io.Writer) error {
		_, err := w.Write([]byte("the new report"))
		return err
	})
	require.NoError(t, err)
	require.EqualValues(t, len("the new report"), n)
	body, err = os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "the new report", string(body))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file left behind")
}

// pdfText extracts a PDF's text with pdftotext (poppler-utils). Outside CI a missing tool
// skips; under CI=true it fails, because CI must check every format.
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
