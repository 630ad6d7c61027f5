package transfer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// growEvery is how often Mirror weighs adding a connection (MirrorOptions.GrowTo).
var growEvery = 2 * time.Second

// streamBytes bounds the bytes of the files in flight beyond the first few: many
// streams are for small files, whose round trips they hide; big files gain nothing
// from more of them at once, and an interrupted run would leave them all partial. 4 MiB
// lets 64 streams of a WordPress's typical files (about 50 KB) all be in flight.
const streamBytes = 4 << 20

// smallStream is the size up to which a file is always let in flight, whatever the bytes
// of the others: at 40 ms such a file costs its streams three round trips, 120 ms or more,
// and its bytes little more than one (200 Mbit/s moves 1 MB in 40 ms).
const smallStream = 256 << 10

// jobQueue hands files to workers, largest first, and to the workers that ask for
// them, smallest first: over a far link a big file waits on bandwidth and a small one on
// round trips, so both kinds move at once, and the many small files do not remain alone
// at the end, paying their round trips after the bandwidth went idle. A worker that has
// to leave gives its file back, and the others only stop once no file is left or in
// hand. Up to base files are always in flight, more only while their bytes stay within
// streamBytes. A queue fed by a Relay keeps the order the files arrive in.
type jobQueue struct {
	mu        sync.Mutex
	cond      *sync.Cond
	jobs      []mirrorJob
	base      int
	busy      int
	busyBytes int64
	lent      int // files in bulk requests (see lend): in hand, outside streamBytes
	closed    bool
	open      bool // more jobs may still be pushed (a Relay's receiver)
	fed       bool // jobs come in the order a Relay sends them, not by size
}

func newJobQueue(jobs []mirrorJob, base int) *jobQueue {
	q := &jobQueue{jobs: jobs, base: base}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// take returns the next file, the smallest one left when small is set (and the queue
// is not fed by a Relay).
func (q *jobQueue) take(small bool) (mirrorJob, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	next := func() int {
		if small && !q.fed {
			return len(q.jobs) - 1
		}
		return 0
	}
	// pick is the file to take now, or -1: the next one while the bytes in flight allow it;
	// otherwise a small one, whose cost is its round trips, not its bytes: a big file
	// crawling over a busy link must not hold every stream's small files back.
	pick := func() int {
		i := next()
		if q.busy == 0 || q.busy < q.base || q.busyBytes+q.jobs[i].size <= streamBytes || q.jobs[i].size <= smallStream {
			return i
		}
		if !q.fed {
			if k := len(q.jobs) - 1; q.jobs[k].size <= smallStream {
				return k // the smallest
			}
			return -1
		}
		for k, j := range q.jobs {
			if j.size <= smallStream {
				return k // the first small one to arrive
			}
		}
		return -1
	}
	i := -1
	for !q.closed {
		if len(q.jobs) == 0 {
			if q.busy == 0 && q.lent == 0 && !q.open {
				break // nothing left, and nothing in hand that could come back
			}
		} else if i = pick(); i >= 0 {
			break
		}
		q.cond.Wait()
	}
	if len(q.jobs) == 0 || q.closed || i < 0 {
		return mirrorJob{}, false
	}
	j := q.jobs[i]
	q.jobs = slices.Delete(q.jobs, i, i+1)
	q.busy++
	q.busyBytes += j.size
	return j, true
}

// done ends the file j taken; back returns it for another worker.
func (q *jobQueue) done(j mirrorJob, back bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if back {
		q.jobs = append([]mirrorJob{j}, q.jobs...)
	}
	q.busy--
	q.busyBytes -= j.size
	q.cond.Broadcast()
}

// push adds a job at the end of an open queue.
func (q *jobQueue) push(j mirrorJob) {
	q.mu.Lock()
	q.jobs = append(q.jobs, j)
	q.mu.Unlock()
	q.cond.Broadcast()
}

// finish says no job will be pushed any more.
func (q *jobQueue) finish() {
	q.mu.Lock()
	q.open = false
	q.mu.Unlock()
	q.cond.Broadcast()
}

func (q *jobQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Broadcast()
}

func (q *jobQueue) left() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.open {
		return len(q.jobs) + 1 // more are coming
	}
	return len(q.jobs)
}

// openWorkers opens every worker's connections in parallel: the handshakes (TLS, SSH)
// overlap. A worker the server refuses as one too many is left out (its src stays
// nil) as long as another opened.
func (m *mirror) openWorkers(ctx context.Context, workers []*conns) error {
	m.alive.Store(int64(len(workers)))
	var wg sync.WaitGroup
	for i := range workers {
		workers[i] = &conns{}
		wg.Add(1)
		wctx := ctx
		if i > 0 {
			wctx = context.WithValue(ctx, spareKey{}, true)
		}
		go func(c *conns) {
			defer wg.Done()
			err := m.withRetry(wctx, c, ".", func() error { return nil })
			switch {
			case err == nil:
			case errors.Is(err, ErrNoSpare) && m.alive.Add(-1) > 0:
				c.close() // the opener had none to spare: nothing the admin needs to hear
			case errors.Is(err, ErrTooManyConnections) && m.alive.Add(-1) > 0:
				c.close()
				m.tell(fmt.Sprintf("The server refused one more connection; Ferry goes on with fewer (%s)", Message(err)))
			default:
				m.fail(err)
			}
		}(workers[i])
	}
	wg.Wait()
	if err := m.firstErr(ctx); err != nil {
		return err
	}
	m.alive.Store(0)
	for _, c := range workers {
		if c.src != nil {
			m.alive.Add(1)
		}
	}
	return nil
}

