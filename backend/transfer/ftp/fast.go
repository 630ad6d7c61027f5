package ftp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "unsafe" // for go:linkname

	"github.com/jlaffaye/ftp"
)

// Over a slow link each FTP round trip costs as much as a small file's bytes, and
// jlaffaye/ftp spends three in a row on every transfer: EPSV, then the data connection,
// then RETR or STOR. This file speaks those commands itself on jlaffaye/ftp's control
// connection so that they overlap: the data connection is dialled while the command
// travels, and the next transfer's EPSV goes out with the end of this one (its reply
// comes right behind the 226). A download then takes about one round trip plus its
// bytes, an upload two. Listings ask for STAT, which answers on the control connection
// (see statList).
//
// jlaffaye/ftp does not expose its control connection; wireOf takes it by reflection and
// every caller falls back to jlaffaye/ftp's own methods when it cannot (a new version
// that renamed the field), so the worst case is the old speed.

//go:linkname parseListLine github.com/jlaffaye/ftp.parseListLine
func parseListLine(line string, now time.Time, loc *time.Location) (*ftp.Entry, error)

// wire is the control connection of one Client, in lockstep with jlaffaye/ftp: every
// method here reads all the replies it asked for before returning.
type wire struct {
	tp   *textproto.Conn
	host string // the server's address for data connections, as jlaffaye/ftp resolved it
	port int    // a passive port opened ahead by EPSV, 0 when none
	at   time.Time
	// ahead is an EPSV sent with the running transfer's command, its reply unread.
	ahead bool
}

// portFresh is how long a port opened ahead is used. A server forgets it when the
// session ends (an idle timeout): the port may then be another session's, and a data
// connection that lands there would swallow that session's transfer. Back-to-back
// transfers use it within milliseconds.
const portFresh = 2 * time.Second

// forget drops the port opened ahead: jlaffaye/ftp is about to ask for its own, and
// servers close the old one then.
func (w *wire) forget() {
	if w != nil {
		w.port = 0
	}
}

func wireOf(sc *ftp.ServerConn) *wire {
	v := reflect.ValueOf(sc).Elem()
	conn, host, pret := v.FieldByName("conn"), v.FieldByName("host"), v.FieldByName("usePRET")
	if !conn.IsValid() || conn.Type() != reflect.TypeFor[*textproto.Conn]() ||
		!host.IsValid() || host.Kind() != reflect.String || !pret.IsValid() || pret.Kind() != reflect.Bool {
		return nil
	}
	if pret.Bool() || conn.IsNil() {
		return nil // servers that want PRET before each transfer keep jlaffaye/ftp's path
	}
	return &wire{tp: (*textproto.Conn)(conn.UnsafePointer()), host: host.String()}
}

// send writes one command without waiting for its reply.
func (w *wire) send(format string, args ...any) error {
	if strings.ContainsAny(fmt.Sprintf(format, args...), "\r\n") {
		return ftp.ErrInvalidCommand
	}
	_, err := w.tp.Cmd(format, args...)
	return err
}

// reply reads one reply; a code of 400 or more comes back as a *textproto.Error too.
func (w *wire) reply() (int, string, error) {
	code, msg, err := w.tp.ReadResponse(-1)
	if err == nil && code >= 400 {
		err = &textproto.Error{Code: code, Msg: msg}
	}
	return code, msg, err
}

// refusalWait is how long a transfer whose data connection failed waits for the
// server's refusal of the command.
const refusalWait = 5 * time.Second

// replyWithin is reply, given up after wait by calling abort (which closes the
// connection under it).
func (w *wire) replyWithin(abort func(), wait time.Duration) (int, string, error) {
	type result struct {
		code int
		msg  string
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		code, msg, err := w.reply()
		ch <- result{code, msg, err}
	}()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case r := <-ch:
		return r.code, r.msg, r.err
	case <-t.C:
		abort()
		r := <-ch
		return 0, "", r.err
	}
}

// errNoEPSV is a server that refused EPSV: the Client goes back to jlaffaye/ftp, which
// knows PASV.
var errNoEPSV = errors.New("server refused EPSV")

