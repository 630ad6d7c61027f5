package cli

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseArgsTakesFlagsAfterTheID(t *testing.T) {
	for _, args := range [][]string{
		{"12", "--from-start"},
		{"--from-start", "12"},
		{"12", "-from-start=true"},
	} {
		fs := flag.NewFlagSet("retry", flag.ContinueOnError)
		from := fs.Bool("from-start", false, "")
		require.NoError(t, parseArgs(fs, args), "%v", args)
		require.True(t, *from, "%v", args)
		require.Equal(t, []string{"12"}, fs.Args(), "%v", args)
	}
	fs := flag.NewFlagSet("retry", flag.ContinueOnError)
	from := fs.Bool("from-start", false, "")
	require.NoError(t, parseArgs(fs, []string{"12", "--", "--from-start"}))
	require.False(t, *from, "after -- nothing is a flag")
	require.Equal(t, []string{"12", "--from-start"}, fs.Args())
}

// TestRetryAcceptsTheREADMEOrder runs `ferry retry 3 --from-start` on a failed migration of
// the seeded history: it must get past the command line (the old parser said "not a
// migration ID" and printed usage with exit 2).
func TestRetryAcceptsTheREADMEOrder(t *testing.T) {
	seed(t)
	var out, errb bytes.Buffer
	code := Run(context.Background(), []string{"retry", "99", "--from-start"}, &out, &errb)
	require.Equal(t, ExitError, code, errb.String())
	require.Contains(t, errb.String(), "99")
	require.NotContains(t, errb.String(), "Usage:")
}

func writeSpec(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "job.json")
	require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
	return p
}

func TestSpecErrorsSayWhereAndWhat(t *testing.T) {
	seed(t)
	tests := []struct {
		name, body string
		want       []string
		wantNot    []string
	}{
		{"syntax", "{\n  \"method\": \"manual\",\n  \"domain\" \"x\"\n}", []string{"job.json:3:", "not valid JSON"}, nil},
		{"port as string", "{\n  \"method\": \"sftp\",\n  \"source\": {\"port\": \"22\"}\n}",
			[]string{"job.json:3:", "source.port must be a number, not a JSON string"}, []string{"int", "Go struct", "CreateInput"}},
		{"truncated", "{\n  \"method\": \"sftp\",", []string{"ends too early"}, nil},
		{"unknown field", `{"methd": "sftp"}`, []string{`unknown field "methd"`}, nil},
		{"form wording", `{"method": "manual", "userName": "A", "userEmail": "a@example.com", "service": "S", "domain": "",
			"newUrl": "https://a.example", "destination": {"protocol": "local", "path": "/srv/a",
			"db": {"host": "127.0.0.1", "user": "u", "password": "p", "name": "n"}}}`,
			[]string{"Check the job file", `"domain"`}, []string{"Check the form", "--domain"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Run(context.Background(), []string{"migrate", "--spec", writeSpec(t, tc.body)}, &out, &errb)
			require.Equal(t, ExitUsage, code, errb.String())
			for _, w := range tc.want {
				require.Contains(t, errb.String(), w)
			}
			for _, w := range tc.wantNot {
				require.NotContains(t, errb.String(), w)
			}
		})
	}
}

// TestSpecAcceptsMethodFTPS: the form offers FTPS, so a job file saying "method": "ftps"
// is the FTP method over TLS, not "Choose FTP, SFTP or Manual".
func TestSpecAcceptsMethodFTPS(t *testing.T) {
	seed(t)
	body := `{"method": "ftps", "userName": "A", "userEmail": "a@example.com", "service": "S", "domain": "a.example",
		"newUrl": "https://a.example", "source": {"host": "127.0.0.1", "port": 1, "user": "u", "password": "p", "path": "/",
		"db": {"host": "127.0.0.1", "user": "u", "password": "p", "name": "n"}},
		"destination": {"protocol": "local", "path": "` + t.TempDir() + `",
		"db": {"host": "127.0.0.1", "user": "u", "password": "p", "name": "n"}}}`
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Nothing listens on port 1, so the migration is created and then fails at its first
	// login: only the method's acceptance is under test here.
	code := Run(ctx, []string{"migrate", "--spec", writeSpec(t, body)}, &out, &errb)
	require.NotContains(t, errb.String(), "Choose FTP")
	require.Equal(t, ExitError, code, errb.String())
	var list bytes.Buffer
	require.Equal(t, ExitOK, Run(ctx, []string{"list", "--json", "--tab", "failed", "--search", "a.example"}, &list, &errb))
	require.Contains(t, list.String(), `"method": "ftp"`)
	require.Contains(t, list.String(), `"sourceSummary": "FTPS u@127.0.0.1:1`)
}
