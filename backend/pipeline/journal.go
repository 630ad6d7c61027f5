package pipeline

import (
	"context"
	"slices"
)

// journalTable records, as soon as the import committed it whole, that table needs no
// importing again: the history is the import's journal, so a Retry after Ferry was killed
// mid-import skips the tables finished before the kill (and never overwrites what was
// written into them since). Losing a record only costs that table a second import.
func (p *Pipeline) journalTable(ctx context.Context, id int64, table string) {
	_ = p.update(ctx, id, func(r *Results) {
		if !slices.Contains(r.ImportedTables, table) {
			r.ImportedTables = append(r.ImportedTables, table)
		}
	})
}
