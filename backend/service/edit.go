package service

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"

	"ferry/backend/migration"
	"ferry/backend/pipeline"
	"ferry/backend/store"
)

// EditResult is what EditMigration did: the migration as it is now, the names of the
// fields that changed (never their values) and whether the next Retry starts over from
// Check destination instead of resuming.
type EditResult struct {
	Detail  MigrationDetail `json:"detail"`
	Changed []string        `json:"changed"`
	Restart bool            `json:"restart"`
}

// resumeSafe are the fields whose change leaves the work already done valid: who logs in
// and how, and the plan's label. Any other change (a host, a path, a database, a URL, an
// option) makes the next Retry start over from Check destination.
var resumeSafe = map[string]bool{
	"service":     true,
	"source.user": true, "source.password": true, "source.privateKey": true, "source.passphrase": true,
	"source.port": true, "source.db.user": true, "source.db.password": true, "source.db.port": true,
	"destination.user": true, "destination.password": true, "destination.privateKey": true,
	"destination.passphrase": true, "destination.port": true, "destination.db.user": true,
	"destination.db.password": true, "destination.db.port": true,
}

// EditMigration changes the settings of a failed migration (or of a manual one still
// waiting for its files): the New migration form's fields, with every secret left empty
// kept as stored. The owner and the method stay (Switch to manual changes the method).
// The log records which fields changed, never their values. When a change invalidates
// work already done, the steps are reset so the next Retry starts from Check destination.
func (s *Service) EditMigration(ctx context.Context, id int64, in CreateInput) (EditResult, error) {
	rec, err := s.st.Get(ctx, id)
	if err != nil {
		return EditResult{}, fail(err, "edit migration %d", id)
	}
	if err := migration.Allowed(rec.Facts(), migration.ActionEdit); err != nil {
		return EditResult{}, fail(err, "edit migration %d", id)
	}
	if m := strings.ToLower(strings.TrimSpace(in.Method)); m != "" && m != string(rec.Method) &&
		!(m == string(migration.ProtocolFTPS) && rec.Method == migration.MethodFTP) {
		return EditResult{}, &Error{Code: CodeInvalid, Message: "Edit keeps the method; use Switch to manual to change it",
			Fields: map[string]string{"method": "The method cannot be changed here."}}
	}
	in.Method, in.UserID, in.UserName, in.UserEmail = string(rec.Method), rec.User.ID, rec.User.Name, rec.User.Email
	old, err := s.openInput(rec)
	if err != nil {
		return EditResult{}, err
	}
	keepSecrets(&in.Source, old.Source)
	keepSecrets(&in.Destination, old.Destination)
	if !rec.Method.Automatic() {
		in.Source = old.Source
	}
	fe := validateCreate(&in)
	if len(fe) > 0 {
		return EditResult{}, &Error{Code: CodeInvalid, Message: invalidMessage(fe), Fields: fe}
	}
	changed := changedFields(old, in)
	if len(changed) == 0 {
		d, err := s.GetMigration(ctx, id)
		return EditResult{Detail: d, Changed: []string{}}, err
	}
	restart := false
	for _, f := range changed {
		restart = restart || !resumeSafe[f]
	}
	m := rec.Migration
	m.Service, m.Domain, m.OldURL, m.NewURL = in.Service, in.Domain, in.OldURL, in.NewURL
	m.Options = in.Options.options()
	if rec.Method.Automatic() {
		if m.Source, err = s.sealEndpoint(in.Source); err != nil {
			return EditResult{}, fail(err, "edit migration %d", id)
		}
	}
	if m.Destination, err = s.sealEndpoint(in.Destination); err != nil {
		return EditResult{}, fail(err, "edit migration %d", id)
	}
	if err := s.st.UpdateSettings(ctx, rec.Version, m); err != nil {
		return EditResult{}, fail(err, "edit migration %d", id)
	}
	msg := "Settings changed by admin: " + strings.Join(humanFields(changed), ", ")
	if restart && rec.Status == migration.StatusFailed {
		if err := s.resetSteps(ctx, rec); err != nil {
			return EditResult{}, err
		}
		msg += "; the next Retry starts from Check destination"
	} else if rec.Status == migration.StatusFailed {
		msg += "; Retry resumes at " + rec.CurrentStep.Title()
	}
	if _, err := s.AppendLog(ctx, id, store.LevelInfo, rec.CurrentStep, msg); err != nil {
		s.log.Warn("write log line", "id", id, "err", err)
	}
	d, err := s.GetMigration(ctx, id)
	if err != nil {
		return EditResult{}, err
	}
	s.changed(id, rec.Status, rec.CurrentStep, false)
	return EditResult{Detail: d, Changed: changed, Restart: restart && rec.Status == migration.StatusFailed}, nil
}

