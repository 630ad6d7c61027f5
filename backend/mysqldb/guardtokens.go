package mysqldb

import (
	"bytes"
	"regexp"
	"strings"
)

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
