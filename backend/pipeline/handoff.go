package pipeline

import (
	"context"
	"sync"
	"time"

	"ferry/backend/transfer"
)

// handoffLinger is how long Analyse source's FTP logins wait for Download files, the
// next step of the run, before they log out.
const handoffLinger = 30 * time.Second

// handoff holds Analyse source's FTP logins for Download files of the same run: each
// FTP login costs the server a process and a password check (about 40 ms of CPU on
// vsftpd), and Analyse source already holds as many as Download files needs.
type handoff struct {
	trees []transfer.Tree
	timer *time.Timer
}

// handOver keeps trees, logged in to the migration's source, for Download files; they
// log out after handoffLinger if no step takes them, or when the run ends.
func (p *Pipeline) handOver(id int64, trees []transfer.Tree) {
	if len(trees) == 0 {
		return
	}
	h := &handoff{trees: trees}
	p.tmu.Lock()
	if p.handoffs == nil {
		p.handoffs = map[int64]*handoff{}
	}
	old := p.handoffs[id]
	p.handoffs[id] = h
	h.timer = time.AfterFunc(handoffLinger, func() {
		p.tmu.Lock()
		mine := p.handoffs[id] == h
		if mine {
			delete(p.handoffs, id)
		}
		p.tmu.Unlock()
		if mine {
			closeAll(h.trees)
		}
	})
	p.tmu.Unlock()
	if old != nil {
		old.timer.Stop()
		closeAll(old.trees)
	}
}

// takeHandoff returns the source logins Analyse source left for the migration (nil if
// none); the caller owns them.
func (p *Pipeline) takeHandoff(id int64) []transfer.Tree {
	p.tmu.Lock()
	h := p.handoffs[id]
	delete(p.handoffs, id)
	p.tmu.Unlock()
	if h == nil {
		return nil
	}
	h.timer.Stop() // had it fired, it found the entry gone and left the trees to us
	return h.trees
}

// reuse returns an Opener that hands out kept before it logs in with op, and a func
// that logs out of the kept trees nobody took.
func reuse(kept []transfer.Tree, op transfer.Opener) (transfer.Opener, func()) {
	var mu sync.Mutex
	open := func(ctx context.Context) (transfer.Tree, error) {
		mu.Lock()
		if n := len(kept); n > 0 {
			t := kept[n-1]
			kept = kept[:n-1]
			mu.Unlock()
			return t, nil
		}
		mu.Unlock()
		return op(ctx)
	}
	return open, func() {
		mu.Lock()
		rest := kept
		kept = nil
		mu.Unlock()
		closeAll(rest)
	}
}

func closeAll(trees []transfer.Tree) {
	for _, t := range trees {
		_ = t.Close()
	}
}
