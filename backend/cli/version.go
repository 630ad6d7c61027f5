package cli

import (
	"context"
	"fmt"
	"io"
	"runtime"
)

// Version is Ferry's version. The Makefile sets it from wails.json's productVersion with
// -ldflags "-X ferry/backend/cli.Version=…"; a plain go build says "dev".
var Version = "dev"

func init() {
	commands["version"] = command{"Print Ferry's version and exit", runVersion}
}

// isVersionFlag reports whether arg asks for the version the way most tools spell it.
func isVersionFlag(arg string) bool { return arg == "--version" || arg == "-version" || arg == "-v" }

func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if args[0] == "-h" || args[0] == "--help" {
			fmt.Fprintln(stderr, "Usage: ferry version (or ferry --version)")
			return ExitOK
		}
		fmt.Fprintf(stderr, "ferry version: unexpected argument %q\n", args[0])
		return ExitUsage
	}
	fmt.Fprintf(stdout, "ferry %s %s/%s\n", Version, runtime.GOOS, runtime.GOARCH)
	return ExitOK
}
