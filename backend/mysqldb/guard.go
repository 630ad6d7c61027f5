package mysqldb

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
)

// RefusedError reports a statement Import will not execute because it reaches outside the
// chosen database (another database, the server's accounts, its files or its settings).
// Import returns it before executing anything when it can pre-scan the stream.
type RefusedError struct {
	Line     int    // 1-based line of the statement
	Database string // the other database the statement names, when that is the reason
	Reason   string // what the statement does otherwise, e.g. "writes a file on the server"
}

func (e *RefusedError) Error() string {
	if e.Database != "" {
		return fmt.Sprintf("Database import refused: statement at line %d touches database %s", e.Line, e.Database)
	}
	return fmt.Sprintf("Database import refused: statement at line %d %s", e.Line, e.Reason)
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
}

var allowedFirst = map[string]bool{
	"INSERT": true, "REPLACE": true, "CREATE": true, "DROP": true, "ALTER": true, "SET": true,
	"LOCK": true, "UNLOCK": true, "USE": true, "START": true, "BEGIN": true, "COMMIT": true,
	"ROLLBACK": true, "UPDATE": true, "DELETE": true, "TRUNCATE": true, "RENAME": true,
	"ANALYZE": true, "OPTIMIZE": true, "SELECT": true, "SAVEPOINT": true, "RELEASE": true,
	"CALL": true, "DO": true,
}

// tableContext are keywords after which a (possibly qualified) table or routine name follows.
var tableContext = map[string]bool{
	"FROM": true, "JOIN": true, "INTO": true, "UPDATE": true, "TABLE": true, "TABLES": true,
	"REFERENCES": true, "EXISTS": true, "VIEW": true, "PROCEDURE": true, "FUNCTION": true,
	"TRIGGER": true, "EVENT": true, "CALL": true, "LIKE": true, "TO": true, "DELETE": true,
}

