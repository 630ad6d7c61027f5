//go:build !windows

package local

import "os"

// RemoveAll deletes dir and what it holds, as os.RemoveAll; see removeall_windows.go for
// why Windows needs more.
func RemoveAll(dir string) error { return os.RemoveAll(dir) }
