package archive

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
)

// SQLReport is what ScanSQL found in a dump. The dump is usable when OK returns true.
type SQLReport struct {
	Bytes      int64 // bytes of plain SQL read
	Statements int64
	// Tool and ServerVersion come from the dump's header comments ("mysqldump",
	// "10.11.6-MariaDB"); empty when the dump has none.
	Tool          string
	ServerVersion string
	Tables        []string         // CREATE TABLE names, in dump order
	Rows          map[string]int64 // rows inserted per table
	// Prefix is the table prefix guessed from the table ending in "options" ("wp_").
	Prefix     string
	SiteURL    string // the siteurl option
	Home       string // the home option
	DBVersion  string // the db_version option: WordPress' database schema number
	Charsets   []string
	Collations []string // e.g. utf8mb4_unicode_ci, utf8mb4_0900_ai_ci
	// Databases lists databases the dump creates or switches to (CREATE DATABASE,
	// USE): Ferry imports into the destination database only.
	Databases []string
	Found     []string
	Problems  []*Problem
}

// OK reports whether no problem blocks the import (warnings do not).
func (r *SQLReport) OK() bool { return r.Err() == nil }

// Err returns nil, or a *ProblemsError wrapping every blocking problem.
func (r *SQLReport) Err() error { return joinProblems(r.Problems) }

// MissingCollations returns the collations the dump uses that the destination server
// does not list in available (e.g. utf8mb4_0900_ai_ci on MariaDB before 11.4.5).
func (r *SQLReport) MissingCollations(available []string) []string {
	have := map[string]bool{}
	for _, c := range available {
		have[strings.ToLower(c)] = true
	}
	var out []string
	for _, c := range r.Collations {
		if !have[c] {
			out = append(out, c)
		}
	}
	return out
}

const dumpCorrupt = "Database dump file is missing, empty, or corrupt"

var (
	createTableRe = regexp.MustCompile("(?is)^\\s*CREATE\\s+(?:OR\\s+REPLACE\\s+)?(?:TEMPORARY\\s+)?TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?((?:`(?:[^`]|``)+`|[A-Za-z0-9_$]+)(?:\\s*\\.\\s*(?:`(?:[^`]|``)+`|[A-Za-z0-9_$]+))?)")
	createDBRe    = regexp.MustCompile("(?is)^\\s*(?:CREATE\\s+(?:DATABASE|SCHEMA)\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?|USE\\s+)(`(?:[^`]|``)+`|[A-Za-z0-9_$]+)")
	setNamesRe    = regexp.MustCompile(`(?is)^\s*SET\s+NAMES\s+'?([a-z0-9_]+)'?(?:\s+COLLATE\s+'?([a-z0-9_]+))?`)
	charsetRe     = regexp.MustCompile(`(?i)\b(?:CHARSET|CHARACTER\s+SET)\s*=?\s*'?([a-z0-9_]+)`)
	collateRe     = regexp.MustCompile(`(?i)\bCOLLATE\s*=?\s*'?([a-z0-9_]+)`)
	columnRe      = regexp.MustCompile("(?m)^\\s*`((?:[^`]|``)+)`\\s+[A-Za-z]")
	dumpToolRe    = regexp.MustCompile(`^(MySQL|MariaDB) dump [0-9.]+\s+Distrib\s+([^,\s]+)`)
	serverRe      = regexp.MustCompile(`(?i)^Server version:?\s+(\S+)`)
)

// sqlScan gathers a report from the lexer's callbacks.
type sqlScan struct {
	rep       SQLReport
	seen      map[string]bool
	charsets  map[string]bool
	collation map[string]bool
	optCols   map[string][]string          // column order of each *options table
	opts      map[string]map[string]string // options table → siteurl/home/db_version
	completed bool                         // mysqldump's "Dump completed" line was seen
}

