package mysqldb

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// loaders are the connections that execute INSERT batches. Each runs its own transaction,
// committed every few megabytes and at every flush, so the many small commits of a plain
// mysql-client import are avoided.
type loaders struct {
	ctx    context.Context
	cancel context.CancelFunc
	main   *sql.Conn // runs everything that is not an INSERT, alone
	ws     []*loader
	batch  []byte
	line   int // first line of the batch
	lines  int // last line of the batch
	max    int
	next   int
	wg     sync.WaitGroup
	// prepared sends rows as prepared INSERTs (see prepared.go); rows holds the rows
	// waiting, rowsLine and rowsLines the lines they came from
	prepared            bool
	rows                *rowBatch
	rowsLine, rowsLines int
	// at is the line of the statement being executed: a COMMIT that fails at a flush is
	// reported there
	at int
}

type loader struct {
	conn  *sql.Conn
	ch    chan loadJob
	stmts stmtCache
}

type loadJob struct {
	sql       string
	rows      *rowBatch
	from, to  int // lines, for messages
	flush     chan error
	broadcast bool
}

const commitEvery = 32 << 20

func newLoaders(ctx context.Context, db *DB, n int) (*loaders, error) {
	lctx, cancel := context.WithCancel(ctx)
	ld := &loaders{ctx: lctx, cancel: cancel, max: 1 << 20}
	conns, err := openConns(ctx, db, n, sessionSQL+", autocommit = 0")
	if err != nil {
		cancel()
		return nil, err
	}
	for _, c := range conns {
		w := &loader{conn: c, ch: make(chan loadJob, 4), stmts: stmtCache{}}
		ld.ws = append(ld.ws, w)
		ld.wg.Add(1)
		go ld.run(w)
	}
	return ld, nil
}

