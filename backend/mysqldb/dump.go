package mysqldb

import (
	"compress/gzip"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"
)

// DumpOptions tune Dump. The zero value is a sensible default.
type DumpOptions struct {
	// Workers is the number of connections reading rows in parallel (default 4).
	Workers int
	// Gzip compresses the output.
	Gzip bool
	// MaxStatementBytes caps one extended INSERT (default 4 MiB). It is lowered to stay
	// below MaxAllowedPacket.
	MaxStatementBytes int
	// MaxAllowedPacket is the destination's max_allowed_packet when known; a row that cannot
	// fit below it fails the dump with a clear error instead of failing the import later.
	MaxAllowedPacket int
	// ChunkRows is how many primary-key values one read covers (default 100000).
	ChunkRows int
	// Tables limits the dump to these tables and views (default: all).
	Tables []string
	// AddDropTable writes DROP TABLE IF EXISTS before each CREATE TABLE, as mysqldump does.
	// Off by default so that loading the dump with the mysql client never destroys a table.
	AddDropTable bool
	// Lock takes a brief FLUSH TABLES WITH READ LOCK (at most 2 s of waiting; needs the
	// RELOAD privilege) so that every connection reads the same snapshot. Off by default:
	// on a busy shared server that lock waits for other clients' queries and stalls their
	// writes meanwhile. Without it each connection has its own snapshot, started a few
	// milliseconds apart.
	Lock bool
	// Progress, when set, is called at most every 100 ms and once at the end with the rows
	// read and bytes written so far. It is called from one goroutine.
	Progress func(rows, bytes int64)
}

// DumpStats describes a finished dump.
type DumpStats struct {
	Tables       int
	Views        int
	Triggers     int
	Routines     int
	Rows         int64
	Bytes        int64            // bytes written to w (compressed when Gzip)
	RowsPerTable map[string]int64 // rows dumped per table
	// Snapshot is "global" when every connection read the same snapshot (one worker, or
	// DumpOptions.Lock granted), or "per-connection": then each connection's reads are
	// consistent among themselves, and rows of one table read by different connections may
	// differ by the writes of the few milliseconds between their snapshots.
	Snapshot string
}

// Dump format markers, read back by Import for its resume cursor and truncation check.
const (
	dumpHeader   = "-- Ferry dump"
	markTable    = "-- ferry:table-done "
	markComplete = "-- ferry:dump-complete"
)

