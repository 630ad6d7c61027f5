// Package mysqlwire lets Ferry's MySQL code (mysqldb.Open, Dump, Import, Inspect) reach a
// database it cannot open a TCP connection to. It speaks just enough of the MySQL client
// protocol, in process over a net.Pipe, to hand every query to an Executor: the PHP agent
// on the site (backend/agent) or the mysql client run over SSH (backend/sshcmd). The SQL
// byte stream, splitter, guard, rewrite and progress are the ones of the direct route;
// only the sink changes.
//
// An Executor runs each query in a fresh, autocommitted session, so the server never
// keeps state between two of them. The wire therefore replays a connection's SET
// statements before each query, answers transaction control (BEGIN, COMMIT, ROLLBACK,
// START TRANSACTION) itself, and refuses prepared statements: callers use text queries
// (mysqldb.ImportOptions.TextInserts).
package mysqlwire

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"sync"
)

// Column describes one column of a result set in the terms of the MySQL protocol
// (mysqli's fetch_fields reports the same numbers).
type Column struct {
	Name     string
	Type     byte   // MYSQL_TYPE_*; 253 (VAR_STRING) when unknown
	Flags    uint16 // UNSIGNED_FLAG = 32, BINARY_FLAG = 128, ...
	Charset  uint16 // 63 is binary
	Decimals byte
	Length   uint32
}

// Result is the end of what one statement returned: the counts of an OK, or nothing more
// for a result set (its rows went through Sink.Columns and Sink.Row).
type Result struct {
	Affected uint64
	InsertID uint64
	Warnings uint16
}

// Error is an error the database server reported (its number, SQLSTATE and message). The
// wire sends it on as the server would, so callers see a *mysql.MySQLError.
type Error struct {
	Number  uint16
	State   string
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("Error %d (%s): %s", e.Number, e.State, e.Message) }

// Sink receives the results of one query, in order: for a statement that returns rows,
// Columns, then Row for each row, then End; for any other statement only OK.
type Sink interface {
	Columns(cols []Column) error
	Row(vals [][]byte) error // nil is SQL NULL; vals is not kept after Row returns
	End() error
	OK(r Result) error
}

// Executor runs SQL on the real server.
//
// Query runs session (SET statements, in order) and then query (one or more statements
// separated by semicolons) in a new session with autocommit on, and reports each
// statement's result to sink. A statement the server refused ends the query with an
// *Error (results before it are reported). Any other error is a transport failure: the
// caller does not know whether the query ran. An Executor that retries must never report
// a row twice.
type Executor interface {
	Query(ctx context.Context, session []string, query string, sink Sink) error
}

// Dialer returns a mysqldb.Config.Dial that connects to ex: each call starts one wire
// session in a goroutine, ended when the client closes its side or ctx of Serve ends.
func Dialer(ex Executor) func(ctx context.Context, addr string) (net.Conn, error) {
	var id uint32
	var mu sync.Mutex
	return func(ctx context.Context, _ string) (net.Conn, error) {
		client, server := net.Pipe()
		mu.Lock()
		id++
		n := id
		mu.Unlock()
		c := &conn{ex: ex, rw: bufio.NewReadWriter(bufio.NewReaderSize(server, 64<<10), bufio.NewWriterSize(server, 64<<10)), id: n}
		if cn, ok := ex.(Connector); ok {
			s, err := cn.Connect(ctx)
			if err != nil {
				client.Close()
				server.Close()
				return nil, err
			}
			c.live = s
		}
		go func() {
			defer server.Close()
			if c.live != nil {
				defer c.live.Close()
			}
			_ = c.serve()
		}()
		return client, nil
	}
}

// conn is the server side of one client connection.
type conn struct {
	ex      Executor
	rw      *bufio.ReadWriter
	seq     byte
	id      uint32
	session []string
	live    Session // set when ex is a Connector
}

// Connector is an Executor that can also hold a session open, as a server connection
// does: the wire then opens one Session per client connection and passes every statement
// through it unchanged (no SET replay, transactions kept).
type Connector interface {
	Executor
	Connect(ctx context.Context) (Session, error)
}

// Session is one lasting server session. Query is Executor.Query without the replay.
type Session interface {
	Query(ctx context.Context, query string, sink Sink) error
	Close() error
}

const (
	capLongPassword    = 1
	capLongFlag        = 4
	capConnectWithDB   = 8
	capProtocol41      = 512
	capTransactions    = 8192
	capSecureConn      = 32768
	capMultiStatements = 1 << 16
	capMultiResults    = 1 << 17
	capPluginAuth      = 1 << 19

	statusAutocommit  = 2
	statusMoreResults = 8

	maxPayload = 1<<24 - 1
)

