package archive

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"ferry/backend/transfer"
)

// ExtractOptions tune Extract. The zero value extracts with one worker on dst.
type ExtractOptions struct {
	// Workers is how many entries stream at once (default 4). Each worker needs its own
	// Tree, so without Opener there is one worker.
	Workers int
	// Opener opens the extra Trees for workers 2..Workers; a worker whose Tree cannot be
	// opened (a server's connection limit) is simply not started.
	Opener transfer.Opener
	// Limits bound the expansion, as for VerifyZip.
	Limits Limits
	// Previous is the manifest of an earlier, interrupted Extract into the same Tree:
	// files listed there that still exist with the same size are not written again.
	Previous []ManifestEntry
	// Progress, if not nil, gets the running totals at most ten times a second and
	// once at the end.
	Progress func(ExtractProgress)
	// CheckPaths, if not nil, sees every folder and file path Extract would write
	// (relative to dst, folders first) before anything is written; its error stops
	// Extract. The pipeline refuses names a Windows folder cannot hold with it.
	CheckPaths func(paths []string) error
	// Atomic are the files (paths relative to dst) written under a temporary name beside
	// them and moved into place only once whole: a Stop or a failure midway must not leave
	// the site with a truncated wp-config.php.
	Atomic []string
}

// ExtractProgress is the running total of an Extract: expanded bytes and files.
type ExtractProgress struct {
	BytesDone, BytesTotal int64
	FilesDone, FilesTotal int64
}

// ManifestEntry is one file Extract wrote (or found already written), with the
// SHA-256 of its content computed while streaming; Validate compares the destination
// against it.
type ManifestEntry struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	// Mode is the entry's permission bits where the zip was made on Unix or macOS (which
	// record them), 0 otherwise.
	Mode fs.FileMode `json:"mode,omitempty"`
}

// ExtractStats describes a finished (or interrupted) Extract.
type ExtractStats struct {
	Root    string // the folder of the zip that was stripped ("public_html/")
	Files   int    // files written now
	Resumed int    // files skipped because Previous showed them complete
	Folders int    // folders created
	Bytes   int64  // bytes written now
	// Manifest lists every complete file, sorted by path; after an error it lists the
	// files done so far, so a retry can pass it as Previous.
	Manifest []ManifestEntry
}

// Extract streams the site zip at zipPath into dst: the folder holding WordPress
// becomes dst's root, folders are created first, then files stream from the zip
// straight into dst.Create in parallel (each worker reads its own entry through the
// zip's ReaderAt and writes through its own Tree), never landing on the local disk.
//
// Before writing anything it refuses archives with unsafe names, links, duplicates,
// encrypted entries or sizes past opts.Limits; the error is a *ProblemsError whose
// problems wrap ErrZipSlip, ErrSymlink and the other sentinels. While streaming it
// checks every CRC-32 and counts the real expansion, removing a file whose data turns
// out bad. Cancelling ctx stops it between reads.
func Extract(ctx context.Context, zipPath string, dst transfer.Tree, opts ExtractOptions) (ExtractStats, error) {
	lim := opts.Limits.withDefaults()
	f, zr, size, err := openZip(zipPath)
	if err != nil {
		return ExtractStats{}, &ProblemsError{Problems: []*Problem{err.(*Problem)}}
	}
	defer f.Close()
	pl := makePlan(zr, size, lim)
	pl.checkLocalNames(f)
	if err := joinProblems(pl.probs.done()); err != nil {
		return ExtractStats{}, err
	}
	stats := ExtractStats{Root: pl.root}
	if opts.CheckPaths != nil {
		paths := slices.Clone(pl.dirs)
		for _, e := range pl.files {
			paths = append(paths, e.dest)
		}
		if err := opts.CheckPaths(paths); err != nil {
			return stats, err
		}
	}

	for i, d := range pl.dirs { // a folder another one nests in is made by MkdirAll anyway
		if i+1 < len(pl.dirs) && strings.HasPrefix(pl.dirs[i+1], d+"/") {
			continue
		}
		if err := dst.MkdirAll(ctx, d); err != nil {
			return stats, fmt.Errorf("create folder %s: %w", d, err)
		}
	}
	stats.Folders = len(pl.dirs)

	x := &extraction{pl: pl, b: &budget{maxTotal: lim.MaxTotalSize, maxRatio: lim.MaxRatio}, lim: lim, fn: opts.Progress, atomic: opts.Atomic}
	x.bytesTotal, x.filesTotal = pl.declared, int64(len(pl.files))
	todo, err := x.resume(ctx, dst, opts.Previous)
	if err != nil {
		return x.stats(stats), err
	}
	sort.SliceStable(todo, func(i, j int) bool { return todo[i].off < todo[j].off })

	trees := []transfer.Tree{dst}
	workers := max(opts.Workers, 1)
	if opts.Workers == 0 {
		workers = 4
	}
	if opts.Opener == nil {
		workers = 1
	}
	for len(trees) < min(workers, max(len(todo), 1)) {
		t, err := opts.Opener(ctx)
		if err != nil {
			break
		}
		defer t.Close()
		trees = append(trees, t)
	}

	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan *entry)
	var wg sync.WaitGroup
	var firstErr error
	var errOnce sync.Once
	for _, t := range trees {
		wg.Go(func() {
			for e := range jobs {
				if err := x.write(wctx, t, e); err != nil {
					errOnce.Do(func() { firstErr = err; cancel() })
					return
				}
			}
		})
	}