// resetSteps marks every step not started (a manual migration keeps its Wait for upload,
// so its verified files stay attached) and drops the staging copy and recorded results,
// as Retry from start does, without queueing the migration.
func (s *Service) resetSteps(ctx context.Context, rec store.Record) error {
	for _, st := range rec.Steps {
		if rec.Method == migration.MethodManual && st.Step == migration.StepWaitForUpload {
			continue
		}
		if err := s.st.SetStep(ctx, rec.ID, migration.StepRecord{Step: st.Step, State: migration.StepNotStarted}); err != nil {
			return fail(err, "edit migration %d", rec.ID)
		}
	}
	if rec.Method.Automatic() {
		if err := s.removeStaging(rec.ID); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fail(err, "edit migration %d", rec.ID)
		}
	}
	if err := s.st.SetResults(ctx, rec.ID, nil); err != nil {
		return fail(err, "edit migration %d", rec.ID)
	}
	return nil
}

// SwitchToManual turns a failed automatic migration into a manual one (the seed's advice
// when a provider blocks FTP): it keeps the destination and options, forgets the steps
// and staging of the automatic attempts, and waits for wordpress-files.zip and
// database.sql. The log says why.
func (s *Service) SwitchToManual(ctx context.Context, id int64) (MigrationDetail, error) {
	rec, err := s.st.Get(ctx, id)
	if err != nil {
		return MigrationDetail{}, fail(err, "switch migration %d to manual", id)
	}
	if err := migration.Allowed(rec.Facts(), migration.ActionSwitchToManual); err != nil {
		return MigrationDetail{}, fail(err, "switch migration %d to manual", id)
	}
	if err := s.st.SwitchToManual(ctx, id, rec.Version); err != nil {
		return MigrationDetail{}, fail(err, "switch migration %d to manual", id)
	}
	if err := s.removeStaging(id); err != nil && !errors.Is(err, os.ErrNotExist) {
		s.log.Warn("remove staging", "id", id, "err", err)
	}
	why := rec.FailureReason
	if why == "" {
		why = "failed"
	}
	msg := fmt.Sprintf("Switched to the manual method by admin after %s: %s. Attach wordpress-files.zip and database.sql, then Verify",
		rec.CurrentStep.Title(), strings.TrimSuffix(why, "."))
	if _, err := s.AppendLog(ctx, id, store.LevelInfo, migration.StepWaitForUpload, msg); err != nil {
		s.log.Warn("write log line", "id", id, "err", err)
	}
	s.changed(id, migration.StatusWaiting, migration.StepWaitForUpload, false)
	return s.GetMigration(ctx, id)
}

// openInput is the stored migration as the form's input, secrets in clear.
func (s *Service) openInput(rec store.Record) (CreateInput, error) {
	in := CreateInput{Method: string(rec.Method), UserID: rec.User.ID, UserName: rec.User.Name, UserEmail: rec.User.Email,
		Service: rec.Service, Domain: rec.Domain, OldURL: rec.OldURL, NewURL: rec.NewURL,
		Options: optionsDTO(rec.Options)}
	for _, side := range []struct {
		dst *EndpointInput
		src migration.Endpoint
	}{{&in.Source, rec.Source}, {&in.Destination, rec.Destination}} {
		e := side.src
		*side.dst = EndpointInput{Protocol: string(e.Protocol), Host: e.Host, Port: e.Port, User: e.User, Path: e.Path,
			CertFingerprint: e.CertFingerprint,
			DB: DatabaseInput{Host: e.DB.Host, Port: e.DB.Port, User: e.DB.User, Name: e.DB.Name,
				SSHTunnel: e.DB.SSHTunnel, FromWPConfig: e.DB.FromWPConfig, Access: e.DB.Access, SiteIP: e.DB.SiteIP}}
		for _, f := range []struct {
			dst    *string
			sealed string
		}{{&side.dst.Password, e.Password}, {&side.dst.PrivateKey, e.PrivateKey}, {&side.dst.Passphrase, e.Passphrase},
			{&side.dst.DB.Password, e.DB.Password}} {
			if f.sealed == "" {
				continue
			}
			plain, err := s.box.Open(f.sealed)
			if err != nil {
				return CreateInput{}, &Error{Code: CodeInternal, Message: fmt.Sprintf("cannot decrypt the stored credentials of migration %d: the history key changed", rec.ID), Err: err}
			}
			*f.dst = plain
		}
	}
	return in, nil
}

// keepSecrets fills every secret the form left empty with the stored one.
func keepSecrets(in *EndpointInput, old EndpointInput) {
	for _, f := range []struct{ dst, old *string }{{&in.Password, &old.Password}, {&in.PrivateKey, &old.PrivateKey},
		{&in.Passphrase, &old.Passphrase}, {&in.DB.Password, &old.DB.Password}} {
		if *f.dst == "" {
			*f.dst = *f.old
		}
	}
}

