package mysqldb

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"sync/atomic"

	"github.com/go-sql-driver/mysql"
)

// Rows reach the destination as LOAD DATA LOCAL streams rather than INSERT text where the
// server allows it: the server then skips lexing every string literal of every INSERT,
// which is most of what it spends on a WordPress dump besides InnoDB itself (measured on
// MariaDB 10.11: a quarter less server CPU for the same rows). Each INSERT ... VALUES of a
// dump is turned into tab-separated rows as it streams; an INSERT in any form Ferry does
// not turn into rows exactly (functions, bit literals, character set introducers,
// ON DUPLICATE KEY, INSERT IGNORE, REPLACE) is sent as it is.

// tsvBatch is rows of one table (and column list) waiting to be loaded.
type tsvBatch struct {
	table string
	cols  []string
	key   string // table and columns, to tell batches apart
	data  []byte
	rows  int64
}

// loadDataMax is the size of one LOAD DATA stream. The rows stream to the server in
// packets, so it is not bound by max_allowed_packet.
const loadDataMax = 4 << 20

// insertRows turns the VALUES tuples of an INSERT (text[at:]) into tab-separated rows
// appended to dst, in the escaping LOAD DATA reads by default. ok is false, and dst must be
// discarded, when a value is not one Ferry can express that way.
func insertRows(dst, text []byte, at int) (out []byte, rows int64, ok bool) {
	i := at
	n := len(text)
	skip := func() {
		for i < n && (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t') {
			i++
		}
	}
	fields := -1
	for {
		skip()
		if i >= n || text[i] != '(' {
			return dst, 0, false
		}
		i++
		f := 0
		for {
			skip()
			if i >= n {
				return dst, 0, false
			}
			if f > 0 {
				dst = append(dst, '\t')
			}
			var good bool
			if dst, i, good = appendField(dst, text, i); !good {
				return dst, 0, false
			}
			f++
			skip()
			if i >= n {
				return dst, 0, false
			}
			if text[i] == ',' {
				i++
				continue
			}
			if text[i] == ')' {
				i++
				break
			}
			return dst, 0, false
		}
		if fields >= 0 && f != fields {
			return dst, 0, false
		}
		fields = f
		dst = append(dst, '\n')
		rows++
		skip()
		if i >= n || text[i] == ';' {
			return dst, rows, true
		}
		if text[i] != ',' {
			return dst, 0, false // ON DUPLICATE KEY UPDATE ... or something else
		}
		i++
	}
}

// appendField converts the value at text[i:]: a quoted string, NULL, a number or a hex
// literal.
func appendField(dst, text []byte, i int) ([]byte, int, bool) {
	c := text[i]
	switch {
	case c == '\'' || c == '"':
		end := stringEnd(text, i)
		if end > len(text) || end-i < 2 || text[end-1] != c {
			return dst, i, false
		}
		return appendTSVString(dst, text[i+1:end-1], c), end, true
	case c == 'N' || c == 'n':
		if i+4 <= len(text) && strings.EqualFold(string(text[i:i+4]), "NULL") && (i+4 == len(text) || !isWordByte(text[i+4])) {
			return append(dst, '\\', 'N'), i + 4, true
		}
		return dst, i, false
	case c == '0' && i+1 < len(text) && (text[i+1] == 'x' || text[i+1] == 'X'):
		j := i + 2
		for j < len(text) && isHex(text[j]) {
			j++
		}
		if j == i+2 || (j-i)%2 != 0 || j < len(text) && isWordByte(text[j]) {
			return dst, i, false
		}
		return appendHexField(dst, text[i+2:j]), j, true
	case (c == 'x' || c == 'X') && i+1 < len(text) && text[i+1] == '\'':
		end := bytes.IndexByte(text[i+2:], '\'')
		if end < 0 || end%2 != 0 {
			return dst, i, false
		}
		h := text[i+2 : i+2+end]
		for _, b := range h {
			if !isHex(b) {
				return dst, i, false
			}
		}
		return appendHexField(dst, h), i + 3 + end, true
	case c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.':
		j := numberEnd(text, i)
		if j < 0 {
			return dst, i, false
		}
		return append(dst, text[i:j]...), j, true
	}
	return dst, i, false
}

