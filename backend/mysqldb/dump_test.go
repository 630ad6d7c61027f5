package mysqldb

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// fillAllTypes creates a table with every column type WordPress sites and plugins use,
// edge-case values, a view on a view, a trigger and a procedure.
func fillAllTypes(t *testing.T, db *DB, rows int) {
	t.Helper()
	mustExec(t, db,
		"SET SESSION sql_mode = ''",
		`CREATE TABLE all_types (
			id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
			ti TINYINT, si SMALLINT, mi MEDIUMINT, bi BIGINT, ubi BIGINT UNSIGNED,
			dec1 DECIMAL(20,6), fl FLOAT, dbl DOUBLE, bt BIT(8), yr YEAR,
			dt DATETIME, dt6 DATETIME(6), ts TIMESTAMP NULL DEFAULT NULL, d DATE, tm TIME,
			ch CHAR(10), vc VARCHAR(255), tx TEXT, ltx LONGTEXT,
			bn BINARY(4), vbn VARBINARY(300), bl BLOB, lbl LONGBLOB,
			en ENUM('a','b'), st SET('x','y'), js JSON,
			gen_v INT AS (ti * 2) VIRTUAL,
			gen_s VARCHAR(300) AS (CONCAT(vc, '!')) PERSISTENT,
			geo POINT NULL
		) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
		`CREATE TABLE no_pk (a VARCHAR(20), b BLOB) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
		`CREATE TABLE wp_posts (ID BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, post_content LONGTEXT NOT NULL,
			post_date DATETIME NOT NULL DEFAULT '0000-00-00 00:00:00', KEY post_date (post_date)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
	)
	var all bytes.Buffer
	for i := range 256 {
		all.WriteByte(byte(i))
	}
	_, err := db.SQL().Exec(`INSERT INTO all_types (ti,si,mi,bi,ubi,dec1,fl,dbl,bt,yr,dt,dt6,ts,d,tm,ch,vc,tx,ltx,bn,vbn,bl,lbl,en,st,js,geo) VALUES
		(-128,-32768,-8388608,-9223372036854775808,18446744073709551615,-12345678901234.123456,1.25,-2.5e-300,b'10101010',2024,
		 '0000-00-00 00:00:00','2024-02-29 23:59:59.123456','2038-01-19 03:14:07','0000-00-00','-838:59:59',
		 '', 'emoji 😀 4-byte 𝄞 中文 é', 'quotes '' " \\ ; -- # /* */ \n\r\t', ?, 0x00000000, ?, ?, '', 'a', 'x,y', '{"a":[1,2,"é 😀"],"b":null}', ST_GeomFromText('POINT(1 2)')),
		(NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL),
		(0,0,0,0,0,0,0,0,0,0,'1970-01-01','1970-01-01','1970-01-02','1970-01-01','00:00:00','x','', '', '', 'ab', '', '', NULL, 'b', '', '[]', NULL)`,
		strings.Repeat("long text é ", 200000), all.Bytes(), all.Bytes())
	require.NoError(t, err)
	mustExec(t, db, "INSERT INTO no_pk VALUES ('a', 0x00ff), ('a', 0x00ff), (NULL, NULL), ('', '')")
	// many rows so the posts table is cut into primary-key chunks read by several workers
	var sb strings.Builder
	for i := 1; i <= rows; i++ {
		if sb.Len() == 0 {
			sb.WriteString("INSERT INTO wp_posts (ID, post_content, post_date) VALUES ")
		} else {
			sb.WriteByte(',')
		}
		date := "'2024-01-01 10:00:00'"
		if i%7 == 0 {
			date = "'0000-00-00 00:00:00'"
		}
		sb.WriteString("(" + itoa(i*3) + ",'<p>Post " + itoa(i) + " at http://old.test/?p=" + itoa(i) + " \\'q\\' 😀</p>'," + date + ")")
		if sb.Len() > 200000 {
			mustExec(t, db, sb.String())
			sb.Reset()
		}
	}
	if sb.Len() > 0 {
		mustExec(t, db, sb.String())
	}
	mustExec(t, db,
		"ANALYZE TABLE wp_posts",
		"CREATE DEFINER=CURRENT_USER VIEW v_posts AS SELECT ID, post_date FROM wp_posts WHERE ID < 100",
		"CREATE VIEW v2 AS SELECT COUNT(*) AS n FROM v_posts",
		"CREATE DEFINER=CURRENT_USER TRIGGER trg_ch BEFORE INSERT ON all_types FOR EACH ROW SET NEW.ch = COALESCE(NEW.ch, 'trg')",
		"CREATE DEFINER=CURRENT_USER PROCEDURE p_count(OUT n INT) BEGIN SELECT COUNT(*) INTO n FROM wp_posts; END",
	)
}

func itoa(i int) string { return strings.TrimSpace(strings.Repeat(" ", 0) + formatInt(i)) }

func formatInt(i int) string {
	var b [20]byte
	n := len(b)
	if i == 0 {
		return "0"
	}
	for i > 0 {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
	}
	return string(b[n:])
}

func checksums(t *testing.T, db *DB) map[string]int64 {
	t.Helper()
	sums, err := ChecksumTables(context.Background(), db)
	require.NoError(t, err)
	return sums
}

func requireSameObjects(t *testing.T, src, dst *DB) {
	t.Helper()
	require.Equal(t, checksums(t, src), checksums(t, dst))
	for _, table := range []string{"all_types", "wp_posts", "no_pk"} { // indexes too
		var n1, c1, n2, c2 string
		require.NoError(t, src.SQL().QueryRow("SHOW CREATE TABLE "+table).Scan(&n1, &c1))
		require.NoError(t, dst.SQL().QueryRow("SHOW CREATE TABLE "+table).Scan(&n2, &c2))
		require.Equal(t, stripAutoInc(c1), stripAutoInc(c2))
	}
	var n1, n2 int
	require.NoError(t, src.SQL().QueryRow("SELECT n FROM v2").Scan(&n1))
	require.NoError(t, dst.SQL().QueryRow("SELECT n FROM v2").Scan(&n2))
	require.Equal(t, n1, n2)
	for _, q := range []string{
		"SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND TRIGGER_NAME = 'trg_ch'",
		"SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() AND ROUTINE_NAME = 'p_count'",
		"SELECT COUNT(*) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE()",
	} {
		var a, b int
		require.NoError(t, src.SQL().QueryRow(q).Scan(&a))
		require.NoError(t, dst.SQL().QueryRow(q).Scan(&b))
		require.Equal(t, a, b, q)
		require.NotZero(t, b, q)
	}
	// spot checks that do not rely on checksums
	var emoji string
	var blob []byte
	require.NoError(t, dst.SQL().QueryRow("SELECT vc, bl FROM all_types WHERE ti = -128").Scan(&emoji, &blob))
	require.Equal(t, "emoji 😀 4-byte 𝄞 中文 é", emoji)
	require.Len(t, blob, 256)
	for i, c := range blob {
		require.Equal(t, byte(i), c)
	}
	var nulls, empties int
	require.NoError(t, dst.SQL().QueryRow("SELECT SUM(tx IS NULL), SUM(tx = '') FROM all_types").Scan(&nulls, &empties))
	require.Equal(t, 1, nulls)
	require.Equal(t, 1, empties)
	var zero string
	require.NoError(t, dst.SQL().QueryRow("SELECT CAST(post_date AS CHAR) FROM wp_posts WHERE ID = 21").Scan(&zero))
	require.Equal(t, "0000-00-00 00:00:00", zero)
}

func TestDumpImportRoundTrip(t *testing.T) {
	src, _ := testDB(t)
	fillAllTypes(t, src, 3000)
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		dump     DumpOptions
		imp      ImportOptions
		snapshot string
	}{
		{"defaults", DumpOptions{}, ImportOptions{}, "per-connection"},
		{"one worker", DumpOptions{Workers: 1}, ImportOptions{Workers: 1}, "global"},
		{"small chunks gzip lock", DumpOptions{Workers: 3, ChunkRows: 200, MaxStatementBytes: 16 << 10, Gzip: true, Lock: true}, ImportOptions{Workers: 3, BatchBytes: 40 << 10, NoPrescan: true}, "global"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			var calls int
			tc.dump.Progress = func(rows, bytes int64) { calls++ }
			st, err := Dump(ctx, src, &buf, tc.dump)
			require.NoError(t, err)
			require.Equal(t, int64(3000), st.RowsPerTable["wp_posts"])
			require.Equal(t, int64(3), st.RowsPerTable["all_types"])
			require.Equal(t, 3, st.Tables)
			require.Equal(t, 2, st.Views)
			require.Equal(t, 1, st.Triggers)
			require.Equal(t, 1, st.Routines)
			require.Equal(t, tc.snapshot, st.Snapshot)
			require.Equal(t, int64(buf.Len()), st.Bytes)
			require.Positive(t, calls)
			if tc.dump.Gzip {
				require.Equal(t, []byte{0x1f, 0x8b}, buf.Bytes()[:2])
			} else {
				require.NotContains(t, buf.String(), "DEFINER=")
				require.NotContains(t, buf.String(), "`gen_v`,")
			}
			dst, _ := testDB(t)
			ist, err := Import(ctx, dst, bytes.NewReader(buf.Bytes()), tc.imp)
			require.NoError(t, err)
			require.Equal(t, int64(3007), ist.Rows)
			require.ElementsMatch(t, []string{"all_types", "no_pk", "wp_posts"}, ist.CompletedTables)
			requireSameObjects(t, src, dst)
		})
	}
}

func TestDumpImportedByMariaDBClient(t *testing.T) {
	src, _ := testDB(t)
	fillAllTypes(t, src, 500)
	var buf bytes.Buffer
	_, err := Dump(context.Background(), src, &buf, DumpOptions{Workers: 2, ChunkRows: 100, MaxStatementBytes: 8 << 10})
	require.NoError(t, err)
	dst, dstCfg := testDB(t)
	runClient(t, dstCfg, buf.Bytes())
	requireSameObjects(t, src, dst)
}

func TestMysqldumpFileImportedByFerry(t *testing.T) {
	src, srcCfg := testDB(t)
	fillAllTypes(t, src, 500)
	cmd := exec.Command("mysqldump", append(clientArgs(srcCfg), "--single-transaction", "--routines", "--triggers", srcCfg.Database)...)
	out, err := cmd.Output()
	require.NoError(t, err)
	require.Contains(t, string(out), "DEFINER")
	for _, gz := range []bool{false, true} {
		in := out
		if gz {
			var zb bytes.Buffer
			zw := gzip.NewWriter(&zb)
			_, _ = zw.Write(out)
			require.NoError(t, zw.Close())
			in = zb.Bytes()
		}
		dst, _ := testDB(t)
		st, err := Import(context.Background(), dst, bytes.NewReader(in), ImportOptions{Workers: 3})
		require.NoError(t, err)
		require.Equal(t, int64(500), st.RowsPerTable["wp_posts"])
		require.ElementsMatch(t, []string{"all_types", "no_pk", "wp_posts"}, st.Tables)
		requireSameObjects(t, src, dst)
	}
}

func TestDumpRowLargerThanDestinationPacket(t *testing.T) {
	src, _ := testDB(t)
	mustExec(t, src, "CREATE TABLE big (id INT PRIMARY KEY, v LONGBLOB)", "INSERT INTO big VALUES (1, REPEAT('x', 300000))")
	_, err := Dump(context.Background(), src, io.Discard, DumpOptions{MaxAllowedPacket: 256 << 10})
	require.Error(t, err)
	require.Contains(t, err.Error(), "max_allowed_packet")
	require.Contains(t, err.Error(), "big")
}

var autoIncRe = regexp.MustCompile(` AUTO_INCREMENT=\d+`)

func stripAutoInc(s string) string { return autoIncRe.ReplaceAllString(s, "") }
