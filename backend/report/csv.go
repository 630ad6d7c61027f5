package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// CSVOptions tune the CSV file.
type CSVOptions struct {
	// BOM starts the file with a UTF-8 byte order mark so Excel reads it as UTF-8 rather
	// than the system code page (accents and CJK would otherwise come out garbled).
	BOM bool
}

// csvSteps are the step columns, in run order; a step that does not apply to a method, or
// did not run, leaves its cell empty.
var csvSteps = []string{
	"check_destination", "analyse_source", "wait_for_upload", "download_files", "export_database",
	"upload_files", "import_database", "configure_wordpress", "validate", "clean_up",
}

// CSVHeader is the header row of WriteCSV, documented in README.md.
var CSVHeader = func() []string {
	h := []string{"id", "status", "user_name", "user_email", "service", "domain", "method",
		"source", "destination", "old_url", "new_url", "started_at_utc", "completed_at_utc", "duration_ms"}
	for _, s := range csvSteps {
		h = append(h, "step_"+s+"_ms")
	}
	return append(h, "wordpress_version",
		"files_downloaded", "bytes_downloaded", "files_uploaded", "bytes_uploaded",
		"tables_exported", "rows_exported", "tables_imported", "rows_imported", "bytes_imported", "bytes_moved",
		"url_replacements", "values_changed", "replacements_by_column",
		"validation", "validation_checks", "warnings")
}()

// WriteCSV writes ms as RFC 4180 CSV (CRLF line ends, UTF-8): a header row, then one row
// per migration. Text cells that a spreadsheet would run as a formula (starting with =, +,
// -, @, tab or CR) are prefixed with an apostrophe: an owner's name is typed by people.
func WriteCSV(w io.Writer, ms []Migration, opt CSVOptions) error {
	if opt.BOM {
		if _, err := io.WriteString(w, "\uFEFF"); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(CSVHeader); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	row := make([]string, 0, len(CSVHeader))
	for _, m := range ms {
		row = csvRow(row[:0], m)
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write csv row %d: %w", m.ID, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

func csvRow(row []string, m Migration) []string {
	i64 := func(n int64) string { return strconv.FormatInt(n, 10) }
	row = append(row, i64(m.ID), m.Status, text(m.User.Name), text(m.User.Email), text(m.Service),
		text(m.Domain), m.Method, text(m.Source.Summary()), text(m.Destination.Summary()),
		text(m.OldURL), text(m.NewURL), csvStamp(m.StartedAt), csvStamp(m.CompletedAt), i64(ms(m.Duration)))
	steps := map[string]Step{}
	for _, s := range m.Steps {
		steps[s.ID] = s
	}
	for _, id := range csvSteps {
		s, ok := steps[id]
		if !ok || s.StartedAt.IsZero() || s.FinishedAt.IsZero() {
			row = append(row, "")
			continue
		}
		row = append(row, i64(ms(s.Duration)))
	}
	row = append(row, text(m.WordPressVersion),
		i64(m.Download.Files), i64(m.Download.Bytes), i64(m.Upload.Files), i64(m.Upload.Bytes),
		strconv.Itoa(m.Export.Tables), i64(m.Export.Rows), strconv.Itoa(m.Import.Tables), i64(m.Import.Rows),
		i64(m.Import.Bytes), i64(m.BytesMoved()),
		i64(m.Replacements.Total), i64(m.Replacements.Values), text(byColumn(m.Replacements.Columns)),
		validationWord(m), text(checkList(m.Validation)), text(strings.Join(m.Warnings, " | ")))
	return row
}

func csvStamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(csvTime)
}

// text defuses spreadsheet formulas in a text cell (OWASP's advice for CSV injection).
func text(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// byColumn writes "wp_options.option_value=5; wp_posts.guid=60".
func byColumn(cs []ColumnReplacements) string {
	var b strings.Builder
	for i, c := range cs {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s.%s=%d", c.Table, c.Column, c.Replacements)
	}
	return b.String()
}

// validationWord is "passed", "failed" or "" when no check ran.
func validationWord(m Migration) string {
	switch {
	case len(m.Validation) == 0:
		return ""
	case m.ValidationPassed():
		return "passed"
	}
	return "failed"
}

// checkList writes "row_counts=ok; http=failed: 503 Service Unavailable".
func checkList(cs []Check) string {
	var b strings.Builder
	for i, c := range cs {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(c.Name)
		if c.OK {
			b.WriteString("=ok")
			continue
		}
		b.WriteString("=failed")
		if c.Message != "" {
			b.WriteString(": " + c.Message)
		}
	}
	return b.String()
}