// changedFields names, as JSON paths of the form, every field whose value differs.
func changedFields(old, in CreateInput) []string {
	var out []string
	add := func(name string, a, b any) {
		if !reflect.DeepEqual(a, b) {
			out = append(out, name)
		}
	}
	add("service", old.Service, in.Service)
	add("domain", old.Domain, in.Domain)
	add("oldUrl", old.OldURL, in.OldURL)
	add("newUrl", old.NewURL, in.NewURL)
	for _, side := range []struct {
		name   string
		a, b   EndpointInput
		active bool
	}{{"source", old.Source, in.Source, migration.Method(in.Method).Automatic()}, {"destination", old.Destination, in.Destination, true}} {
		if !side.active {
			continue
		}
		a, b, p := side.a, side.b, side.name+"."
		add(p+"protocol", a.Protocol, b.Protocol)
		add(p+"host", a.Host, b.Host)
		add(p+"port", a.Port, b.Port)
		add(p+"user", a.User, b.User)
		add(p+"password", a.Password, b.Password)
		add(p+"privateKey", a.PrivateKey, b.PrivateKey)
		add(p+"passphrase", a.Passphrase, b.Passphrase)
		add(p+"path", a.Path, b.Path)
		add(p+"certFingerprint", a.CertFingerprint, b.CertFingerprint)
		add(p+"db.host", a.DB.Host, b.DB.Host)
		add(p+"db.port", a.DB.Port, b.DB.Port)
		add(p+"db.user", a.DB.User, b.DB.User)
		add(p+"db.password", a.DB.Password, b.DB.Password)
		add(p+"db.name", a.DB.Name, b.DB.Name)
		add(p+"db.sshTunnel", a.DB.SSHTunnel, b.DB.SSHTunnel)
		add(p+"db.fromWpConfig", a.DB.FromWPConfig, b.DB.FromWPConfig)
	}
	oo, no := old.Options, in.Options
	if len(oo.Excludes) == 0 && len(no.Excludes) == 0 {
		oo.Excludes, no.Excludes = nil, nil
	}
	if len(oo.Replacements) == 0 && len(no.Replacements) == 0 {
		oo.Replacements, no.Replacements = nil, nil
	}
	add("options", oo, no)
	return out
}

// humanFields turns "source.db.password" into "source database password" for the log.
func humanFields(fields []string) []string {
	words := map[string]string{"db": "database", "privateKey": "private key", "oldUrl": "old URL", "newUrl": "new URL",
		"certFingerprint": "certificate fingerprint", "sshTunnel": "SSH tunnel", "fromWpConfig": "read from wp-config.php"}
	out := make([]string, 0, len(fields))
	for _, f := range fields {
		parts := strings.Split(f, ".")
		for i, p := range parts {
			if w, ok := words[p]; ok {
				parts[i] = w
			}
		}
		out = append(out, strings.Join(parts, " "))
	}
	return out
}

// EditInput is a migration's settings as the form's input, for Edit: every secret is left
// empty (EditMigration keeps what is stored unless a new value is typed).
func (s *Service) EditInput(ctx context.Context, id int64) (CreateInput, error) {
	rec, err := s.st.Get(ctx, id)
	if err != nil {
		return CreateInput{}, fail(err, "edit migration %d", id)
	}
	in, err := s.openInput(rec)
	if err != nil {
		return CreateInput{}, err
	}
	for _, e := range []*EndpointInput{&in.Source, &in.Destination} {
		e.Password, e.PrivateKey, e.Passphrase, e.DB.Password = "", "", "", ""
	}
	return in, nil
}

// TestEditedConnection is TestConnection for the Edit form: secrets left empty are the
// ones stored for migration id, so an admin can test a changed host with the kept password.
func (s *Service) TestEditedConnection(ctx context.Context, id int64, side string, in EndpointInput) (pipeline.ConnectionReport, error) {
	rec, err := s.st.Get(ctx, id)
	if err != nil {
		return pipeline.ConnectionReport{}, fail(err, "test connection of migration %d", id)
	}
	old, err := s.openInput(rec)
	if err != nil {
		return pipeline.ConnectionReport{}, err
	}
	if side == "source" {
		keepSecrets(&in, old.Source)
	} else {
		keepSecrets(&in, old.Destination)
	}
	return s.TestConnection(ctx, side, in)
}

func replacementsOf(in []ReplacementDTO) []migration.Replacement {
	var out []migration.Replacement
	for _, r := range in {
		out = append(out, migration.Replacement{Find: r.Find, Replace: r.Replace})
	}
	return out
}

func replacementDTOs(in []migration.Replacement) []ReplacementDTO {
	out := []ReplacementDTO{}
	for _, r := range in {
		out = append(out, ReplacementDTO{Find: r.Find, Replace: r.Replace})
	}
	return out
}
