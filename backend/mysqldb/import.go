package mysqldb

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
)

// ImportOptions tune Import. The zero value is a sensible default.
type ImportOptions struct {
	// Workers is the number of connections loading rows in parallel (default 2).
	Workers int
	// Overwrite drops existing tables the dump creates. Without it an existing table fails
	// the import before anything is changed (when the stream can be pre-scanned).
	Overwrite bool
	// Rewriter, when set, sees every string value of every INSERT (the URL replacement).
	Rewriter ValueRewriter
	// Replace are tables an earlier attempt of this import created (OnCreate named them):
	// found at the destination, they are dropped and created again even without Overwrite.
	Replace []string
	// OnCreate, when set, is told of each table before the import creates it, so a caller
	// can record it where a crash cannot lose it. An error stops the import.
	OnCreate func(table string) error
	// OnComplete, when set, is told of each table as soon as all its rows (and indexes)
	// are committed, so a caller can record the resume cursor as the import goes: a
	// process killed mid-import then still knows which tables a retry may skip.
	OnComplete func(table string)
	// SkipTables are tables a previous attempt imported completely (its
	// ImportStats.CompletedTables): their statements are skipped, so a retry resumes.
	SkipTables []string
	// NoPrescan executes statements as they are read even when r can seek. By default a
	// seekable r (a file) is read twice: first to refuse harmful statements, existing tables
	// and truncated dumps before anything is executed, then to import.
	NoPrescan bool
	// TextInserts sends every INSERT as SQL text. By default the rows of plain INSERTs go
	// as prepared statements with binary values, which costs the server less (prepared.go).
	TextInserts bool
	// BatchBytes caps the SQL sent in one round trip (default 1 MiB; never above the
	// server's max_allowed_packet).
	BatchBytes int
	// Log receives notes worth keeping in the migration log, such as collation fallbacks.
	Log func(msg string)
	// Progress, when set, is called at most every 100 ms and once at the end.
	Progress func(ImportProgress)
}

// ImportProgress is a progress report: input bytes read (compressed size for .sql.gz),
// statements executed and rows sent so far.
type ImportProgress struct {
	BytesRead  int64
	Statements int64
	Rows       int64
}

// ImportStats describes an import, finished or failed.
type ImportStats struct {
	BytesRead    int64
	Statements   int64
	Rows         int64
	RowsPerTable map[string]int64
	// Tables lists the tables the import created, in order.
	Tables []string
	// CompletedTables lists tables whose rows are all committed: the resume cursor a retry
	// passes as ImportOptions.SkipTables. On failure, tables this import created that are
	// not complete are dropped again, so the database holds only whole tables.
	CompletedTables []string
	// Replacements counts string values the Rewriter changed.
	Replacements int64
	// PreparedRows counts rows sent through prepared INSERTs rather than as INSERT text.
	PreparedRows int64
	// IndexesKept lists the tables whose secondary indexes were created before their
	// rows, not after, because their rows are wide (see wideRow).
	IndexesKept []string
}

// ImportError is a failed import with a message users can act on.
type ImportError struct {
	Line int
	Msg  string
	Err  error
}

func (e *ImportError) Error() string { return e.Msg }

// Unwrap returns the cause (a *mysql.MySQLError, ErrTruncated, ErrStatementTooLarge, ...).
func (e *ImportError) Unwrap() error { return e.Err }

// ErrTableExists reports a table that exists already while ImportOptions.Overwrite is off.
var ErrTableExists = errors.New("table already exists")

func importErr(line int, err error) error {
	var me *mysql.MySQLError
	if errors.As(err, &me) && me.Number == 1050 {
		return &ImportError{Line: line, Msg: "Database import failed: " + me.Message, Err: err}
	}
	if errors.As(err, &me) {
		msg := fmt.Sprintf("Database import failed at line %d: %s", line, me.Message)
		if me.Number == 1180 {
			// MariaDB's bulk load into empty tables reports duplicates only at commit
			msg += " (a duplicate key or invalid row in the rows loaded so far)"
		}
		return &ImportError{Line: line, Msg: msg, Err: err}
	}
	return &ImportError{Line: line, Msg: fmt.Sprintf("Database import failed: %v", err), Err: err}
}

