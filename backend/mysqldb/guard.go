package mysqldb

import (
	"bytes"
	"fmt"
	"strings"
)

// RefusedError reports a statement Ferry will not execute: it is not something a WordPress
// database dump contains, or it reaches outside the chosen database (another database, the
// server's accounts, its files, plugins or settings). Verify and Import refuse the same
// statements (see Guard); Import returns it before executing anything when it can
// pre-scan the stream.
type RefusedError struct {
	File     string // the dump's name, when the caller knows it
	Line     int    // 1-based line of the statement
	Words    string // the statement's first words, as the admin can find them in the file
	Database string // the other database the statement names, when that is the reason
	Reason   string // what the statement does otherwise, e.g. "writes a file on the server"
}

func (e *RefusedError) Error() string {
	where := fmt.Sprintf("line %d", e.Line)
	if e.File != "" {
		where = e.File + " " + where
	}
	if e.Words != "" {
		where += " (" + e.Words + ")"
	}
	why := e.Reason
	if e.Database != "" {
		why = "touches database " + e.Database
		if why2 := e.Reason; why2 != "" {
			why += " (" + why2 + ")"
		}
	}
	return fmt.Sprintf("Database import refused: statement at %s %s; remove it from the dump or export the database again without it, then attach and Verify again.", where, why)
}

type stmtKind int

const (
	kOther  stmtKind = iota // executed alone, after every earlier statement has finished
	kInsert                 // INSERT/REPLACE ... VALUES: may run on any loader connection
	kSet                    // session SET: applied to every connection, in stream order
	kCreateTable
	kDropTable
	kSkip // LOCK/UNLOCK TABLES, USE of the target, transaction control: Ferry manages these itself
)

// analysis is what Import needs to know about one statement.
type analysis struct {
	kind    stmtKind
	tables  []string // tables the statement creates, drops or inserts into
	values  int      // for kInsert: offset of the VALUES tuples
	columns []string // for kInsert: the explicit column list, if any
	note    string   // for kSkip: why a statement that would do something is skipped, for the log
}

// Guard decides, statement by statement and in order, what of a dump Ferry executes. It is
// the one guard both callers use: Verify runs it over the whole dump (CheckDump) and Import
// runs it before each statement, so Verify passes exactly the dumps Import accepts.
//
// It is an allow-list of what WordPress dumps made by mysqldump, MariaDB's dump,
// phpMyAdmin and backup plugins contain: CREATE TABLE and CREATE VIEW (DEFINER clauses
// removed), DROP TABLE/VIEW, INSERT/REPLACE ... VALUES, ALTER TABLE of columns, keys and
// AUTO_INCREMENT, CREATE INDEX, LOCK/UNLOCK TABLES, transaction control, SET of the session
// variables dump headers set, comments, and one leading CREATE DATABASE x; USE x; pair
// naming the dump's own database (skipped: Ferry imports into the destination database).
// MySQL 8's GTID lines (SET @@GLOBAL.GTID_PURGED, SET @@SESSION.SQL_LOG_BIN) are skipped
// too. Everything else is refused.
type Guard struct {
	target  string // the destination database
	own     string // the dump's own database, from its leading CREATE DATABASE/USE pair
	leading bool   // no statement that changes a table has been seen yet
	pending string // a leading CREATE DATABASE waiting for its USE
	pendAt  int    // its line
	pendW   string // its first words
}

// NewGuard returns a guard for a dump imported into database target.
func NewGuard(target string) *Guard { return &Guard{target: target, leading: true} }

// Check removes DEFINER clauses from a statement other than INSERT and judges it. It
// returns the text to execute.
func (g *Guard) check(text []byte, line int) ([]byte, analysis, error) {
	if w := firstWords(text, 1); len(w) == 0 || (w[0] != "INSERT" && w[0] != "REPLACE") {
		text = stripDefiner(text)
	}
	a, err := g.analyse(text, line)
	if re, ok := err.(*RefusedError); ok && re.Words == "" {
		re.Words = statementWords(text)
	}
	return text, a, err
}