// passive returns a port the server listens on for the next data connection.
func (w *wire) passive() (int, error) {
	if w.port != 0 {
		p := w.port
		w.port = 0
		if time.Since(w.at) < portFresh {
			return p, nil
		}
	}
	if err := w.send("EPSV"); err != nil {
		return 0, err
	}
	code, msg, err := w.reply()
	if code != 0 && code != 229 {
		return 0, fmt.Errorf("%w: %w", errNoEPSV, err)
	}
	if err != nil {
		return 0, err
	}
	return parseEPSV(msg)
}

func parseEPSV(line string) (int, error) {
	start, end := strings.Index(line, "|||"), strings.LastIndex(line, "|")
	if start < 0 || start+3 >= end {
		return 0, fmt.Errorf("invalid EPSV reply %q", line)
	}
	return strconv.Atoi(line[start+3 : end])
}

// transfer starts RETR, STOR or APPE (after REST when off > 0): the data connection is
// dialled while the command is on its way, and the server's 1xx is awaited. With ahead,
// the next transfer's EPSV follows the command in the same write: servers read it once
// this transfer is over, and its reply comes with the verdict (see finish).
func (c *Client) transfer(ctx context.Context, off int64, ahead bool, format string, args ...any) (net.Conn, error) {
	if off > 0 {
		// Not sent ahead: a refused REST followed by a RETR already under way would
		// leave a transfer's verdict unread.
		if err := c.w.send("REST %d", off); err != nil {
			return nil, err
		}
		if code, _, err := c.w.reply(); err != nil || code != 350 {
			return nil, errors.Join(err, fmt.Errorf("REST answered %d", code))
		}
	}
	port, err := c.w.passive()
	if err != nil {
		return nil, err
	}
	type dialed struct {
		conn net.Conn
		err  error
	}
	ch := make(chan dialed, 1)
	go func() {
		conn, err := c.dialData(ctx, net.JoinHostPort(c.w.host, strconv.Itoa(port)))
		ch <- dialed{conn, err}
	}()
	_, late := lateEPSV.Load(c.statKey())
	ahead = ahead && !late
	err = c.w.send(format, args...)
	if err == nil && ahead {
		err = c.w.send("EPSV")
	}
	d := <-ch
	if err != nil {
		if d.conn != nil {
			_ = d.conn.Close()
		}
		c.closeConns() // a command may be half sent: this connection is out of step
		return nil, err
	}
	c.w.ahead = ahead
	var code int
	var msg string
	if d.err != nil {
		// A server that refuses the command may close its port before the connection
		// lands: its reply says so, within a round trip. One that waits for the
		// connection says nothing, and the connection is given up.
		code, msg, err = c.w.replyWithin(c.closeConns, refusalWait)
		if code < 400 {
			c.closeConns()
			return nil, d.err
		}
	} else {
		code, msg, err = c.w.reply()
	}
	if err == nil && code != 125 && code != 150 {
		err = &textproto.Error{Code: code, Msg: msg}
	}
	if err != nil {
		if d.conn != nil {
			_ = d.conn.Close()
		}
		if c.w.ahead && code != 0 {
			// Refused: no transfer, and the EPSV's reply comes next.
			c.w.ahead = false
			if code2, msg2, _ := c.w.reply(); code2 == 229 {
				c.w.port, _ = parseEPSV(msg2)
				c.w.at = time.Now()
			} else if code2 == 0 {
				c.closeConns()
			}
		}
		return nil, err
	}
	return d.conn, nil
}

// lateEPSV holds the hosts (statKey) that read an EPSV sent ahead in the middle of a
// transfer and refused it (ProFTPD: "450 EPSV: data transfer in progress"; Pure-FTPd
// answers 500): their connections ask for the next port after the verdict.
var lateEPSV sync.Map

