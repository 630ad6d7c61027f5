package pipeline

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"ferry/backend/migration"
	"ferry/backend/mysqldb"
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
	var checks []wordpress.Check

	counts, err := mysqldb.CountRows(ctx, db.DB)
	if err != nil {
		return dbFailure("destination", dst.DB, err)
	}
	if len(res.SourceRows) > 0 {
		checks = append(checks, wordpress.RowCounts(res.SourceRows, counts))
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

	prefix := res.TablePrefix
	if prefix == "" {
		info, err := mysqldb.Inspect(ctx, db.DB)
		if err != nil {
			return dbFailure("destination", dst.DB, err)
		}
		prefix = info.TablePrefix
	}
	// Tables this import created were checked value by value as they streamed in; only
	// the others (kept by Overwrite, or from an earlier attempt) are read back.
	var imported map[string]bool
	if res.StreamCheck != nil {
		imported = map[string]bool{}
		for _, t := range res.StreamCheck.Tables {
			imported[t] = true
		}
	}
	readBack := func(t string) bool { return imported == nil || !imported[t] }
	var serialized []tableColumn
	for _, tc := range []tableColumn{{table: prefix + "options", column: "option_value"}, {table: prefix + "postmeta", column: "meta_value"}} {
		if readBack(tc.table) {
			// Only values that start like serialize() output can be serialized: the
			// server filters, so Validate does not pull the whole postmeta table across.
			tc.where = serializedFilter(tc.column)
			serialized = append(serialized, tc)
		}
	}
	var knownBroken int64
	if res.Replacements != nil {
		knownBroken = res.Replacements.Broken
	}
	c, err := wordpress.SerializedValues(columnValues(ctx, db.SQL(), serialized, counts), knownBroken)
	if err != nil {
		return dbFailure("destination", dst.DB, err)
	}
	checks = append(checks, mergeSerialized(c, res.StreamCheck))

	var siteurl, home string
	q := "SELECT option_name, option_value FROM " + quoteIdent(prefix+"options") + " WHERE option_name IN ('siteurl','home')"
	rows, err := db.SQL().QueryContext(ctx, q)
	if err != nil {
		return dbFailure("destination", dst.DB, err)
	}
	for rows.Next() {
		var n, v string
		if err := rows.Scan(&n, &v); err != nil {
			rows.Close()
			return dbFailure("destination", dst.DB, err)
		}
		if n == "siteurl" {
			siteurl = v
		} else {
			home = v
		}
	}
	rows.Close()
	checks = append(checks, wordpress.SiteURL(siteurl, home, m.NewURL))

	var all []tableColumn
	for t := range counts {
		if strings.HasPrefix(t, prefix) && readBack(t) {
			all = append(all, tableColumn{table: t})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].table < all[j].table })
	c, err = rw.OldURLLeft(columnValues(ctx, db.SQL(), all, counts))
	if err != nil {
		return dbFailure("destination", dst.DB, err)
	}
	checks = append(checks, mergeOldURL(c, res.StreamCheck, oldURL))

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
	if err := p.update(ctx, m.ID, func(r *Results) { r.Validation = checks }); err != nil {
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

// tableColumn names what columnValues reads: one column (or all when column is empty) of
// a table, with an optional WHERE clause and its arguments.
type tableColumn struct {
	table, column string
	where         string
	args          []any
}

// serializedFilter keeps values whose first bytes are a serialize() type tag.
func serializedFilter(col string) string {
	c := quoteIdent(col)
	return "LEFT(" + c + ", 2) IN ('a:','s:','O:','C:','i:','d:','b:','N;')"
}

// columnValues walks the string values of the given columns (every column when column is
// empty) of tables that exist, streaming rows so memory stays flat.
func columnValues(ctx context.Context, db *sql.DB, cols []tableColumn, exists map[string]int64) wordpress.Values {
	return func(fn func(ref wordpress.ValueRef, value []byte) error) error {
		for _, tc := range cols {
			if _, ok := exists[tc.table]; !ok {
				continue
			}
			sel := "*"
			switch {
			case strings.Contains(tc.column, "`"):
				sel = tc.column // already a quoted column list
			case tc.column != "":
				sel = quoteIdent(tc.column)
			}
			q := "SELECT " + sel + " FROM " + quoteIdent(tc.table)
			if tc.where != "" {
				q += " WHERE " + tc.where
			}
			rows, err := db.QueryContext(ctx, q, tc.args...)
			if err != nil {
				return fmt.Errorf("read %s: %w", tc.table, err)
			}
			names, _ := rows.Columns()
			vals := make([]sql.RawBytes, len(names))
			ptrs := make([]any, len(names))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			row := 0
			for rows.Next() {
				row++
				if err := rows.Scan(ptrs...); err != nil {
					rows.Close()
					return fmt.Errorf("read %s: %w", tc.table, err)
				}
				for i, v := range vals {
					if v == nil {
						continue
					}
					if err := fn(wordpress.ValueRef{Table: tc.table, Column: names[i], Key: fmt.Sprintf("row %d", row)}, v); err != nil {
						rows.Close()
						return err
					}
				}
			}
			err = rows.Err()
			rows.Close()
			if err != nil {
				return fmt.Errorf("read %s: %w", tc.table, err)
			}
		}
		return nil
	}
}

// mergeSerialized joins the read-back check with what Import checked while streaming.
func mergeSerialized(c wordpress.Check, sc *StreamCheck) wordpress.Check {
	if sc == nil {
		return c
	}
	if sc.SerializedBad > 0 {
		return wordpress.Check{Name: c.Name, Message: fmt.Sprintf("%d rewritten serialized values no longer parse, the first in %s.", sc.SerializedBad, sc.FirstBad)}
	}
	if !c.OK {
		return c
	}
	c.Message = fmt.Sprintf("All %d rewritten serialized values parse (checked as they were imported); %s", sc.Serialized, lowerFirst(c.Message))
	return c
}

// mergeOldURL joins the read-back check with what Import checked while streaming.
func mergeOldURL(c wordpress.Check, sc *StreamCheck, oldURL string) wordpress.Check {
	if sc == nil || sc.OldURLLeft == 0 {
		return c
	}
	return wordpress.Check{Name: c.Name, Message: fmt.Sprintf("%d values still link to the old URL %s, the first in %s.", sc.OldURLLeft, oldURL, sc.FirstLeft)}
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
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
