package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"ferry/backend/archive"
	"ferry/backend/events"
	"ferry/backend/migration"
	"ferry/backend/mysqldb"
	"ferry/backend/pipeline"
	"ferry/backend/store"
)

// VerifyProblem is one problem Verify found, with what to do.
type VerifyProblem struct {
	Message string `json:"message"`
	Warning bool   `json:"warning"` // the import can go on anyway
	File    string `json:"file"`    // site_zip | sql
}

// VerifyReport is what Verify found in the attached files, as the Process Details tab
// lists it.
type VerifyReport struct {
	OK               bool            `json:"ok"`
	Found            []string        `json:"found"`
	Problems         []VerifyProblem `json:"problems"`
	WordPressVersion string          `json:"wordpressVersion"`
	Files            int             `json:"files"`
	Bytes            int64           `json:"bytes"`
	TablePrefix      string          `json:"tablePrefix"`
	Tables           int             `json:"tables"`
	SiteURL          string          `json:"siteUrl"`
	VerifiedAt       int64           `json:"verifiedAt"`
}

// AttachFiles attaches dropped or chosen files to a manual migration waiting for them.
// Files are recognised by content, not name (a site zip, a .sql, a .sql.gz or a zip
// holding the SQL); only their paths and sizes are recorded, nothing is copied.
func (s *Service) AttachFiles(ctx context.Context, id int64, paths []string) (MigrationDetail, error) {
	rec, err := s.st.Get(ctx, id)
	if err != nil {
		return MigrationDetail{}, fail(err, "attach files to migration %d", id)
	}
	if err := migration.Allowed(rec.Facts(), migration.ActionAttach); err != nil {
		return MigrationDetail{}, fail(err, "attach files to migration %d", id)
	}
	if len(paths) == 0 {
		return MigrationDetail{}, &Error{Code: CodeInvalid, Message: "choose wordpress-files.zip and database.sql"}
	}
	fields := map[string]string{}
	var embedded archive.Attachment // a site zip holding the site's dump too
	for _, p := range paths {
		if !filepath.IsAbs(p) {
			fields[p] = "Ferry needs the file's full path."
			continue
		}
		a, err := archive.Attach(p)
		if err != nil || a.Kind == archive.Unknown {
			msg := "This is neither a WordPress site zip nor an SQL dump (.sql, .sql.gz or a zip holding one)."
			if err != nil {
				msg = fmt.Sprintf("Cannot read this file: %v", err)
			}
			fields[p] = msg
			continue
		}
		if a.Kind.IsSQL() {
			// One dump at a time: a new one replaces the old, whatever its form.
			for _, k := range []string{store.FileSQL, store.FileSQLGz, store.FileSQLZip} {
				if err := s.st.RemoveFile(ctx, id, k); err != nil && !errors.Is(err, store.ErrNotFound) {
					return MigrationDetail{}, fail(err, "attach files to migration %d", id)
				}
			}
		}
		if err := s.st.PutFile(ctx, id, store.AttachedFile{Kind: a.Kind.String(), Path: a.Path, Size: a.Size}); err != nil {
			return MigrationDetail{}, fail(err, "attach files to migration %d", id)
		}
		if a.HasDump {
			embedded = a
		}
		_, _ = s.AppendLog(ctx, id, store.LevelInfo, migration.StepWaitForUpload, fmt.Sprintf("Attached %s (%s, %d bytes)", a.Path, a.Kind, a.Size))
	}
	files, err := s.st.Files(ctx, id)
	if err != nil {
		return MigrationDetail{}, fail(err, "attach files to migration %d", id)
	}
	if embedded.Path != "" && !hasDump(files) {
		// one zip holding both the site and its dump: the zip is the dump too
		if err := s.st.PutFile(ctx, id, store.AttachedFile{Kind: store.FileSQLZip, Path: embedded.Path, Size: embedded.Size}); err != nil {
			return MigrationDetail{}, fail(err, "attach files to migration %d", id)
		}
		_, _ = s.AppendLog(ctx, id, store.LevelInfo, migration.StepWaitForUpload, fmt.Sprintf("%s also holds the site's database dump; it is used as the dump", embedded.Path))
		if files, err = s.st.Files(ctx, id); err != nil {
			return MigrationDetail{}, fail(err, "attach files to migration %d", id)
		}
	}
	var zip, sql bool
	for _, f := range files {
		zip = zip || f.Kind == store.FileSiteZip
		sql = sql || f.Kind != store.FileSiteZip
	}
	if err := s.st.SetAttachment(ctx, id, zip && sql, false); err != nil {
		return MigrationDetail{}, fail(err, "attach files to migration %d", id)
	}
	s.changed(id, rec.Status, rec.CurrentStep, false)
	if len(fields) > 0 {
		return MigrationDetail{}, &Error{Code: CodeInvalid, Message: "Some files were not attached", Fields: fields}
	}
	return s.GetMigration(ctx, id)
}

