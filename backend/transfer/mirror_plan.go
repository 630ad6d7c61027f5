package transfer

import (
	"context"
	"fmt"
	"path"
	"slices"
	"sort"
	"sync"
)

// plan lists the source (and the destination, to find complete and partial files) and
// returns the directories to create, parents first, and the files to copy, largest
// first.
func (m *mirror) plan(ctx context.Context, workers []*conns, ex *Excluder) ([]string, []mirrorJob, error) {
	var dirs []string
	var jobs []mirrorJob
	m.skipped = nil
	c := workers[0]
	// Every worker's connection lists folders side by side (ListAll).
	var srcs, dsts []Tree
	for _, w := range workers {
		if w.src != nil && w.dst != nil {
			srcs, dsts = append(srcs, w.src), append(dsts, w.dst)
		}
	}
	walk := func(ctx context.Context, dir string, fn func(Entry) error) error { return ListAll(ctx, srcs, dir, fn) }
	if m.opts.RelayFrom != nil {
		walk = m.relayListing
	} else if m.opts.SourceListing != nil {
		walk = func(_ context.Context, _ string, fn func(Entry) error) error {
			for _, e := range m.opts.SourceListing {
				if err := fn(e); err != nil {
					return err
				}
			}
			return nil
		}
	}
	err := walk(ctx, m.srcDir, func(e Entry) error {
		rel := relTo(m.srcDir, e.Path)
		if ex.Excluded(rel) {
			return nil
		}
		switch {
		case e.IsLink:
			m.skipped = append(m.skipped, rel)
		case e.IsDir:
			dirs = append(dirs, rel)
		default:
			jobs = append(jobs, mirrorJob{rel: rel, size: e.Size, mode: e.Mode.Perm()})
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list source: %w", err)
	}
	if err := c.dst.MkdirAll(ctx, m.dstDir); err != nil {
		return nil, nil, fmt.Errorf("create destination folder: %w", err)
	}
	m.dstSizes = map[string]int64{}
	existingDirs := map[string]bool{}
	err = ListAll(ctx, dsts, m.dstDir, func(e Entry) error {
		rel := relTo(m.dstDir, e.Path)
		if e.IsDir {
			existingDirs[rel] = true
		} else if !e.IsLink {
			m.dstSizes[rel] = e.Size
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list destination: %w", err)
	}
	m.allDirs = slices.Clone(dirs)
	todo := dirs[:0]
	for _, d := range dirs {
		if !existingDirs[d] {
			todo = append(todo, d)
		}
	}
	sort.Slice(jobs, func(i, j int) bool {
		if jobs[i].size != jobs[j].size {
			return jobs[i].size > jobs[j].size
		}
		return jobs[i].rel < jobs[j].rel
	})
	return todo, jobs, nil
}

// makeDirs creates the planned directories one depth level at a time, spreading each
// level over the workers: a parent always exists before its children, and each MKD is
// a single round trip.
func (m *mirror) makeDirs(ctx context.Context, workers []*conns, dirs []string) error {
	byDepth := map[int][]string{}
	maxDepth := 0
	for _, d := range dirs {
		n := depth(d)
		byDepth[n] = append(byDepth[n], d)
		maxDepth = max(maxDepth, n)
	}
	for lvl := 1; lvl <= maxDepth; lvl++ {
		level := byDepth[lvl]
		var wg sync.WaitGroup
		for i, c := range workers {
			wg.Add(1)
			go func(i int, c *conns) {
				defer wg.Done()
				for k := i; k < len(level); k += len(workers) {
					if err := m.mkdir(ctx, c, level[k]); err != nil {
						m.fail(err)
						return
					}
				}
			}(i, c)
		}
		wg.Wait()
		if err := m.firstErr(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (m *mirror) mkdir(ctx context.Context, c *conns, rel string) error {
	return m.withRetry(ctx, c, rel, func() error {
		return c.dst.MkdirAll(ctx, JoinRoot(m.dstDir, rel))
	})
}

func (m *mirror) skipComplete(j mirrorJob) bool {
	if m.opts.Previous == nil {
		return false
	}
	prev, ok := m.opts.Previous.Lookup(j.rel)
	if !ok || prev.Size != j.size {
		return false
	}
	if got, ok := m.dstSizes[j.rel]; !ok || got != j.size {
		return false
	}
	m.record(prev)
	m.relayOut(prev)
	m.meter.Add(j.size)
	m.meter.FileDone()
	return true
}

func relTo(dir, p string) string {
	if dir == "." {
		return p
	}
	if len(p) > len(dir) && p[:len(dir)] == dir && p[len(dir)] == '/' {
		return p[len(dir)+1:]
	}
	return p
}

func depth(p string) int {
	n := 1
	for p = path.Clean(p); ; {
		d := path.Dir(p)
		if d == "." || d == "/" {
			return n
		}
		p = d
		n++
	}
}

// relayListing walks what the RelayFrom's sender planned to copy, as a Walk of the
// source would list it.
func (m *mirror) relayListing(ctx context.Context, _ string, fn func(Entry) error) error {
	dirs, jobs, err := m.opts.RelayFrom.waitPlan(ctx)
	if err != nil {
		return err
	}
	for _, d := range dirs {
		if err := fn(Entry{Path: JoinRoot(m.srcDir, d), IsDir: true}); err != nil {
			return err
		}
	}
	for _, j := range jobs {
		if err := fn(Entry{Path: JoinRoot(m.srcDir, j.rel), Size: j.size, Mode: j.mode}); err != nil {
			return err
		}
	}
	return nil
}
