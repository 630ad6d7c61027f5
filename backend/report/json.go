package report

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// JSONFormat and JSONVersion identify the document WriteJSON writes. The version grows
// only when a field changes meaning or disappears; new fields may appear in any version.
const (
	JSONFormat  = "ferry.report"
	JSONVersion = 1
)

// The json* types are the document's stable shape; README.md documents every field.
type jsonDoc struct {
	Format     string          `json:"format"`
	Version    int             `json:"version"`
	Summary    jsonSummary     `json:"summary"`
	Migrations []jsonMigration `json:"migrations"`
}

type jsonSummary struct {
	Count                      int     `json:"count"`
	BytesMoved                 int64   `json:"bytesMoved"`
	FileBytesUploaded          int64   `json:"fileBytesUploaded"`
	DatabaseBytesImported      int64   `json:"databaseBytesImported"`
	FilesUploaded              int64   `json:"filesUploaded"`
	TablesImported             int64   `json:"tablesImported"`
	RowsImported               int64   `json:"rowsImported"`
	URLReplacements            int64   `json:"urlReplacements"`
	TotalDurationMs            int64   `json:"totalDurationMs"`
	MedianDurationMs           int64   `json:"medianDurationMs"`
	FirstStartedAt             *string `json:"firstStartedAt"`
	LastCompletedAt            *string `json:"lastCompletedAt"`
	MigrationsWithFailedChecks int     `json:"migrationsWithFailedChecks"`
	Warnings                   int     `json:"warnings"`
}

type jsonMigration struct {
	ID               int64            `json:"id"`
	Status           string           `json:"status"`
	User             jsonUser         `json:"user"`
	Service          string           `json:"service"`
	Domain           string           `json:"domain"`
	Method           string           `json:"method"`
	OldURL           string           `json:"oldUrl"`
	NewURL           string           `json:"newUrl"`
	Source           jsonEndpoint     `json:"source"`
	Destination      jsonEndpoint     `json:"destination"`
	StartedAt        *string          `json:"startedAt"`
	CompletedAt      *string          `json:"completedAt"`
	DurationMs       int64            `json:"durationMs"`
	Steps            []jsonStep       `json:"steps"`
	WordPressVersion string           `json:"wordpressVersion"`
	Files            jsonFiles        `json:"files"`
	Database         jsonDatabase     `json:"database"`
	BytesMoved       int64            `json:"bytesMoved"`
	Replacements     jsonReplacements `json:"replacements"`
	Validation       jsonValidation   `json:"validation"`
	Warnings         []string         `json:"warnings"`
}

type jsonUser struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

type jsonEndpoint struct {
	Summary  string     `json:"summary"`
	Protocol string     `json:"protocol"`
	Host     string     `json:"host"`
	Port     int        `json:"port"`
	User     string     `json:"user"`
	Path     string     `json:"path"`
	Database jsonDBHost `json:"database"`
}

type jsonDBHost struct {
	Host         string `json:"host"`
	Port         int    `json:"port"`
	User         string `json:"user"`
	Name         string `json:"name"`
	SSHTunnel    bool   `json:"sshTunnel"`
	FromWPConfig bool   `json:"fromWpConfig"`
	Access       string `json:"access,omitempty"`
	Route        string `json:"route,omitempty"`
}

type jsonStep struct {
	ID         string  `json:"id"`
	Number     int     `json:"number"`
	Title      string  `json:"title"`
	State      string  `json:"state"`
	StartedAt  *string `json:"startedAt"`
	FinishedAt *string `json:"finishedAt"`
	DurationMs int64   `json:"durationMs"`
	Error      string  `json:"error"`
}

type jsonTransfer struct {
	Files      int64 `json:"files"`
	Bytes      int64 `json:"bytes"`
	DurationMs int64 `json:"durationMs"`
}

type jsonFiles struct {
	Downloaded jsonTransfer `json:"downloaded"`
	Uploaded   jsonTransfer `json:"uploaded"`
}

type jsonSQL struct {
	Tables     int   `json:"tables"`
	Rows       int64 `json:"rows"`
	Bytes      int64 `json:"bytes"`
	DurationMs int64 `json:"durationMs"`
}

type jsonDatabase struct {
	Exported jsonSQL `json:"exported"`
	Imported jsonSQL `json:"imported"`
}

type jsonReplacements struct {
	Total         int64        `json:"total"`
	ValuesChanged int64        `json:"valuesChanged"`
	BrokenValues  int64        `json:"brokenValues"`
	Columns       []jsonColumn `json:"columns"`
	Extras        []jsonExtra  `json:"extras,omitempty"`
}

type jsonExtra struct {
	Find         string `json:"find"`
	Replace      string `json:"replace"`
	Replacements int64  `json:"replacements"`
}

type jsonColumn struct {
	Table         string `json:"table"`
	Column        string `json:"column"`
	ValuesChanged int64  `json:"valuesChanged"`
	Replacements  int64  `json:"replacements"`
}

