package archive

import (
	"bytes"
	"regexp"
	"strings"
)

// lexState is where the SQL lexer stands: in code, inside a quoted string or
// identifier, or inside a comment.
type lexState uint8

const (
	stCode lexState = iota
	stSingle
	stDouble
	stBacktick
	stLineComment
	stBlockComment
)

// stmtMode is how much of the current statement the scanner keeps. Only statement
// heads are kept (to tell CREATE TABLE from INSERT); the gigabytes of INSERT data are
// only counted, except for INSERTs into *options, whose tuples are parsed for siteurl,
// home and db_version.
type stmtMode uint8

const (
	modeHead    stmtMode = iota // keeping text until the statement is recognised
	modeSkip                    // uninteresting: lexing only
	modeRows                    // INSERT: counting top-level tuples
	modeOptions                 // INSERT into *options: parsing tuples
)

const (
	headCap  = 64 << 10 // CREATE TABLE statements of big plugins fit with room to spare
	fieldCap = 4 << 10  // an option value longer than this is not a URL Ferry needs
)

// lexer splits a MySQL dump into statements the way the mysql client does: quotes
// with backslash escapes and doubled quotes, backtick identifiers, "-- ", "#" and
// "/* */" comments, "/*!40101 ... */" executable comments (their content is code) and
// the DELIMITER command. It is fed chunks and keeps only small state between them.
type lexer struct {
	st         lexState
	delim      []byte
	exec       bool // inside /*!NNNNN ... */, whose text is code
	skipDigits bool // just after /*! : the version number
	depth      int  // parentheses in code
	mode       stmtMode
	code       bool // the statement holds code (not only comments)
	head       []byte
	comment    []byte

	table string   // INSERT target
	cols  []string // INSERT column list, for *options
	field []byte
	tuple []string

	onStatement func(head []byte, complete bool)
	onComment   func(text []byte)
	onTuple     func(table string, cols []string, values []string)
	onRows      func(table string, n int64)
	statements  int64
}

func newLexer() *lexer { return &lexer{delim: []byte(";")} }

// need reports whether k bytes from i are available; when they are not and more input
// is coming, feed stops and the caller carries the rest over to the next chunk.
func need(b []byte, i, k int, eof bool) bool { return i+k <= len(b) || eof }

