package mysqldb

import (
	"bytes"
)

// token kinds of the small lexer used to classify and check statements. It is not a SQL
// parser: it only needs words, identifiers, strings and punctuation in order.
const (
	tkEOF = iota
	tkWord
	tkIdent // `quoted identifier`, text unquoted
	tkString
	tkNumber
	tkPunct
)

type token struct {
	kind int
	text []byte // word as written, unquoted identifier, string literal with quotes, or punct
	pos  int
}

// upper reports whether t is the keyword kw (kw given in upper case).
func (t token) is(kw string) bool {
	return t.kind == tkWord && len(t.text) == len(kw) && bytes.EqualFold(t.text, []byte(kw))
}

// name returns an identifier's text for a word or quoted identifier.
func (t token) name() (string, bool) {
	if t.kind == tkWord || t.kind == tkIdent {
		return string(t.text), true
	}
	return "", false
}

type lexer struct {
	s         []byte
	i         int
	execDepth int
}

func isWordByte(c byte) bool {
	return c == '_' || c == '$' || c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// next returns the next token; comments are skipped and executable comments are transparent.
func (l *lexer) next() token {
	s := l.s
	for l.i < len(s) {
		c := s[l.i]
		switch {
		case isSpace(c):
			l.i++
		case c == '#' || (c == '-' && l.i+1 < len(s) && s[l.i+1] == '-' && (l.i+2 >= len(s) || isSpace(s[l.i+2]))):
			j := bytes.IndexByte(s[l.i:], '\n')
			if j < 0 {
				l.i = len(s)
			} else {
				l.i += j + 1
			}
		case c == '/' && l.i+1 < len(s) && s[l.i+1] == '*':
			rest := s[l.i:]
			if bytes.HasPrefix(rest, []byte(`/*M!999999\-`)) || !(bytes.HasPrefix(rest, []byte("/*!")) || bytes.HasPrefix(rest, []byte("/*M!"))) {
				j := bytes.Index(rest[2:], []byte("*/"))
				if j < 0 {
					l.i = len(s)
				} else {
					l.i += j + 4
				}
				continue
			}
			// executable comment: its content is SQL; skip the marker and version number
			l.i += 3
			if rest[2] == 'M' {
				l.i++
			}
			for l.i < len(s) && s[l.i] >= '0' && s[l.i] <= '9' {
				l.i++
			}
			l.execDepth++
		case c == '*' && l.execDepth > 0 && l.i+1 < len(s) && s[l.i+1] == '/':
			l.execDepth--
			l.i += 2
		case c == '\'' || c == '"':
			end := stringEnd(s, l.i)
			t := token{kind: tkString, text: s[l.i:end], pos: l.i}
			l.i = end
			return t
		case c == '`':
			start := l.i
			var name []byte
			j := l.i + 1
			for j < len(s) {
				if s[j] == '`' {
					if j+1 < len(s) && s[j+1] == '`' {
						name = append(name, '`')
						j += 2
						continue
					}
					break
				}
				name = append(name, s[j])
				j++
			}
			l.i = j + 1
			return token{kind: tkIdent, text: name, pos: start}
		case c >= '0' && c <= '9':
			start := l.i
			for l.i < len(s) && (isWordByte(s[l.i]) || s[l.i] == '.') {
				l.i++
			}
			return token{kind: tkNumber, text: s[start:l.i], pos: start}
		case isWordByte(c):
			start := l.i
			for l.i < len(s) && isWordByte(s[l.i]) {
				l.i++
			}
			return token{kind: tkWord, text: s[start:l.i], pos: start}
		default:
			l.i++
			return token{kind: tkPunct, text: s[l.i-1 : l.i], pos: l.i - 1}
		}
	}
	return token{kind: tkEOF, pos: len(s)}
}

// stringEnd returns the offset just past the string literal starting at s[i] (a quote).
// An unterminated literal ends at len(s). It jumps from quote to quote with IndexByte and
// tells an escaped quote by the backslashes right before it, so the many escapes of
// serialized values (\") cost nothing: literals are most of a dump's bytes.
func stringEnd(s []byte, i int) int {
	q := s[i]
	j := i + 1 // never inside an escape
	for {
		k := bytes.IndexByte(s[j:], q)
		if k < 0 {
			return len(s)
		}
		qa := j + k
		if oddBackslashes(s, j, qa) {
			j = qa + 1 // \' : the quote is escaped
			continue
		}
		if qa+1 < len(s) && s[qa+1] == q {
			j = qa + 2 // doubled quote
			continue
		}
		return qa + 1
	}
}

// oddBackslashes reports whether the run of backslashes ending just before s[at], counted
// back no further than from, is odd: then s[at] is escaped. from must not be inside an escape.
func oddBackslashes(s []byte, from, at int) bool {
	n := 0
	for p := at - 1; p >= from && s[p] == '\\'; p-- {
		n++
	}
	return n&1 == 1
}

// firstWords returns up to n leading keywords of a statement, upper-cased, stopping at the
// first token that is not a word.
func firstWords(text []byte, n int) []string {
	l := lexer{s: text}
	var out []string
	for len(out) < n {
		t := l.next()
		if t.kind != tkWord {
			break
		}
		out = append(out, string(bytes.ToUpper(t.text)))
	}
	return out
}