// end reports a leading CREATE DATABASE that no USE followed.
func (g *Guard) end() error {
	if g.pending != "" {
		return g.pendingErr()
	}
	return nil
}

func (g *Guard) pendingErr() error {
	return &RefusedError{Line: g.pendAt, Words: g.pendW, Reason: fmt.Sprintf("creates database %s, and no USE %s follows it as in a mysqldump --databases file", clip(g.pending), clip(g.pending))}
}

// statementWords returns the first few words of a statement as written (comments and
// runs of blanks squeezed), clipped, so the admin can find it in the file.
func statementWords(text []byte) string {
	l := lexer{s: text}
	start, end := -1, 0
	for n := 0; n < 8; n++ {
		t := l.next()
		if t.kind == tkEOF || t.kind == tkString {
			break
		}
		if start < 0 {
			start = t.pos
		}
		end = l.i
		if end-start > 60 {
			break
		}
	}
	if start < 0 {
		return ""
	}
	s := strings.Join(strings.Fields(string(text[start:end])), " ")
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return s
}

// tableContext are keywords after which a (possibly qualified) table or routine name follows.
var tableContext = map[string]bool{
	"FROM": true, "JOIN": true, "INTO": true, "UPDATE": true, "TABLE": true, "TABLES": true,
	"REFERENCES": true, "EXISTS": true, "VIEW": true, "PROCEDURE": true, "FUNCTION": true,
	"TRIGGER": true, "EVENT": true, "CALL": true, "LIKE": true, "TO": true, "DELETE": true,
}

// analyse classifies a statement (DEFINER clauses already removed) and refuses what is not
// on the allow-list.
func (g *Guard) analyse(text []byte, line int) (analysis, error) {
	refuse := func(reason string) (analysis, error) {
		return analysis{}, &RefusedError{Line: line, Reason: reason}
	}
	l := lexer{s: text}
	first := l.next()
	if first.kind != tkWord {
		return refuse("is not a SQL statement a database dump contains")
	}
	kw := strings.ToUpper(string(first.text))
	if g.pending != "" && kw != "USE" && kw != "SET" {
		return analysis{}, g.pendingErr()
	}
	// every statement on the list is also read token by token: names qualified with
	// another database, accounts, files and server commands are refused wherever they are
	if w := firstWords(text, 2); kw != "INSERT" && kw != "REPLACE" && !(kw == "CREATE" && len(w) == 2 && (w[1] == "DATABASE" || w[1] == "SCHEMA")) {
		if err := checkTokens(text, line, g.target); err != nil {
			return analysis{}, err
		}
	}
	switch kw {
	case "INSERT", "REPLACE":
		a, ok, otherDB := insertHeader(&l, g.target)
		if otherDB != "" {
			return analysis{}, &RefusedError{Line: line, Database: clip(otherDB)}
		}
		if !ok {
			return refuse("is an " + kw + " without a VALUES list (INSERT ... SELECT or ... SET), which database dumps do not write")
		}
		g.leading = false
		return a, nil
	case "CREATE":
		return g.create(text, line)
	case "DROP":
		return g.drop(text, line)
	case "ALTER":
		return g.alter(text, line)
	case "USE":
		n, ok := l.next().name()
		rest := l.next()
		switch {
		case ok && rest.kind == tkEOF && n == g.target:
			return analysis{kind: kSkip}, nil
		case ok && rest.kind == tkEOF && g.pending != "" && n == g.pending:
			g.own, g.pending, g.leading = n, "", false
			return analysis{kind: kSkip, note: fmt.Sprintf("Skipped the dump's CREATE DATABASE %s and USE %s (lines %d and %d): the tables go into the destination database %s", clip(n), clip(n), g.pendAt, line, clip(g.target))}, nil
		}
		return analysis{}, &RefusedError{Line: line, Database: clip(n), Reason: "switches to it with USE"}
	case "LOCK", "UNLOCK":
		if w := firstWords(text, 2); len(w) < 2 || w[1] != "TABLES" && w[1] != "TABLE" {
			return refuse("is a LOCK statement other than LOCK TABLES")
		}
		return analysis{kind: kSkip}, nil
	case "START", "BEGIN", "COMMIT":
		if w := firstWords(text, 2); kw == "START" && (len(w) < 2 || w[1] != "TRANSACTION") {
			return refuse("is not a SQL statement a database dump contains (START)")
		}
		return analysis{kind: kSkip}, nil
	case "SET":
		return g.set(&l, text, line)
	}
	return refuse(fmt.Sprintf("is not a SQL statement a database dump contains (%s)", clip(kw)))
}

