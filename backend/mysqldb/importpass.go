package mysqldb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"
)

var tableDoneRe = regexp.MustCompile("(?m)^" + markTable + "`((?:[^`]|``)+)`")

// passRun is the state of one read of the stream: the pre-scan (ld nil) or the import.
type passRun struct {
	im     *importer
	ld     *loaders
	cr     *countingReader
	rw     *rewriter
	guard  *Guard
	schema map[string][]string // column lists of the tables created so far
	// trailer is the end marker the dump must carry (dumpKind); sawTrailer is set once it
	// was read and cleared when a statement follows it
	trailer    []byte
	sawTrailer bool
	first      bool
	ferryFmt   bool   // the dump is Ferry's own format, with table-done markers
	current    string // table whose rows a mysqldump-style file is loading
	last       time.Time
	// splitLogged is set once an INSERT longer than max_allowed_packet was cut up
	splitLogged bool
}

// pass reads the whole stream once. Without loaders it only checks (the pre-scan).
func (im *importer) pass(ctx context.Context, r io.Reader, ld *loaders) error {
	p := &passRun{im: im, ld: ld, cr: &countingReader{r: r}, schema: map[string][]string{}, first: true}
	in, err := decompress(p.cr)
	if err != nil {
		return &ImportError{Msg: "Database import failed: the file is not a readable SQL dump (" + err.Error() + ")", Err: err}
	}
	// statements longer than the destination's max_allowed_packet are read whole: an
	// INSERT is cut into several (execInsert), anything else is refused (execAlone)
	sp := NewSplitter(in, DefaultMaxStatementBytes)
	p.guard = NewGuard(im.target)
	p.rw = newRewriter(nil)
	if ld != nil {
		p.rw = newRewriter(im.opts.Rewriter)
	}
	for n := 0; ; n++ {
		if n%64 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			p.report(false)
		}
		s, err := sp.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return p.splitErr(err)
		}
		if err := p.markers(ctx, s); err != nil {
			return err
		}
		if len(s.Text) == 0 {
			continue
		}
		if err := p.statement(ctx, s); err != nil {
			return err
		}
	}
	return p.finish(ctx)
}

// report sends progress during the import, at most every 100 ms unless final.
func (p *passRun) report(final bool) {
	if p.ld == nil || p.im.opts.Progress == nil {
		return
	}
	if now := time.Now(); final || now.Sub(p.last) >= 100*time.Millisecond {
		p.last = now
		p.im.opts.Progress(ImportProgress{BytesRead: p.cr.n.Load(), Statements: p.im.st.Statements, Rows: p.im.st.Rows})
	}
}

func (p *passRun) splitErr(err error) error {
	if errors.Is(err, ErrStatementTooLarge) {
		return &ImportError{Msg: fmt.Sprintf("Database import failed: %v; export the database again with shorter INSERT statements (mysqldump's default --net-buffer-length does).", err), Err: err}
	}
	return &ImportError{Msg: "Database import failed: " + err.Error(), Err: err}
}

// markers reads the comments before a statement: the dump's kind (first statement), its end
// marker, and in Ferry's format the tables whose rows are all sent.
func (p *passRun) markers(ctx context.Context, s Statement) error {
	prefix := s.Raw[:cap(s.Raw)-cap(s.Text)]
	if len(s.Text) == 0 {
		prefix = s.Raw
	}
	if p.first {
		p.trailer = dumpKind(prefix)
		p.ferryFmt = bytes.Contains(prefix, []byte(dumpHeader))
		p.first = false
	}
	if p.trailer != nil && bytes.Contains(prefix, p.trailer) {
		p.sawTrailer = true
	}
	if p.ld != nil && p.ferryFmt && bytes.Contains(prefix, []byte(markTable)) {
		// every row of these tables is sent: commit them so the cursor may name them
		if err := p.ld.flush(); err != nil {
			return err
		}
		for _, m := range tableDoneRe.FindAllSubmatch(prefix, -1) {
			if err := p.complete(ctx, strings.ReplaceAll(string(m[1]), "``", "`")); err != nil {
				return err
			}
		}
	}
	if len(s.Text) > 0 && p.sawTrailer && p.trailer != nil {
		p.sawTrailer = false // statements after the end marker: the marker was not the end
	}
	return nil
}

