package mysqldb

import (
	"bytes"
	"strings"
)

// splitSecondaryKeys removes the plain secondary indexes (KEY/INDEX lines) from a CREATE
// TABLE statement and returns them as "ADD KEY ..." clauses. Import creates them again with
// one ALTER TABLE once the table's rows are in: building an index by sorting is far cheaper
// than updating it row by row. Tables with foreign keys keep their indexes (a constraint
// needs its index while the table exists); so do statements Ferry cannot take apart safely.
func splitSecondaryKeys(text []byte) ([]byte, []string) {
	if bytes.Contains(bytes.ToUpper(text), []byte("FOREIGN KEY")) {
		return text, nil
	}
	open := bytes.IndexByte(text, '(')
	if open < 0 {
		return text, nil
	}
	// cut the definition list at its top-level commas
	l := lexer{s: text[open+1:]}
	depth := 0
	var items [][2]int // offsets in text
	start := open + 1
	closeAt := -1
	for closeAt < 0 {
		t := l.next()
		if t.kind == tkEOF {
			return text, nil
		}
		if t.kind != tkPunct {
			continue
		}
		switch t.text[0] {
		case '(':
			depth++
		case ')':
			if depth == 0 {
				closeAt = open + 1 + t.pos
				items = append(items, [2]int{start, closeAt})
			}
			depth--
		case ',':
			if depth == 0 {
				items = append(items, [2]int{start, open + 1 + t.pos})
				start = open + 2 + t.pos
			}
		}
	}
	var keep, deferred []string
	for _, it := range items {
		item := strings.TrimSpace(string(text[it[0]:it[1]]))
		words := firstWords([]byte(item), 1)
		if len(words) == 1 && (words[0] == "KEY" || words[0] == "INDEX") {
			deferred = append(deferred, "ADD "+item)
			continue
		}
		keep = append(keep, item)
	}
	if len(deferred) == 0 || len(keep) == 0 {
		return text, nil
	}
	var b bytes.Buffer
	b.Write(text[:open+1])
	b.WriteString("\n  ")
	b.WriteString(strings.Join(keep, ",\n  "))
	b.WriteString("\n")
	b.Write(text[closeAt:])
	return b.Bytes(), deferred
}
