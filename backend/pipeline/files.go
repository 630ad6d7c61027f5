package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"ferry/backend/hostlimit"
	"ferry/backend/migration"
	"ferry/backend/progress"
	"ferry/backend/runner"
	"ferry/backend/transfer"
	"ferry/backend/transfer/sftp"
	"ferry/backend/transfer/stage"
)

// downloadFiles mirrors the source tree into staging, with the upload running alongside
// and sending each file on as soon as it is complete (relay.go). A retry passes the
// manifest of the interrupted run so files already complete are kept.
func (p *Pipeline) downloadFiles(ctx context.Context, j *runner.Job) error {
	m := j.Migration
	dir := p.filesDir(m.ID)
	if plainStaging(dir) {
		j.Logf(slog.LevelInfo, "The staging copy was made by an earlier version of Ferry: the files download again")
		if err := errors.Join(removeAll(dir), removeAll(p.downloadManifest(m.ID)), removeAll(transfer.JournalPath(p.downloadManifest(m.ID)))); err != nil {
			return migration.Fail("Cannot clear the staging folder", err)
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return migration.Fail("Cannot create the staging folder", err)
	}
	src, streams, done, err := p.mirrorOpener(ctx, m.Source, sftp.DownloadStreams)
	if err != nil {
		return err
	}
	defer done()
	p.startTrack(ctx, j)
	opts := p.mirrorOptions(j, p.downloadManifest(m.ID), m.Options.Excludes)
	opts.Streams, opts.GrowTo = streams, p.growTo(m.Source)
	// A batch migration copies within its share of the host's connection budget: no growth.
	if hostlimit.Budgeted(ctx) {
		opts.Workers, opts.GrowTo = hostlimit.Workers(ctx, opts.Workers), 0
	}
	opts.SourceListing = p.takeListing(m.ID)
	if sf := p.startSiteFiles(ctx, j); sf != nil {
		opts.Bulk = sf.read
		defer p.finishSiteFiles(j, sf)
	}
	// Analyse source's FTP logins, if this run made them, download first.
	if kept := p.takeHandoff(m.ID); len(kept) > 0 {
		n := min(len(kept), opts.Workers)
		closeAll(kept[n:])
		var leftover func()
		src, leftover = reuse(kept[:n], src)
		defer leftover()
	}
	dctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	staging := stage.Opener(dir)
	rl := p.startRelay(ctx, j, stop)
	if rl != nil {
		opts.RelayTo, staging = rl.relay, rl.stage
		mv := p.movingOf(m.ID)
		opts.Meter = func(m *progress.Meter) { mv.download.Store(m) }
		opts.Pace = mv.pace.Load()
	}
	start := time.Now()
	man, err := transfer.Mirror(dctx, func(ctx context.Context) (transfer.Tree, error) {
		t, err := src(ctx)
		if err != nil {
			return nil, fileFailure(m.Source, err)
		}
		return t, nil
	}, staging, opts)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if cause := context.Cause(dctx); errors.Is(cause, errUploadFailed) {
			<-rl.up.done
			return rl.up.err // the upload's own failure stopped the download
		}
		if errors.Is(err, transfer.ErrNoSpace) {
			return migration.Fail("Insufficient disk space on this computer", err)
		}
		return fileFailure(m.Source, err)
	}
	j.Logf(slog.LevelInfo, "Downloaded %d files, %s in %s", len(man.Files), humanBytes(man.Bytes()), time.Since(start).Round(time.Millisecond))
	return p.update(ctx, m.ID, func(r *Results) {
		r.Download = &TransferStats{Files: int64(len(man.Files)), Bytes: man.Bytes(), DurationMs: time.Since(start).Milliseconds()}
	})
}

// uploadFiles mirrors staging into the destination docroot.
func (p *Pipeline) uploadFiles(ctx context.Context, j *runner.Job) error {
	m := j.Migration
	if m.Method == migration.MethodManual {
		return p.extractZip(ctx, j)
	}
	var man transfer.Manifest
	var took time.Duration
	var err error
	if rl := p.relayOf(m.ID); rl != nil {
		man, took, err = p.awaitRelay(ctx, j, rl)
	} else {
		man, took, err = p.uploadStaged(ctx, j)
	}
	if err != nil {
		return err
	}
	down, err := transfer.ReadManifestFile(p.downloadManifest(m.ID))
	if err != nil {
		return migration.Fail("The downloaded files are missing from staging", fmt.Errorf("%w: use Retry from start", err))
	}
	j.Logf(slog.LevelInfo, "Uploaded %d files, %s in %s", len(man.Files), humanBytes(man.Bytes()), took.Round(time.Millisecond))
	// The staging copy does not keep modes: the download's manifest has the source's.
	permWarn := p.keepModes(ctx, j, m, down.Files)
	return p.update(ctx, m.ID, func(r *Results) {
		r.Upload = &TransferStats{Files: int64(len(man.Files)), Bytes: man.Bytes(), DurationMs: took.Milliseconds()}
		if permWarn != "" {
			r.addWarning(permWarn)
		}
	})
}