// sessionSQL relaxes the load session as mysqldump's header does (no foreign-key checks, zero
// dates accepted, UTC timestamps) but keeps unique checks on: with both checks off MariaDB
// bulk-loads an empty table under a table lock, which serializes parallel loaders of one
// table (and measured no faster here with one loader).
const sessionSQL = "SET NAMES utf8mb4, SESSION foreign_key_checks = 0, SESSION unique_checks = 1, " +
	"SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION', SESSION time_zone = '+00:00', SESSION sql_notes = 0"

// Import executes the SQL dump in r (plain or gzip'd, detected by its magic bytes) against
// db's database. Statements that reach outside the database are refused with a
// *RefusedError: when r is seekable (a file) the whole stream is checked before anything is
// executed; otherwise each statement is checked before it runs, in order. INSERT batches
// load on Workers connections; every other statement runs alone, in order, after the rows
// before it. Plain secondary indexes of the tables it creates are built once each table's
// rows are in (for a mysqldump-style file, on a connection of their own while the next
// table loads), and InnoDB tables it creates do not recalculate their persistent
// statistics during the load but are analysed once at the end: that is what makes Import
// faster than the mysql client.
func Import(ctx context.Context, db *DB, r io.Reader, opts ImportOptions) (ImportStats, error) {
	st := ImportStats{RowsPerTable: map[string]int64{}}
	if db.cfg.Database == "" {
		return st, errors.New("import: no database selected")
	}
	if opts.Workers <= 0 {
		opts.Workers = 2
	}
	if opts.BatchBytes <= 0 {
		opts.BatchBytes = 1 << 20
	}
	main, err := db.db.Conn(ctx)
	if err != nil {
		return st, fmt.Errorf("import: connect: %w", classify(db.cfg, err))
	}
	defer main.Close()
	env, err := readTarget(ctx, main)
	if err != nil {
		return st, fmt.Errorf("import: inspect destination: %w", err)
	}
	opts.BatchBytes = min(opts.BatchBytes, env.maxPacket-4096)
	if _, err := main.ExecContext(ctx, sessionSQL); err != nil {
		return st, fmt.Errorf("import: prepare session: %w", err)
	}
	im := &importer{db: db, opts: opts, env: env, target: db.cfg.Database, st: &st,
		skip: map[string]bool{}, created: map[string]bool{}, deferred: map[string][]string{}}
	for _, t := range opts.SkipTables {
		im.skip[t] = true
	}
	if rs, ok := r.(io.ReadSeeker); ok && !opts.NoPrescan {
		pos, err := rs.Seek(0, io.SeekCurrent)
		if err != nil {
			return st, fmt.Errorf("import: %w", err)
		}
		if err := im.pass(ctx, rs, nil); err != nil {
			return st, err
		}
		if _, err := rs.Seek(pos, io.SeekStart); err != nil {
			return st, fmt.Errorf("import: rewind: %w", err)
		}
	}
	ld, err := newLoaders(ctx, db, opts.Workers)
	if err != nil {
		return st, fmt.Errorf("import: connect: %w", classify(db.cfg, err))
	}
	ld.main = main
	ld.max = opts.BatchBytes
	ld.prepared = !opts.TextInserts
	im.ix, err = newIndexer(ctx, db)
	if err != nil {
		ld.close()
		return st, fmt.Errorf("import: connect: %w", classify(db.cfg, err))
	}
	err = im.pass(ctx, r, ld)
	if ierr := im.waitIndexes(); err == nil && ierr != nil {
		err = ierr
	}
	im.ix.close()
	if cerr := ld.close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		im.dropIncomplete(main)
		return st, err
	}
	for _, t := range st.Tables {
		if !slices.Contains(st.CompletedTables, t) {
			st.CompletedTables = append(st.CompletedTables, t)
			im.completed(t)
		}
	}
	return st, nil
}

// target is what Import learns about the destination before it starts.
type target struct {
	maxPacket  int
	collations map[string]bool
	tables     map[string]bool
}