// engines are the storage engines a WordPress table may use. Others reach other servers
// (FEDERATED, CONNECT, SPIDER), files (CONNECT) or tables of other databases (MERGE).
var engines = map[string]bool{"INNODB": true, "MYISAM": true, "ARIA": true, "MEMORY": true, "HEAP": true,
	"ARCHIVE": true, "CSV": true, "BLACKHOLE": true}

// tableOptions refuses options of CREATE/ALTER TABLE that place files on the server or
// reach outside it.
func tableOptions(text []byte, line int) error {
	l := lexer{s: text}
	var prev token
	for {
		t := l.next()
		if t.kind == tkEOF {
			return nil
		}
		switch {
		case t.is("ENGINE") || t.is("TYPE") && prev.kind == tkPunct && prev.text[0] == ')':
			v := l.next()
			if v.kind == tkPunct && v.text[0] == '=' {
				v = l.next()
			}
			if n, _ := v.name(); !engines[strings.ToUpper(n)] {
				return &RefusedError{Line: line, Reason: fmt.Sprintf("uses storage engine %s, which reaches outside the database", clip(n))}
			}
		case t.is("DIRECTORY") || t.is("TABLESPACE") || t.is("CONNECTION") || t.is("UNION"):
			return &RefusedError{Line: line, Reason: fmt.Sprintf("sets %s, which places data outside the database", strings.ToUpper(string(t.text)))}
		case t.is("SELECT") || t.is("LIKE"):
			return &RefusedError{Line: line, Reason: fmt.Sprintf("builds a table from a query (%s), which database dumps do not write", strings.ToUpper(string(t.text)))}
		}
		prev = t
	}
}

// create judges CREATE statements: tables, views, indexes and the leading own database.
func (g *Guard) create(text []byte, line int) (analysis, error) {
	if err := definerLeft(text, line); err != nil {
		return analysis{}, err
	}
	words := firstWords(text, 8)
	i := 1
	if i+1 < len(words) && words[i] == "OR" && words[i+1] == "REPLACE" {
		i += 2
	}
	for i < len(words) && (words[i] == "TEMPORARY" || words[i] == "UNIQUE" || words[i] == "FULLTEXT" || words[i] == "SPATIAL") {
		i++
	}
	what := ""
	if i < len(words) {
		what = words[i]
	}
	switch {
	case what == "TABLE":
		if err := tableOptions(text, line); err != nil {
			return analysis{}, err
		}
		g.leading = false
		return analysis{kind: kCreateTable, tables: tableNames(text)}, nil
	case what == "INDEX":
		g.leading = false
		return analysis{kind: kOther}, nil
	case what == "DATABASE" || what == "SCHEMA":
		l := lexer{s: text}
		l.next()
		l.next()
		n := l.next()
		for n.is("IF") || n.is("NOT") || n.is("EXISTS") {
			n = l.next()
		}
		name, _ := n.name()
		if !g.leading || g.own != "" || g.pending != "" {
			return analysis{}, &RefusedError{Line: line, Database: clip(name), Reason: "creates it; only one CREATE DATABASE and USE pair before all tables is skipped"}
		}
		g.pending, g.pendAt, g.pendW = name, line, statementWords(text)
		return analysis{kind: kSkip}, nil
	case createdView(text) != "":
		if err := definerLeft(text, line); err != nil {
			return analysis{}, err
		}
		g.leading = false
		return analysis{kind: kOther}, nil
	}
	switch what {
	case "TRIGGER", "PROCEDURE", "FUNCTION", "AGGREGATE":
		// Ferry's own export and mysqldump write these; their DEFINER is removed, so they
		// run with the importing user's rights, and their bodies are read like any statement
		if err := routineBody(text, line, what); err != nil {
			return analysis{}, err
		}
		g.leading = false
		return analysis{kind: kOther}, nil
	}
	reason := "creates something other than a table, view, index, trigger or routine"
	switch what {
	case "EVENT":
		reason = "creates a scheduled event, which WordPress does not use; export without --events"
	case "USER", "ROLE":
		reason = "creates a database account"
	case "SERVER":
		reason = "defines a connection to another server"
	}
	return analysis{}, &RefusedError{Line: line, Reason: reason}
}