// statement checks one statement and, during the import, executes it.
func (p *passRun) statement(ctx context.Context, s Statement) error {
	text, a, skip, err := p.check(s)
	if err != nil || skip {
		return err
	}
	if a.kind == kInsert {
		if text, err = p.rewriteValues(text, a, s.Line); err != nil {
			return err
		}
	}
	if a.kind == kInsert && len(text) > p.im.env.maxPacket-4096 {
		// cut into several INSERTs on the way (execInsert), unless one row alone is too long
		if _, _, err := splitInsert(text, a.values, p.im.env.maxPacket-4096, false); err != nil {
			return rowTooLarge(s.Line, err)
		}
	}
	if p.ld == nil {
		return nil
	}
	if err := p.waitForIndexes(a, text); err != nil {
		return err
	}
	p.im.st.Statements++
	p.ld.at = s.Line
	if a.kind == kCreateTable {
		if cols := createColumns(text); len(cols) > 0 && len(a.tables) == 1 {
			p.schema[a.tables[0]] = cols
		}
	}
	switch a.kind {
	case kInsert:
		return p.execInsert(ctx, a, text, s.Line)
	case kSet:
		return p.ld.broadcast(ctx, text, s.Line)
	}
	return p.execAlone(ctx, a, text, s.Line)
}

func rowTooLarge(line int, err error) error {
	return &ImportError{Line: line, Msg: fmt.Sprintf("Database import failed at line %d: %v; raise max_allowed_packet on the destination server.", line, err), Err: err}
}

// check runs the guard on a statement (after removing DEFINER clauses and fixing
// collations the destination lacks) and tells whether it is to be skipped.
func (p *passRun) check(s Statement) ([]byte, analysis, bool, error) {
	im := p.im
	text, a, err := p.guard.check(s.Text, s.Line)
	if err != nil {
		return nil, a, false, err
	}
	if a.note != "" && (p.ld != nil || im.checkOnly) && im.opts.Log != nil {
		im.opts.Log(a.note)
	}
	if a.kind != kInsert {
		text = im.fixCollations(text, s.Line, p.ld != nil)
	}
	if a.kind == kOther && len(a.tables) == 0 {
		if w := firstWords(text, 2); len(w) == 2 && (w[0] == "ALTER" || w[0] == "TRUNCATE" || w[0] == "RENAME") && w[1] == "TABLE" {
			a.tables = tableNames(text)
		}
	}
	if len(a.tables) > 0 && allIn(a.tables, im.skip) {
		return nil, a, true, nil
	}
	switch a.kind {
	case kSkip:
		return nil, a, true, nil
	case kCreateTable, kDropTable:
		for _, t := range a.tables {
			if im.env.tables[t] && !im.opts.Overwrite && !im.created[t] && !slices.Contains(im.opts.Replace, t) {
				return nil, a, false, &ImportError{Line: s.Line, Msg: fmt.Sprintf("Database import failed: Table '%s' already exists", clip(t)), Err: ErrTableExists}
			}
		}
	}
	return text, a, false, nil
}

// rewriteValues passes the string values of an INSERT through the rewriter and counts its rows.
func (p *passRun) rewriteValues(text []byte, a analysis, line int) ([]byte, error) {
	p.rw.begin(text)
	out, err := p.rw.values(text, a.values, a.tables[0], orSchema(a.columns, p.schema[a.tables[0]]))
	if err != nil {
		return nil, &RefusedError{Line: line, Words: statementWords(text), Reason: "reads a file on the server or runs a query inside VALUES"}
	}
	if p.ld != nil {
		p.im.st.Rows += p.rw.tuples
		p.im.st.RowsPerTable[a.tables[0]] += p.rw.tuples
	}
	return out, nil
}

// waitForIndexes waits for background index builds the statement might touch.
func (p *passRun) waitForIndexes(a analysis, text []byte) error {
	im := p.im
	if len(im.pending) == 0 {
		return nil
	}
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
	if !wait {
		return nil
	}
	return im.waitIndexes()
}

