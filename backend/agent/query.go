package agent

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"ferry/backend/mysqlwire"
)

var _ mysqlwire.Executor = (*Agent)(nil)

// readRe matches statements that only read, which may be sent again after a request was
// lost on the way.
var readRe = regexp.MustCompile(`(?is)^\s*(SELECT|SHOW|DESCRIBE|DESC|EXPLAIN|CHECKSUM|ANALYZE)\b`)

// Query implements mysqlwire.Executor. A read that names one table's columns (how
// mysqldb.Dump reads rows) is run in time slices: see slice.
func (a *Agent) Query(ctx context.Context, session []string, query string, sink mysqlwire.Sink) error {
	if m := dumpRe.FindStringSubmatch(query); m != nil {
		if key, ok := a.sliceKey(ctx, session, m); ok {
			return a.slice(ctx, session, m, key, sink)
		}
	}
	body := field(nil, "query")
	body = field(body, strconv.Itoa(len(session)))
	for _, s := range session {
		body = field(body, s)
	}
	body = field(body, query)
	if !readRe.MatchString(query) {
		return a.once(ctx, body, sink)
	}
	// a read is buffered so that a retry never reports a row twice
	var err error
	for try := 0; try <= a.cfg.Retries; try++ {
		if try > 0 {
			if werr := wait(ctx, try); werr != nil {
				return werr
			}
		}
		buf := &bufSink{}
		err = a.once(ctx, body, buf)
		var te *transportError
		if err == nil || !errors.As(err, &te) {
			if rerr := buf.replay(sink); rerr != nil {
				return rerr
			}
			return err
		}
	}
	return err
}