// ScanSQL reads a plain SQL dump to the end and reports its tables, prefix, site
// URL, WordPress database version, charsets and collations, and whether it is cut
// short, empty or not SQL at all. Memory stays flat: only statement heads and a few
// option values are kept. progress, if not nil, gets the bytes read so far, at most
// ten times a second and once at the end. Problems go in the report; the error is set
// only when ctx ends first.
func ScanSQL(ctx context.Context, r io.Reader, progress func(done int64)) (SQLReport, error) {
	s := &sqlScan{seen: map[string]bool{}, charsets: map[string]bool{}, collation: map[string]bool{},
		optCols: map[string][]string{}, opts: map[string]map[string]string{}}
	s.rep.Rows = map[string]int64{}
	m := &meter{}
	if progress != nil {
		m.fn = func(done, _ int64) { progress(done) }
	}
	defer m.finish()

	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(sniffLen)
	if err != nil && !errors.Is(err, io.EOF) {
		if ctx.Err() != nil {
			return s.rep, ctx.Err()
		}
		return s.readFailed(err), nil
	}
	switch sqlVerdict(head, len(head) < sniffLen) {
	case sqlNo:
		return s.fail(ErrNotSQL, fmt.Sprintf("%s: it is not an SQL dump (%s); attach the .sql file exported from the site's database.", dumpCorrupt, describeBinary(head))), nil
	case sqlBlank:
		return s.fail(ErrEmpty, fmt.Sprintf("%s: the file is empty; export the database again and attach the dump.", dumpCorrupt)), nil
	}
	if bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
		s.rep.Bytes += 3
	}

	lx := newLexer()
	lx.onStatement = s.statement
	lx.onComment = s.comment
	lx.onTuple = s.tuple
	lx.onRows = func(t string, n int64) { s.rep.Rows[t] += n }
	buf := make([]byte, 64<<10)
	carry, lines := 0, 0 // lines: newlines before buf[carry]
	for {
		if err := ctx.Err(); err != nil {
			return s.rep, err
		}
		n, rerr := br.Read(buf[carry:])
		s.rep.Bytes += int64(n)
		m.add(int64(n))
		eof := errors.Is(rerr, io.EOF)
		if rerr != nil && !eof {
			if ctx.Err() != nil {
				return s.rep, ctx.Err()
			}
			return s.readFailed(rerr), nil
		}
		if i := bytes.IndexByte(buf[carry:carry+n], 0); i >= 0 {
			// mysqldump writes NUL as \0: raw NUL bytes are a block a failed copy or a disk
			// error wiped, however long the file is
			line := lines + bytes.Count(buf[carry:carry+i], []byte("\n")) + 1
			return s.fail(ErrCorrupt, fmt.Sprintf("%s: line %d holds a block of NUL bytes (at byte %d), data wiped by a failed copy or a disk error; copy or export the dump again and re-attach it.", dumpCorrupt, line, s.rep.Bytes-int64(n)+int64(i))), nil
		}
		data := buf[:carry+n]
		lines += bytes.Count(buf[carry:carry+n], []byte("\n"))
		used := lx.feed(data, eof)
		carry = copy(buf, data[used:])
		if eof {
			break
		}
	}
	clean, where := lx.finish()
	s.rep.Statements = lx.statements
	if !clean {
		s.problem(&Problem{Err: ErrTruncated, Message: fmt.Sprintf("%s: it ends %s, so the file is cut short; export or copy the dump again and re-attach it.", dumpCorrupt, where)})
	} else if strings.HasPrefix(s.rep.Tool, "mysqldump") && !s.completed {
		s.problem(&Problem{Err: ErrTruncated, Message: fmt.Sprintf("%s: it stops before mysqldump's closing \"Dump completed\" line, so the file is cut short; export or copy the dump again and re-attach it.", dumpCorrupt)})
	}
	s.conclude()
	return s.rep, nil
}

// readFailed reports a read error: from a .sql.gz or zipped dump it means the
// compressed data is cut short or damaged.
func (s *sqlScan) readFailed(err error) SQLReport {
	why, kind := fmt.Sprintf("it cannot be read to the end (%v)", err), ErrCorrupt
	if errors.Is(err, io.ErrUnexpectedEOF) {
		why, kind = "the compressed file is cut short", ErrTruncated
	}
	return s.fail(kind, fmt.Sprintf("%s: %s; copy or export it again and re-attach it.", dumpCorrupt, why))
}

