package sshcmd

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
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
// tables' and views' definitions first (through the control session when it is free), then
// the rows, one process per part, workers at a time, each in an SSH session of its own,
// then the triggers when the database has some. mysqldump is single-threaded and, on a
// fast link, is what limits a dump; the server has cores to spare.
//
// The output is one valid SQL stream in mysqldump's format: the definitions' dump up to
// its closing settings, then the parts' INSERT statements, each whole, those of different
// parts interleaved as they come (the same table's rows in no particular order, as in
// Ferry's own dump), then the triggers (after the rows, so that loading the rows does not
// fire them), then the definitions' dump's closing settings and "-- Dump completed".
// Each process reads its own snapshot (--single-transaction), started milliseconds apart.
// A server that allows fewer sessions at once (MaxSessions) gets fewer processes.
func (r *Runner) DumpParallel(ctx context.Context, w io.Writer, parts []Part, workers int, triggers bool) error {
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var schema bytes.Buffer
	if err := r.dumpMode(ctx, &schema, "schema"); err != nil {
		return err
	}
	head, footer := splitFooter(schema.Bytes())
	if _, err := w.Write(head); err != nil {
		return err
	}

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
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			if err := r.partWorker(ctx, q, stmts); err != nil {
				fail(err)
			}
		})
	}
	go func() { wg.Wait(); close(stmts) }()
	ok := true
	for s := range stmts {
		if ok {
			if _, err := w.Write(*s); err != nil {
				ok = false
				fail(err)
			}
		}
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

// dumpPart runs one mysqldump with extra flags for table (the rows matching where, when
// set), in a session of its own; what names the part in errors.
func (r *Runner) dumpPart(ctx context.Context, w io.Writer, what, extra, table, where string) error {
	cmd := r.dumpBin + " --defaults-extra-file=" + shq(r.optFile) + " " + dumpFlags + " " + extra
	if where != "" {
		cmd += " --where=" + shq(where)
	}
	cmd += " -- " + shq(r.db.Name)
	if table != "" {
		cmd += " " + shq(table)
	}
	var errb limitBuffer
	if err := r.run(ctx, cmd, nil, w, &errb); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &partError{what: what, bin: baseName(r.dumpBin), err: err, msg: strings.TrimSpace(errb.String())}
	}
	return nil
}

// partError is a part's mysqldump that failed.
type partError struct {
	what, bin string
	err       error
	msg       string
}

func (e *partError) Error() string {
	return fmt.Sprintf("%s on the server (%s): %v: %s", e.bin, e.what, e.err, e.msg)
}

func (e *partError) Unwrap() error { return e.err }

// dataFlags dump a part's rows only, as INSERT statements that stand alone: no table
// locks or key toggles, which would not hold with other tables' rows interleaved.
const dataFlags = "--no-create-info --skip-triggers --skip-add-locks --skip-disable-keys"

// partQueue hands out the parts; a worker that cannot get a session gives its part back
// to the workers still running. active counts those.
type partQueue struct {
	mu     sync.Mutex
	parts  []Part
	active int
}

func (q *partQueue) next() (Part, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.parts) == 0 {
		q.active-- // this worker ends: a part given back now goes to one still running
		return Part{}, false
	}
	p := q.parts[0]
	q.parts = q.parts[1:]
	return p, true
}

// giveBack returns p to the queue unless the caller is the last worker; it reports
// whether it did (the caller then stops).
func (q *partQueue) giveBack(p Part) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.active <= 1 {
		return false
	}
	q.active--
	q.parts = append(q.parts, p)
	return true
}

// partWorker dumps parts until none is left, sending each INSERT statement whole.
func (r *Runner) partWorker(ctx context.Context, q *partQueue, out chan<- *[]byte) error {
	retries := 0
	var p Part
	again := false
	for {
		if !again {
			var ok bool
			if p, ok = q.next(); !ok {
				return nil
			}
			retries = 0
		}
		again = false
		pr, pw := io.Pipe()
		pctx, pcancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() {
			err := r.dumpPart(pctx, pw, "table "+p.Table, dataFlags, p.Table, p.Where)
			pw.CloseWithError(err)
			done <- err
		}()
		n, ferr := frameInserts(ctx, pr, out)
		if ferr != nil {
			pcancel() // the dump may be blocked writing what is no longer read
		}
		pr.CloseWithError(errors.New("stop"))
		err := <-done
		pcancel()
		var oe *ssh.OpenChannelError
		switch {
		case err != nil && n == 0 && errors.As(err, &oe):
			// the server allows fewer sessions at once (MaxSessions): the other workers
			// take the part; the last one waits for its previous session to be gone
			if q.giveBack(p) {
				return nil
			}
			if retries++; retries > 20 {
				return err
			}
			select {
			case <-time.After(time.Duration(retries) * 50 * time.Millisecond):
			case <-ctx.Done():
				return ctx.Err()
			}
			again = true
		case ferr != nil && (err == nil || errors.Is(err, context.Canceled)):
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("%s on the server (table %s): %w", baseName(r.dumpBin), p.Table, ferr)
		case err != nil:
			return err
		}
	}
}

