package service

import (
	"context"
	"fmt"
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

// Every site of a batch keeps the shared FTP-only choice: the sites made when the batch
// starts, and those ResumeBatch makes later from the stored (sealed) shared settings.
func TestBatchSitesKeepFilesOverFTPOnly(t *testing.T) {
	s, _, _ := newTestService(t)
	ctx := context.Background()
	for _, on := range []bool{true, false} {
		shared := sftpInput()
		shared.Method = "ftp"
		shared.Source.Protocol, shared.Source.Port, shared.Source.DB.SSHTunnel = "ftps", 21, false
		shared.Options.FilesOverFTPOnly = on

		b, err := s.StartBatch(ctx, BatchStart{Name: fmt.Sprintf("ftp-only-%v", on), Shared: shared,
			SitesPath: writeSites(t, "old-host.csv", testSites)})
		require.NoError(t, err)
		require.Len(t, b.Migrations, 3)
		for _, id := range b.Migrations {
			d, err := s.GetMigration(ctx, id)
			require.NoError(t, err)
			require.Equal(t, on, d.Options.FilesOverFTPOnly, "migration %d", id)
		}

		sealed, err := s.sealShared(shared)
		require.NoError(t, err)
		opened, err := s.openShared(sealed)
		require.NoError(t, err)
		sites, problems := ParseSites(strings.NewReader(testSites))
		require.Empty(t, problems)
		require.Equal(t, on, siteInput(opened, sites[0]).Options.FilesOverFTPOnly)
	}
}
