package pipeline

import (
	"slices"
	"sort"

	"ferry/backend/mysqldb"
	"ferry/backend/wordpress"
)

// attempt is what one run of the import did, folded into the results so the report counts
// rows and URL replacements over every attempt of a migration: a retry skips the tables an
// earlier attempt committed, and must not report them as 0 rows and 0 replacements.
type attempt struct {
	stats    mysqldb.ImportStats
	rewrites wordpress.Stats
	kept     []KeptValue // resolved kept values of the tables this attempt committed
	overflow int64       // kept values seen beyond maxKept
}

// committed are the tables this attempt created and committed whole (CompletedTables also
// lists the tables it skipped as done by an earlier attempt).
func (a attempt) committed() []string {
	var out []string
	for _, t := range a.stats.CompletedTables {
		if slices.Contains(a.stats.Tables, t) {
			out = append(out, t)
		}
	}
	return out
}

// fold records the attempt in r: the tables this attempt created replace whatever an earlier
// attempt recorded for them (they were dropped and imported again); the tables it committed
// whole add their rows, replacements and kept values.
func (r *Results) fold(a attempt) {
	created := a.stats.Tables
	if r.ImportedRows == nil {
		r.ImportedRows = map[string]int64{}
	}
	for _, t := range created {
		delete(r.ImportedRows, t)
	}
	var cols []wordpress.ColumnStats
	for _, c := range r.ImportedColumns {
		if !slices.Contains(created, c.Table) {
			cols = append(cols, c)
		}
	}
	committed := a.committed()
	for _, t := range committed {
		r.ImportedRows[t] = a.stats.RowsPerTable[t]
	}
	for _, c := range a.rewrites.Columns {
		if slices.Contains(committed, c.Table) {
			cols = append(cols, c)
		}
	}
	sort.Slice(cols, func(i, j int) bool {
		if cols[i].Table != cols[j].Table {
			return cols[i].Table < cols[j].Table
		}
		return cols[i].Column < cols[j].Column
	})
	r.ImportedColumns = cols
	r.Kept = mergeKept(r.Kept, a.kept, created)
	r.KeptOverflow += a.overflow
	r.ImportedExtras = addExtras(r.ImportedExtras, a.rewrites.Extras)
}

// addExtras sums the per-pair counts of the admin's extra replacements over attempts. The
// Replacer counts them per value, not per table, so a table an attempt imported again
// after a failure is counted again: the figure is what the imports did, an upper bound
// of what the destination holds.
func addExtras(sum, add []wordpress.ExtraStats) []wordpress.ExtraStats {
	for _, e := range add {
		i := slices.IndexFunc(sum, func(x wordpress.ExtraStats) bool { return x.Find == e.Find && x.Replace == e.Replace })
		if i < 0 {
			sum = append(sum, e)
			continue
		}
		sum[i].Replacements += e.Replacements
	}
	return sum
}

// importTotals are the import's figures over every attempt, for Results.Import and
// Results.Replacements once the import has finished.
func (r *Results) importTotals() (rows int64, rs wordpress.Stats) {
	for _, n := range r.ImportedRows {
		rows += n
	}
	rs.Columns = append([]wordpress.ColumnStats{}, r.ImportedColumns...)
	rs.Extras = append([]wordpress.ExtraStats(nil), r.ImportedExtras...)
	for _, c := range rs.Columns {
		rs.Values += c.Values
		rs.Replacements += c.Replacements
	}
	rs.Broken = int64(len(r.Kept)) + r.KeptOverflow
	for _, k := range r.Kept {
		s := k.Table + "." + k.Column
		if !slices.Contains(rs.BrokenSamples, s) && len(rs.BrokenSamples) < 20 {
			rs.BrokenSamples = append(rs.BrokenSamples, s)
		}
	}
	return rows, rs
}