func readTarget(ctx context.Context, c *sql.Conn) (*target, error) {
	t := &target{collations: map[string]bool{}, tables: map[string]bool{}}
	if err := c.QueryRowContext(ctx, "SELECT @@max_allowed_packet").Scan(&t.maxPacket); err != nil {
		return nil, err
	}
	rows, err := c.QueryContext(ctx, "SELECT COLLATION_NAME FROM information_schema.COLLATIONS")
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		t.collations[n] = true
	}
	rows.Close()
	rows, err = c.QueryContext(ctx, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		t.tables[n] = true
	}
	return t, rows.Err()
}

type importer struct {
	db      *DB
	opts    ImportOptions
	env     *target
	target  string
	st      *ImportStats
	skip    map[string]bool
	created map[string]bool
	views   []string // views this import created, dropped again if it fails
	// deferred holds the secondary indexes taken out of CREATE TABLE, added back when the
	// table's rows are all in (see splitSecondaryKeys)
	deferred map[string][]string
	// sized holds the tables whose first INSERT keysForWideRows has looked at
	sized  map[string]bool
	logged map[string]bool
	// ix builds deferred indexes on its own connection while later tables load; pending
	// lists the tables it has not finished, in order
	ix      *indexer
	pending []pendingIndex
	// preparable are the tables this import created whose rows may go as prepared INSERTs
	preparable map[string]bool
}

var collationRe = regexp.MustCompile(`utf8mb[34]_0900_[a-z_]+|utf8(?:mb[34])?_unicode_520_ci`)

// fixCollations swaps collations the destination lacks for the closest one it has.
func (im *importer) fixCollations(text []byte, line int, log bool) []byte {
	if !bytes.Contains(text, []byte("_0900_")) && !bytes.Contains(text, []byte("_520_")) {
		return text
	}
	return collationRe.ReplaceAllFunc(text, func(m []byte) []byte {
		name := string(m)
		if im.env.collations[name] {
			return m
		}
		repl := "utf8mb4_unicode_ci"
		if !strings.HasPrefix(name, "utf8mb4") {
			repl = "utf8mb3_unicode_ci"
			if !im.env.collations[repl] {
				repl = "utf8_unicode_ci"
			}
		}
		if log && im.opts.Log != nil {
			if im.logged == nil {
				im.logged = map[string]bool{}
			}
			if !im.logged[name] {
				im.logged[name] = true
				im.opts.Log(fmt.Sprintf("collation %s is not available on the destination; using %s (first at line %d)", name, repl, line))
			}
		}
		return []byte(repl)
	})
}

// dumpKind tells which end marker a dump must carry to be known complete.
func dumpKind(raw []byte) []byte {
	switch {
	case bytes.Contains(raw, []byte(dumpHeader)):
		return []byte(markComplete)
	case bytes.Contains(raw, []byte("-- MySQL dump")) || bytes.Contains(raw, []byte("-- MariaDB dump")):
		return []byte("-- Dump completed")
	}
	return nil
}

var tableDoneRe = regexp.MustCompile("(?m)^" + markTable + "`((?:[^`]|``)+)`")

