package mysqldb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const smallDump = "-- a hand-written dump\n" +
	"CREATE TABLE `wp_posts` (`ID` INT PRIMARY KEY, `post_content` TEXT) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci;\n" +
	"INSERT INTO `wp_posts` VALUES (1,'see http://old.test/a'),(2,'nothing here');\n"

func TestImportRefusesBeforeExecuting(t *testing.T) {
	tests := []struct {
		name string
		stmt string
		want string
	}{
		{"use other", "USE wordpress_old;", "touches database wordpress_old"},
		{"create database", "CREATE DATABASE IF NOT EXISTS `evil`;", "touches database evil"},
		{"drop database", "DROP DATABASE other;", "touches database other"},
		{"drop schema", "/*!40000 DROP SCHEMA `x` */;", "touches database x"},
		{"qualified insert", "INSERT INTO other_db.wp_users VALUES (1);", "touches database other_db"},
		{"qualified backticks", "INSERT INTO `other`.`t` (`a`) VALUES (1);", "touches database other"},
		{"qualified drop", "DROP TABLE IF EXISTS `mysql`.`user`;", "touches database mysql"},
		{"qualified select", "CREATE VIEW v AS SELECT * FROM secret.users;", "touches database secret"},
		{"qualified trigger", "CREATE TRIGGER t1 AFTER INSERT ON x FOR EACH ROW DELETE FROM other.t;", "touches database other"},
		{"three part name", "UPDATE wp_posts SET post_title = other.t.c;", "touches database other"},
		{"grant", "GRANT ALL ON *.* TO 'x'@'%';", "touches database mysql"},
		{"create user", "CREATE USER 'x'@'%' IDENTIFIED BY 'y';", "touches database mysql"},
		{"load data", "LOAD DATA INFILE '/etc/passwd' INTO TABLE wp_posts;", "LOAD DATA INFILE"},
		{"load data local", "LOAD DATA LOCAL INFILE '/etc/passwd' INTO TABLE wp_posts;", "LOAD DATA INFILE"},
		{"into outfile", "SELECT * FROM wp_posts INTO OUTFILE '/tmp/x';", "writes a file on the server"},
		{"load_file in values", "INSERT INTO wp_posts VALUES (3, LOAD_FILE('/etc/passwd'));", "reads a file"},
		{"set global", "SET GLOBAL max_connections = 1;", "server-wide"},
		{"garbage", "\x00\x01\x02garbage\xff;", "is not a SQL statement"},
		{"shutdown", "SHUTDOWN;", "changes the server (SHUTDOWN)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db, _ := testDB(t)
			in := smallDump + "\n\n" + tc.stmt + "\n"
			_, err := Import(context.Background(), db, strings.NewReader(in), ImportOptions{})
			var re *RefusedError
			require.ErrorAs(t, err, &re)
			require.Contains(t, err.Error(), "Database import refused: statement at line 6")
			require.Contains(t, err.Error(), tc.want)
			require.Zero(t, tableCount(t, db), "a refused dump must not change the database")
		})
	}
}

func TestImportRefusesInOrderWithoutPrescan(t *testing.T) {
	db, _ := testDB(t)
	in := smallDump + "USE other;\n"
	_, err := Import(context.Background(), db, strings.NewReader(in), ImportOptions{NoPrescan: true})
	require.EqualError(t, err, "Database import refused: statement at line 4 (USE other) touches database other (switches to it with USE); remove it from the dump or export the database again without it, then attach and Verify again.")
	// rows before the refused statement ran, but the unfinished table is dropped again
	require.Zero(t, tableCount(t, db))
}

func TestImportAllowsOwnDatabaseAndTableQualifiers(t *testing.T) {
	db, cfg := testDB(t)
	in := smallDump + "USE `" + cfg.Database + "`;\nINSERT INTO `" + cfg.Database + "`.`wp_posts` VALUES (3,'x');\n" +
		"CREATE VIEW v AS SELECT wp_posts.ID FROM wp_posts JOIN wp_posts p2 ON wp_posts.ID = p2.ID;\n"
	st, err := Import(context.Background(), db, strings.NewReader(in), ImportOptions{})
	require.NoError(t, err)
	require.Equal(t, int64(3), st.Rows)
}

