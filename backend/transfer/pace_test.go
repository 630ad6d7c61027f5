package transfer_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/transfer"
)

// A Pacer at 10 MB/s holds 3 MB to at least the 0.3 s they cost (less the burst it
// allows); unpaced, or nil, it never waits; a cancelled wait returns the ctx's error.
func TestPacerHoldsBytesToItsRate(t *testing.T) {
	ctx := context.Background()
	var p transfer.Pacer
	start := time.Now()
	for range 300 {
		require.NoError(t, p.Wait(ctx, 10_000))
	}
	require.Less(t, time.Since(start), 100*time.Millisecond, "an unpaced Pacer must not wait")
	var none *transfer.Pacer
	require.NoError(t, none.Wait(ctx, 1<<30))
	require.Zero(t, none.Rate())

	p.SetRate(10e6)
	require.Equal(t, 10e6, p.Rate())
	start = time.Now()
	for range 300 {
		require.NoError(t, p.Wait(ctx, 10_000))
	}
	require.GreaterOrEqual(t, time.Since(start), 190*time.Millisecond)

	p.SetRate(1) // a byte a second: the next wait would take days
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, p.Wait(cctx, 1<<20), context.DeadlineExceeded)
	p.SetRate(0)
	require.NoError(t, p.Wait(ctx, 1<<20))
}
