package mysqldb

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxStatementBytes caps one statement the splitter will hold in memory. MySQL's own
// hard limit on max_allowed_packet is 1 GiB; Ferry keeps memory flat instead, and a dump with a
// bigger statement gets a clear error rather than an out-of-memory crash.
const DefaultMaxStatementBytes = 64 << 20

// ErrStatementTooLarge reports a statement longer than the splitter's limit.
var ErrStatementTooLarge = errors.New("statement too large")

// ErrTruncated reports a stream that ends inside a statement, string or comment.
var ErrTruncated = errors.New("sql stream ends inside a statement")

// Statement is one SQL statement found by a Splitter. Its slices stay valid only until the
// next call to Next.
type Statement struct {
	// Raw is every byte from the end of the previous statement through this statement's
	// delimiter: leading whitespace, comments and DELIMITER commands included, so that
	// writing Raw of every statement reproduces the input exactly.
	Raw []byte
	// Text is the statement itself, without leading comments and without its delimiter.
	// It is empty for the trailing comments after the last statement.
	Text []byte
	// Line is the 1-based line on which Text starts.
	Line int
	// Delimiter is the delimiter that ended the statement (";" unless a DELIMITER command
	// changed it, as dumps of triggers and routines do).
	Delimiter string
}

// Splitter cuts a stream of SQL into statements the way the mysql command-line client does:
// it understands quoted strings and identifiers, backslash escapes, doubled quotes, `--`,
// `#` and `/* */` comments, executable comments (`/*!40101 ... */`) and DELIMITER commands.
// It reads in blocks and never holds more than one statement (plus one block) in memory.
type Splitter struct {
	r     io.Reader
	buf   []byte
	start int // first byte of the statement being scanned
	end   int // end of valid data in buf
	eof   bool
	rerr  error
	max   int
	line  int // line number at buf[start]
	delim []byte
}

// NewSplitter returns a Splitter reading r. maxStatement caps one statement's size in bytes;
// zero means DefaultMaxStatementBytes.
func NewSplitter(r io.Reader, maxStatement int) *Splitter {
	if maxStatement <= 0 {
		maxStatement = DefaultMaxStatementBytes
	}
	return &Splitter{r: r, buf: make([]byte, 256<<10), max: maxStatement, line: 1, delim: []byte{';'}}
}