// pass reads the whole stream once. Without loaders it only checks (the pre-scan).
func (im *importer) pass(ctx context.Context, r io.Reader, ld *loaders) error {
	cr := &countingReader{r: r}
	in, err := decompress(cr)
	if err != nil {
		return &ImportError{Msg: "Database import failed: the file is not a readable SQL dump (" + err.Error() + ")", Err: err}
	}
	sp := NewSplitter(in, min(DefaultMaxStatementBytes, im.env.maxPacket))
	rw := newRewriter(nil)
	if ld != nil {
		rw = newRewriter(im.opts.Rewriter)
	}
	schema := map[string][]string{}
	var trailer []byte
	first, sawTrailer := true, false
	current := "" // table whose rows a mysqldump-style file is loading
	ferryFmt := false
	var last time.Time
	report := func(final bool) {
		if ld == nil || im.opts.Progress == nil {
			return
		}
		if now := time.Now(); final || now.Sub(last) >= 100*time.Millisecond {
			last = now
			im.opts.Progress(ImportProgress{BytesRead: cr.n.Load(), Statements: im.st.Statements, Rows: im.st.Rows})
		}
	}
	complete := func(t string) error {
		if t == "" || slices.Contains(im.st.CompletedTables, t) || im.isPending(t) {
			return nil
		}
		if ld != nil && im.ix != nil && len(im.deferred[t]) > 0 {
			// build the indexes in the background: the next table loads meanwhile
			if err := ld.flush(); err != nil {
				return err
			}
			im.pending = append(im.pending, pendingIndex{table: t, done: im.journaled(t, im.ix.start(ctx, t, im.deferred[t]))})
			delete(im.deferred, t)
			return nil
		}
		if err := im.addDeferred(ctx, ld, t); err != nil {
			return err
		}
		im.st.CompletedTables = append(im.st.CompletedTables, t)
		im.completed(t)
		return nil
	}
	for n := 0; ; n++ {
		if n%64 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			report(false)
		}
		s, err := sp.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if errors.Is(err, ErrStatementTooLarge) {
				return &ImportError{Msg: fmt.Sprintf("Database import failed: %v (the destination's max_allowed_packet is %d bytes)", err, im.env.maxPacket), Err: err}
			}
			return &ImportError{Msg: "Database import failed: " + err.Error(), Err: err}
		}
		prefix := s.Raw[:cap(s.Raw)-cap(s.Text)]
		if len(s.Text) == 0 {
			prefix = s.Raw
		}
		if first {
			trailer = dumpKind(prefix)
			ferryFmt = bytes.Contains(prefix, []byte(dumpHeader))
			first = false
		}
		if trailer != nil && bytes.Contains(prefix, trailer) {
			sawTrailer = true
		}
		if ld != nil && ferryFmt && bytes.Contains(prefix, []byte(markTable)) {
			// every row of these tables is sent: commit them so the cursor may name them
			if err := ld.flush(); err != nil {
				return err
			}
			for _, m := range tableDoneRe.FindAllSubmatch(prefix, -1) {
				if err := complete(strings.ReplaceAll(string(m[1]), "``", "`")); err != nil {
					return err
				}
			}
		}
		if len(s.Text) == 0 {
			continue
		}
		if sawTrailer && trailer != nil {
			sawTrailer = false // statements after the end marker: the marker was not the end
		}
		text := s.Text
		a, err := analyse(text, s.Line, im.target)
		if err == nil && a.kind != kInsert {
			text = im.fixCollations(stripDefiner(text), s.Line, ld != nil)
			a, err = analyse(text, s.Line, im.target)
		}
		if err != nil {
			return err
		}
		if a.kind == kOther && len(a.tables) == 0 {
			if w := firstWords(text, 2); len(w) == 2 && (w[0] == "ALTER" || w[0] == "TRUNCATE" || w[0] == "RENAME") && w[1] == "TABLE" {
				a.tables = tableNames(text)
			}
		}
		if len(a.tables) > 0 && allIn(a.tables, im.skip) {
			continue
		}
		switch a.kind {
		case kSkip:
			continue
		case kCreateTable, kDropTable:
			for _, t := range a.tables {
				if im.env.tables[t] && !im.opts.Overwrite && !im.created[t] && !slices.Contains(im.opts.Replace, t) {
					return &ImportError{Line: s.Line, Msg: fmt.Sprintf("Database import failed: Table '%s' already exists", clip(t)), Err: ErrTableExists}
				}
			}
		}
		if a.kind == kInsert {
			rw.begin(text)
			out, err := rw.values(text, a.values, a.tables[0], orSchema(a.columns, schema[a.tables[0]]))
			if err != nil {
				return &RefusedError{Line: s.Line, Reason: "reads a file on the server or runs a query inside VALUES"}
			}
			text = out
			if ld != nil {
				im.st.Rows += rw.tuples
				im.st.RowsPerTable[a.tables[0]] += rw.tuples
			}
		}
		if ld == nil {
			continue
		}
		if len(im.pending) > 0 {
			// a statement may run beside a background index build only when it surely
			// does not touch that table: INSERTs, CREATE and DROP TABLE, SET and keys
			// toggles name their tables; anything else waits for every build
			wait := false
			switch {
			case a.kind == kInsert || a.kind == kCreateTable || a.kind == kDropTable || a.kind == kSet ||
				a.kind == kOther && isKeysToggle(text) && len(a.tables) > 0:
				for _, t := range a.tables {
					wait = wait || im.isPending(t)
				}
			default:
				wait = true
			}
			if wait {
				if err := im.waitIndexes(); err != nil {
					return err
				}
			}
		}
		im.st.Statements++
		if a.kind == kCreateTable {
			if cols := createColumns(text); len(cols) > 0 && len(a.tables) == 1 {
				schema[a.tables[0]] = cols
			}
		}
		switch a.kind {
		case kInsert:
			if !ferryFmt && current != a.tables[0] {
				current = a.tables[0]
			}
			if err := im.keysForWideRows(ctx, ld, a.tables[0], len(text), rw.tuples); err != nil {
				return err
			}
			if ld.prepared && a.values > 0 && im.preparable[a.tables[0]] {
				if w := firstWords(text, 2); len(w) == 2 && w[0] == "INSERT" && w[1] == "INTO" {
					done, err := ld.insertRows(a.tables[0], a.columns, text, a.values, s.Line)
					if err != nil {
						return err
					}
					if done {
						im.st.PreparedRows += rw.tuples
						break
					}
				}
			}
			if err := ld.insert(text, s.Line); err != nil {
				return err
			}
		case kSet:
			if err := ld.broadcast(ctx, text, s.Line); err != nil {
				return err
			}
		default:
			if err := ld.flush(); err != nil {
				return err
			}
			if !ferryFmt && current != "" && !slices.Contains(a.tables, current) {
				if err := complete(current); err != nil { // a mysqldump file moved on
					return err
				}
				current = ""
			}
			if a.kind == kOther && !isKeysToggle(text) {
				for _, t := range a.tables { // the statement may need the indexes Ferry held back
					if err := im.addDeferred(ctx, ld, t); err != nil {
						return err
					}
				}
			}
			if a.kind == kDropTable {
				for _, t := range a.tables {
					delete(im.deferred, t)
				}
			}
			if a.kind == kCreateTable && len(a.tables) == 1 {
				if im.preparable == nil {
					im.preparable = map[string]bool{}
				}
				im.preparable[a.tables[0]] = preparable(text)
				var keys []string
				if text, keys = splitSecondaryKeys(text); len(keys) > 0 {
					im.deferred[a.tables[0]] = keys
				}
				var off bool
				if text, off = statsRecalcOff(text); off {
					im.deferred[a.tables[0]] = append(im.deferred[a.tables[0]], "STATS_AUTO_RECALC=DEFAULT")
				}
			}
			if a.kind == kCreateTable {
				for _, t := range a.tables {
					if im.env.tables[t] && !im.created[t] && (im.opts.Overwrite || slices.Contains(im.opts.Replace, t)) {
						if _, err := ld.main.ExecContext(ctx, "DROP TABLE IF EXISTS "+quoteIdent(t)); err != nil {
							return importErr(s.Line, err)
						}
					}
				}
			}
			if a.kind == kCreateTable {
				// counted before it runs: a Stop may cut the connection after the server
				// created the table but before the answer came, and a failed import must
				// still drop it (the table did not exist before: see the checks above)
				for _, t := range a.tables {
					if !im.created[t] {
						im.created[t] = true
						im.st.Tables = append(im.st.Tables, t)
						if im.opts.OnCreate != nil {
							if err := im.opts.OnCreate(t); err != nil {
								return &ImportError{Line: s.Line, Msg: "Database import failed: " + err.Error(), Err: err}
							}
						}
					}
				}
			}
			if _, err := ld.main.ExecContext(ctx, string(text)); err != nil {
				return importErr(s.Line, err)
			}
			if v := createdView(text); v != "" {
				im.views = append(im.views, v)
			}
		}
	}
	if trailer != nil && !sawTrailer {
		err := fmt.Errorf("the dump has no %q line at its end: %w", trailer, ErrTruncated)
		return &ImportError{Msg: "Database import failed: the dump file is truncated (" + err.Error() + ")", Err: err}
	}
	im.st.BytesRead = cr.n.Load()
	if ld != nil {
		if err := ld.flush(); err != nil {
			return err
		}
		if err := im.waitIndexes(); err != nil {
			return err
		}
		for _, t := range im.st.Tables {
			if err := im.addDeferred(ctx, ld, t); err != nil {
				return err
			}
		}
		im.st.Replacements = rw.changed
		report(true)
	}
	return nil
}

