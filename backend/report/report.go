// Package report writes Ferry's migration reports: CSV for spreadsheets, JSON for other
// tools and PDF for people. It is pure: it takes Migration values that the service builds
// from the history and writes bytes, with no I/O of its own beyond the io.Writer, so the
// same code serves the Successful tab, the Details modal and `ferry export`.
//
// A Migration holds no secret by construction: its Endpoint has no password, private key
// or passphrase field, so no writer can leak one.
package report

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Migration is what a report says about one migration. Zero values mean "not recorded"
// (a manual migration downloads nothing, a migration marked successful by hand may have
// no results at all).
type Migration struct {
	ID      int64
	Status  string // successful, failed, …; reports of the Successful tab hold only successful ones
	User    User
	Service string
	Domain  string
	Method  string // ftp, sftp or manual
	OldURL  string
	NewURL  string

	Source      Endpoint
	Destination Endpoint

	StartedAt   time.Time
	CompletedAt time.Time
	// Duration is the wall time from start to completion.
	Duration time.Duration
	Steps    []Step

	WordPressVersion string
	Download         Transfer // files fetched from the source
	Upload           Transfer // files written to the destination
	Export           Database // the dump of the source database
	Import           Database // what was imported into the destination database

	Replacements Replacements
	Validation   []Check
	Warnings     []string
}

// User is the owner of the migrated site: one of the admin's customers.
type User struct {
	Name  string
	Email string
}

// Endpoint describes where a site came from or went to, without any secret.
type Endpoint struct {
	Protocol string // ftp, ftps, sftp, local, or manual for an attached zip and dump
	Host     string
	Port     int
	User     string // login name: not a secret
	Path     string
	DB       DatabaseHost
}

// DatabaseHost describes how a database was reached, without its password.
type DatabaseHost struct {
	Host         string
	Port         int
	User         string
	Name         string
	SSHTunnel    bool
	FromWPConfig bool // the fields were read from the source's wp-config.php
	// Access is the route the settings ask for ("" Automatic, "Direct", "SSH command",
	// …) and Route the one the database was reached by ("" when no step reached it).
	Access, Route string
}

// Step is one step of a migration as the Steps tab shows it.
type Step struct {
	ID         string // download_files, …
	Number     int    // 1..10
	Title      string // "Download files"
	State      string // completed, failed, not_started, …
	StartedAt  time.Time
	FinishedAt time.Time
	Duration   time.Duration
	Error      string
}

// Transfer counts a file copy.
type Transfer struct {
	Files    int64
	Bytes    int64
	Duration time.Duration
}

// Database counts a dump or an import.
type Database struct {
	Tables   int
	Rows     int64
	Bytes    int64 // bytes of SQL written (dump) or read (import)
	Duration time.Duration
}

// Replacements counts the old URL rewritten to the new one in the database.
type Replacements struct {
	Total   int64 // occurrences replaced
	Values  int64 // values (cells) changed
	Broken  int64 // serialized values already damaged in the source, copied unchanged
	Columns []ColumnReplacements
	// Extras are the admin's extra find → replace pairs and how often each was applied.
	Extras []ExtraReplacement
}

// ExtraReplacement is one extra find → replace pair of a migration.
type ExtraReplacement struct {
	Find, Replace string
	Replacements  int64
}

// ColumnReplacements counts replacements in one column of one table.
type ColumnReplacements struct {
	Table        string
	Column       string
	Values       int64
	Replacements int64
}

// Check is one validation check run after the import.
type Check struct {
	Name    string // row_counts, files, serialized_values, site_url, old_url_left, http
	OK      bool
	Message string
}

// BytesMoved is what arrived at the destination: uploaded file bytes plus imported SQL bytes.
func (m Migration) BytesMoved() int64 { return m.Upload.Bytes + m.Import.Bytes }

// ValidationPassed reports whether every check passed (true when none ran).
func (m Migration) ValidationPassed() bool {
	for _, c := range m.Validation {
		if !c.OK {
			return false
		}
	}
	return true
}

// Summary is the cover of a report: totals over every migration in it.
type Summary struct {
	Count             int
	BytesMoved        int64
	FileBytes         int64 // uploaded file bytes
	DatabaseBytes     int64 // imported SQL bytes
	Files             int64 // files uploaded
	Tables            int64 // tables imported
	Rows              int64 // rows imported
	Replacements      int64
	TotalDuration     time.Duration
	MedianDuration    time.Duration
	FirstStarted      time.Time
	LastCompleted     time.Time
	WithFailedChecks  int // migrations with at least one failed validation check
	Warnings          int // warnings over every migration
	MigrationsWarning int // migrations with at least one warning
}

