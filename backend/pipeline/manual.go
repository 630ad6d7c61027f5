package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"ferry/backend/archive"
	"ferry/backend/migration"
	"ferry/backend/mysqldb"
	"ferry/backend/progress"
	"ferry/backend/runner"
	"ferry/backend/store"
	"ferry/backend/transfer"
)

// FileStore gives the files an admin attached to a manual migration.
type FileStore interface {
	Files(ctx context.Context, id int64) ([]store.AttachedFile, error)
}

// attached returns the path of the migration's attached site zip or SQL dump.
func (p *Pipeline) attached(ctx context.Context, id int64, wantZip bool) (string, error) {
	if p.Files == nil {
		return "", errors.New("no attached files store")
	}
	files, err := p.Files.Files(ctx, id)
	if err != nil {
		return "", err
	}
	for _, f := range files {
		if (f.Kind == store.FileSiteZip) == wantZip {
			return f.Path, nil
		}
	}
	if wantZip {
		return "", migration.Fail("File extraction failed: wordpress-files.zip is not attached", nil)
	}
	return "", migration.Fail("Database dump file is missing, empty, or corrupt", errors.New("database.sql is not attached"))
}

// openAttachedSQL opens the dump attached to a manual migration (.sql, .sql.gz or a zip
// holding the SQL), streamed, never read whole.
func (p *Pipeline) openAttachedSQL(ctx context.Context, m migration.Migration) (io.ReadCloser, int64, error) {
	path, err := p.attached(ctx, m.ID, false)
	if err != nil {
		return nil, 0, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, 0, migration.Fail("Database dump file is missing, empty, or corrupt", err)
	}
	// checked again here: the dump may have been replaced while the files were extracted
	zipPath, err := p.attached(ctx, m.ID, true)
	if err != nil {
		return nil, 0, err
	}
	if err := p.gateManual(ctx, m, zipPath); err != nil {
		return nil, 0, err
	}
	rc, _, err := archive.OpenSQL(path)
	if err != nil {
		return nil, 0, migration.Fail("Database dump file is missing, empty, or corrupt", err)
	}
	return rc, st.Size(), nil
}

// extractZip streams the attached site zip straight into the destination docroot, in
// parallel, resuming after the files a previous attempt completed.
func (p *Pipeline) extractZip(ctx context.Context, j *runner.Job) error {
	m := j.Migration
	zipPath, err := p.attached(ctx, m.ID, true)
	if err != nil {
		return err
	}
	if err := p.gateManual(ctx, m, zipPath); err != nil {
		return err
	}
	if err := os.MkdirAll(p.StagingDir(m.ID), 0o700); err != nil {
		return migration.Fail("Cannot create the staging folder", err)
	}
	res, err := p.load(ctx, m.ID)
	if err != nil {
		return err
	}
	open, err := p.opener(m.Destination, "")
	if err != nil {
		return err
	}
	dstOpen := func(ctx context.Context) (transfer.Tree, error) {
		t, err := open(ctx)
		if err != nil {
			return nil, fileFailure(m.Destination, err)
		}
		return t, nil
	}
	dst, err := dstOpen(ctx)
	if err != nil {
		return err
	}
	defer dst.Close()
	opts := archive.ExtractOptions{Workers: p.connections(), Opener: dstOpen, Atomic: atomicUploads}
	if windowsNames(m) != nil {
		opts.CheckPaths = checkWindowsPaths
	}
	manPath := p.uploadManifest(m.ID)
	if prev, err := transfer.ReadManifestFile(manPath); err == nil && len(prev.Files) > 0 {
		for _, f := range prev.Files {
			opts.Previous = append(opts.Previous, archive.ManifestEntry{Path: f.Path, Size: f.Size, SHA256: f.SHA256, Mode: f.Mode})
		}
		j.Logf(slog.LevelInfo, "Resuming: %d files already extracted by the previous attempt", len(prev.Files))
	}
	if err := destinationFits(res, res.SourceBytes); err != nil {
		return err
	}
	meter := progress.NewMeter(res.SourceBytes, 100*time.Millisecond, func(s progress.Snapshot) { j.Progress(snapshotEvent(s)) })
	var last archive.ExtractProgress
	opts.Progress = func(ep archive.ExtractProgress) {
		meter.AddTotal(ep.BytesTotal - meter.Snapshot().Total)
		meter.SetFiles(ep.FilesTotal)
		meter.Add(ep.BytesDone - last.BytesDone)
		for i := last.FilesDone; i < ep.FilesDone; i++ {
			meter.FileDone()
		}
		last = ep
	}
	start := time.Now()
	stats, err := archive.Extract(ctx, zipPath, dst, opts)
	meter.Done()
	man := transfer.Manifest{}
	for _, e := range stats.Manifest {
		man.Files = append(man.Files, transfer.ManifestFile{Path: e.Path, Size: e.Size, SHA256: e.SHA256, Mode: e.Mode})
	}
	if werr := transfer.WriteManifestFile(manPath, man); werr != nil && err == nil {
		err = werr
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var pe *archive.ProblemsError
		if errors.As(err, &pe) {
			return migration.Fail("File extraction failed: "+filepath.Base(zipPath)+": "+firstLine(pe.Error()), err)
		}
		if errors.Is(err, transfer.ErrNoSpace) {
			return migration.Fail("Insufficient disk space on destination", err)
		}
		return fileFailure(m.Destination, err)
	}
	j.Logf(slog.LevelInfo, "Extracted %d files (%d kept from the previous attempt), %s in %s", stats.Files, stats.Resumed, humanBytes(stats.Bytes), time.Since(start).Round(time.Millisecond))
	permWarn := p.keepModes(ctx, j, m, man.Files)
	return p.update(ctx, m.ID, func(r *Results) {
		r.Upload = &TransferStats{Files: int64(len(stats.Manifest)), Bytes: man.Bytes(), DurationMs: time.Since(start).Milliseconds()}
		if permWarn != "" {
			r.addWarning(permWarn)
		}
	})
}

