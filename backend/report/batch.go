package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Batch is what a batch report says: the batch and one entry per site of its list, in
// the list's order.
type Batch struct {
	ID        int64
	Name      string
	CreatedAt time.Time
	Sites     []BatchSite
}

// BatchSite is one site of a batch. Its Migration is zero but for the Domain while the
// migration is not created yet (Status "not_started").
type BatchSite struct {
	Line          int // line of the sites file
	Migration     Migration
	FailureReason string // why a failed migration failed, "" otherwise
}

// NotStarted is the status of a site whose migration is not created yet.
const NotStarted = "not_started"

// ReasonCount is how many sites of a batch failed for one reason.
type ReasonCount struct {
	Reason string
	Sites  int
}

// BatchTotals are the totals of a batch report. Files, bytes and rows count what reached
// the destinations (a failed site counts what it moved before it failed).
type BatchTotals struct {
	Sites, Successful, Failed, InProgress, NotStarted int
	Files, Bytes, Rows                                int64
	// TotalDuration adds up each site's own duration; Wall spans the first start to the
	// last completion, which is shorter when sites ran side by side.
	TotalDuration, MedianDuration, Wall time.Duration
	// Failures groups the failed sites by reason, most frequent first.
	Failures []ReasonCount
}

// Totals adds up the batch.
func (b Batch) Totals() BatchTotals {
	t := BatchTotals{Sites: len(b.Sites), Failures: []ReasonCount{}}
	var durs []time.Duration
	var first, last time.Time
	reasons := map[string]int{}
	for _, s := range b.Sites {
		m := s.Migration
		switch m.Status {
		case "successful":
			t.Successful++
		case "failed":
			t.Failed++
			r := strings.TrimSpace(s.FailureReason)
			if r == "" {
				r = "unknown"
			}
			reasons[r]++
		case NotStarted:
			t.NotStarted++
		default:
			t.InProgress++
		}
		t.Files += m.Upload.Files
		t.Bytes += m.BytesMoved()
		t.Rows += m.Import.Rows
		if m.Duration > 0 {
			t.TotalDuration += m.Duration
			durs = append(durs, m.Duration)
		}
		if !m.StartedAt.IsZero() && (first.IsZero() || m.StartedAt.Before(first)) {
			first = m.StartedAt
		}
		if m.CompletedAt.After(last) {
			last = m.CompletedAt
		}
	}
	t.MedianDuration = median(durs)
	if !first.IsZero() && last.After(first) {
		t.Wall = last.Sub(first)
	}
	for r, n := range reasons {
		t.Failures = append(t.Failures, ReasonCount{Reason: r, Sites: n})
	}
	sort.Slice(t.Failures, func(i, j int) bool {
		if t.Failures[i].Sites != t.Failures[j].Sites {
			return t.Failures[i].Sites > t.Failures[j].Sites
		}
		return t.Failures[i].Reason < t.Failures[j].Reason
	})
	return t
}

// BatchCSVHeader is the header row of WriteBatchCSV.
var BatchCSVHeader = []string{"line", "id", "domain", "owner", "status", "files", "bytes", "rows",
	"duration_ms", "started_at_utc", "completed_at_utc", "failure_reason"}

