package mysqldb

import (
	"context"
	"fmt"
)

// completed tells ImportOptions.OnComplete that table t is committed whole. It is only
// called during the loading pass (the pre-scan completes nothing); tables whose indexes
// are built in the background are reported by journaled instead.
func (im *importer) completed(t string) {
	if im.opts.OnComplete != nil {
		im.opts.OnComplete(t)
	}
}

// journaled passes on the outcome of table t's background index build and, as soon as
// it succeeded, tells OnComplete: the table is whole from that moment, however long the
// import waits before it looks at the build's result.
func (im *importer) journaled(t string, done <-chan error) <-chan error {
	if im.opts.OnComplete == nil {
		return done
	}
	out := make(chan error, 1)
	go func() {
		err := <-done
		if err == nil {
			im.opts.OnComplete(t)
		}
		out <- err
	}()
	return out
}

// DropTables drops tables of db's database that an import created and never finished
// (ImportOptions.OnCreate named them, ImportStats.CompletedTables did not): what Import
// does itself when it fails or is stopped, for an import whose process was killed before
// it could. A table already gone is fine.
func DropTables(ctx context.Context, db *DB, tables []string) error {
	for _, t := range tables {
		if _, err := db.db.ExecContext(ctx, "DROP TABLE IF EXISTS "+quoteIdent(t)); err != nil {
			return fmt.Errorf("drop unfinished table %s: %w", t, err)
		}
	}
	return nil
}
