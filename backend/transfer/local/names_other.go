//go:build !windows

package local

// checkName accepts every path CleanPath accepts: Unix file systems take any name
// without a slash or NUL.
func checkName(string) error { return nil }
