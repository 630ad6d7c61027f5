package pipeline_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestValidateCatchesOldURLLeft leaves a table with the old URL in the destination (one
// the dump does not replace, kept because the admin chose Overwrite): Validate must find
// it, even though it only pulls rows the server matched, and fail the migration.
func TestValidateCatchesOldURLLeft(t *testing.T) {
	h := newHarness(t)
	in, _, _, dstDSN := sftpToFTP(t)
	db, err := sql.Open("mysql", dstDSN)
	require.NoError(t, err)
	defer db.Close()
	_, err = db.Exec("CREATE TABLE wp_links (link_id bigint PRIMARY KEY, link_url varchar(255), link_notes mediumtext) DEFAULT CHARSET=utf8mb4")
	require.NoError(t, err)
	_, err = db.Exec(`INSERT INTO wp_links VALUES (1, 'https://wordpress.org/', 'fine'), (2, 'https://example.org/', 'see http:\/\/old.test\/shop')`)
	require.NoError(t, err)
	in.Options.Overwrite = true
	d, err := h.svc.CreateMigration(context.Background(), in)
	require.NoError(t, err)
	d = h.waitDone(t, d.ID)
	require.Equal(t, "failed", d.Status)
	require.Equal(t, "validate", d.CurrentStep)
	require.Contains(t, d.FailureReason, "Validation failed: 1 value still links to the old URL")
	require.Contains(t, d.FailureReason, "wp_links")
	res := h.results(t, d.ID)
	var names []string
	for _, c := range res.Validation {
		if !c.OK {
			names = append(names, c.Name)
		}
	}
	require.Equal(t, []string{"old_url_left"}, names)
}
