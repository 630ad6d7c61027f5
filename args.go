package main

import "ferry/backend/cli"

// headless reports whether the command line (os.Args[1:]) is for cli.Run rather than
// the window: every argument is, except the flags a development build hands to Wails
// (-assetdir, -devserver, …). An unknown word such as "ferry frobnicate" therefore gets
// the usage text and exit code 2 instead of a window, as does "ferry --version" its
// version.
func headless(args []string) bool {
	if len(args) == 0 {
		return false
	}
	return cli.IsCommand(args[0]) || !windowArg(args[0])
}