// tell passes msg to OnNotice, once per Mirror.
func (m *mirror) tell(msg string) {
	m.notice.Do(func() {
		if m.opts.OnNotice != nil {
			m.opts.OnNotice(msg)
		}
	})
}

// far reports whether the first worker's source or destination is a server a long round
// trip away.
func far(workers []*conns) bool {
	if len(workers) == 0 {
		return false
	}
	for _, t := range []Tree{workers[0].src, workers[0].dst} {
		if l, ok := t.(Latency); ok && l.RoundTrip() >= FarRoundTrip {
			return true
		}
	}
	return false
}

// copyAll copies the jobs of q with one worker per connection in workers, and, with GrowTo,
// adds connections while that still raises throughput. A worker whose connection the
// server refuses (too many connections) leaves, giving its file to the others, as long
// as one worker remains.
func (m *mirror) copyAll(ctx context.Context, workers []*conns, q *jobQueue) {
	defer context.AfterFunc(ctx, q.close)()
	var wg sync.WaitGroup
	alive := &m.alive
	alive.Store(int64(len(workers)))
	notice := m.tell
	var copied atomic.Int64 // bytes plus 32 KiB a file: what a round trip is worth
	// running counts the workers copying; when it falls to zero the copy is over and
	// growth ends at once instead of at its next period.
	var running atomic.Int64
	over := make(chan struct{})
	var overOnce sync.Once
	// Every other worker takes the smallest file left (jobQueue); a lone worker the
	// largest.
	work := func(c *conns, small bool) {
		defer wg.Done()
		defer func() {
			if running.Add(-1) == 0 {
				overOnce.Do(func() { close(over) })
			}
		}()
		for {
			// while small files come in bulk, every worker takes the big ones
			j, ok := q.take(small && (m.opts.Bulk == nil || m.bulk.off.Load()))
			if !ok {
				return
			}
			err := m.copyWithRetry(ctx, c, j)
			if errors.Is(err, ErrTooManyConnections) && ctx.Err() == nil && alive.Add(-1) > 0 {
				q.done(j, true)
				c.close()
				notice(fmt.Sprintf("The server refused one more connection; Ferry goes on with %d", alive.Load()))
				return
			}
			q.done(j, false)
			if err != nil {
				m.fail(err)
				return
			}
			copied.Add(j.size + 32<<10)
		}
	}
	// Over a far link each connection waits on round trips far more than on bytes: every
	// connection allowed pays, so growth opens them at once. Asked before the workers
	// start, since a worker that reconnects replaces its Trees.
	isFar := far(workers)
	if m.opts.Bulk != nil && !q.fed {
		for range bulkLanes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m.bulkCopy(ctx, q)
			}()
		}
	}
	for i, c := range workers {
		alive.Add(1)
		running.Add(1)
		wg.Add(1)
		go work(c, i%2 == 1)
	}
	var grown []*conns
	defer func() {
		for _, c := range grown {
			c.close()
		}
	}()
	if m.opts.GrowTo > len(workers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(growEvery)
			defer t.Stop()
			var prev, last int64 = -1, 0
			// tick waits one growth period; false once the copy or ctx ended
			tick := func() bool {
				select {
				case <-ctx.Done():
					return false
				case <-over:
					return false
				case <-t.C:
					return true
				}
			}
			for n := len(workers); n < m.opts.GrowTo; n++ {
				// While small files come in bulk the workers copy the big ones, for which
				// the connections they have are enough: the host sees no more connections
				// than it must. Growth resumes if bulk fetching stops.
				for m.opts.Bulk != nil && !m.bulk.off.Load() {
					if !tick() {
						return
					}
				}
				if !isFar && !tick() {
					return
				}
				now := copied.Load()
				rate := now - last
				last = now
				if q.left() == 0 || !isFar && prev >= 0 && rate*20 < prev*21 {
					return // nothing left to share, or the last connection added did not pay
				}
				prev = rate
				c := &conns{}
				if err := m.reopen(ctx, c); err != nil {
					c.close()
					if ctx.Err() == nil {
						notice(fmt.Sprintf("The server refused connection %d; Ferry goes on with %d (%s)", n+1, n, Message(err)))
					}
					return
				}
				grown = append(grown, c)
				alive.Add(1)
				running.Add(1)
				wg.Add(1)
				go work(c, n%2 == 1)
			}
		}()
	}
	wg.Wait()
}

type spareKey struct{}

// IsSpare reports whether ctx opens a connection Mirror can do without (each worker's
// past the first, at the start). An opener that would have to wait for one (a host's
// connection budget shared with other copies) may refuse it at once with an error
// wrapping ErrNoSpare: Mirror goes on with the workers it has. Copies that each hold
// part of their connections and wait for the rest would otherwise wait on each other.
func IsSpare(ctx context.Context) bool {
	v, _ := ctx.Value(spareKey{}).(bool)
	return v
}

// ErrNoSpare is an opener refusing a connection IsSpare asked for.
var ErrNoSpare = fmt.Errorf("%w: none to spare", ErrTooManyConnections)
