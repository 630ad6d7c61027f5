package mysqldb

import (
	"bytes"
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// capGate counts the connections a pool opens through it: the ones the work needs always
// get through, optional ones only while fewer than max are open.
type capGate struct {
	max int

	mu                         sync.Mutex
	open, peak, optional, shed int
}

var errCapped = errors.New("budget spent")

func (g *capGate) gate(ctx context.Context, open func(context.Context) (driver.Conn, error)) (driver.Conn, func(), error) {
	g.mu.Lock()
	if Optional(ctx) {
		g.optional++
		if g.open >= g.max {
			g.mu.Unlock()
			return nil, nil, errCapped
		}
	}
	g.open++
	g.peak = max(g.peak, g.open)
	g.mu.Unlock()
	if ShedIdle(ctx) != nil {
		g.shed++
	}
	c, err := open(ctx)
	if err != nil {
		g.mu.Lock()
		g.open--
		g.mu.Unlock()
		return nil, nil, err
	}
	var once sync.Once
	return c, func() { once.Do(func() { g.mu.Lock(); g.open--; g.mu.Unlock() }) }, nil
}

func (g *capGate) counts() (open, peak, optional int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.open, g.peak, g.optional
}

// Under a gate, Dump and Import open the connections they need and take the others only
// when the gate grants them: both finish on fewer than they asked for, with every row, and
// every connection's slot is given back when it closes.
func TestDumpAndImportShrinkToTheGate(t *testing.T) {
	src, srcCfg := testDB(t)
	var stmts []string
	for i := range 4 {
		stmts = append(stmts, fmt.Sprintf("CREATE TABLE t%d (id INT PRIMARY KEY, v VARCHAR(40), KEY v (v))", i))
		var rows []string
		for j := range 300 {
			rows = append(rows, fmt.Sprintf("(%d,'http://old.test/%d/%d')", j+1, i, j))
		}
		stmts = append(stmts, fmt.Sprintf("INSERT INTO t%d VALUES %s", i, strings.Join(rows, ",")))
	}
	mustExec(t, src, stmts...)

	dg := &capGate{max: 2}
	srcCfg.Gate = dg.gate
	gsrc, err := Open(t.Context(), srcCfg)
	require.NoError(t, err)
	var dump bytes.Buffer
	st, err := Dump(t.Context(), gsrc, &dump, DumpOptions{Workers: 4, ChunkRows: 50})
	require.NoError(t, err)
	require.EqualValues(t, 1200, st.Rows)
	_, peak, optional := dg.counts()
	require.Equal(t, 2, peak, "the main connection and one reader")
	require.Positive(t, optional, "the other readers were asked for as optional")
	require.Positive(t, dg.shed, "the gate can shed the pool's idle connections")
	require.NoError(t, gsrc.Close())
	open, _, _ := dg.counts()
	require.Zero(t, open, "every slot is given back when the pool closes")

	_, dstCfg := testDB(t)
	ig := &capGate{max: 3}
	dstCfg.Gate = ig.gate
	dst, err := Open(t.Context(), dstCfg)
	require.NoError(t, err)
	ist, err := Import(t.Context(), dst, bytes.NewReader(dump.Bytes()), ImportOptions{Workers: 4})
	require.NoError(t, err)
	require.EqualValues(t, 1200, ist.Rows)
	_, peak, optional = ig.counts()
	require.Equal(t, 3, peak, "main, the index builder and one loader")
	require.Positive(t, optional)
	var n int
	require.NoError(t, dst.SQL().QueryRow("SELECT COUNT(*) FROM t3 WHERE v LIKE 'http://old.test/3/%'").Scan(&n))
	require.Equal(t, 300, n)
	require.NoError(t, dst.Close())
	open, _, _ = ig.counts()
	require.Zero(t, open)
}