func (c *conn) serve() error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := c.handshake(); err != nil {
		return err
	}
	for {
		c.seq = 0
		pkt, err := c.readPacket()
		if err != nil {
			return err
		}
		if len(pkt) == 0 {
			return errors.New("empty command")
		}
		switch pkt[0] {
		case 0x01: // COM_QUIT
			return nil
		case 0x02, 0x0e: // COM_INIT_DB, COM_PING
			err = c.writeOK(0, 0, 0, statusAutocommit)
		case 0x03: // COM_QUERY
			err = c.query(ctx, string(pkt[1:]))
		default:
			err = c.writeErr(&Error{Number: 1047, State: "08S01", Message: fmt.Sprintf("command %d is not supported through this database route", pkt[0])})
		}
		if err == nil {
			err = c.rw.Flush()
		}
		if err != nil {
			return err
		}
	}
}

func (c *conn) handshake() error {
	var p []byte
	p = append(p, 10)
	p = append(p, "5.5.5-10.0.0-ferry-wire"...)
	p = append(p, 0)
	p = binary.LittleEndian.AppendUint32(p, c.id)
	p = append(p, "ferrywir"...) // scramble part 1: no password is checked on a pipe
	p = append(p, 0)
	caps := uint32(capLongPassword | capLongFlag | capConnectWithDB | capProtocol41 | capTransactions | capSecureConn | capMultiStatements | capMultiResults | capPluginAuth)
	p = binary.LittleEndian.AppendUint16(p, uint16(caps))
	p = append(p, 45) // utf8mb4_general_ci
	p = binary.LittleEndian.AppendUint16(p, statusAutocommit)
	p = binary.LittleEndian.AppendUint16(p, uint16(caps>>16))
	p = append(p, 21)
	p = append(p, make([]byte, 10)...)
	p = append(p, "ferrywireabc"...)
	p = append(p, 0)
	p = append(p, "mysql_native_password"...)
	p = append(p, 0)
	if err := c.writePacket(p); err != nil {
		return err
	}
	if err := c.rw.Flush(); err != nil {
		return err
	}
	if _, err := c.readPacket(); err != nil { // the handshake response
		return err
	}
	if err := c.writeOK(0, 0, 0, statusAutocommit); err != nil {
		return err
	}
	return c.rw.Flush()
}

var (
	setRe  = regexp.MustCompile(`(?is)^\s*(/\*!\d*\s*)?SET\s`)
	txRe   = regexp.MustCompile(`(?is)^\s*(BEGIN|COMMIT|ROLLBACK|START\s+TRANSACTION|UNLOCK\s+TABLES)\b[^;]*;?\s*$`)
	autoRe = regexp.MustCompile(`(?i),?\s*(SESSION\s+)?autocommit\s*=\s*0`)
)

func (c *conn) query(ctx context.Context, q string) error {
	switch {
	case c.live != nil:
	case txRe.MatchString(q):
		return c.writeOK(0, 0, 0, statusAutocommit)
	case setRe.MatchString(q) && !strings.Contains(q, ";"):
		// A session setting: kept and replayed before each later query. autocommit = 0
		// is dropped: every query is its own transaction on a stateless route.
		s := strings.TrimSpace(autoRe.ReplaceAllString(q, ""))
		s = strings.Replace(s, "SET ,", "SET ", 1)
		if !strings.EqualFold(s, "SET") {
			c.session = append(c.session, s)
		}
		return c.writeOK(0, 0, 0, statusAutocommit)
	}
	w := &wireSink{c: c}
	var err error
	if c.live != nil {
		err = c.live.Query(ctx, q, w)
	} else {
		err = c.ex.Query(ctx, c.session, q, w)
	}
	if w.err != nil {
		return w.err
	}
	var se *Error
	if err != nil && !errors.As(err, &se) {
		se = &Error{Number: 2013, State: "HY000", Message: "Lost connection to the database route: " + err.Error()}
	}
	if w.inRows { // the query failed inside a result set: the rows end with the error
		return c.writeErr(orErr(se))
	}
	if w.pending != nil {
		st := uint16(statusAutocommit)
		if se != nil {
			st |= statusMoreResults
		}
		if err := w.flushPending(st); err != nil {
			return err
		}
	} else if se == nil {
		return c.writeOK(0, 0, 0, statusAutocommit)
	}
	if se != nil {
		return c.writeErr(se)
	}
	return nil
}

func orErr(e *Error) *Error {
	if e == nil {
		return &Error{Number: 2013, State: "HY000", Message: "result set ended early"}
	}
	return e
}

// wireSink writes results as they come. The packet that ends a result (EOF or OK) must say
// whether another result follows, so it is held back until the next one starts or the
// query returns.
type wireSink struct {
	c       *conn
	err     error
	inRows  bool
	pending func(status uint16) error
	row     []byte
}

func (w *wireSink) flushPending(status uint16) error {
	if w.pending == nil {
		return nil
	}
	f := w.pending
	w.pending = nil
	return f(status)
}

func (w *wireSink) fail(err error) error {
	if w.err == nil {
		w.err = err
	}
	return err
}

