package cli

import (
	"encoding/json"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/migration"
	"ferry/backend/service"
)

// TestStopDuringImportLeavesOnlyWholeTables stops a live `ferry migrate` (with `ferry
// stop` from another process, as an admin in a terminal would) while Import database is
// halfway through the rows, and then inspects the destination database itself: every
// table left there is complete (the source's row count) and recorded as finished, and
// the half-loaded and not yet loaded tables the import had created are gone.
func TestStopDuringImportLeavesOnlyWholeTables(t *testing.T) {
	c := newCrashSite(t)
	tripped := c.dstSQL.freezeAt(c.sqlBytes*55/100, true, true)
	ch := startFerry(t, c.dataDir, "migrate", "--spec", c.spec)
	select {
	case <-tripped:
	case <-ch.done:
		t.Fatalf("ferry migrate ended early; its log:\n%s", ch.log())
	case <-time.After(3 * time.Minute):
		t.Fatalf("ferry migrate never reached half of the import; its log:\n%s", ch.log())
	}
	select {
	case <-ch.seen("Import database started"):
	case <-time.After(3 * time.Minute):
		t.Fatalf("ferry migrate never reached Import database; its log:\n%s", ch.log())
	}
	before := rowCounts(t, c.dst)
	var partial []string
	for tb, n := range before {
		if n < c.srcRows[tb] {
			partial = append(partial, tb)
		}
	}
	require.NotEmpty(t, partial, "the destination holds unfinished tables while the import runs")
	require.Less(t, len(partial), len(c.srcRows), "and some finished ones")

	// The run is In Progress for every other process: the live one holds its lease.
	code, out, errOut := runFerry(t, c.dataDir, "list", "--json")
	require.Equal(t, 0, code, errOut)
	var list service.ListResult
	require.NoError(t, json.Unmarshal([]byte(out), &list))
	require.Len(t, list.Rows, 1, out)
	require.Equal(t, "running", list.Rows[0].Status)
	id := list.Rows[0].ID

	code, out, errOut = runFerry(t, c.dataDir, "stop", strconv.FormatInt(id, 10))
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, migration.ReasonStopped)
	// The running process notices the Stop within its watch interval and ends the run.
	exit := ch.wait(t, time.Minute)
	require.NotEqual(t, 0, exit)
	require.Contains(t, ch.log(), "Import stopped; removed the tables it had not finished")

	after := rowCounts(t, c.dst)
	require.NotEmpty(t, after, "the tables finished before the Stop stay")
	res := c.results(t, id)
	for tb, n := range after {
		require.Equal(t, c.srcRows[tb], n, "table %s left at the destination is whole", tb)
		require.True(t, slices.Contains(res.ImportedTables, tb), "table %s left at the destination is recorded finished", tb)
	}
	for _, tb := range partial {
		require.NotContains(t, after, tb, "unfinished table %s was dropped", tb)
	}

	code, out, errOut = runFerry(t, c.dataDir, "list", "--tab", "failed", "--json")
	require.Equal(t, 0, code, errOut)
	require.NoError(t, json.Unmarshal([]byte(out), &list))
	require.Len(t, list.Rows, 1)
	require.Equal(t, migration.ReasonStopped, list.Rows[0].FailureReason)
}
