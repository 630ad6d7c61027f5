package mysqldb

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ValueRewriter changes string values as rows stream from a dump into the destination; the
// WordPress layer plugs its serialized-safe URL replacement in here, so no second pass over
// the database is needed.
//
// RewriteString receives the unescaped bytes of one string literal inside an INSERT's VALUES,
// the table and the column ("" when the column is not known). It returns the new value and
// whether it changed; an unchanged value is written back exactly as it was read. value is
// only valid during the call. Calls for different statements may come from one goroutine
// only: Import and RewriteStream never call a rewriter concurrently.
type ValueRewriter interface {
	RewriteString(table, column string, value []byte) ([]byte, bool)
}

// NeedleRewriter is a ValueRewriter that can say which bytes a value must contain to be
// changed at all. Literals (and whole statements) that contain none of the needles are then
// copied without calling RewriteString, which keeps the common case at memory speed.
type NeedleRewriter interface {
	ValueRewriter
	Needles() [][]byte
}

// AppendRewriter is a ValueRewriter that can append the new value to a buffer the caller
// reuses for every value, which spares an allocation per changed value. When the value
// does not change it returns dst as it was and false.
type AppendRewriter interface {
	ValueRewriter
	AppendRewriteString(dst []byte, table, column string, value []byte) ([]byte, bool)
}

// RewriteStats counts what a rewrite did.
type RewriteStats struct {
	Statements int64 // statements read
	Literals   int64 // string literals passed to RewriteString
	Changed    int64 // literals RewriteString changed
	BytesIn    int64
	BytesOut   int64
}

// RewriteStream copies SQL from r to w, passing every string literal of every INSERT through
// rw. Everything else, comments and whitespace included, is copied byte for byte.
func RewriteStream(ctx context.Context, r io.Reader, w io.Writer, rw ValueRewriter) (RewriteStats, error) {
	var st RewriteStats
	in, err := decompress(r)
	if err != nil {
		return st, err
	}
	sp := NewSplitter(in, 0)
	bw := bufio.NewWriterSize(w, 256<<10)
	rv := newRewriter(rw)
	schema := map[string][]string{}
	for {
		if st.Statements%256 == 0 {
			if err := ctx.Err(); err != nil {
				return st, err
			}
		}
		s, err := sp.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return st, fmt.Errorf("rewrite sql: %w", err)
		}
		st.BytesIn += int64(len(s.Raw))
		out := s.Raw
		var pre, suffix []byte
		if len(s.Text) > 0 {
			st.Statements++
			text, err := rv.statement(s, schema, false)
			if err != nil {
				return st, fmt.Errorf("rewrite sql at line %d: %w", s.Line, err)
			}
			if len(text) != len(s.Text) || len(text) > 0 && &text[0] != &s.Text[0] {
				// changed: the comments before and the delimiter after go around the new text,
				// written in three parts rather than copied together
				pre = s.Raw[:cap(s.Raw)-cap(s.Text)] // Text lies inside Raw (same buffer)
				suffix = s.Raw[len(pre)+len(s.Text):]
				out = text
			}
		}
		for _, b := range [][]byte{pre, out, suffix} {
			st.BytesOut += int64(len(b))
			if _, err := bw.Write(b); err != nil {
				return st, fmt.Errorf("write sql: %w", err)
			}
		}
	}
	st.Literals, st.Changed = rv.literals, rv.changed
	if err := bw.Flush(); err != nil {
		return st, fmt.Errorf("write sql: %w", err)
	}
	return st, nil
}

// rewriter applies a ValueRewriter to statements; it owns the scratch buffers.
type rewriter struct {
	rw       ValueRewriter
	arw      AppendRewriter // rw, when it can append to value
	value    []byte         // the last value arw built
	needles  [][]byte
	segments [][]byte // for each needle, its longest run without bytes escaping can change
	out      []byte
	scratch  []byte
	literals int64
	changed  int64
	tuples   int64 // rows in the last statement passed to values
	odd      bool  // the current statement may have unusual escapes: check literals without a needle
	plain    bool  // every needle is its own plain run: a raw literal holding one holds a needle
}

