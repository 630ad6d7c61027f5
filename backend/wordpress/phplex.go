package wordpress

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrConfigSyntax is wrapped when wp-config.php cannot be read as PHP (no "<?php", an
// unterminated string or comment).
var ErrConfigSyntax = errors.New("wp-config.php is not readable PHP")

// tokKind is the kind of one PHP token Ferry cares about.
type tokKind int

const (
	tokIdent  tokKind = iota // define, getenv, true, ABSPATH, __DIR__
	tokVar                   // $table_prefix
	tokString                // '...' or "..."
	tokNumber                // 3306, 0.5
	tokPunct                 // ( ) , ; = . ?: ?? [ ] and anything else, one byte or two
)

// token is one lexeme of wp-config.php with its byte range in the file.
type token struct {
	kind       tokKind
	text       string // source text (for strings: the decoded value)
	start, end int
	// dynamic is set for a double-quoted string holding a $variable, which PHP would
	// interpolate: Ferry cannot know its value.
	dynamic bool
}

// lexPHP splits the PHP code of src into tokens, skipping comments, whitespace and
// any inline HTML outside <?php ... ?>. It understands just enough PHP for the
// statements wp-config.php files use.
func lexPHP(src []byte) ([]token, error) {
	open := strings.Index(string(src), "<?php")
	if open < 0 {
		return nil, fmt.Errorf("%w: no <?php tag", ErrConfigSyntax)
	}
	var toks []token
	i := open + len("<?php")
	line := func(pos int) int { return 1 + strings.Count(string(src[:pos]), "\n") }
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '#' && i+1 < len(src) && src[i+1] == '[':
			// A PHP 8 attribute: skip to the closing bracket like a comment.
			end := strings.IndexByte(string(src[i:]), ']')
			if end < 0 {
				return nil, fmt.Errorf("%w: unterminated attribute on line %d", ErrConfigSyntax, line(i))
			}
			i += end + 1
		case c == '#' || c == '/' && i+1 < len(src) && src[i+1] == '/':
			// A line comment ends at the newline or at "?>".
			for i < len(src) && src[i] != '\n' && !(src[i] == '?' && i+1 < len(src) && src[i+1] == '>') {
				i++
			}
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			end := strings.Index(string(src[i+2:]), "*/")
			if end < 0 {
				return nil, fmt.Errorf("%w: unterminated comment on line %d", ErrConfigSyntax, line(i))
			}
			i += 2 + end + 2
		case c == '?' && i+1 < len(src) && src[i+1] == '>':
			// Back to inline HTML until the next <?php.
			next := strings.Index(string(src[i+2:]), "<?php")
			if next < 0 {
				return toks, nil
			}
			i += 2 + next + len("<?php")
		case c == '\'':
			t, err := lexSingle(src, i)
			if err != nil {
				return nil, fmt.Errorf("%w on line %d", err, line(i))
			}
			toks = append(toks, t)
			i = t.end
		case c == '"':
			t, err := lexDouble(src, i)
			if err != nil {
				return nil, fmt.Errorf("%w on line %d", err, line(i))
			}
			toks = append(toks, t)
			i = t.end
		case c == '$' && i+1 < len(src) && isIdentStart(src[i+1]):
			j := i + 1
			for j < len(src) && isIdentByte(src[j]) {
				j++
			}
			toks = append(toks, token{kind: tokVar, text: string(src[i:j]), start: i, end: j})
			i = j
		case isIdentStart(c) || c == '\\':
			j := i
			for j < len(src) && (isIdentByte(src[j]) || src[j] == '\\') {
				j++
			}
			toks = append(toks, token{kind: tokIdent, text: string(src[i:j]), start: i, end: j})
			i = j
		case c >= '0' && c <= '9':
			j := i
			for j < len(src) && (isIdentByte(src[j]) || src[j] == '.') {
				j++
			}
			toks = append(toks, token{kind: tokNumber, text: string(src[i:j]), start: i, end: j})
			i = j
		default:
			n := 1
			if i+1 < len(src) {
				switch string(src[i : i+2]) {
				case "?:", "??", "::", "=>", "==", "!=", "&&", "||", "->":
					n = 2
				}
			}
			toks = append(toks, token{kind: tokPunct, text: string(src[i : i+n]), start: i, end: i + n})
			i += n
		}
	}
	return toks, nil
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80
}

func isIdentByte(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

// lexSingle reads a single-quoted string: only \\ and \' are escapes.
func lexSingle(src []byte, start int) (token, error) {
	var b strings.Builder
	for i := start + 1; i < len(src); i++ {
		switch src[i] {
		case '\\':
			if i+1 < len(src) && (src[i+1] == '\\' || src[i+1] == '\'') {
				b.WriteByte(src[i+1])
				i++
				continue
			}
			b.WriteByte('\\')
		case '\'':
			return token{kind: tokString, text: b.String(), start: start, end: i + 1}, nil
		default:
			b.WriteByte(src[i])
		}
	}
	return token{}, fmt.Errorf("%w: unterminated string", ErrConfigSyntax)
}

// lexDouble reads a double-quoted string with PHP's escapes; a $variable inside marks
// the token dynamic.
func lexDouble(src []byte, start int) (token, error) {
	var b strings.Builder
	dynamic := false
	for i := start + 1; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '"':
			return token{kind: tokString, text: b.String(), start: start, end: i + 1, dynamic: dynamic}, nil
		case c == '$' && i+1 < len(src) && (isIdentStart(src[i+1]) || src[i+1] == '{'):
			dynamic = true
			b.WriteByte(c)
		case c == '{' && i+1 < len(src) && src[i+1] == '$':
			dynamic = true
			b.WriteByte(c)
		case c == '\\' && i+1 < len(src):
			i++
			switch e := src[i]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'v':
				b.WriteByte('\v')
			case 'f':
				b.WriteByte('\f')
			case 'e':
				b.WriteByte(0x1b)
			case '\\', '$', '"':
				b.WriteByte(e)
			case 'x':
				j := i + 1
				for j < len(src) && j < i+3 && isHex(src[j]) {
					j++
				}
				if j == i+1 {
					b.WriteString(`\x`)
					continue
				}
				v, _ := strconv.ParseUint(string(src[i+1:j]), 16, 8)
				b.WriteByte(byte(v))
				i = j - 1
			case '0', '1', '2', '3', '4', '5', '6', '7':
				j := i
				for j < len(src) && j < i+3 && src[j] >= '0' && src[j] <= '7' {
					j++
				}
				v, _ := strconv.ParseUint(string(src[i:j]), 8, 16)
				b.WriteByte(byte(v))
				i = j - 1
			case 'u':
				if i+1 < len(src) && src[i+1] == '{' {
					end := strings.IndexByte(string(src[i:]), '}')
					if end > 0 {
						if v, err := strconv.ParseUint(string(src[i+2:i+end]), 16, 32); err == nil {
							b.WriteRune(rune(v))
							i += end
							continue
						}
					}
				}
				b.WriteString(`\u`)
			default:
				b.WriteByte('\\')
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
		}
	}
	return token{}, fmt.Errorf("%w: unterminated string", ErrConfigSyntax)
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// quotePHP writes s as a PHP single-quoted string literal, escaping \ and '.
func quotePHP(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' || s[i] == '\'' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('\'')
	return b.String()
}
