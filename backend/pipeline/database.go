package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"ferry/backend/events"
	"ferry/backend/hostlimit"
	"ferry/backend/migration"
	"ferry/backend/mysqldb"
	"ferry/backend/runner"
	"ferry/backend/transfer/stage"
	"ferry/backend/wordpress"
)

// exportDatabase dumps the source database to staging (database.sql), written to a
// temporary name and renamed when complete so a half-written dump is never imported. When
// the database track already runs the export (see track.go), it waits for that instead.
func (p *Pipeline) exportDatabase(ctx context.Context, j *runner.Job) error {
	m := j.Migration
	if t := p.track(m.ID); t != nil && t.export != nil {
		return await(ctx, j, t.export)
	}
	site, err := p.stagedSite(ctx, m)
	if err != nil {
		return err
	}
	return p.exportDump(ctx, m, j, site, nil)
}

// exportDump writes the dump; g, when set, hears of every byte written so the import can
// read the dump while it grows.
func (p *Pipeline) exportDump(ctx context.Context, m migration.Migration, j stepLog, site wordpress.Site, g *growth) error {
	res, err := p.load(ctx, m.ID)
	if err != nil {
		return err
	}
	dbc, err := sourceDatabase(m, site)
	if err != nil {
		return err
	}
	ctx = withRoute(ctx, m, j)
	db, err := p.openDB(ctx, m.Source, dbc, "")
	if err != nil {
		return dbFailure("source", dbc, err)
	}
	defer db.Close()
	if db.Compressed() {
		j.Logf(slog.LevelInfo, "The source database %s: its rows come compressed", linkNote(db))
	} else {
		logFastLink(j, "source", db)
	}
	part := p.dumpPath(m.ID) + ".part"
	f, err := os.OpenFile(part, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return migration.Fail("Cannot write the database dump to staging", err)
	}
	var w io.Writer = f
	if g != nil {
		r, err := openShared(part)
		if err != nil {
			_ = f.Close()
			return migration.Fail("Cannot write the database dump to staging", err)
		}
		w = &growthWriter{f: f, g: g}
		g.create(r)
	}
	start := time.Now()
	total := res.SourceDBBytes
	workers := p.DumpWorkers
	if workers == 0 && sharedDBServer(m, dbc) {
		workers = sharedDumpReaders
		j.Logf(slog.LevelInfo, "The source's and the destination's databases are on one server: the export reads on %d connections and the import loads on at most %d, so that Ferry holds no more than %d to it", workers, sharedImportLoaders, sharedDBConnections)
	}
	stats, err := db.route.Dump(ctx, w, mysqldb.DumpOptions{
		Workers: workers,
		Progress: func(rows, bytes int64) {
			pct := 0.0
			if total > 0 {
				pct = min(99, float64(bytes)*100/float64(total))
			}
			el := time.Since(start).Seconds()
			j.Progress(events.Progress{Percent: pct, BytesDone: bytes, BytesTotal: total, RowsDone: rows, Speed: float64(bytes) / max(el, 0.001), ETASeconds: -1})
		},
	})
	cerr := f.Close()
	if err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(part)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return migration.Fail("Cannot dump MySQL database on remote server", err)
	}
	if err := os.Rename(part, p.dumpPath(m.ID)); err != nil {
		return migration.Fail("Cannot write the database dump to staging", err)
	}
	if stats.RowsPerTable == nil { // the server's mysqldump wrote it: count the rows there
		if stats.RowsPerTable, err = mysqldb.CountRows(ctx, db.DB); err != nil {
			return migration.Fail("Cannot count the rows of the source database", err)
		}
		for _, n := range stats.RowsPerTable {
			stats.Tables++
			stats.Rows += n
		}
	}
	j.Logf(slog.LevelInfo, "Exported %d tables, %d rows, %s in %s (%s snapshot)", stats.Tables, stats.Rows, humanBytes(stats.Bytes), time.Since(start).Round(time.Millisecond), stats.Snapshot)
	return p.update(ctx, m.ID, func(r *Results) {
		r.Export = &DatabaseStats{Tables: stats.Tables, Rows: stats.Rows, Bytes: stats.Bytes, DurationMs: time.Since(start).Milliseconds()}
		r.SourceRows = stats.RowsPerTable
	})
}

