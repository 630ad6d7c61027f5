package pipeline

import (
	"context"
	"slices"

	"ferry/backend/migration"
	"ferry/backend/mysqldb"
)

// UnfinishedTables lists the tables an import of migration id created (Results.CreatedTables,
// recorded before each was created) and never finished (not in Results.ImportedTables).
func (p *Pipeline) UnfinishedTables(ctx context.Context, id int64) ([]string, error) {
	res, err := p.load(ctx, id)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, t := range res.CreatedTables {
		if !slices.Contains(res.ImportedTables, t) {
			out = append(out, t)
		}
	}
	return out, nil
}

// DropUnfinishedTables does for a run whose process was killed what a stopped or failed
// import does itself: it drops, in the destination database, the tables that run's import
// created and did not finish, so the destination keeps whole tables only. m must carry its
// secrets in clear. It returns the tables dropped.
func (p *Pipeline) DropUnfinishedTables(ctx context.Context, m migration.Migration) ([]string, error) {
	tables, err := p.UnfinishedTables(ctx, m.ID)
	if err != nil || len(tables) == 0 {
		return nil, err
	}
	dst := m.Destination
	db, err := p.openDB(ctx, dst, dst.DB, "")
	if err != nil {
		return nil, dbFailure("destination", dst.DB, err)
	}
	defer db.Close()
	if err := mysqldb.DropTables(ctx, db.DB, tables); err != nil {
		return nil, migration.Fail("Cannot remove the tables of the unfinished import", err)
	}
	err = p.update(ctx, m.ID, func(r *Results) {
		r.CreatedTables = slices.DeleteFunc(r.CreatedTables, func(t string) bool { return slices.Contains(tables, t) })
	})
	return tables, err
}
