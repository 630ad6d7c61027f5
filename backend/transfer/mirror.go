package transfer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"ferry/backend/progress"
)

// Worker limits: four connections is what shared hosts tolerate without complaint; more
// than sixteen gets an account throttled or banned on most of them.
const (
	DefaultWorkers = 4
	MaxWorkers     = 16
	// MaxStreams bounds the files in flight over connections that carry many at once.
	MaxStreams = 128
)

// MirrorOptions tunes Mirror. The zero value copies the whole tree with four workers.
type MirrorOptions struct {
	// SrcDir and DstDir are the folders to copy from and into, relative to each Tree's
	// root ("" or "." for the root itself). DstDir is created when missing.
	SrcDir, DstDir string
	// Workers is the number of parallel connections per side: 0 means DefaultWorkers,
	// more than MaxWorkers is refused.
	Workers int
	// Streams is the number of files in flight (0: Workers, at most MaxStreams). Each
	// stream opens its own Trees through the Openers; an Opener whose Trees share one
	// connection (sftp.Pool) lets Streams exceed the connections opened.
	Streams int
	// Exclude lists glob patterns (see Excluder) left out of the copy.
	Exclude []string
	// Atomic lists files (relative to SrcDir) written under a temporary name beside
	// their place and renamed into it once whole, so that a copy stopped midway never
	// leaves them half-written (wp-config.php: a truncated one takes a site down). They
	// are never resumed; each costs a rename's round trip more.
	Atomic []string
	// Previous is the manifest of an earlier, interrupted run into the same DstDir: a
	// file it lists with the source's size, whose destination copy has that size too,
	// is kept instead of copied again (Retry).
	Previous *Manifest
	// Retries is how many times one file is retried after a transient error (default
	// 5, negative for none); each retry opens fresh connections.
	Retries int
	// RetryDelay is the first backoff (default 200 ms); it doubles up to 10 s.
	RetryDelay time.Duration
	// ResumeMin is the smallest file resumed from its offset rather than copied again
	// (default 1 MiB): below it, the round trips a resume costs exceed the bytes saved.
	ResumeMin int64
	// Progress receives files and bytes done, speed and ETA at most every
	// ProgressEvery (default and minimum 100 ms), and always once at the end.
	Progress      func(progress.Snapshot)
	ProgressEvery time.Duration
	// Meter, when set, is given the copy's meter once Mirror knows what it copies, for a
	// caller that reads the totals as they are between two Progress calls (a burst of
	// writes that then waits on the server reports nothing until it moves again).
	Meter func(*progress.Meter)
	// OnRetry, when set, hears about each retry so the caller can log it.
	OnRetry func(path string, attempt int, err error)
	// SourceListing, when set, is what a Walk of SrcDir on the source returned moments
	// ago (Analyse source lists the site to count it): Mirror plans from it instead of
	// listing the source a second time.
	SourceListing []Entry
	// GrowTo, above Workers, lets Mirror add connections one at a time up to GrowTo
	// while throughput still rises; a server refusing one more is not an error.
	GrowTo int
	// OnNotice, when set, hears what the admin may want to know (once each).
	OnNotice func(msg string)
	// ManifestPath, when set, is a file on this machine where the manifest is written
	// (also after a failure, listing the files completed, so Retry can use it).
	ManifestPath string
	// RelayTo, when set, hears of this Mirror's plan and of each file once complete
	// (see Relay); Mirror ends it when it returns.
	RelayTo *Relay
	// RelayFrom, when set, makes this Mirror copy the files another Mirror sends
	// through it, as they come, instead of listing the source (see Relay).
	RelayFrom *Relay
	// Bulk, when set, fetches the small files (BulkMax bytes or less) many at a time,
	// beside the workers, which then take the big ones, largest first. A file Bulk
	// cannot deliver, or delivers at another size than listed, goes to the workers; when
	// Bulk fails as a whole, the workers copy the rest and OnNotice says why. Files in
	// Atomic never go through Bulk. Not with RelayFrom.
	Bulk BulkReader
	// BulkMax is the biggest file Bulk fetches (default 1 MiB).
	BulkMax int64
	// Pace, when set, holds the copy's bytes to its rate (several copies may share it).
	Pace *Pacer
}

// OrderedWriter is implemented by Trees whose Create writes bytes strictly in order,
// so a partial file is always a prefix of what was sent. Mirror resumes such files
// trusting their prefix; other Trees (SFTP with concurrent writes, which can leave
// holes) are resumed only after the prefix hashes of source and destination match.
type OrderedWriter interface {
	WritesInOrder() bool
}

