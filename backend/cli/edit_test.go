package cli

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/service"
)

// TestEditAndSwitchCommands: `ferry edit 3 --spec patch.json` on the seeded failed manual
// migration changes only what the patch names (an env: secret included) and keeps the
// rest; the stored value is the environment's, never the "env:" text.
func TestEditAndSwitchCommands(t *testing.T) {
	seed(t)
	ctx := context.Background()
	t.Setenv("NEW_DB_PASS", "rotated-db-pass-42")
	patch := writeSpec(t, `{"destination": {"path": "/srv/www/cy2", "db": {"password": "env:NEW_DB_PASS"}}}`)
	var out, errb bytes.Buffer
	code := Run(ctx, []string{"edit", "3", "--spec", patch}, &out, &errb)
	require.Equal(t, ExitOK, code, errb.String())
	require.Contains(t, out.String(), "changed destination.path, destination.db.password; `ferry retry 3` starts from Check destination")
	require.NotContains(t, out.String()+errb.String(), "rotated-db-pass-42")

	svc, err := service.Open(ctx, service.Config{})
	require.NoError(t, err)
	d, err := svc.GetMigration(ctx, 3)
	require.NoError(t, err)
	require.Equal(t, "/srv/www/cy2", d.Destination.Path)
	require.Equal(t, "127.0.0.1", d.Destination.DB.Host, "fields the patch leaves out are kept")
	pw, err := svc.RevealSecret(ctx, 3, "destination.db.password")
	require.NoError(t, err)
	require.Equal(t, "rotated-db-pass-42", pw)
	require.NoError(t, svc.Close())

	out.Reset()
	errb.Reset()
	require.Equal(t, ExitUsage, Run(ctx, []string{"edit", "3", "--spec", writeSpec(t, `{"newUrl": "nope"}`)}, &out, &errb))
	require.Contains(t, errb.String(), `"newUrl"`)
	// A manual migration cannot switch to manual; an unknown ID is said so.
	require.Equal(t, ExitError, Run(ctx, []string{"switch-to-manual", "3"}, &out, &errb))
	require.Contains(t, errb.String(), "already manual")
	errb.Reset()
	require.Equal(t, ExitError, Run(ctx, []string{"edit", "99", "--spec", patch}, &out, &errb))
	require.Contains(t, errb.String(), "99")
}