// stagedSite reads the WordPress facts from the staged copy of the files (or an empty Site
// when the database settings were given by hand).
func (p *Pipeline) stagedSite(ctx context.Context, m migration.Migration) (wordpress.Site, error) {
	if !m.Source.DB.FromWPConfig && m.Source.DB.Name != "" {
		return wordpress.Site{}, nil
	}
	dir := p.filesDir(m.ID)
	if plainStaging(dir) {
		return wordpress.Site{}, migration.Fail("The downloaded files are missing from staging", fmt.Errorf("%w: use Retry from start", errOldStaging))
	}
	if _, err := os.Stat(dir); err != nil {
		return wordpress.Site{}, migration.Fail("The downloaded files are missing from staging", err)
	}
	t, err := stage.Open(dir)
	if err != nil {
		return wordpress.Site{}, migration.Fail("The downloaded files are missing from staging", err)
	}
	defer t.Close()
	site, err := wordpress.DetectFiles(ctx, t, ".")
	if err != nil && !errors.Is(err, wordpress.ErrMultisite) {
		return site, migration.Fail("WordPress not found at specified path", err)
	}
	return site, nil
}

// importDatabase loads the staged dump into the destination database, rewriting the old
// URL to the new one as values stream past. Tables committed by an earlier attempt are
// skipped (the resume cursor). When the database track already runs the import (see
// track.go), it waits for that instead.
func (p *Pipeline) importDatabase(ctx context.Context, j *runner.Job) error {
	m := j.Migration
	if t := p.track(m.ID); t != nil {
		err := await(ctx, j, t.imp)
		p.stopTrack(m.ID) // the track has ended: forget it
		return err
	}
	r, size, err := p.openDump(ctx, m)
	if err != nil {
		return err
	}
	defer r.Close()
	return p.importDump(ctx, m, j, r, func() int64 { return size }, p.ImportWorkers)
}

// importDump imports the dump read from r; size gives its size so far, for progress.
// workers is the number of loading connections (0: mysqldb's default). Within a batch's
// connection budget, an import that the database server refused connections while
// another migration held some too gives back all of its own and starts again from the
// start of r (when r can seek), at its first unfinished table, once it is its turn (see
// hostlimit.MayYield): two imports each holding part of what they need would otherwise
// wait on each other.
func (p *Pipeline) importDump(ctx context.Context, m migration.Migration, j stepLog, r io.Reader, size func() int64, workers int) error {
	var rewind func() error
	switch v := r.(type) {
	case interface{ Rewind() error }:
		rewind = v.Rewind
	case io.Seeker:
		rewind = func() error { _, err := v.Seek(0, io.SeekStart); return err }
	}
	if rewind == nil || !hostlimit.Budgeted(ctx) {
		return p.importOnce(ctx, m, j, r, size, workers)
	}
	wait := time.Second
	for {
		err := p.importOnce(hostlimit.MayYield(ctx), m, j, r, size, workers)
		if err == nil || !hostlimit.Yielded(err) || ctx.Err() != nil {
			return err
		}
		if rewind() != nil {
			return err
		}
		j.Logf(slog.LevelInfo, "The destination database server has no connection left for this import: starting it again once the other migrations' imports are done")
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
		wait = min(2*wait, 20*time.Second)
	}
}

