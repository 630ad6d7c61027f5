package agent

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"slices"
	"strconv"
	"sync"
	"time"

	"ferry/backend/mysqlwire"
)

// budget is how long one sliced request (a dump's rows, a batch of files) may run on the
// server: Config.Slice, or a third of max_execution_time when that is lower.
func (a *Agent) budget() time.Duration {
	if a.MaxExecution > 0 {
		return min(a.cfg.Slice, a.MaxExecution/3)
	}
	return a.cfg.Slice
}

// cursorMark stands for the last key read in the query a slice goes on with.
const cursorMark = "\x00CURSOR\x00"

// sliceLimit is how many rows one query of a slice asks for; the agent asks for fewer
// once the rows it has read say how many more fit in the response.
const sliceLimit = 2000

// slice reads a table's rows in primary-key order in requests that each stop after about
// Slice (well under max_execution_time) or a few MiB and return the last key read; the next
// request starts after it. A request lost on the way is sent again from the same cursor,
// and only rows of complete responses reach sink, so no row is reported twice.
//
// The next request is on its way while sink takes the rows of the one before: the server
// reads and formats rows while Ferry turns the last ones into SQL.
func (a *Agent) slice(ctx context.Context, session []string, m []string, key string, sink mysqlwire.Sink) error {
	where := "1=1"
	if m[3] != "" {
		where = "(" + m[3] + ")"
	}
	base := "SELECT " + m[1] + " FROM " + m[2] + " WHERE " + where
	req := sliceRequest{
		session: session,
		first:   base + " ORDER BY " + key, // the agent adds the LIMIT
		next:    base + " AND " + key + " > " + cursorMark + " ORDER BY " + key,
		keyIdx:  slices.Index(identRe.FindAllString(m[1], -1), key),
		budget:  a.budget(),
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		b   *sliceBatch
		err error
	}
	results := make(chan result)
	go func() {
		defer close(results)
		var cursor []byte
		for {
			old, _ := batchPool.Get().(*sliceBatch)
			b, err := a.fetchSlice(ctx, req, cursor, old)
			if err == nil && !b.done && b.cursor == nil {
				err = &transportError{errors.New("slice response has no cursor")}
			}
			// read b before sending it: it goes back to the pool once its rows are taken
			last := err != nil || b.done
			if !last {
				cursor = b.cursor
			}
			select {
			case results <- result{b, err}:
			case <-ctx.Done():
				return
			}
			if last {
				return
			}
		}
	}()
	started := false
	for r := range results {
		if r.err != nil {
			return r.err
		}
		b := r.b
		if !started && b.cols != nil {
			if err := sink.Columns(b.cols); err != nil {
				return err
			}
		}
		started = true
		if n := len(b.cols); n > 0 {
			for i := 0; i+n <= len(b.vals); i += n {
				if err := sink.Row(b.vals[i : i+n : i+n]); err != nil {
					return err
				}
			}
		}
		if b.done {
			return sink.End()
		}
		if cap(b.body) <= 64<<20 {
			b.cols, b.cursor = nil, nil
			batchPool.Put(b)
		}
	}
	return ctx.Err()
}

// sliceRequest is what every request of one slice read sends.
type sliceRequest struct {
	session     []string
	first, next string
	keyIdx      int
	budget      time.Duration
}

// batchPool keeps the buffers of responses whose rows were taken, for the next ones.
var batchPool sync.Pool

// sliceBatch is one complete slice response; its values point into body.
type sliceBatch struct {
	body   []byte
	cols   []mysqlwire.Column
	vals   [][]byte // len(cols) values a row; nil is NULL
	cursor []byte
	done   bool
}

