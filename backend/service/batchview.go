package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"ferry/backend/migration"
	"ferry/backend/pipeline"
	"ferry/backend/store"
)

// BatchSummary counts a batch's migrations by where they stand, with what they moved and
// when the rest may be done.
type BatchSummary struct {
	BatchDTO
	Done    int `json:"done"` // Successful
	Running int `json:"running"`
	Failed  int `json:"failed"`
	Waiting int `json:"waiting"` // queued, waiting for the admin, or not created yet
	// Bytes is what arrived at the destinations so far: uploaded file bytes plus imported
	// SQL bytes, as each migration's steps recorded them, and for a running Upload files
	// or Import database what it moved so far (pipeline.Moving).
	Bytes int64 `json:"bytes"`
	// SourceBytes is the size of the sources analysed so far (files plus database), 0
	// while no source has been analysed.
	SourceBytes int64 `json:"sourceBytes"`
	// ETASeconds is when the sites not yet done should be, -1 when nothing says it yet;
	// ETA says it for people ("3 min left"), "" when unknown.
	ETASeconds float64        `json:"etaSeconds"`
	ETA        string         `json:"eta"`
	Rows       []MigrationRow `json:"rows"`
}

// ListBatches returns every batch, newest first, with its counts (without rows): the
// window's "Batch:" filter and summary bar.
func (s *Service) ListBatches(ctx context.Context) ([]BatchSummary, error) {
	bs, err := s.st.Batches(ctx)
	if err != nil {
		return nil, fail(err, "list batches")
	}
	out := make([]BatchSummary, 0, len(bs))
	for _, b := range bs {
		sum, err := s.summarise(ctx, b, false)
		if err != nil {
			return nil, err
		}
		out = append(out, sum)
	}
	return out, nil
}

// BatchSummary reports where every migration of a batch stands, with its rows.
func (s *Service) BatchSummary(ctx context.Context, ref string) (BatchSummary, error) {
	b, err := s.st.BatchByRef(ctx, ref)
	if err != nil {
		return BatchSummary{}, fail(err, "batch summary")
	}
	return s.summarise(ctx, b, true)
}

// BatchStatus is BatchSummary without what costs most to gather: the counts, and rows
// with only their ID, domain, status and failure reason (no bytes, no ETA). A caller that
// waits on a batch asks it a few times a second.
func (s *Service) BatchStatus(ctx context.Context, ref string) (BatchSummary, error) {
	b, err := s.st.BatchByRef(ctx, ref)
	if err != nil {
		return BatchSummary{}, fail(err, "batch status")
	}
	states, err := s.st.BatchStates(ctx, b.ID)
	if err != nil {
		return BatchSummary{}, fail(err, "batch status")
	}
	sum := BatchSummary{BatchDTO: BatchDTO{ID: b.ID, Name: b.Name, CreatedAt: b.CreatedAt, Sites: len(states), Migrations: []int64{}},
		Rows: []MigrationRow{}, ETASeconds: -1}
	for _, st := range states {
		sum.Migrations = append(sum.Migrations, st.MigrationID)
		switch {
		case st.MigrationID == 0:
			sum.Waiting++
			continue
		case st.Deleted:
			continue // deleted by the admin: no longer part of the counts
		}
		sum.Rows = append(sum.Rows, MigrationRow{ID: st.MigrationID, Domain: st.Domain, Batch: b.Name,
			Status: st.Status, FailureReason: st.FailureReason})
		sum.count(migration.Status(st.Status))
	}
	return sum, nil
}

// count adds one migration in status st to the summary's tallies.
func (sum *BatchSummary) count(st migration.Status) {
	switch st {
	case migration.StatusSuccessful:
		sum.Done++
	case migration.StatusRunning:
		sum.Running++
	case migration.StatusFailed:
		sum.Failed++
	default:
		sum.Waiting++
	}
}

