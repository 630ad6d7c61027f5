// Package progress counts the bytes of a stream as they pass and reports how far along
// it is, how fast it goes and when it should end. One Meter wraps any io.Reader or
// io.Writer, so the FTP, SFTP, zip and SQL steps of a migration share one way of
// reporting, and the UI receives at most ten updates a second however small the writes.
package progress

import (
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// MinInterval is the shortest time allowed between two callbacks: the UI cannot show
// more than about ten changes a second, and every event crosses the Wails bridge.
const MinInterval = 100 * time.Millisecond

// window is how far back speed looks: long enough to smooth out one slow file, short
// enough that the speed shown follows a link that gets slower.
const window = 5 * time.Second

// Snapshot is the state of a Meter at one moment.
type Snapshot struct {
	// Done and Total count bytes; Total is 0 when unknown.
	Done, Total int64
	// FilesDone and FilesTotal count whole files for tree copies; both 0 for one stream.
	FilesDone, FilesTotal int64
	// Speed is bytes per second over the last few seconds.
	Speed float64
	// ETA is the estimated time left, or -1 when unknown (no total or no speed yet).
	ETA time.Duration
	// Percent is 0..100 of Total bytes, or 0 when Total is unknown.
	Percent float64
	// Final is set on the last snapshot, the one Done delivers.
	Final bool
}

type sample struct {
	at   time.Time
	done int64
}

// Meter counts bytes and files and calls its callback at most once per interval, plus
// once more from Done. Add, Reader and Writer are safe for concurrent use, so parallel
// transfers can share one Meter; the callback is never called concurrently.
type Meter struct {
	done, total           atomic.Int64
	filesDone, filesTotal atomic.Int64
	// next is the Unix-nano time before which no callback is due; a CAS on it picks the
	// one goroutine that reports, so the hot path never waits on a lock.
	next     atomic.Int64
	every    time.Duration
	fn       func(Snapshot)
	now      func() time.Time
	start    time.Time
	mu       sync.Mutex // guards samples, finished, and serialises fn
	samples  []sample
	finished bool
}

// NewMeter returns a Meter for total bytes (0 when unknown) that calls fn at most once
// per every (never more often than MinInterval). fn may be nil when only Snapshot is
// read.
func NewMeter(total int64, every time.Duration, fn func(Snapshot)) *Meter {
	return newMeter(total, every, fn, time.Now)
}

func newMeter(total int64, every time.Duration, fn func(Snapshot), now func() time.Time) *Meter {
	if every < MinInterval {
		every = MinInterval
	}
	m := &Meter{every: every, fn: fn, now: now, start: now()}
	m.total.Store(total)
	m.next.Store(m.start.Add(every).UnixNano())
	m.samples = append(m.samples, sample{at: m.start})
	return m
}

// Add counts n more bytes and reports if a callback is due.
func (m *Meter) Add(n int64) {
	if n == 0 {
		return
	}
	m.done.Add(n)
	m.maybeReport()
}

// AddTotal grows (or, negative, shrinks) the expected total, for callers that learn
// the size as they go.
func (m *Meter) AddTotal(n int64) { m.total.Add(n) }

// SetFiles sets the number of files expected.
func (m *Meter) SetFiles(total int64) { m.filesTotal.Store(total) }

// FileDone counts one finished file and reports if a callback is due.
func (m *Meter) FileDone() {
	m.filesDone.Add(1)
	m.maybeReport()
}

// Reader returns r counting every byte read through it.
func (m *Meter) Reader(r io.Reader) io.Reader { return &reader{r: r, m: m} }

// Writer returns w counting every byte written through it.
func (m *Meter) Writer(w io.Writer) io.Writer { return &writer{w: w, m: m} }

// Done delivers the final snapshot, whatever the throttle says. Later calls do nothing,
// so it is safe to defer.
func (m *Meter) Done() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.finished {
		return
	}
	m.finished = true
	s := m.snapshotLocked(m.now())
	s.Final = true
	if m.fn != nil {
		m.fn(s)
	}
}

// Snapshot returns the current state without calling the callback.
func (m *Meter) Snapshot() Snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.snapshotLocked(m.now())
}

func (m *Meter) maybeReport() {
	now := m.now()
	due := m.next.Load()
	if now.UnixNano() < due {
		return
	}
	if !m.next.CompareAndSwap(due, now.Add(m.every).UnixNano()) {
		return // another goroutine reports this tick
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.finished {
		return
	}
	s := m.snapshotLocked(now)
	m.samples = append(m.samples, sample{at: now, done: s.Done})
	// Keep one sample older than the window so speed always spans a full window.
	cut := 0
	for cut+1 < len(m.samples) && now.Sub(m.samples[cut+1].at) >= window {
		cut++
	}
	m.samples = m.samples[cut:]
	if m.fn != nil {
		m.fn(s)
	}
}

func (m *Meter) snapshotLocked(now time.Time) Snapshot {
	s := Snapshot{
		Done:       m.done.Load(),
		Total:      m.total.Load(),
		FilesDone:  m.filesDone.Load(),
		FilesTotal: m.filesTotal.Load(),
		ETA:        -1,
	}
	oldest := m.samples[0]
	if dt := now.Sub(oldest.at).Seconds(); dt > 0 {
		s.Speed = float64(s.Done-oldest.done) / dt
	}
	if s.Total > 0 {
		s.Percent = 100 * float64(s.Done) / float64(s.Total)
		if s.Percent > 100 {
			s.Percent = 100
		}
		switch left := s.Total - s.Done; {
		case left <= 0:
			s.ETA = 0
		case s.Speed > 0:
			s.ETA = time.Duration(float64(left) / s.Speed * float64(time.Second))
		}
	}
	return s
}

type reader struct {
	r io.Reader
	m *Meter
}

func (r *reader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.m.Add(int64(n))
	return n, err
}

type writer struct {
	w io.Writer
	m *Meter
}

func (w *writer) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	w.m.Add(int64(n))
	return n, err
}
