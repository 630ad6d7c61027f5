package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"ferry/backend/migration"
	"ferry/backend/runner"
	"ferry/backend/transfer"
	"ferry/backend/wordpress"
)

// validate checks the moved site: rows per table, the file manifest, serialized values,
// siteurl/home, no old URL left, and (when asked) an HTTP request to the new URL. Each
// check is kept for the report; any failed check fails the migration with its sentence.
func (p *Pipeline) validate(ctx context.Context, j *runner.Job) error {
	m := j.Migration
	res, err := p.load(ctx, m.ID)
	if err != nil {
		return err
	}
	oldURL := m.OldURL
	if oldURL == "" {
		oldURL = res.OldURL
	}
	rw, err := wordpress.NewReplacer(oldURL, m.NewURL)
	if err != nil {
		return migration.Fail("Invalid site URL", err)
	}
	dst := m.Destination
	db, err := p.openDB(ctx, dst, dst.DB, "")
	if err != nil {
		return dbFailure("destination", dst.DB, err)
	}
	defer db.Close()
	rb, err := readDestination(ctx, db.DB, res, rw)
	if err != nil {
		return dbFailure("destination", dst.DB, err)
	}
	var checks []wordpress.Check
	if len(res.SourceRows) > 0 {
		checks = append(checks, wordpress.RowCounts(res.SourceRows, rb.counts))
	}

	src, serr := transfer.ReadManifestFile(p.sourceManifestPath(m))
	up, uerr := transfer.ReadManifestFile(p.uploadManifest(m.ID))
	switch {
	case m.Method == migration.MethodManual && uerr == nil:
		// The zip is the source: Verify checked every entry's CRC, Extract hashed what it
		// wrote; the count and bytes must match what Verify found in the archive.
		checks = append(checks, manualFilesCheck(res, up))
	case serr == nil && uerr == nil:
		checks = append(checks, wordpress.Files(src, up, "wp-config.php"))
	default:
		j.Logf(slog.LevelWarn, "File manifest check skipped: %v", errors.Join(serr, uerr))
	}
	vr := rb.values
	checks = append(checks, vr.serialized)
	checks = append(checks, wordpress.SiteURL(rb.siteurl, rb.home, m.NewURL))
	checks = append(checks, vr.oldURL)

	if m.Options.HTTPCheck {
		checks = append(checks, wordpress.HTTP(ctx, wordpress.HTTPCheck{URL: m.NewURL, IP: m.Options.HTTPIP, Transport: p.HTTPTransport}))
	}
	var failed []string
	for _, c := range checks {
		level := slog.LevelInfo
		if !c.OK {
			level = slog.LevelError
			failed = append(failed, c.Message)
		}
		j.Logf(level, "Check %s: %s", c.Name, c.Message)
	}
	for _, w := range vr.warnings {
		j.Logf(slog.LevelWarn, "Warning: %s", w)
	}
	if err := p.update(ctx, m.ID, func(r *Results) {
		r.Validation = checks
		r.setValidationWarnings(vr.warnings)
	}); err != nil {
		return err
	}
	if len(failed) > 0 {
		return migration.Fail("Validation failed: "+failed[0], fmt.Errorf("%d of %d checks failed", len(failed), len(checks)))
	}
	return nil
}

// manualFilesCheck compares what Extract wrote with what Verify counted in the zip.
func manualFilesCheck(res Results, up transfer.Manifest) wordpress.Check {
	c := wordpress.Check{Name: wordpress.CheckFiles}
	n, b := int64(len(up.Files)), up.Bytes()
	if n == res.SourceFiles && b == res.SourceBytes {
		c.OK, c.Message = true, fmt.Sprintf("All %d files (%s) from the zip are on the destination, each hashed as written.", n, humanBytes(b))
		return c
	}
	c.Message = fmt.Sprintf("The destination received %d files (%s) but the zip holds %d (%s).", n, humanBytes(b), res.SourceFiles, humanBytes(res.SourceBytes))
	return c
}

// sourceManifestPath is the manifest of the files as they came from the source.
func (p *Pipeline) sourceManifestPath(m migration.Migration) string {
	return p.downloadManifest(m.ID)
}

// serializedFilter keeps values whose first bytes are a serialize() type tag.
func serializedFilter(col string) string {
	c := quoteIdent(col)
	return "LEFT(" + c + ", 2) IN ('a:','s:','O:','C:','i:','d:','b:','N;')"
}

// cleanUp removes the migration's local staging files. It runs only after Validate passed;
// a failed migration keeps them so Retry can resume.
func (p *Pipeline) cleanUp(ctx context.Context, j *runner.Job) error {
	p.stopTrack(j.Migration.ID)
	dir := p.StagingDir(j.Migration.ID)
	if err := removeAll(dir); err != nil {
		return migration.Fail("Cannot remove the staging files", err)
	}
	j.Logf(slog.LevelInfo, "Removed the staging files in %s", dir)
	return nil
}