// numberEnd returns where the number at text[i:] ends ([+-]digits[.digits][e[+-]digits]),
// or -1 when what is there is not just a number.
func numberEnd(text []byte, i int) int {
	digits := func() int {
		k := i
		for i < len(text) && text[i] >= '0' && text[i] <= '9' {
			i++
		}
		return i - k
	}
	if text[i] == '-' || text[i] == '+' {
		i++
	}
	n := digits()
	if i < len(text) && text[i] == '.' {
		i++
		n += digits()
	}
	if n == 0 {
		return -1
	}
	if i < len(text) && (text[i] == 'e' || text[i] == 'E') {
		i++
		if i < len(text) && (text[i] == '-' || text[i] == '+') {
			i++
		}
		if digits() == 0 {
			return -1
		}
	}
	if i < len(text) && (isWordByte(text[i]) || text[i] == '.' || text[i] == '+' || text[i] == '-' || text[i] == '*' || text[i] == '/') {
		return -1
	}
	return i
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// appendHexField appends the bytes written in hex, escaped for LOAD DATA.
func appendHexField(dst, h []byte) []byte {
	for k := 0; k+1 < len(h); k += 2 {
		dst = appendTSVByte(dst, unhex(h[k])<<4|unhex(h[k+1]))
	}
	return dst
}

// tsvEscape maps the bytes LOAD DATA must see escaped to their letter.
var tsvEscape = func() (t [256]byte) {
	t[0] = '0'
	t['\t'] = 't'
	t['\n'] = 'n'
	t['\\'] = '\\'
	return t
}()

func appendTSVByte(dst []byte, b byte) []byte {
	if e := tsvEscape[b]; e != 0 {
		return append(dst, '\\', e)
	}
	return append(dst, b)
}

// appendTSVString appends the value of a SQL string literal body (quotes removed) escaped
// for LOAD DATA. Runs without backslashes, quotes, tabs, newlines or NUL bytes are copied
// whole; an escape is decoded to its byte and written again in LOAD DATA's form.
func appendTSVString(dst, raw []byte, quote byte) []byte {
	start := 0
	for k := 0; k < len(raw); k++ {
		c := raw[k]
		if c != '\\' && c != quote && tsvEscape[c] == 0 {
			continue
		}
		dst = append(dst, raw[start:k]...)
		switch {
		case c == '\\' && k+1 < len(raw):
			k++
			switch e := raw[k]; e {
			case '0':
				dst = append(dst, '\\', '0')
			case 'b':
				dst = append(dst, '\b')
			case 'n':
				dst = append(dst, '\\', 'n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\\', 't')
			case 'Z':
				dst = append(dst, 0x1a)
			case '%', '_':
				dst = append(dst, '\\', '\\', e) // the value keeps its backslash
			default:
				dst = appendTSVByte(dst, e)
			}
		case c == quote && k+1 < len(raw) && raw[k+1] == quote:
			k++ // doubled quote
			dst = append(dst, quote)
		default:
			dst = appendTSVByte(dst, c)
		}
		start = k + 1
	}
	return append(dst, raw[start:]...)
}

// unloadableRe finds column types whose values LOAD DATA reads differently from an INSERT
// literal (BIT and spatial values, whose dump form is binary) and generated columns.
var unloadableRe = regexp.MustCompile(`(?i)\b(bit|geometry|point|linestring|polygon|multipoint|multilinestring|multipolygon|geometrycollection)\b|\bAS\s*\(|\bGENERATED\b`)

// loadable reports whether rows of the table a CREATE TABLE statement makes may go
// through LOAD DATA.
func loadable(create []byte) bool {
	open := bytes.IndexByte(create, '(')
	return open >= 0 && !unloadableRe.Match(create[open:])
}

var readerSeq atomic.Int64

// loadRows runs one LOAD DATA LOCAL of the batch on c and checks that every row arrived:
// the server turns errors of a LOCAL load into warnings (it cannot stop the client's
// stream), so a short count is turned back into an error with the server's first warning.
func loadRows(ctx context.Context, c *sql.Conn, b *tsvBatch, charset string) error {
	name := fmt.Sprintf("ferry-%d-%d", os.Getpid(), readerSeq.Add(1))
	mysql.RegisterReaderHandler(name, func() io.Reader { return bytes.NewReader(b.data) })
	defer mysql.DeregisterReaderHandler(name)
	q := "LOAD DATA LOCAL INFILE 'Reader::" + name + "' INTO TABLE " + quoteIdent(b.table) +
		" CHARACTER SET " + charset + " FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n'"
	if len(b.cols) > 0 {
		q += " ("
		for k, col := range b.cols {
			if k > 0 {
				q += ","
			}
			q += quoteIdent(col)
		}
		q += ")"
	}
	res, err := c.ExecContext(ctx, q)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n != b.rows {
		var level, msg string
		var code int
		row := c.QueryRowContext(ctx, "SHOW WARNINGS LIMIT 1")
		if row.Scan(&level, &code, &msg) != nil {
			msg = "the server gave no reason"
		}
		// reported as the server's own error, as the INSERT would have been
		return &mysql.MySQLError{Number: uint16(code), Message: fmt.Sprintf("%s (%d of %d rows of %s were loaded)", msg, n, b.rows, b.table)}
	}
	return nil
}
