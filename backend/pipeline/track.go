package pipeline

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"ferry/backend/events"
	"ferry/backend/migration"
	"ferry/backend/runner"
	"ferry/backend/wordpress"
)

// The database half of an automatic migration does not need the files and the files do
// not need the database, so Ferry runs them side by side: when Download files starts, a
// database track starts too. It exports the source database to staging and imports the
// dump into the destination while the export is still writing it. The Export database and
// Import database steps then wait for their half of the track and report its result, so
// the history still shows every step with its own outcome and log lines, and a retry of
// either step runs it on its own as before.
//
// A step that fails (or a Stop) stops the track first: nothing of it outlives the run.

// stepLog is what the export and import code needs of a step: a *runner.Job, or an
// aheadLog for work running before its step's turn.
type stepLog interface {
	Logf(level slog.Level, format string, args ...any)
	Progress(p events.Progress)
}

// aheadLog logs under the step the work belongs to and keeps its latest progress for that
// step to publish once it is the current one (one progress line per migration at a time).
type aheadLog struct {
	j    *runner.Job
	step migration.StepID
	last atomic.Pointer[events.Progress]
}

func (a *aheadLog) Logf(level slog.Level, format string, args ...any) {
	a.j.LogfAs(a.step, level, format, args...)
}

// Progress keeps the phase's last progress, for when its step's turn comes, and shows
// it in the window on that step's line meanwhile.
func (a *aheadLog) Progress(p events.Progress) {
	a.last.Store(&p)
	a.j.ProgressAs(a.step, p)
}

// phase is one half of a track: done closes when it ends, err says how.
type phase struct {
	done chan struct{}
	err  error
	log  *aheadLog
}

func newPhase(j *runner.Job, step migration.StepID) *phase {
	return &phase{done: make(chan struct{}), log: &aheadLog{j: j, step: step}}
}

func (ph *phase) finish(err error) {
	ph.err = err
	close(ph.done)
}

// dbTrack is a migration's running database track.
type dbTrack struct {
	cancel context.CancelFunc
	export *phase // nil when the track only imports a dump exported earlier
	imp    *phase
	dump   *growth // the dump the export writes; nil without export
	wg     sync.WaitGroup
}

// cacheSite keeps what Analyse source read from wp-config.php (database password
// included) in memory for the database track; it is never written anywhere.
func (p *Pipeline) cacheSite(id int64, site wordpress.Site) {
	p.tmu.Lock()
	defer p.tmu.Unlock()
	if p.sites == nil {
		p.sites = map[int64]wordpress.Site{}
	}
	p.sites[id] = site
}

func (p *Pipeline) cachedSite(id int64) (wordpress.Site, bool) {
	p.tmu.Lock()
	defer p.tmu.Unlock()
	s, ok := p.sites[id]
	return s, ok
}

func (p *Pipeline) track(id int64) *dbTrack {
	p.tmu.Lock()
	defer p.tmu.Unlock()
	return p.tracks[id]
}

// pending reports whether step s of the run still has to run.
func pending(m migration.Migration, s migration.StepID) bool {
	for _, r := range m.Steps {
		if r.Step == s {
			return r.State != migration.StepCompleted
		}
	}
	return true
}

// startTrack starts the database track for j's migration: export and import when both
// are pending and Analyse source ran in this process (it holds the source's database
// settings), or import only when the dump is already in staging. It does nothing when
// neither applies; the steps then run in turn.
func (p *Pipeline) startTrack(ctx context.Context, j *runner.Job) {
	m := j.Migration
	if m.Method == migration.MethodManual || p.track(m.ID) != nil || !pending(m, migration.StepImportDatabase) {
		return
	}
	withExport := pending(m, migration.StepExportDatabase)
	site, haveSite := p.cachedSite(m.ID)
	if withExport && !haveSite && (m.Source.DB.FromWPConfig || m.Source.DB.Name == "") {
		return
	}
	if !withExport {
		if st, err := os.Stat(p.dumpPath(m.ID)); err != nil || st.Size() == 0 {
			return
		}
	}
	tctx, cancel := context.WithCancel(ctx)
	t := &dbTrack{cancel: cancel, imp: newPhase(j, migration.StepImportDatabase)}
	p.tmu.Lock()
	if p.tracks == nil {
		p.tracks = map[int64]*dbTrack{}
	}
	p.tracks[m.ID] = t
	p.tmu.Unlock()
	if !withExport {
		t.wg.Add(1)
		t.imp.log.Logf(slog.LevelInfo, "Importing the database while the files upload")
		go func() {
			defer t.wg.Done()
			r, size, err := p.openDump(tctx, m)
			if err == nil {
				err = p.importDump(tctx, m, t.imp.log, r, func() int64 { return size }, p.trackWorkers())
				r.Close()
			}
			t.imp.finish(err)
		}()
		return
	}
	t.export = newPhase(j, migration.StepExportDatabase)
	t.export.log.Logf(slog.LevelInfo, "Exporting the database while the files download; the import reads the dump as it is written")
	g := newGrowth()
	t.dump = g
	t.wg.Add(2)
	go func() {
		defer t.wg.Done()
		err := p.exportDump(tctx, m, t.export.log, site, g)
		g.finish(err)
		t.export.finish(err)
	}()
	go func() {
		defer t.wg.Done()
		f := g.waitCreated()
		if f == nil {
			<-t.export.done // the export failed before creating its file
			t.imp.finish(errors.Join(errExportFailed, t.export.err))
			return
		}
		defer f.Close()
		err := p.importDump(tctx, m, t.imp.log, &growingReader{f: f, g: g}, g.size, p.trackWorkers())
		t.imp.finish(err)
	}()
}

