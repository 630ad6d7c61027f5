package service

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"sort"
	"strings"
)

// SiteColumns are the columns of a batch's sites file. The file starts with a header row
// naming them (in any order); source_db may be left empty for Ferry to read the source
// database from the site's wp-config.php.
var SiteColumns = []string{"domain", "new_url", "source_path", "source_db", "dest_path", "dest_db", "owner", "service"}

// BatchSite is one row of a sites file.
type BatchSite struct {
	Line       int    `json:"line"` // line of the sites file
	Domain     string `json:"domain"`
	NewURL     string `json:"newUrl"`
	SourcePath string `json:"sourcePath"`
	SourceDB   string `json:"sourceDb"` // "": read from wp-config.php
	DestPath   string `json:"destPath"`
	DestDB     string `json:"destDb"`
	Owner      string `json:"owner"` // "Name <email>" or an email
	Service    string `json:"service"`
}

// BatchProblem is one thing wrong with a batch: a cell of the sites file (Line > 0,
// Column one of SiteColumns), or a shared setting (Line 0, Column its JSON path).
type BatchProblem struct {
	Line    int    `json:"line"`
	Column  string `json:"column"`
	Message string `json:"message"`
}

// BatchInput is a new batch: the settings its sites share and the sites.
type BatchInput struct {
	// Name names the batch; "" names it after the sites file.
	Name string `json:"name"`
	// File is the sites file's name, for messages ("sites.csv:4: …").
	File string `json:"file"`
	// Shared holds the method, source and destination logins and options every site
	// uses; its per-site fields (domain, URLs, paths, database names, owner, service) are
	// ignored.
	Shared CreateInput `json:"shared"`
	Sites  []BatchSite `json:"sites"`
}

// BatchError lists every problem of a batch; nothing was started.
type BatchError struct {
	File     string
	Spec     string // the shared settings' file name, "" for the form
	Problems []BatchProblem
}

func (e *BatchError) Error() string {
	lines := make([]string, 0, len(e.Problems))
	for _, p := range e.Problems {
		lines = append(lines, p.Text(e.File, e.Spec))
	}
	return strings.Join(lines, "\n")
}

// Text spells the problem out the way an admin finds it: "sites.csv:4: column dest_path: …"
// or, for a shared setting, "batch.json: source.host: …".
func (p BatchProblem) Text(file, spec string) string {
	if p.Line == 0 {
		if spec == "" {
			spec = "shared settings"
		}
		return fmt.Sprintf("%s: %s: %s", spec, p.Column, p.Message)
	}
	if p.Column == "" {
		return fmt.Sprintf("%s:%d: %s", file, p.Line, p.Message)
	}
	return fmt.Sprintf("%s:%d: column %s: %s", file, p.Line, p.Column, p.Message)
}

// ParseSites reads a sites file (CSV, header row first; blank lines and lines starting
// with # are skipped). Every problem is returned, each with its line and column.
func ParseSites(r io.Reader) ([]BatchSite, []BatchProblem) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.Comment = '#'
	var (
		sites    []BatchSite
		problems []BatchProblem
		index    map[string]int
	)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, append(problems, BatchProblem{Line: pe.Line, Message: "not valid CSV: " + pe.Err.Error()})
		} else if err != nil {
			return nil, append(problems, BatchProblem{Message: err.Error()})
		}
		line, _ := cr.FieldPos(0)
		if index == nil {
			index = map[string]int{}
			for i, h := range rec {
				h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
				if !knownColumn(h) {
					problems = append(problems, BatchProblem{Line: line, Column: h, Message: "unknown column (the columns are " + strings.Join(SiteColumns, ", ") + ")"})
					continue
				}
				if _, dup := index[h]; dup {
					problems = append(problems, BatchProblem{Line: line, Column: h, Message: "named twice in the header"})
				}
				index[h] = i
			}
			for _, c := range SiteColumns {
				if _, ok := index[c]; !ok {
					problems = append(problems, BatchProblem{Line: line, Column: c, Message: "missing from the header row"})
				}
			}
			if len(problems) > 0 {
				return nil, problems
			}
			continue
		}
		if len(rec) != len(index) {
			problems = append(problems, BatchProblem{Line: line, Message: fmt.Sprintf("has %d columns, the header has %d", len(rec), len(index))})
			continue
		}
		cell := func(c string) string { return strings.TrimSpace(rec[index[c]]) }
		sites = append(sites, BatchSite{Line: line, Domain: cell("domain"), NewURL: cell("new_url"),
			SourcePath: cell("source_path"), SourceDB: cell("source_db"), DestPath: cell("dest_path"),
			DestDB: cell("dest_db"), Owner: cell("owner"), Service: cell("service")})
	}
	if index == nil {
		problems = append(problems, BatchProblem{Line: 1, Message: "the file is empty: it needs a header row (" + strings.Join(SiteColumns, ",") + ") and one row per site"})
	} else if len(sites) == 0 && len(problems) == 0 {
		problems = append(problems, BatchProblem{Line: 2, Message: "no sites: add one row per site below the header"})
	}
	return sites, problems
}