func (s *sqlScan) problem(p *Problem) { s.rep.Problems = append(s.rep.Problems, p) }

func (s *sqlScan) fail(kind error, msg string) SQLReport {
	s.problem(&Problem{Err: kind, Message: msg})
	return s.rep
}

func (s *sqlScan) comment(text []byte) {
	t := strings.TrimSpace(string(text))
	switch {
	case strings.HasPrefix(t, "Dump completed"):
		s.completed = true
	case s.rep.Tool == "":
		if m := dumpToolRe.FindStringSubmatch(t); m != nil {
			s.rep.Tool = "mysqldump (" + m[1] + ")"
			if s.rep.ServerVersion == "" {
				s.rep.ServerVersion = m[2]
			}
		} else if strings.HasPrefix(t, "phpMyAdmin SQL Dump") {
			s.rep.Tool = "phpMyAdmin"
		}
	}
	if m := serverRe.FindStringSubmatch(t); m != nil {
		s.rep.ServerVersion = m[1]
	}
}

func (s *sqlScan) statement(head []byte, _ bool) {
	t := bytes.TrimLeft(head, " \t\r\n")
	if len(t) < 3 {
		return
	}
	switch strings.ToLower(string(t[:3])) {
	case "cre":
		if m := createTableRe.FindSubmatch(t); m != nil {
			name := unquoteName(string(m[1]))
			if !s.seen[name] {
				s.seen[name] = true
				s.rep.Tables = append(s.rep.Tables, name)
			}
			if strings.HasSuffix(strings.ToLower(name), "options") {
				var cols []string
				for _, c := range columnRe.FindAllSubmatch(t, -1) {
					cols = append(cols, strings.ToLower(string(c[1])))
				}
				s.optCols[name] = cols
			}
			s.charsetsIn(t)
			return
		}
		if m := createDBRe.FindSubmatch(t); m != nil {
			s.database(unquoteName(string(m[1])))
			s.charsetsIn(t)
		}
	case "use":
		if m := createDBRe.FindSubmatch(t); m != nil {
			s.database(unquoteName(string(m[1])))
		}
	case "set":
		if m := setNamesRe.FindSubmatch(t); m != nil {
			s.charsets[strings.ToLower(string(m[1]))] = true
			if len(m[2]) > 0 {
				s.collation[strings.ToLower(string(m[2]))] = true
			}
		}
	case "alt":
		s.charsetsIn(t)
	}
}

func (s *sqlScan) database(name string) {
	for _, d := range s.rep.Databases {
		if d == name {
			return
		}
	}
	s.rep.Databases = append(s.rep.Databases, name)
}

func (s *sqlScan) charsetsIn(t []byte) {
	for _, m := range charsetRe.FindAllSubmatch(t, -1) {
		s.charsets[strings.ToLower(string(m[1]))] = true
	}
	for _, m := range collateRe.FindAllSubmatch(t, -1) {
		s.collation[strings.ToLower(string(m[1]))] = true
	}
}

// defaultOptionColumns is WordPress' wp_options layout, used when the dump names no
// columns and has no CREATE TABLE for the table.
var defaultOptionColumns = []string{"option_id", "option_name", "option_value", "autoload"}

func (s *sqlScan) tuple(table string, cols []string, values []string) {
	if cols == nil {
		cols = s.optCols[table]
	}
	if cols == nil {
		cols = defaultOptionColumns
	}
	name, value := -1, -1
	for i, c := range cols {
		switch c {
		case "option_name":
			name = i
		case "option_value":
			value = i
		}
	}
	if name < 0 || value < 0 || name >= len(values) || value >= len(values) {
		return
	}
	switch k := values[name]; k {
	case "siteurl", "home", "db_version":
		if s.opts[table] == nil {
			s.opts[table] = map[string]string{}
		}
		s.opts[table][k] = values[value]
	}
}

