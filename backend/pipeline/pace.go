package pipeline

import (
	"context"
	"log/slog"
	"time"

	"ferry/backend/transfer"
)

// On a fast link the database import is what a migration waits for last: it runs at the
// destination server's speed and cannot start before the export, while the files only
// need the link. Files copied at full speed beside it take the link and the servers'
// CPU from the export and the import, then wait for them (measured in bench/wan at RTT
// 0, everything on 2 cores: with the files held back 12 s the import took 30.4 s
// instead of 35.7 s and the migration 36.5-37.0 s instead of 38.6-38.8 s). So while the
// database track runs beside the relayed upload, Ferry paces the files (both directions
// share one rate) so that they end a little before the import would, never below a
// quarter of the speed they reached unpaced; the rate is weighed again every half
// second, and files run unpaced again as soon as they would end after the import. Where
// the files are the long pole, nothing is paced. Nor beside a far destination database
// (10 ms or more): there the import waits on round trips, not on the link or the CPU the
// files take, and pacing them bought nothing (bench/wan, Ferry alone, one round each: at
// 120 ms the import took 73.3 s paced against 68.0 s unpaced, and at 40 ms the paced
// upload took 39.1 s, the 0.25x of lftp's that issue 18 allows).

const (
	paceEvery = 500 * time.Millisecond
	// minPaceShare is the least share of their unpaced speed files are paced to.
	minPaceShare = 0.25
	// dumpShareOfDB is how big a dump is, at least, against the tables' data and index
	// bytes, for guessing the import's size while the export still writes it: low, so
	// that a wrong guess paces the files too little, never too much.
	dumpShareOfDB = 0.5
)

// paceRate is the rate the files are paced to (bytes a second of both directions
// together), or 0 for unpaced: filesLeft bytes to move at up to peak bytes a second,
// beside an import with importLeft bytes left at impRate bytes a second.
func paceRate(filesLeft, importLeft int64, impRate, peak float64) float64 {
	if filesLeft <= 0 || importLeft <= 0 || impRate <= 0 || peak <= 0 {
		return 0
	}
	eta := float64(importLeft) / impRate
	target := eta*0.9 - 1 // end a little before the import
	if target <= 0 {
		return 0
	}
	need := float64(filesLeft) / target
	if need >= peak {
		return 0 // at full speed they would not end before the import
	}
	return max(need, peak*minPaceShare)
}

// ewma folds a new rate sample into the smoothed one.
func ewma(old, sample float64) float64 {
	if old == 0 {
		return sample
	}
	return 0.7*old + 0.3*sample
}

// paceFiles paces the migration's file copies with pacer (mv.pace, which the download
// and the relayed upload use) beside the database track t, which exports, until ctx
// ends, the import ends or the upload ends. dbBytes is the source's tables' size, for
// the import's size while the export runs.
func (p *Pipeline) paceFiles(ctx context.Context, log stepLog, pacer *transfer.Pacer, mv *moving, t *dbTrack, up *phase, dbBytes int64) {
	defer pacer.SetRate(0)
	tick := time.NewTicker(paceEvery)
	defer tick.Stop()
	var (
		lastAt        time.Time
		lastImported  int64
		impRate, peak float64
		pacedFor      time.Duration
		told          bool
	)
	for {
		select {
		case <-ctx.Done():
		case <-t.imp.done:
		case <-up.done:
		case <-tick.C:
			rate := 0.0
			now := time.Now()
			down, upl := mv.download.Load(), mv.upload.Load()
			if down == nil || upl == nil {
				continue
			}
			ds, us := down.Snapshot(), upl.Snapshot()
			imported := mv.imported.Load()
			written, exported := t.dump.state()
			if !lastAt.IsZero() {
				impRate = ewma(impRate, float64(imported-lastImported)/now.Sub(lastAt).Seconds())
				if pacer.Rate() == 0 {
					peak = max(peak, ds.Speed+us.Speed)
				}
				importLeft := written - imported
				if !exported {
					importLeft = max(importLeft, int64(float64(dbBytes)*dumpShareOfDB)-imported)
				}
				if mv.nearImport.Load() {
					rate = paceRate(ds.Total+us.Total-ds.Done-us.Done, importLeft, impRate, peak)
				}
			}
			lastAt, lastImported = now, imported
			if rate > 0 {
				pacedFor += paceEvery
				if !told {
					told = true
					log.Logf(slog.LevelInfo, "The database import ends last: the files are paced (now %s/s) so that it gets the link, and end a little before it", humanBytes(int64(rate)))
				}
			}
			pacer.SetRate(rate)
			continue
		}
		if told {
			log.Logf(slog.LevelInfo, "The files were paced for %s of the import", pacedFor.Round(time.Second))
		}
		return
	}
}
