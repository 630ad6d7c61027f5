package agent

import (
	"bufio"
	"bytes"
	"errors"
	"testing"

	"ferry/backend/mysqlwire"
)

// FuzzParseSlice feeds parseSlice any response: it never panics, and what it takes the
// streaming reader of query results reads the same: the server's error, or the same
// columns, rows (NULL apart from empty), cursor and end.
func FuzzParseSlice(f *testing.F) {
	str := func(s string) string { return string([]byte{0, 0, byte(len(s) >> 8), byte(len(s))}) + s }
	col := func(name string) string { return str(name) + "\xfc\x00\x10\x00\x2d\x00\x00\x00\x00\xff" }
	f.Add([]byte("R\x00\x00\x00\x02" + col("id") + col("v") + "r\x00\x00\x00\x01\xff\xff\xff\xff1" +
		"r\x00\x00\x00\x01\x00\x00\x00\x002" + "C" + str("2") + "Z"))
	f.Add([]byte("R\x00\x00\x00\x01" + col("id") + "DZ"))
	f.Add([]byte("R\x00\x00\x00\x01" + col("id") + "r\x00\x00\x00\x017E\x04\x7a42S02" + str("no such table") + "Z"))
	f.Add([]byte("r\x00\x00\x00\x00Z"))
	f.Fuzz(func(t *testing.T, resp []byte) {
		b, err := parseSlice(bytes.Clone(resp), nil)
		var te *transportError
		if errors.As(err, &te) {
			return // refused; the stream reader may take more (other frames, trailing bytes)
		}
		var rec recordSink
		var cursor []byte
		fr := &frameReader{r: bufio.NewReader(bytes.NewReader(resp))}
		done, serr := fr.results(&rec, &cursor)
		var me *mysqlwire.Error
		switch {
		case err == nil:
			if serr != nil {
				t.Fatalf("parseSlice read it, the stream reader said %v", serr)
			}
			if done != b.done || !bytes.Equal(cursor, b.cursor) {
				t.Fatalf("done %v cursor %q, stream reader: done %v cursor %q", b.done, b.cursor, done, cursor)
			}
			var rows [][][]byte
			for n, i := len(b.cols), 0; n > 0 && i+n <= len(b.vals); i += n {
				rows = append(rows, b.vals[i:i+n])
			}
			if len(rows) != len(rec.rows) || len(b.cols) != len(rec.cols) {
				t.Fatalf("%d rows of %d columns, stream reader: %d of %d", len(rows), len(b.cols), len(rec.rows), len(rec.cols))
			}
			for i := range rows {
				for j := range rows[i] {
					if (rows[i][j] == nil) != (rec.rows[i][j] == nil) || !bytes.Equal(rows[i][j], rec.rows[i][j]) {
						t.Fatalf("row %d value %d: %q, stream reader %q", i, j, rows[i][j], rec.rows[i][j])
					}
				}
			}
		case errors.As(err, &me):
			if !errors.As(serr, &me) {
				t.Fatalf("server error %v, stream reader said %v", err, serr)
			}
		default:
			t.Fatalf("error of no known kind: %v", err)
		}
	})
}

type recordSink struct {
	cols []mysqlwire.Column
	rows [][][]byte
}

func (r *recordSink) Columns(c []mysqlwire.Column) error { r.cols = c; return nil }
func (r *recordSink) Row(v [][]byte) error {
	row := make([][]byte, len(v))
	for i, x := range v {
		if x != nil {
			row[i] = append([]byte{}, x...)
		}
	}
	r.rows = append(r.rows, row)
	return nil
}
func (r *recordSink) End() error                { return nil }
func (r *recordSink) OK(mysqlwire.Result) error { return nil }
