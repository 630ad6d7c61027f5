package mysqldb

import (
	"context"
	"fmt"
)

// completed tells ImportOptions.OnComplete that table t is committed whole. It is only
// called during the loading pass (the pre-scan completes nothing).
func (im *importer) completed(t string) {
	if im.opts.OnComplete != nil {
		im.opts.OnComplete(t)
	}
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
