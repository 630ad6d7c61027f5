package mysqldb

import (
	"context"
	"errors"
	"io"
)

// DumpCheck is what CheckDump found in a dump Import would accept.
type DumpCheck struct {
	Bytes int64 // bytes read (compressed bytes for .sql.gz)
	// Notes are the statements Import will skip rather than execute (the dump's own
	// CREATE DATABASE and USE, MySQL 8's GTID lines), in the words Import logs them.
	Notes []string
}

// CheckDump reads the whole dump in r (plain SQL or gzip) the way Import's pre-scan does,
// without a server: the same Guard, the same check of the values of every INSERT, the same
// end-of-dump check. It returns nil exactly when Import, on an empty database, would not
// refuse the dump; otherwise a *RefusedError (with the statement's line and first words)
// or an *ImportError. database is the destination database's name ("" when unknown: then
// only the dump's own leading CREATE DATABASE/USE pair is skipped).
func CheckDump(ctx context.Context, r io.Reader, database string) (DumpCheck, error) {
	var dc DumpCheck
	st := ImportStats{RowsPerTable: map[string]int64{}}
	im := &importer{
		opts:   ImportOptions{Log: func(msg string) { dc.Notes = append(dc.Notes, msg) }},
		env:    &target{maxPacket: DefaultMaxStatementBytes, collations: map[string]bool{}, tables: map[string]bool{}},
		target: database, st: &st, checkOnly: true,
		skip: map[string]bool{}, created: map[string]bool{}, deferred: map[string][]string{},
	}
	err := im.pass(ctx, r, nil)
	dc.Bytes = st.BytesRead
	if err != nil && ctx.Err() != nil {
		return dc, ctx.Err()
	}
	var re *RefusedError
	if errors.As(err, &re) {
		return dc, re
	}
	return dc, err
}
