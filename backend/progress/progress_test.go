package progress

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// clock is a manual time source so throttling is tested without sleeping.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestMeterThrottlesAndDeliversFinal(t *testing.T) {
	tests := []struct {
		name      string
		every     time.Duration
		step      time.Duration
		adds      int
		wantCalls int // throttled calls, before the final one
	}{
		{"ten a second at most even when asked for more", time.Millisecond, 10 * time.Millisecond, 100, 10},
		{"every 500ms", 500 * time.Millisecond, 10 * time.Millisecond, 100, 2},
		{"nothing due before done", time.Second, time.Millisecond, 50, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &clock{t: time.Unix(1000, 0)}
			var got []Snapshot
			m := newMeter(int64(tc.adds), tc.every, func(s Snapshot) { got = append(got, s) }, c.now)
			for i := 0; i < tc.adds; i++ {
				c.advance(tc.step)
				m.Add(1)
			}
			require.Len(t, got, tc.wantCalls)
			m.Done()
			m.Done()
			require.Len(t, got, tc.wantCalls+1, "Done delivers exactly one final snapshot")
			last := got[len(got)-1]
			require.True(t, last.Final)
			require.Equal(t, int64(tc.adds), last.Done)
			require.InDelta(t, 100, last.Percent, 0.001)
			require.Equal(t, time.Duration(0), last.ETA)
		})
	}
}

func TestMeterSpeedAndETA(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	var got []Snapshot
	m := newMeter(10_000, 100*time.Millisecond, func(s Snapshot) { got = append(got, s) }, c.now)
	// 100 bytes every 100 ms is 1,000 B/s: after 20 steps 2,000 done, 8,000 left, 8 s.
	for i := 0; i < 20; i++ {
		c.advance(100 * time.Millisecond)
		m.Add(100)
	}
	s := got[len(got)-1]
	require.Equal(t, int64(2000), s.Done)
	require.InDelta(t, 1000, s.Speed, 1)
	require.InDelta(t, 8*time.Second, s.ETA, float64(50*time.Millisecond))
	require.InDelta(t, 20, s.Percent, 0.001)

	// The link slows to 100 B/s: after the window passes, speed follows it.
	for i := 0; i < 80; i++ {
		c.advance(100 * time.Millisecond)
		m.Add(10)
	}
	s = got[len(got)-1]
	require.InDelta(t, 100, s.Speed, 5, "speed is measured over a moving window, not since start")
}

func TestMeterUnknownTotal(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	m := newMeter(0, time.Second, nil, c.now)
	c.advance(time.Second)
	m.Add(500)
	s := m.Snapshot()
	require.Equal(t, time.Duration(-1), s.ETA)
	require.Zero(t, s.Percent)
	require.InDelta(t, 500, s.Speed, 0.01)
}

func TestMeterReaderWriterCount(t *testing.T) {
	m := NewMeter(0, time.Second, nil)
	var dst bytes.Buffer
	n, err := io.Copy(m.Writer(&dst), m.Reader(strings.NewReader("hello, ferry")))
	require.NoError(t, err)
	require.Equal(t, int64(12), n)
	require.Equal(t, int64(24), m.Snapshot().Done, "bytes pass through both the reader and the writer")
	require.Equal(t, "hello, ferry", dst.String())
}

func TestMeterConcurrentUse(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	inCallback := false
	m := NewMeter(8*1000, time.Millisecond, func(Snapshot) {
		require.False(t, inCallback, "callbacks never overlap")
		inCallback = true
		mu.Lock()
		calls++
		mu.Unlock()
		inCallback = false
	})
	m.SetFiles(8)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				m.Add(1)
			}
			m.FileDone()
		}()
	}
	wg.Wait()
	m.Done()
	s := m.Snapshot()
	require.Equal(t, int64(8000), s.Done)
	require.Equal(t, int64(8), s.FilesDone)
	require.Equal(t, int64(8), s.FilesTotal)
	require.GreaterOrEqual(t, calls, 1)
}

func ExampleMeter() {
	m := NewMeter(12, time.Second, func(s Snapshot) {
		if s.Final {
			fmt.Println(s.Done, "of", s.Total, "bytes,", s.Percent, "%")
		}
	})
	_, _ = io.Copy(io.Discard, m.Reader(strings.NewReader("hello, ferry")))
	m.Done()
	// Output: 12 of 12 bytes, 100 %
}
