//go:build !windows

package pipeline

import "os"

// openShared opens path for reading; a Unix file stays readable through the open handle
// when it is renamed or removed (see the Windows version).
func openShared(path string) (*os.File, error) { return os.Open(path) }