func TestImportBrokenInput(t *testing.T) {
	var full bytes.Buffer
	src, _ := testDB(t)
	fillAllTypes(t, src, 50)
	_, err := Dump(context.Background(), src, &full, DumpOptions{})
	require.NoError(t, err)
	tests := []struct {
		name string
		in   []byte
		want string
		is   error
	}{
		{"truncated at a statement boundary", full.Bytes()[:bytes.LastIndex(full.Bytes(), []byte("DELIMITER"))], "the dump file is truncated", ErrTruncated},
		{"truncated mid statement", full.Bytes()[:full.Len()/2], "Database import failed", ErrTruncated},
		{"unterminated string", []byte("CREATE TABLE t (a TEXT);\nINSERT INTO t VALUES ('abc);\n"), "unterminated quoted string starting at line 2", ErrTruncated},
		{"garbage gzip", []byte{0x1f, 0x8b, 0, 1, 2, 3}, "not a readable SQL dump", nil},
		{"syntax error", []byte("CREATE TABLE t (a INT);\nINSERT INTO t VALUES (1,,);\n"), "Database import failed at line 2: You have an error in your SQL syntax", nil},
		{"row larger than max_allowed_packet", []byte("CREATE TABLE t (a LONGBLOB);\nINSERT INTO t VALUES ('" + strings.Repeat("x", 17<<20) + "');\n"), "max_allowed_packet", ErrStatementTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, noPrescan := range []bool{false, true} {
				db, _ := testDB(t)
				st, err := Import(context.Background(), db, bytes.NewReader(tc.in), ImportOptions{NoPrescan: noPrescan})
				require.Error(t, err)
				require.Contains(t, err.Error(), tc.want)
				if tc.is != nil {
					require.ErrorIs(t, err, tc.is)
				}
				if noPrescan {
					// executed in order: only tables the cursor names as complete remain
					require.Equal(t, len(st.CompletedTables), tableCount(t, db))
				} else {
					require.Zero(t, tableCount(t, db), "a pre-scanned stream fails before anything runs")
				}
			}
		})
	}
}

func TestImportExistingTable(t *testing.T) {
	db, _ := testDB(t)
	mustExec(t, db, "CREATE TABLE wp_posts (ID INT PRIMARY KEY, keep TEXT)", "INSERT INTO wp_posts VALUES (9, 'precious')")
	for _, in := range []string{smallDump, "DROP TABLE IF EXISTS `wp_posts`;\n" + smallDump} {
		_, err := Import(context.Background(), db, strings.NewReader(in), ImportOptions{})
		require.EqualError(t, err, "Database import failed: Table 'wp_posts' already exists")
		require.ErrorIs(t, err, ErrTableExists)
		var keep string
		require.NoError(t, db.SQL().QueryRow("SELECT keep FROM wp_posts WHERE ID = 9").Scan(&keep))
		require.Equal(t, "precious", keep)
	}
	st, err := Import(context.Background(), db, strings.NewReader(smallDump), ImportOptions{Overwrite: true})
	require.NoError(t, err)
	require.Equal(t, int64(2), st.Rows)
	var n int
	require.NoError(t, db.SQL().QueryRow("SELECT COUNT(*) FROM wp_posts").Scan(&n))
	require.Equal(t, 2, n)
}

func TestImportCollationFallbackAndDefiner(t *testing.T) {
	db, _ := testDB(t)
	var logs []string
	in := smallDump + "CREATE DEFINER=`someone`@`%` SQL SECURITY DEFINER VIEW v AS SELECT ID FROM wp_posts;\n"
	_, err := Import(context.Background(), db, strings.NewReader(in), ImportOptions{Log: func(m string) { logs = append(logs, m) }})
	require.NoError(t, err)
	require.Equal(t, []string{"collation utf8mb4_0900_ai_ci is not available on the destination; using utf8mb4_unicode_ci (first at line 2)"}, logs)
	var coll string
	require.NoError(t, db.SQL().QueryRow("SELECT TABLE_COLLATION FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'wp_posts'").Scan(&coll))
	require.Equal(t, "utf8mb4_unicode_ci", coll)
	var definer string
	require.NoError(t, db.SQL().QueryRow("SELECT DEFINER FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE()").Scan(&definer))
	require.NotContains(t, definer, "someone")
}

// urlRewriter is the test stand-in for the WordPress URL rewriter.
type urlRewriter struct {
	from, to string
	seen     []string
}

