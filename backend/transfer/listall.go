package transfer

import (
	"context"
	"errors"
)

// Lister is implemented by Trees that list one folder alone (not recursively), which
// is what lets ListAll spread a tree's folders over several connections.
type Lister interface {
	// List returns the entries of dir itself, sorted by name, with paths relative to
	// the tree's root like Walk's.
	List(ctx context.Context, dir string) ([]Entry, error)
}

// ManyLister is a Lister that lists several folders in about the time of one: FTP sends
// the STAT of each down the control connection before reading the first reply.
type ManyLister interface {
	Lister
	// ListMany lists each of dirs like List; entries[i] and errs[i] are dirs[i]'s.
	ListMany(ctx context.Context, dirs []string) (entries [][]Entry, errs []error)
}

// maxBatch bounds the folders one ManyLister lists at once.
const maxBatch = 32

// ListConnections is how many Trees Analyse source lists a server with: on a link of
// 40 ms or more, each folder costs a few round trips, so folders are listed side by
// side.
const ListConnections = 8

// ListAll calls fn for every entry under dir like Walk (parents before their children,
// fn never called concurrently), but lists the folders breadth-first over a shared
// queue, each Tree in trees listing one folder at a time, so on a slow link the tree
// takes the round trips of its depth rather than of its folder count. Several Trees
// may share one connection (an sftp.Pool). A Tree that fails with a transient error is
// set aside and its folder listed by another; the listing fails only when none is
// left, or on any other error. Without a Lister among trees, it is trees[0].Walk.
func ListAll(ctx context.Context, trees []Tree, dir string, fn func(Entry) error) error {
	var listers []Lister
	for _, t := range trees {
		if l, ok := t.(Lister); ok && t != nil {
			listers = append(listers, l)
		}
	}
	if len(listers) == 0 {
		if len(trees) == 0 || trees[0] == nil {
			return errors.New("list: no connection")
		}
		return trees[0].Walk(ctx, dir, fn)
	}
	clean, err := CleanPath(dir)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		dirs    []string
		entries [][]Entry
		errs    []error
		who     int
	}
	results := make(chan result, len(listers))
	idle := make([]int, 0, len(listers))
	for i := range listers {
		idle = append(idle, i)
	}
	alive := len(listers)
	queue := []string{clean}
	inflight := 0
	stop := func(err error) error {
		cancel()
		for ; inflight > 0; inflight-- {
			<-results
		}
		return err
	}
	for {
		for len(queue) > 0 && len(idle) > 0 {
			who := idle[len(idle)-1]
			n := 1
			if _, ok := listers[who].(ManyLister); ok {
				// Spread the queue evenly over the idle connections.
				n = min(maxBatch, (len(queue)+len(idle)-1)/len(idle))
			}
			idle = idle[:len(idle)-1]
			dirs := queue[:n:n]
			queue = queue[n:]
			inflight++
			go func() {
				r := result{dirs: dirs, who: who}
				if ml, ok := listers[who].(ManyLister); ok && len(dirs) > 1 {
					r.entries, r.errs = ml.ListMany(ctx, dirs)
				} else {
					es, err := listers[who].List(ctx, dirs[0])
					r.entries, r.errs = [][]Entry{es}, []error{err}
				}
				results <- r
			}()
		}
		if inflight == 0 {
			return nil
		}
		r := <-results
		inflight--
		dead := false
		for i, d := range r.dirs {
			if err := r.errs[i]; err != nil {
				if ctx.Err() == nil && IsTransient(err) && (dead || alive > 1) {
					if !dead {
						alive-- // its connection is broken: the others take its folders
						dead = true
					}
					queue = append(queue, d)
					continue
				}
				return stop(err)
			}
			for _, e := range r.entries[i] {
				if err := fn(e); err != nil {
					return stop(err)
				}
				if e.IsDir && !e.IsLink {
					queue = append(queue, e.Path)
				}
			}
		}
		if !dead {
			idle = append(idle, r.who)
		}
	}
}

// OpenMore opens up to n more Trees with open, in parallel, for ListAll; the ones
// that fail to open are left out (the listing goes on with fewer). close releases them.
// Each is one the listing can do without (IsSpare): an opener that would wait for it
// refuses it at once.
func OpenMore(ctx context.Context, open Opener, n int) (trees []Tree, close func()) {
	ctx = context.WithValue(ctx, spareKey{}, true)
	ch := make(chan Tree, n)
	for range n {
		go func() {
			t, err := open(ctx)
			if err != nil {
				t = nil
			}
			ch <- t
		}()
	}
	for range n {
		if t := <-ch; t != nil {
			trees = append(trees, t)
		}
	}
	return trees, func() {
		for _, t := range trees {
			_ = t.Close()
		}
	}
}
