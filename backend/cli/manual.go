package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"ferry/backend/engine"
	"ferry/backend/service"
)

// startManual attaches the spec's files to a manual migration, verifies them and
// continues the import, as the Process Details tab does. ok is false when the command
// must end now with code.
func startManual(ctx context.Context, e *engine.Engine, d service.MigrationDetail, sp Spec, stderr io.Writer) (code int, ok bool) {
	if d.Method != "manual" {
		return 0, true
	}
	if len(sp.Files) != 2 {
		fmt.Fprintln(stderr, "ferry migrate: the manual method needs \"files\": [\"wordpress-files.zip\", \"database.sql\"]")
		return ExitUsage, false
	}
	paths := make([]string, len(sp.Files))
	for i, f := range sp.Files {
		abs, err := filepath.Abs(f)
		if err != nil {
			fmt.Fprintf(stderr, "ferry migrate: %v\n", err)
			return ExitUsage, false
		}
		paths[i] = abs
	}
	if _, err := e.Service.AttachFiles(ctx, d.ID, paths); err != nil {
		fmt.Fprintf(stderr, "ferry migrate: %s\n", describe(err))
		return ExitError, false
	}
	rep, err := e.Service.VerifyMigration(ctx, d.ID)
	if err != nil {
		fmt.Fprintf(stderr, "ferry migrate: %s\n", describe(err))
		return ExitError, false
	}
	for _, f := range rep.Found {
		fmt.Fprintf(stderr, "  found: %s\n", f)
	}
	for _, p := range rep.Problems {
		kind := "problem"
		if p.Warning {
			kind = "warning"
		}
		fmt.Fprintf(stderr, "  %s: %s\n", kind, p.Message)
	}
	if !rep.OK {
		fmt.Fprintf(stderr, "Migration %d: Verify found problems; fix the files and run again\n", d.ID)
		return ExitError, false
	}
	if _, err := e.Service.ContinueImport(ctx, d.ID); err != nil {
		fmt.Fprintf(stderr, "ferry migrate: %s\n", describe(err))
		return ExitError, false
	}
	return 0, true
}
