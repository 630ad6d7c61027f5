//go:build !dev

package main

import "strings"

// windowArg is true only for the -psn_… argument older macOS Finders add when they
// launch an app; a release build takes no other argument for its window.
func windowArg(arg string) bool { return strings.HasPrefix(arg, "-psn_") }