func newRewriter(rw ValueRewriter) *rewriter {
	r := &rewriter{rw: rw}
	r.arw, _ = rw.(AppendRewriter)
	defer func() {
		r.plain = r.needles != nil
		for i, n := range r.needles {
			r.plain = r.plain && len(r.segments[i]) == len(n)
		}
	}()
	if nr, ok := rw.(NeedleRewriter); ok {
		for _, n := range nr.Needles() {
			if len(n) == 0 {
				r.needles = nil // an empty needle matches everything
				r.segments = nil
				break
			}
			r.needles = append(r.needles, n)
			r.segments = append(r.segments, longestPlainRun(n))
		}
	}
	return r
}

// escapable are the bytes a dump may write differently from their value.
func escapable(c byte) bool {
	return c == '\\' || c == '\'' || c == '"' || c == 0 || c == '\n' || c == '\r' || c == 0x1a || c == '\t' || c == '\b'
}

func longestPlainRun(n []byte) []byte {
	var best []byte
	start := 0
	for i := 0; i <= len(n); i++ {
		if i == len(n) || escapable(n[i]) {
			if i-start > len(best) {
				best = n[start:i]
			}
			start = i + 1
		}
	}
	return best
}

// mayMatch reports whether raw SQL text can hold a value containing a needle: the plain
// run of some needle must appear in it, unless the text uses unusual escapes (`\/`), after
// which Ferry cannot tell cheaply and looks at every literal.
func (r *rewriter) mayMatch(text []byte, odd bool) bool {
	if r.needles == nil || odd {
		return true
	}
	for _, seg := range r.segments {
		if len(seg) == 0 || bytes.Contains(text, seg) {
			return true
		}
	}
	return false
}

// begin prepares the per-literal checks for the INSERT text and reports whether any of its
// values can contain a needle. The costly scan for unusual escapes runs only when the
// plain text holds no needle; otherwise each literal without one is checked on its own.
func (r *rewriter) begin(text []byte) bool {
	r.odd = false
	if r.needles == nil {
		return true
	}
	if r.mayMatch(text, false) {
		r.odd = true // unknown for the statement: literal decides per literal
		return true
	}
	// no needle in plain sight: only unusual escapes could hide one
	return oddEscapes(text)
}

// oddEscapes reports a backslash escape other than those mysqldump writes.
func oddEscapes(text []byte) bool {
	for i := 0; ; {
		j := bytes.IndexByte(text[i:], '\\')
		if j < 0 {
			return false
		}
		i += j + 1
		if i < len(text) {
			switch text[i] {
			case '0', '\'', '"', 'b', 'n', 'r', 't', 'Z', '\\', '%', '_':
			default:
				return true
			}
			i++
		}
	}
}

// statement returns s's text with its literals rewritten; with whole it returns the full
// Raw bytes (comments and delimiter included), else only the statement text.
func (r *rewriter) statement(s Statement, schema map[string][]string, whole bool) ([]byte, error) {
	pick := func(b []byte) []byte {
		if whole {
			return s.Raw
		}
		return b
	}
	if r.rw == nil {
		return pick(s.Text), nil
	}
	words := firstWords(s.Text, 3)
	if len(words) == 0 {
		return pick(s.Text), nil
	}
	switch words[0] {
	case "CREATE":
		if len(words) >= 2 && (words[1] == "TABLE" || (words[1] == "TEMPORARY" && len(words) == 3 && words[2] == "TABLE")) {
			if names := tableNames(s.Text); len(names) == 1 {
				schema[names[0]] = createColumns(s.Text)
			}
		}
		return pick(s.Text), nil
	case "INSERT", "REPLACE":
	default:
		return pick(s.Text), nil
	}
	if !r.begin(s.Text) {
		return pick(s.Text), nil
	}
	l := lexer{s: s.Text}
	l.next()
	a, ok, _ := insertHeader(&l, "")
	if !ok {
		return pick(s.Text), nil
	}
	cols := a.columns
	if cols == nil {
		cols = schema[a.tables[0]]
	}
	text, err := r.values(s.Text, a.values, a.tables[0], cols)
	if err != nil {
		return nil, err
	}
	if !whole {
		return text, nil
	}
	if &text[0] == &s.Text[0] && len(text) == len(s.Text) {
		return s.Raw, nil
	}
	// Text lies inside Raw (same buffer), so the capacity difference is its offset
	pre := s.Raw[:cap(s.Raw)-cap(s.Text)]
	suffix := s.Raw[len(pre)+len(s.Text):]
	res := make([]byte, 0, len(pre)+len(text)+len(suffix))
	res = append(append(append(res, pre...), text...), suffix...)
	return res, nil
}

