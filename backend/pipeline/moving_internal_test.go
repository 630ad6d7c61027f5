package pipeline

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// heldDump gives a dump a statement at a time, a little slower than the import's progress
// throttle, and stops after half of them until release is closed: an import caught in
// the middle, its source still being written.
type heldDump struct {
	parts   []string
	half    int
	release chan struct{}
	cur     *strings.Reader
}

func (d *heldDump) Read(b []byte) (int, error) {
	for d.cur == nil || d.cur.Len() == 0 {
		if len(d.parts) == 0 {
			return 0, io.EOF
		}
		if d.half == 0 {
			<-d.release
		}
		d.half--
		time.Sleep(30 * time.Millisecond)
		d.cur = strings.NewReader(d.parts[0])
		d.parts = d.parts[1:]
	}
	return d.cur.Read(b)
}

// TestImportTellsWhatItMovedWhileItRuns: while an import waits for the rest of its dump,
// Moving says how many of its bytes it has read into the destination so far; at the end
// it says them all.
func TestImportTellsWhatItMovedWhileItRuns(t *testing.T) {
	m, dst := freshDestination(t, 11)
	parts := []string{"-- Ferry dump of database `src` (format 1)\nCREATE TABLE `wp_a` (id int NOT NULL, v text, PRIMARY KEY (id));\n"}
	for i := range 12 {
		var rows []string
		for j := range 200 {
			rows = append(rows, fmt.Sprintf("(%d,'http://old.test/%d')", i*200+j+1, j))
		}
		parts = append(parts, "INSERT INTO `wp_a` VALUES "+strings.Join(rows, ",")+";\n")
	}
	parts = append(parts, "-- ferry:table-done `wp_a` rows=2400\n-- ferry:dump-complete\n")
	total := 0
	for _, s := range parts {
		total += len(s)
	}
	d := &heldDump{parts: parts, half: 7, release: make(chan struct{})}
	p := &Pipeline{Results: &memResults{}}
	done := make(chan error, 1)
	go func() {
		done <- p.importDump(context.Background(), m, &recordLog{}, d, func() int64 { return int64(total) }, 0)
	}()
	deadline := time.Now().Add(time.Minute)
	var moved int64
	for moved == 0 {
		require.True(t, time.Now().Before(deadline), "Moving never told the bytes read")
		time.Sleep(20 * time.Millisecond)
		_, moved = p.Moving(m.ID)
	}
	require.Less(t, moved, int64(total), "the import is held halfway")
	close(d.release)
	require.NoError(t, <-done)
	_, moved = p.Moving(m.ID)
	require.Equal(t, int64(total), moved)
	var n int
	require.NoError(t, dst.QueryRow("SELECT COUNT(*) FROM wp_a").Scan(&n))
	require.Equal(t, 2400, n)
}
