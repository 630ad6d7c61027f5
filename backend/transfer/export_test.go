package transfer

import "time"

// SetGrowEvery makes Mirror weigh adding a connection every d, for tests; the returned
// func restores the default.
func SetGrowEvery(d time.Duration) func() {
	old := growEvery
	growEvery = d
	return func() { growEvery = old }
}