// VerifyMigration checks the attached files end to end: every zip entry's CRC, unsafe
// names, links and bombs, WordPress in the zip, and the SQL dump parsed to its end. On
// success Continue Import is enabled. Progress goes out as migration:progress events.
func (s *Service) VerifyMigration(ctx context.Context, id int64) (VerifyReport, error) {
	rep := VerifyReport{Found: []string{}, Problems: []VerifyProblem{}}
	rec, err := s.st.Get(ctx, id)
	if err != nil {
		return rep, fail(err, "verify migration %d", id)
	}
	if err := migration.Allowed(rec.Facts(), migration.ActionVerify); err != nil {
		return rep, fail(err, "verify migration %d", id)
	}
	files, err := s.st.Files(ctx, id)
	if err != nil {
		return rep, fail(err, "verify migration %d", id)
	}
	var zipPath, sqlPath string
	var total int64
	for _, f := range files {
		if f.Kind == store.FileSiteZip {
			zipPath = f.Path
		} else {
			sqlPath = f.Path
		}
		total += f.Size
	}
	var done int64
	last := time.Time{}
	report := func(d int64) {
		if time.Since(last) < 100*time.Millisecond && d < total {
			return
		}
		last = time.Now()
		pct := 0.0
		if total > 0 {
			pct = float64(d) * 100 / float64(total)
		}
		s.emit.Emit(events.MigrationProgress, events.Progress{ID: id, Step: string(migration.StepWaitForUpload), Percent: pct, BytesDone: d, BytesTotal: total, ETASeconds: -1})
	}
	zr, err := archive.VerifyZip(ctx, zipPath, archive.Limits{}, func(d, _ int64) { report(d) })
	if err != nil {
		return rep, fail(err, "verify migration %d", id)
	}
	if st, err := os.Stat(zipPath); err == nil {
		done = st.Size()
	}
	sr, err := archive.ScanSQLFile(ctx, sqlPath, func(d, _ int64) { report(done + d) })
	if err != nil {
		return rep, fail(err, "verify migration %d", id)
	}
	// the statement guard the import runs, over the whole dump: Verify passes only what
	// the import accepts (one guard, two callers)
	var guardErr error
	if truncatedOnly(sr) {
		// the scan knows the dump is cut short, the import's splitter knows where
		_, err := pipeline.CheckDumpFile(ctx, sqlPath, rec.Destination.DB.Name)
		var ie *mysqldb.ImportError
		if errors.As(err, &ie) && errors.Is(err, mysqldb.ErrTruncated) && strings.Contains(ie.Err.Error(), " line ") {
			for _, p := range sr.Problems {
				if errors.Is(p, archive.ErrTruncated) {
					p.Message = fmt.Sprintf("Database dump file is missing, empty, or corrupt: %s is cut short (%s); export or copy the dump again and re-attach it.",
						filepath.Base(sqlPath), strings.TrimSuffix(ie.Err.Error(), ": "+mysqldb.ErrTruncated.Error()))
				}
			}
		}
	}
	if sr.OK() {
		dc, err := pipeline.CheckDumpFile(ctx, sqlPath, rec.Destination.DB.Name)
		if ctx.Err() != nil {
			return rep, fail(ctx.Err(), "verify migration %d", id)
		}
		guardErr = err
		for _, n := range dc.Notes {
			sr.Found = append(sr.Found, "On import: "+n)
		}
	}
	report(total)
	rep.Found = append(append(rep.Found, zr.Found...), sr.Found...)
	for _, p := range zr.Problems {
		rep.Problems = append(rep.Problems, VerifyProblem{Message: p.Message, Warning: p.Warning, File: store.FileSiteZip})
	}
	for _, p := range sr.Problems {
		rep.Problems = append(rep.Problems, VerifyProblem{Message: p.Message, Warning: p.Warning, File: "sql"})
	}
	if guardErr != nil {
		rep.Problems = append(rep.Problems, VerifyProblem{Message: guardErr.Error(), File: "sql"})
	}
	prefixOK := true
	if zr.TablePrefix != "" && sr.Prefix != "" && zr.TablePrefix != sr.Prefix {
		prefixOK = false
		rep.Problems = append(rep.Problems, VerifyProblem{File: "sql", Message: fmt.Sprintf(
			"The dump's WordPress tables use the prefix '%s', but wp-config.php in the zip sets $table_prefix = '%s': the site would not find its tables. Attach the zip and the dump of the same site, or correct $table_prefix in wp-config.php, then Verify again.", sr.Prefix, zr.TablePrefix)})
	}
	rep.OK = zr.OK() && sr.OK() && guardErr == nil && prefixOK
	rep.WordPressVersion, rep.Files, rep.Bytes = zr.WPVersion, zr.Files, zr.TotalSize
	rep.TablePrefix, rep.Tables, rep.SiteURL = sr.Prefix, len(sr.Tables), sr.SiteURL
	rep.VerifiedAt = time.Now().UnixMilli()
	level := store.LevelInfo
	msg := fmt.Sprintf("Verify passed: WordPress %s, %d files, %d tables, site URL %s", rep.WordPressVersion, rep.Files, rep.Tables, rep.SiteURL)
	if !rep.OK {
		level = store.LevelError
		msg = fmt.Sprintf("Verify found %d problems", len(rep.Problems))
	}
	_, _ = s.AppendLog(ctx, id, level, migration.StepWaitForUpload, msg)
	for _, p := range rep.Problems {
		lv := store.LevelError
		if p.Warning {
			lv = store.LevelWarn
		}
		_, _ = s.AppendLog(ctx, id, lv, migration.StepWaitForUpload, p.Message)
	}
	res := pipeline.Results{}
	if raw, err := s.st.Results(ctx, id); err == nil && len(raw) > 0 {
		_ = json.Unmarshal(raw, &res)
	}
	res.WordPressVersion, res.TablePrefix, res.OldURL = rep.WordPressVersion, rep.TablePrefix, sr.SiteURL
	res.SourceFiles, res.SourceBytes, res.SourceTables, res.SourceRows = int64(zr.Files), zr.TotalSize, len(sr.Tables), sr.Rows
	res.Verified = nil
	if rep.OK {
		v, err := pipeline.FingerprintFiles(zipPath, sqlPath)
		if err != nil {
			return rep, fail(err, "verify migration %d", id)
		}
		res.Verified = &v
	}
	raw, err := json.Marshal(res)
	if err == nil {
		err = s.st.SetResults(ctx, id, raw)
	}
	if err != nil {
		return rep, fail(err, "verify migration %d", id)
	}
	verdict, _ := json.Marshal(rep)
	if err := s.st.SetSetting(ctx, verifyKey(id), string(verdict)); err != nil {
		return rep, fail(err, "verify migration %d", id)
	}
	if err := s.st.SetAttachment(ctx, id, true, rep.OK); err != nil {
		return rep, fail(err, "verify migration %d", id)
	}
	s.changed(id, rec.Status, rec.CurrentStep, false)
	return rep, nil
}