func (s *Service) summarise(ctx context.Context, b store.Batch, withRows bool) (BatchSummary, error) {
	sites, err := s.st.BatchSites(ctx, b.ID)
	if err != nil {
		return BatchSummary{}, fail(err, "batch summary")
	}
	sum := BatchSummary{BatchDTO: BatchDTO{ID: b.ID, Name: b.Name, CreatedAt: b.CreatedAt, Sites: len(sites), Migrations: []int64{}},
		Rows: []MigrationRow{}, ETASeconds: -1}
	var first time.Time
	s.mu.RLock()
	pipe := s.pipe
	s.mu.RUnlock()
	for _, site := range sites {
		sum.Migrations = append(sum.Migrations, site.MigrationID)
		if site.MigrationID == 0 {
			sum.Waiting++
			continue
		}
		rec, err := s.st.Get(ctx, site.MigrationID)
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted by the admin: no longer part of the counts
		}
		if err != nil {
			return BatchSummary{}, fail(err, "batch summary")
		}
		if withRows {
			row := rowOf(rec)
			row.Batch = b.Name
			sum.Rows = append(sum.Rows, row)
		}
		sum.count(rec.Status)
		if !rec.StartedAt.IsZero() && (first.IsZero() || rec.StartedAt.Before(first)) {
			first = rec.StartedAt
		}
		res, err := s.results(ctx, rec.ID)
		if err != nil {
			return BatchSummary{}, err
		}
		var upNow, importNow int64
		if rec.Status == migration.StatusRunning && pipe != nil {
			upNow, importNow = pipe.Moving(rec.ID)
		}
		if res.Upload != nil {
			sum.Bytes += res.Upload.Bytes
		} else {
			sum.Bytes += upNow
		}
		if res.Import != nil {
			sum.Bytes += res.Import.Bytes
		} else {
			sum.Bytes += importNow
		}
		sum.SourceBytes += res.SourceBytes + res.SourceDBBytes
	}
	if !first.IsZero() {
		sum.ETASeconds = batchETA(time.Since(first), sum.Done, sum.Running+sum.Waiting)
	}
	if sum.ETASeconds >= 0 {
		sum.ETA = TimeLeft(sum.ETASeconds)
	}
	return sum, nil
}

// batchETA estimates the time left from the pace of the batch so far: sites done per
// second of wall time since its first start. Wall time, not each site's own duration,
// because sites run side by side within the per-host limits, and the pace already holds
// that parallelism. It is -1 (unknown) until a site is done, and 0 when nothing is left
// to run; failed sites are not counted as left, since they wait for the admin.
func batchETA(elapsed time.Duration, done, left int) float64 {
	switch {
	case left == 0:
		return 0
	case done == 0 || elapsed <= 0:
		return -1
	}
	return elapsed.Seconds() / float64(done) * float64(left)
}

// results reads what a migration's steps recorded, empty when nothing was recorded yet.
func (s *Service) results(ctx context.Context, id int64) (pipeline.Results, error) {
	var res pipeline.Results
	raw, err := s.st.Results(ctx, id)
	if err != nil {
		return res, fail(err, "read the results of migration %d", id)
	}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &res); err != nil {
			return res, fail(err, "read the results of migration %d", id)
		}
	}
	return res, nil
}

// batchMigrations returns the records of a batch's migrations that exist.
func (s *Service) batchMigrations(ctx context.Context, ref, what string) (store.Batch, []store.Record, error) {
	b, err := s.st.BatchByRef(ctx, ref)
	if err != nil {
		return b, nil, fail(err, "%s", what)
	}
	sites, err := s.st.BatchSites(ctx, b.ID)
	if err != nil {
		return b, nil, fail(err, "%s", what)
	}
	var out []store.Record
	for _, site := range sites {
		if site.MigrationID == 0 {
			continue
		}
		rec, err := s.st.Get(ctx, site.MigrationID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return b, nil, fail(err, "%s", what)
		}
		out = append(out, rec)
	}
	return b, out, nil
}

// RetryFailedInBatch retries every failed migration of a batch; each resumes at the step
// it stopped at, as Retry does for one. A batch with nothing failed is CodeNotAllowed.
func (s *Service) RetryFailedInBatch(ctx context.Context, ref string) (BulkResult, error) {
	b, recs, err := s.batchMigrations(ctx, ref, "retry the failed migrations of batch "+ref)
	if err != nil {
		return BulkResult{}, err
	}
	var ids []int64
	for _, r := range recs {
		if r.Status == migration.StatusFailed {
			ids = append(ids, r.ID)
		}
	}
	if len(ids) == 0 {
		return BulkResult{Done: []int64{}, Failed: map[int64]string{}},
			Errorf(CodeNotAllowed, "batch %s has no failed migration to retry", b.Name)
	}
	return s.RetryMigrations(ctx, ids)
}

