package service

import (
	"context"
	"fmt"
	"sort"
	"time"

	"ferry/backend/migration"
	"ferry/backend/store"
)

// DeleteMigrations removes each migration's history record, steps, logs and local staging
// folder; nothing on the source or destination servers is touched. A migration in
// progress is stopped first through the runner's Stopper. IDs that cannot be deleted are
// reported in Failed with the reason and stay untouched; the others are deleted. When
// none could be deleted the error carries the code of the first refusal.
func (s *Service) DeleteMigrations(ctx context.Context, ids []int64) (BulkResult, error) {
	res := BulkResult{Done: []int64{}, Failed: map[int64]string{}}
	if len(ids) == 0 {
		return res, &Error{Code: CodeInvalid, Message: "choose at least one migration to delete"}
	}
	var first error
	seen := map[int64]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		if err := s.deleteOne(ctx, id); err != nil {
			res.Failed[id] = err.Error()
			if first == nil {
				first = err
			}
			continue
		}
		res.Done = append(res.Done, id)
	}
	sort.Slice(res.Done, func(i, j int) bool { return res.Done[i] < res.Done[j] })
	if len(res.Done) == 0 {
		return res, first
	}
	return res, nil
}

func (s *Service) deleteOne(ctx context.Context, id int64) error {
	r, err := s.st.Get(ctx, id)
	if err != nil {
		return fail(err, "delete migration %d", id)
	}
	if err := migration.Allowed(r.Facts(), migration.ActionDelete); err != nil {
		return fail(err, "delete migration %d", id)
	}
	if r.Status.Tab() == migration.TabInProgress {
		if st := s.getStopper(); st != nil {
			if err := st.Stop(ctx, id); err != nil {
				return fail(err, "stop migration %d before deleting it", id)
			}
		}
	}
	if interrupted(r) {
		// What Stop would have done had the run still been alive (see StopMigration).
		if err := s.cleanUpInterrupted(ctx, r); err != nil {
			return fail(err, "delete migration %d", id)
		}
	}
	// Staging goes first: if it cannot be removed the record stays, so the admin can
	// delete again instead of being left with an orphaned folder.
	if err := s.removeStaging(id); err != nil {
		return fail(err, "delete migration %d", id)
	}
	if err := s.st.Delete(ctx, id); err != nil {
		return fail(err, "delete migration %d", id)
	}
	s.log.Info("migration deleted", "id", id)
	s.changed(id, r.Status, r.CurrentStep, true)
	return nil
}

// MarkSuccessful records that the admin finished a failed migration by hand.
func (s *Service) MarkSuccessful(ctx context.Context, id int64) (MigrationRow, error) {
	return s.mark(ctx, id, migration.ActionMarkSuccessful, "Marked as successful by admin")
}

// MarkFailed fails a stuck or waiting migration. A run still in progress is then stopped
// through the runner's Stopper; its own status update loses the compare-and-set.
func (s *Service) MarkFailed(ctx context.Context, id int64) (MigrationRow, error) {
	return s.mark(ctx, id, migration.ActionMarkFailed, migration.ReasonMarkedFailed)
}

func (s *Service) mark(ctx context.Context, id int64, a migration.Action, logMsg string) (MigrationRow, error) {
	r, err := s.st.Get(ctx, id)
	if err != nil {
		return MigrationRow{}, fail(err, "%s migration %d", a, id)
	}
	if err := migration.Allowed(r.Facts(), a); err != nil {
		return MigrationRow{}, fail(err, "cannot %s migration %d", actionWords[a], id)
	}
	to, _ := migration.Result(a)
	reason := ""
	if to == migration.StatusFailed {
		reason = migration.ReasonMarkedFailed
	}
	if err := s.st.CompareAndSetStatus(ctx, id, r.Version, to, reason, ""); err != nil {
		return MigrationRow{}, fail(err, "cannot %s migration %d", actionWords[a], id)
	}
	if to == migration.StatusFailed {
		s.failOpenStep(ctx, r, migration.ReasonMarkedFailed)
		if st := s.getStopper(); st != nil && r.Status != migration.StatusWaiting {
			if err := st.Stop(ctx, id); err != nil {
				s.log.Warn("stop migration marked as failed", "id", id, "err", err)
			}
		}
	}
	if _, err := s.AppendLog(ctx, id, store.LevelWarn, r.CurrentStep, logMsg); err != nil {
		s.log.Warn("write log line", "id", id, "err", err)
	}
	s.changed(id, to, r.CurrentStep, false)
	r, err = s.st.Get(ctx, id)
	if err != nil {
		return MigrationRow{}, fail(err, "get migration %d", id)
	}
	return rowOf(r), nil
}

// actionWords is how an action reads inside an error message.
var actionWords = map[migration.Action]string{
	migration.ActionMarkSuccessful: "mark as successful",
	migration.ActionMarkFailed:     "mark as failed",
}

// failOpenStep turns the current step's spinner or alert into a failure, so the Steps tab
// agrees with the status.
func (s *Service) failOpenStep(ctx context.Context, r store.Record, reason string) {
	for _, sr := range r.Steps {
		if sr.Step == r.CurrentStep && (sr.State == migration.StepRunning || sr.State == migration.StepActionRequired) {
			sr.State, sr.Error = migration.StepFailed, reason
			if sr.FinishedAt.IsZero() {
				sr.FinishedAt = time.Now()
			}
			if err := s.st.SetStep(ctx, r.ID, sr); err != nil {
				s.log.Warn("fail open step", "id", r.ID, "err", err)
			}
		}
	}
}

// RevealFields are the secrets RevealSecret can show.
var RevealFields = []string{
	"source.password", "source.privateKey", "source.passphrase", "source.db.password",
	"destination.password", "destination.privateKey", "destination.passphrase", "destination.db.password",
}

// RevealSecret returns one stored secret in clear for the reveal button, and notes in the
// migration's log that it was revealed (the log names the field, never the value).
func (s *Service) RevealSecret(ctx context.Context, id int64, field string) (string, error) {
	r, err := s.st.Get(ctx, id)
	if err != nil {
		return "", fail(err, "reveal secret of migration %d", id)
	}
	sealed, ok := map[string]string{
		"source.password": r.Source.Password, "source.privateKey": r.Source.PrivateKey,
		"source.passphrase": r.Source.Passphrase, "source.db.password": r.Source.DB.Password,
		"destination.password": r.Destination.Password, "destination.privateKey": r.Destination.PrivateKey,
		"destination.passphrase": r.Destination.Passphrase, "destination.db.password": r.Destination.DB.Password,
	}[field]
	if !ok {
		return "", &Error{Code: CodeInvalid, Message: fmt.Sprintf("unknown secret field %q", field),
			Fields: map[string]string{"field": "Choose one of the password, key or passphrase fields."}}
	}
	if sealed == "" {
		return "", nil
	}
	plain, err := s.box.Open(sealed)
	if err != nil {
		// The message never carries the value; ErrWrongKey explains a lost keyring entry.
		return "", &Error{Code: CodeInternal, Message: fmt.Sprintf("cannot decrypt %s of migration %d: the history key changed", field, id), Err: err}
	}
	if _, err := s.AppendLog(ctx, id, store.LevelInfo, "", "Admin revealed "+field); err != nil {
		s.log.Warn("write log line", "id", id, "err", err)
	}
	return plain, nil
}