feed:
	for _, e := range todo {
		select {
		case jobs <- e:
		case <-wctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	x.report(true)
	stats = x.stats(stats)
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	if firstErr != nil && ctx.Err() != nil && !errors.Is(firstErr, ctx.Err()) {
		firstErr = ctx.Err() // cancelled: say so rather than the write it interrupted
	}
	if firstErr != nil {
		return stats, fmt.Errorf("extract %s: %w", zipPath, firstErr)
	}
	return stats, nil
}

// extraction is the shared state of Extract's workers.
type extraction struct {
	pl  *plan
	b   *budget
	lim Limits
	fn  func(ExtractProgress)
	// atomic are the files written under a temporary name first (ExtractOptions.Atomic)
	atomic []string

	bytesTotal, filesTotal int64
	bytesDone, filesDone   atomic.Int64
	written                atomic.Int64
	mu                     sync.Mutex
	manifest               []ManifestEntry
	files, resumed         int
	last                   time.Time
}

// resume returns the files still to write, recording those Previous shows complete.
func (x *extraction) resume(ctx context.Context, dst transfer.Tree, prev []ManifestEntry) ([]*entry, error) {
	done := make(map[string]ManifestEntry, len(prev))
	for _, m := range prev {
		done[m.Path] = m
	}
	var todo []*entry
	for _, e := range x.pl.files {
		m, ok := done[e.dest]
		if !ok || m.Size != int64(e.f.UncompressedSize64) {
			todo = append(todo, e)
			continue
		}
		st, err := dst.Stat(ctx, e.dest)
		if err != nil && !errors.Is(err, transfer.ErrNotFound) {
			return nil, fmt.Errorf("check %s: %w", e.dest, err)
		}
		if err != nil || st.IsDir || st.Size != m.Size {
			todo = append(todo, e)
			continue
		}
		m.Mode = UnixMode(e.f)
		x.manifest = append(x.manifest, m)
		x.resumed++
		x.bytesDone.Add(m.Size)
		x.filesDone.Add(1)
	}
	return todo, nil
}

// write streams one entry into t, hashing it; a bad entry's partial file is removed so
// that neither the site nor a later resume by size picks it up.
func (x *extraction) write(ctx context.Context, t transfer.Tree, e *entry) error {
	target := e.dest
	if slices.Contains(x.atomic, e.dest) {
		target = transfer.AtomicTemp(e.dest)
	}
	w, err := t.Create(ctx, target, 0)
	if err != nil {
		return fmt.Errorf("upload %s: %w", e.dest, err)
	}
	h := sha256.New()
	n, err := copyEntry(ctx, e.f, &progressWriter{w: io.MultiWriter(w, h), x: x}, x.b, nil)
	cerr := w.Close()
	if err == nil && cerr != nil {
		err = fmt.Errorf("upload %s: %w", e.dest, cerr)
	}
	if err == nil && target != e.dest {
		if rerr := t.Rename(ctx, target, e.dest); rerr != nil {
			err = fmt.Errorf("move %s into place: %w", e.dest, rerr)
		}
	}
	if err != nil {
		cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_ = t.Remove(cleanup, target) // best effort: the error that matters is err
		var ee *entryError
		if errors.As(err, &ee) {
			return &ProblemsError{Problems: []*Problem{x.entryProblem(e, ee)}}
		}
		if errors.Is(err, ctx.Err()) {
			return err
		}
		return fmt.Errorf("upload %s: %w", e.dest, err)
	}
	x.filesDone.Add(1)
	x.mu.Lock()
	x.manifest = append(x.manifest, ManifestEntry{Path: e.dest, Size: n, SHA256: hex.EncodeToString(h.Sum(nil)), Mode: UnixMode(e.f)})
	x.files++
	x.mu.Unlock()
	x.report(false)
	return nil
}

func (x *extraction) entryProblem(e *entry, ee *entryError) *Problem {
	switch ee.kind {
	case ErrChecksum:
		return &Problem{Err: ErrChecksum, Entry: e.shown, Message: fmt.Sprintf("entry '%s' is corrupt (CRC mismatch); zip the site again and re-attach it.", displayName(e.shown))}
	case ErrRatio:
		return ratioProblem(e.shown, x.lim)
	case ErrTooLarge:
		if x.b.used.Load() > x.b.maxTotal {
			return tooLargeProblem(x.lim)
		}
		return &Problem{Err: ErrTooLarge, Entry: e.shown, Message: fmt.Sprintf("entry '%s' expands past the size its header declares, which is how zip bombs look; Ferry refuses this archive, zip the site again.", displayName(e.shown))}
	}
	return corruptEntryProblem(e.shown, ee.why)
}

// progressWriter counts bytes as they reach the destination.
type progressWriter struct {
	w io.Writer
	x *extraction
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.x.bytesDone.Add(int64(n))
	p.x.written.Add(int64(n))
	p.x.report(false)
	return n, err
}

func (x *extraction) report(final bool) {
	if x.fn == nil {
		return
	}
	now := time.Now()
	x.mu.Lock()
	defer x.mu.Unlock()
	if !final && now.Sub(x.last) < meterEvery {
		return
	}
	x.last = now
	x.fn(ExtractProgress{BytesDone: x.bytesDone.Load(), BytesTotal: x.bytesTotal, FilesDone: x.filesDone.Load(), FilesTotal: x.filesTotal})
}

func (x *extraction) stats(s ExtractStats) ExtractStats {
	x.mu.Lock()
	defer x.mu.Unlock()
	s.Files, s.Resumed, s.Bytes = x.files, x.resumed, x.written.Load()
	s.Manifest = append([]ManifestEntry(nil), x.manifest...)
	sort.Slice(s.Manifest, func(i, j int) bool { return s.Manifest[i].Path < s.Manifest[j].Path })
	return s
}
