package service

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"ferry/backend/migration"
	"ferry/backend/report"
	"ferry/backend/store"
)

// Report formats ExportReport and MigrationReport write.
const (
	FormatCSV  = "csv"
	FormatJSON = "json"
	FormatPDF  = "pdf"
)

// ExportFormats lists the formats in the order the UI offers them.
var ExportFormats = []string{FormatCSV, FormatJSON, FormatPDF}

// CodeNothingToExport says no migration matched an export: the UI tells the admin rather
// than saving an empty file.
const CodeNothingToExport Code = "nothing_to_export"

// ExportInput asks for a report of the Successful tab: either the selected rows (IDs) or
// every row matching the search and the completion date range.
type ExportInput struct {
	Format string `json:"format"` // csv | json | pdf
	// Path is the absolute file path the admin chose in the save dialog; an existing file
	// is replaced whole, and only once the report is complete.
	Path   string  `json:"path"`
	IDs    []int64 `json:"ids"`    // the selected rows; leave Search, Since and Until empty with them
	Search string  `json:"search"` // as in the table: ID, user name, email, domain, service
	Since  int64   `json:"since"`  // Unix ms: completed at or after; 0 means no lower bound
	Until  int64   `json:"until"`  // Unix ms: completed before; 0 means no upper bound
	// BOM starts a CSV file with a byte order mark so Excel reads it as UTF-8.
	BOM bool `json:"bom"`
	// Anonymise replaces owners' names and e-mail addresses with stable pseudonyms.
	Anonymise bool `json:"anonymise"`
}

// ExportResult says what was written.
type ExportResult struct {
	Path   string `json:"path"`
	Format string `json:"format"` // csv | json | pdf | text (a saved log)
	Count  int    `json:"count"`  // migrations in the report, or lines in a saved log
	Bytes  int64  `json:"bytes"`
}

// exportPageSize is how many rows ExportReport reads from the history at a time.
const exportPageSize = 500

// ExportReport writes a report of successful migrations to in.Path. Input errors are
// CodeInvalid with per-field messages; an ID that is not in the history is CodeNotFound,
// one that is not successful CodeNotAllowed; an empty selection is CodeNothingToExport.
func (s *Service) ExportReport(ctx context.Context, in ExportInput) (ExportResult, error) {
	fe := fieldErrors{}
	checkFormat(fe, in.Format)
	checkOutputPath(fe, "path", in.Path)
	if len(in.IDs) > 0 && (strings.TrimSpace(in.Search) != "" || in.Since != 0 || in.Until != 0) {
		fe.add("ids", "Export either the selected rows or the rows matching the search and dates, not both.")
	}
	if in.Since < 0 {
		fe.add("since", "The start of the date range cannot be before 1970.")
	}
	if in.Until < 0 || (in.Until != 0 && in.Until <= in.Since) {
		fe.add("until", "The end of the date range must come after its start.")
	}
	if len(fe) > 0 {
		return ExportResult{}, &Error{Code: CodeInvalid, Message: "invalid export", Fields: fe}
	}

	var recs []store.Record
	var err error
	if len(in.IDs) > 0 {
		recs, err = s.selectedRecords(ctx, in.IDs)
	} else {
		recs, err = s.matchingRecords(ctx, in.Search, in.Since, in.Until)
	}
	if err != nil {
		return ExportResult{}, err
	}
	if len(recs) == 0 {
		return ExportResult{}, &Error{Code: CodeNothingToExport, Message: "no successful migration matches: nothing to export"}
	}
	ms := make([]report.Migration, 0, len(recs))
	for _, r := range recs {
		m, err := s.reportOf(ctx, r)
		if err != nil {
			return ExportResult{}, err
		}
		ms = append(ms, m)
	}
	if in.Anonymise {
		ms = report.Anonymise(ms)
	}
	return s.writeReport(in.Format, in.Path, ms, in.BOM, in.Anonymise, "Migration report")
}

// MigrationReport writes the report of one migration, whatever its status, from its
// Details modal.
func (s *Service) MigrationReport(ctx context.Context, id int64, format, path string) (ExportResult, error) {
	fe := fieldErrors{}
	checkFormat(fe, format)
	checkOutputPath(fe, "path", path)
	if len(fe) > 0 {
		return ExportResult{}, &Error{Code: CodeInvalid, Message: "invalid export", Fields: fe}
	}
	r, err := s.st.Get(ctx, id)
	if err != nil {
		return ExportResult{}, fail(err, "export migration %d", id)
	}
	m, err := s.reportOf(ctx, r)
	if err != nil {
		return ExportResult{}, err
	}
	return s.writeReport(format, path, []report.Migration{m}, false, false, fmt.Sprintf("Migration #%d report", id))
}