// values walks the VALUES tuples of an INSERT starting at text[at:], rewriting string
// literals. It returns text itself when nothing changed. It also refuses function calls that
// read server files, which a dump never contains.
func (r *rewriter) values(text []byte, at int, table string, cols []string) ([]byte, error) {
	out := r.out[:0]
	copied := 0 // text[:copied] is already in out (when out is in use)
	dirty := false
	depth, col := 0, 0
	r.tuples = 0
	for i := at; i < len(text); {
		c := text[i]
		switch {
		case c == '\'' || c == '"':
			end := stringEnd(text, i)
			if r.rw != nil && depth > 0 {
				lit := text[i+1 : max(i+1, end-1)]
				if nv, ok := r.literal(table, colName(cols, col), lit, text[i]); ok {
					if !dirty {
						out = append(out, text[:i]...)
						dirty = true
					} else {
						out = append(out, text[copied:i]...)
					}
					out = appendQuoted(out, nv)
					copied = end
				}
			}
			i = end
		case c == '(':
			depth++
			if depth == 1 {
				col = 0
				r.tuples++
			}
			i++
		case c == ')':
			depth--
			i++
		case c == ',':
			if depth == 1 {
				col++
			}
			i++
		case c == '`':
			j := bytes.IndexByte(text[i+1:], '`')
			if j < 0 {
				i = len(text)
			} else {
				i += j + 2
			}
		case (c == 'x' || c == 'X' || c == 'b' || c == 'B') && i+1 < len(text) && text[i+1] == '\'':
			i = stringEnd(text, i+1) // hex and bit literals are not text
		case isWordByte(c) && !(c >= '0' && c <= '9'):
			j := i
			for j < len(text) && isWordByte(text[j]) {
				j++
			}
			w := text[i:j]
			if len(w) == 9 && strings.EqualFold(string(w), "LOAD_FILE") || len(w) == 6 && strings.EqualFold(string(w), "SELECT") {
				return nil, fmt.Errorf("values call %s: %w", strings.ToUpper(string(w)), errValuesRefused)
			}
			if depth == 0 && !strings.EqualFold(string(w), "VALUES") {
				i = len(text) // ON DUPLICATE KEY UPDATE ...: not row data
				continue
			}
			i = j
		default:
			i++
		}
	}
	if !dirty {
		return text, nil
	}
	out = append(out, text[copied:]...)
	r.out = out
	return out, nil
}

var errValuesRefused = errors.New("refused function in VALUES")

func colName(cols []string, i int) string {
	if i < len(cols) {
		return cols[i]
	}
	return ""
}

// literal unescapes one literal, asks the rewriter, and reports the new value if changed.
func (r *rewriter) literal(table, column string, raw []byte, quote byte) ([]byte, bool) {
	seen := r.mayMatch(raw, false)
	if !seen && (!r.odd || !oddEscapes(raw)) {
		return nil, false // cheap: no needle can be inside, escaped or not
	}
	val := raw
	escaped := bytes.IndexByte(raw, '\\') >= 0 || bytes.IndexByte(raw, quote) >= 0
	if escaped {
		r.scratch = unescapeLit(r.scratch[:0], raw, quote)
		val = r.scratch
	}
	// a needle without escapable bytes seen in the raw literal is in its value too (an
	// escape only turns its own two bytes into one), so only other literals are checked
	if r.needles != nil && !(r.plain && seen) {
		hit := false
		for _, n := range r.needles {
			if bytes.Contains(val, n) {
				hit = true
				break
			}
		}
		if !hit {
			return nil, false
		}
	}
	r.literals++
	if r.arw != nil {
		nv, changed := r.arw.AppendRewriteString(r.value[:0], table, column, val)
		if changed {
			r.value = nv
			r.changed++
		}
		return nv, changed
	}
	nv, changed := r.rw.RewriteString(table, column, val)
	if changed {
		r.changed++
	}
	return nv, changed
}

