package service

import (
	"context"
	"encoding/json"

	"ferry/backend/migration"
	"ferry/backend/pipeline"
	"ferry/backend/secret"
)

// fillOutcome adds Validate's checks and the warnings of the migration's results to d,
// with every secret of the migration masked, as in the reports.
func (s *Service) fillOutcome(ctx context.Context, d *MigrationDetail, m migration.Migration) error {
	d.Checks, d.Warnings = []CheckDTO{}, []string{}
	raw, err := s.st.Results(ctx, m.ID)
	if err != nil {
		return fail(err, "get migration %d", m.ID)
	}
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var res pipeline.Results
	if err := json.Unmarshal(raw, &res); err != nil {
		return fail(err, "read the results of migration %d", m.ID)
	}
	secrets := s.openSecrets(m)
	for _, c := range res.Validation {
		d.Checks = append(d.Checks, CheckDTO{Name: c.Name, OK: c.OK, Message: secret.Redact(c.Message, secrets...)})
	}
	for _, w := range res.Warnings {
		d.Warnings = append(d.Warnings, secret.Redact(w, secrets...))
	}
	return nil
}
