package mysqldb

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"
)

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
