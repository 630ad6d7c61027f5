package pipeline

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Files are paced only when at full speed they would end well before the import, to
// end a little before it, and never below a quarter of their full speed.
func TestPaceRate(t *testing.T) {
	const mb = 1e6
	// 400 MB of files at up to 25 MB/s (16 s) beside 400 MB of import at 10 MB/s (40 s):
	// paced to end at 0.9*40-1 = 35 s.
	require.InDelta(t, 400*mb/35, paceRate(400*mb, 400*mb, 10*mb, 25*mb), 1)
	// The import ends sooner than the files could: not paced.
	require.Zero(t, paceRate(400*mb, 100*mb, 10*mb, 25*mb))
	// A far-off import would pace the files below a quarter of their speed: a quarter.
	require.InDelta(t, 25*mb/4, paceRate(10*mb, 4000*mb, 10*mb, 25*mb), 1)
	// Nothing known yet, or nothing left on either side: not paced.
	require.Zero(t, paceRate(400*mb, 400*mb, 0, 25*mb))
	require.Zero(t, paceRate(400*mb, 400*mb, 10*mb, 0))
	require.Zero(t, paceRate(0, 400*mb, 10*mb, 25*mb))
	require.Zero(t, paceRate(400*mb, 0, 10*mb, 25*mb))
	// An import about to end: not paced.
	require.Zero(t, paceRate(400*mb, 5*mb, 10*mb, 25*mb))
}
