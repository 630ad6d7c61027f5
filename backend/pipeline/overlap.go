package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"ferry/backend/events"
	"ferry/backend/migration"
	"ferry/backend/runner"
)

// A far server costs a round trip per question, and the first two steps ask many: the
// destination's files and database at Check destination, the source's tree and database
// at Analyse source. Each step asks its independent halves at once, so their waits
// overlap instead of adding up.

// errRefused is why a half of Check destination wrote nothing: the other half refused
// the destination (and that is the verdict reported).
var errRefused = errors.New("the destination was refused")

type writeGateKey struct{}

// withWriteGate makes mayWrite(ctx) ask allowed, which may wait: the half of Check
// destination it is given to writes to the destination only once the other half passed.
func withWriteGate(ctx context.Context, allowed func() bool) context.Context {
	return context.WithValue(ctx, writeGateKey{}, allowed)
}

// mayWrite reports whether work on ctx may write to the destination now (true unless
// withWriteGate says otherwise).
func mayWrite(ctx context.Context) bool {
	allowed, ok := ctx.Value(writeGateKey{}).(func() bool)
	return !ok || allowed()
}

// heldLog keeps the log lines of a step's half that runs alongside another, to write them
// once that other half is done: the log reads in the same order as when the halves ran
// one after the other, whichever finished first.
type heldLog struct {
	mu    sync.Mutex
	lines []heldLine
}

type heldLine struct {
	level slog.Level
	msg   string
}

func (h *heldLog) Logf(level slog.Level, format string, args ...any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lines = append(h.lines, heldLine{level, fmt.Sprintf(format, args...)})
}

// Progress is dropped: the halves that run alongside report no progress of their own.
func (h *heldLog) Progress(events.Progress) {}

// writeTo writes the lines kept so far to log, in order, and forgets them.
func (h *heldLog) writeTo(log stepLog) {
	h.mu.Lock()
	lines := h.lines
	h.lines = nil
	h.mu.Unlock()
	for _, l := range lines {
		log.Logf(l.level, "%s", l.msg)
	}
}

// Analyse source only reads the source and Check destination only asks the destination,
// so Check destination starts Analyse source as it starts: the analysis logs under
// Analyse source, and the Analyse source step waits for its result and reports it.
// Nothing is written to the destination before Check destination passed, as before. A
// failed Check destination, or a Stop, cancels the analysis and waits until it has logged
// out of everything it held; a resumed run at Analyse source runs it as before.

// aheadAnalysis is an Analyse source started ahead of its turn.
type aheadAnalysis struct {
	cancel context.CancelFunc
	done   chan struct{}
	err    error
	// stopped: the run ended (Stop, Ferry closing) before the analysis did.
	stopped bool
}

func (a *aheadAnalysis) stop() {
	a.cancel()
	<-a.done
}

// startAnalyse starts Analyse source for j's migration, alongside Check destination, when
// the run analyses the source next.
func (p *Pipeline) startAnalyse(ctx context.Context, j *runner.Job) {
	m := j.Migration
	if !migration.StepAnalyseSource.AppliesTo(m.Method) || !pending(m, migration.StepAnalyseSource) {
		return
	}
	log := &aheadLog{j: j, step: migration.StepAnalyseSource}
	actx, cancel := context.WithCancel(withRoute(ctx, m, log))
	a := &aheadAnalysis{cancel: cancel, done: make(chan struct{})}
	p.tmu.Lock()
	if p.aheads == nil {
		p.aheads = map[int64]*aheadAnalysis{}
	}
	old := p.aheads[m.ID]
	p.aheads[m.ID] = a
	p.tmu.Unlock()
	if old != nil {
		old.stop()
	}
	log.Logf(slog.LevelInfo, "Analysing the source while the destination is checked")
	go func() {
		defer close(a.done)
		a.err = p.analyse(actx, m, log)
		if actx.Err() != nil {
			a.stopped = true
			p.forgetAnalysis(m.ID, a) // no step of this run will ask for it
		}
	}()
}

func (p *Pipeline) forgetAnalysis(id int64, a *aheadAnalysis) {
	p.tmu.Lock()
	defer p.tmu.Unlock()
	if p.aheads[id] == a {
		delete(p.aheads, id)
	}
}

// awaitAnalyse waits for the analysis Check destination started for migration id and
// returns its result; ran is false when there is none (the step then analyses itself).
func (p *Pipeline) awaitAnalyse(ctx context.Context, id int64) (ran bool, err error) {
	p.tmu.Lock()
	a := p.aheads[id]
	delete(p.aheads, id)
	p.tmu.Unlock()
	if a == nil {
		return false, nil
	}
	select {
	case <-a.done:
	case <-ctx.Done():
		a.stop()
		return true, ctx.Err()
	}
	if a.stopped && ctx.Err() == nil {
		return false, nil // an earlier run's, stopped before it ended
	}
	return true, a.err
}

// stopAnalyse cancels the migration's analysis started ahead, if any, waits until it has
// logged out, and drops what it kept for Download files (its FTP logins go with the run's
// other logins, see closePools).
func (p *Pipeline) stopAnalyse(id int64) {
	p.tmu.Lock()
	a := p.aheads[id]
	delete(p.aheads, id)
	p.tmu.Unlock()
	if a == nil {
		return
	}
	a.stop()
	p.takeListing(id)
}