func (u *urlRewriter) RewriteString(table, column string, v []byte) ([]byte, bool) {
	if !bytes.Contains(v, []byte(u.from)) {
		return v, false
	}
	u.seen = append(u.seen, table+"."+column)
	return bytes.ReplaceAll(v, []byte(u.from), []byte(u.to)), true
}

func (u *urlRewriter) Needles() [][]byte { return [][]byte{[]byte(u.from)} }

func TestImportRewritesValues(t *testing.T) {
	src, _ := testDB(t)
	fillAllTypes(t, src, 200)
	var dump bytes.Buffer
	_, err := Dump(context.Background(), src, &dump, DumpOptions{})
	require.NoError(t, err)
	dst, _ := testDB(t)
	rw := &urlRewriter{from: "http://old.test", to: "https://www.new-site.example.com:8080/blog"}
	st, err := Import(context.Background(), dst, &dump, ImportOptions{Rewriter: rw})
	require.NoError(t, err)
	require.Equal(t, int64(200), st.Replacements)
	require.Contains(t, rw.seen, "wp_posts.post_content")
	var content string
	require.NoError(t, dst.SQL().QueryRow("SELECT post_content FROM wp_posts WHERE ID = 30").Scan(&content))
	require.Equal(t, "<p>Post 10 at https://www.new-site.example.com:8080/blog/?p=10 'q' 😀</p>", content)
}

func TestImportResumeCursor(t *testing.T) {
	db, _ := testDB(t)
	good := "-- Ferry dump of database `x` (format 1)\n" +
		"CREATE TABLE a (id INT PRIMARY KEY);\nCREATE TABLE b (id INT PRIMARY KEY);\n" +
		"INSERT INTO a VALUES (1),(2);\n-- ferry:table-done `a` rows=2\n"
	bad := good + "INSERT INTO b VALUES (1),(1);\n-- ferry:table-done `b` rows=2\n\n-- ferry:dump-complete\n"
	st, err := Import(context.Background(), db, strings.NewReader(bad), ImportOptions{})
	var ie *ImportError
	require.ErrorAs(t, err, &ie)
	require.Contains(t, err.Error(), "Database import failed at line 6")
	require.Equal(t, []string{"a"}, st.CompletedTables)
	var n int
	require.NoError(t, db.SQL().QueryRow("SELECT COUNT(*) FROM a").Scan(&n))
	require.Equal(t, 2, n)
	require.Equal(t, 1, tableCount(t, db), "the incomplete table b is dropped")

	fixed := good + "INSERT INTO b VALUES (1),(2);\n-- ferry:table-done `b` rows=2\n\n-- ferry:dump-complete\n"
	st, err = Import(context.Background(), db, strings.NewReader(fixed), ImportOptions{SkipTables: st.CompletedTables})
	require.NoError(t, err)
	require.Equal(t, int64(2), st.Rows, "rows of the completed table a are skipped")
	require.NoError(t, db.SQL().QueryRow("SELECT COUNT(*) FROM b").Scan(&n))
	require.Equal(t, 2, n)
}

func TestImportCanceled(t *testing.T) {
	db, _ := testDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Import(ctx, db, strings.NewReader(smallDump), ImportOptions{})
	require.True(t, errors.Is(err, context.Canceled), "got %v", err)
}

