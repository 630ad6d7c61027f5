package pipeline

import (
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/mysqldb"
	"ferry/backend/wordpress"
)

// TestValidationScopeIsTheSameOnEveryPath: a resumed import records fewer created tables
// than a fresh one, yet Validate reads the same tables, plugin tables without the prefix
// included; tables of a shared database that are not the site's are left alone.
func TestValidationScopeIsTheSameOnEveryPath(t *testing.T) {
	counts := map[string]int64{"wp_options": 1, "wp_posts": 1, "plugin_links": 1, "wp_links": 1, "other_app": 1}
	source := map[string]int64{"wp_options": 1, "wp_posts": 1, "plugin_links": 1}
	fresh := Results{SourceRows: source, CreatedTables: []string{"wp_options", "wp_posts", "plugin_links"}}
	resumed := Results{SourceRows: source, CreatedTables: []string{"plugin_links"}, ImportedTables: []string{"wp_options", "wp_posts"}}
	manual := Results{CreatedTables: []string{"wp_options", "wp_posts", "plugin_links"}}
	want := []string{"plugin_links", "wp_links", "wp_options", "wp_posts"}
	for name, r := range map[string]Results{"fresh": fresh, "resumed": resumed, "manual": manual} {
		require.Equal(t, want, validationScope(r, "wp_", counts), name)
	}
	require.Len(t, validationScope(Results{}, "", counts), len(counts), "nothing known: every table")
}

// TestSerializedCheckWording: one sentence per case, never "all N parse" next to "no
// serialized values to check".
func TestSerializedCheckWording(t *testing.T) {
	ref := wordpress.ValueRef{Table: "wp_options", Column: "option_value", Key: "option_id=42"}
	cases := []struct {
		total, bad, kept int
		ok               bool
		msg              string
	}{
		{0, 0, 0, true, "No serialized values to check."},
		{1, 0, 0, true, "The one serialized value parses."},
		{62, 0, 0, true, "All 62 serialized values parse."},
		{62, 0, 1, true, "61 of 62 serialized values parse; 1 was already broken on the source and copied unchanged (see the warnings)."},
		{62, 2, 0, false, "2 of 62 serialized values do not parse, the first in wp_options.option_value (option_id=42)."},
		{62, 1, 2, false, "1 of 62 serialized values do not parse, the first in wp_options.option_value (option_id=42); 2 were already broken on the source and copied unchanged (see the warnings)."},
	}
	for _, c := range cases {
		got := serializedCheck(c.total, c.bad, c.kept, ref)
		require.Equal(t, c.ok, got.OK, c.msg)
		require.Equal(t, c.msg, got.Message)
		require.NotContains(t, got.Message, "rewritten")
	}
	old := oldURLCheck("http://old.test", 0, 1, wordpress.ValueRef{})
	require.True(t, old.OK)
	require.Equal(t, "No value links to the old URL http://old.test any more (except 1 value already broken on the source and copied unchanged: see the warnings).", old.Message)
	old = oldURLCheck("http://old.test", 2, 0, wordpress.ValueRef{Table: "plugin_links", Column: "url", Key: "id=2"})
	require.False(t, old.OK)
	require.Equal(t, "2 values still link to the old URL http://old.test, the first in plugin_links.url (id=2).", old.Message)
}

