package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"ferry/backend/archive"
	"ferry/backend/migration"
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
	opts := archive.ExtractOptions{Workers: p.connections(), Opener: dstOpen}
	if windowsNames(m) != nil {
		opts.CheckPaths = checkWindowsPaths
	}
	manPath := p.uploadManifest(m.ID)
	if prev, err := transfer.ReadManifestFile(manPath); err == nil && len(prev.Files) > 0 {
		for _, f := range prev.Files {
			opts.Previous = append(opts.Previous, archive.ManifestEntry{Path: f.Path, Size: f.Size, SHA256: f.SHA256})
		}
		j.Logf(slog.LevelInfo, "Resuming: %d files already extracted by the previous attempt", len(prev.Files))
	}
	if res.DestinationFree > 0 && res.SourceBytes > res.DestinationFree {
		return migration.Fail(fmt.Sprintf("Insufficient disk space: need %s, have %s", humanBytes(res.SourceBytes), humanBytes(res.DestinationFree)),
			errors.New("on the destination"))
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
		man.Files = append(man.Files, transfer.ManifestFile{Path: e.Path, Size: e.Size, SHA256: e.SHA256})
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
			return migration.Fail("File extraction failed: "+firstLine(pe.Error()), err)
		}
		if errors.Is(err, transfer.ErrNoSpace) {
			return migration.Fail("Insufficient disk space on destination", err)
		}
		return fileFailure(m.Destination, err)
	}
	j.Logf(slog.LevelInfo, "Extracted %d files (%d kept from the previous attempt), %s in %s", stats.Files, stats.Resumed, humanBytes(stats.Bytes), time.Since(start).Round(time.Millisecond))
	return p.update(ctx, m.ID, func(r *Results) {
		r.Upload = &TransferStats{Files: int64(len(stats.Manifest)), Bytes: man.Bytes(), DurationMs: time.Since(start).Milliseconds()}
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