func orSchema(cols, fallback []string) []string {
	if cols != nil {
		return cols
	}
	return fallback
}

func allIn(names []string, set map[string]bool) bool {
	for _, n := range names {
		if !set[n] {
			return false
		}
	}
	return true
}

// dropIncomplete removes tables this import created but did not finish, so that a failed
// import leaves the database as it was plus whole tables only (listed in CompletedTables).
func (im *importer) dropIncomplete(c *sql.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// A cancelled import (Stop, or the export it was reading failing) may have lost c with
	// the statement it interrupted: clean up on a fresh connection when one can be had.
	if fresh, err := im.db.db.Conn(ctx); err == nil {
		defer fresh.Close()
		c = fresh
	}
	for _, v := range im.views {
		c.ExecContext(ctx, "DROP VIEW IF EXISTS "+quoteIdent(v))
	}
	for _, t := range im.st.Tables {
		if !slices.Contains(im.st.CompletedTables, t) {
			c.ExecContext(ctx, "DROP TABLE IF EXISTS "+quoteIdent(t))
		}
	}
}

// createdView returns the name a CREATE [OR REPLACE] [...] VIEW statement creates.
func createdView(text []byte) string {
	l := lexer{s: text}
	if !l.next().is("CREATE") {
		return ""
	}
	for range 12 {
		t := l.next()
		if t.kind == tkEOF {
			return ""
		}
		if t.is("VIEW") {
			n, _ := l.next().name()
			return n
		}
		if t.is("TABLE") || t.is("TRIGGER") || t.is("PROCEDURE") || t.is("FUNCTION") {
			return ""
		}
	}
	return ""
}