// analyse classifies a statement and refuses it when it reaches outside database target.
// DEFINER clauses must already be removed.
func analyse(text []byte, line int, target string) (analysis, error) {
	refuse := func(db, reason string) (analysis, error) {
		return analysis{}, &RefusedError{Line: line, Database: db, Reason: reason}
	}
	l := lexer{s: text}
	first := l.next()
	if first.kind != tkWord {
		return refuse("", "is not a SQL statement a database dump contains")
	}
	kw := strings.ToUpper(string(first.text))
	if !allowedFirst[kw] {
		if err := checkTokens(text, line, target); err != nil {
			return analysis{}, err // a more specific reason (GRANT, LOAD DATA INFILE)
		}
		return refuse("", fmt.Sprintf("is not a SQL statement a database dump contains (%s)", clip(kw)))
	}
	switch kw {
	case "INSERT", "REPLACE":
		a, ok, otherDB := insertHeader(&l, target)
		if otherDB != "" {
			return refuse(clip(otherDB), "")
		}
		if ok {
			return a, nil
		}
	case "USE":
		t := l.next()
		if n, ok := t.name(); ok && n == target {
			return analysis{kind: kSkip}, nil
		}
		n, _ := t.name()
		return refuse(clip(n), "")
	case "LOCK", "UNLOCK", "START", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE":
		if err := checkTokens(text, line, target); err != nil {
			return analysis{}, err
		}
		return analysis{kind: kSkip}, nil
	case "SET":
		t := l.next()
		switch {
		case t.is("GLOBAL") || t.is("PERSIST") || t.is("PERSIST_ONLY") || t.is("PASSWORD"):
			return refuse("", "changes server-wide settings or accounts")
		case t.is("AUTOCOMMIT"):
			return analysis{kind: kSkip}, nil // Ferry commits in batches itself
		}
		if bytes.Contains(bytes.ToLower(text), []byte("@@global.")) {
			return refuse("", "changes server-wide settings")
		}
		if err := checkTokens(text, line, target); err != nil {
			return analysis{}, err
		}
		return analysis{kind: kSet}, nil
	}
	if err := checkTokens(text, line, target); err != nil {
		return analysis{}, err
	}
	words := firstWords(text, 6)
	a := analysis{kind: kOther}
	if len(words) >= 2 && (words[0] == "CREATE" || words[0] == "DROP") {
		i := 1
		if words[0] == "CREATE" && i < len(words) && words[i] == "OR" {
			i += 2 // OR REPLACE
		}
		if i < len(words) && words[i] == "TEMPORARY" {
			i++
		}
		if i < len(words) && words[i] == "TABLE" {
			if words[0] == "CREATE" {
				a.kind = kCreateTable
			} else {
				a.kind = kDropTable
			}
			a.tables = tableNames(text)
		}
	}
	return a, nil
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

// checkTokens refuses statements that name another database, touch accounts, files or
// server state. It is conservative: a qualified name after FROM, JOIN, INTO, TABLE and
// similar keywords is read as database.table.
func checkTokens(text []byte, line int, target string) error {
	l := lexer{s: text}
	var prev []token
	expectName, afterName := false, 0
	kw0 := ""
	onIsTable := false // CREATE TRIGGER/INDEX ... ON table
	for {
		t := l.next()
		if t.kind == tkEOF {
			return nil
		}
		if t.kind == tkWord {
			up := strings.ToUpper(string(t.text))
			if kw0 == "" {
				kw0 = up
			}
			switch up {
			case "GRANT", "REVOKE", "USER", "ROLE":
				if up == "GRANT" || up == "REVOKE" || (len(prev) > 0 && (prev[len(prev)-1].is("CREATE") || prev[len(prev)-1].is("DROP") || prev[len(prev)-1].is("ALTER") || prev[len(prev)-1].is("RENAME"))) {
					return &RefusedError{Line: line, Database: "mysql"}
				}
			case "DATABASE", "SCHEMA":
				if len(prev) > 0 && (prev[len(prev)-1].is("CREATE") || prev[len(prev)-1].is("DROP") || prev[len(prev)-1].is("ALTER")) {
					n := l.next()
					for n.is("IF") || n.is("NOT") || n.is("EXISTS") {
						n = l.next()
					}
					name, ok := n.name()
					if !ok || (prev[len(prev)-1].is("ALTER") && name == target) {
						if !ok && prev[len(prev)-1].is("ALTER") {
							return nil // ALTER DATABASE without a name changes the target itself
						}
						if ok {
							continue
						}
						name = target
					}
					return &RefusedError{Line: line, Database: clip(name)}
				}
			case "OUTFILE", "DUMPFILE":
				return &RefusedError{Line: line, Reason: "writes a file on the server (INTO " + up + ")"}
			case "LOAD_FILE":
				return &RefusedError{Line: line, Reason: "reads a file on the server (LOAD_FILE)"}
			case "INFILE":
				return &RefusedError{Line: line, Reason: "reads a file (LOAD DATA INFILE)"}
			case "SHUTDOWN", "KILL", "INSTALL", "UNINSTALL", "FLUSH", "PURGE", "RESET":
				if len(prev) == 0 {
					return &RefusedError{Line: line, Reason: "changes the server (" + up + ")"}
				}
			}
		}
		// qualified names: a.b.c always names database a; a.b does after a table keyword
		if n1, ok := t.name(); ok {
			save := l.i
			dot := l.next()
			if dot.kind == tkPunct && dot.text[0] == '.' {
				second := l.next()
				if _, ok2 := second.name(); ok2 {
					save2 := l.i
					dot2 := l.next()
					three := dot2.kind == tkPunct && dot2.text[0] == '.'
					l.i = save2
					if (three || expectName) && n1 != target {
						return &RefusedError{Line: line, Database: clip(n1)}
					}
				}
				l.i = save
			} else {
				l.i = save
			}
		}
		switch {
		case t.kind == tkWord && tableContext[strings.ToUpper(string(t.text))]:
			expectName, afterName = true, 0
		case expectName && (t.kind == tkWord || t.kind == tkIdent) && !t.is("IF") && !t.is("NOT") && !t.is("EXISTS"):
			expectName, afterName = false, 1
		case afterName > 0 && t.kind == tkPunct && t.text[0] == ',':
			expectName, afterName = true, 0
		case afterName > 0 && t.kind == tkPunct && t.text[0] == '.':
		case afterName > 0 && (t.kind == tkWord || t.kind == tkIdent) && afterName < 5:
			afterName++
		default:
			if !(expectName && t.kind == tkWord) {
				expectName, afterName = false, 0
			}
		}
		if kw0 == "CREATE" && (t.is("TRIGGER") || t.is("INDEX")) {
			onIsTable = true
		}
		if onIsTable && t.is("ON") {
			expectName, onIsTable = true, false
		}
		prev = append(prev, t)
		if len(prev) > 4 {
			prev = prev[1:]
		}
	}
}

// tableNames returns the table names of CREATE/DROP TABLE (every name of a DROP list).
func tableNames(text []byte) []string {
	l := lexer{s: text}
	var names []string
	seenTable := false
	for {
		t := l.next()
		if t.kind == tkEOF {
			return names
		}
		if !seenTable {
			seenTable = t.is("TABLE")
			continue
		}
		if t.is("IF") || t.is("NOT") || t.is("EXISTS") {
			continue
		}
		n, ok := t.name()
		if !ok {
			return names
		}
		save := l.i
		if d := l.next(); d.kind == tkPunct && d.text[0] == '.' {
			if t2 := l.next(); t2.kind == tkWord || t2.kind == tkIdent {
				n = string(t2.text)
			}
		} else {
			l.i = save
		}
		names = append(names, n)
		save = l.i
		if c := l.next(); c.kind != tkPunct || c.text[0] != ',' {
			return names
		}
	}
}

// clip keeps names from hostile input short in messages.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// definerRe matches DEFINER=user@host clauses as SHOW CREATE and mysqldump write them.
var definerRe = regexp.MustCompile("(?i)\\bDEFINER\\s*=\\s*(?:`(?:[^`]|``)*`|'(?:[^'\\\\]|\\\\.|'')*'|[A-Za-z0-9_$.-]+|CURRENT_USER(?:\\s*\\(\\s*\\))?)(?:\\s*@\\s*(?:`(?:[^`]|``)*`|'(?:[^'\\\\]|\\\\.|'')*'|[A-Za-z0-9_$.%-]+))?")

// stripDefiner removes DEFINER clauses so views, triggers and routines are owned by the
// importing user: the source's accounts rarely exist on the destination.
func stripDefiner(text []byte) []byte {
	if !bytes.Contains(text, []byte("DEFINER")) && !bytes.Contains(text, []byte("definer")) {
		return text
	}
	return definerRe.ReplaceAll(text, nil)
}