// unescape appends the value of a single-quoted MySQL string literal body to dst.
func unescape(dst, raw []byte) []byte { return unescapeLit(dst, raw, '\'') }

// unescapeLit appends the value of a MySQL string literal body (quotes removed) quoted
// with quote to dst. Runs without escapes are copied whole.
func unescapeLit(dst, raw []byte, quote byte) []byte {
	if bytes.Contains(raw, []byte{quote, quote}) {
		return unescapeSlow(dst, raw, quote) // doubled quotes; an escaped one (\') is fine below
	}
	for {
		k := bytes.IndexByte(raw, '\\')
		if k < 0 || k+1 >= len(raw) {
			return append(dst, raw...)
		}
		dst = append(dst, raw[:k]...)
		if e := raw[k+1]; unescapeTable[e] != 0 {
			dst = append(dst, unescapeTable[e])
		} else if e == '0' {
			dst = append(dst, 0)
		} else if e == '%' || e == '_' {
			dst = append(dst, '\\', e) // MySQL keeps the backslash of \% and \_
		} else {
			dst = append(dst, e)
		}
		raw = raw[k+2:]
	}
}

// unescapeTable maps the letter of an escape to its byte; zero for "the letter itself".
var unescapeTable = func() (t [256]byte) {
	t['b'] = '\b'
	t['n'] = '\n'
	t['r'] = '\r'
	t['t'] = '\t'
	t['Z'] = 0x1a
	return t
}()

// unescapeSlow is unescapeLit for bodies with doubled quotes.
func unescapeSlow(dst, raw []byte, quote byte) []byte {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '\\' && i+1 < len(raw) {
			i++
			switch e := raw[i]; e {
			case '0':
				dst = append(dst, 0)
			case 'b':
				dst = append(dst, '\b')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'Z':
				dst = append(dst, 0x1a)
			case '%', '_':
				dst = append(dst, '\\', e) // MySQL keeps the backslash of \% and \_
			default:
				dst = append(dst, e)
			}
			continue
		}
		if c == quote && i+1 < len(raw) && raw[i+1] == c {
			i++ // doubled quote
		}
		dst = append(dst, c)
	}
	return dst
}

var escapeTable = func() (t [256]byte) {
	t[0] = '0'
	t['\n'] = 'n'
	t['\r'] = 'r'
	t['\\'] = '\\'
	t['\''] = '\''
	t['"'] = '"'
	t[0x1a] = 'Z'
	return t
}()

// appendEscaped appends v escaped the way mysqldump escapes string values.
func appendEscaped(dst, v []byte) []byte {
	start := 0
	for i, c := range v {
		if e := escapeTable[c]; e != 0 {
			dst = append(dst, v[start:i]...)
			dst = append(dst, '\\', e)
			start = i + 1
		}
	}
	return append(dst, v[start:]...)
}

// appendQuoted appends v as a single-quoted, escaped SQL string literal.
func appendQuoted(dst, v []byte) []byte {
	dst = append(dst, '\'')
	dst = appendEscaped(dst, v)
	return append(dst, '\'')
}

// createColumns lists the column names of a CREATE TABLE statement in order, so INSERTs
// without a column list can still tell the rewriter which column a value belongs to.
func createColumns(text []byte) []string {
	open := bytes.IndexByte(text, '(')
	if open < 0 {
		return nil
	}
	l := lexer{s: text[open+1:]}
	var cols []string
	depth := 0
	atStart := true
	for {
		t := l.next()
		if t.kind == tkEOF {
			return cols
		}
		if t.kind == tkPunct {
			switch t.text[0] {
			case '(':
				depth++
			case ')':
				if depth == 0 {
					return cols
				}
				depth--
			case ',':
				if depth == 0 {
					atStart = true
					continue
				}
			}
		}
		if atStart {
			atStart = false
			if n, ok := t.name(); ok {
				switch up := strings.ToUpper(n); {
				case t.kind == tkWord && (up == "PRIMARY" || up == "KEY" || up == "UNIQUE" || up == "INDEX" || up == "CONSTRAINT" || up == "FULLTEXT" || up == "SPATIAL" || up == "FOREIGN" || up == "CHECK" || up == "PERIOD"):
				default:
					cols = append(cols, n)
				}
			}
		}
	}
}
