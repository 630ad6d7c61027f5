package service

import (
	"context"
	"errors"
	"fmt"

	"ferry/backend/migration"
	"ferry/backend/store"
)

// CreateMigration validates the New migration form, seals its secrets and stores the
// migration. An automatic migration starts queued for the runner. A manual one starts
// waiting at Wait for upload with that step marked action required, because the admin
// must attach its files first; the runner runs Check destination before the import
// continues, so that step is left not started here.
func (s *Service) CreateMigration(ctx context.Context, in CreateInput) (MigrationDetail, error) {
	return s.createMigration(ctx, in, nil)
}

// createMigration is CreateMigration with stored, when not nil, called once the migration
// is in the history and before the runner may see it (a batch tags its migrations there).
func (s *Service) createMigration(ctx context.Context, in CreateInput, stored func(id int64) error) (MigrationDetail, error) {
	fe := validateCreate(&in)
	if in.UserID > 0 {
		if _, err := s.st.User(ctx, in.UserID); errors.Is(err, store.ErrNotFound) {
			fe.add("userId", "This owner no longer exists; choose another.")
		} else if err != nil {
			return MigrationDetail{}, fail(err, "create migration")
		}
	}
	checkAccess(fe, in)
	if len(fe) > 0 {
		return MigrationDetail{}, &Error{Code: CodeInvalid, Message: invalidMessage(fe), Fields: fe}
	}
	method := migration.Method(in.Method)
	m := &migration.Migration{
		User:    migration.User{ID: in.UserID, Name: in.UserName, Email: in.UserEmail, Status: migration.UserActive},
		Service: in.Service, Domain: in.Domain, Method: method, OldURL: in.OldURL, NewURL: in.NewURL,
		Options: in.Options.options(),
	}
	var err error
	if method.Automatic() {
		if m.Source, err = s.sealEndpoint(in.Source); err != nil {
			return MigrationDetail{}, fail(err, "create migration")
		}
		m.Status = migration.StatusQueued
	} else {
		m.Status = migration.StatusWaiting
		m.CurrentStep = migration.StepWaitForUpload
		m.Steps = []migration.StepRecord{{Step: migration.StepWaitForUpload, State: migration.StepActionRequired}}
	}
	if m.Destination, err = s.sealEndpoint(in.Destination); err != nil {
		return MigrationDetail{}, fail(err, "create migration")
	}
	if err := s.st.Create(ctx, m); err != nil {
		return MigrationDetail{}, fail(err, "create migration")
	}
	if stored != nil {
		if err := stored(m.ID); err != nil {
			return MigrationDetail{}, fail(err, "create migration")
		}
	}
	msg := fmt.Sprintf("Migration of %s created (%s method)", m.Domain, m.Method)
	if method == migration.MethodManual {
		msg += "; attach wordpress-files.zip and database.sql, then Verify"
	}
	if _, err := s.AppendLog(ctx, m.ID, store.LevelInfo, m.CurrentStep, msg); err != nil {
		s.log.Warn("write creation log line", "id", m.ID, "err", err)
	}
	s.changed(m.ID, m.Status, m.CurrentStep, false)
	if m.Status == migration.StatusQueued {
		s.enqueue(m.ID)
	}
	return s.GetMigration(ctx, m.ID)
}

func invalidMessage(fe fieldErrors) string {
	if len(fe) == 1 {
		for _, msg := range fe {
			return "Check the form: " + msg
		}
	}
	return fmt.Sprintf("Check the form: %d fields need attention.", len(fe))
}

// sealEndpoint turns the form's endpoint into the domain value with every secret sealed.
func (s *Service) sealEndpoint(in EndpointInput) (migration.Endpoint, error) {
	e := migration.Endpoint{
		Protocol: migration.Protocol(in.Protocol), Host: in.Host, Port: in.Port, User: in.User,
		Path: in.Path, CertFingerprint: in.CertFingerprint,
		DB: migration.Database{Host: in.DB.Host, Port: in.DB.Port, User: in.DB.User, Name: in.DB.Name,
			SSHTunnel: in.DB.SSHTunnel, FromWPConfig: in.DB.FromWPConfig, Access: dbAccess(in.DB), SiteIP: in.DB.SiteIP},
	}
	for _, f := range []struct {
		dst   *string
		plain string
	}{{&e.Password, in.Password}, {&e.PrivateKey, in.PrivateKey}, {&e.Passphrase, in.Passphrase}, {&e.DB.Password, in.DB.Password}} {
		sealed, err := s.box.Seal(f.plain)
		if err != nil {
			return migration.Endpoint{}, fmt.Errorf("seal credentials: %w", err)
		}
		*f.dst = sealed
	}
	return e, nil
}

// options is what the admin chose, as the migration keeps it.
func (o OptionsDTO) options() migration.Options {
	return migration.Options{Overwrite: o.Overwrite, FreshSalts: o.FreshSalts,
		Excludes: o.Excludes, HTTPCheck: o.HTTPCheck, HTTPIP: o.HTTPIP,
		Replacements: replacementsOf(o.Replacements), FilesOverFTPOnly: o.FilesOverFTPOnly}
}

// optionsDTO is a migration's options as the window shows them.
func optionsDTO(o migration.Options) OptionsDTO {
	return OptionsDTO{Overwrite: o.Overwrite, FreshSalts: o.FreshSalts,
		Excludes: append([]string{}, o.Excludes...), HTTPCheck: o.HTTPCheck, HTTPIP: o.HTTPIP,
		Replacements: replacementDTOs(o.Replacements), FilesOverFTPOnly: o.FilesOverFTPOnly}
}