// trackWorkers is the number of connections the track's import loads with: one, unless set.
// The import shares the machine with the export and the file transfers, and one loader
// costs the destination server less CPU for the same rows than two (measured: 14.9 s
// against 17.4-19.2 s of MariaDB CPU for the 1.08M-row bench database), which the whole
// migration finishes sooner with.
func (p *Pipeline) trackWorkers() int {
	if p.ImportWorkers > 0 {
		return p.ImportWorkers
	}
	return 1
}

// stopTrack cancels the migration's track, if any, waits for it to end and forgets the
// source's database settings.
func (p *Pipeline) stopTrack(id int64) {
	p.tmu.Lock()
	t := p.tracks[id]
	delete(p.tracks, id)
	delete(p.sites, id)
	delete(p.listings, id)
	p.tmu.Unlock()
	if t != nil {
		t.cancel()
		t.wg.Wait()
	}
}

// await waits for one phase of the track, publishing its progress as the current step's,
// and returns its result.
func await(ctx context.Context, j *runner.Job, ph *phase) error {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		if pr := ph.log.last.Swap(nil); pr != nil {
			j.Progress(*pr)
		}
		select {
		case <-ph.done:
			if pr := ph.log.last.Swap(nil); pr != nil {
				j.Progress(*pr)
			}
			return ph.err
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// growth tells a reader of the dump how far the export has written it.
type growth struct {
	mu      sync.Mutex
	cond    *sync.Cond
	reader  *os.File // the export's file, opened for the reader as it was created
	written int64
	done    bool
	err     error
}

// create hands the reader the file the export just created (truncated), opened for
// reading: opened by the export, so a quick export that renames the file before the
// reader looked cannot take it away.
func (g *growth) create(r *os.File) {
	g.mu.Lock()
	g.reader = r
	g.mu.Unlock()
	g.cond.Broadcast()
}

// waitCreated waits until the export created the file or ended, and returns the file
// opened for reading (nil when the export ended before creating it). The caller closes it.
func (g *growth) waitCreated() *os.File {
	g.mu.Lock()
	defer g.mu.Unlock()
	for g.reader == nil && !g.done {
		g.cond.Wait()
	}
	return g.reader
}

func newGrowth() *growth {
	g := &growth{}
	g.cond = sync.NewCond(&g.mu)
	return g
}

// wrote records n more bytes written (and flushed to the file).
func (g *growth) wrote(n int) {
	g.mu.Lock()
	g.written += int64(n)
	g.mu.Unlock()
	g.cond.Broadcast()
}

func (g *growth) finish(err error) {
	g.mu.Lock()
	g.done, g.err = true, err
	g.mu.Unlock()
	g.cond.Broadcast()
}

// size is the dump's size so far (its final size once the export is done), for progress.
func (g *growth) size() int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.written
}

// state is the dump's size so far and whether the export is over.
func (g *growth) state() (written int64, done bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.written, g.done
}

// growthWriter writes the dump file and reports each write.
type growthWriter struct {
	f *os.File
	g *growth
}

func (w *growthWriter) Write(b []byte) (int, error) {
	n, err := w.f.Write(b)
	if n > 0 {
		w.g.wrote(n)
	}
	return n, err
}

// errExportFailed ends an import that was reading a dump whose export failed.
var errExportFailed = errors.New("the database export failed")

// growingReader reads the dump while the export writes it: at the current end it waits
// for more, and it ends (io.EOF) only when the export completed. When the export fails the
// import fails too, and drops the tables it had not finished.
type growingReader struct {
	f   *os.File
	g   *growth
	off int64
}

// Rewind starts reading again from the start (an import that gave its connections
// back). It is no io.Seeker: Import would read a seekable dump whole before it starts.
func (r *growingReader) Rewind() error {
	if _, err := r.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	r.off = 0
	return nil
}

func (r *growingReader) Read(b []byte) (int, error) {
	for {
		n, err := r.f.Read(b)
		r.off += int64(n)
		if n > 0 {
			return n, nil
		}
		if err != nil && err != io.EOF {
			return 0, err
		}
		r.g.mu.Lock()
		for r.g.written <= r.off && !r.g.done {
			r.g.cond.Wait()
		}
		done, gerr, written := r.g.done, r.g.err, r.g.written
		r.g.mu.Unlock()
		if done && r.off >= written {
			if gerr != nil {
				return 0, errors.Join(errExportFailed, gerr)
			}
			return 0, io.EOF
		}
	}
}
