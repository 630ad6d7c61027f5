package service

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseSitesNamesLinesAndColumns(t *testing.T) {
	sites, problems := ParseSites(strings.NewReader("\ufeffservice,domain,new_url,source_path,source_db,dest_path,dest_db,owner\n" +
		"# a comment\n" +
		"\n" +
		"Starter, a.example.org ,https://a.example.org,/a,,/a,a_wp,Ann <ann@example.org>\n" +
		"Starter,b.example.org,https://b.example.org\n"))
	require.Equal(t, []BatchProblem{{Line: 5, Message: "has 3 columns, the header has 8"}}, problems)
	require.Equal(t, []BatchSite{{Line: 4, Domain: "a.example.org", NewURL: "https://a.example.org", SourcePath: "/a",
		DestPath: "/a", DestDB: "a_wp", Owner: "Ann <ann@example.org>", Service: "Starter"}}, sites)

	_, problems = ParseSites(strings.NewReader("domain,url\n"))
	require.Contains(t, problems, BatchProblem{Line: 1, Column: "url", Message: "unknown column (the columns are " + strings.Join(SiteColumns, ", ") + ")"})
	require.Contains(t, problems, BatchProblem{Line: 1, Column: "dest_db", Message: "missing from the header row"})

	_, problems = ParseSites(strings.NewReader(""))
	require.Len(t, problems, 1)
	require.Equal(t, "sites.csv:1: the file is empty: it needs a header row ("+strings.Join(SiteColumns, ",")+") and one row per site", problems[0].Text("sites.csv", ""))
}

func TestOwnerColumn(t *testing.T) {
	for in, want := range map[string][2]string{
		"Ann Baker <ann@example.org>": {"Ann Baker", "ann@example.org"},
		"tom@example.org":             {"tom", "tom@example.org"},
		"":                            {"", ""},
	} {
		name, email := owner(in)
		require.Equal(t, want, [2]string{name, email}, in)
	}
}
