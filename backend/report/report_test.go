package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./backend/report -update to create %s", path)
	require.Equal(t, string(want), string(got))
}

func TestWriteCSVGolden(t *testing.T) {
	cases := []struct {
		name string
		ms   []Migration
		opt  CSVOptions
	}{
		{"sample.csv", sample(), CSVOptions{}},
		{"sample_bom.csv", sample(), CSVOptions{BOM: true}},
		{"anonymised.csv", Anonymise(sample()), CSVOptions{}},
		{"empty.csv", nil, CSVOptions{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			require.NoError(t, WriteCSV(&b, tc.ms, tc.opt))
			golden(t, tc.name, b.Bytes())

			// RFC 4180: CRLF line ends, every row as wide as the header, and it reads back.
			body := b.Bytes()
			require.Equal(t, tc.opt.BOM, bytes.HasPrefix(body, []byte("\xEF\xBB\xBF")))
			body = bytes.TrimPrefix(body, []byte("\xEF\xBB\xBF"))
			require.True(t, bytes.HasSuffix(body, []byte("\r\n")))
			recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
			require.NoError(t, err)
			require.Len(t, recs, len(tc.ms)+1)
			require.Equal(t, CSVHeader, recs[0])
			for i, m := range tc.ms {
				row := map[string]string{}
				for j, h := range CSVHeader {
					row[h] = recs[i+1][j]
				}
				require.Equal(t, m.Domain, row["domain"])
				require.Equal(t, text(m.User.Name), row["user_name"])
				require.Equal(t, m.Duration.Milliseconds(), atoi(t, row["duration_ms"]))
				require.Equal(t, m.Import.Rows, atoi(t, row["rows_imported"]))
				require.Equal(t, m.BytesMoved(), atoi(t, row["bytes_moved"]))
			}
		})
	}
}

func atoi(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	require.NoError(t, json.Unmarshal([]byte(s), &n), s)
	return n
}

func TestCSVDefusesFormulas(t *testing.T) {
	cases := []struct{ in, want string }{
		{"=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"},
		{"+1", "'+1"}, {"-2", "'-2"}, {"@SUM(A1)", "'@SUM(A1)"}, {"\tx", "'\tx"},
		{"Zoë", "Zoë"}, {"", ""}, {"a=b", "a=b"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) { require.Equal(t, tc.want, text(tc.in)) })
	}
}

func TestWriteJSONGolden(t *testing.T) {
	cases := []struct {
		name string
		ms   []Migration
	}{
		{"sample.json", sample()},
		{"empty.json", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			require.NoError(t, WriteJSON(&b, tc.ms))
			golden(t, tc.name, b.Bytes())

			var doc struct {
				Format     string         `json:"format"`
				Version    int            `json:"version"`
				Summary    map[string]any `json:"summary"`
				Migrations []struct {
					ID       int64    `json:"id"`
					Domain   string   `json:"domain"`
					Steps    []any    `json:"steps"`
					Warnings []string `json:"warnings"`
				} `json:"migrations"`
			}
			require.NoError(t, json.Unmarshal(b.Bytes(), &doc))
			require.Equal(t, JSONFormat, doc.Format)
			require.Equal(t, JSONVersion, doc.Version)
			require.EqualValues(t, len(tc.ms), doc.Summary["count"])
			require.NotNil(t, doc.Migrations, "migrations is [] when empty, never null")
			require.Len(t, doc.Migrations, len(tc.ms))
			for i, m := range tc.ms {
				require.Equal(t, m.ID, doc.Migrations[i].ID)
				require.Equal(t, m.Domain, doc.Migrations[i].Domain)
				require.Len(t, doc.Migrations[i].Steps, len(m.Steps))
				require.NotNil(t, doc.Migrations[i].Warnings)
			}
		})
	}
}

func TestSummarise(t *testing.T) {
	ms := sample()
	cases := []struct {
		name   string
		ms     []Migration
		median time.Duration
	}{
		{"none", nil, 0},
		{"one", ms[:1], ms[0].Duration},
		{"two: mean of the middle pair", ms[:2], (ms[0].Duration + ms[1].Duration) / 2},
		{"three: the middle one", ms, ms[0].Duration},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := Summarise(tc.ms)
			require.Equal(t, len(tc.ms), s.Count)
			require.Equal(t, tc.median, s.MedianDuration)
			var total time.Duration
			var bytes, rows int64
			for _, m := range tc.ms {
				total += m.Duration
				bytes += m.Upload.Bytes + m.Import.Bytes
				rows += m.Import.Rows
			}
			require.Equal(t, total, s.TotalDuration)
			require.Equal(t, bytes, s.BytesMoved)
			require.Equal(t, rows, s.Rows)
		})
	}
	s := Summarise(ms)
	require.Equal(t, 1, s.WithFailedChecks)
	require.Equal(t, 2, s.Warnings)
	require.Equal(t, t0, s.FirstStarted)
	require.Equal(t, ms[2].CompletedAt, s.LastCompleted)
}