// finish reads the server's verdict on a transfer whose data connection is closed, with
// the reply to the EPSV sent ahead (transfer) or sent now, so the next transfer's port
// costs no round trip of its own. The EPSV's reply is told apart by its 229: most servers
// answer it after the verdict, some during the transfer (FileZilla Server opens the port
// at once; ProFTPD refuses with 450, and the verdict follows).
func (c *Client) finish() error {
	ahead := c.w.ahead
	c.w.ahead = false
	_, late := lateEPSV.Load(c.statKey())
	if !ahead && (late || c.w.send("EPSV") != nil) {
		_, _, err := c.w.reply()
		return err
	}
	code, msg, err := c.w.reply()
	if code == 0 {
		return err // no reply: the connection is gone
	}
	code2, msg2, err2 := c.w.reply()
	switch {
	case code2 == 0:
		return errors.Join(err, err2)
	case code == 229:
		c.w.port, _ = parseEPSV(msg)
		c.w.at = time.Now()
		return err2
	case code2 == 229:
		c.w.port, _ = parseEPSV(msg2)
		c.w.at = time.Now()
		return err
	case code >= 400 && code2 < 300:
		lateEPSV.Store(c.statKey(), true)
		return nil // the second reply is the verdict, and a good one
	}
	lateEPSV.Store(c.statKey(), true) // EPSV refused: ask after the verdict from now on
	return err
}

// fastReader is a download started by transfer.
type fastReader struct {
	c      *Client
	conn   net.Conn
	ctx    context.Context
	stop   func() bool
	path   string
	closed bool
}

func (r *fastReader) Read(p []byte) (int, error) {
	n, err := r.conn.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = r.c.mapErr(r.ctx, "read", r.path, err)
	}
	return n, err
}

// Close ends the data connection and reads the server's verdict on the transfer.
func (r *fastReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	defer r.stop()
	err := r.conn.Close()
	if ferr := r.c.finish(); ferr != nil {
		err = ferr
	}
	if err != nil {
		return r.c.mapErr(r.ctx, "read", r.path, err)
	}
	return nil
}

// fastWriter is an upload started by transfer.
type fastWriter struct {
	c      *Client
	conn   net.Conn
	ctx    context.Context
	stop   func() bool
	path   string
	n      int64
	closed bool
	err    error
}

func (w *fastWriter) Write(p []byte) (int, error) {
	n, err := w.conn.Write(p)
	w.n += int64(n)
	if err != nil {
		// The upload ended early; the server's verdict says why.
		if ferr := w.end(); ferr != nil {
			err = ferr
		}
		return n, w.c.mapErr(w.ctx, "write", w.path, err)
	}
	return n, nil
}

func (w *fastWriter) end() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	defer w.stop()
	if hs, ok := w.conn.(interface{ Handshake() error }); ok && w.n == 0 {
		// An empty upload never wrote, so TLS never started; the server waits for it.
		w.err = hs.Handshake()
	}
	if err := w.conn.Close(); err != nil && w.err == nil {
		w.err = err
	}
	if err := w.c.finish(); err != nil {
		w.err = err
	}
	return w.err
}

// Close ends the upload and waits for the server to confirm it has the whole file.
func (w *fastWriter) Close() error {
	if err := w.end(); err != nil {
		return w.c.mapErr(w.ctx, "write", w.path, err)
	}
	return nil
}

// fastOpen is Open through transfer; ok is false when the server refused EPSV and the
// Client went back to jlaffaye/ftp.
func (c *Client) fastOpen(ctx context.Context, clean, abs string, off int64) (io.ReadCloser, bool, error) {
	stop := c.guard(ctx)
	conn, err := c.transfer(ctx, off, true, "RETR %s", abs)
	if errors.Is(err, errNoEPSV) {
		stop()
		c.w = nil
		return nil, false, nil
	}
	if err != nil {
		err = c.refusal(ctx, "read", clean, abs, err)
		stop()
		return nil, true, err
	}
	return &fastReader{c: c, conn: conn, ctx: ctx, stop: stop, path: abs}, true, nil
}

// fastCreate is Create through transfer for a new file (STOR); ok as for fastOpen.
func (c *Client) fastCreate(ctx context.Context, clean, abs string) (io.WriteCloser, bool, error) {
	stop := c.guard(ctx)
	conn, err := c.transfer(ctx, 0, false, "STOR %s", abs)
	if errors.Is(err, errNoEPSV) {
		stop()
		c.w = nil
		return nil, false, nil
	}
	if err != nil {
		err = c.refusal(ctx, "write", clean, abs, err)
		stop()
		return nil, true, err
	}
	return &fastWriter{c: c, conn: conn, ctx: ctx, stop: stop, path: abs}, true, nil
}

// Ensure the fast types keep the Tree's contracts.
var (
	_ io.ReadCloser  = (*fastReader)(nil)
	_ io.WriteCloser = (*fastWriter)(nil)
)