// importOnce is one attempt of importDump.
func (p *Pipeline) importOnce(ctx context.Context, m migration.Migration, j stepLog, r io.Reader, size func() int64, workers int) error {
	res, err := p.load(ctx, m.ID)
	if err != nil {
		return err
	}
	oldURL := m.OldURL
	if oldURL == "" {
		oldURL = res.OldURL
	}
	rw, err := newReplacer(oldURL, m)
	if err != nil {
		return migration.Fail("Invalid site URL", err)
	}
	kept := &keptRecorder{persist: func(v KeptValue) {
		_ = p.update(ctx, m.ID, func(r *Results) { r.Kept = append(r.Kept, v) })
	}}
	rw.OnBroken(kept.add)
	dst := m.Destination
	ctx = withRoute(ctx, m, j)
	db, err := p.openDB(ctx, dst, dst.DB, "")
	if err != nil {
		return dbFailure("destination", dst.DB, err)
	}
	defer db.Close()
	if len(res.ImportedTables) > 0 {
		j.Logf(slog.LevelInfo, "Resuming: %d tables already done by the previous attempt", len(res.ImportedTables))
	}
	far := db.RoundTrip() >= mysqldb.FarRoundTrip
	p.movingOf(m.ID).nearImport.Store(!far) // the files are paced only beside a near import (pace.go)
	if (far || db.Compressed()) && workers == 1 && p.ImportWorkers == 0 && !db.route.Wire() {
		workers = farImportWorkers
	}
	if p.ImportWorkers == 0 && workers > sharedImportLoaders {
		if src, ok := p.sourceDBOf(ctx, m); ok && sharedDBServer(m, src) {
			workers = sharedImportLoaders
		}
	}
	// SSH command and PHP routes carry no prepared statements. A far destination, or one
	// behind a slow link, gets INSERT text too rather than prepared INSERTs
	// (mysqldb/prepared.go): a prepared batch runs as several executions of a power-of-two
	// number of rows, each a round trip, and Ferry decodes every value first; text is one
	// round trip per batch, and over a slow link each round trip waits behind the files in
	// the link's queue. Measured on bench/wan, Ferry alone, FTP to SFTP with a 590 MB
	// database: at 40 ms 45.9 s with text against 70.1 s prepared (the import ended 6 s
	// and 33 s after the files); at RTT 0 behind 200 Mbit/s 34.3-34.7 s against 36.6-39.3
	// s. Near and fast, the server's CPU is what an import waits for, and prepared rows
	// spare it the parsing.
	text := db.route.Wire() || far || db.Compressed()
	if far || db.Compressed() {
		how := "importing"
		if workers > 1 {
			how = fmt.Sprintf("importing on %d connections", workers)
		}
		if db.Compressed() {
			how += ", compressed"
		}
		j.Logf(slog.LevelInfo, "The destination database %s: %s, rows as INSERT text", linkNote(db), how)
	} else {
		logFastLink(j, "destination", db)
	}
	start := time.Now()
	mv := p.movingOf(m.ID)
	stats, err := mysqldb.Import(ctx, db.DB, r, mysqldb.ImportOptions{
		Workers:   workers,
		Overwrite: m.Options.Overwrite || len(res.ImportedTables) > 0,
		Replace:   res.CreatedTables,
		OnCreate: func(table string) error {
			return p.update(ctx, m.ID, func(r *Results) {
				if !slices.Contains(r.CreatedTables, table) {
					r.CreatedTables = append(r.CreatedTables, table)
				}
			})
		},
		OnComplete:  func(table string) { p.journalTable(ctx, m.ID, table) },
		Rewriter:    rw,
		SkipTables:  res.ImportedTables,
		TextInserts: text,
		Log:         func(msg string) { j.Logf(slog.LevelInfo, "%s", msg) },
		Progress: func(ip mysqldb.ImportProgress) {
			mv.imported.Store(ip.BytesRead)
			size := size()
			pct := 0.0
			if size > 0 {
				pct = min(99.9, float64(ip.BytesRead)*100/float64(size))
			}
			el := time.Since(start).Seconds()
			speed := float64(ip.BytesRead) / max(el, 0.001)
			eta := -1.0
			if speed > 0 && size > 0 {
				eta = float64(size-ip.BytesRead) / speed
			}
			j.Progress(events.Progress{Percent: pct, BytesDone: ip.BytesRead, BytesTotal: size, RowsDone: ip.Rows, Speed: speed, ETASeconds: eta})
		},
	})
	// Whatever happened, keep the tables committed whole so a retry skips them, with their
	// rows, replacements and the values copied unchanged on purpose.
	done := append([]string{}, res.ImportedTables...)
	for _, t := range stats.CompletedTables {
		if !slices.Contains(done, t) {
			done = append(done, t)
		}
	}
	rs := rw.Stats()
	a := attempt{stats: stats, rewrites: rs, overflow: kept.overflow}
	var kerr error
	a.kept, kerr = kept.resolve(context.WithoutCancel(ctx), db.SQL(), a.committed(), rw.Needle())
	if kerr != nil && err == nil {
		err = kerr
	}
	var total int64
	var all wordpress.Stats
	if uerr := p.update(ctx, m.ID, func(r *Results) {
		r.ImportedTables = done
		r.fold(a)
		if err == nil {
			total, all = r.importTotals()
			r.Import = &DatabaseStats{Tables: len(done), Rows: total, Bytes: stats.BytesRead, DurationMs: time.Since(start).Milliseconds()}
			r.Replacements = &all
		}
	}); uerr != nil && err == nil {
		err = uerr
	}
	if err != nil && m.Method == migration.MethodManual && !hostlimit.Yielded(err) {
		// a manual import that fails leaves the destination as it found it
		p.undoManual(ctx, j, m, db.DB, append(append([]string{}, res.CreatedTables...), stats.Tables...))
	}
	if err != nil {
		var dropped []string
		for _, t := range stats.Tables {
			if !slices.Contains(stats.CompletedTables, t) {
				dropped = append(dropped, t)
			}
		}
		if len(dropped) > 0 {
			j.Logf(slog.LevelWarn, "Import stopped; removed the tables it had not finished: %s", strings.Join(dropped, ", "))
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var ie *mysqldb.ImportError
		var re *mysqldb.RefusedError
		switch {
		case errors.As(err, &re):
			return migration.Fail(re.Error(), nil)
		case errors.As(err, &ie):
			return migration.Fail(ie.Msg, ie.Err)
		}
		return migration.Fail("Database import failed", err)
	}
	j.Logf(slog.LevelInfo, "Imported %d tables, %d rows in %s; %d URLs rewritten in %d values", len(stats.Tables), stats.Rows, time.Since(start).Round(time.Millisecond), rs.Replacements, rs.Values)
	if len(res.ImportedTables) > 0 {
		j.Logf(slog.LevelInfo, "Over every attempt: %d tables, %d rows; %d URLs rewritten in %d values", len(done), total, all.Replacements, all.Values)
	}
	if rs.Broken > 0 {
		j.Logf(slog.LevelWarn, "%d serialized values were already damaged in the source and were copied unchanged (%v); Validate names each", rs.Broken, rs.BrokenSamples)
	}
	return nil
}

// openDump opens the dump to import: the staged export of an automatic migration, or the
// file the admin attached to a manual one (.sql, .sql.gz or a zip holding the SQL).
func (p *Pipeline) openDump(ctx context.Context, m migration.Migration) (io.ReadCloser, int64, error) {
	if m.Method == migration.MethodManual {
		return p.openAttachedSQL(ctx, m)
	}
	f, err := os.Open(p.dumpPath(m.ID))
	if err != nil {
		return nil, 0, migration.Fail("Database dump file is missing, empty, or corrupt", err)
	}
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		f.Close()
		return nil, 0, migration.Fail("Database dump file is missing, empty, or corrupt", err)
	}
	return f, st.Size(), nil
}

