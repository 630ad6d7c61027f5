package dbroute

import (
	"context"
	"fmt"
	"io"

	"ferry/backend/mysqldb"
	"ferry/backend/sshcmd"
)

// commandDump dumps with the server's mysqldump. One mysqldump is single-threaded and
// writes about a third of what Ferry's own dump reads on several connections, so a
// database worth cutting runs as several: the tables, and the big ones' primary-key
// ranges, as Ferry's dump would read them, opts.Workers processes at a time (default 4,
// fewer when the server has fewer idle processors), each worker an SSH session of its own
// on the one connection that runs its parts in turn (sshcmd.DumpParallel). A small
// database (one part) is one mysqldump through the control session, which saves the
// session starts.
func (c *Conn) commandDump(ctx context.Context, w io.Writer, opts mysqldb.DumpOptions) (mysqldb.DumpStats, error) {
	workers := opts.Workers
	if workers <= 0 {
		// a mysqldump more than the server has idle processors for only slows the others
		// down (measured on a loaded two-processor host: a dump in two parts ran slower
		// than one mysqldump)
		workers = 4
		if spare := c.runner.SpareCPUs(); spare > 0 {
			workers = min(workers, spare)
		}
	}
	cw := &countWriter{w: w, progress: opts.Progress}
	var plan mysqldb.DumpPlan
	if workers > 1 {
		var err error
		if plan, err = mysqldb.PlanDump(ctx, c.DB, workers, opts.ChunkRows); err != nil {
			return mysqldb.DumpStats{}, fmt.Errorf("ssh command: %w", err)
		}
	}
	if len(plan.Parts) < 2 {
		err := c.runner.Dump(ctx, cw)
		cw.report()
		return mysqldb.DumpStats{Bytes: cw.n, Snapshot: "mysqldump --single-transaction"}, err
	}
	parts := make([]sshcmd.Part, len(plan.Parts))
	for i, p := range plan.Parts {
		parts[i] = sshcmd.Part{Table: p.Table, Where: p.Where}
	}
	err := c.runner.DumpParallel(ctx, cw, parts, workers, plan.Triggers > 0)
	cw.report()
	snap := fmt.Sprintf("per-process (%d mysqldump, %d at a time)", len(parts), min(workers, len(parts)))
	return mysqldb.DumpStats{Bytes: cw.n, Snapshot: snap}, err
}