type jsonValidation struct {
	Passed bool        `json:"passed"`
	Checks []jsonCheck `json:"checks"`
}

type jsonCheck struct {
	Name    string `json:"name"`
	Title   string `json:"title"`
	OK      bool   `json:"ok"`
	Message string `json:"message"`
}

// WriteJSON writes ms as one indented JSON document: {format, version, summary,
// migrations}. Field names are stable and documented in README.md; lists are never null;
// unknown times are null; times are RFC 3339 UTC with milliseconds.
func WriteJSON(w io.Writer, ms []Migration) error {
	s := Summarise(ms)
	doc := jsonDoc{Format: JSONFormat, Version: JSONVersion, Migrations: make([]jsonMigration, 0, len(ms)),
		Summary: jsonSummary{Count: s.Count, BytesMoved: s.BytesMoved, FileBytesUploaded: s.FileBytes,
			DatabaseBytesImported: s.DatabaseBytes, FilesUploaded: s.Files, TablesImported: s.Tables,
			RowsImported: s.Rows, URLReplacements: s.Replacements, TotalDurationMs: s.TotalDuration.Milliseconds(),
			MedianDurationMs: s.MedianDuration.Milliseconds(), FirstStartedAt: jsonStamp(s.FirstStarted),
			LastCompletedAt: jsonStamp(s.LastCompleted), MigrationsWithFailedChecks: s.WithFailedChecks, Warnings: s.Warnings}}
	for _, m := range ms {
		doc.Migrations = append(doc.Migrations, jsonOf(m))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // URLs keep their & and <, as the admin typed them
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}

func jsonOf(m Migration) jsonMigration {
	j := jsonMigration{ID: m.ID, Status: m.Status, User: jsonUser{Name: m.User.Name, Email: m.User.Email},
		Service: m.Service, Domain: m.Domain, Method: m.Method, OldURL: m.OldURL, NewURL: m.NewURL,
		Source: jsonEndpointOf(m.Source), Destination: jsonEndpointOf(m.Destination),
		StartedAt: jsonStamp(m.StartedAt), CompletedAt: jsonStamp(m.CompletedAt), DurationMs: ms(m.Duration),
		Steps: make([]jsonStep, 0, len(m.Steps)), WordPressVersion: m.WordPressVersion,
		Files:      jsonFiles{Downloaded: jsonTransferOf(m.Download), Uploaded: jsonTransferOf(m.Upload)},
		Database:   jsonDatabase{Exported: jsonSQLOf(m.Export), Imported: jsonSQLOf(m.Import)},
		BytesMoved: m.BytesMoved(),
		Replacements: jsonReplacements{Total: m.Replacements.Total, ValuesChanged: m.Replacements.Values,
			BrokenValues: m.Replacements.Broken, Columns: make([]jsonColumn, 0, len(m.Replacements.Columns))},
		Validation: jsonValidation{Passed: m.ValidationPassed(), Checks: make([]jsonCheck, 0, len(m.Validation))},
		Warnings:   append(make([]string, 0, len(m.Warnings)), m.Warnings...),
	}
	for _, s := range m.Steps {
		j.Steps = append(j.Steps, jsonStep{ID: s.ID, Number: s.Number, Title: s.Title, State: s.State,
			StartedAt: jsonStamp(s.StartedAt), FinishedAt: jsonStamp(s.FinishedAt), DurationMs: ms(s.Duration), Error: s.Error})
	}
	for _, c := range m.Replacements.Columns {
		j.Replacements.Columns = append(j.Replacements.Columns, jsonColumn{Table: c.Table, Column: c.Column,
			ValuesChanged: c.Values, Replacements: c.Replacements})
	}
	for _, e := range m.Replacements.Extras {
		j.Replacements.Extras = append(j.Replacements.Extras, jsonExtra{Find: e.Find, Replace: e.Replace, Replacements: e.Replacements})
	}
	for _, c := range m.Validation {
		j.Validation.Checks = append(j.Validation.Checks, jsonCheck{Name: c.Name, Title: c.Title(), OK: c.OK, Message: c.Message})
	}
	return j
}

func jsonEndpointOf(e Endpoint) jsonEndpoint {
	return jsonEndpoint{Summary: e.Summary(), Protocol: e.Protocol, Host: e.Host, Port: e.Port, User: e.User, Path: e.Path,
		Database: jsonDBHost{Host: e.DB.Host, Port: e.DB.Port, User: e.DB.User, Name: e.DB.Name,
			SSHTunnel: e.DB.SSHTunnel, FromWPConfig: e.DB.FromWPConfig, Access: e.DB.Access, Route: e.DB.Route}}
}

func jsonTransferOf(t Transfer) jsonTransfer {
	return jsonTransfer{Files: t.Files, Bytes: t.Bytes, DurationMs: ms(t.Duration)}
}

func jsonSQLOf(d Database) jsonSQL {
	return jsonSQL{Tables: d.Tables, Rows: d.Rows, Bytes: d.Bytes, DurationMs: ms(d.Duration)}
}

func jsonStamp(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(jsonTime)
	return &s
}