// uploadStaged uploads the whole staging copy, once the download has ended.
func (p *Pipeline) uploadStaged(ctx context.Context, j *runner.Job) (transfer.Manifest, time.Duration, error) {
	m := j.Migration
	res, err := p.load(ctx, m.ID)
	if err != nil {
		return transfer.Manifest{}, 0, err
	}
	down, err := transfer.ReadManifestFile(p.downloadManifest(m.ID))
	if err == nil && plainStaging(p.filesDir(m.ID)) {
		err = errOldStaging
	}
	if err != nil {
		return transfer.Manifest{}, 0, migration.Fail("The downloaded files are missing from staging", fmt.Errorf("%w: use Retry from start", err))
	}
	if err := destinationFits(res, down.Bytes()); err != nil {
		return transfer.Manifest{}, 0, err
	}
	man, took, err := p.uploadMirror(ctx, m, j, stage.Opener(p.filesDir(m.ID)), nil, func() { p.startTrack(ctx, j) })
	if err != nil && ctx.Err() != nil {
		return man, 0, ctx.Err()
	}
	return man, took, err
}

// destinationFits fails the migration when need bytes exceed the destination's free
// space as Check destination measured it (0: unknown, nothing to compare).
func destinationFits(res Results, need int64) error {
	if res.DestinationFree > 0 && need > res.DestinationFree {
		return migration.Fail(fmt.Sprintf("Insufficient disk space: need %s, have %s", humanBytes(need), humanBytes(res.DestinationFree)),
			errors.New("on the destination"))
	}
	return nil
}

// uploadMirror copies from into the destination docroot, with the upload's options
// (its manifest for resume, wp-config.php atomic, SFTP streams, growth or the batch's
// share): the whole staging copy, or what relay hands over as the download goes.
// opened runs once the destination's side is open.
func (p *Pipeline) uploadMirror(ctx context.Context, m migration.Migration, log stepLog, from transfer.Opener, relay *transfer.Relay, opened func()) (transfer.Manifest, time.Duration, error) {
	dst, streams, done, err := p.mirrorOpener(ctx, m.Destination, sftp.UploadStreams)
	if err != nil {
		return transfer.Manifest{}, 0, err
	}
	defer done()
	if streams > 0 && !hostlimit.Limited(ctx) {
		var end func()
		dst, end = p.secondLogin(m.Destination, dst)
		streams = min(2*streams, transfer.MaxStreams)
		defer end()
	}
	if opened != nil {
		opened()
	}
	opts := p.mirrorOptions(log, p.uploadManifest(m.ID), nil)
	mv, publish := p.movingOf(m.ID), opts.Progress
	opts.Progress = func(s progress.Snapshot) {
		mv.uploaded.Store(s.Done)
		publish(s)
	}
	opts.Meter = func(m *progress.Meter) { mv.upload.Store(m) }
	opts.Atomic = atomicUploads
	opts.Streams, opts.GrowTo = streams, p.growTo(m.Destination)
	// A batch migration copies within its share of the host's connection budget: no growth.
	if hostlimit.Budgeted(ctx) {
		opts.Workers, opts.GrowTo = hostlimit.Workers(ctx, opts.Workers), 0
	}
	opts.RelayFrom = relay
	if relay != nil {
		opts.Pace = mv.pace.Load()
	}
	start := time.Now()
	man, err := transfer.Mirror(ctx, from, func(ctx context.Context) (transfer.Tree, error) {
		t, err := dst(ctx)
		if err != nil {
			return nil, fileFailure(m.Destination, err)
		}
		return t, nil
	}, opts)
	if err != nil {
		if ctx.Err() != nil || errors.Is(err, transfer.ErrRelayEnded) {
			return man, 0, err
		}
		return man, 0, fileFailure(m.Destination, err)
	}
	return man, time.Since(start), nil
}

// mirrorOpener opens the endpoint's side of a Mirror: over SFTP, streams files in
// flight on one shared login (the migration's, see sftpPool, when ctx names it);
// otherwise one connection per worker (streams 0). done logs out of a login that is
// not the migration's.
func (p *Pipeline) mirrorOpener(ctx context.Context, ep migration.Endpoint, streams int) (transfer.Opener, int, func(), error) {
	if ep.Protocol == migration.ProtocolSFTP {
		cfg := p.sftpConfig(ep, ep.Path)
		if id, ok := ctx.Value(migrationKey{}).(int64); ok {
			return p.sftpPool(id, cfg).Opener(), streams, func() {}, nil
		}
		pool := sftp.NewPool(cfg)
		return pool.Opener(), streams, func() { _ = pool.Close() }, nil
	}
	op, err := p.opener(ep, "")
	return op, 0, func() {}, err
}