// openConns opens n connections at once, each prepared with init. On the SSH command and
// PHP routes a connection costs a remote process start (an SSH session, a shell, a mysql
// client: over 100 ms on a loaded server), which would add up if they were opened in turn.
// Under a Gate (a host's connection budget) only the first is needed: it opens first, the
// others then as Optional (else they could take the slots it waits for), and the work goes
// on without those the budget or the server refused.
func openConns(ctx context.Context, db *DB, n int, init string) ([]*sql.Conn, error) {
	conns := make([]*sql.Conn, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		if i == 1 && db.cfg.Gate != nil {
			wg.Wait()
			if errs[0] != nil {
				return nil, errs[0]
			}
		}
		wg.Go(func() {
			cctx := ctx
			if i > 0 && db.cfg.Gate != nil {
				cctx = optional(ctx)
			}
			c, err := db.db.Conn(cctx)
			if err == nil {
				if _, err = c.ExecContext(ctx, init); err != nil {
					c.Close()
					c = nil
				}
			}
			if err != nil && i > 0 && db.cfg.Gate != nil && ctx.Err() == nil {
				err = nil // an optional connection the budget did not grant
			}
			conns[i], errs[i] = c, err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
		for _, e := range errs { // the first cause, as a single connection would report it
			if e != nil {
				return nil, e
			}
		}
	}
	return slices.DeleteFunc(conns, func(c *sql.Conn) bool { return c == nil }), nil
}

// run executes one loader's jobs in order. After an error it skips the rest until the next
// flush, which reports the error.
func (ld *loaders) run(w *loader) {
	defer ld.wg.Done()
	var failed error
	sinceCommit := 0
	// dirty is set once the connection ran something that may have opened a transaction
	// since its last COMMIT: a flush with nothing to commit sends no COMMIT, a round trip
	// saved per loader for each statement of a mysqldump file that flushes (DDL, LOCK
	// TABLES, ...), which on the SSH command and PHP routes is a trip to the server
	dirty := false
	for j := range w.ch {
		if j.flush != nil {
			if failed == nil && dirty {
				if _, err := w.conn.ExecContext(ld.ctx, "COMMIT"); err != nil {
					failed = importErr(j.from, err)
				}
			}
			sinceCommit, dirty = 0, false
			j.flush <- failed
			failed = nil
			continue
		}
		if failed != nil {
			continue
		}
		// a session SET touches no table unless it reads one
		dirty = dirty || !j.broadcast || bytes.Contains(bytes.ToUpper([]byte(j.sql)), []byte("SELECT"))
		sent, err := len(j.sql), error(nil)
		if j.rows != nil {
			sent, err = w.stmts.insertRows(ld.ctx, w.conn, j.rows)
			j.rows.release()
		} else {
			_, err = w.conn.ExecContext(ld.ctx, j.sql)
		}
		if err != nil {
			failed = importErr(j.from, err)
			if j.to > j.from {
				failed = &ImportError{Line: j.from, Msg: fmt.Sprintf("%s (in the statements at lines %d-%d)", failed.Error(), j.from, j.to), Err: err}
			}
			ld.cancel()
			continue
		}
		if j.broadcast && bytes.Contains(bytes.ToLower([]byte(j.sql)), []byte("unique_checks")) {
			// Keep unique checks on in loaders: with them off, MariaDB bulk-loads an empty
			// table under a table lock, and parallel loaders of one table would wait on it.
			if _, err := w.conn.ExecContext(ld.ctx, "SET SESSION unique_checks = 1"); err != nil {
				failed = importErr(j.from, err)
				ld.cancel()
				continue
			}
		}
		sinceCommit += sent
		if sinceCommit >= commitEvery {
			if _, err := w.conn.ExecContext(ld.ctx, "COMMIT"); err != nil {
				failed = importErr(j.from, err)
				ld.cancel()
			}
			sinceCommit, dirty = 0, false
		}
	}
}

// insertRows adds the rows of an INSERT INTO ... VALUES (text, tuples at text[at:]) to the
// batch of prepared rows of its table. It reports false, having changed nothing, when the
// statement must be sent as it is.
func (ld *loaders) insertRows(table string, cols []string, text []byte, at, line int) (bool, error) {
	key := table + "\x00" + strings.Join(cols, "\x00")
	// A statement's values take at most its text's bytes: a batch that could not hold them
	// goes first, rather than grow (copying the megabyte it holds) for them.
	if ld.rows != nil && (ld.rows.key != key || len(ld.rows.arena) >= rowBatchMax ||
		len(ld.rows.arena) > 0 && len(ld.rows.arena)+len(text)-at > cap(ld.rows.arena)) {
		if err := ld.sendRows(); err != nil {
			return false, err
		}
	}
	if ld.rows == nil {
		ld.rows = newRowBatch(table, cols, key)
		ld.rowsLine = line
	}
	if _, ok := decodeRows(ld.rows, text, at); !ok {
		return false, nil
	}
	if err := ld.send(); err != nil { // INSERTs before these rows go first
		return false, err
	}
	ld.rowsLines = line
	return true, nil
}

// sendRows hands the batch of prepared rows to the loader with the shortest queue.
func (ld *loaders) sendRows() error {
	if ld.rows == nil {
		return nil
	}
	b := ld.rows
	ld.rows = nil
	if b.rows == 0 {
		return nil
	}
	return ld.dispatch(loadJob{rows: b, from: ld.rowsLine, to: ld.rowsLines})
}

// insert adds one INSERT to the current batch, sending the batch when it is full.
func (ld *loaders) insert(text []byte, line int) error {
	if err := ld.sendRows(); err != nil { // rows before this INSERT go first
		return err
	}
	if len(ld.batch) > 0 && len(ld.batch)+len(text)+2 > ld.max {
		if err := ld.send(); err != nil {
			return err
		}
	}
	if len(ld.batch) == 0 {
		ld.line = line
	} else {
		ld.batch = append(ld.batch, ";\n"...)
	}
	ld.batch = append(ld.batch, text...)
	ld.lines = line
	return nil
}

// send hands the batch to the loader with the shortest queue.
func (ld *loaders) send() error {
	if len(ld.batch) == 0 {
		return nil
	}
	j := loadJob{sql: string(ld.batch), from: ld.line, to: ld.lines}
	ld.batch = ld.batch[:0]
	return ld.dispatch(j)
}

// dispatch queues a job on the loader with the shortest queue.
func (ld *loaders) dispatch(j loadJob) error {
	best := ld.ws[ld.next%len(ld.ws)]
	for _, w := range ld.ws {
		if len(w.ch) < len(best.ch) {
			best = w
		}
	}
	ld.next++
	select {
	case best.ch <- j:
		return nil
	case <-ld.ctx.Done():
		return ld.flush() // reports the loader's error rather than "context canceled"
	}
}

// broadcast runs a session SET on every connection, in stream order.
func (ld *loaders) broadcast(ctx context.Context, text []byte, line int) error {
	if err := ld.sendRows(); err != nil {
		return err
	}
	if err := ld.send(); err != nil {
		return err
	}
	if _, err := ld.main.ExecContext(ctx, string(text)); err != nil {
		return importErr(line, err)
	}
	for _, w := range ld.ws {
		select {
		case w.ch <- loadJob{sql: string(text), from: line, to: line, broadcast: true}:
		case <-ld.ctx.Done():
			return ld.flush()
		}
	}
	return nil
}

// flush sends the batch, waits until every loader has executed and committed its queue,
// and returns the first error any of them met.
func (ld *loaders) flush() error {
	var errs []error
	if ld.rows != nil && ld.ctx.Err() == nil {
		if err := ld.sendRows(); err != nil {
			errs = append(errs, err)
		}
	}
	ld.rows = nil
	if len(ld.batch) > 0 && ld.ctx.Err() == nil {
		if err := ld.send(); err != nil {
			errs = append(errs, err)
		}
	}
	ld.batch = ld.batch[:0]
	replies := make([]chan error, len(ld.ws))
	for i, w := range ld.ws {
		replies[i] = make(chan error, 1)
		w.ch <- loadJob{flush: replies[i], from: ld.at}
	}
	for _, r := range replies {
		if err := <-r; err != nil {
			errs = append(errs, err)
		}
	}
	for _, err := range errs { // the cause, not the cancellations it triggered elsewhere
		if !errors.Is(err, context.Canceled) {
			return err
		}
	}
	if len(errs) > 0 {
		return errs[0]
	}
	if err := ld.ctx.Err(); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// close stops the loaders, rolling back anything not committed.
func (ld *loaders) close() error {
	for _, w := range ld.ws {
		close(w.ch)
	}
	ld.wg.Wait()
	for _, w := range ld.ws {
		w.conn.ExecContext(context.Background(), "ROLLBACK")
		w.stmts.close()
		w.conn.Close()
	}
	ld.cancel()
	return nil
}
