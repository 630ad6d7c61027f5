package archive

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// ZipReport is what VerifyZip found in a site zip: facts for the Verify panel and every
// problem. The archive is usable when OK returns true.
type ZipReport struct {
	Path    string
	Size    int64 // bytes of the zip file
	Entries int   // entries in the central directory
	Files   int   // files that would be extracted
	Folders int   // folders that would be created
	// TotalSize is the bytes the files expand to, counted while streaming.
	TotalSize int64
	Zip64     bool
	// Root is the folder holding WordPress inside the zip ("public_html/"), stripped on
	// extraction; "" when WordPress sits at the top.
	Root string
	// Skipped counts entries not extracted: macOS metadata and anything outside Root.
	Skipped           int
	WordPress         bool
	WPVersion         string // from wp-includes/version.php
	HasWPConfig       bool
	HasWPConfigSample bool
	TablePrefix       string // $table_prefix from wp-config.php, when present
	// Found lists the facts in words, in the order the Verify panel shows them.
	Found    []string
	Problems []*Problem
}

// OK reports whether no problem blocks the import (warnings do not).
func (r *ZipReport) OK() bool { return r.Err() == nil }

// Err returns nil, or a *ProblemsError wrapping every blocking problem.
func (r *ZipReport) Err() error { return joinProblems(r.Problems) }

var (
	wpVersionRe   = regexp.MustCompile(`\$wp_version\s*=\s*['"]([^'"]{1,40})['"]\s*;`)
	tablePrefixRe = regexp.MustCompile(`\$table_prefix\s*=\s*['"]([A-Za-z0-9_]{0,64})['"]\s*;`)
)

// capture keeps the first bytes of a small file Verify wants to read (version.php,
// wp-config.php) while the CRC check streams it anyway.
type capture struct{ bytes.Buffer }

const captureCap = 256 << 10