// routineBody refuses triggers and routines that load server plugins (a UDF: CREATE
// FUNCTION ... SONAME), keep a DEFINER, change server-wide settings or run SQL built at
// run time, which no guard can read.
func routineBody(text []byte, line int, what string) error {
	if err := definerLeft(text, line); err != nil {
		return err
	}
	l := lexer{s: text}
	var prev token
	for {
		t := l.next()
		switch {
		case t.kind == tkEOF:
			return nil
		case t.is("SONAME"):
			return &RefusedError{Line: line, Reason: "loads a server plugin library (CREATE FUNCTION ... SONAME)"}
		case t.is("GLOBAL") && (prev.is("SET") || prev.kind == tkPunct && prev.text[0] == '@'):
			return &RefusedError{Line: line, Reason: fmt.Sprintf("creates a %s that changes server-wide settings", strings.ToLower(what))}
		case t.is("PREPARE") || t.is("EXECUTE"):
			return &RefusedError{Line: line, Reason: fmt.Sprintf("creates a %s that runs SQL built at run time (%s)", strings.ToLower(what), strings.ToUpper(string(t.text)))}
		}
		prev = t
	}
}

// definerLeft refuses a statement still holding a DEFINER clause after stripDefiner (one
// written in a way the clause pattern does not match) other than SQL SECURITY DEFINER.
func definerLeft(text []byte, line int) error {
	l := lexer{s: text}
	var prev token
	for {
		t := l.next()
		if t.kind == tkEOF {
			return nil
		}
		if t.is("DEFINER") && !prev.is("SECURITY") {
			return &RefusedError{Line: line, Reason: "sets a DEFINER Ferry cannot remove"}
		}
		prev = t
	}
}

// drop judges DROP TABLE and DROP VIEW; every other DROP is refused.
func (g *Guard) drop(text []byte, line int) (analysis, error) {
	words := firstWords(text, 3)
	i := 1
	if i < len(words) && words[i] == "TEMPORARY" {
		i++
	}
	if i < len(words) && words[i] == "TABLE" {
		return analysis{kind: kDropTable, tables: tableNames(text)}, nil
	}
	if i < len(words) && (words[i] == "VIEW" || words[i] == "TRIGGER" || words[i] == "PROCEDURE") {
		return analysis{kind: kOther}, nil
	}
	if i < len(words) && words[i] == "FUNCTION" {
		return analysis{}, &RefusedError{Line: line, Reason: "drops a function, which may be a server-wide plugin function (UDF) rather than one of the dump's"}
	}
	if i < len(words) && (words[i] == "DATABASE" || words[i] == "SCHEMA") {
		return analysis{}, &RefusedError{Line: line, Reason: "drops a whole database"}
	}
	return analysis{}, &RefusedError{Line: line, Reason: "drops something other than a table or view"}
}