// selectedRecords reads the selected rows in ID order, once each; each must be successful.
func (s *Service) selectedRecords(ctx context.Context, ids []int64) ([]store.Record, error) {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	out := make([]store.Record, 0, len(ids))
	for _, id := range ids {
		r, err := s.st.Get(ctx, id)
		if err != nil {
			return nil, fail(err, "export migration %d", id)
		}
		if r.Status != migration.StatusSuccessful {
			return nil, &Error{Code: CodeNotAllowed, Message: fmt.Sprintf(
				"migration %d is %s, not successful: only the Successful tab is exported (its Details can export its own report)", id, r.Status)}
		}
		out = append(out, r)
	}
	return out, nil
}

// matchingRecords pages through the Successful tab in ID order, keeping the rows that
// match search and were completed in [since, until).
func (s *Service) matchingRecords(ctx context.Context, search string, since, until int64) ([]store.Record, error) {
	var out []store.Record
	for offset := 0; ; offset += exportPageSize {
		page, err := s.st.List(ctx, store.Query{Tab: migration.TabSuccessful, Search: search, Sort: store.SortID,
			Limit: exportPageSize, Offset: offset})
		if err != nil {
			return nil, fail(err, "export migrations")
		}
		for _, r := range page.Records {
			done := unixMS(r.CompletedAt)
			if (since != 0 && done < since) || (until != 0 && done >= until) {
				continue
			}
			out = append(out, r)
		}
		if len(page.Records) < exportPageSize || offset+len(page.Records) >= page.Total {
			return out, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, fail(err, "export migrations")
		}
	}
}

// writeReport writes ms in format to path, atomically.
func (s *Service) writeReport(format, path string, ms []report.Migration, bom, anonymised bool, title string) (ExportResult, error) {
	n, err := writeAtomic(path, func(w io.Writer) error {
		switch format {
		case FormatCSV:
			return report.WriteCSV(w, ms, report.CSVOptions{BOM: bom})
		case FormatJSON:
			return report.WriteJSON(w, ms)
		default:
			return report.WritePDF(w, ms, report.PDFOptions{Title: title, GeneratedAt: time.Now(),
				Location: time.Local, Anonymised: anonymised})
		}
	})
	if err != nil {
		return ExportResult{}, fail(err, "save the %s report to %s", strings.ToUpper(format), path)
	}
	s.log.Info("report exported", "format", format, "migrations", len(ms), "bytes", n)
	return ExportResult{Path: path, Format: format, Count: len(ms), Bytes: n}, nil
}

// checkFormat accepts csv, json and pdf.
func checkFormat(fe fieldErrors, format string) {
	if !slices.Contains(ExportFormats, format) {
		fe.add("format", "Choose CSV, JSON or PDF.")
	}
}

// checkOutputPath accepts an absolute path in an existing folder that is not itself a folder.
func checkOutputPath(fe fieldErrors, key, path string) {
	switch {
	case strings.TrimSpace(path) == "":
		fe.add(key, "Choose where to save the file.")
		return
	case !filepath.IsAbs(path):
		fe.add(key, "Choose the file in the save dialog (an absolute path is needed).")
		return
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		fe.add(key, "That is a folder: choose a file name.")
		return
	}
	if st, err := os.Stat(filepath.Dir(path)); err != nil || !st.IsDir() {
		fe.add(key, "The folder does not exist.")
	}
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// writeAtomic writes a temporary file next to path and renames it over path once write
// has succeeded and the data is on disk, so a failed or cancelled export never leaves a
// half-written report, nor destroys the file it was to replace.
func writeAtomic(path string, write func(io.Writer) error) (int64, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return 0, err
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 256<<10)
	cw := &countingWriter{w: bw}
	if err := write(cw); err != nil {
		return 0, err
	}
	if err := bw.Flush(); err != nil {
		return 0, err
	}
	if err := tmp.Sync(); err != nil {
		return 0, err
	}
	if err := tmp.Close(); err != nil {
		return 0, err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return 0, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return 0, err
	}
	done = true
	return cw.n, nil
}