func (w *wireSink) Columns(cols []Column) error {
	if w.err != nil {
		return w.err
	}
	if err := w.flushPending(statusAutocommit | statusMoreResults); err != nil {
		return w.fail(err)
	}
	if err := w.c.writeColumns(cols); err != nil {
		return w.fail(err)
	}
	w.inRows = true
	return nil
}

func (w *wireSink) Row(vals [][]byte) error {
	if w.err != nil {
		return w.err
	}
	p := w.row[:0]
	for _, v := range vals {
		if v == nil {
			p = append(p, 0xfb)
			continue
		}
		p = appendLenInt(p, uint64(len(v)))
		p = append(p, v...)
	}
	w.row = p
	if err := w.c.writePacket(p); err != nil {
		return w.fail(err)
	}
	return nil
}

func (w *wireSink) End() error {
	w.inRows = false
	w.pending = w.c.writeEOF
	return w.err
}

func (w *wireSink) OK(r Result) error {
	if w.err != nil {
		return w.err
	}
	if err := w.flushPending(statusAutocommit | statusMoreResults); err != nil {
		return w.fail(err)
	}
	w.pending = func(st uint16) error { return w.c.writeOK(r.Affected, r.InsertID, r.Warnings, st) }
	return nil
}

func (c *conn) writeColumns(cols []Column) error {
	if err := c.writePacket(appendLenInt(nil, uint64(len(cols)))); err != nil {
		return err
	}
	for _, col := range cols {
		p := appendLenStr(nil, "def")
		p = appendLenStr(p, "")
		p = appendLenStr(p, "")
		p = appendLenStr(p, "")
		p = appendLenStr(p, col.Name)
		p = appendLenStr(p, col.Name)
		p = append(p, 0x0c)
		cs := col.Charset
		if cs == 0 {
			cs = 45
		}
		p = binary.LittleEndian.AppendUint16(p, cs)
		p = binary.LittleEndian.AppendUint32(p, col.Length)
		t := col.Type
		if t == 0 {
			t = 253
		}
		p = append(p, t)
		p = binary.LittleEndian.AppendUint16(p, col.Flags)
		p = append(p, col.Decimals, 0, 0)
		if err := c.writePacket(p); err != nil {
			return err
		}
	}
	return c.writeEOF(statusAutocommit)
}

func (c *conn) writeOK(affected, insertID uint64, warnings, status uint16) error {
	p := []byte{0}
	p = appendLenInt(p, affected)
	p = appendLenInt(p, insertID)
	p = binary.LittleEndian.AppendUint16(p, status)
	p = binary.LittleEndian.AppendUint16(p, warnings)
	return c.writePacket(p)
}

func (c *conn) writeEOF(status uint16) error {
	p := []byte{0xfe, 0, 0}
	p = binary.LittleEndian.AppendUint16(p, status)
	return c.writePacket(p)
}

func (c *conn) writeErr(e *Error) error {
	p := []byte{0xff}
	p = binary.LittleEndian.AppendUint16(p, e.Number)
	st := e.State
	if len(st) != 5 {
		st = "HY000"
	}
	p = append(p, '#')
	p = append(p, st...)
	p = append(p, e.Message...)
	return c.writePacket(p)
}

// writePacket frames payload, split into 16 MiB pieces as the protocol requires.
func (c *conn) writePacket(payload []byte) error {
	for {
		n := min(len(payload), maxPayload)
		hdr := [4]byte{byte(n), byte(n >> 8), byte(n >> 16), c.seq}
		c.seq++
		if _, err := c.rw.Write(hdr[:]); err != nil {
			return err
		}
		if _, err := c.rw.Write(payload[:n]); err != nil {
			return err
		}
		payload = payload[n:]
		if n < maxPayload {
			return nil
		}
	}
}

func (c *conn) readPacket() ([]byte, error) {
	var out []byte
	for {
		var hdr [4]byte
		if _, err := io.ReadFull(c.rw, hdr[:]); err != nil {
			return nil, err
		}
		n := int(hdr[0]) | int(hdr[1])<<8 | int(hdr[2])<<16
		c.seq = hdr[3] + 1
		start := len(out)
		out = append(out, make([]byte, n)...)
		if _, err := io.ReadFull(c.rw, out[start:]); err != nil {
			return nil, err
		}
		if n < maxPayload {
			return out, nil
		}
	}
}

func appendLenInt(p []byte, v uint64) []byte {
	switch {
	case v < 251:
		return append(p, byte(v))
	case v < 1<<16:
		return append(p, 0xfc, byte(v), byte(v>>8))
	case v < 1<<24:
		return append(p, 0xfd, byte(v), byte(v>>8), byte(v>>16))
	}
	p = append(p, 0xfe)
	return binary.LittleEndian.AppendUint64(p, v)
}

func appendLenStr(p []byte, s string) []byte {
	return append(appendLenInt(p, uint64(len(s))), s...)
}