// conclude guesses the prefix, picks the main site's options and writes Found.
func (s *sqlScan) conclude() {
	r := &s.rep
	for c := range s.charsets {
		r.Charsets = append(r.Charsets, c)
	}
	for c := range s.collation {
		r.Collations = append(r.Collations, c)
	}
	sort.Strings(r.Charsets)
	sort.Strings(r.Collations)
	found := func(format string, a ...any) { r.Found = append(r.Found, fmt.Sprintf(format, a...)) }
	if r.Tool != "" {
		if r.ServerVersion != "" {
			found("%s dump of server %s", r.Tool, r.ServerVersion)
		} else {
			found("%s dump", r.Tool)
		}
	}
	optTable := s.optionsTable()
	if optTable != "" {
		r.Prefix = optTable[:len(optTable)-len("options")]
	}
	prefixed := 0
	for _, t := range r.Tables {
		if r.Prefix != "" && strings.HasPrefix(t, r.Prefix) {
			prefixed++
		}
	}
	var rows int64
	for _, n := range r.Rows {
		rows += n
	}
	switch {
	case len(r.Tables) == 0 && r.Statements == 0:
		s.problem(&Problem{Err: ErrEmpty, Message: fmt.Sprintf("%s: it holds no SQL statements; export the database again and attach the dump.", dumpCorrupt)})
		return
	case len(r.Tables) == 0:
		s.problem(&Problem{Err: ErrNoTables, Message: "The dump creates no tables; export the database again with its structure (CREATE TABLE statements included)."})
	case optTable == "":
		found("%d tables, %d rows", len(r.Tables), rows)
		s.problem(&Problem{Err: ErrNoTables, Message: "The dump holds no WordPress tables (no table ending in 'options'); check that it is the site's database."})
	default:
		found("%d tables (%d with prefix '%s'), %d rows", len(r.Tables), prefixed, r.Prefix, rows)
	}
	if o := s.opts[optTable]; o != nil {
		r.SiteURL, r.Home, r.DBVersion = o["siteurl"], o["home"], o["db_version"]
	}
	switch {
	case r.SiteURL != "" && (r.Home == "" || r.Home == r.SiteURL):
		found("Site URL %s", r.SiteURL)
	case r.SiteURL != "":
		found("Site URL %s (home %s)", r.SiteURL, r.Home)
	case r.Home != "":
		found("Site URL %s (from home)", r.Home)
	case optTable != "":
		s.problem(&Problem{Err: ErrNoSiteURL, Warning: true, Message: fmt.Sprintf("The dump has no siteurl or home option in %s; enter the old site URL in the migration so Ferry can rewrite it.", optTable)})
	}
	if r.DBVersion != "" {
		found("WordPress database version %s", r.DBVersion)
	}
	if len(r.Collations) > 0 {
		found("Collations: %s", strings.Join(r.Collations, ", "))
	} else if len(r.Charsets) > 0 {
		found("Character sets: %s", strings.Join(r.Charsets, ", "))
	}
	if len(r.Databases) > 0 {
		s.problem(&Problem{Err: ErrOtherDatabase, Warning: true, Message: fmt.Sprintf("The dump names its own database '%s' (CREATE DATABASE or USE); those statements must be skipped on import so that only the destination database is touched.", r.Databases[0])})
	}
}

// optionsTable picks the main site's options table: among tables ending in "options",
// one whose posts table exists too, the shortest name first (wp_options before
// wp_2_options of a multisite's second site).
func (s *sqlScan) optionsTable() string {
	var cands []string
	for _, t := range s.rep.Tables {
		if strings.HasSuffix(strings.ToLower(t), "options") {
			cands = append(cands, t)
		}
	}
	if len(cands) == 0 { // INSERTs without CREATE TABLE
		for t := range s.opts {
			cands = append(cands, t)
		}
	}
	sort.Slice(cands, func(i, j int) bool {
		pi, pj := s.seen[cands[i][:len(cands[i])-7]+"posts"], s.seen[cands[j][:len(cands[j])-7]+"posts"]
		if pi != pj {
			return pi
		}
		if len(cands[i]) != len(cands[j]) {
			return len(cands[i]) < len(cands[j])
		}
		return cands[i] < cands[j]
	})
	if len(cands) == 0 {
		return ""
	}
	return cands[0]
}
