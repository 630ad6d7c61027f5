package transfer

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Relay passes the files one Mirror completes on to a second Mirror that copies them
// on, so files go up while others still come down: a migration then takes about as
// long as the slower direction instead of the sum of both. The first Mirror
// (MirrorOptions.RelayTo) announces its plan (every folder and file it will copy) and
// then each file once it is complete on its destination, files an earlier run
// completed included; the second (MirrorOptions.RelayFrom) creates all the folders
// ahead, then copies each announced file as it comes, and ends once the first ended
// and every file announced is copied. When the first ends with an error, the second
// stops too and returns an error wrapping ErrRelayEnded and that error.
type Relay struct {
	mu      sync.Mutex
	cond    *sync.Cond
	planned bool
	dirs    []string
	jobs    []mirrorJob
	ready   []mirrorJob
	ended   bool
	err     error
}

// ErrRelayEnded is what the receiving Mirror of a Relay returns (wrapped, with the
// cause) when the sending one failed.
var ErrRelayEnded = errors.New("the copy feeding this one stopped")

// errRelayIncomplete is the cause when the sending Mirror ended without its plan.
var errRelayIncomplete = errors.New("it ended before listing the files")

// NewRelay makes an empty Relay for one pair of Mirrors.
func NewRelay() *Relay {
	r := &Relay{}
	r.cond = sync.NewCond(&r.mu)
	return r
}

// End records that the sending side is over: err nil means every file it will send
// was sent. Only the first End counts; Mirror calls it itself when it returns, the
// caller may call it earlier (a failure before Mirror ran).
func (r *Relay) End(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return
	}
	if err == nil && !r.planned {
		err = errRelayIncomplete
	}
	r.ended, r.err = true, err
	r.cond.Broadcast()
}

// plan announces the folders (all of them, parents first) and the files to come.
func (r *Relay) plan(dirs []string, jobs []mirrorJob) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.planned || r.ended {
		return
	}
	r.planned = true
	r.dirs = append([]string(nil), dirs...)
	r.jobs = append([]mirrorJob(nil), jobs...)
	r.cond.Broadcast()
}

// send announces a file complete on the sending side, with the size it has there.
func (r *Relay) send(f ManifestFile) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return
	}
	r.ready = append(r.ready, mirrorJob{rel: f.Path, size: f.Size, mode: f.Mode})
	r.cond.Broadcast()
}

// wake lets waiters see a cancelled context.
func (r *Relay) wake() {
	r.mu.Lock()
	r.cond.Broadcast()
	r.mu.Unlock()
}

// waitPlan returns the sender's plan once announced.
func (r *Relay) waitPlan(ctx context.Context) ([]string, []mirrorJob, error) {
	defer context.AfterFunc(ctx, r.wake)()
	r.mu.Lock()
	defer r.mu.Unlock()
	for !r.planned && !r.ended && ctx.Err() == nil {
		r.cond.Wait()
	}
	switch {
	case r.ended && r.err != nil:
		return nil, nil, fmt.Errorf("%w: %w", ErrRelayEnded, r.err)
	case ctx.Err() != nil:
		return nil, nil, ctx.Err()
	}
	return r.dirs, r.jobs, nil
}

// next returns the next file complete on the sending side; ok is false once the
// sender ended and every file was taken, or on an error (the sender's, or ctx's).
func (r *Relay) next(ctx context.Context) (j mirrorJob, ok bool, err error) {
	defer context.AfterFunc(ctx, r.wake)()
	r.mu.Lock()
	defer r.mu.Unlock()
	for len(r.ready) == 0 && !r.ended && ctx.Err() == nil {
		r.cond.Wait()
	}
	switch {
	case ctx.Err() != nil:
		return mirrorJob{}, false, ctx.Err()
	case r.ended && r.err != nil:
		return mirrorJob{}, false, fmt.Errorf("%w: %w", ErrRelayEnded, r.err)
	case len(r.ready) == 0:
		return mirrorJob{}, false, nil
	}
	j = r.ready[0]
	r.ready = r.ready[1:]
	return j, true, nil
}

// relayOut tells the mirror's RelayTo, if any, that f is complete.
func (m *mirror) relayOut(f ManifestFile) {
	if m.opts.RelayTo != nil {
		m.opts.RelayTo.send(f)
	}
}

// feed moves the files the RelayFrom sends into q until the sender ended, skipping
// those an earlier run completed, and fails the mirror when the sender failed.
func (m *mirror) feed(ctx context.Context, q *jobQueue) {
	defer q.finish()
	for {
		j, ok, err := m.opts.RelayFrom.next(ctx)
		if err != nil {
			m.fail(err)
			return
		}
		if !ok {
			return
		}
		if !m.skipComplete(j) {
			q.push(j)
		}
	}
}
