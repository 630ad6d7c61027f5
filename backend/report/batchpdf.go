package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// WriteBatchPDF writes a batch as a PDF: a cover with the totals and the failures by
// reason, then the table of its sites, one line each.
func WriteBatchPDF(w io.Writer, b Batch, opt PDFOptions) error {
	title := opt.Title
	if title == "" {
		title = "Batch report: " + b.Name
	}
	p, err := newPDFDoc(title, opt)
	if err != nil {
		return err
	}
	texts := []string{title}
	for _, s := range b.Sites {
		texts = append(texts, s.Migration.Domain, s.FailureReason)
	}
	for _, s := range texts {
		if p.hasCJK(s) {
			p.addCJK()
			break
		}
	}
	p.batchCover(b, title, opt)
	if err := p.f.Output(w); err != nil {
		return fmt.Errorf("write pdf: %w", err)
	}
	return nil
}

func (p *pdfDoc) batchCover(b Batch, title string, opt PDFOptions) {
	f := p.f
	f.AddPage()
	t := b.Totals()

	sub := p.coverBand(title, opt)
	if !b.CreatedAt.IsZero() {
		sub = append(sub, "batch created "+p.stamp(b.CreatedAt))
	}
	sub = append(sub, plural(t.Sites, "site", "sites"))
	p.cell(contentW, 5, strings.Join(sub, " · "), "L", false)
	f.Ln(9)

	cards := [][2]string{
		{"Sites", thousands(int64(t.Sites))},
		{"Successful", thousands(int64(t.Successful))},
		{"Failed", thousands(int64(t.Failed))},
		{"In progress / not started", fmt.Sprintf("%d / %d", t.InProgress, t.NotStarted)},
		{"Bytes moved", humanBytes(t.Bytes)},
		{"Files uploaded", thousands(t.Files)},
		{"Rows imported", thousands(t.Rows)},
		{"Wall time", humanDuration(t.Wall)},
	}
	p.cards(cards, "Failed", t.Failed > 0)
	p.font("", 8.5)
	p.color(colMuted)
	p.para(margin, contentW, 4.6, fmt.Sprintf("Bytes moved: %s bytes (files uploaded + SQL imported) · Durations: %s in total, median %s per site, %s from the first start to the last completion",
		thousands(t.Bytes), humanDuration(t.TotalDuration), humanDuration(t.MedianDuration), humanDuration(t.Wall)))
	f.Ln(4)

	if len(t.Failures) > 0 {
		p.heading("Failures by reason")
		rows := make([][]string, 0, len(t.Failures))
		for _, r := range t.Failures {
			rows = append(rows, []string{strconv.Itoa(r.Sites), r.Reason})
		}
		p.table([]column{{"Sites", 16, "R"}, {"Reason", contentW - 16, "L"}}, rows, nil)
		f.Ln(4)
	}

	p.heading("Sites")
	rows := make([][]string, 0, len(b.Sites))
	for _, s := range b.Sites {
		m := s.Migration
		dur := humanDuration(m.Duration)
		if m.Duration <= 0 {
			dur = "—" // not started, or still running: no duration to show yet
		}
		rows = append(rows, []string{strconv.Itoa(s.Line), m.Domain, batchStatus(m.Status), thousands(m.Upload.Files),
			humanBytes(m.BytesMoved()), thousands(m.Import.Rows), dur, s.FailureReason})
	}
	rows = append(rows, []string{"Total", plural(t.Sites, "site", "sites"), fmt.Sprintf("%d ok", t.Successful),
		thousands(t.Files), humanBytes(t.Bytes), thousands(t.Rows), humanDuration(t.TotalDuration), plural(t.Failed, "failure", "failures")})
	p.table([]column{{"Line", 10, "R"}, {"Domain", 44, "L"}, {"Status", 22, "L"}, {"Files", 15, "R"},
		{"Bytes", 18, "R"}, {"Rows", 17, "R"}, {"Duration", 20, "R"}, {"Failure reason", 34, "L"}}, rows,
		func(r, c int) [3]int {
			if c == 2 && rows[r][2] == "Failed" {
				return colBad
			}
			if c == 2 && rows[r][2] == "Successful" {
				return colOK
			}
			return colText
		})
}

// batchStatus names a site's status for people.
func batchStatus(s string) string {
	switch s {
	case NotStarted:
		return "Not started"
	case "":
		return "—"
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