// addDeferred creates the secondary indexes held back from table t, after every row sent so
// far has been committed.
func (im *importer) addDeferred(ctx context.Context, ld *loaders, t string) error {
	keys := im.deferred[t]
	if len(keys) == 0 || ld == nil {
		return nil
	}
	if err := ld.flush(); err != nil {
		return err
	}
	delete(im.deferred, t)
	return buildIndexes(ctx, ld.main, t, keys)
}

// wideRow is the average size of a row in the SQL text (bytes) from which a table keeps its
// secondary indexes during the load. Building an index afterwards means reading the whole
// table back, and for wide rows (post content, say) that costs more than the index updates
// it saves: on the benchmark site, wp_posts (3.8 KB a row) loaded in 4.3 s with its four
// indexes in place against 5.8 s deferred, while wp_postmeta (90 B a row) and wp_comments
// (310 B) took 1.1 s and 0.8 s longer with theirs in place.
const wideRow = 1024

// keysForWideRows looks at the first INSERT of table t (size bytes of SQL, rows rows):
// when its rows are wide, the indexes held back from t are created now, on the empty table,
// and only the statistics stay deferred.
func (im *importer) keysForWideRows(ctx context.Context, ld *loaders, t string, size int, rows int64) error {
	keys := im.deferred[t]
	if len(keys) == 0 || im.sized[t] || im.isPending(t) {
		return nil
	}
	if im.sized == nil {
		im.sized = map[string]bool{}
	}
	im.sized[t] = true
	if rows <= 0 || int64(size)/rows < wideRow {
		return nil
	}
	var now, later []string
	for _, k := range keys {
		if k == "STATS_AUTO_RECALC=DEFAULT" {
			later = append(later, k)
		} else {
			now = append(now, k)
		}
	}
	if len(now) == 0 {
		return nil
	}
	if err := ld.flush(); err != nil {
		return err
	}
	if err := buildIndexes(ctx, ld.main, t, now); err != nil {
		return err
	}
	im.st.IndexesKept = append(im.st.IndexesKept, t)
	if len(later) > 0 {
		im.deferred[t] = later
	} else {
		delete(im.deferred, t)
	}
	return nil
}

// buildIndexes adds the deferred index clauses keys to table t on connection c.
func buildIndexes(ctx context.Context, c *sql.Conn, t string, keys []string) error {
	if _, err := c.ExecContext(ctx, "ALTER TABLE "+quoteIdent(t)+" "+strings.Join(keys, ", ")); err != nil {
		return &ImportError{Msg: fmt.Sprintf("Database import failed: adding the indexes of table %s: %v", t, err), Err: err}
	}
	if slices.Contains(keys, "STATS_AUTO_RECALC=DEFAULT") {
		// statistics were not kept up to date during the load: compute them once now (a
		// sample of a few pages per index), as the server would have in the background
		rows, err := c.QueryContext(ctx, "ANALYZE TABLE "+quoteIdent(t))
		if err != nil {
			return &ImportError{Msg: fmt.Sprintf("Database import failed: analysing table %s: %v", t, err), Err: err}
		}
		rows.Close()
	}
	return nil
}

