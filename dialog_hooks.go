//go:build !dev

package main

// e2eChoice is the test hook of the -tags dev binary (see dialog_hooks_dev.go); a real
// build always shows the native dialog.
func e2eChoice(string) (string, bool) { return "", false }