// Dump writes the database as plain SQL to w: CREATE TABLE statements first, then the rows
// as extended INSERTs, then views, triggers and routines (DEFINER removed). Tables are read
// by Workers connections in primary-key chunks; chunks of different tables may interleave in
// the output, each INSERT whole, which both the mysql client and Import load (Import loads
// them on several connections). A comment marks each table once all its rows are written.
func Dump(ctx context.Context, db *DB, w io.Writer, opts DumpOptions) (DumpStats, error) {
	st := DumpStats{RowsPerTable: map[string]int64{}}
	if opts.Workers <= 0 {
		opts.Workers = 4
	}
	if opts.ChunkRows <= 0 {
		opts.ChunkRows = 100000
	}
	if opts.MaxStatementBytes <= 0 {
		opts.MaxStatementBytes = 1 << 20
	}
	if opts.MaxAllowedPacket > 0 && opts.MaxStatementBytes > opts.MaxAllowedPacket-16<<10 {
		opts.MaxStatementBytes = max(opts.MaxAllowedPacket-16<<10, 16<<10)
	}
	main, err := db.db.Conn(ctx)
	if err != nil {
		return st, fmt.Errorf("dump: connect: %w", err)
	}
	defer main.Close()
	schema, err := readSchema(ctx, main, opts.Tables)
	if err != nil {
		return st, fmt.Errorf("dump: read schema: %w", err)
	}
	units, err := planUnits(ctx, main, schema.tables, opts.ChunkRows, dumpUnitBytes)
	if err != nil {
		return st, fmt.Errorf("dump: plan: %w", err)
	}
	workers := min(opts.Workers, max(len(units), 1))
	conns, snapshot, err := snapshotConns(ctx, db, main, workers, opts.Lock)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	if err != nil {
		return st, fmt.Errorf("dump: start snapshot: %w", err)
	}
	st.Snapshot = snapshot
	workers = len(conns) // fewer when a connection budget granted fewer

	cw := &countingWriter{w: w}
	var out io.Writer = cw
	var zw *gzip.Writer
	if opts.Gzip {
		zw, _ = gzip.NewWriterLevel(cw, gzip.BestSpeed)
		out = zw
	}
	wr := &dumpWriter{w: out, cw: cw, progress: opts.Progress}
	wr.printf("%s of database `%s` (format 1)\n-- Server version %s\n\n", dumpHeader, db.cfg.Database, schema.version)
	wr.printf("/*!40101 SET NAMES utf8mb4 */;\n/*!40103 SET TIME_ZONE='+00:00' */;\n/*!40014 SET UNIQUE_CHECKS=0 */;\n/*!40014 SET FOREIGN_KEY_CHECKS=0 */;\n/*!40101 SET SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;\n/*!40111 SET SQL_NOTES=0 */;\n\n")
	for _, t := range schema.tables {
		if opts.AddDropTable {
			wr.printf("DROP TABLE IF EXISTS %s;\n", quoteIdent(t.name))
		}
		wr.printf("%s;\n\n", t.create)
	}
	if wr.err != nil {
		return st, fmt.Errorf("dump: write: %w", wr.err)
	}

	// rows: workers take units from a queue; finished statements go to the writer
	unitCh := make(chan *unit)
	msgCh := make(chan dumpMsg, 2*workers)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range unitCh {
				if err := dumpUnit(wctx, conns[i], u, opts, msgCh); err != nil {
					errs[i] = err
					cancel()
					for range unitCh {
					}
					return
				}
			}
		}()
	}
	go func() {
		defer close(unitCh)
		for _, u := range units {
			select {
			case unitCh <- u:
			case <-wctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(msgCh) }()
	left := map[string]int{}
	for _, u := range units {
		left[u.table.name]++
	}
	for m := range msgCh {
		if wr.err != nil {
			cancel()
			continue
		}
		if m.stmt != nil {
			wr.write(m.stmt)
			wr.rows += m.rows
			st.RowsPerTable[m.table] += m.rows
			putBuf(m.stmt)
		}
		if m.unitDone {
			left[m.table]--
			if left[m.table] == 0 {
				wr.printf("%s%s rows=%d\n", markTable, quoteIdent(m.table), st.RowsPerTable[m.table])
			}
		}
		wr.tick(false)
	}
	if err := errors.Join(errs...); err != nil {
		return st, fmt.Errorf("dump: %w", err)
	}
	if wr.err != nil {
		return st, fmt.Errorf("dump: write: %w", wr.err)
	}
	if err := ctx.Err(); err != nil {
		return st, err
	}
	for _, c := range conns {
		c.ExecContext(ctx, "COMMIT")
	}
	n, err := writeObjects(ctx, main, wr, schema)
	if err != nil {
		return st, fmt.Errorf("dump: %w", err)
	}
	st.Views, st.Triggers, st.Routines = n[0], n[1], n[2]
	wr.printf("\n%s\n", markComplete)
	if zw != nil && wr.err == nil {
		wr.err = zw.Close()
	}
	if wr.err != nil {
		return st, fmt.Errorf("dump: write: %w", wr.err)
	}
	st.Tables = len(schema.tables)
	st.Rows = wr.rows
	st.Bytes = cw.n
	wr.tick(true)
	return st, nil
}

// dumpMsg carries one finished INSERT (or the end of a unit) from a worker to the writer.
type dumpMsg struct {
	table    string
	stmt     *[]byte
	rows     int64
	unitDone bool
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1<<20); return &b }}

func getBuf() *[]byte { b := bufPool.Get().(*[]byte); *b = (*b)[:0]; return b }
func putBuf(b *[]byte) {
	if cap(*b) <= 8<<20 {
		bufPool.Put(b)
	}
}

// dumpWriter keeps the first write error and throttles progress reports.
type dumpWriter struct {
	w        io.Writer
	cw       *countingWriter
	err      error
	rows     int64
	last     time.Time
	progress func(rows, bytes int64)
}

func (d *dumpWriter) write(b *[]byte) {
	if d.err == nil {
		_, d.err = d.w.Write(*b)
	}
}

func (d *dumpWriter) printf(format string, args ...any) {
	if d.err == nil {
		_, d.err = fmt.Fprintf(d.w, format, args...)
	}
}

func (d *dumpWriter) tick(final bool) {
	if d.progress == nil {
		return
	}
	if now := time.Now(); final || now.Sub(d.last) >= 100*time.Millisecond {
		d.last = now
		d.progress(d.rows, d.cw.n)
	}
}

// snapshotConns opens n connections with consistent snapshots, started under a brief
// FLUSH TABLES WITH READ LOCK when lock is set and granted so that they are all the same.
func snapshotConns(ctx context.Context, db *DB, main *sql.Conn, n int, lock bool) ([]*sql.Conn, string, error) {
	locked := false
	if n > 1 && lock {
		if _, err := main.ExecContext(ctx, "SET SESSION lock_wait_timeout = 2"); err == nil {
			if _, err := main.ExecContext(ctx, "FLUSH TABLES WITH READ LOCK"); err == nil {
				locked = true
			}
		}
	}
	conns := make([]*sql.Conn, 0, n)
	for i := range n {
		cctx := ctx
		if i > 0 && db.cfg.Gate != nil {
			// under a host's connection budget the readers past the first are a bonus: the
			// read lock must not wait for slots
			cctx = optional(ctx)
		}
		c, err := db.db.Conn(cctx)
		if err != nil && i > 0 && db.cfg.Gate != nil && ctx.Err() == nil {
			break
		}
		if err != nil {
			return conns, "", err
		}
		conns = append(conns, c)
		if _, err := c.ExecContext(ctx, "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ"); err != nil {
			return conns, "", err
		}
		if _, err := c.ExecContext(ctx, "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"); err != nil {
			return conns, "", err
		}
	}
	if locked {
		if _, err := main.ExecContext(ctx, "UNLOCK TABLES"); err != nil {
			return conns, "", err
		}
	}
	if locked || len(conns) == 1 {
		return conns, "global", nil
	}
	return conns, "per-connection", nil
}