func verifyKey(id int64) string { return fmt.Sprintf("verify/%d", id) }

// LastVerify returns the report of the migration's last Verify, if any.
func (s *Service) LastVerify(ctx context.Context, id int64) (*VerifyReport, error) {
	v, err := s.st.Setting(ctx, verifyKey(id))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fail(err, "read verify report of migration %d", id)
	}
	var rep VerifyReport
	if err := json.Unmarshal([]byte(v), &rep); err != nil {
		return nil, fail(err, "read verify report of migration %d", id)
	}
	return &rep, nil
}

// ContinueImport starts the import of a verified manual migration: Check destination,
// Upload files (extracted from the zip straight to the destination), Import database,
// Configure WordPress, Validate, Clean up. Once it has started it cannot be stopped.
func (s *Service) ContinueImport(ctx context.Context, id int64) (MigrationRow, error) {
	rec, err := s.st.Get(ctx, id)
	if err != nil {
		return MigrationRow{}, fail(err, "continue migration %d", id)
	}
	if err := migration.Allowed(rec.Facts(), migration.ActionContinueImport); err != nil {
		return MigrationRow{}, fail(err, "continue migration %d", id)
	}
	// the files must be those Verify passed: a zip or dump replaced or edited since is
	// refused before anything is queued
	res := pipeline.Results{}
	if raw, err := s.st.Results(ctx, id); err == nil && len(raw) > 0 {
		_ = json.Unmarshal(raw, &res)
	}
	files, err := s.st.Files(ctx, id)
	if err != nil {
		return MigrationRow{}, fail(err, "continue migration %d", id)
	}
	var zipPath, sqlPath string
	for _, f := range files {
		if f.Kind == store.FileSiteZip {
			zipPath = f.Path
		} else {
			sqlPath = f.Path
		}
	}
	if err := pipeline.CheckUnchanged(res.Verified, zipPath, sqlPath); err != nil {
		msg := strings.TrimPrefix(err.Error(), pipeline.ErrChangedAfterVerify.Error()+": ")
		_, _ = s.AppendLog(ctx, id, store.LevelError, migration.StepWaitForUpload, msg)
		if serr := s.st.SetAttachment(ctx, id, zipPath != "" && sqlPath != "", false); serr != nil {
			return MigrationRow{}, fail(serr, "continue migration %d", id)
		}
		s.changed(id, rec.Status, rec.CurrentStep, false)
		return MigrationRow{}, &Error{Code: CodeConflict, Message: msg}
	}
	now := time.Now()
	wait := migration.StepRecord{Step: migration.StepWaitForUpload, State: migration.StepCompleted, StartedAt: rec.CreatedAt, FinishedAt: now}
	for _, st := range rec.Steps {
		if st.Step == migration.StepWaitForUpload && !st.StartedAt.IsZero() {
			wait.StartedAt = st.StartedAt
		}
	}
	if err := s.st.SetStep(ctx, id, wait); err != nil {
		return MigrationRow{}, fail(err, "continue migration %d", id)
	}
	if err := s.st.CompareAndSetStatus(ctx, id, rec.Version, migration.StatusQueued, "", migration.StepUploadFiles); err != nil {
		return MigrationRow{}, fail(err, "continue migration %d", id)
	}
	_, _ = s.AppendLog(ctx, id, store.LevelInfo, migration.StepWaitForUpload, "Continue Import: the import has started")
	s.enqueue(id)
	rec, err = s.st.Get(ctx, id)
	if err != nil {
		return MigrationRow{}, fail(err, "continue migration %d", id)
	}
	s.changed(id, rec.Status, rec.CurrentStep, false)
	return rowOf(rec), nil
}

// truncatedOnly reports a scan whose only blocking problem is a dump cut short.
func truncatedOnly(sr archive.SQLReport) bool {
	n := 0
	for _, p := range sr.Problems {
		if p.Warning {
			continue
		}
		if !errors.Is(p, archive.ErrTruncated) {
			return false
		}
		n++
	}
	return n > 0
}

func hasDump(files []store.AttachedFile) bool {
	for _, f := range files {
		if f.Kind != store.FileSiteZip {
			return true
		}
	}
	return false
}
