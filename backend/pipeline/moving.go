package pipeline

import (
	"sync/atomic"

	"ferry/backend/progress"
	"ferry/backend/transfer"
)

// moving is what a migration's Upload files and Import database have moved so far in this
// process, fed by their progress whichever step publishes it (the upload and import run
// beside the download and export, and their progress waits for their step's turn).
type moving struct {
	uploaded, imported atomic.Int64
	upload             atomic.Pointer[progress.Meter] // the running upload's, read live
	download           atomic.Pointer[progress.Meter] // the running download's, for pace.go
	pace               atomic.Pointer[transfer.Pacer] // the files' pace (pace.go), nil when not paced
	nearImport         atomic.Bool                    // the running import's database is near (pace.go)
}

// movingOf returns the migration's tally, made on first use.
func (p *Pipeline) movingOf(id int64) *moving {
	p.tmu.Lock()
	defer p.tmu.Unlock()
	if p.moved == nil {
		p.moved = map[int64]*moving{}
	}
	mv := p.moved[id]
	if mv == nil {
		mv = &moving{}
		p.moved[id] = mv
	}
	return mv
}

// Moving is what migration id's running Upload files and Import database have moved so
// far (file bytes uploaded, SQL bytes read into the destination), for the summary of a
// batch while those steps run; their results record the final figures when they end.
// Both are 0 for a migration that moved nothing in this process.
func (p *Pipeline) Moving(id int64) (uploaded, imported int64) {
	p.tmu.Lock()
	mv := p.moved[id]
	p.tmu.Unlock()
	if mv == nil {
		return 0, 0
	}
	uploaded = mv.uploaded.Load()
	if m := mv.upload.Load(); m != nil {
		uploaded = max(uploaded, m.Snapshot().Done)
	}
	return uploaded, mv.imported.Load()
}

// forgetMoving drops the migration's tally once its run ended.
func (p *Pipeline) forgetMoving(id int64) {
	p.tmu.Lock()
	delete(p.moved, id)
	p.tmu.Unlock()
}
