package pipeline_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/service"
)

// TestExtraReplacementsReachTheDestination: an admin's extra pair (here the bare host of
// another site the old one linked to) is applied to every value of the destination,
// serialized values included, and counted in the results.
func TestExtraReplacementsReachTheDestination(t *testing.T) {
	h := newHarness(t)
	in, _, _, dstDSN := sftpToFTP(t)
	in.Options.Replacements = []service.ReplacementDTO{{Find: "bold.test", Replace: "bold.example.org"}}
	d, err := h.svc.CreateMigration(context.Background(), in)
	require.NoError(t, err)
	d = h.waitDone(t, d.ID)
	require.Equal(t, "successful", d.Status, "reason: %s", d.FailureReason)

	db, err := sql.Open("mysql", dstDSN)
	require.NoError(t, err)
	defer db.Close()
	var left, rewritten int
	require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM wp_posts WHERE post_content LIKE '%bold.test%'").Scan(&left))
	require.Zero(t, left, "no value holds the extra's find text any more")
	require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM wp_posts WHERE post_content LIKE '%http://bold.example.org/%'").Scan(&rewritten))
	require.Equal(t, 60, rewritten)
	res := h.results(t, d.ID)
	require.NotNil(t, res.Replacements)
	require.Len(t, res.Replacements.Extras, 1)
	require.EqualValues(t, 60, res.Replacements.Extras[0].Replacements)
}