// TestFoldCountsEveryAttempt: rows and replacements of a migration whose import ran twice
// are those of every table, whichever attempt committed it; a table the second attempt
// imported again replaces what the first recorded for it.
func TestFoldCountsEveryAttempt(t *testing.T) {
	var r Results
	r.fold(attempt{
		stats: mysqldb.ImportStats{
			Tables:          []string{"wp_options", "wp_posts", "plugin_links"},
			CompletedTables: []string{"wp_options", "wp_posts"},
			RowsPerTable:    map[string]int64{"wp_options": 6, "wp_posts": 60, "plugin_links": 2},
		},
		rewrites: wordpress.Stats{Columns: []wordpress.ColumnStats{
			{Table: "wp_options", Column: "option_value", Values: 4, Replacements: 5},
			{Table: "wp_posts", Column: "guid", Values: 60, Replacements: 60},
			{Table: "plugin_links", Column: "url", Values: 2, Replacements: 2},
		}},
		kept: []KeptValue{{Table: "wp_options", Column: "option_value", Key: "option_id=6", SHA256: "ab"}},
	})
	// The second attempt skips wp_options and wp_posts (CompletedTables lists them too) and
	// imports plugin_links again.
	r.fold(attempt{
		stats: mysqldb.ImportStats{
			Tables:          []string{"plugin_links"},
			CompletedTables: []string{"wp_options", "wp_posts", "plugin_links"},
			RowsPerTable:    map[string]int64{"plugin_links": 3},
		},
		rewrites: wordpress.Stats{Columns: []wordpress.ColumnStats{{Table: "plugin_links", Column: "url", Values: 3, Replacements: 3}}},
	})
	rows, rs := r.importTotals()
	require.EqualValues(t, 6+60+3, rows)
	require.EqualValues(t, 5+60+3, rs.Replacements)
	require.EqualValues(t, 4+60+3, rs.Values)
	require.EqualValues(t, 1, rs.Broken, "the kept value of the first attempt is still counted")
	require.Equal(t, []string{"wp_options.option_value"}, rs.BrokenSamples)
	require.Len(t, r.Kept, 1)
}

// TestKeptSetExcusesOnlyTheValueAsImported: the record excuses the value of that row only
// while it is byte for byte what the import copied.
func TestKeptSetExcusesOnlyTheValueAsImported(t *testing.T) {
	k := &keptRecorder{}
	v := []byte(`a:1:{s:3:"url";s:99:"http://old.test/broken";}`)
	k.add("wp_options", "option_value", v)
	vals := k.vals
	vals[0].Key = "option_id=6"
	s := newKeptSet(vals)
	require.True(t, s.has("wp_options", "option_value", "option_id=6", v))
	require.False(t, s.has("wp_options", "option_value", "option_id=7", v), "another row")
	require.False(t, s.has("wp_options", "option_value", "option_id=6", append([]byte("x"), v...)), "changed since")
	vals[0].Key = ""
	s = newKeptSet(vals)
	require.True(t, s.has("wp_options", "option_value", "option_id=9", v), "row not found at import: matched by value")
	require.Equal(t, "wp_options option_id=42 option_value: serialized value was already broken on the source; copied unchanged (it still holds http://old.test)",
		keptWarning("wp_options", "option_id=42", "option_value", "http://old.test", true))
}

// TestKeptRecordSurvivesACrash: the import records a broken value the moment it sees it;
// after a crash (no end-of-attempt fold), the next attempt skips the committed table, and
// the record still excuses the value, matched by its bytes.
func TestKeptRecordSurvivesACrash(t *testing.T) {
	var r Results
	k := &keptRecorder{persist: func(v KeptValue) { r.Kept = append(r.Kept, v) }}
	v := []byte(`a:1:{s:3:"url";s:99:"http://old.test/broken";}`)
	k.add("wp_options", "option_value", v)
	require.Len(t, r.Kept, 1, "recorded before the row is committed")
	// The crashed attempt never folded. The retry skips wp_options and imports wp_posts.
	r.fold(attempt{stats: mysqldb.ImportStats{Tables: []string{"wp_posts"}, CompletedTables: []string{"wp_options", "wp_posts"}}})
	require.True(t, newKeptSet(r.Kept).has("wp_options", "option_value", "option_id=6", v))
	// A retry that imports wp_options again replaces the record with its own.
	r.fold(attempt{stats: mysqldb.ImportStats{Tables: []string{"wp_options"}, CompletedTables: []string{"wp_options"}}})
	require.Empty(t, r.Kept)
}
