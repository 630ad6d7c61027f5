package transfer_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/transfer"
)

type closer struct{ closed atomic.Int32 }

func (c *closer) Close() error { c.closed.Add(1); return nil }

func TestParking(t *testing.T) {
	p := &transfer.Parking{MaxPerKey: 2, Linger: time.Minute}
	a, b, c := &closer{}, &closer{}, &closer{}
	require.True(t, p.Put("k", a))
	require.True(t, p.Put("k", b))
	require.False(t, p.Put("k", c), "more than MaxPerKey")
	require.True(t, p.Put("other", c))
	require.Nil(t, p.Take("none"))
	require.Same(t, b, p.Take("k"), "the last parked first")
	require.Equal(t, 2, p.Idle())
	require.NoError(t, p.Close())
	require.Equal(t, int32(1), a.closed.Load())
	require.Equal(t, int32(1), c.closed.Load())
	require.Equal(t, int32(0), b.closed.Load(), "taken: no longer the Parking's to close")
	require.False(t, p.Put("k", b), "closed")
	require.Nil(t, p.Take("k"))

	short := &transfer.Parking{Linger: 20 * time.Millisecond}
	d := &closer{}
	require.True(t, short.Put("k", d))
	require.Eventually(t, func() bool { return d.closed.Load() == 1 }, 2*time.Second, 5*time.Millisecond)
	require.Nil(t, short.Take("k"))
}
