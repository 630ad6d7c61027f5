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

	"ferry/backend/service"
)

// seedSuccessful adds to seed's history: migrations 1 and 3 become successful.
func seedSuccessful(t *testing.T) string {
	t.Helper()
	dir := seed(t)
	ctx := context.Background()
	svc, err := service.Open(ctx, service.Config{})
	require.NoError(t, err)
	defer svc.Close()
	_, err = svc.MarkSuccessful(ctx, 3)
	require.NoError(t, err)
	_, err = svc.MarkFailed(ctx, 1)
	require.NoError(t, err)
	_, err = svc.MarkSuccessful(ctx, 1)
	require.NoError(t, err)
	return dir
}

func TestExportCommand(t *testing.T) {
	dir := seedSuccessful(t)
	today := time.Now().UTC().Format("2006-01-02")
	tomorrow := time.Now().UTC().Add(24 * time.Hour).Format("2006-01-02")
	cases := []struct {
		name    string
		args    []string
		file    string
		code    int
		ids     []int64
		errText string
	}{
		{"every successful as json", []string{"-o", "all.json"}, "all.json", ExitOK, []int64{1, 3}, ""},
		{"format flag wins over the extension", []string{"--format", "json", "-o", "all.txt"}, "all.txt", ExitOK, []int64{1, 3}, ""},
		{"ids, repeated and listed", []string{"--id", "3", "--id", "1,3", "-o", "ids.json"}, "ids.json", ExitOK, []int64{1, 3}, ""},
		{"search", []string{"--search", "CY", "-o", "cy.json"}, "cy.json", ExitOK, []int64{3}, ""},
		{"since today", []string{"--since", today, "--until", tomorrow, "-o", "today.json"}, "today.json", ExitOK, []int64{1, 3}, ""},
		{"since tomorrow: nothing", []string{"--since", tomorrow, "-o", "none.json"}, "none.json", ExitError, nil, "nothing to export"},
		{"not successful", []string{"--id", "2", "-o", "two.json"}, "two.json", ExitError, nil, "not successful"},
		{"no output", []string{"--format", "csv"}, "", ExitUsage, nil, "-o FILE is required"},
		{"unknown format", []string{"-o", "r.xlsx"}, "r.xlsx", ExitUsage, nil, "--format: Choose CSV, JSON or PDF."},
		{"bad date", []string{"--since", "14/03/2025", "-o", "r.csv"}, "r.csv", ExitUsage, nil, "not a date"},
		{"bad id", []string{"--id", "x", "-o", "r.csv"}, "r.csv", ExitUsage, nil, "not a migration ID"},
		{"ids and search", []string{"--id", "1", "--search", "a", "-o", "r.csv"}, "r.csv", ExitUsage, nil, "--ids:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Chdir(dir)
			code, out, errOut := run(append([]string{"export"}, tc.args...)...)
			require.Equal(t, tc.code, code, errOut)
			require.Contains(t, errOut, tc.errText)
			if tc.code != ExitOK {
				if tc.file != "" {
					_, err := os.Stat(filepath.Join(dir, tc.file))
					require.ErrorIs(t, err, os.ErrNotExist)
				}
				return
			}
			abs := filepath.Join(dir, tc.file)
			require.Contains(t, out, "to "+abs+" (JSON,")
			body, err := os.ReadFile(abs)
			require.NoError(t, err)
			var doc struct {
				Migrations []struct {
					ID int64 `json:"id"`
				} `json:"migrations"`
			}
			require.NoError(t, json.Unmarshal(body, &doc))
			var got []int64
			for _, m := range doc.Migrations {
				got = append(got, m.ID)
			}
			require.Equal(t, tc.ids, got)
			require.NotContains(t, string(body), "pw-never-shown")
		})
	}
}

func TestExportCommandCSVAndPDF(t *testing.T) {
	dir := seedSuccessful(t)
	t.Chdir(dir)
	code, out, errOut := run("export", "--bom", "--anonymise", "-o", "r.csv")
	require.Equal(t, ExitOK, code, errOut)
	require.Contains(t, out, "Exported 2 migrations")
	body, err := os.ReadFile(filepath.Join(dir, "r.csv"))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(body), "\uFEFFid,status,"))
	require.Contains(t, string(body), "Customer 1")
	require.NotContains(t, string(body), "Ada Owner")

	code, out, errOut = run("export", "--id", "1", "-o", filepath.Join(dir, "one.pdf"))
	require.Equal(t, ExitOK, code, errOut)
	require.Contains(t, out, "Exported 1 migration to")
	pdf, err := os.ReadFile(filepath.Join(dir, "one.pdf"))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(pdf), "%PDF-"))
}

func TestExportHelp(t *testing.T) {
	code, _, errOut := run("help", "export")
	require.Equal(t, ExitOK, code)
	require.Contains(t, errOut, "ferry export --format csv|json|pdf")
	require.Contains(t, errOut, "-anonymise")
	require.True(t, IsCommand("export"))
	code, out, _ := run("help")
	require.Equal(t, ExitOK, code)
	require.Regexp(t, `\n  export +Export successful migrations as a CSV, JSON or PDF report\n`, out)
}
