package mysqldb

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFixturesVerifyAcceptsImportImports sends the repository's own dump fixtures (those
// archive's Verify tests read) through the guard and then through Import into MariaDB:
// each must import, with the row counts Verify reports.
func TestFixturesVerifyAcceptsImportImports(t *testing.T) {
	files, err := filepath.Glob("../archive/testdata/*.sql")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 4)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			require.NoError(t, err)
			gold, err := os.ReadFile(strings.TrimSuffix(f, ".sql") + ".golden.json")
			require.NoError(t, err)
			var want struct{ Rows map[string]int64 }
			require.NoError(t, json.Unmarshal(gold, &want))
			db, cfg := testDB(t)
			_, err = CheckDump(context.Background(), bytes.NewReader(raw), cfg.Database)
			require.NoError(t, err)
			st, err := Import(context.Background(), db, bytes.NewReader(raw), ImportOptions{})
			require.NoError(t, err)
			require.NotEmpty(t, want.Rows)
			for table, n := range want.Rows {
				require.Equal(t, fmt.Sprint(n), scalar(t, db, "SELECT COUNT(*) FROM `"+table+"`"), table)
				require.Equal(t, n, st.RowsPerTable[table], table)
			}
		})
	}
}

// TestImportSplitsInsertLongerThanPacket imports one multi-row INSERT longer than the
// destination's max_allowed_packet: it goes as several INSERTs, every row intact.
func TestImportSplitsInsertLongerThanPacket(t *testing.T) {
	var packet int
	db0, _ := testDB(t)
	require.NoError(t, db0.SQL().QueryRow("SELECT @@max_allowed_packet").Scan(&packet))
	var b bytes.Buffer
	b.WriteString("CREATE TABLE `wp_postmeta` (`meta_id` bigint PRIMARY KEY, `meta_value` longtext);\nINSERT INTO `wp_postmeta` VALUES ")
	rows := 0
	for b.Len() < packet+packet/4 {
		if rows > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "(%d,'%s \\'q\\' (x), http://old.test/%d')", rows+1, strings.Repeat("v", 4000+rows%97), rows)
		rows++
	}
	b.WriteString(";\n")
	require.Greater(t, b.Len(), packet)
	for _, text := range []bool{false, true} {
		t.Run(fmt.Sprintf("text=%v", text), func(t *testing.T) {
			db, cfg := testDB(t)
			_, err := CheckDump(context.Background(), bytes.NewReader(b.Bytes()), cfg.Database)
			require.NoError(t, err)
			var logged []string
			st, err := Import(context.Background(), db, bytes.NewReader(b.Bytes()), ImportOptions{TextInserts: text, Log: func(m string) { logged = append(logged, m) }})
			require.NoError(t, err)
			require.Equal(t, int64(rows), st.Rows)
			require.Equal(t, fmt.Sprint(rows), scalar(t, db, "SELECT COUNT(*) FROM wp_postmeta"))
			var sum, bad int64
			require.NoError(t, db.SQL().QueryRow("SELECT SUM(LENGTH(meta_value)), SUM(meta_value NOT LIKE CONCAT('v%', ' ''q'' (x), http://old.test/', meta_id-1)) FROM wp_postmeta").Scan(&sum, &bad))
			require.Zero(t, bad, "every row intact")
			var want int64
			for i := range rows {
				want += int64(4000 + i%97 + len(fmt.Sprintf(" 'q' (x), http://old.test/%d", i)))
			}
			require.Equal(t, want, sum)
			if text {
				require.NotEmpty(t, logged)
				require.Contains(t, logged[0], "longer than the destination's max_allowed_packet")
			}
		})
	}
}

func TestSplitInsert(t *testing.T) {
	text := []byte("INSERT INTO t VALUES (1,'a,b'),(2,'c)d'), (3,'e\\'f') ON DUPLICATE KEY UPDATE v=1")
	at := bytes.Index(text, []byte("VALUES")) + len("VALUES")
	parts, ok, err := splitInsert(text, at, 60, true)
	require.NoError(t, err)
	require.True(t, ok)
	var got []string
	for _, p := range parts {
		got = append(got, string(p))
	}
	require.Equal(t, []string{
		"INSERT INTO t VALUES (1,'a,b') ON DUPLICATE KEY UPDATE v=1",
		"INSERT INTO t VALUES (2,'c)d') ON DUPLICATE KEY UPDATE v=1",
		"INSERT INTO t VALUES (3,'e\\'f') ON DUPLICATE KEY UPDATE v=1",
	}, got)
	require.Len(t, parts, 3)
	_, _, err = splitInsert(text, at, 30, false)
	require.ErrorIs(t, err, ErrStatementTooLarge)
}