func wait(ctx context.Context, try int) error {
	t := time.NewTimer(time.Duration(1<<min(try-1, 4)) * 250 * time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// once sends one request and streams its frames into sink.
func (a *Agent) once(ctx context.Context, body []byte, sink mysqlwire.Sink) error {
	resp, err := a.post(ctx, body)
	if err != nil {
		return err
	}
	defer resp.Close()
	fr := &frameReader{r: bufio.NewReaderSize(resp, 64<<10)}
	_, err = fr.results(sink, nil)
	return err
}

// results reads result frames until 'Z'. A slice response also carries 'C' (the cursor
// to go on from) or 'D' (done); they are returned.
func (fr *frameReader) results(sink mysqlwire.Sink, cursor *[]byte) (done bool, err error) {
	var cols []mysqlwire.Column
	var vals [][]byte
	for {
		switch fr.byte() {
		case 'R':
			n := int(fr.u32())
			cols = make([]mysqlwire.Column, n)
			vals = make([][]byte, n)
			for i := range cols {
				cols[i].Name = string(fr.str())
				var meta [10]byte
				fr.read(meta[:])
				cols[i].Type = meta[0]
				cols[i].Flags = binary.BigEndian.Uint16(meta[1:])
				cols[i].Charset = binary.BigEndian.Uint16(meta[3:])
				cols[i].Decimals = meta[5]
				cols[i].Length = binary.BigEndian.Uint32(meta[6:])
			}
			if fr.err == nil {
				if err := sink.Columns(cols); err != nil {
					return false, err
				}
			}
		case 'r':
			fr.row(vals)
			if fr.err == nil {
				if err := sink.Row(vals); err != nil {
					return false, err
				}
			}
		case 'e':
			if err := sink.End(); err != nil {
				return false, err
			}
		case 'O':
			aff, _ := strconv.ParseInt(string(fr.str()), 10, 64)
			id, _ := strconv.ParseUint(string(fr.str()), 10, 64)
			var w [2]byte
			fr.read(w[:])
			if fr.err == nil {
				if err := sink.OK(mysqlwire.Result{Affected: uint64(max(aff, 0)), InsertID: id, Warnings: binary.BigEndian.Uint16(w[:])}); err != nil {
					return false, err
				}
			}
		case 'E':
			var hdr [7]byte
			fr.read(hdr[:])
			msg := string(fr.str())
			if fr.err != nil {
				return false, &transportError{fr.err}
			}
			if fr.byte() != 'Z' {
				return false, &transportError{errors.New("response ends early")}
			}
			return false, &mysqlwire.Error{Number: binary.BigEndian.Uint16(hdr[:2]), State: string(hdr[2:]), Message: msg}
		case 'C':
			*cursor = fr.str()
		case 'D':
			done = true
		case 'Z':
			return done, nil
		default:
			if fr.err == nil {
				fr.err = errors.New("malformed response")
			}
		}
		if fr.err != nil {
			return false, &transportError{fr.err}
		}
	}
}

// frameReader reads the agent's frames, keeping the first error.
type frameReader struct {
	r   io.Reader
	err error
}

func (f *frameReader) read(b []byte) {
	if f.err == nil {
		if _, err := io.ReadFull(f.r, b); err != nil {
			f.err = fmt.Errorf("response ends early: %w", err)
		}
	}
}

func (f *frameReader) byte() byte {
	var b [1]byte
	f.read(b[:])
	if f.err != nil {
		return 0
	}
	return b[0]
}

func (f *frameReader) u32() uint32 {
	var b [4]byte
	f.read(b[:])
	return binary.BigEndian.Uint32(b[:])
}

func (f *frameReader) str() []byte {
	n := f.u32()
	if f.err != nil || n > 1<<30 {
		return nil
	}
	b := make([]byte, n)
	f.read(b)
	return b
}

// row reads one row into vals: each value's length (0xffffffff for NULL), then the values
// one after the other. nil is NULL, an empty value is not nil.
func (f *frameReader) row(vals [][]byte) {
	lens := make([]byte, 4*len(vals))
	f.read(lens)
	if f.err != nil {
		return
	}
	total, ok := rowSize(lens)
	if !ok {
		f.err = errors.New("malformed response")
		return
	}
	b := make([]byte, total)
	f.read(b)
	splitRow(vals, lens, b)
}

// rowSize adds up a row's lengths; false when they are too big to be real.
func rowSize(lens []byte) (int, bool) {
	total := 0
	for i := 0; i < len(lens); i += 4 {
		if n := binary.BigEndian.Uint32(lens[i:]); n != 0xffffffff {
			if n > 1<<30 || total > 1<<30 {
				return 0, false
			}
			total += int(n)
		}
	}
	return total, true
}

// splitRow cuts b, a row's values one after the other, by their lengths into vals.
func splitRow(vals [][]byte, lens, b []byte) {
	for i := range vals {
		n := binary.BigEndian.Uint32(lens[4*i:])
		if n == 0xffffffff {
			vals[i] = nil
			continue
		}
		vals[i], b = b[:n:n], b[n:]
	}
}

// bufSink keeps what one request returned until it is known complete.
type bufSink struct{ ev []func(mysqlwire.Sink) error }

func (b *bufSink) Columns(c []mysqlwire.Column) error {
	b.ev = append(b.ev, func(s mysqlwire.Sink) error { return s.Columns(c) })
	return nil
}

func (b *bufSink) Row(v [][]byte) error {
	v = append([][]byte(nil), v...)
	b.ev = append(b.ev, func(s mysqlwire.Sink) error { return s.Row(v) })
	return nil
}

func (b *bufSink) End() error {
	b.ev = append(b.ev, func(s mysqlwire.Sink) error { return s.End() })
	return nil
}

func (b *bufSink) OK(r mysqlwire.Result) error {
	b.ev = append(b.ev, func(s mysqlwire.Sink) error { return s.OK(r) })
	return nil
}

func (b *bufSink) replay(s mysqlwire.Sink) error {
	for _, e := range b.ev {
		if err := e(s); err != nil {
			return err
		}
	}
	return nil
}

// dumpRe matches how mysqldb.Dump reads a table: a column list, one table, an optional
// integer key range on one column.
var dumpRe = regexp.MustCompile("^SELECT ((?:`(?:[^`]|``)+`,?)+) FROM (`(?:[^`]|``)+`)(?: WHERE (.*))?$")

var identRe = regexp.MustCompile("`(?:[^`]|``)+`")

// keys caches each table's single-column primary key ("" when it has none or several).
var keyCache sync.Map

// sliceKey finds the primary key a table is read in order of.
func (a *Agent) sliceKey(ctx context.Context, session []string, m []string) (string, bool) {
	table := strings.ReplaceAll(strings.Trim(m[2], "`"), "``", "`")
	ck := a.url + "\x00" + table
	if v, ok := keyCache.Load(ck); ok {
		k := v.(string)
		return k, k != ""
	}
	q := "SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() AND CONSTRAINT_NAME = 'PRIMARY' AND TABLE_NAME = '" +
		strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(table) + "'"
	ks := &keySink{}
	if err := a.Query(ctx, session, q, ks); err != nil {
		return "", false
	}
	key := ""
	if len(ks.names) == 1 {
		key = "`" + strings.ReplaceAll(ks.names[0], "`", "``") + "`"
		if !slices.Contains(identRe.FindAllString(m[1], -1), key) {
			key = ""
		}
	}
	keyCache.Store(ck, key)
	return key, key != ""
}

type keySink struct{ names []string }

func (k *keySink) Columns([]mysqlwire.Column) error { return nil }
func (k *keySink) Row(v [][]byte) error             { k.names = append(k.names, string(v[0])); return nil }
func (k *keySink) End() error                       { return nil }
func (k *keySink) OK(mysqlwire.Result) error        { return nil }
