package mysqldb

import (
	"context"
	"database/sql"
	"slices"
	"time"
)

// complete marks table t's rows all in: its deferred indexes are built (in the background
// when an indexer runs) and it joins CompletedTables.
func (p *passRun) complete(ctx context.Context, t string) error {
	im, ld := p.im, p.ld
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

// beforeCreate readies a CREATE TABLE: holds back its secondary indexes and statistics,
// drops the table it replaces, and records the table as created by this import. It returns
// the text to execute.
func (im *importer) beforeCreate(ctx context.Context, ld *loaders, a analysis, text []byte, line int) ([]byte, error) {
	if len(a.tables) == 1 {
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
	for _, t := range a.tables {
		if im.env.tables[t] && !im.created[t] && (im.opts.Overwrite || slices.Contains(im.opts.Replace, t)) {
			if _, err := ld.main.ExecContext(ctx, "DROP TABLE IF EXISTS "+quoteIdent(t)); err != nil {
				return nil, importErr(line, err)
			}
		}
	}
	// counted before it runs: a Stop may cut the connection after the server
	// created the table but before the answer came, and a failed import must
	// still drop it (the table did not exist before: see the checks in check)
	for _, t := range a.tables {
		if !im.created[t] {
			im.created[t] = true
			im.st.Tables = append(im.st.Tables, t)
			if im.opts.OnCreate != nil {
				if err := im.opts.OnCreate(t); err != nil {
					return nil, &ImportError{Line: line, Msg: "Database import failed: " + err.Error(), Err: err}
				}
			}
		}
	}
	return text, nil
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
	fctx := ctx
	if im.db.cfg.Gate != nil {
		fctx = optional(ctx) // a full budget or server must not hold the clean-up up
	}
	if fresh, err := im.db.db.Conn(fctx); err == nil {
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