func TestAnonymise(t *testing.T) {
	in := sample()
	out := Anonymise(in)
	require.Equal(t, "Zoë Ångström", in[0].User.Name, "the input is not modified")
	require.Equal(t, "Customer 1", out[0].User.Name)
	require.Equal(t, "Customer 2", out[1].User.Name)
	require.Equal(t, "Customer 1", out[2].User.Name, "the same address is the same customer")
	require.Equal(t, out[0].User.Email, out[2].User.Email)
	require.NotEqual(t, out[0].User.Email, out[1].User.Email)
	require.Equal(t, out[0].User.Email, Anonymise([]Migration{{User: User{Email: "ZOE@example.com "}}})[0].User.Email,
		"stable across reports and case")
	var all bytes.Buffer
	require.NoError(t, WriteCSV(&all, out, CSVOptions{}))
	require.NoError(t, WriteJSON(&all, out))
	for _, m := range in {
		require.NotContains(t, all.String(), m.User.Email)
		require.NotContains(t, all.String(), m.User.Name)
	}
}

func TestFormat(t *testing.T) {
	cases := []struct{ got, want string }{
		{humanBytes(0), "0 B"}, {humanBytes(999), "999 B"}, {humanBytes(1000), "1.0 kB"},
		{humanBytes(85_321), "85.3 kB"}, {humanBytes(12_400_000_000), "12.4 GB"}, {humanBytes(480_000_000), "480 MB"},
		{humanDuration(0), "0 s"}, {humanDuration(850 * time.Millisecond), "850 ms"}, {humanDuration(12300 * time.Millisecond), "12.3 s"},
		{humanDuration(4*time.Minute + 5*time.Second), "4 min 05 s"}, {humanDuration(3*time.Hour + 2*time.Minute), "3 h 02 min"},
		{thousands(0), "0"}, {thousands(999), "999"}, {thousands(1000), "1,000"}, {thousands(1234567), "1,234,567"}, {thousands(-1234), "-1,234"},
	}
	for _, tc := range cases {
		t.Run(tc.want, func(t *testing.T) { require.Equal(t, tc.want, tc.got) })
	}
}

func TestEndpointSummary(t *testing.T) {
	cases := []struct {
		e    Endpoint
		want string
	}{
		{Endpoint{Protocol: "sftp", Host: "h", Port: 22, User: "u", Path: "/p", DB: DatabaseHost{Host: "127.0.0.1", Port: 3306, User: "wp", Name: "wp", SSHTunnel: true}},
			"SFTP u@h:22 /p · MySQL wp@127.0.0.1:3306/wp via SSH"},
		{Endpoint{Protocol: "local", Path: "/srv", DB: DatabaseHost{FromWPConfig: true}}, "Local /srv · MySQL from wp-config.php"},
		{Endpoint{Protocol: "ftp", Host: "h", DB: DatabaseHost{Host: "localhost", Name: "wp", Access: "Automatic", Route: "Through the site (PHP)"}},
			"FTP h · MySQL localhost/wp via Through the site (PHP)"},
		{Endpoint{Protocol: "sftp", Host: "h", DB: DatabaseHost{Host: "localhost", Name: "wp", Access: "SSH command"}}, "SFTP h · MySQL localhost/wp via SSH command"},
		{Endpoint{Protocol: "ftp", Host: "h", DB: DatabaseHost{FromWPConfig: true, Route: "Direct"}}, "FTP h · MySQL from wp-config.php via Direct"},
		{Endpoint{Protocol: "manual"}, "Manual upload (wordpress-files.zip + database.sql)"},
		{Endpoint{}, "-"},
	}
	for _, tc := range cases {
		t.Run(tc.want, func(t *testing.T) {
			require.Equal(t, tc.want, tc.e.Summary())
			require.False(t, strings.Contains(tc.e.Summary(), "password"))
		})
	}
}
