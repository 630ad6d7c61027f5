package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"ferry/backend/migration"
	"ferry/backend/report"
	"ferry/backend/secret"
	"ferry/backend/store"
)

// BatchReport writes the report of a batch (ref is its ID or name) to path: one line per
// site, whatever its status, plus the totals and the failures by reason. Sites whose
// migration was deleted are left out.
func (s *Service) BatchReport(ctx context.Context, ref, format, path string) (ExportResult, error) {
	fe := fieldErrors{}
	checkFormat(fe, format)
	checkOutputPath(fe, "path", path)
	if len(fe) > 0 {
		return ExportResult{}, &Error{Code: CodeInvalid, Message: "invalid export", Fields: fe}
	}
	b, err := s.reportBatch(ctx, ref)
	if err != nil {
		return ExportResult{}, err
	}
	now := time.Now()
	n, err := writeAtomic(path, func(w io.Writer) error {
		switch format {
		case FormatCSV:
			return report.WriteBatchCSV(w, b, report.CSVOptions{})
		case FormatJSON:
			return report.WriteBatchJSON(w, b, now)
		default:
			return report.WriteBatchPDF(w, b, report.PDFOptions{GeneratedAt: now, Location: time.Local})
		}
	})
	if err != nil {
		return ExportResult{}, fail(err, "save the %s report of batch %s to %s", strings.ToUpper(format), b.Name, path)
	}
	s.log.Info("batch report exported", "batch", b.Name, "format", format, "sites", len(b.Sites), "bytes", n)
	return ExportResult{Path: path, Format: format, Count: len(b.Sites), Bytes: n}, nil
}

// reportBatch builds what a batch report says from the history.
func (s *Service) reportBatch(ctx context.Context, ref string) (report.Batch, error) {
	b, err := s.st.BatchByRef(ctx, ref)
	if err != nil {
		return report.Batch{}, fail(err, "export batch %s", ref)
	}
	sites, err := s.st.BatchSites(ctx, b.ID)
	if err != nil {
		return report.Batch{}, fail(err, "export batch %s", b.Name)
	}
	out := report.Batch{ID: b.ID, Name: b.Name, CreatedAt: time.UnixMilli(b.CreatedAt), Sites: make([]report.BatchSite, 0, len(sites))}
	for _, site := range sites {
		if site.MigrationID == 0 {
			var bs BatchSite
			if err := json.Unmarshal([]byte(site.Site), &bs); err != nil {
				return report.Batch{}, fail(err, "export batch %s: line %d", b.Name, site.Line)
			}
			out.Sites = append(out.Sites, report.BatchSite{Line: site.Line,
				Migration: report.Migration{Domain: bs.Domain, Status: report.NotStarted}})
			continue
		}
		rec, err := s.st.Get(ctx, site.MigrationID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return report.Batch{}, fail(err, "export batch %s", b.Name)
		}
		m, err := s.reportOf(ctx, rec)
		if err != nil {
			return report.Batch{}, err
		}
		bs := report.BatchSite{Line: site.Line, Migration: m}
		if rec.Status == migration.StatusFailed {
			// A server may echo a password back in its error: mask the stored secrets.
			bs.FailureReason = secret.Redact(rec.FailureReason, s.openSecrets(rec.Migration)...)
			if rec.CurrentStep.Valid() && bs.FailureReason != "" {
				bs.FailureReason = fmt.Sprintf("%s: %s", rec.CurrentStep.Title(), bs.FailureReason)
			}
		}
		out.Sites = append(out.Sites, bs)
	}
	return out, nil
}
