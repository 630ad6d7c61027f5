package mysqldb

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"math/bits"
	"regexp"
	"strings"
	"sync"
)

// Rows reach the destination as executions of prepared multi-row INSERTs, their values
// sent in the binary protocol, rather than as INSERT text: the server then does not lex
// and unescape every string literal of every row, which is a large part of what it spends
// on a WordPress dump besides InnoDB itself (measured on MariaDB 10.11 with the rows of a
// 450 MB wp_posts: 5.3-5.7 s of server CPU instead of 8.2-9.6 s). Each INSERT INTO ...
// VALUES of a dump is decoded into values as it streams; an INSERT in any form Ferry does
// not decode exactly (functions, bit literals, character set introducers,
// ON DUPLICATE KEY, INSERT IGNORE, REPLACE) and rows of tables with BIT, spatial or
// generated columns are sent as text, as before.

// rowBatch is decoded rows of one table (and column list) waiting to be sent.
type rowBatch struct {
	table string
	cols  []string
	key   string // table and columns, to tell batches apart
	ncols int
	arena []byte  // the values' bytes
	vals  []value // rows × ncols values
	rows  int
}

// value is one decoded value: arena[off:off+n], or NULL when n < 0.
type value struct{ off, n int }

// rowBatchMax is how many bytes of values one batch collects before it is sent.
const rowBatchMax = 1 << 20

// batchPool keeps the arenas and values of sent batches: zeroing a fresh megabyte per batch,
// and growing it for a statement that did not fit, took about 2 s of Ferry's 23 s of CPU in
// a profile of bench/wan at RTT 0.
var batchPool = sync.Pool{New: func() any {
	return &rowBatch{arena: make([]byte, 0, rowBatchMax+rowBatchMax/4)}
}}

// newRowBatch returns an empty batch for table and cols (key: both, see insertRows).
func newRowBatch(table string, cols []string, key string) *rowBatch {
	b := batchPool.Get().(*rowBatch)
	*b = rowBatch{table: table, cols: cols, key: key, arena: b.arena[:0], vals: b.vals[:0]}
	return b
}

// release gives b back to the pool once its rows have been executed; nothing may use b
// afterwards. A batch grown for an outsized statement is left to the collector.
func (b *rowBatch) release() {
	if cap(b.arena) > 4*rowBatchMax {
		return
	}
	*b = rowBatch{arena: b.arena[:0], vals: b.vals[:0]}
	batchPool.Put(b)
}

// maxPlaceholders is the protocol's limit of parameters in one prepared statement.
const maxPlaceholders = 65535

// decodeRows appends the values of the VALUES tuples of an INSERT (text[at:]) to b. It
// reports false, leaving b as it was, when a value is not one Ferry decodes exactly or the
// tuples do not all have b.ncols values.
func decodeRows(b *rowBatch, text []byte, at int) (rows int, ok bool) {
	arenaMark, valsMark, setCols := len(b.arena), len(b.vals), b.ncols == 0
	undo := func() (int, bool) {
		b.arena, b.vals = b.arena[:arenaMark], b.vals[:valsMark]
		if setCols {
			b.ncols = 0
		}
		return 0, false
	}
	i, n := at, len(text)
	skip := func() {
		for i < n && isSpace(text[i]) {
			i++
		}
	}
	for {
		skip()
		if i >= n || text[i] != '(' {
			return undo()
		}
		i++
		f := 0
		for {
			skip()
			if i >= n {
				return undo()
			}
			var good bool
			if i, good = b.decodeValue(text, i); !good {
				return undo()
			}
			f++
			skip()
			if i >= n {
				return undo()
			}
			if text[i] == ',' {
				i++
				continue
			}
			if text[i] == ')' {
				i++
				break
			}
			return undo()
		}
		if b.ncols == 0 {
			b.ncols = f // the first row tells how many values a row has
		}
		if f != b.ncols || f > maxPlaceholders {
			return undo()
		}
		rows++
		skip()
		if i >= n || text[i] == ';' {
			b.rows += rows
			return rows, true
		}
		if text[i] != ',' {
			return undo() // ON DUPLICATE KEY UPDATE ... or something else
		}
		i++
	}
}

