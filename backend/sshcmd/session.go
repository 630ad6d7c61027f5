package sshcmd

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"

	"ferry/backend/mysqlwire"
)

var _ mysqlwire.Connector = (*Runner)(nil)

// Connect starts one mysql client on the server that stays up for a whole wire connection,
// so that its session (settings, transactions) lasts as a direct connection's would and a
// query costs a round trip instead of an SSH session. After each query Ferry sends
// SELECT 'ferry-mark-N': its output line tells where the query's output ends. A failed
// query ends the client (it runs without --force); the next query starts a new one.
func (r *Runner) Connect(ctx context.Context) (mysqlwire.Session, error) {
	s := &liveSession{r: r}
	if err := s.start(); err != nil {
		return nil, err
	}
	return s, nil
}

type liveSession struct {
	r    *Runner
	ss   *ssh.Session
	in   io.WriteCloser
	out  *bufio.Reader
	errb *syncBuffer
	n    int
	// line is the number of lines the client has been sent; the client's errors say
	// "at line N" in these terms
	line int
	// sets are the session SET statements answered at once and not sent yet: they go
	// ahead of the next query (see Query)
	sets []pendingSet
}

// pendingSet is a SET statement and the lines it takes in the client's input.
type pendingSet struct {
	text     string
	from, to int
}

// setOnly matches one SET statement (possibly in a version comment, as mysqldump writes
// them): it changes the session only and returns no rows.
var setOnly = regexp.MustCompile(`(?is)^\s*(/\*!\d*\s*)?SET\s[^;]*$`)

func (s *liveSession) start() error {
	cmd := s.r.cliBin + " --defaults-extra-file=" + shq(s.r.optFile) + " --batch --unbuffered --binary-mode --comments --delimiter=" + shq(delimiter) + " " + shq(s.r.db.Name)
	if s.r.Commands != nil {
		s.r.Commands(cmd)
	}
	ss, err := s.r.client.NewSession()
	if err != nil {
		return fmt.Errorf("open ssh session: %w", err)
	}
	in, err := ss.StdinPipe()
	if err != nil {
		ss.Close()
		return err
	}
	out, err := ss.StdoutPipe()
	if err != nil {
		ss.Close()
		return err
	}
	s.errb = &syncBuffer{}
	ss.Stderr = s.errb
	if err := ss.Start(cmd); err != nil {
		ss.Close()
		return fmt.Errorf("start %s on the server: %w", baseName(s.r.cliBin), err)
	}
	s.ss, s.in, s.out = ss, in, bufio.NewReaderSize(out, 64<<10)
	s.line, s.sets = 0, nil
	return nil
}

func (s *liveSession) Close() error {
	if s.ss == nil {
		return nil
	}
	s.in.Close()
	err := s.ss.Wait()
	s.ss.Close()
	s.ss = nil
	return err
}

func (s *liveSession) Query(ctx context.Context, q string, sink mysqlwire.Sink) error {
	if s.ss == nil {
		if err := s.start(); err != nil {
			return err
		}
	}
	if setOnly.MatchString(q) && !strings.Contains(q, delimiter) && len(s.sets) < 64 {
		// A session SET is answered at once and goes ahead of the next query, in the same
		// round trip: an import's SETs (mysqldump writes a dozen, and each goes to every
		// connection) would otherwise cost a trip each. Should one fail, the next query
		// reports its error, naming it (fail).
		from := s.line + 1
		s.line += strings.Count(q, "\n") + 1
		s.sets = append(s.sets, pendingSet{text: q, from: from, to: s.line})
		return sink.OK(mysqlwire.Result{})
	}
	stop := context.AfterFunc(ctx, func() { s.ss.Close() })
	defer stop()
	s.n++
	s.r.trips.Add(1)
	mark := "ferry-mark-" + strconv.Itoa(s.n)
	var b strings.Builder
	for _, p := range s.sets {
		b.WriteString(p.text + delimiter + "\n")
	}
	b.WriteString(q + delimiter + "\nSELECT '" + mark + "'" + delimiter + "\n")
	s.line += strings.Count(q, "\n") + 2
	if _, err := io.WriteString(s.in, b.String()); err != nil {
		return s.fail(ctx, err)
	}
	var cols []mysqlwire.Column
	var vals [][]byte
	for {
		line, err := s.out.ReadBytes('\n')
		if err != nil {
			return s.fail(ctx, err)
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		if string(line) == mark { // the marker's header; its row follows
			if l2, err := s.out.ReadBytes('\n'); err != nil || string(bytes.TrimSuffix(l2, []byte("\n"))) != mark {
				return s.fail(ctx, errors.New("lost track of the client's output"))
			}
			s.sets = nil // ran: the client is still there
			if cols == nil {
				return sink.OK(mysqlwire.Result{})
			}
			return sink.End()
		}
		fields := bytes.Split(line, []byte("\t"))
		if cols == nil {
			cols = make([]mysqlwire.Column, len(fields))
			for i, f := range fields {
				cols[i] = mysqlwire.Column{Name: string(unescape(f)), Type: 253}
			}
			vals = make([][]byte, len(cols))
			if err := sink.Columns(cols); err != nil {
				return err
			}
			continue
		}
		for i := range vals {
			vals[i] = nil
			if i < len(fields) && string(fields[i]) != "NULL" {
				vals[i] = unescape(fields[i])
			}
		}
		if err := sink.Row(vals); err != nil {
			return err
		}
	}
}

// fail ends the client after an error and reports the server's error when it printed one.
func (s *liveSession) fail(ctx context.Context, err error) error {
	s.in.Close()
	_ = s.ss.Wait()
	s.ss.Close()
	s.ss = nil
	if ctx.Err() != nil {
		return ctx.Err()
	}
	sets := s.sets
	s.sets = nil
	msg := s.errb.String()
	if m := lineErrRe.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		e := &mysqlwire.Error{Number: uint16(n), State: m[2], Message: m[4]}
		if at, err := strconv.Atoi(m[3]); err == nil {
			for _, p := range sets {
				if at >= p.from && at <= p.to {
					e.Message += " (in the earlier statement " + clipSQL(p.text) + ")"
				}
			}
		}
		return e
	}
	if m := errRe.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return &mysqlwire.Error{Number: uint16(n), State: m[2], Message: m[3]}
	}
	return fmt.Errorf("%s on the server: %w: %s", baseName(s.r.cliBin), err, strings.TrimSpace(msg))
}

// lineErrRe is the client's error with the line of its input it was at.
var lineErrRe = regexp.MustCompile(`ERROR (\d+) \(([0-9A-Z]{5})\) at line (\d+): (.*)`)

// clipSQL shortens a statement for an error message.
func clipSQL(q string) string {
	q = strings.Join(strings.Fields(q), " ")
	if len(q) > 120 {
		q = q[:117] + "..."
	}
	return q
}

// syncBuffer is a limitBuffer safe for the SSH library's writer goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  limitBuffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