// Summarise totals ms for the report's cover.
func Summarise(ms []Migration) Summary {
	s := Summary{Count: len(ms)}
	durs := make([]time.Duration, 0, len(ms))
	for _, m := range ms {
		s.FileBytes += m.Upload.Bytes
		s.DatabaseBytes += m.Import.Bytes
		s.Files += m.Upload.Files
		s.Tables += int64(m.Import.Tables)
		s.Rows += m.Import.Rows
		s.Replacements += m.Replacements.Total
		s.TotalDuration += m.Duration
		durs = append(durs, m.Duration)
		if !m.StartedAt.IsZero() && (s.FirstStarted.IsZero() || m.StartedAt.Before(s.FirstStarted)) {
			s.FirstStarted = m.StartedAt
		}
		if m.CompletedAt.After(s.LastCompleted) {
			s.LastCompleted = m.CompletedAt
		}
		if !m.ValidationPassed() {
			s.WithFailedChecks++
		}
		s.Warnings += len(m.Warnings)
		if len(m.Warnings) > 0 {
			s.MigrationsWarning++
		}
	}
	s.BytesMoved = s.FileBytes + s.DatabaseBytes
	s.MedianDuration = median(durs)
	return s
}

// median returns the middle duration, or the mean of the two middle ones.
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	n := len(ds)
	if n%2 == 1 {
		return ds[n/2]
	}
	return (ds[n/2-1] + ds[n/2]) / 2
}

// Anonymise returns a copy of ms in which each owner's name becomes "Customer N" (N counts
// distinct owners in order of first appearance) and each e-mail address a hash of it, so
// one owner's migrations still group together. The hash is SHA-256 of the lower-cased
// address: the same owner gets the same pseudonymous address in every report, but anyone
// holding the clear address can confirm it, so it hides addresses, it does not encrypt them.
func Anonymise(ms []Migration) []Migration {
	out := slices.Clone(ms)
	seen := map[string]int{}
	for i := range out {
		key := strings.ToLower(strings.TrimSpace(out[i].User.Email))
		if key == "" {
			key = "name:" + out[i].User.Name
		}
		n, ok := seen[key]
		if !ok {
			n = len(seen) + 1
			seen[key] = n
		}
		out[i].User = User{Name: fmt.Sprintf("Customer %d", n), Email: pseudonymousEmail(key)}
	}
	return out
}

func pseudonymousEmail(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "customer-" + hex.EncodeToString(sum[:6]) + "@anonymised.invalid"
}

// Summary returns the one-line description of an endpoint that reports show:
// "SFTP deploy@old.example.com:22 /var/www/html · MySQL wp@127.0.0.1:3306/wp".
func (e Endpoint) Summary() string {
	if e.Protocol == "manual" {
		return "Manual upload (wordpress-files.zip + database.sql)"
	}
	var b strings.Builder
	b.WriteString(protocolName(e.Protocol))
	if e.Protocol != "local" && e.Host != "" {
		b.WriteString(" ")
		if e.User != "" {
			b.WriteString(e.User + "@")
		}
		b.WriteString(e.Host)
		if e.Port != 0 {
			fmt.Fprintf(&b, ":%d", e.Port)
		}
	}
	if e.Path != "" {
		b.WriteString(" " + e.Path)
	}
	if db := e.DB.Summary(); db != "" {
		b.WriteString(" · " + db)
	}
	return b.String()
}

// Summary returns "MySQL wp@127.0.0.1:3306/wp", "MySQL from wp-config.php" or "" when unset.
func (d DatabaseHost) Summary() string {
	switch {
	case d.FromWPConfig && d.Route != "":
		return "MySQL from wp-config.php via " + d.Route
	case d.FromWPConfig:
		return "MySQL from wp-config.php"
	case d.Host == "" && d.Name == "":
		return ""
	}
	var b strings.Builder
	b.WriteString("MySQL ")
	if d.User != "" {
		b.WriteString(d.User + "@")
	}
	b.WriteString(d.Host)
	if d.Port != 0 {
		fmt.Fprintf(&b, ":%d", d.Port)
	}
	b.WriteString("/" + d.Name)
	switch {
	case d.Route != "":
		b.WriteString(" via " + d.Route)
	case d.Access != "":
		b.WriteString(" via " + d.Access)
	case d.SSHTunnel:
		b.WriteString(" via SSH")
	}
	return b.String()
}

func protocolName(p string) string {
	switch p {
	case "ftp", "ftps", "sftp":
		return strings.ToUpper(p)
	case "local":
		return "Local"
	case "":
		return "-"
	}
	return strings.ToUpper(p)
}

// checkTitles names the validation checks for people.
var checkTitles = map[string]string{
	"row_counts":        "Row counts",
	"files":             "Files",
	"serialized_values": "Serialized values",
	"site_url":          "Site URL",
	"old_url_left":      "Old URL left",
	"http":              "HTTP check",
}

// Title is the check's name for people ("Row counts"); unknown names are shown as they are.
func (c Check) Title() string {
	if t, ok := checkTitles[c.Name]; ok {
		return t
	}
	return c.Name
}