// alter judges ALTER TABLE (keys, columns, AUTO_INCREMENT as phpMyAdmin writes them).
func (g *Guard) alter(text []byte, line int) (analysis, error) {
	words := firstWords(text, 3)
	i := 1
	if i < len(words) && (words[i] == "ONLINE" || words[i] == "IGNORE") {
		i++
	}
	if i >= len(words) || words[i] != "TABLE" {
		return analysis{}, &RefusedError{Line: line, Reason: "alters something other than a table"}
	}
	if err := tableOptions(text, line); err != nil {
		return analysis{}, err
	}
	up := bytes.ToUpper(text)
	for _, w := range []string{"DISCARD", "IMPORT", "RENAME", "PARTITION"} {
		if bytes.Contains(up, []byte(w)) {
			l := lexer{s: text}
			for t := l.next(); t.kind != tkEOF; t = l.next() {
				if t.is(w) {
					return analysis{}, &RefusedError{Line: line, Reason: fmt.Sprintf("uses ALTER TABLE ... %s, which database dumps do not write", w)}
				}
			}
		}
	}
	return analysis{kind: kOther}, nil
}

// sessionVars are the variables dump headers set, for the session only.
var sessionVars = map[string]bool{
	"CHARACTER_SET_CLIENT": true, "CHARACTER_SET_RESULTS": true, "CHARACTER_SET_CONNECTION": true,
	"COLLATION_CONNECTION": true, "TIME_ZONE": true, "SQL_MODE": true, "FOREIGN_KEY_CHECKS": true,
	"UNIQUE_CHECKS": true, "SQL_NOTES": true, "SQL_QUOTE_SHOW_CREATE": true, "CHECK_CONSTRAINT_CHECKS": true,
	"SQL_AUTO_IS_NULL": true, "INNODB_STRICT_MODE": true,
}

// set judges SET: session variables on the list, user variables, NAMES and CHARACTER SET;
// MySQL 8's GTID lines and AUTOCOMMIT are skipped.
func (g *Guard) set(l *lexer, text []byte, line int) (analysis, error) {
	refuse := func(reason string) (analysis, error) {
		return analysis{}, &RefusedError{Line: line, Reason: reason}
	}
	t := l.next()
	switch {
	case t.is("NAMES") || t.is("CHARACTER") || t.is("CHARSET"):
		for t = l.next(); t.kind != tkEOF; t = l.next() {
			if t.kind == tkPunct && t.text[0] != '=' {
				return refuse("is a SET NAMES with more than a character set and collation")
			}
		}
		return analysis{kind: kSet}, nil
	case t.is("GLOBAL") || t.is("PERSIST") || t.is("PERSIST_ONLY"):
		return refuse("changes server-wide settings (SET GLOBAL)")
	case t.is("PASSWORD") || t.is("ROLE") || t.is("DEFAULT"):
		return refuse("changes database accounts")
	case t.is("STATEMENT") || t.is("TRANSACTION"):
		return refuse(fmt.Sprintf("is a SET %s, which database dumps do not write", strings.ToUpper(string(t.text))))
	}
	l.i = t.pos
	n := 0
	var only string // the one variable a single-assignment statement sets
	for {
		scope, name, user, err := setTarget(l)
		if err != "" {
			return refuse(err)
		}
		n++
		if n == 1 {
			only = scope + "." + name
		} else {
			only = ""
		}
		switch {
		case user:
		case scope == "GLOBAL" && name == "GTID_PURGED":
		case scope == "GLOBAL":
			return refuse(fmt.Sprintf("changes server-wide setting %s (SET GLOBAL)", clip(name)))
		case name == "SQL_LOG_BIN" || name == "AUTOCOMMIT":
		case !sessionVars[name]:
			return refuse(fmt.Sprintf("sets variable %s, which is not one a database dump sets", clip(strings.ToLower(name))))
		}
		// the value: literals, words, variables and signs; no calls, no queries
		for {
			v := l.next()
			if v.kind == tkEOF {
				switch only {
				case "GLOBAL.GTID_PURGED":
					return analysis{kind: kSkip, note: fmt.Sprintf("Skipped line %d, SET @@GLOBAL.GTID_PURGED: replication state of the source server, not data", line)}, nil
				case "SESSION.SQL_LOG_BIN":
					return analysis{kind: kSkip, note: fmt.Sprintf("Skipped line %d, SET @@SESSION.SQL_LOG_BIN: Ferry leaves the destination's binary log as it is", line)}, nil
				case "SESSION.AUTOCOMMIT":
					return analysis{kind: kSkip}, nil // Ferry commits in batches itself
				}
				if strings.HasSuffix(only, "GTID_PURGED") || n > 1 && bytes.Contains(bytes.ToUpper(text), []byte("GTID_PURGED")) {
					return refuse("mixes GTID_PURGED with other settings")
				}
				if bytes.Contains(bytes.ToUpper(text), []byte("SQL_LOG_BIN")) && only == "" {
					return refuse("mixes SQL_LOG_BIN with other settings")
				}
				return analysis{kind: kSet}, nil
			}
			if v.kind == tkPunct && v.text[0] == ',' {
				break
			}
			if v.kind == tkPunct && strings.IndexByte("=@.+-:", v.text[0]) < 0 {
				return refuse("computes a value with an expression, which dump headers never do")
			}
			if v.is("SELECT") {
				return refuse("runs a query inside SET")
			}
		}
	}
}