type mirrorJob struct {
	rel  string
	size int64
	mode fs.FileMode // the source's permission bits, 0 when unknown
	// noBulk: a bulk reader gave this file back, and the workers copy it
	noBulk bool
}

type mirror struct {
	opts     MirrorOptions
	base     int // files always allowed in flight (the connections asked for)
	src, dst Opener
	srcDir   string
	dstDir   string
	meter    *progress.Meter
	dstSizes map[string]int64 // destination files found before copying, by rel path
	allDirs  []string         // every source folder, existing on the destination or not

	journal *journal     // nil without ManifestPath
	alive   atomic.Int64 // workers still copying
	notice  sync.Once
	bulk    bulk

	mu      sync.Mutex
	files   []ManifestFile
	skipped []string
	err     error
	cancel  context.CancelFunc
}

type conns struct {
	src, dst Tree
}

func (c *conns) close() {
	if c.src != nil {
		_ = c.src.Close()
		c.src = nil
	}
	if c.dst != nil {
		_ = c.dst.Close()
		c.dst = nil
	}
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 256*1024); return &b }}

// Mirror copies every file under opts.SrcDir of src into opts.DstDir of dst, with
// opts.Workers connections on each side, each reused for many files, and returns the
// manifest of what it copied. Directories are created before any file moves; files
// are copied largest first so one big file does not finish last alone, and by every
// other worker smallest first so the small files' round trips overlap the big files'
// bytes instead of following them. A transient error retries that file on fresh
// connections with exponential backoff, resuming from its offset where that is safe;
// any other error stops the whole mirror, because a bad password or a full disk will
// not get better. Cancelling ctx stops every connection. The manifest holds only files
// copied completely.
func Mirror(ctx context.Context, src, dst Opener, opts MirrorOptions) (_ Manifest, err error) {
	m, err := newMirror(src, dst, opts)
	if err != nil {
		if opts.RelayTo != nil {
			opts.RelayTo.End(err)
		}
		return Manifest{}, err
	}
	if opts.RelayTo != nil {
		// After the manifest is written: the receiver ends no sooner than this Mirror.
		defer func() { opts.RelayTo.End(err) }()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	m.cancel = cancel
	if opts.ManifestPath != "" {
		if m.journal, err = openJournal(JournalPath(opts.ManifestPath)); err != nil {
			return Manifest{}, err
		}
	}
	man, err := m.run(ctx)
	if opts.ManifestPath != "" {
		werr := errors.Join(m.journal.close(), WriteManifestFile(opts.ManifestPath, man))
		if werr == nil {
			werr = removeJournal(opts.ManifestPath) // the manifest now lists what it did
		}
		if werr != nil && err == nil {
			err = werr
		}
	}
	return man, err
}

func newMirror(src, dst Opener, opts MirrorOptions) (*mirror, error) {
	if src == nil || dst == nil {
		return nil, errors.New("mirror: source and destination are required")
	}
	switch {
	case opts.Workers == 0:
		opts.Workers = DefaultWorkers
	case opts.Workers < 0 || opts.Workers > MaxWorkers:
		return nil, fmt.Errorf("mirror: workers must be between 1 and %d, got %d", MaxWorkers, opts.Workers)
	}
	if opts.Streams < 0 || opts.Streams > MaxStreams {
		return nil, fmt.Errorf("mirror: streams must be between 0 and %d, got %d", MaxStreams, opts.Streams)
	}
	base := opts.Workers
	opts.Workers = max(opts.Workers, opts.Streams) // one stream per worker below
	if opts.Retries == 0 {
		opts.Retries = 5
	} else if opts.Retries < 0 {
		opts.Retries = 0
	}
	if opts.RetryDelay <= 0 {
		opts.RetryDelay = 200 * time.Millisecond
	}
	if opts.ResumeMin <= 0 {
		opts.ResumeMin = 1 << 20
	}
	if opts.BulkMax <= 0 {
		opts.BulkMax = bulkMaxSize
	}
	srcDir, err := CleanPath(opts.SrcDir)
	if err != nil {
		return nil, fmt.Errorf("mirror: source folder: %w", err)
	}
	dstDir, err := CleanPath(opts.DstDir)
	if err != nil {
		return nil, fmt.Errorf("mirror: destination folder: %w", err)
	}
	return &mirror{opts: opts, base: base, src: src, dst: dst, srcDir: srcDir, dstDir: dstDir}, nil
}

func (m *mirror) run(ctx context.Context) (Manifest, error) {
	ex, err := NewExcluder(m.opts.Exclude)
	if err != nil {
		return Manifest{}, fmt.Errorf("mirror: %w", err)
	}
	// Open every connection first, in parallel: the handshakes (TLS, SSH) overlap, and
	// the directories can then be created by all workers at once.
	workers := make([]*conns, m.opts.Workers)
	defer func() {
		for _, w := range workers {
			if w != nil {
				w.close()
			}
		}
	}()
	if err := m.openWorkers(ctx, workers); err != nil {
		return Manifest{}, err
	}
	workers = slices.DeleteFunc(workers, func(c *conns) bool { return c.src == nil })

	var dirs []string
	var jobs []mirrorJob
	err = m.withRetry(ctx, workers[0], ".", func() error {
		var err error
		dirs, jobs, err = m.plan(ctx, workers, ex)
		return err
	})
	if err != nil {
		return Manifest{}, err
	}
	var total int64
	for _, j := range jobs {
		total += j.size
	}
	m.meter = progress.NewMeter(total, m.opts.ProgressEvery, m.opts.Progress)
	m.meter.SetFiles(int64(len(jobs)))
	defer m.meter.Done()
	if m.opts.Meter != nil {
		m.opts.Meter(m.meter)
	}

	if m.opts.RelayTo != nil {
		m.opts.RelayTo.plan(m.allDirs, jobs)
	}
	if err := m.makeDirs(ctx, workers, dirs); err != nil {
		return m.result(), err
	}

	if m.opts.RelayFrom != nil {
		q := newJobQueue(nil, m.base)
		q.open, q.fed = true, true
		fed := make(chan struct{})
		go func() { defer close(fed); m.feed(ctx, q) }()
		m.copyAll(ctx, workers, q)
		// The workers end only once the feed finished or ctx ended, which ends it too.
		<-fed
		return m.result(), m.firstErr(ctx)
	}
	var todo []mirrorJob
	for _, j := range jobs {
		if !m.skipComplete(j) {
			todo = append(todo, j)
		}
	}
	m.copyAll(ctx, workers, newJobQueue(todo, m.base))
	return m.result(), m.firstErr(ctx)
}

// withRetry runs op, and after a transient error reconnects both sides and runs it
// again, with exponential backoff.
func (m *mirror) withRetry(ctx context.Context, c *conns, rel string, op func() error) error {
	delay := m.opts.RetryDelay
	for attempt := 0; ; attempt++ {
		err := m.reopen(ctx, c)
		if err == nil {
			err = op()
		}
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !IsTransient(err) || attempt >= m.opts.Retries || errors.Is(err, ErrTooManyConnections) && m.alive.Load() > 1 {
			return err // the other workers carry on without this one
		}
		if m.opts.OnRetry != nil {
			m.opts.OnRetry(rel, attempt+1, err)
		}
		// The connection's state is unknown after a failure mid-command.
		c.close()
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		delay = min(delay*2, 10*time.Second)
	}
}

func (m *mirror) reopen(ctx context.Context, c *conns) error {
	var err error
	if c.src == nil {
		if c.src, err = m.src(ctx); err != nil {
			c.src = nil
			return fmt.Errorf("open source: %w", err)
		}
	}
	if c.dst == nil {
		if c.dst, err = m.dst(ctx); err != nil {
			c.dst = nil
			return fmt.Errorf("open destination: %w", err)
		}
	}
	return nil
}

func (m *mirror) copyWithRetry(ctx context.Context, c *conns, j mirrorJob) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	attempt := 0
	err := m.withRetry(ctx, c, j.rel, func() error {
		attempt++
		f, counted, err := m.copyOnce(ctx, c, j, attempt > 1)
		if err != nil {
			m.meter.Add(-counted) // the bytes of a failed attempt will be counted again
			return err
		}
		m.record(f)
		m.journal.add(f)
		m.relayOut(f)
		m.meter.FileDone()
		return nil
	})
	if errors.Is(err, ErrNotFound) && !errors.Is(err, errDstMissing) {
		// The file vanished from the source after listing (a cache file); that is not
		// worth failing a migration for.
		m.mu.Lock()
		m.skipped = append(m.skipped, j.rel)
		m.mu.Unlock()
		return nil
	}
	if err != nil {
		return fmt.Errorf("copy %s: %w", j.rel, err)
	}
	return nil
}