// decodeValue decodes the value at text[i:]: a quoted string, NULL, a number (kept as
// text: the server reads it as it reads the literal) or a hex literal.
func (b *rowBatch) decodeValue(text []byte, i int) (int, bool) {
	start := len(b.arena)
	c := text[i]
	switch {
	case c == '\'' || c == '"':
		end := stringEnd(text, i)
		if end > len(text) || end-i < 2 || text[end-1] != c {
			return i, false
		}
		b.arena = unescapeLit(b.arena, text[i+1:end-1], c)
		i = end
	case c == 'N' || c == 'n':
		if i+4 > len(text) || !strings.EqualFold(string(text[i:i+4]), "NULL") || i+4 < len(text) && isWordByte(text[i+4]) {
			return i, false
		}
		b.vals = append(b.vals, value{n: -1})
		return i + 4, true
	case c == '0' && i+1 < len(text) && (text[i+1] == 'x' || text[i+1] == 'X'):
		j := i + 2
		for j < len(text) && isHex(text[j]) {
			j++
		}
		if j == i+2 || (j-i)%2 != 0 || j < len(text) && isWordByte(text[j]) {
			return i, false
		}
		b.arena, _ = hex.AppendDecode(b.arena, text[i+2:j]) // checked above
		i = j
	case (c == 'x' || c == 'X') && i+1 < len(text) && text[i+1] == '\'':
		end := bytes.IndexByte(text[i+2:], '\'')
		if end < 0 || end%2 != 0 {
			return i, false
		}
		var err error
		if b.arena, err = hex.AppendDecode(b.arena, text[i+2:i+2+end]); err != nil {
			return i, false
		}
		i += 3 + end
	case c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.':
		j := numberEnd(text, i)
		if j < 0 {
			return i, false
		}
		b.arena = append(b.arena, text[i:j]...)
		i = j
	default:
		return i, false
	}
	b.vals = append(b.vals, value{off: start, n: len(b.arena) - start})
	return i, true
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

// unpreparableRe finds column types whose values an INSERT literal gives differently from a
// string parameter (BIT and spatial values, whose dump form is binary) and generated
// columns.
var unpreparableRe = regexp.MustCompile(`(?i)\b(bit|geometry|point|linestring|polygon|multipoint|multilinestring|multipolygon|geometrycollection)\b|\bAS\s*\(|\bGENERATED\b`)

// preparable reports whether rows of the table a CREATE TABLE statement makes may be sent
// as prepared INSERTs.
func preparable(create []byte) bool {
	open := bytes.IndexByte(create, '(')
	return open >= 0 && !unpreparableRe.Match(create[open:])
}

// emptyValue is a zero-length, non-nil value: the driver sends a nil []byte as NULL.
var emptyValue = []byte{}

// stmtCache holds one loader's prepared INSERTs by text.
type stmtCache map[string]*sql.Stmt

func (c stmtCache) close() {
	for _, s := range c {
		s.Close()
	}
}

// insertRows executes the batch on conn as prepared INSERTs of a power-of-two number of
// rows each (so a table needs only a few distinct statements), about rowBatchMax of values
// at a time. It returns the bytes of values sent.
func (c stmtCache) insertRows(ctx context.Context, conn *sql.Conn, b *rowBatch) (int, error) {
	per := maxPlaceholders / b.ncols
	if len(b.arena) > 0 {
		per = min(per, max(1, b.rows*rowBatchMax/len(b.arena)))
	}
	per = 1 << (bits.Len(uint(min(per, 1024))) - 1) // a power of two
	args := make([]any, per*b.ncols)
	for row := 0; row < b.rows; {
		k := per
		for k > b.rows-row {
			k >>= 1
		}
		s, err := c.stmt(ctx, conn, b, k)
		if err != nil {
			return 0, err
		}
		vals := b.vals[row*b.ncols : (row+k)*b.ncols]
		for x, v := range vals {
			switch {
			case v.n < 0:
				args[x] = nil
			case v.n == 0:
				args[x] = emptyValue
			default:
				args[x] = b.arena[v.off : v.off+v.n]
			}
		}
		if _, err := s.ExecContext(ctx, args[:len(vals)]...); err != nil {
			return 0, err
		}
		row += k
	}
	return len(b.arena), nil
}

// stmt returns the prepared INSERT of k rows into the batch's table and columns.
func (c stmtCache) stmt(ctx context.Context, conn *sql.Conn, b *rowBatch, k int) (*sql.Stmt, error) {
	key := fmt.Sprintf("%s\x00%d", b.key, k)
	if s := c[key]; s != nil {
		return s, nil
	}
	var q strings.Builder
	q.WriteString("INSERT INTO ")
	q.WriteString(quoteIdent(b.table))
	if len(b.cols) > 0 {
		q.WriteString(" (")
		for i, col := range b.cols {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString(quoteIdent(col))
		}
		q.WriteByte(')')
	}
	q.WriteString(" VALUES ")
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?,", b.ncols), ",") + ")"
	for i := range k {
		if i > 0 {
			q.WriteByte(',')
		}
		q.WriteString(tuple)
	}
	s, err := conn.PrepareContext(ctx, q.String())
	if err != nil {
		return nil, err
	}
	c[key] = s
	return s, nil
}