// setTarget reads one assignment target: [SESSION|LOCAL] name, @@[session.|local.|global.]name
// or @user. The error is a refusal reason.
func setTarget(l *lexer) (scope, name string, user bool, refusal string) {
	scope = "SESSION"
	t := l.next()
	if t.is("SESSION") || t.is("LOCAL") {
		t = l.next()
	}
	if t.kind == tkPunct && t.text[0] == '@' {
		t = l.next()
		if !(t.kind == tkPunct && t.text[0] == '@') {
			if _, ok := t.name(); !ok && t.kind != tkString {
				return "", "", false, "is not a SET statement a database dump contains"
			}
			return scope, "", true, "" // a user variable: only this session sees it
		}
		t = l.next()
		w, _ := t.name()
		switch up := strings.ToUpper(w); up {
		case "GLOBAL", "SESSION", "LOCAL", "PERSIST", "PERSIST_ONLY":
			if d := l.next(); d.kind != tkPunct || d.text[0] != '.' {
				return "", "", false, "is not a SET statement a database dump contains"
			}
			if up == "GLOBAL" || up == "PERSIST" || up == "PERSIST_ONLY" {
				scope = "GLOBAL"
			}
			t = l.next()
		}
	}
	w, ok := t.name()
	if !ok {
		return "", "", false, "is not a SET statement a database dump contains"
	}
	name = strings.ToUpper(w)
	if eq := l.next(); eq.kind != tkPunct || eq.text[0] != '=' && eq.text[0] != ':' {
		return "", "", false, "is not a SET statement a database dump contains"
	}
	if l.i < len(l.s) && l.s[l.i] == '=' { // :=
		l.i++
	}
	return scope, name, false, ""
}

// insertHeader reads INSERT [modifiers] [INTO] name [(columns)] VALUES. ok is false for
// other forms (INSERT ... SELECT, INSERT ... SET), which the caller checks token by token;
// otherDB names the database of a qualified table name that is not target.
func insertHeader(l *lexer, target string) (a analysis, ok bool, otherDB string) {
	t := l.next()
	for t.is("LOW_PRIORITY") || t.is("DELAYED") || t.is("HIGH_PRIORITY") || t.is("IGNORE") || t.is("INTO") {
		t = l.next()
	}
	name, isName := t.name()
	if !isName {
		return a, false, ""
	}
	t = l.next()
	if t.kind == tkPunct && t.text[0] == '.' {
		if name != target {
			return a, false, name
		}
		if name, isName = l.next().name(); !isName {
			return a, false, ""
		}
		t = l.next()
	}
	a = analysis{kind: kInsert, tables: []string{name}}
	if t.kind == tkPunct && t.text[0] == '(' {
		for {
			t = l.next()
			if n, ok := t.name(); ok {
				a.columns = append(a.columns, n)
				continue
			}
			if t.kind == tkPunct && t.text[0] == ',' {
				continue
			}
			break
		}
		if t.kind != tkPunct || t.text[0] != ')' {
			return analysis{}, false, ""
		}
		t = l.next()
	}
	if !t.is("VALUES") && !t.is("VALUE") {
		return analysis{}, false, ""
	}
	a.values = l.i
	return a, true, ""
}