var errDstMissing = errors.New("destination folder missing")

// AtomicTemp names the temporary copy of a file written atomically (Mirror's Atomic,
// Extract's): hidden, beside it, and distinct from Configure WordPress's own temporary
// name.
func AtomicTemp(p string) string {
	dir, base := path.Split(p)
	return dir + ".ferry-up-" + base
}

// copyOnce copies one file, resuming from the destination's partial copy when that is
// safe, and returns its manifest entry and the bytes counted towards progress.
func (m *mirror) copyOnce(ctx context.Context, c *conns, j mirrorJob, retry bool) (_ ManifestFile, _ int64, err error) {
	srcPath := JoinRoot(m.srcDir, j.rel)
	dstPath := JoinRoot(m.dstDir, j.rel)
	h := sha256.New()
	off, err := m.resumeOffset(ctx, c, j, srcPath, dstPath, h, retry)
	if err != nil {
		return ManifestFile{}, 0, err
	}
	finalPath := dstPath
	if slices.Contains(m.opts.Atomic, j.rel) {
		off, dstPath = 0, AtomicTemp(dstPath)
		h.Reset()
		defer func() {
			// A failed copy takes its temporary file away; a stopped one cannot always
			// (its connection is gone), and the next attempt replaces it.
			if err != nil && ctx.Err() == nil {
				_ = c.dst.Remove(ctx, dstPath)
			}
		}()
	}
	r, err := c.src.Open(ctx, srcPath, off)
	if err != nil {
		return ManifestFile{}, 0, err
	}
	defer r.Close()
	w, err := c.dst.Create(ctx, dstPath, off)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			err = fmt.Errorf("%w: %w", errDstMissing, err)
		}
		return ManifestFile{}, 0, err
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	var n int64
	for left := j.size - off; left > 0; left = j.size - off - n {
		// Full buffers make SFTP split each read and write into concurrent requests;
		// stopping at the listed size saves the round trip that would only say EOF.
		k, rerr := io.ReadFull(r, buf[:min(int64(len(buf)), left)])
		if k > 0 {
			h.Write(buf[:k])
			if _, werr := w.Write(buf[:k]); werr != nil {
				_ = w.Close()
				return ManifestFile{}, n, werr
			}
			n += int64(k)
			m.meter.Add(int64(k))
			if err := m.opts.Pace.Wait(ctx, k); err != nil {
				_ = w.Close()
				return ManifestFile{}, n, err
			}
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			// Either the file shrank since it was listed, or the transfer ended early
			// without saying so (an FTP data connection closed before its end): only
			// the source's size tells which.
			if err := m.shrank(ctx, c, srcPath, off+n, j.size); err != nil {
				_ = w.Close()
				return ManifestFile{}, n, err
			}
			break
		}
		if rerr != nil {
			_ = w.Close()
			return ManifestFile{}, n, rerr
		}
	}
	if err := w.Close(); err != nil {
		return ManifestFile{}, n, err
	}
	if err := r.Close(); err != nil {
		return ManifestFile{}, n, err
	}
	if finalPath != dstPath {
		if err := c.dst.Rename(ctx, dstPath, finalPath); err != nil {
			return ManifestFile{}, n, fmt.Errorf("move %s into place: %w", j.rel, err)
		}
	}
	return ManifestFile{Path: j.rel, Size: off + n, SHA256: hex.EncodeToString(h.Sum(nil)), Mode: j.mode}, n, nil
}

// shrank returns nil when the source file now holds got bytes (it shrank since it was
// listed with want: copy what is there), and a transient error that retries the file
// when the source still holds more than the transfer delivered.
func (m *mirror) shrank(ctx context.Context, c *conns, srcPath string, got, want int64) error {
	e, err := c.src.Stat(ctx, srcPath)
	if err != nil {
		return err
	}
	if e.Size > got {
		return fmt.Errorf("read %s: the transfer ended after %d of %d bytes: %w", srcPath, got, want, ErrTransient)
	}
	return nil
}

func (m *mirror) record(f ManifestFile) {
	m.mu.Lock()
	m.files = append(m.files, f)
	m.mu.Unlock()
}

func (m *mirror) fail(err error) {
	m.mu.Lock()
	if m.err == nil {
		m.err = err
	}
	m.mu.Unlock()
	m.cancel() // one permanent error stops every worker
}

func (m *mirror) firstErr(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	return ctx.Err()
}

func (m *mirror) result() Manifest {
	m.mu.Lock()
	defer m.mu.Unlock()
	man := Manifest{Files: append([]ManifestFile(nil), m.files...), Skipped: append([]string(nil), m.skipped...)}
	man.sort()
	return man
}