func knownColumn(c string) bool {
	for _, k := range SiteColumns {
		if k == c {
			return true
		}
	}
	return false
}

// columnOf names the sites file column a form field of CreateInput comes from; "" for
// the shared settings.
var columnOf = map[string]string{
	"domain": "domain", "newUrl": "new_url", "oldUrl": "new_url",
	"source.path": "source_path", "source.db.name": "source_db", "source.db.fromWpConfig": "source_db",
	"destination.path": "dest_path", "destination.db.name": "dest_db",
	"userId": "owner", "userName": "owner", "userEmail": "owner", "service": "service",
}

// siteInput is the New migration form of one site: the shared settings with the row's
// own values.
func siteInput(shared CreateInput, s BatchSite) CreateInput {
	in := shared
	in.Options.Excludes = append([]string(nil), shared.Options.Excludes...)
	in.Options.Replacements = append([]ReplacementDTO(nil), shared.Options.Replacements...)
	in.UserID, in.OldURL = 0, ""
	in.Domain, in.NewURL, in.Service = s.Domain, s.NewURL, s.Service
	in.Source.Path, in.Source.DB.Name = s.SourcePath, s.SourceDB
	in.Source.DB.FromWPConfig = s.SourceDB == ""
	in.Destination.Path, in.Destination.DB.Name = s.DestPath, s.DestDB
	in.Destination.DB.FromWPConfig = false
	in.UserName, in.UserEmail = owner(s.Owner)
	return in
}

// owner splits "Name <email>" (or a bare email, named by its local part).
func owner(s string) (name, email string) {
	if s == "" {
		return "", ""
	}
	if a, err := mail.ParseAddress(s); err == nil {
		name = a.Name
		if name == "" {
			name, _, _ = strings.Cut(a.Address, "@")
		}
		return name, a.Address
	}
	return s, s // validation says what is wrong with it
}

// checkBatch validates every site of in with the rules of the New migration form and
// finds sites that would collide (same domain, docroot or destination database). It
// returns each site's form, or every problem found.
func checkBatch(in BatchInput) ([]CreateInput, []BatchProblem) {
	var problems []BatchProblem
	shared := map[string]string{}
	out := make([]CreateInput, 0, len(in.Sites))
	seen := map[string]int{}
	for _, s := range in.Sites {
		ci := siteInput(in.Shared, s)
		fe := validateCreate(&ci)
		checkAccess(fe, ci)
		cols := map[string]string{}
		for k, msg := range fe {
			if c, ok := columnOf[k]; ok {
				if _, dup := cols[c]; !dup {
					cols[c] = msg
				}
			} else {
				shared[k] = msg
			}
		}
		for c, v := range map[string]string{"domain": ci.Domain, "dest_path": ci.Destination.Path, "dest_db": ci.Destination.DB.Name} {
			key := c + "\x00" + strings.ToLower(v)
			if _, bad := cols[c]; bad || v == "" {
				continue
			}
			if first, dup := seen[key]; dup {
				cols[c] = fmt.Sprintf("%q is also on line %d: each site needs its own", v, first)
			} else {
				seen[key] = s.Line
			}
		}
		for _, c := range SiteColumns {
			if msg, ok := cols[c]; ok {
				problems = append(problems, BatchProblem{Line: s.Line, Column: c, Message: msg})
			}
		}
		out = append(out, ci)
	}
	keys := make([]string, 0, len(shared))
	for k := range shared {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var head []BatchProblem
	for _, k := range keys {
		head = append(head, BatchProblem{Column: k, Message: shared[k]})
	}
	if m := strings.ToLower(strings.TrimSpace(in.Shared.Method)); m == "manual" {
		head = append(head, BatchProblem{Column: "method", Message: "A batch runs automatic migrations: choose ftp, ftps or sftp."})
	}
	if len(in.Sites) == 0 {
		head = append(head, BatchProblem{Column: "sites", Message: "the batch has no sites"})
	}
	return out, append(head, problems...)
}
