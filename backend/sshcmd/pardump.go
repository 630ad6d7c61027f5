package sshcmd

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// Part is one mysqldump run of a parallel dump: a base table's rows, all of them or those
// matching Where (a primary-key range).
type Part struct {
	Table string
	Where string
}

// DumpParallel streams the database into w as several mysqldump processes read it: the
// tables' and views' definitions, the rows in parts, one mysqldump per part, run by
// workers at once, and the triggers when the database has some. The control session,
// when free, dumps the definitions and then is one of the workers; each other worker is
// a session of its own. mysqldump is single-threaded and, on a fast link, is what limits
// a dump; the server has cores to spare. A worker's session runs its parts one after the
// other (see partScript): an SSH session start costs a shell start, 0.1 s and more on a
// loaded host, so a session per part would cost more than it saves.
//
// The output is one valid SQL stream in mysqldump's format: the definitions' dump up to
// its closing settings, then the parts' INSERT statements, each whole, those of different
// parts interleaved as they come (the same table's rows in no particular order, as in
// Ferry's own dump), then the triggers (after the rows, so that loading the rows does not
// fire them), then the definitions' dump's closing settings and "-- Dump completed".
// Each process reads its own snapshot (--single-transaction), started milliseconds apart.
// A server that allows fewer sessions at once (MaxSessions) gets fewer workers.
func (r *Runner) DumpParallel(ctx context.Context, w io.Writer, parts []Part, workers int, triggers bool) error {
	for _, p := range parts {
		if strings.ContainsAny(p.Table+p.Where, "\r\n") {
			return r.Dump(ctx, w) // a part is asked in lines: the dump cannot be cut
		}
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	var first error
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if first == nil && (!errors.Is(err, context.Canceled) || parent.Err() != nil) {
			first = err // a part stopped by another's failure does not hide that failure
		}
		cancel()
	}
	workers = min(max(workers, 1), max(len(parts), 1))
	q := &partQueue{parts: parts, active: workers}
	stmts := make(chan *[]byte, 2*workers)
	// the control session, when free, dumps the definitions and is then one of the
	// workers: it needs no session start
	ctl := r.ctl != nil && r.ctlMu.TryLock()
	if ctl && r.ctlLost {
		r.ctlMu.Unlock()
		ctl = false
	}
	sessions := workers
	if ctl {
		sessions--
	}
	var wg sync.WaitGroup
	for range sessions {
		wg.Go(func() {
			if err := r.partWorker(ctx, q, stmts); err != nil {
				fail(err)
			}
		})
	}
	var schema bytes.Buffer
	if ctl {
		if err := r.ctlDump(ctx, &schema, "schema"); err != nil {
			fail(err)
			r.ctlMu.Unlock()
		} else {
			wg.Go(func() {
				defer r.ctlMu.Unlock()
				if err := r.ctlWorker(ctx, q, stmts); err != nil {
					fail(err)
				}
			})
		}
	} else if err := r.dumpMode(ctx, &schema, "schema"); err != nil {
		fail(err)
	}
	go func() { wg.Wait(); close(stmts) }()
	head, footer := splitFooter(schema.Bytes())
	ok := ctx.Err() == nil
	write := func(p []byte) {
		if ok {
			if _, err := w.Write(p); err != nil {
				ok = false
				fail(err)
			}
		}
	}
	write(head)
	for s := range stmts {
		write(*s)
		putStmt(s)
	}
	if parent.Err() != nil {
		return parent.Err()
	}
	mu.Lock()
	err := first
	mu.Unlock()
	if err != nil {
		return err
	}
	if triggers {
		var tb bytes.Buffer
		if err := r.dumpMode(ctx, &tb, "triggers"); err != nil {
			return err
		}
		if _, err := w.Write(bodyOf(tb.Bytes())); err != nil {
			return err
		}
	}
	_, err = w.Write(footer)
	return err
}

// dataFlags dump a part's rows only, as INSERT statements that stand alone: no table
// locks or key toggles, which would not hold with other tables' rows interleaved.
const dataFlags = "--no-create-info --skip-triggers --skip-add-locks --skip-disable-keys"

// partScript runs the parts asked on stdin, three lines each (BOUNDARY, table, condition),
// until stdin ends: the dump's output, then "\nBOUNDARY STATUS", its error output and
// "\nBOUNDARY end", as the control session does (ctldump.go). Table and condition are
// read, never parsed by the shell. dump, file and db are quoted for the shell.
func partScript(dump, file, db string) string {
	return `e=$(mktemp "${TMPDIR:-/tmp}/ferry-e.XXXXXXXX") || exit 3; trap 'rm -f "$e"' EXIT; trap 'exit 1' HUP INT TERM PIPE; ` +
		`while IFS= read -r b && IFS= read -r t && IFS= read -r w; do ` +
		`if [ -n "$w" ]; then set -- --where="$w"; else set --; fi; ` +
		dump + ` --defaults-extra-file=` + file + ` ` + dumpFlags + ` ` + dataFlags + ` "$@" -- ` + db + ` "$t" < /dev/null 2> "$e"; ` +
		`printf '\n%s %s\n' "$b" "$?"; head -c 8192 "$e"; printf '\n%s end\n' "$b"; done`
}