var stmtPool = sync.Pool{New: func() any { b := make([]byte, 0, 1<<20); return &b }}

func getStmt() *[]byte { b := stmtPool.Get().(*[]byte); *b = (*b)[:0]; return b }
func putStmt(b *[]byte) {
	if cap(*b) <= 8<<20 {
		stmtPool.Put(b)
	}
}

// frameInserts reads a part's dump and sends its INSERT statements, each whole: one line
// (MySQL's mysqldump) or a line per row (MariaDB's), ending in ";" at the end of a line.
// mysqldump escapes line breaks inside values, so a line never ends inside one. The other
// lines are comments and the dump's opening and closing settings, which the definitions'
// dump carries for the whole stream; anything else is an error, not silently dropped.
func frameInserts(ctx context.Context, src io.Reader, out chan<- *[]byte) (n int, err error) {
	br := bufio.NewReaderSize(src, 256<<10)
	var stmt *[]byte
	for {
		line, rerr := readLine(br)
		if len(line) > 0 {
			if stmt == nil {
				if !bytes.HasPrefix(line, []byte("INSERT INTO ")) {
					if !isFrameLine(line) {
						return n, fmt.Errorf("unexpected line in a table's dump: %.80q", line)
					}
					continue
				}
				stmt = getStmt()
			}
			*stmt = append(*stmt, line...)
			if bytes.HasSuffix(bytes.TrimRight(line, "\r\n"), []byte(";")) {
				if (*stmt)[len(*stmt)-1] != '\n' {
					*stmt = append(*stmt, '\n')
				}
				select {
				case out <- stmt:
					n++
				case <-ctx.Done():
					putStmt(stmt)
					return n, ctx.Err()
				}
				stmt = nil
			}
		}
		if rerr == io.EOF {
			if stmt != nil {
				putStmt(stmt)
				return n, errors.New("the dump ended inside an INSERT statement")
			}
			return n, nil
		}
		if rerr != nil {
			if stmt != nil {
				putStmt(stmt)
			}
			return n, rerr
		}
	}
}

// readLine reads one line, "\n" included, however long.
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err != bufio.ErrBufferFull {
		return line, err
	}
	long := append([]byte{}, line...)
	for err == bufio.ErrBufferFull {
		line, err = br.ReadSlice('\n')
		long = append(long, line...)
	}
	return long, err
}

// frameSetRe matches mysqldump's opening and closing settings ("/*!40101 SET NAMES
// utf8mb4 */;", "/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;").
var frameSetRe = regexp.MustCompile(`^/\*!4\d{4} SET .*\*/;$`)

// isFrameLine reports a line of a dump's opening or closing: blank, a comment, MariaDB's
// sandbox line or a versioned SET.
func isFrameLine(line []byte) bool {
	l := bytes.TrimRight(line, " \r\n")
	return len(l) == 0 || bytes.HasPrefix(l, []byte("--")) || bytes.HasPrefix(l, []byte(`/*M!999999\- `)) || frameSetRe.Match(l)
}

// splitFooter cuts a dump before its closing lines (settings restored, "-- Dump
// completed").
func splitFooter(dump []byte) (head, footer []byte) {
	end := len(dump)
	for end > 0 {
		start := bytes.LastIndexByte(dump[:end-1], '\n') + 1
		if !isFrameLine(dump[start:end]) {
			break
		}
		end = start
	}
	return dump[:end], dump[end:]
}

// bodyOf is a dump without its opening and closing lines.
func bodyOf(dump []byte) []byte {
	body, _ := splitFooter(dump)
	for len(body) > 0 {
		i := bytes.IndexByte(body, '\n') + 1
		if i == 0 {
			i = len(body)
		}
		if !isFrameLine(body[:i]) {
			break
		}
		body = body[i:]
	}
	return body
}
