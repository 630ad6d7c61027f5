package cli

import (
	"context"
	"fmt"
	"io"

	"ferry/backend/engine"
	"ferry/backend/service"
)

// startManual attaches, verifies and continues a manual migration from the spec's files.
// ok is false when the command must end with code.
func startManual(ctx context.Context, e *engine.Engine, d service.MigrationDetail, sp Spec, stderr io.Writer) (code int, ok bool) {
	if d.Method != "manual" {
		return 0, true
	}
	fmt.Fprintln(stderr, "ferry migrate: the manual method is not available headless yet")
	return ExitError, false
}
