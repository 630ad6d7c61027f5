package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"ferry/backend/migration"
	"ferry/backend/store"
)

// BatchDTO is a batch and the migrations of its sites, in the sites file's order.
type BatchDTO struct {
	ID         int64   `json:"id"`
	Name       string  `json:"name"`
	CreatedAt  int64   `json:"createdAt"`
	Sites      int     `json:"sites"`
	Migrations []int64 `json:"migrations"` // 0 for a site whose migration is not created yet
	// Created and Retried say what CreateBatch or ResumeBatch did: migrations created, and
	// failed or interrupted migrations retried (they resume where they stopped).
	Created int `json:"created"`
	Retried int `json:"retried"`
}

// CheckBatch validates a batch without creating anything: it returns each site's form, or
// a *BatchError listing every problem with its line and column.
func (s *Service) CheckBatch(ctx context.Context, in BatchInput) ([]CreateInput, error) {
	out, problems := checkBatch(in)
	if len(problems) > 0 {
		return nil, &BatchError{File: in.File, Problems: problems}
	}
	return out, nil
}

// CreateBatch validates every site first (a *BatchError names each problem and nothing is
// created), then stores the batch with its shared settings (secrets sealed) and creates
// one queued migration per site, tagged with the batch before the runner sees it.
func (s *Service) CreateBatch(ctx context.Context, in BatchInput) (BatchDTO, error) {
	inputs, err := s.CheckBatch(ctx, in)
	if err != nil {
		return BatchDTO{}, err
	}
	shared, err := s.sealShared(in.Shared)
	if err != nil {
		return BatchDTO{}, fail(err, "create batch")
	}
	sites := make([]store.BatchSite, len(in.Sites))
	for i, site := range in.Sites {
		b, err := json.Marshal(site)
		if err != nil {
			return BatchDTO{}, fail(err, "create batch")
		}
		sites[i] = store.BatchSite{Line: site.Line, Site: string(b)}
	}
	name := strings.TrimSpace(in.Name)
	auto := name == ""
	if auto {
		name = strings.TrimSuffix(filepath.Base(in.File), filepath.Ext(in.File))
		if name == "" || name == "." {
			name = "batch"
		}
	}
	b := store.Batch{Name: name, Shared: shared}
	for n := 2; ; n++ {
		err = s.st.CreateBatch(ctx, &b, sites)
		if !errors.Is(err, store.ErrConflict) || !auto || n > 1000 {
			break
		}
		b.Name = fmt.Sprintf("%s-%d", name, n)
	}
	if errors.Is(err, store.ErrConflict) {
		return BatchDTO{}, &Error{Code: CodeConflict, Message: fmt.Sprintf("A batch named %q exists already: choose another name.", name), Err: err}
	}
	if err != nil {
		return BatchDTO{}, fail(err, "create batch")
	}
	out := BatchDTO{ID: b.ID, Name: b.Name, CreatedAt: b.CreatedAt, Sites: len(in.Sites)}
	for i, site := range in.Sites {
		id, err := s.createSite(ctx, b.ID, site.Line, inputs[i])
		if err != nil {
			return out, err
		}
		out.Migrations = append(out.Migrations, id)
		out.Created++
	}
	return out, nil
}

func (s *Service) createSite(ctx context.Context, batchID int64, line int, in CreateInput) (int64, error) {
	d, err := s.createMigration(ctx, in, func(id int64) error { return s.st.SetBatchMigration(ctx, batchID, line, id) })
	if err != nil {
		return 0, fail(err, "create the migration of line %d", line)
	}
	return d.ID, nil
}

// ResumeBatch continues a batch after Ferry was closed or killed: sites whose migration
// is missing are created, failed migrations (an interrupted run shows as failed) are
// retried and resume at the step they stopped at, and Successful ones are left alone.
// ref is the batch's ID or name.
func (s *Service) ResumeBatch(ctx context.Context, ref string) (BatchDTO, error) {
	b, err := s.st.BatchByRef(ctx, ref)
	if err != nil {
		return BatchDTO{}, fail(err, "resume batch")
	}
	sites, err := s.st.BatchSites(ctx, b.ID)
	if err != nil {
		return BatchDTO{}, fail(err, "resume batch %s", b.Name)
	}
	out := BatchDTO{ID: b.ID, Name: b.Name, CreatedAt: b.CreatedAt, Sites: len(sites)}
	var shared *CreateInput
	for _, site := range sites {
		id := site.MigrationID
		if id == 0 {
			if shared == nil {
				sh, err := s.openShared(b.Shared)
				if err != nil {
					return out, fail(err, "resume batch %s", b.Name)
				}
				shared = &sh
			}
			var bs BatchSite
			if err := json.Unmarshal([]byte(site.Site), &bs); err != nil {
				return out, fail(err, "resume batch %s: line %d", b.Name, site.Line)
			}
			in := siteInput(*shared, bs)
			if id, err = s.createSite(ctx, b.ID, site.Line, in); err != nil {
				return out, err
			}
			out.Created++
			out.Migrations = append(out.Migrations, id)
			continue
		}
		out.Migrations = append(out.Migrations, id)
		rec, err := s.st.Get(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted by the admin: not brought back
		}
		if err != nil {
			return out, fail(err, "resume batch %s", b.Name)
		}
		switch rec.Status {
		case migration.StatusFailed:
			if _, err := s.RetryMigration(ctx, id, false); err != nil {
				return out, err
			}
			out.Retried++
		case migration.StatusQueued:
			s.enqueue(id)
		}
	}
	return out, nil
}

// BatchID finds a batch by ID or name, for filters (ferry list --batch).
func (s *Service) BatchID(ctx context.Context, ref string) (int64, error) {
	b, err := s.st.BatchByRef(ctx, ref)
	if err != nil {
		return 0, fail(err, "find batch")
	}
	return b.ID, nil
}

// sealShared stores the shared settings as JSON with every secret sealed.
func (s *Service) sealShared(in CreateInput) (string, error) {
	for _, p := range sharedSecrets(&in) {
		sealed, err := s.box.Seal(*p)
		if err != nil {
			return "", fmt.Errorf("seal credentials: %w", err)
		}
		*p = sealed
	}
	b, err := json.Marshal(in)
	return string(b), err
}

func (s *Service) openShared(text string) (CreateInput, error) {
	var in CreateInput
	if err := json.Unmarshal([]byte(text), &in); err != nil {
		return in, fmt.Errorf("read shared settings: %w", err)
	}
	for _, p := range sharedSecrets(&in) {
		plain, err := s.box.Open(*p)
		if err != nil {
			return in, fmt.Errorf("open credentials: %w", err)
		}
		*p = plain
	}
	return in, nil
}

func sharedSecrets(in *CreateInput) []*string {
	return []*string{&in.Source.Password, &in.Source.PrivateKey, &in.Source.Passphrase, &in.Source.DB.Password,
		&in.Destination.Password, &in.Destination.PrivateKey, &in.Destination.Passphrase, &in.Destination.DB.Password}
}
