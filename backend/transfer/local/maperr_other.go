//go:build !windows

package local

// mapOSErr has nothing to add where the syscall errors are the POSIX ones MapErr knows.
func mapOSErr(error) error { return nil }
