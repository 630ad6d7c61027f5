package transfer

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// takeWithin returns what q.take gives within d, or ok false with the call left waiting.
func takeWithin(q *jobQueue, small bool, d time.Duration) (mirrorJob, bool, chan mirrorJob) {
	got := make(chan mirrorJob, 1)
	go func() {
		if j, ok := q.take(small); ok {
			got <- j
		}
	}()
	select {
	case j := <-got:
		return j, true, nil
	case <-time.After(d):
		return mirrorJob{}, false, got
	}
}

// TestSmallFilesPassBigFilesBytes: once the bytes in flight pass streamBytes, another big
// file waits, but a small one (its cost is round trips) is taken at once, in a Relay's
// queue (arrival order, the big one ahead) and in a sorted one alike.
func TestSmallFilesPassBigFilesBytes(t *testing.T) {
	big := func(name string) mirrorJob { return mirrorJob{rel: name, size: 3 * streamBytes / 4} }
	small := mirrorJob{rel: "small.php", size: 4 << 10}
	queues := map[string]func() *jobQueue{
		"relay": func() *jobQueue {
			q := newJobQueue(nil, 1)
			q.open, q.fed = true, true
			for _, j := range []mirrorJob{big("a.mp4"), big("b.mp4"), small} {
				q.push(j)
			}
			return q
		},
		"sorted": func() *jobQueue { return newJobQueue([]mirrorJob{big("a.mp4"), big("b.mp4"), small}, 1) }, // largest first
	}
	for name, newQueue := range queues {
		t.Run(name, func(t *testing.T) {
			q := newQueue()
			j, ok := q.take(false)
			require.True(t, ok)
			require.Equal(t, "a.mp4", j.rel)
			// a.mp4's bytes leave no room for b.mp4: the small file behind it goes first
			j, ok, _ = takeWithin(q, false, time.Second)
			require.True(t, ok, "the small file waited for the big one's bytes")
			require.Equal(t, "small.php", j.rel)
			_, ok, waiting := takeWithin(q, false, 100*time.Millisecond)
			require.False(t, ok, "a second big file went in flight beyond streamBytes")
			q.done(big("a.mp4"), false)
			select {
			case j := <-waiting:
				require.Equal(t, "b.mp4", j.rel)
			case <-time.After(time.Second):
				t.Fatal("b.mp4 still waits once a.mp4 is done")
			}
		})
	}
}