// feed lexes b and returns how many bytes it consumed; the rest (a few bytes at most)
// must be passed again at the start of the next call. eof says b ends the input.
func (lx *lexer) feed(b []byte, eof bool) int {
	i := 0
	for i < len(b) {
		switch lx.st {
		case stCode:
			c := b[i]
			if lx.skipDigits {
				if c >= '0' && c <= '9' {
					i++
					continue
				}
				lx.skipDigits = false
				if c == '\\' { // MariaDB's "/*M!999999\- enable the sandbox mode */" is a comment
					lx.exec, lx.st = false, stBlockComment
					i++
					continue
				}
			}
			if c == lx.delim[0] {
				if !need(b, i, len(lx.delim), eof) {
					return i
				}
				if bytes.HasPrefix(b[i:], lx.delim) && !lx.isDelimiterCommand() {
					lx.endStatement(true)
					i += len(lx.delim)
					continue
				}
			}
			switch c {
			case '\'', '"', '`':
				lx.code = true
				lx.keep(c)
				switch c {
				case '\'':
					lx.st = stSingle
				case '"':
					lx.st = stDouble
				default:
					lx.st = stBacktick
				}
				i++
				continue
			case '-':
				if !need(b, i, 3, eof) {
					return i
				}
				if i+1 < len(b) && b[i+1] == '-' && (i+2 == len(b) || b[i+2] <= ' ') {
					lx.st, lx.comment = stLineComment, lx.comment[:0]
					i += 2
					continue
				}
			case '#':
				lx.st, lx.comment = stLineComment, lx.comment[:0]
				i++
				continue
			case '/':
				if !need(b, i, 4, eof) {
					return i
				}
				if i+1 < len(b) && b[i+1] == '*' {
					switch {
					case i+2 < len(b) && b[i+2] == '!':
						lx.exec, lx.skipDigits = true, true
						i += 3
					case i+3 < len(b) && b[i+2] == 'M' && b[i+3] == '!':
						lx.exec, lx.skipDigits = true, true
						i += 4
					default:
						lx.st = stBlockComment
						i += 2
					}
					lx.keep(' ')
					continue
				}
			case '*':
				if lx.exec {
					if !need(b, i, 2, eof) {
						return i
					}
					if i+1 < len(b) && b[i+1] == '/' {
						lx.exec = false
						lx.keep(' ')
						i += 2
						continue
					}
				}
			case '(':
				lx.open()
				i++
				continue
			case ')':
				lx.close()
				i++
				continue
			case ',':
				if lx.mode == modeOptions && lx.depth == 1 {
					lx.endField()
					i++
					continue
				}
			case '\n':
				if lx.mode == modeHead && lx.isDelimiterCommand() {
					lx.setDelimiter()
					i++
					continue
				}
			}
			if c > ' ' {
				lx.code = true
			}
			lx.keep(c)
			i++

		case stSingle, stDouble:
			q := byte('\'')
			if lx.st == stDouble {
				q = '"'
			}
			j := indexQuoteOrBackslash(b[i:], q)
			if j < 0 {
				lx.keepRaw(b[i:])
				lx.keepField(b[i:])
				i = len(b)
				continue
			}
			lx.keepRaw(b[i : i+j])
			lx.keepField(b[i : i+j])
			i += j
			if !need(b, i, 2, eof) {
				return i
			}
			if b[i] == '\\' {
				if i+1 >= len(b) { // a backslash as the last byte of the input: cut short
					i++
					continue
				}
				lx.keepRaw(b[i : i+2])
				lx.keepField([]byte{unescape(b[i+1])})
				i += 2
				continue
			}
			if i+1 < len(b) && b[i+1] == q { // doubled quote
				lx.keepRaw(b[i : i+2])
				lx.keepField(b[i : i+1])
				i += 2
				continue
			}
			lx.keepRaw(b[i : i+1])
			lx.st = stCode
			i++

		case stBacktick:
			j := bytes.IndexByte(b[i:], '`')
			if j < 0 {
				lx.keepRaw(b[i:])
				i = len(b)
				continue
			}
			lx.keepRaw(b[i : i+j])
			i += j
			if !need(b, i, 2, eof) {
				return i
			}
			if i+1 < len(b) && b[i+1] == '`' { // a doubled backtick inside the name
				lx.keepRaw(b[i : i+2])
				i += 2
				continue
			}
			lx.keepRaw(b[i : i+1])
			lx.st = stCode
			i++

		case stLineComment:
			j := bytes.IndexByte(b[i:], '\n')
			end := len(b)
			if j >= 0 {
				end = i + j
			}
			if room := 160 - len(lx.comment); room > 0 {
				lx.comment = append(lx.comment, b[i:min(end, i+room)]...)
			}
			i = end
			if j >= 0 {
				lx.endComment()
				lx.st = stCode
				lx.keep(' ')
				// the newline itself is handled in code (it ends a DELIMITER command)
			}

		case stBlockComment:
			j := bytes.IndexByte(b[i:], '*')
			if j < 0 {
				i = len(b)
				continue
			}
			i += j
			if !need(b, i, 2, eof) {
				return i
			}
			if i+1 < len(b) && b[i+1] == '/' {
				lx.st = stCode
				i += 2
				continue
			}
			i++
		}
	}
	return i
}

// finish ends the input; it reports whether the input stopped cleanly (not inside a
// string, comment or statement) and, if not, where.
func (lx *lexer) finish() (clean bool, where string) {
	switch lx.st {
	case stSingle, stDouble:
		return false, "inside a quoted string"
	case stBacktick:
		return false, "inside a quoted name"
	case stBlockComment:
		return false, "inside a comment"
	case stLineComment:
		lx.endComment()
	}
	if lx.exec {
		return false, "inside a /*! */ block"
	}
	if lx.mode == modeHead && lx.isDelimiterCommand() {
		return true, ""
	}
	if lx.code {
		lx.endStatement(false)
		return false, "in the middle of a statement"
	}
	return true, ""
}

// indexQuoteOrBackslash finds the first q or backslash in b, or -1.
func indexQuoteOrBackslash(b []byte, q byte) int {
	j := bytes.IndexByte(b, q)
	upto := b
	if j >= 0 {
		upto = b[:j]
	}
	if k := bytes.IndexByte(upto, '\\'); k >= 0 {
		return k
	}
	return j
}

// unescape decodes MySQL's backslash escapes; \% and \_ keep their backslash in MySQL,
// but no URL option holds them, so the scan drops it.
func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 't':
		return '\t'
	case 'r':
		return '\r'
	case '0':
		return 0
	case 'b':
		return '\b'
	case 'Z':
		return 0x1a
	}
	return c
}

// keep adds a code byte to the head (or to the option field being parsed).
func (lx *lexer) keep(c byte) {
	switch lx.mode {
	case modeHead:
		if len(lx.head) >= headCap {
			lx.mode = modeSkip // a huge statement that is no INSERT: not one Ferry reads
			return
		}
		lx.head = append(lx.head, c)
	case modeOptions:
		if lx.depth >= 1 && c > ' ' && c != '\'' && c != '"' && c != '`' && len(lx.field) < fieldCap {
			lx.field = append(lx.field, c)
		}
	}
}