// secondLogin spreads an upload's streams over the migration's SFTP login (first) and a
// login of the upload's own, so that twice as many files are in flight at once for the
// same number per login. Each small file costs its stream three round trips (open,
// write, close); while the download fills the link beside it, each waits behind the
// link's queue too: at 40 ms, 64 files in flight uploaded about 130 small files a second.
// On bench/wan at 40 ms, with this and small files let past big ones' bytes (transfer's
// jobQueue), files up took 29.4-30.4 s in 3 rounds (Ferry alone) where the last whole run,
// on one login, took 38.7-43.5 s. A batch migration keeps its one login
// (its connections count against the host's budget). The second login ends with the
// upload.
//
// The second login is a bonus: a host that allows one SSH session per account (or drops
// it at MaxStartups) refuses it, and its streams are then left out (transfer.ErrNoSpare)
// while the upload goes on, on the first login, as it did with one. Once refused, it is
// not asked again.
func (p *Pipeline) secondLogin(ep migration.Endpoint, first transfer.Opener) (transfer.Opener, func()) {
	extra := sftp.NewPool(p.sftpConfig(ep, ep.Path))
	var k atomic.Int64
	var mu sync.Mutex
	refused := false
	openExtra := func(ctx context.Context) (transfer.Tree, error) {
		mu.Lock()
		defer mu.Unlock()
		if refused {
			return nil, transfer.ErrNoSpare
		}
		t, err := extra.Open(ctx)
		if err != nil && ctx.Err() == nil {
			refused = true
			return nil, fmt.Errorf("%w: %w", transfer.ErrNoSpare, err)
		}
		return t, err
	}
	return func(ctx context.Context) (transfer.Tree, error) {
		if k.Add(1)%2 == 0 {
			return openExtra(ctx)
		}
		return first(ctx)
	}, func() { _ = extra.Close() }
}

// downloadWorkers is how many connections Download files starts with (mirrorOptions).
func (p *Pipeline) downloadWorkers(ctx context.Context) int {
	if hostlimit.Budgeted(ctx) {
		return hostlimit.Workers(ctx, p.connections())
	}
	return p.connections()
}

// ftpConnections is how many connections Ferry grows to on an FTP server, from
// DefaultWorkers, while that still speeds the copy up, unless the admin chose a number.
const ftpConnections = 8

func (p *Pipeline) growTo(ep migration.Endpoint) int {
	p.mu.Lock()
	chosen := p.Connections > 0
	p.mu.Unlock()
	if chosen || ep.Protocol != migration.ProtocolFTP && ep.Protocol != migration.ProtocolFTPS {
		return 0
	}
	return ftpConnections
}

// atomicUploads are the files an upload puts in place only once whole: a Stop or a
// failure midway must not leave the destination with a truncated wp-config.php.
var atomicUploads = []string{"wp-config.php"}

// mirrorOptions are the settings both directions share; an earlier run's manifest at
// manifestPath makes the copy resume.
func (p *Pipeline) mirrorOptions(j stepLog, manifestPath string, excludes []string) transfer.MirrorOptions {
	opts := transfer.MirrorOptions{
		Workers:      p.connections(),
		Exclude:      excludes,
		ManifestPath: manifestPath,
		Progress: func(s progress.Snapshot) {
			j.Progress(snapshotEvent(s))
		},
		OnRetry: func(path string, attempt int, err error) {
			j.Logf(slog.LevelWarn, "Retrying %s (attempt %d): %v", path, attempt, err)
		},
		OnNotice: func(msg string) { j.Logf(slog.LevelWarn, "%s", msg) },
	}
	// The manifest of an attempt that ended, plus the journal of one that was killed.
	if prev, err := transfer.ReadResumeManifest(manifestPath); err == nil && len(prev.Files) > 0 {
		opts.Previous = &prev
		j.Logf(slog.LevelInfo, "Resuming: %d files already done by the previous attempt", len(prev.Files))
	}
	return opts
}

// errOldStaging is why a staging copy in the old layout cannot be used.
var errOldStaging = errors.New("they were stored by an earlier version of Ferry")

// plainStaging reports whether dir holds a staging copy in the layout of Ferry versions
// before the pack files (one ordinary file per site file), which backend/transfer/stage
// does not read.
func plainStaging(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if e.Name() != "tree" && e.Name() != "packs" {
			return true
		}
	}
	return false
}

// maxCachedListing bounds the source listing kept between Analyse source and Download
// files (about 100 bytes an entry).
const maxCachedListing = 200_000

// cacheListing keeps the source listing Analyse source made, so Download files need not
// list the source again; takeListing hands it over once.
func (p *Pipeline) cacheListing(id int64, l []transfer.Entry) {
	p.tmu.Lock()
	defer p.tmu.Unlock()
	if p.listings == nil {
		p.listings = map[int64][]transfer.Entry{}
	}
	p.listings[id] = l
}

func (p *Pipeline) takeListing(id int64) []transfer.Entry {
	p.tmu.Lock()
	defer p.tmu.Unlock()
	l := p.listings[id]
	delete(p.listings, id)
	return l
}