// mysqldump-style files get their secondary indexes built in the background while the next
// table loads, with persistent-statistics recalculation off during the load: the tables
// must end up exactly as the dump defines them, analysed, and a failure later in the file
// must keep the tables already complete.
func TestImportMysqldumpIndexesInBackground(t *testing.T) {
	db, _ := testDB(t)
	table := func(name string) string {
		return "DROP TABLE IF EXISTS `" + name + "`;\n" +
			"CREATE TABLE `" + name + "` (\n  `id` int NOT NULL,\n  `v` varchar(20) DEFAULT NULL,\n  PRIMARY KEY (`id`),\n  KEY `v` (`v`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n" +
			"LOCK TABLES `" + name + "` WRITE;\n/*!40000 ALTER TABLE `" + name + "` DISABLE KEYS */;\n"
	}
	end := func(name string) string {
		return "/*!40000 ALTER TABLE `" + name + "` ENABLE KEYS */;\nUNLOCK TABLES;\n"
	}
	head := "-- MariaDB dump 10.19\n/*!40101 SET NAMES utf8mb4 */;\n"
	a := table("a") + "INSERT INTO `a` VALUES (1,'x'),(2,'y'),(3,'z');\n" + end("a")
	bad := head + a + table("b") + "INSERT INTO `b` VALUES (1,'x'),(1,'y');\n" + end("b") + "-- Dump completed\n"
	st, err := Import(context.Background(), db, strings.NewReader(bad), ImportOptions{})
	require.ErrorContains(t, err, "Duplicate entry")
	require.Equal(t, []string{"a"}, st.CompletedTables)
	require.Equal(t, 1, tableCount(t, db), "the incomplete table b is dropped")

	mustExec(t, db, "DROP TABLE a")
	good := head + a + table("b") + "INSERT INTO `b` VALUES (1,'x'),(2,'y');\n" + end("b") +
		"CREATE VIEW `ab` AS SELECT a.id FROM a JOIN b USING (id);\n" + table("c") + "INSERT INTO `c` VALUES (1,'x');\n" + end("c") + "-- Dump completed\n"
	st, err = Import(context.Background(), db, strings.NewReader(good), ImportOptions{})
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"a", "b", "c"}, st.CompletedTables)
	for name, rows := range map[string]int{"a": 3, "b": 2, "c": 1} {
		var n, create string
		require.NoError(t, db.SQL().QueryRow("SHOW CREATE TABLE `"+name+"`").Scan(&n, &create))
		require.Contains(t, create, "KEY `v` (`v`)")
		require.NotContains(t, create, "STATS_AUTO_RECALC")
		var got int
		require.NoError(t, db.SQL().QueryRow("SELECT n_rows FROM mysql.innodb_table_stats WHERE database_name = DATABASE() AND table_name = ?", name).Scan(&got))
		require.Equal(t, rows, got, "table %s analysed after the load", name)
	}
}

func TestImportKeepsIndexesOfWideRows(t *testing.T) {
	db, _ := testDB(t)
	create := func(name string) string {
		return "CREATE TABLE `" + name + "` (\n  `id` int NOT NULL,\n  `v` varchar(20) DEFAULT NULL,\n  `body` longtext,\n" +
			"  PRIMARY KEY (`id`),\n  KEY `v` (`v`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n"
	}
	insert := func(name string, from, n, bodyLen int) string {
		var b strings.Builder
		b.WriteString("INSERT INTO `" + name + "` VALUES ")
		for i := from; i < from+n; i++ {
			if i > from {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "(%d,'v%d','%s')", i, i%7, strings.Repeat("x", bodyLen))
		}
		return b.String() + ";\n"
	}
	dump := "-- MariaDB dump 10.19\n/*!40101 SET NAMES utf8mb4 */;\n" +
		create("posts") + insert("posts", 1, 20, 4000) + insert("posts", 21, 20, 4000) +
		create("meta") + insert("meta", 1, 200, 10) + insert("meta", 201, 200, 10) + "-- Dump completed\n"
	st, err := Import(context.Background(), db, strings.NewReader(dump), ImportOptions{})
	require.NoError(t, err)
	require.Equal(t, []string{"posts"}, st.IndexesKept, "4 KB rows keep their index during the load, 30-byte rows build it after")
	for name, rows := range map[string]int{"posts": 40, "meta": 400} {
		var n, ddl string
		require.NoError(t, db.SQL().QueryRow("SHOW CREATE TABLE `"+name+"`").Scan(&n, &ddl))
		require.Contains(t, ddl, "KEY `v` (`v`)")
		require.NotContains(t, ddl, "STATS_AUTO_RECALC", "statistics are back to the server's default")
		var got int
		require.NoError(t, db.SQL().QueryRow("SELECT COUNT(*) FROM `"+name+"` WHERE v = 'v3'").Scan(&got))
		want := 0
		for i := 1; i <= rows; i++ {
			if i%7 == 3 {
				want++
			}
		}
		require.Equal(t, want, got, "the index of %s answers for every row", name)
		require.NoError(t, db.SQL().QueryRow("SELECT n_rows FROM mysql.innodb_table_stats WHERE database_name = DATABASE() AND table_name = ?", name).Scan(&got))
		require.Equal(t, rows, got, "table %s analysed after the load", name)
	}
}