// WriteBatchCSV writes a batch as CSV: a header row, one row per site, then a row whose
// line cell is "total" with the sums, and "Reason ×N; …" in its failure_reason cell.
// Text cells are defused against spreadsheet formulas as in WriteCSV.
func WriteBatchCSV(w io.Writer, b Batch, opt CSVOptions) error {
	if opt.BOM {
		if _, err := io.WriteString(w, "\uFEFF"); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	i64 := func(n int64) string { return strconv.FormatInt(n, 10) }
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	rows := [][]string{BatchCSVHeader}
	for _, s := range b.Sites {
		m := s.Migration
		id := ""
		if m.ID != 0 {
			id = i64(m.ID)
		}
		rows = append(rows, []string{strconv.Itoa(s.Line), id, text(m.Domain), text(m.User.Name), m.Status,
			i64(m.Upload.Files), i64(m.BytesMoved()), i64(m.Import.Rows), i64(ms(m.Duration)),
			csvStamp(m.StartedAt), csvStamp(m.CompletedAt), text(s.FailureReason)})
	}
	t := b.Totals()
	var reasons []string
	for _, r := range t.Failures {
		reasons = append(reasons, fmt.Sprintf("%s ×%d", r.Reason, r.Sites))
	}
	status := fmt.Sprintf("%d sites: %d successful, %d failed, %d in progress, %d not started",
		t.Sites, t.Successful, t.Failed, t.InProgress, t.NotStarted)
	rows = append(rows, []string{"total", "", "", "", status, i64(t.Files), i64(t.Bytes), i64(t.Rows),
		i64(ms(t.TotalDuration)), "", "", text(strings.Join(reasons, "; "))})
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// BatchJSONFormat identifies the document WriteBatchJSON writes (version JSONVersion).
const BatchJSONFormat = "ferry.batch-report"

type jsonBatchDoc struct {
	Format    string          `json:"format"`
	Version   int             `json:"version"`
	Batch     jsonBatch       `json:"batch"`
	Totals    jsonBatchTotals `json:"totals"`
	Sites     []jsonBatchSite `json:"sites"`
	Generated *string         `json:"generatedAt"`
}

type jsonBatch struct {
	ID        int64   `json:"id"`
	Name      string  `json:"name"`
	CreatedAt *string `json:"createdAt"`
}

type jsonBatchTotals struct {
	Sites            int               `json:"sites"`
	Successful       int               `json:"successful"`
	Failed           int               `json:"failed"`
	InProgress       int               `json:"inProgress"`
	NotStarted       int               `json:"notStarted"`
	Files            int64             `json:"files"`
	Bytes            int64             `json:"bytes"`
	Rows             int64             `json:"rows"`
	TotalDurationMs  int64             `json:"totalDurationMs"`
	MedianDurationMs int64             `json:"medianDurationMs"`
	WallMs           int64             `json:"wallMs"`
	FailuresByReason []jsonReasonCount `json:"failuresByReason"`
}

type jsonReasonCount struct {
	Reason string `json:"reason"`
	Sites  int    `json:"sites"`
}

type jsonBatchSite struct {
	Line          int     `json:"line"`
	ID            *int64  `json:"id"` // null while the migration is not created
	Domain        string  `json:"domain"`
	Owner         string  `json:"owner"`
	Status        string  `json:"status"`
	Files         int64   `json:"files"`
	Bytes         int64   `json:"bytes"`
	Rows          int64   `json:"rows"`
	DurationMs    int64   `json:"durationMs"`
	StartedAt     *string `json:"startedAt"`
	CompletedAt   *string `json:"completedAt"`
	FailureReason string  `json:"failureReason"`
}

// WriteBatchJSON writes a batch as one JSON document {format, version, batch, totals,
// sites}; lists are never null, unknown times are null.
func WriteBatchJSON(w io.Writer, b Batch, generated time.Time) error {
	t := b.Totals()
	doc := jsonBatchDoc{Format: BatchJSONFormat, Version: JSONVersion, Generated: jsonStamp(generated),
		Batch: jsonBatch{ID: b.ID, Name: b.Name, CreatedAt: jsonStamp(b.CreatedAt)},
		Totals: jsonBatchTotals{Sites: t.Sites, Successful: t.Successful, Failed: t.Failed, InProgress: t.InProgress,
			NotStarted: t.NotStarted, Files: t.Files, Bytes: t.Bytes, Rows: t.Rows, TotalDurationMs: ms(t.TotalDuration),
			MedianDurationMs: ms(t.MedianDuration), WallMs: ms(t.Wall), FailuresByReason: []jsonReasonCount{}},
		Sites: make([]jsonBatchSite, 0, len(b.Sites))}
	for _, r := range t.Failures {
		doc.Totals.FailuresByReason = append(doc.Totals.FailuresByReason, jsonReasonCount(r))
	}
	for _, s := range b.Sites {
		m := s.Migration
		js := jsonBatchSite{Line: s.Line, Domain: m.Domain, Owner: m.User.Name, Status: m.Status,
			Files: m.Upload.Files, Bytes: m.BytesMoved(), Rows: m.Import.Rows, DurationMs: ms(m.Duration),
			StartedAt: jsonStamp(m.StartedAt), CompletedAt: jsonStamp(m.CompletedAt), FailureReason: s.FailureReason}
		if m.ID != 0 {
			id := m.ID
			js.ID = &id
		}
		doc.Sites = append(doc.Sites, js)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}
