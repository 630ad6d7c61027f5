package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/migration"
	"ferry/backend/service"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// seed makes a history with two in-progress migrations and a failed one.
func seed(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("FERRY_DATA_DIR", dir)
	t.Setenv("FERRY_KEYRING", "off")
	ctx := context.Background()
	svc, err := service.Open(ctx, service.Config{})
	require.NoError(t, err)
	defer svc.Close()
	for _, o := range []struct{ name, email, domain string }{
		{"Ada Owner", "ada@example.com", "ada.example.com"},
		{"Bob Builder", "bob@example.org", "bob.example.org"},
		{"Cy Failed", "cy@example.net", "cy.example.net"},
	} {
		_, err := svc.CreateMigration(ctx, service.CreateInput{
			Method: "manual", UserName: o.name, UserEmail: o.email, Service: "Business 10GB", Domain: o.domain,
			OldURL: "http://" + o.domain, NewURL: "https://" + o.domain,
			Destination: service.EndpointInput{Protocol: "local", Path: "/srv/www/" + o.domain,
				DB: service.DatabaseInput{Host: "127.0.0.1", User: "wp", Password: "pw-never-shown", Name: "wp"}},
		})
		require.NoError(t, err)
	}
	_, err = svc.MarkFailed(ctx, 3)
	require.NoError(t, err)
	return dir
}

var timeRe = regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d UTC`)

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	got = timeRe.ReplaceAll(got, []byte("YYYY-MM-DD hh:mm UTC"))
	path := filepath.Join("testdata", name+".golden")
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./backend/cli -update to create %s", path)
	require.Equal(t, string(want), string(got))
}

func run(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := Run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestListTable(t *testing.T) {
	seed(t)
	cases := []struct {
		name string
		args []string
	}{
		{"list_in_progress", []string{"list"}},
		{"list_failed", []string{"list", "--tab", "failed"}},
		{"list_search", []string{"list", "--search", "BOB"}},
		{"list_empty", []string{"list", "--tab", "successful"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(tc.args...)
			require.Equal(t, ExitOK, code, errOut)
			require.NotContains(t, out, "pw-never-shown")
			golden(t, tc.name, []byte(out))
		})
	}
}

func TestListJSON(t *testing.T) {
	seed(t)
	code, out, errOut := run("list", "--tab", "failed", "--json")
	require.Equal(t, ExitOK, code, errOut)
	var res service.ListResult
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	require.Equal(t, 1, res.Total)
	require.Equal(t, service.TabCounts{InProgress: 2, Failed: 1}, res.Counts)
	require.Equal(t, "cy.example.net", res.Rows[0].Domain)
	require.Equal(t, migration.ReasonMarkedFailed, res.Rows[0].StatusText)
	require.NotContains(t, out, "pw-never-shown")
}

func TestUsageErrors(t *testing.T) {
	seed(t)
	cases := []struct {
		name    string
		args    []string
		code    int
		errText string
	}{
		{"unknown command", []string{"frobnicate"}, ExitUsage, `unknown command "frobnicate"`},
		{"bad tab", []string{"list", "--tab", "archive"}, ExitUsage, "--tab: Choose one of"},
		{"bad sort", []string{"list", "--sort", "password"}, ExitUsage, "--sort"},
		{"bad page size", []string{"list", "--page-size", "-1"}, ExitUsage, "--pageSize"},
		{"unknown flag", []string{"list", "--colour"}, ExitUsage, "flag provided but not defined"},
		{"stray argument", []string{"list", "extra"}, ExitUsage, `unexpected argument "extra"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := run(tc.args...)
			require.Equal(t, tc.code, code, errOut)
			require.Contains(t, errOut, tc.errText)
		})
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {}} {
		code, out, _ := run(args...)
		require.Equal(t, ExitOK, code)
		golden(t, "help", []byte(out))
	}
	code, _, errOut := run("help", "list")
	require.Equal(t, ExitOK, code)
	require.Contains(t, errOut, "--tab")
	require.True(t, IsCommand("list"))
	require.True(t, IsCommand("help"))
	require.False(t, IsCommand("migrate-everything"))
	require.False(t, IsCommand(""))
}

func TestUnreadableHistory(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("FERRY_KEYRING", "off")
	// A file where the data folder should be: the history cannot be opened.
	blocker := filepath.Join(dir, "not-a-dir")
	require.NoError(t, os.WriteFile(blocker, []byte("x"), 0o600))
	t.Setenv("FERRY_DATA_DIR", blocker)
	code, _, errOut := run("list")
	require.Equal(t, ExitError, code)
	require.Contains(t, errOut, "ferry list:")
}
