//go:build dev

package main

import "strings"

// windowArg is true for flags: the -tags dev binary passes them to Wails (-assetdir,
// -devserver, -loglevel).
func windowArg(arg string) bool { return strings.HasPrefix(arg, "-") }
