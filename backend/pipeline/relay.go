package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"ferry/backend/migration"
	"ferry/backend/runner"
	"ferry/backend/transfer"
	"ferry/backend/transfer/stage"
)

// Files go up while others still come down: when Download files starts, the upload
// starts too and copies each file to the destination as soon as it is complete in
// staging (transfer.Relay), with every folder created ahead. The staging copy stays
// whole, for a Retry and for Validate. The migration then takes about as long as the
// slower direction, not the sum of both. Upload files stays a step of its own: it
// waits for the relayed upload to end and reports it, as Export and Import database
// do for the database track (track.go). Each direction keeps its own journal, so after
// a crash a Retry downloads only what staging lacks and uploads only what the
// destination lacks.
//
// A download that fails stops the upload, and the migration fails with the download's
// error; an upload that fails stops the download, and the migration fails with the
// upload's. A Retry of Upload files on its own (the download had finished) uploads
// from staging as before.

// relayRun is a migration's upload running alongside its download.
type relayRun struct {
	relay  *transfer.Relay
	stage  transfer.Opener // shared with the download: the upload sees its files at once
	cancel context.CancelFunc
	up     *phase
	wg     sync.WaitGroup

	// set before up finishes
	took time.Duration
	man  transfer.Manifest
}

// errUploadFailed is the cause the download stops with when the upload failed.
var errUploadFailed = errors.New("the upload failed")

// startRelay starts the upload of j's migration alongside its download, and returns
// nil when the upload is to wait for the download instead: Upload files already done,
// source and destination on one server (both directions at once would double the
// connections to it, past what shared hosts tolerate), or Pipeline.Sequential.
// stopDownload is called with the upload's error when the upload fails.
func (p *Pipeline) startRelay(ctx context.Context, j *runner.Job, stopDownload context.CancelCauseFunc) *relayRun {
	m := j.Migration
	if p.Sequential || m.Method == migration.MethodManual || !pending(m, migration.StepUploadFiles) ||
		strings.EqualFold(serverAddr(m.Source), serverAddr(m.Destination)) {
		return nil
	}
	rctx, cancel := context.WithCancel(ctx)
	rl := &relayRun{relay: transfer.NewRelay(), stage: stage.Opener(p.filesDir(m.ID)), cancel: cancel, up: newPhase(j, migration.StepUploadFiles)}
	p.tmu.Lock()
	if p.relays == nil {
		p.relays = map[int64]*relayRun{}
	}
	p.relays[m.ID] = rl
	p.tmu.Unlock()
	rl.up.log.Logf(slog.LevelInfo, "Uploading each file as soon as it is downloaded")
	if t := p.track(m.ID); t != nil && t.dump != nil {
		mv, pacer := p.movingOf(m.ID), &transfer.Pacer{}
		mv.pace.Store(pacer) // before the copies start: they take it from mv
		rl.wg.Add(1)
		go func() {
			defer rl.wg.Done()
			var dbBytes int64
			if res, err := p.load(rctx, m.ID); err == nil {
				dbBytes = res.SourceDBBytes
			}
			p.paceFiles(rctx, rl.up.log, pacer, mv, t, rl.up, dbBytes)
		}()
	}
	rl.wg.Add(1)
	go func() {
		defer rl.wg.Done()
		err := p.relayUpload(rctx, m, rl)
		if err != nil && !errors.Is(err, transfer.ErrRelayEnded) && rctx.Err() == nil {
			stopDownload(fmt.Errorf("%w: %w", errUploadFailed, err))
		}
		rl.up.finish(err)
	}()
	return rl
}

// relayUpload uploads what the download relays, into the destination docroot.
func (p *Pipeline) relayUpload(ctx context.Context, m migration.Migration, rl *relayRun) error {
	res, err := p.load(ctx, m.ID)
	if err != nil {
		return err
	}
	if err := destinationFits(res, res.SourceBytes); err != nil {
		return err
	}
	rl.man, rl.took, err = p.uploadMirror(ctx, m, rl.up.log, rl.stage, rl.relay, nil)
	return err
}

// relayOf returns the migration's running relay, if any.
func (p *Pipeline) relayOf(id int64) *relayRun {
	p.tmu.Lock()
	defer p.tmu.Unlock()
	return p.relays[id]
}

// stopRelay cancels the migration's relayed upload, if any, and waits for it to end.
func (p *Pipeline) stopRelay(id int64) {
	p.tmu.Lock()
	rl := p.relays[id]
	delete(p.relays, id)
	p.tmu.Unlock()
	if rl != nil {
		rl.cancel()
		rl.wg.Wait()
	}
}

// awaitRelay waits for the relayed upload (Upload files' turn), publishing its
// progress, and forgets it.
func (p *Pipeline) awaitRelay(ctx context.Context, j *runner.Job, rl *relayRun) (transfer.Manifest, time.Duration, error) {
	err := await(ctx, j, rl.up)
	if err != nil {
		return transfer.Manifest{}, 0, err
	}
	p.tmu.Lock()
	if p.relays[j.Migration.ID] == rl {
		delete(p.relays, j.Migration.ID)
	}
	p.tmu.Unlock()
	rl.cancel()
	return rl.man, rl.took, nil
}
