package mysqldb

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// trickyDump holds every literal form a dump may use for row values. Rows that only an
// INSERT can express (a function call, a bit literal, an introducer) are in it too: they
// must arrive the same way, sent as SQL.
const trickyDump = "CREATE TABLE `t` (`id` INT NOT NULL PRIMARY KEY, `s` LONGTEXT, `b` LONGBLOB, `n` DECIMAL(30,10), `d` DOUBLE, `dt` DATETIME, `e` TEXT) DEFAULT CHARSET=utf8mb4;\n" +
	"INSERT INTO `t` VALUES (1,'plain',0x00FF0A09,12.5,-1.5e-3,'2024-02-29 23:59:59',NULL)," +
	"(2,'esc \\0 \\' \\\" \\b \\n \\r \\t \\Z \\\\ \\% \\_ \\x \\N end',X'5C7409',-0.0000000001,1e300,'0000-00-00 00:00:00','')," +
	"(3,'doubled '' quote and raw\ttab and raw\nnewline',0x41,+7,.5,NULL,null)," +
	"(4,\"double \"\" quoted \\\" string\",'',-99999999999999999999.9999999999,-0,'1970-01-01 00:00:00','4-byte 😀 𝄞 中文 é')," +
	"(5,'backslash at end \\\\','\\\\N','0','0','2024-01-01','\\N');\n" +
	"INSERT INTO `t` (`id`,`s`) VALUES (6,'with a column list'),(7,'x');\n" +
	"INSERT INTO `t` VALUES (8,CONCAT('a','b'),NULL,NULL,NULL,NULL,NULL);\n" +
	"INSERT INTO `t` VALUES (9,_utf8mb4'introduced',NULL,NULL,NULL,NULL,NULL);\n"

func rowsOf(t *testing.T, db *DB) []string {
	t.Helper()
	rows, err := db.SQL().Query("SELECT id, HEX(s), HEX(b), n, d, dt, e IS NULL, HEX(e) FROM t ORDER BY id")
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id int
		var s, b, n, d, dt, e *string
		var eNull bool
		require.NoError(t, rows.Scan(&id, &s, &b, &n, &d, &dt, &eNull, &e))
		str := func(p *string) string {
			if p == nil {
				return "NULL"
			}
			return *p
		}
		out = append(out, fmt.Sprintf("%d|%s|%s|%s|%s|%s|%v|%s", id, str(s), str(b), str(n), str(d), str(dt), eNull, str(e)))
	}
	require.NoError(t, rows.Err())
	return out
}

// TestPreparedMatchesInsert imports the same dump as INSERT text and as LOAD DATA streams
// and requires every stored byte to be the same.
func TestPreparedMatchesInsert(t *testing.T) {
	viaSQL, _ := testDB(t)
	st, err := Import(context.Background(), viaSQL, strings.NewReader(trickyDump), ImportOptions{TextInserts: true})
	require.NoError(t, err)
	require.Zero(t, st.PreparedRows)
	want := rowsOf(t, viaSQL)
	require.Len(t, want, 9)

	viaLoad, _ := testDB(t)
	st, err = Import(context.Background(), viaLoad, strings.NewReader(trickyDump), ImportOptions{})
	require.NoError(t, err)
	require.EqualValues(t, 7, st.PreparedRows, "rows 1-7 go as prepared INSERTs, the function call and the introducer as text")
	require.EqualValues(t, 9, st.Rows)
	require.Equal(t, want, rowsOf(t, viaLoad))
}

// TestPreparedReportsRejectedRows: a LOCAL load turns row errors into warnings; Ferry must
// still fail the import, with the server's reason and the line.
func TestPreparedReportsRejectedRows(t *testing.T) {
	db, _ := testDB(t)
	in := "CREATE TABLE `u` (`id` INT PRIMARY KEY, `v` TEXT);\nINSERT INTO `u` VALUES (1,'a'),(1,'duplicate');\n"
	_, err := Import(context.Background(), db, strings.NewReader(in), ImportOptions{})
	require.Error(t, err)
	require.Contains(t, err.Error(), "Database import failed at line 2: Duplicate entry '1'")
	require.Zero(t, tableCount(t, db), "the failed table is dropped")
}

func TestDecodeRowsRefusesWhatItCannotSendAsValues(t *testing.T) {
	for _, v := range []string{
		"(1,NOW())", "(1,b'0101')", "(1,_binary'x')", "(1,'a') ON DUPLICATE KEY UPDATE v=1", "(1,'a'),(2)",
		"(1,1+2)", "(1,-)", "(1,0x1)", "(1,X'1')", "(1,'unterminated)", "(1,DEFAULT)", "(1,TRUE)",
	} {
		b := &rowBatch{}
		_, ok := decodeRows(b, []byte(v), 0)
		require.False(t, ok, v)
		require.Empty(t, b.vals, v)
		require.Empty(t, b.arena, v)
		require.Zero(t, b.ncols, v)
	}
	b := &rowBatch{}
	rows, ok := decodeRows(b, []byte(" (1,'a\\tb',NULL) , (2,\"c\",0x41)"), 0)
	require.True(t, ok)
	require.Equal(t, 2, rows)
	require.Equal(t, 3, b.ncols)
	var got []string
	for _, v := range b.vals {
		if v.n < 0 {
			got = append(got, "NULL")
		} else {
			got = append(got, string(b.arena[v.off:v.off+v.n]))
		}
	}
	require.Equal(t, []string{"1", "a\tb", "NULL", "2", "c", "A"}, got)
	_, ok = decodeRows(b, []byte("(3,'x')"), 0)
	require.False(t, ok, "a row with another number of values does not join the batch")
	require.Len(t, b.vals, 6)
}

// FuzzDecodeRows: whatever the text, decoding never panics, and a batch it accepts holds
// rows × columns values that all lie inside the arena.
func FuzzDecodeRows(f *testing.F) {
	for _, s := range []string{"(1,'a\\'b',NULL),(2,'x',0x00)", "(1,\"q\"\"q\")", "('\\0\\Z\\%',-1.5e3,X'0A')", "(1)"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		b := &rowBatch{}
		rows, ok := decodeRows(b, text, 0)
		if !ok {
			require.Empty(t, b.vals)
			return
		}
		require.Equal(t, rows*b.ncols, len(b.vals))
		for _, v := range b.vals {
			require.LessOrEqual(t, v.off+max(v.n, 0), len(b.arena))
		}
	})
}
