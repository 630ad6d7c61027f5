package mysqldb

import (
	"context"
	"fmt"
)

// DumpPart is one read of a base table in a dump made by several processes at once (the
// SSH command route runs one mysqldump per part): Where is a primary-key range as an SQL
// condition, "" for the whole table.
type DumpPart struct {
	Table string
	Where string
}

// DumpPlan is a database cut into parts for a dump by several processes.
type DumpPlan struct {
	// Parts are the base tables' rows, biggest tables first, so that the processes share
	// the big tables and finish together.
	Parts []DumpPart
	// Triggers is the number of triggers (they are dumped after every row).
	Triggers int
	// Bytes is the server's estimate of the tables' data.
	Bytes int64
}

// Part sizes of a plan: a part should read about a third of one process's share, within
// these bounds (each part costs a process start and its queries, about 10 ms).
const (
	minPartBytes = 16 << 20
	maxPartBytes = dumpUnitBytes
)

// PlanDump cuts db's base tables into parts for a dump by workers processes, in the
// primary-key ranges Dump would read (a table without a single integer primary key is
// one part), each of at most chunkRows rows (DumpOptions.ChunkRows; 0: 100000).
func PlanDump(ctx context.Context, db *DB, workers, chunkRows int) (DumpPlan, error) {
	var p DumpPlan
	c, err := db.db.Conn(ctx)
	if err != nil {
		return p, fmt.Errorf("plan the dump: connect: %w", err)
	}
	defer c.Close()
	tables, byName, _, err := listTables(ctx, c, nil)
	if err != nil {
		return p, fmt.Errorf("plan the dump: list tables: %w", err)
	}
	if err := readPrimaryKeys(ctx, c, byName); err != nil {
		return p, fmt.Errorf("plan the dump: primary keys: %w", err)
	}
	for _, t := range tables {
		p.Bytes += t.size
	}
	part := min(max(p.Bytes/int64(3*max(workers, 1)), minPartBytes), maxPartBytes)
	if chunkRows <= 0 {
		chunkRows = 100000
	}
	units, err := planUnits(ctx, c, tables, chunkRows, part)
	if err != nil {
		return p, fmt.Errorf("plan the dump: %w", err)
	}
	for _, u := range units {
		p.Parts = append(p.Parts, DumpPart{Table: u.table.name, Where: u.where()})
	}
	err = c.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()").Scan(&p.Triggers)
	if err != nil {
		return p, fmt.Errorf("plan the dump: count triggers: %w", err)
	}
	return p, nil
}