// fill reads more input, keeping buf[start:end]. It reports false at end of input.
func (s *Splitter) fill() (bool, error) {
	if s.eof {
		return false, s.rerr
	}
	if s.start > 0 {
		n := copy(s.buf, s.buf[s.start:s.end])
		s.end = n
		s.start = 0
	}
	if s.end == len(s.buf) {
		if len(s.buf) >= s.max+len(s.delim)+64<<10 {
			return false, fmt.Errorf("statement at line %d is longer than %d bytes: %w", s.line, s.max, ErrStatementTooLarge)
		}
		nb := make([]byte, min(2*len(s.buf), s.max+len(s.delim)+64<<10))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	for {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err != nil {
			s.eof = true
			if !errors.Is(err, io.EOF) {
				s.rerr = fmt.Errorf("read sql: %w", err)
				return n > 0, s.rerr
			}
			return n > 0, nil
		}
		if n > 0 {
			return true, nil
		}
	}
}

// scanner states; offsets are kept relative to s.start because fill moves the data.
const (
	stLead = iota // before the statement text: whitespace, comments, DELIMITER
	stBody
	stSingle
	stDouble
	stBacktick
	stLineComment
	stBlockComment
)

var bodySpecial = func() (t [256]bool) {
	for _, c := range []byte("'\"`-#/*") {
		t[c] = true
	}
	return t
}()

// Next returns the next statement, or io.EOF after the last one.
func (s *Splitter) Next() (Statement, error) {
	i := 0                              // scan position relative to start
	state := stLead                     //
	textAt := -1                        // relative offset of Text's first byte
	var ret = stLead                    // state to return to after a comment
	execDepth := 0                      // nesting of executable comments inside the statement
	quoteLine := 0                      // for error messages
	need := func(n int) (bool, error) { // ensures buf[start+i : start+i+n] is available
		for s.start+i+n > s.end {
			ok, err := s.fill()
			if err != nil {
				return false, err
			}
			if !ok {
				return false, nil
			}
		}
		return true, nil
	}
	for {
		if s.start+i >= s.end {
			ok, err := s.fill()
			if err != nil {
				return Statement{}, err
			}
			if !ok {
				return s.finish(i, state, textAt, quoteLine)
			}
		}
		b := s.buf[s.start:s.end]
		switch state {
		case stLead:
			c := b[i]
			switch {
			case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
				i++
			case c == '#':
				state, ret = stLineComment, stLead
				i++
			case c == '-':
				if _, err := need(3); err != nil {
					return Statement{}, err
				}
				b = s.buf[s.start:s.end]
				if i+1 < len(b) && b[i+1] == '-' && (i+2 >= len(b) || isSpace(b[i+2])) {
					state, ret = stLineComment, stLead
					i += 2
				} else {
					textAt, state = i, stBody
				}
			case c == '/':
				if _, err := need(13); err != nil {
					return Statement{}, err
				}
				b = s.buf[s.start:s.end]
				rest := b[i:]
				if len(rest) >= 2 && rest[1] == '*' && !(len(rest) >= 3 && rest[2] == '!') && !bytes.HasPrefix(rest, []byte("/*M!")) ||
					bytes.HasPrefix(rest, []byte(`/*M!999999\-`)) {
					state, ret = stBlockComment, stLead
					i += 2
				} else {
					textAt, state = i, stBody
				}
			case (c == 'D' || c == 'd') && s.atLineStart(i):
				if _, err := need(10); err != nil {
					return Statement{}, err
				}
				b = s.buf[s.start:s.end]
				if len(b)-i >= 10 && bytes.EqualFold(b[i:i+9], []byte("DELIMITER")) && (b[i+9] == ' ' || b[i+9] == '\t') {
					nl, err := s.lineEnd(i)
					if err != nil {
						return Statement{}, err
					}
					b = s.buf[s.start:s.end]
					d := bytes.TrimSpace(b[i+10 : nl])
					if len(d) == 0 {
						return Statement{}, fmt.Errorf("DELIMITER without a delimiter at line %d", s.line+bytes.Count(b[:i], nl1))
					}
					s.delim = append([]byte(nil), d...)
					i = nl
					continue
				}
				textAt, state = i, stBody
			default:
				textAt, state = i, stBody
			}
		case stBody:
			// fast scan to the next byte that can change state
			d0 := s.delim[0]
			for i < len(b) && !bodySpecial[b[i]] && b[i] != d0 {
				i++
			}
			if i >= len(b) {
				continue
			}
			c := b[i]
			if c == d0 && execDepth == 0 {
				if ok, err := need(len(s.delim)); err != nil {
					return Statement{}, err
				} else if ok {
					b = s.buf[s.start:s.end]
					if bytes.Equal(b[i:i+len(s.delim)], s.delim) {
						return s.emit(textAt, i, i+len(s.delim)), nil
					}
				}
				i++
				continue
			}
			switch c {
			case '\'':
				state, quoteLine = stSingle, i
				i++
			case '"':
				state, quoteLine = stDouble, i
				i++
			case '`':
				state, quoteLine = stBacktick, i
				i++
			case '#':
				state, ret = stLineComment, stBody
				i++
			case '-':
				if _, err := need(3); err != nil {
					return Statement{}, err
				}
				b = s.buf[s.start:s.end]
				if i+1 < len(b) && b[i+1] == '-' && (i+2 >= len(b) || isSpace(b[i+2])) {
					state, ret = stLineComment, stBody
					i += 2
				} else {
					i++
				}
			case '/':
				if _, err := need(3); err != nil {
					return Statement{}, err
				}
				b = s.buf[s.start:s.end]
				if i+1 < len(b) && b[i+1] == '*' {
					if i+2 < len(b) && b[i+2] == '!' || bytes.HasPrefix(b[i:], []byte("/*M!")) {
						execDepth++
						i += 3
					} else {
						state, ret, quoteLine = stBlockComment, stBody, i
						i += 2
					}
				} else {
					i++
				}
			case '*':
				if _, err := need(2); err != nil {
					return Statement{}, err
				}
				b = s.buf[s.start:s.end]
				if execDepth > 0 && i+1 < len(b) && b[i+1] == '/' {
					execDepth--
					i += 2
				} else {
					i++
				}
			default:
				i++
			}
		case stSingle, stDouble, stBacktick:
			q := byte('\'')
			if state == stDouble {
				q = '"'
			} else if state == stBacktick {
				q = '`'
			}
			// jump to the next quote; the backslashes right before it tell whether it is
			// escaped (backticks know no escapes)
			k := bytes.IndexByte(b[i:], q)
			if k < 0 {
				if q != '`' && oddBackslashes(b, i, len(b)) {
					i = len(b) + 1 // the last byte escapes the first one not yet read
				} else {
					i = len(b)
				}
				continue
			}
			qa := i + k
			if q != '`' && oddBackslashes(b, i, qa) {
				i = qa + 1
				continue
			}
			i = qa + 1
			// a doubled quote stays inside the string
			if ok, err := need(1); err != nil {
				return Statement{}, err
			} else if ok && s.buf[s.start+i] == q {
				i++
				continue
			}
			state = stBody
		case stLineComment:
			j := bytes.IndexByte(b[i:], '\n')
			if j < 0 {
				i = len(b)
				continue
			}
			i += j + 1
			state = ret
		case stBlockComment:
			j := bytes.Index(b[i:], []byte("*/"))
			if j < 0 {
				i = max(i, len(b)-1)
				if ok, err := need(2); err != nil {
					return Statement{}, err
				} else if !ok {
					return s.finish(len(b), stBlockComment, textAt, quoteLine)
				}
				continue
			}
			i += j + 2
			state = ret
		}
	}
}

var nl1 = []byte{'\n'}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// atLineStart reports whether relative offset i follows only blanks on its line.
func (s *Splitter) atLineStart(i int) bool {
	b := s.buf[s.start:s.end]
	for j := i - 1; j >= 0; j-- {
		switch b[j] {
		case '\n':
			return true
		case ' ', '\t', '\r':
		default:
			return false
		}
	}
	return true
}

// lineEnd returns the relative offset just past the newline ending the line at i.
func (s *Splitter) lineEnd(i int) (int, error) {
	for {
		b := s.buf[s.start:s.end]
		if j := bytes.IndexByte(b[i:], '\n'); j >= 0 {
			return i + j + 1, nil
		}
		ok, err := s.fill()
		if err != nil {
			return 0, err
		}
		if !ok {
			return s.end - s.start, nil
		}
	}
}

// emit consumes buf[start:start+next] and returns it as a statement.
func (s *Splitter) emit(textAt, textEnd, next int) Statement {
	b := s.buf[s.start:s.end]
	st := Statement{Raw: b[:next], Text: b[textAt:textEnd], Delimiter: string(s.delim)}
	st.Line = s.line + bytes.Count(b[:textAt], nl1)
	s.line = st.Line + bytes.Count(b[textAt:next], nl1)
	s.start += next
	return st
}

// finish handles end of input at relative offset i in the given state.
func (s *Splitter) finish(i, state, textAt, quoteAt int) (Statement, error) {
	b := s.buf[s.start:s.end]
	line := func(off int) int { return s.line + bytes.Count(b[:off], nl1) }
	switch {
	case state == stLead || (state == stLineComment && textAt < 0):
		if len(b) == 0 {
			return Statement{}, io.EOF
		}
		// only whitespace and comments are left: hand them back so output can keep them
		st := Statement{Raw: b, Line: line(len(b)), Delimiter: string(s.delim)}
		s.line = st.Line
		s.start = s.end
		return st, nil
	case state == stSingle || state == stDouble || state == stBacktick:
		return Statement{}, fmt.Errorf("unterminated quoted string starting at line %d: %w", line(quoteAt), ErrTruncated)
	case state == stBlockComment:
		if textAt < 0 {
			quoteAt = 0
		}
		return Statement{}, fmt.Errorf("unterminated comment starting at line %d: %w", line(quoteAt), ErrTruncated)
	}
	return Statement{}, fmt.Errorf("statement at line %d has no terminating %q (is the file truncated?): %w", line(textAt), s.delim, ErrTruncated)
}