// dumpUnit reads one chunk of a table and sends it as extended INSERTs.
func dumpUnit(ctx context.Context, conn *sql.Conn, u *unit, opts DumpOptions, out chan<- dumpMsg) error {
	t := u.table
	header := t.insertHeader()
	q := "SELECT " + t.selectList() + " FROM " + quoteIdent(t.name)
	if w := u.where(); w != "" {
		q += " WHERE " + w
	}
	send := func(m dumpMsg) error {
		select {
		case out <- m:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	err := conn.Raw(func(dc any) error {
		qc, ok := dc.(driver.QueryerContext)
		if !ok {
			return errors.New("driver connection cannot query")
		}
		rows, err := qc.QueryContext(ctx, q, nil)
		if err != nil {
			return err
		}
		defer rows.Close()
		dest := make([]driver.Value, len(t.cols))
		stmt := getBuf()
		var n int64
		for {
			if err := rows.Next(dest); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				return err
			}
			rowAt := len(*stmt)
			if rowAt == 0 {
				*stmt = append(*stmt, header...)
			} else {
				*stmt = append(*stmt, ',')
			}
			*stmt = appendRow(*stmt, dest, t.cols)
			n++
			if len(*stmt) >= opts.MaxStatementBytes {
				if n > 1 && len(*stmt) > opts.MaxStatementBytes+opts.MaxStatementBytes/4 {
					// the last row overflows: close the statement before it
					tail := append([]byte(nil), (*stmt)[rowAt+1:]...)
					*stmt = append((*stmt)[:rowAt], ";\n"...)
					if err := send(dumpMsg{table: t.name, stmt: stmt, rows: n - 1}); err != nil {
						return err
					}
					stmt = getBuf()
					*stmt = append(append(*stmt, header...), tail...)
					n = 1
				}
				if opts.MaxAllowedPacket > 0 && len(*stmt) > opts.MaxAllowedPacket-1024 {
					return fmt.Errorf("a row of table %s needs %d bytes of SQL, more than the destination's max_allowed_packet (%d)", t.name, len(*stmt)-len(header), opts.MaxAllowedPacket)
				}
				*stmt = append(*stmt, ";\n"...)
				if err := send(dumpMsg{table: t.name, stmt: stmt, rows: n}); err != nil {
					return err
				}
				stmt, n = getBuf(), 0
			}
		}
		if n > 0 {
			if opts.MaxAllowedPacket > 0 && len(*stmt) > opts.MaxAllowedPacket-1024 {
				return fmt.Errorf("a row of table %s needs %d bytes of SQL, more than the destination's max_allowed_packet (%d)", t.name, len(*stmt)-len(header), opts.MaxAllowedPacket)
			}
			*stmt = append(*stmt, ";\n"...)
			if err := send(dumpMsg{table: t.name, stmt: stmt, rows: n}); err != nil {
				return err
			}
		} else {
			putBuf(stmt)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read table %s: %w", t.name, err)
	}
	return send(dumpMsg{table: t.name, unitDone: true})
}

// appendRow appends "(v1,v2,...)" in the form mysqldump --hex-blob writes.
func appendRow(b []byte, vals []driver.Value, cols []column) []byte {
	b = append(b, '(')
	for i, v := range vals {
		if i > 0 {
			b = append(b, ',')
		}
		switch x := v.(type) {
		case nil:
			b = append(b, "NULL"...)
		case int64:
			b = strconv.AppendInt(b, x, 10)
		case uint64:
			b = strconv.AppendUint(b, x, 10)
		case float64:
			b = strconv.AppendFloat(b, x, 'g', -1, 64)
		case float32:
			b = strconv.AppendFloat(b, float64(x), 'g', -1, 32)
		case []byte:
			switch cols[i].kind {
			case colNumber:
				b = append(b, x...)
			case colBinary:
				if len(x) == 0 {
					b = append(b, "''"...)
				} else {
					b = append(b, "0x"...)
					b = hex.AppendEncode(b, x)
				}
			default:
				b = appendQuoted(b, x)
			}
		case time.Time: // not produced without parseTime, kept for safety
			b = append(b, '\'')
			b = x.AppendFormat(b, "2006-01-02 15:04:05.999999")
			b = append(b, '\'')
		default:
			b = appendQuoted(b, fmt.Append(nil, x))
		}
	}
	return append(b, ')')
}
