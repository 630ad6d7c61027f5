package transfer

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync"
)

// modeProbeName is the empty file KeepModes creates at the destination root to learn the
// mode the server gives a new file, and removes again.
const modeProbeName = ".ferry-mode-probe"

// assumedFileMode is the mode KeepModes takes a new file to get where the server cannot
// say (FTP): what a server with the usual umask 022 gives.
const assumedFileMode fs.FileMode = 0o644

// KeepModesResult says what KeepModes did.
type KeepModesResult struct {
	// ServerDefault is the mode the destination gives a new file; Assumed is set when the
	// server could not say and assumedFileMode was taken.
	ServerDefault fs.FileMode
	Assumed       bool
	// Changed counts the files set to their source mode.
	Changed int
}

// KeepModes gives each file of files its source mode (ManifestFile.Mode) at the
// destination dir, where that mode is known and differs from the mode the destination
// gives a new file, so a file is never left wider than on the source (a 0600 secret
// stays 0600, and a server whose new files are 0664 does not widen the site's 0644
// files). Paths listed in skip are left alone. The server's default is learnt once from
// an empty probe file. Up to workers connections (opened with open) set the modes.
// A destination that cannot set modes (no Permissions, or ErrUnsupported) returns an
// error wrapping ErrUnsupported and changes nothing.
func KeepModes(ctx context.Context, open Opener, dir string, files []ManifestFile, skip map[string]bool, workers int) (KeepModesResult, error) {
	var res KeepModesResult
	var todo []ManifestFile
	for _, f := range files {
		if f.Mode.Perm() != 0 && !skip[f.Path] {
			todo = append(todo, f)
		}
	}
	if len(todo) == 0 {
		return res, nil
	}
	t, err := open(ctx)
	if err != nil {
		return res, err
	}
	defer t.Close()
	pt, ok := t.(Permissions)
	if !ok {
		return res, fmt.Errorf("set file modes: %w", ErrUnsupported)
	}
	def, err := probeMode(ctx, t, pt, dir)
	if err != nil {
		return res, err
	}
	res.ServerDefault, res.Assumed = def, def == 0
	if res.Assumed {
		res.ServerDefault = assumedFileMode
	}
	var change []ManifestFile
	for _, f := range todo {
		if f.Mode.Perm() != res.ServerDefault {
			change = append(change, f)
		}
	}
	if len(change) == 0 {
		return res, nil
	}
	// The first change on the connection already open tells whether the server can.
	if err := pt.Chmod(ctx, JoinRoot(dir, change[0].Path), change[0].Mode.Perm()); err != nil {
		return res, fmt.Errorf("set the mode of %s: %w", change[0].Path, err)
	}
	res.Changed = 1
	change = change[1:]
	workers = max(1, min(workers, 1+len(change)/64))
	var (
		mu    sync.Mutex
		next  int
		first error
		wg    sync.WaitGroup
	)
	take := func() (ManifestFile, bool) {
		mu.Lock()
		defer mu.Unlock()
		if first != nil || next >= len(change) {
			return ManifestFile{}, false
		}
		next++
		return change[next-1], true
	}
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if first == nil {
			first = err
		}
	}
	work := func(pt Permissions) {
		defer wg.Done()
		for f, ok := take(); ok; f, ok = take() {
			if err := pt.Chmod(ctx, JoinRoot(dir, f.Path), f.Mode.Perm()); err != nil {
				fail(fmt.Errorf("set the mode of %s: %w", f.Path, err))
				return
			}
			mu.Lock()
			res.Changed++
			mu.Unlock()
		}
	}
	wg.Add(1)
	go work(pt)
	for i := 1; i < workers; i++ {
		extra, err := open(ctx)
		if err != nil {
			break // the connections already open finish the work
		}
		defer extra.Close()
		if ept, ok := extra.(Permissions); ok {
			wg.Add(1)
			go work(ept)
		}
	}
	wg.Wait()
	return res, first
}

// probeMode creates an empty file in dir, reads the mode the server gave it and removes
// it: 0 when the server cannot say.
func probeMode(ctx context.Context, t Tree, pt Permissions, dir string) (fs.FileMode, error) {
	p := JoinRoot(dir, modeProbeName)
	w, err := t.Create(ctx, p, 0)
	if err != nil {
		return 0, fmt.Errorf("learn the destination's file mode: %w", err)
	}
	if err := w.Close(); err != nil {
		return 0, fmt.Errorf("learn the destination's file mode: %w", err)
	}
	mode, merr := pt.Mode(ctx, p)
	if err := t.Remove(ctx, p); err != nil && !errors.Is(err, ErrNotFound) {
		return 0, fmt.Errorf("remove %s: %w", modeProbeName, err)
	}
	if merr != nil {
		return 0, merr
	}
	return mode.Perm(), nil
}