// logFastLink says what the probe of a near server's link measured when it left the
// connections plain, so a slow run can be told from a misjudged link.
func logFastLink(j stepLog, side string, db *dbConn) {
	if db.LinkUntimed() {
		j.Logf(slog.LevelWarn, "The %s database's link could not be timed: its connections stay uncompressed. If that link is slow, set %s=on for Ferry", side, "FERRY_MYSQL_COMPRESSION")
		return
	}
	if speed := db.LinkSpeed(); speed > 0 {
		j.Logf(slog.LevelInfo, "The %s database's link measured %.0f MB/s: its connections stay uncompressed", side, speed/1e6)
	}
}

// linkNote says what makes a database's link cost time (or, when nothing does, that
// compression was asked for): "is 41ms away", "is behind a link of 23.5 MB/s".
func linkNote(db *dbConn) string {
	if rtt := db.RoundTrip(); rtt >= mysqldb.FarRoundTrip {
		return fmt.Sprintf("is %s away", rtt.Round(time.Millisecond))
	}
	if speed := db.LinkSpeed(); speed > 0 && speed < mysqldb.SlowLink {
		return fmt.Sprintf("is behind a link of %.1f MB/s", speed/1e6)
	}
	return "has compression set on"
}

// farImportWorkers is how many connections the database track loads with when the
// destination server is far: one loader then spends most of its time waiting for each
// batch's answer (measured at 40 ms: 590 MB in 170 s on one connection, 84 s on four).
// A near server behind a slow link gets as many: there one compressed loader is what
// the whole migration waits for (bench/wan at RTT 0: 69.9 s on one, 56.0 s on four).
const farImportWorkers = 4