// statsRecalcOff adds STATS_AUTO_RECALC=0 to an InnoDB CREATE TABLE, so the server does not
// recalculate the table's persistent statistics again and again while the rows pour in
// (innodb_stats_auto_recalc itself is global only). The import sets it back to DEFAULT
// with the deferred indexes and analyses the table once. Statements that set the option
// themselves, name another engine, or are partitioned or built from a query keep their text.
func statsRecalcOff(text []byte) ([]byte, bool) {
	up := bytes.ToUpper(text)
	end := bytes.LastIndexByte(up, ')')
	if end < 0 || bytes.Contains(up, []byte("STATS_AUTO_RECALC")) || bytes.Contains(up, []byte("PARTITION")) ||
		bytes.Contains(up, []byte("SELECT")) || bytes.Contains(up[end:], []byte("--")) || bytes.ContainsAny(up[end:], "#/'\"`") {
		return text, false
	}
	tail := bytes.ReplaceAll(up[end:], []byte(" "), nil)
	if bytes.Contains(tail, []byte("ENGINE")) && !bytes.Contains(tail, []byte("ENGINE=INNODB")) {
		return text, false
	}
	out := make([]byte, 0, len(text)+24)
	return append(append(out, bytes.TrimRight(text, " \t\r\n")...), " STATS_AUTO_RECALC=0"...), true
}

// isKeysToggle matches mysqldump's ALTER TABLE ... DISABLE/ENABLE KEYS, which need no index.
func isKeysToggle(text []byte) bool {
	w := firstWords(text, 1)
	up := bytes.ToUpper(text)
	return len(w) == 1 && w[0] == "ALTER" && (bytes.Contains(up, []byte(" ENABLE KEYS")) || bytes.Contains(up, []byte(" DISABLE KEYS")))
}

// pendingIndex is a table whose deferred indexes the indexer is building.
type pendingIndex struct {
	table string
	done  <-chan error
}

func (im *importer) isPending(t string) bool {
	for _, p := range im.pending {
		if p.table == t {
			return true
		}
	}
	return false
}

// waitIndexes waits for every background index build and marks the tables built
// complete. It returns the first error.
func (im *importer) waitIndexes() error {
	var first error
	for _, p := range im.pending {
		if err := <-p.done; err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		if !slices.Contains(im.st.CompletedTables, p.table) {
			im.st.CompletedTables = append(im.st.CompletedTables, p.table)
		}
	}
	im.pending = im.pending[:0]
	return first
}

// indexer runs deferred-index ALTERs one at a time on a connection of its own, so that a
// mysqldump file's next table loads while the last one's indexes are sorted.
type indexer struct {
	conn *sql.Conn
	jobs chan indexJob
	wg   sync.WaitGroup
}

type indexJob struct {
	ctx   context.Context
	table string
	keys  []string
	done  chan error
}

func newIndexer(ctx context.Context, db *DB) (*indexer, error) {
	c, err := db.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := c.ExecContext(ctx, sessionSQL); err != nil {
		c.Close()
		return nil, err
	}
	ix := &indexer{conn: c, jobs: make(chan indexJob, 64)}
	ix.wg.Add(1)
	go func() {
		defer ix.wg.Done()
		for j := range ix.jobs {
			j.done <- buildIndexes(j.ctx, ix.conn, j.table, j.keys)
		}
	}()
	return ix, nil
}

// start queues the build of table t's deferred indexes; the channel reports its result.
func (ix *indexer) start(ctx context.Context, t string, keys []string) <-chan error {
	done := make(chan error, 1)
	ix.jobs <- indexJob{ctx: ctx, table: t, keys: keys, done: done}
	return done
}

func (ix *indexer) close() {
	close(ix.jobs)
	ix.wg.Wait()
	ix.conn.Close()
}