func firstLine(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return s[:i]
		}
	}
	return s
}

// CheckDumpFile runs the import's guard (mysqldb.CheckDump) over the whole attached dump,
// as Verify must: it returns nil exactly when Import would not refuse it. A refusal names
// the file. database is the destination database.
func CheckDumpFile(ctx context.Context, path, database string) (mysqldb.DumpCheck, error) {
	rc, _, err := archive.OpenSQL(path)
	if err != nil {
		return mysqldb.DumpCheck{}, err
	}
	defer rc.Close()
	dc, err := mysqldb.CheckDump(ctx, rc, database)
	var re *mysqldb.RefusedError
	if errors.As(err, &re) {
		re.File = filepath.Base(path)
	}
	return dc, err
}

// FingerprintFiles fingerprints the attached site zip and dump.
func FingerprintFiles(zipPath, sqlPath string) (VerifiedFiles, error) {
	var v VerifiedFiles
	var err error
	if v.Zip, err = archive.FingerprintZip(zipPath); err != nil {
		return v, err
	}
	v.SQL, err = archive.FingerprintDump(sqlPath)
	return v, err
}

// ErrChangedAfterVerify reports an attached file that is not the one Verify checked.
var ErrChangedAfterVerify = errors.New("attached file changed after Verify")

// CheckUnchanged refuses attached files that differ from what Verify fingerprinted.
func CheckUnchanged(verified *VerifiedFiles, zipPath, sqlPath string) error {
	if verified == nil {
		return fmt.Errorf("%w: no Verify on record: Verify again", ErrChangedAfterVerify)
	}
	now, err := FingerprintFiles(zipPath, sqlPath)
	switch {
	case err != nil:
		return fmt.Errorf("%w: an attached file cannot be read (%v): attach it and Verify again", ErrChangedAfterVerify, err)
	case !now.SQL.Same(verified.SQL):
		return fmt.Errorf("%w: %s changed after Verify: Verify again", ErrChangedAfterVerify, now.SQL.Name)
	case !now.Zip.Same(verified.Zip):
		return fmt.Errorf("%w: %s changed after Verify: Verify again", ErrChangedAfterVerify, now.Zip.Name)
	}
	return nil
}

// gateManual runs before anything of a manual migration is written to the destination:
// the attached files must be those Verify passed.
func (p *Pipeline) gateManual(ctx context.Context, m migration.Migration, zipPath string) error {
	sqlPath, err := p.attached(ctx, m.ID, false)
	if err != nil {
		return err
	}
	res, err := p.load(ctx, m.ID)
	if err != nil {
		return err
	}
	if err := CheckUnchanged(res.Verified, zipPath, sqlPath); err != nil {
		msg := err.Error()
		if i := strings.Index(msg, ": "); i >= 0 {
			msg = msg[i+2:]
		}
		return migration.Fail(msg, err)
	}
	return nil
}

// undoManual removes what a failed import of a manual migration wrote, so that the
// destination is as the migration found it: the tables this migration's imports created
// and the files its extraction wrote (from the upload manifest), then the folders they
// leave empty. Its cursors are cleared, so Retry from start begins afresh. Files an
// "overwrite" replaced cannot be brought back and are not touched.
func (p *Pipeline) undoManual(ctx context.Context, j stepLog, m migration.Migration, db *mysqldb.DB, tables []string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	dropped := 0
	for _, t := range tables {
		if _, err := db.SQL().ExecContext(ctx, "DROP TABLE IF EXISTS `"+strings.ReplaceAll(t, "`", "``")+"`"); err == nil {
			dropped++
		}
	}
	removed, kept := 0, 0
	manPath := p.uploadManifest(m.ID)
	if man, err := transfer.ReadManifestFile(manPath); err == nil && len(man.Files) > 0 {
		open, err := p.opener(m.Destination, "")
		var dst transfer.Tree
		if err == nil {
			dst, err = open(ctx)
		}
		if err == nil {
			dirs := map[string]bool{}
			for _, f := range man.Files {
				if dst.Remove(ctx, f.Path) == nil {
					removed++
				} else {
					kept++
				}
				for d := path.Dir(f.Path); d != "." && d != "/"; d = path.Dir(d) {
					dirs[d] = true
				}
			}
			list := make([]string, 0, len(dirs))
			for d := range dirs {
				list = append(list, d)
			}
			sort.Slice(list, func(a, b int) bool { return strings.Count(list[a], "/") > strings.Count(list[b], "/") })
			for _, d := range list {
				_ = dst.Remove(ctx, d) // only empty folders go
			}
			dst.Close()
		} else {
			kept = len(man.Files)
		}
	}
	if kept == 0 {
		_ = os.Remove(manPath)
	}
	_ = p.update(ctx, m.ID, func(r *Results) { r.ImportedTables, r.CreatedTables, r.Upload = nil, nil, nil })
	if kept > 0 {
		j.Logf(slog.LevelWarn, "The import failed: removed %d tables and %d files this migration wrote; %d files could not be removed from the destination", dropped, removed, kept)
		return
	}
	j.Logf(slog.LevelWarn, "The import failed: removed the %d tables and %d files this migration wrote, so the destination is as it was; fix the cause and use Retry from start", dropped, removed)
}