// fetchSlice asks for the rows after cursor (nil: from the start), sending the request
// again when it failed on the way. The buffers of old, when not nil, are reused.
func (a *Agent) fetchSlice(ctx context.Context, r sliceRequest, cursor []byte, old *sliceBatch) (*sliceBatch, error) {
	var buf []byte
	var vals [][]byte
	if old != nil {
		buf, vals = old.body, old.vals
	}
	body := field(nil, "slice")
	body = field(body, strconv.Itoa(len(r.session)))
	for _, s := range r.session {
		body = field(body, s)
	}
	body = field(body, r.first)
	body = field(body, r.next)
	body = field(body, strconv.Itoa(r.keyIdx))
	body = field(body, strconv.Itoa(sliceLimit))
	body = field(body, strconv.FormatInt(r.budget.Milliseconds(), 10))
	body = field(body, string(cursor))
	body = field(body, strconv.FormatBool(cursor != nil))
	var err error
	for try := 0; try <= a.cfg.Retries; try++ {
		if try > 0 {
			if werr := wait(ctx, try); werr != nil {
				return nil, werr
			}
		}
		var resp io.ReadCloser
		resp, err = a.post(ctx, body)
		if err == nil {
			bb := bytes.NewBuffer(buf[:0])
			if buf == nil {
				bb.Grow(9 << 20) // a response stops soon after 8 MiB
			}
			_, err = bb.ReadFrom(resp)
			resp.Close()
			buf = bb.Bytes()
			if err != nil {
				err = &transportError{err}
			} else {
				var b *sliceBatch
				b, err = parseSlice(buf, vals)
				if err == nil {
					return b, nil
				}
			}
		}
		var te *transportError
		if !errors.As(err, &te) {
			return nil, err
		}
	}
	return nil, err
}

// parseSlice reads a whole slice response: the column list, rows, then the cursor ('C')
// or the end of the table ('D'), and 'Z'; or the server's error.
// vals, when not nil, is reused for the values.
func parseSlice(body []byte, vals [][]byte) (*sliceBatch, error) {
	f := &byteFrames{b: body}
	b := &sliceBatch{body: body, vals: vals[:0]}
	for f.err == nil {
		switch f.byte() {
		case 'R':
			n := int(f.u32())
			if n == 0 || n > len(body) || b.cols != nil {
				f.fail(errors.New("malformed response"))
			}
			if f.err != nil {
				break
			}
			b.cols = make([]mysqlwire.Column, n)
			for i := range b.cols {
				name := f.str()
				b.cols[i] = column(string(name), f.take(10))
			}
		case 'r':
			if b.cols == nil {
				f.fail(errors.New("row before its columns"))
				break
			}
			lens := f.take(4 * len(b.cols))
			total, ok := rowSize(lens)
			if !ok {
				f.fail(errors.New("malformed response"))
			}
			row := f.take(total)
			if f.err != nil {
				break
			}
			at := len(b.vals)
			b.vals = append(b.vals, make([][]byte, len(b.cols))...)
			splitRow(b.vals[at:], lens, row)
		case 'E':
			hdr := f.take(7)
			msg := string(f.str())
			if f.err == nil && f.byte() != 'Z' {
				f.fail(errors.New("response ends early"))
			}
			if f.err != nil {
				break
			}
			return nil, &mysqlwire.Error{Number: binary.BigEndian.Uint16(hdr[:2]), State: string(hdr[2:]), Message: msg}
		case 'C':
			b.cursor = bytes.Clone(f.str())
		case 'D':
			b.done = true
		case 'Z':
			if f.err == nil {
				if f.off != len(body) {
					return nil, &transportError{errors.New("malformed response")}
				}
				return b, nil
			}
		default:
			f.fail(errors.New("malformed response"))
		}
	}
	return nil, &transportError{f.err}
}

// column decodes a column's name and its 10 bytes of type, flags, charset, decimals and
// length.
func column(name string, meta []byte) mysqlwire.Column {
	if len(meta) < 10 {
		return mysqlwire.Column{Name: name}
	}
	return mysqlwire.Column{Name: name, Type: meta[0], Flags: binary.BigEndian.Uint16(meta[1:]),
		Charset: binary.BigEndian.Uint16(meta[3:]), Decimals: meta[5], Length: binary.BigEndian.Uint32(meta[6:])}
}

// byteFrames reads frames from a whole response, keeping the first error; the strings it
// returns point into the response.
type byteFrames struct {
	b   []byte
	off int
	err error
}

func (f *byteFrames) fail(err error) {
	if f.err == nil {
		f.err = err
	}
}

func (f *byteFrames) take(n int) []byte {
	if f.err != nil {
		return nil
	}
	if n < 0 || n > len(f.b)-f.off {
		f.fail(io.ErrUnexpectedEOF)
		return nil
	}
	v := f.b[f.off : f.off+n : f.off+n]
	f.off += n
	return v
}

func (f *byteFrames) byte() byte {
	if v := f.take(1); v != nil {
		return v[0]
	}
	return 0
}

func (f *byteFrames) u32() uint32 {
	if v := f.take(4); v != nil {
		return binary.BigEndian.Uint32(v)
	}
	return 0
}

func (f *byteFrames) str() []byte { return f.take(int(f.u32())) }
