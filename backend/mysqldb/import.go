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
	// the index builder's connection opens beside the loaders' (see openConns)
	type ixResult struct {
		ix  *indexer
		err error
	}
	ixc := make(chan ixResult, 1)
	go func() {
		ix, err := newIndexer(ctx, db)
		ixc <- ixResult{ix, err}
	}()
	var ixr ixResult
	if db.cfg.Gate != nil {
		// under a connection budget the loaders past the first take only what is left
		// once the index builder has its connection
		ixr = <-ixc
	}
	ld, err := newLoaders(ctx, db, opts.Workers)
	if db.cfg.Gate == nil {
		ixr = <-ixc
	}
	if err == nil && ixr.err != nil {
		ld.close()
		err = ixr.err
	} else if err != nil && ixr.ix != nil {
		ixr.ix.close()
	}
	if err != nil {
		return st, fmt.Errorf("import: connect: %w", classify(db.cfg, err))
	}
	ld.main = main
	ld.max = opts.BatchBytes
	ld.prepared = !opts.TextInserts
	im.ix = ixr.ix
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
	// checkOnly is set for CheckDump: the pass logs what it skips although nothing runs
	checkOnly bool
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