// StopBatch stops every migration of a batch that is still in progress (queued, running
// or waiting): each becomes Failed with "Stopped by admin" and keeps its staging files,
// so Retry failed resumes the batch. A batch with nothing in progress is CodeNotAllowed.
func (s *Service) StopBatch(ctx context.Context, ref string) (BulkResult, error) {
	b, recs, err := s.batchMigrations(ctx, ref, "stop batch "+ref)
	if err != nil {
		return BulkResult{}, err
	}
	res := BulkResult{Done: []int64{}, Failed: map[int64]string{}}
	for _, r := range recs {
		if r.Status.Tab() != migration.TabInProgress {
			continue
		}
		if _, err := s.StopMigration(ctx, r.ID); err != nil {
			res.Failed[r.ID] = err.Error()
			continue
		}
		res.Done = append(res.Done, r.ID)
	}
	if len(res.Done) == 0 && len(res.Failed) == 0 {
		return res, Errorf(CodeNotAllowed, "batch %s has no migration in progress to stop", b.Name)
	}
	return res, nil
}

// BatchPreview is a sites file read and checked against the shared settings, before
// anything is created: the window's preview table.
type BatchPreview struct {
	File string `json:"file"` // the sites file's path
	// Name is the name the batch gets when the admin leaves it empty (the file's name).
	Name     string         `json:"name"`
	Columns  []string       `json:"columns"`
	Sites    []BatchSite    `json:"sites"`
	Problems []BatchProblem `json:"problems"` // each with its line and column; none means Start may go
}

// PreviewBatch reads the sites file at sitesPath and checks every row with shared, the
// way CreateBatch will, without creating or starting anything. A file that cannot be
// read is CodeInvalid on "sites"; problems in it are returned in the preview.
func (s *Service) PreviewBatch(ctx context.Context, shared CreateInput, sitesPath string) (BatchPreview, error) {
	sites, problems, err := readSites(sitesPath)
	if err != nil {
		return BatchPreview{}, err
	}
	p := BatchPreview{File: sitesPath, Name: defaultBatchName(sitesPath), Columns: SiteColumns, Sites: sites, Problems: problems}
	if p.Sites == nil {
		p.Sites = []BatchSite{}
	}
	if len(problems) == 0 {
		_, p.Problems = checkBatch(BatchInput{File: sitesPath, Shared: shared, Sites: sites})
	}
	if p.Problems == nil {
		p.Problems = []BatchProblem{}
	}
	return p, nil
}

// BatchStart is the New batch dialog: a name ("" names the batch after the file), the
// settings every site shares and the sites file, read again at start.
type BatchStart struct {
	Name      string      `json:"name"`
	Shared    CreateInput `json:"shared"`
	SitesPath string      `json:"sitesPath"`
}

// StartBatch reads the sites file again (it may have changed since the preview), checks
// it and creates the batch, whose migrations queue at once. Problems are a *BatchError
// wrapped as CodeInvalid; nothing is created then.
func (s *Service) StartBatch(ctx context.Context, in BatchStart) (BatchDTO, error) {
	sites, problems, err := readSites(in.SitesPath)
	if err != nil {
		return BatchDTO{}, err
	}
	file := filepath.Base(in.SitesPath)
	if len(problems) > 0 {
		be := &BatchError{File: file, Problems: problems}
		return BatchDTO{}, &Error{Code: CodeInvalid, Message: be.Error(), Err: be}
	}
	b, err := s.CreateBatch(ctx, BatchInput{Name: in.Name, File: file, Shared: in.Shared, Sites: sites})
	var be *BatchError
	if errors.As(err, &be) {
		return BatchDTO{}, &Error{Code: CodeInvalid, Message: be.Error(), Err: be}
	}
	return b, err
}

func readSites(path string) ([]BatchSite, []BatchProblem, error) {
	if path == "" {
		return nil, nil, &Error{Code: CodeInvalid, Message: "choose a sites file", Fields: map[string]string{"sites": "Choose a sites file (CSV)."}}
	}
	f, err := os.Open(path)
	if err != nil {
		msg := fmt.Sprintf("Cannot read %s: %v", filepath.Base(path), errors.Unwrap(err))
		return nil, nil, &Error{Code: CodeInvalid, Message: "cannot read the sites file", Fields: map[string]string{"sites": msg}, Err: err}
	}
	defer f.Close()
	sites, problems := ParseSites(f)
	return sites, problems, nil
}

// defaultBatchName is what CreateBatch names a batch whose name is left empty.
func defaultBatchName(path string) string {
	name := filepath.Base(path)
	name = name[:len(name)-len(filepath.Ext(name))]
	if name == "" || name == "." || name == "/" {
		return "batch"
	}
	return name
}
