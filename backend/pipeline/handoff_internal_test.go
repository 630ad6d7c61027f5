package pipeline

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/transfer"
)

// countedTree is a Tree that counts its Closes (a logout each).
type countedTree struct {
	transfer.Tree
	closes *atomic.Int64
}

func (t countedTree) Close() error { t.closes.Add(1); return nil }

// TestHandoffGoesToOneTakerAndEndsWithTheRun: Download files gets Analyse source's logins
// before it logs in anew, logs out of those it did not use, and a run that ends before
// Download files logs out of the kept ones.
func TestHandoffGoesToOneTakerAndEndsWithTheRun(t *testing.T) {
	var closes, dials atomic.Int64
	trees := func(n int) []transfer.Tree {
		var ts []transfer.Tree
		for range n {
			ts = append(ts, countedTree{closes: &closes})
		}
		return ts
	}
	dial := func(context.Context) (transfer.Tree, error) {
		dials.Add(1)
		return countedTree{closes: &closes}, nil
	}
	p := &Pipeline{}
	p.handOver(7, trees(3))
	kept := p.takeHandoff(7)
	require.Len(t, kept, 3)
	require.Nil(t, p.takeHandoff(7), "handed over once")
	open, leftover := reuse(kept[:2], dial)
	for range 3 {
		_, err := open(context.Background())
		require.NoError(t, err)
	}
	require.EqualValues(t, 1, dials.Load(), "two kept logins used before a new one")
	leftover()
	require.EqualValues(t, 0, closes.Load(), "the taken trees are the taker's to close")
	open, leftover = reuse(trees(2), dial)
	_, err := open(context.Background())
	require.NoError(t, err)
	leftover()
	require.EqualValues(t, 1, closes.Load(), "the one not taken logs out")
	closes.Store(0)

	p.handOver(8, trees(2))
	p.closePools(8) // the run ended (stopped, failed or done) before Download files
	require.EqualValues(t, 2, closes.Load())
	require.Nil(t, p.takeHandoff(8))
}