func (c *capture) Write(p []byte) (int, error) {
	if room := captureCap - c.Len(); room > 0 {
		c.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// VerifyZip checks a site zip completely: the central directory, every entry's name,
// type and CRC-32 (streamed, with progress in compressed bytes), the limits in lim,
// and whether it holds WordPress. Problems with the archive land in the report, not
// in the error: the error is set only when ctx ends first.
func VerifyZip(ctx context.Context, path string, lim Limits, progress func(done, total int64)) (ZipReport, error) {
	lim = lim.withDefaults()
	rep := ZipReport{Path: path}
	f, zr, size, err := openZip(path)
	if err != nil {
		p := err.(*Problem)
		if !strings.Contains(p.Message, "'"+displayName(path)+"'") {
			p.Message = filepath.Base(path) + ": " + p.Message
		}
		rep.Problems = []*Problem{p}
		return rep, nil
	}
	defer f.Close()
	rep.Size, rep.Entries = size, len(zr.File)
	pl := makePlan(zr, size, lim)
	pl.checkLocalNames(f)
	rep.Zip64, rep.Root, rep.Skipped = pl.zip64, pl.root, pl.skipped
	rep.Files, rep.Folders = len(pl.files), len(pl.dirs)

	caps := map[string]*capture{}
	for _, e := range pl.files {
		switch e.dest {
		case "wp-includes/version.php", "wp-config.php":
			caps[e.dest] = &capture{}
		case "wp-config-sample.php":
			rep.HasWPConfigSample = true
		}
	}
	if !pl.probs.has(ErrTooManyEntries) {
		total, err := pl.verifyData(ctx, lim, caps, progress)
		if err != nil {
			return rep, fmt.Errorf("verify %s: %w", path, err)
		}
		rep.TotalSize = total
	}
	rep.wordPressFacts(pl, caps)
	rep.Problems = pl.probs.done()
	for _, p := range rep.Problems { // every message names the file it is about, once
		p.Message = filepath.Base(path) + ": " + p.Message
	}
	return rep, nil
}

// verifyData streams every file once, in parallel, in the order of their data in the
// zip so each worker reads forward.
func (pl *plan) verifyData(ctx context.Context, lim Limits, caps map[string]*capture, progress func(done, total int64)) (int64, error) {
	order := append([]*entry(nil), pl.files...)
	sort.SliceStable(order, func(i, j int) bool { return order[i].off < order[j].off })

	parent := ctx
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	m := &meter{fn: progress, total: pl.packed}
	b := &budget{maxTotal: lim.MaxTotalSize, maxRatio: lim.MaxRatio}
	errs := make(map[*entry]error)
	var mu sync.Mutex
	jobs := make(chan *entry)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), 4) {
		wg.Go(func() {
			for e := range jobs {
				var w io.Writer
				if c := caps[e.dest]; c != nil {
					w = c
				}
				_, err := copyEntry(ctx, e.f, w, b, m.add)
				if err != nil {
					mu.Lock()
					errs[e] = err
					mu.Unlock()
					if errors.Is(err, ErrTooLarge) && b.used.Load() > b.maxTotal {
						cancel() // the whole archive is past the limit: stop everyone
					}
				}
			}
		})
	}
feed:
	for _, e := range order {
		select {
		case jobs <- e:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	m.finish()
	if err := parent.Err(); err != nil {
		return 0, err
	}
	overLimit := b.used.Load() > b.maxTotal
	if overLimit {
		pl.probs.add(tooLargeProblem(lim))
	}
	for _, e := range pl.files { // central-directory order, so reports are stable
		err := errs[e]
		if err == nil {
			continue
		}
		var ee *entryError
		switch {
		case errors.As(err, &ee) && ee.kind == ErrRatio:
			pl.probs.add(ratioProblem(e.shown, lim))
		case errors.As(err, &ee) && ee.kind == ErrTooLarge && !overLimit:
			pl.probs.add(&Problem{Err: ErrTooLarge, Entry: e.shown, Message: fmt.Sprintf("entry '%s' expands past the size its header declares, which is how zip bombs look; Ferry refuses this archive, zip the site again.", displayName(e.shown))})
		case errors.As(err, &ee) && ee.kind == ErrChecksum:
			pl.probs.add(&Problem{Err: ErrChecksum, Entry: e.shown, Message: fmt.Sprintf("entry '%s' is corrupt (CRC mismatch); zip the site again and re-attach it.", displayName(e.shown))})
		case errors.As(err, &ee) && ee.kind == ErrCorrupt:
			pl.probs.add(corruptEntryProblem(e.shown, ee.why))
		case errors.As(err, &ee):
			// ErrMethod was reported by the plan; the budget overflow above.
		case errors.Is(err, context.Canceled):
			// stopped because the archive went past the size limit, reported above
		default:
			pl.probs.add(corruptEntryProblem(e.shown, err.Error()))
		}
	}
	return b.used.Load(), nil
}

// wordPressFacts fills the WordPress fields and the Found list.
func (r *ZipReport) wordPressFacts(pl *plan, caps map[string]*capture) {
	found := func(format string, a ...any) { r.Found = append(r.Found, fmt.Sprintf(format, a...)) }
	found("%d files, %d folders, %s expanded (zip file %s)", r.Files, r.Folders, humanBytes(max(r.TotalSize, pl.declared)), humanBytes(r.Size))
	if r.Zip64 {
		found("Zip64 archive")
	}
	if r.Root != "" {
		found("WordPress sits in the folder '%s' of the zip; its contents go to the docroot", displayName(r.Root))
	}
	if v, ok := caps["wp-includes/version.php"]; ok {
		r.WordPress = true
		if m := wpVersionRe.FindSubmatch(v.Bytes()); m != nil {
			r.WPVersion = string(m[1])
			found("WordPress %s", r.WPVersion)
		} else {
			found("WordPress (version unknown: wp-includes/version.php has no $wp_version)")
		}
	} else if !pl.probs.has(ErrTooManyEntries) {
		pl.probs.add(&Problem{Err: ErrNoWordPress, Message: "WordPress not found in the archive (no wp-includes/version.php); zip the folder that holds wp-config.php, wp-admin and wp-includes."})
	}
	if c, ok := caps["wp-config.php"]; ok {
		r.HasWPConfig = true
		if m := tablePrefixRe.FindSubmatch(c.Bytes()); m != nil {
			r.TablePrefix = string(m[1])
			found("wp-config.php found (table prefix '%s'); Ferry rewrites it for the destination database", r.TablePrefix)
		} else {
			found("wp-config.php found; Ferry rewrites it for the destination database")
		}
	} else if r.WordPress {
		if r.HasWPConfigSample {
			pl.probs.add(&Problem{Err: ErrNoConfig, Warning: true, Message: "wp-config.php is missing from the archive; Ferry will write one for the destination from wp-config-sample.php."})
		} else {
			pl.probs.add(&Problem{Err: ErrNoConfig, Message: "Neither wp-config.php nor wp-config-sample.php is in the archive; add the site's wp-config.php to the zip and attach it again."})
		}
	}
	switch len(pl.dumps) {
	case 0:
	case 1:
		found("'%s' in the zip is the site's database dump: it is imported, never uploaded to the docroot", displayName(pl.dumps[0]))
	default:
		pl.probs.add(&Problem{Err: ErrDuplicate, Entry: pl.dumps[1], Message: fmt.Sprintf("the zip holds %d database dumps beside the site ('%s' and '%s'), and Ferry would have to guess which to import; keep only the site's dump in the zip, or attach it separately.", len(pl.dumps), displayName(pl.dumps[0]), displayName(pl.dumps[1]))})
	}
	if len(pl.keptOut) > 0 {
		pl.probs.add(dumpProblem(pl.keptOut))
	}
	if pl.skipped > 0 {
		found("%d entries outside the WordPress folder or macOS metadata are not uploaded", pl.skipped)
		if len(pl.outside) > 0 {
			pl.probs.add(&Problem{Err: ErrOutsideRoot, Entry: pl.outside[0], Warning: true, Message: fmt.Sprintf("Entries outside the WordPress folder (such as '%s') will not be uploaded; if one of them is the database dump, attach it separately.", displayName(pl.outside[0]))})
		}
	}
}