// execInsert sends an INSERT's rows to the loaders, as prepared rows where it can.
func (p *passRun) execInsert(ctx context.Context, a analysis, text []byte, line int) (err error) {
	im, ld := p.im, p.ld
	if !p.ferryFmt && p.current != a.tables[0] {
		p.current = a.tables[0]
	}
	if err := im.keysForWideRows(ctx, ld, a.tables[0], len(text), p.rw.tuples); err != nil {
		return err
	}
	if ld.prepared && a.values > 0 && im.preparable[a.tables[0]] {
		if w := firstWords(text, 2); len(w) == 2 && w[0] == "INSERT" && w[1] == "INTO" {
			done, err := ld.insertRows(a.tables[0], a.columns, text, a.values, line)
			if err != nil {
				return err
			}
			if done {
				im.st.PreparedRows += p.rw.tuples
				return nil
			}
		}
	}
	if w := firstWords(text, 2); w[0] == "REPLACE" || len(w) == 2 && w[1] == "IGNORE" {
		// the outcome of REPLACE and INSERT IGNORE depends on the rows before them, which
		// another loader may still be sending: let those commit first, and these after
		if err := ld.flush(); err != nil {
			return err
		}
		defer func() {
			if err == nil {
				err = ld.flush()
			}
		}()
	}
	limit := im.env.maxPacket - 4096
	if len(text) <= limit {
		return ld.insert(text, line)
	}
	parts, ok, err := splitInsert(text, a.values, limit, true)
	if err != nil {
		return rowTooLarge(line, err)
	}
	if !ok {
		parts = [][]byte{text}
	}
	if len(parts) > 1 && im.opts.Log != nil && !p.splitLogged {
		p.splitLogged = true
		im.opts.Log(fmt.Sprintf("The INSERT at line %d is longer than the destination's max_allowed_packet (%d bytes): sent as %d INSERTs", line, im.env.maxPacket, len(parts)))
	}
	for _, part := range parts {
		if err := ld.insert(part, line); err != nil {
			return err
		}
	}
	return nil
}

// execAlone runs a statement other than INSERT and SET on the main connection, after every
// row sent before it.
func (p *passRun) execAlone(ctx context.Context, a analysis, text []byte, line int) error {
	im, ld := p.im, p.ld
	if err := ld.flush(); err != nil {
		return err
	}
	if !p.ferryFmt && p.current != "" && !slices.Contains(a.tables, p.current) {
		if err := p.complete(ctx, p.current); err != nil { // a mysqldump file moved on
			return err
		}
		p.current = ""
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
	if len(text) > im.env.maxPacket-1024 {
		err := fmt.Errorf("statement of %d bytes: %w", len(text), ErrStatementTooLarge)
		return &ImportError{Line: line, Msg: fmt.Sprintf("Database import failed at line %d: the statement is %d bytes, more than the destination's max_allowed_packet (%d bytes); raise max_allowed_packet on the destination server.", line, len(text), im.env.maxPacket), Err: err}
	}
	if a.kind == kCreateTable {
		var err error
		if text, err = im.beforeCreate(ctx, ld, a, text, line); err != nil {
			return err
		}
	}
	if _, err := ld.main.ExecContext(ctx, string(text)); err != nil {
		return importErr(line, err)
	}
	if v := createdView(text); v != "" {
		im.views = append(im.views, v)
	}
	return nil
}

// finish checks the end marker and, during the import, commits and indexes what is left.
func (p *passRun) finish(ctx context.Context) error {
	im, ld := p.im, p.ld
	if err := p.guard.end(); err != nil {
		return err
	}
	if p.trailer != nil && !p.sawTrailer {
		err := fmt.Errorf("the dump has no %q line at its end: %w", p.trailer, ErrTruncated)
		return &ImportError{Msg: "Database import failed: the dump file is truncated (" + err.Error() + ")", Err: err}
	}
	im.st.BytesRead = p.cr.n.Load()
	if ld == nil {
		return nil
	}
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
	im.st.Replacements = p.rw.changed
	p.report(true)
	return nil
}
