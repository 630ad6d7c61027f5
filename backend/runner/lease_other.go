//go:build !unix && !windows

package runner

import "os"

// On platforms without flock or LockFileEx a lease is always free: a second process could then mark
// the first one's runs interrupted, so Ferry should run as one process there.
func tryLock(*os.File) (bool, error) { return true, nil }

func unlock(*os.File) error { return nil }
