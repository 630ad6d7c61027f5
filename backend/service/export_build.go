package service

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"ferry/backend/dbroute"
	"ferry/backend/migration"
	"ferry/backend/pipeline"
	"ferry/backend/report"
	"ferry/backend/secret"
	"ferry/backend/store"
)

// reportOf builds what a report says about one stored migration: the record, its steps
// and the results its steps recorded. It copies no secret field, and it masks every
// stored secret wherever it might appear in free text (a step error, a warning), so a
// report is safe to hand on even when a server echoed a password back.
func (s *Service) reportOf(ctx context.Context, r store.Record) (report.Migration, error) {
	stored := r.Steps
	if stored == nil {
		var err error
		if stored, err = s.st.Steps(ctx, r.ID); err != nil {
			return report.Migration{}, fail(err, "export migration %d", r.ID)
		}
	}
	raw, err := s.st.Results(ctx, r.ID)
	if err != nil {
		return report.Migration{}, fail(err, "export migration %d", r.ID)
	}
	var res pipeline.Results
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &res); err != nil {
			return report.Migration{}, fail(err, "read the results of migration %d", r.ID)
		}
	}
	m := r.Migration
	out := report.Migration{
		ID: m.ID, Status: string(m.Status), User: report.User{Name: m.User.Name, Email: m.User.Email},
		Service: m.Service, Domain: m.Domain, Method: string(m.Method), OldURL: m.OldURL, NewURL: m.NewURL,
		Source: endpointOf(m.Source, res.DatabaseRoutes["source"]), Destination: endpointOf(m.Destination, res.DatabaseRoutes["destination"]),
		StartedAt: m.StartedAt, CompletedAt: m.CompletedAt,
		Steps:            reportSteps(m.Method, stored),
		WordPressVersion: res.WordPressVersion,
		Warnings:         append([]string{}, res.Warnings...),
	}
	if m.Method == migration.MethodManual {
		out.Source = report.Endpoint{Protocol: "manual"}
	}
	if out.OldURL == "" {
		out.OldURL = res.OldURL
	}
	switch {
	case !m.StartedAt.IsZero() && !m.CompletedAt.IsZero():
		out.Duration = m.CompletedAt.Sub(m.StartedAt)
	default:
		for _, st := range out.Steps {
			out.Duration += st.Duration
		}
	}
	if t := res.Download; t != nil {
		out.Download = report.Transfer{Files: t.Files, Bytes: t.Bytes, Duration: msDur(t.DurationMs)}
	}
	if t := res.Upload; t != nil {
		out.Upload = report.Transfer{Files: t.Files, Bytes: t.Bytes, Duration: msDur(t.DurationMs)}
	}
	if d := res.Export; d != nil {
		out.Export = report.Database{Tables: d.Tables, Rows: d.Rows, Bytes: d.Bytes, Duration: msDur(d.DurationMs)}
	}
	if d := res.Import; d != nil {
		out.Import = report.Database{Tables: d.Tables, Rows: d.Rows, Bytes: d.Bytes, Duration: msDur(d.DurationMs)}
	}
	if rs := res.Replacements; rs != nil {
		out.Replacements = report.Replacements{Total: rs.Replacements, Values: rs.Values, Broken: rs.Broken}
		for _, e := range rs.Extras {
			out.Replacements.Extras = append(out.Replacements.Extras, report.ExtraReplacement{Find: e.Find, Replace: e.Replace, Replacements: e.Replacements})
		}
		for _, c := range rs.Columns {
			out.Replacements.Columns = append(out.Replacements.Columns, report.ColumnReplacements{
				Table: c.Table, Column: c.Column, Values: c.Values, Replacements: c.Replacements})
		}
	}
	for _, c := range res.Validation {
		out.Validation = append(out.Validation, report.Check{Name: c.Name, OK: c.OK, Message: c.Message})
	}
	redactReport(&out, s.openSecrets(m))
	return out, nil
}

func msDur(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }

// endpointOf copies the parts of an endpoint a report may show: never a password, key
// or passphrase.
func endpointOf(e migration.Endpoint, route string) report.Endpoint {
	access := ""
	if a, err := dbroute.Parse(e.DB.Access); err == nil && a != dbroute.Automatic {
		access = a.Name()
	}
	return report.Endpoint{Protocol: string(e.Protocol), Host: e.Host, Port: e.Port, User: e.User, Path: e.Path,
		DB: report.DatabaseHost{Host: e.DB.Host, Port: e.DB.Port, User: e.DB.User, Name: e.DB.Name,
			SSHTunnel: e.DB.SSHTunnel, FromWPConfig: e.DB.FromWPConfig, Access: access, Route: route}}
}

// reportSteps lists every step of the method in run order, stored or not.
func reportSteps(method migration.Method, stored []migration.StepRecord) []report.Step {
	got := map[migration.StepID]migration.StepRecord{}
	for _, r := range stored {
		got[r.Step] = r
	}
	var out []report.Step
	for _, id := range migration.StepsFor(method) {
		r, ok := got[id]
		if !ok {
			r = migration.StepRecord{Step: id, State: migration.StepNotStarted}
		}
		out = append(out, report.Step{ID: string(id), Number: id.Number(), Title: id.Title(), State: string(r.State),
			StartedAt: r.StartedAt, FinishedAt: r.FinishedAt, Duration: r.Duration(), Error: r.Error})
	}
	return out
}

// redactReport masks every secret in every text of m.
func redactReport(m *report.Migration, secrets []string) {
	if len(secrets) == 0 {
		return
	}
	red := func(p *string) { *p = secret.Redact(*p, secrets...) }
	for _, p := range []*string{&m.User.Name, &m.User.Email, &m.Service, &m.Domain, &m.OldURL, &m.NewURL, &m.WordPressVersion} {
		red(p)
	}
	for _, e := range []*report.Endpoint{&m.Source, &m.Destination} {
		for _, p := range []*string{&e.Host, &e.User, &e.Path, &e.DB.Host, &e.DB.User, &e.DB.Name} {
			red(p)
		}
	}
	for i := range m.Steps {
		red(&m.Steps[i].Error)
	}
	for i := range m.Warnings {
		red(&m.Warnings[i])
	}
	for i := range m.Validation {
		red(&m.Validation[i].Message)
	}
	for i := range m.Replacements.Columns {
		red(&m.Replacements.Columns[i].Table)
		red(&m.Replacements.Columns[i].Column)
	}
}

// logPage is how many log lines SaveLog reads at a time.
const logPage = 5000

// SaveLog writes a migration's whole log to path as UTF-8 text, one line per entry:
// time (UTC, milliseconds), level, step and message. Secrets are masked again on the way
// out, in case a line was stored before its secret was known.
func (s *Service) SaveLog(ctx context.Context, id int64, path string) (ExportResult, error) {
	fe := fieldErrors{}
	checkOutputPath(fe, "path", path)
	if len(fe) > 0 {
		return ExportResult{}, &Error{Code: CodeInvalid, Message: "invalid log path", Fields: fe}
	}
	r, err := s.st.Get(ctx, id)
	if err != nil {
		return ExportResult{}, fail(err, "save the log of migration %d", id)
	}
	secrets := s.openSecrets(r.Migration)
	lines := 0
	n, err := writeAtomic(path, func(w io.Writer) error {
		if _, err := fmt.Fprintf(w, "Ferry log of migration #%d · %s · %s\n", id,
			secret.Redact(r.Domain, secrets...), secret.Redact(r.User.Name, secrets...)); err != nil {
			return err
		}
		for after := int64(0); ; {
			page, err := s.st.Logs(ctx, id, after, logPage)
			if err != nil {
				return err
			}
			for _, l := range page {
				step := string(l.Step)
				if step == "" {
					step = "-"
				}
				msg := strings.ReplaceAll(secret.Redact(l.Message, secrets...), "\n", "\n    ")
				if _, err := fmt.Fprintf(w, "%s  %-5s  %-19s  %s\n", l.Time.UTC().Format("2006-01-02 15:04:05.000Z"),
					strings.ToUpper(l.Level), step, msg); err != nil {
					return err
				}
				after = l.Seq
				lines++
			}
			if len(page) < logPage {
				return nil
			}
		}
	})
	if err != nil {
		return ExportResult{}, fail(err, "save the log of migration %d to %s", id, path)
	}
	return ExportResult{Path: path, Format: "text", Count: lines, Bytes: n}, nil
}