func (lx *lexer) keepRaw(p []byte) {
	if lx.mode == modeHead {
		if len(lx.head)+len(p) > headCap {
			lx.mode = modeSkip
			return
		}
		lx.head = append(lx.head, p...)
	}
}

func (lx *lexer) keepField(p []byte) {
	if lx.mode == modeOptions && lx.depth >= 1 {
		if room := fieldCap - len(lx.field); room > 0 {
			lx.field = append(lx.field, p[:min(len(p), room)]...)
		}
	}
}

var insertRe = regexp.MustCompile("(?is)^\\s*(?:INSERT|REPLACE)\\s+(?:(?:LOW_PRIORITY|DELAYED|HIGH_PRIORITY|IGNORE)\\s+)*(?:INTO\\s+)?((?:`(?:[^`]|``)+`|[A-Za-z0-9_$]+)(?:\\s*\\.\\s*(?:`(?:[^`]|``)+`|[A-Za-z0-9_$]+))?)\\s*(\\([^)]*\\))?\\s*VALUES?\\s*$")

func (lx *lexer) open() {
	if lx.mode == modeHead && lx.depth == 0 && len(lx.head) < 8192 {
		t := bytes.TrimLeft(lx.head, " \t\r\n")
		if len(t) > 6 && (strings.EqualFold(string(t[:6]), "insert") || strings.EqualFold(string(t[:7]), "replace")) {
			if m := insertRe.FindSubmatch(lx.head); m != nil {
				lx.table = unquoteName(string(m[1]))
				lx.cols = nil
				if len(m[2]) > 0 {
					lx.cols = splitColumns(string(m[2]))
				}
				lx.mode = modeRows
				if strings.HasSuffix(strings.ToLower(lx.table), "options") {
					lx.mode = modeOptions
				}
			}
		}
	}
	lx.code = true
	lx.keep('(')
	lx.depth++
	if lx.depth == 1 && (lx.mode == modeRows || lx.mode == modeOptions) {
		if lx.onRows != nil {
			lx.onRows(lx.table, 1)
		}
		lx.tuple, lx.field = lx.tuple[:0], lx.field[:0]
	}
}

func (lx *lexer) close() {
	if lx.depth > 0 {
		lx.depth--
	}
	if lx.mode == modeOptions && lx.depth == 0 {
		lx.endField()
		if lx.onTuple != nil {
			lx.onTuple(lx.table, lx.cols, lx.tuple)
		}
		return
	}
	lx.keep(')')
}

func (lx *lexer) endField() {
	lx.tuple = append(lx.tuple, string(lx.field))
	lx.field = lx.field[:0]
}

func (lx *lexer) endComment() {
	if lx.onComment != nil {
		lx.onComment(lx.comment)
	}
	lx.comment = lx.comment[:0]
}

func (lx *lexer) endStatement(complete bool) {
	if lx.code {
		lx.statements++
		if lx.mode == modeHead && lx.onStatement != nil {
			lx.onStatement(lx.head, complete)
		}
	}
	lx.head, lx.mode, lx.depth, lx.code, lx.table = lx.head[:0], modeHead, 0, false, ""
}

func (lx *lexer) isDelimiterCommand() bool {
	t := bytes.TrimLeft(lx.head, " \t\r\n")
	return len(t) >= 10 && strings.EqualFold(string(t[:9]), "delimiter") && (t[9] == ' ' || t[9] == '\t')
}

func (lx *lexer) setDelimiter() {
	t := bytes.TrimSpace(bytes.TrimLeft(lx.head, " \t\r\n")[9:])
	if len(t) > 0 && len(t) <= 16 {
		lx.delim = append([]byte(nil), t...)
	}
	lx.head, lx.mode, lx.depth, lx.code = lx.head[:0], modeHead, 0, false
}

// unquoteName turns `db`.`wp_options` or wp_options into wp_options.
func unquoteName(s string) string {
	if i := strings.LastIndex(s, "`.`"); i >= 0 {
		s = s[i+2:]
	} else if i := strings.LastIndex(s, "."); i >= 0 && !strings.Contains(s[i:], "`") {
		s = s[i+1:]
	}
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '`' && s[len(s)-1] == '`' {
		s = strings.ReplaceAll(s[1:len(s)-1], "``", "`")
	}
	return s
}

func splitColumns(list string) []string {
	list = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(list), "("), ")")
	var cols []string
	for _, c := range strings.Split(list, ",") {
		cols = append(cols, strings.ToLower(unquoteName(strings.TrimSpace(c))))
	}
	return cols
}