// partQueue hands out the parts. active counts the workers still running: a worker that
// gets no session stops when another still runs, which will take the parts.
type partQueue struct {
	mu     sync.Mutex
	parts  []Part
	active int
}

func (q *partQueue) next() (Part, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.parts) == 0 {
		q.active-- // this worker ends
		return Part{}, false
	}
	p := q.parts[0]
	q.parts = q.parts[1:]
	return p, true
}

// leave ends the caller's work unless it is the last worker; it reports whether it did.
func (q *partQueue) leave() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.active <= 1 {
		return false
	}
	q.active--
	return true
}

// ctlWorker dumps parts through the control session (its caller holds ctlMu) until none
// is left.
func (r *Runner) ctlWorker(ctx context.Context, q *partQueue, out chan<- *[]byte) error {
	for {
		p, ok := q.next()
		if !ok {
			return nil
		}
		fw := &framingWriter{ctx: ctx, out: out}
		err := r.ctlDump(ctx, fw, "part", p.Table, p.Where)
		if cerr := fw.close(); err == nil {
			err = cerr
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("%s (table %s): %w", baseName(r.dumpBin), p.Table, err)
		}
	}
}

// partWorker starts a session running partScript and dumps parts through it until none is
// left, sending each INSERT statement whole.
func (r *Runner) partWorker(ctx context.Context, q *partQueue, out chan<- *[]byte) error {
	cmd := partScript(shq(r.dumpBin), shq(r.optFile), shq(r.db.Name))
	var s *ssh.Session
	for retries := 1; ; retries++ {
		if r.Commands != nil {
			r.Commands(cmd)
		}
		var err error
		if s, err = r.client.NewSession(); err == nil {
			break
		}
		var oe *ssh.OpenChannelError
		if !errors.As(err, &oe) || retries > 20 {
			return fmt.Errorf("%s on the server: open ssh session: %w", baseName(r.dumpBin), err)
		}
		// the server allows fewer sessions at once (MaxSessions): the other workers take
		// the parts; the last one waits for a session to end
		if q.leave() {
			return nil
		}
		select {
		case <-time.After(time.Duration(retries) * 50 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	defer s.Close()
	in, err := s.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := s.StdoutPipe()
	if err != nil {
		return err
	}
	errb := &syncBuffer{}
	s.Stderr = errb
	if err := s.Start(cmd); err != nil {
		return fmt.Errorf("%s on the server: %w", baseName(r.dumpBin), err)
	}
	stop := context.AfterFunc(ctx, func() { s.Close() })
	defer stop()
	br := bufio.NewReaderSize(stdout, 256<<10)
	for {
		p, ok := q.next()
		if !ok {
			in.Close()
			_ = s.Wait()
			return nil
		}
		var rb [16]byte
		_, _ = rand.Read(rb[:])
		boundary := "ferry-part-" + hex.EncodeToString(rb[:])
		if r.Commands != nil {
			r.Commands("part " + boundary + " " + shq(p.Table) + " " + shq(p.Where))
		}
		if _, err := io.WriteString(in, boundary+"\n"+p.Table+"\n"+p.Where+"\n"); err != nil {
			return r.partErr(ctx, p, err, errb)
		}
		if err := r.readPart(ctx, br, boundary, p, out); err != nil {
			return r.partErr(ctx, p, err, errb)
		}
	}
}

// partErr names the part that failed, with the session's error output when it has some.
func (r *Runner) partErr(ctx context.Context, p Part, err error, errb *syncBuffer) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if msg := strings.TrimSpace(errb.String()); msg != "" {
		err = fmt.Errorf("%w (%s)", err, msg)
	}
	return fmt.Errorf("%s on the server (table %s): %w", baseName(r.dumpBin), p.Table, err)
}

// readPart reads one part's answer: its statements go to out, then its exit status and
// error output.
func (r *Runner) readPart(ctx context.Context, br *bufio.Reader, boundary string, p Part, out chan<- *[]byte) error {
	mark := []byte(boundary + " ")
	var f framer
	var ferr error
	status := ""
	for status == "" {
		line, err := readLine(br)
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			f.end()
			return err
		}
		if bytes.HasPrefix(line, mark) {
			status = strings.TrimSpace(string(line[len(mark):]))
			if err := f.end(); err != nil && ferr == nil && status == "0" {
				ferr = err
			}
			break
		}
		if ferr != nil {
			continue // read on to the status, so that the session stays in step
		}
		s, err := f.add(line)
		if err != nil {
			ferr = err
			continue
		}
		if s != nil {
			select {
			case out <- s:
			case <-ctx.Done():
				putStmt(s)
				return ctx.Err()
			}
		}
	}
	var errText limitBuffer
	for {
		line, err := readLine(br)
		if err != nil {
			return io.ErrUnexpectedEOF
		}
		if bytes.HasPrefix(line, mark) {
			break
		}
		errText.Write(line)
	}
	if status != "0" {
		return fmt.Errorf("exit status %s: %s", status, strings.TrimSpace(errText.String()))
	}
	return ferr
}
