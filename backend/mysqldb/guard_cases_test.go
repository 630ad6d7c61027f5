package mysqldb

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// guardBase is the small generated dump every guard case starts from: a WordPress options
// table and its rows. Cases add a head (before the table) and a tail (after its rows).
const guardBase = "CREATE TABLE `wp_options` (`option_id` bigint unsigned NOT NULL AUTO_INCREMENT, `option_name` varchar(191) NOT NULL, " +
	"`option_value` longtext NOT NULL, `autoload` varchar(20) NOT NULL DEFAULT 'yes', PRIMARY KEY (`option_id`), UNIQUE KEY `option_name` (`option_name`)) " +
	"ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;\n" +
	"INSERT INTO `wp_options` VALUES (1,'siteurl','http://old.test','yes'),(2,'home','http://old.test','yes'),(3,'blogname','Caf\xc3\xa9 \"Ferry\"','yes');\n"

// guardDump builds a dump: head, the base table, tail. It returns the dump and the line
// the tail starts on.
func guardDump(head, tail string) (string, int) {
	d := "-- generated guard case\n" + head + guardBase
	return d + tail, strings.Count(d, "\n") + 1
}

type refuseCase struct {
	name string
	head string // statements before the table (the refused one is the tail unless tail is empty)
	tail string
	line int    // the refused line relative to the tail's first line; negative: -(line in the head)
	want string // in the message
}

var refuseCases = []refuseCase{
	{name: "create other database", tail: "CREATE DATABASE other;\n", want: "touches database other"},
	{name: "create own database after tables", tail: "CREATE DATABASE wpsite;\nUSE wpsite;\n", want: "touches database wpsite"},
	{name: "drop database", tail: "DROP DATABASE other;\n", want: "touches database other"},
	{name: "drop schema", tail: "DROP SCHEMA IF EXISTS other;\n", want: "touches database other"},
	{name: "use other", tail: "USE other;\n", want: "touches database other (switches to it with USE)"},
	{name: "use mysql", tail: "USE mysql;\n", want: "touches database mysql"},
	{name: "create user", tail: "CREATE USER 'x'@'%' IDENTIFIED BY 'p';\n", want: "touches database mysql"},
	{name: "drop user", tail: "DROP USER 'x'@'%';\n", want: "touches database mysql"},
	{name: "alter user", tail: "ALTER USER root IDENTIFIED BY 'x';\n", want: "touches database mysql"},
	{name: "create role", tail: "CREATE ROLE editor;\n", want: "touches database mysql"},
	{name: "grant", tail: "GRANT ALL ON *.* TO 'x'@'%';\n", want: "touches database mysql"},
	{name: "revoke", tail: "REVOKE ALL ON *.* FROM 'x'@'%';\n", want: "touches database mysql"},
	{name: "set global", tail: "SET GLOBAL general_log = 1;\n", want: "changes server-wide settings (SET GLOBAL)"},
	{name: "set @@global", tail: "SET @@GLOBAL.max_connections = 1;\n", want: "changes server-wide setting MAX_CONNECTIONS"},
	{name: "set persist", tail: "SET PERSIST max_connections = 1;\n", want: "server-wide"},
	{name: "gtid mixed with global", tail: "SET @@GLOBAL.GTID_PURGED='x', @@GLOBAL.read_only=1;\n", want: "changes server-wide setting READ_ONLY"},
	{name: "sql_log_bin mixed", tail: "SET SQL_LOG_BIN=0, FOREIGN_KEY_CHECKS=0;\n", want: "mixes SQL_LOG_BIN"},
	{name: "set password", tail: "SET PASSWORD = PASSWORD('x');\n", want: "changes database accounts"},
	{name: "set unlisted session variable", tail: "SET SESSION sql_log_off = 1;\n", want: "sets variable sql_log_off"},
	{name: "set value from a query", tail: "SET @x = (SELECT 1);\n", want: "computes a value with an expression"},
	{name: "set statement", tail: "SET STATEMENT max_statement_time=1 FOR SELECT 1;\n", want: "SET STATEMENT"},
	{name: "load data infile", tail: "LOAD DATA INFILE '/etc/passwd' INTO TABLE wp_options;\n", want: "LOAD DATA INFILE"},
	{name: "load data local infile", tail: "LOAD DATA LOCAL INFILE '/etc/passwd' INTO TABLE wp_options;\n", want: "LOAD DATA INFILE"},
	{name: "select into outfile", tail: "SELECT * FROM wp_options INTO OUTFILE '/tmp/ferry-x';\n", want: "writes a file on the server (INTO OUTFILE)"},
	{name: "select into dumpfile", tail: "SELECT 1 INTO DUMPFILE '/tmp/ferry-x';\n", want: "INTO DUMPFILE"},
	{name: "load_file", tail: "SELECT LOAD_FILE('/etc/passwd');\n", want: "LOAD_FILE"},
	{name: "load_file in values", tail: "INSERT INTO wp_options VALUES (9, 'x', LOAD_FILE('/etc/passwd'), 'yes');\n", want: "inside VALUES"},
	{name: "insert select", tail: "INSERT INTO wp_options SELECT * FROM wp_options;\n", want: "without a VALUES list"},
	{name: "insert into other database", tail: "INSERT INTO other.wp_options VALUES (9,'a','b','yes');\n", want: "touches database other"},
	{name: "udf soname", tail: "CREATE FUNCTION sys_exec RETURNS INTEGER SONAME 'lib_mysqludf_sys.so';\n", want: "loads a server plugin library"},
	{name: "aggregate udf soname", tail: "CREATE AGGREGATE FUNCTION agg RETURNS INTEGER SONAME 'x.so';\n", want: "loads a server plugin library"},
	{name: "install plugin", tail: "INSTALL PLUGIN x SONAME 'x.so';\n", want: "changes the server (INSTALL)"},
	{name: "install soname", tail: "INSTALL SONAME 'ha_connect';\n", want: "changes the server (INSTALL)"},
	{name: "uninstall plugin", tail: "UNINSTALL PLUGIN x;\n", want: "changes the server (UNINSTALL)"},
	{name: "shutdown", tail: "SHUTDOWN;\n", want: "changes the server (SHUTDOWN)"},
	{name: "kill", tail: "KILL 1;\n", want: "changes the server (KILL)"},
	{name: "flush", tail: "FLUSH PRIVILEGES;\n", want: "changes the server (FLUSH)"},
	{name: "definer trick on procedure", tail: "CREATE DEFINER/**/=`root`@`localhost` PROCEDURE p() SELECT 1;\n", want: "sets a DEFINER Ferry cannot remove"},
	{name: "definer trick on view", tail: "CREATE ALGORITHM=UNDEFINED DEFINER /*x*/ = root@localhost SQL SECURITY DEFINER VIEW v AS SELECT 1;\n", want: "sets a DEFINER Ferry cannot remove"},
	{name: "procedure with dynamic sql", tail: "DELIMITER ;;\nCREATE DEFINER=`root`@`localhost` PROCEDURE p() BEGIN PREPARE s FROM @q; EXECUTE s; END;;\nDELIMITER ;\n", line: 1, want: "runs SQL built at run time (PREPARE)"},
	{name: "trigger setting globals", tail: "CREATE TRIGGER t BEFORE INSERT ON wp_options FOR EACH ROW SET GLOBAL general_log = 1;\n", want: "changes server-wide settings"},
	{name: "event", tail: "CREATE DEFINER=`root`@`localhost` EVENT e ON SCHEDULE EVERY 1 DAY DO DELETE FROM wp_options;\n", want: "creates a scheduled event"},
	{name: "connect engine", tail: "CREATE TABLE f (a TEXT) ENGINE=CONNECT TABLE_TYPE=DOS FILE_NAME='/etc/passwd';\n", want: "uses storage engine CONNECT"},
	{name: "federated engine", tail: "CREATE TABLE f (a INT) ENGINE=FEDERATED CONNECTION='mysql://u@h/db/t';\n", want: "uses storage engine FEDERATED"},
	{name: "merge engine", tail: "CREATE TABLE f (a INT) ENGINE=MRG_MyISAM UNION=(wp_options);\n", want: "uses storage engine MRG_MyISAM"},
	{name: "data directory", tail: "CREATE TABLE f (a INT) DATA DIRECTORY='/tmp';\n", want: "sets DIRECTORY"},
	{name: "create table from other database", tail: "CREATE TABLE f AS SELECT * FROM mysql.user;\n", want: "touches database mysql"},
	{name: "create table from query", tail: "CREATE TABLE f SELECT option_name FROM wp_options;\n", want: "builds a table from a query (SELECT)"},
	{name: "create table in other database", tail: "CREATE TABLE other.f (a INT);\n", want: "touches database other"},
	{name: "rename into other database", tail: "RENAME TABLE wp_options TO other.wp_options;\n", want: "touches database other"},
	{name: "alter rename into other database", tail: "ALTER TABLE wp_options RENAME TO other.t;\n", want: "touches database other"},
	{name: "discard tablespace", tail: "ALTER TABLE wp_options DISCARD TABLESPACE;\n", want: "TABLESPACE"},
	{name: "alter database", tail: "ALTER DATABASE other CHARACTER SET latin1;\n", want: "touches database other"},
	{name: "update", tail: "UPDATE wp_options SET option_value = 'x';\n", want: "(UPDATE)"},
	{name: "delete", tail: "DELETE FROM wp_options;\n", want: "(DELETE)"},
	{name: "truncate", tail: "TRUNCATE TABLE wp_options;\n", want: "(TRUNCATE)"},
	{name: "call", tail: "CALL p();\n", want: "(CALL)"},
	{name: "do", tail: "DO SLEEP(1);\n", want: "(DO)"},
	{name: "prepare", tail: "PREPARE s FROM 'DROP DATABASE x';\n", want: "(PREPARE)"},
	{name: "binlog", tail: "BINLOG 'AAAA';\n", want: "(BINLOG)"},
	{name: "change master", tail: "CHANGE MASTER TO MASTER_HOST='h';\n", want: "(CHANGE)"},
	{name: "create server", tail: "CREATE SERVER s FOREIGN DATA WRAPPER mysql OPTIONS (HOST 'h');\n", want: "defines a connection to another server"},
	{name: "drop function", tail: "DROP FUNCTION IF EXISTS sys_exec;\n", want: "drops a function"},
	{name: "lock other database", tail: "LOCK TABLES mysql.user WRITE;\n", want: "touches database mysql"},
	{name: "create database without use", head: "CREATE DATABASE wpsite;\n", line: -2, want: "creates database wpsite, and no USE wpsite follows it"},
	{name: "create database then use another", head: "CREATE DATABASE wpsite;\nUSE other;\n", line: -3, want: "touches database other (switches to it with USE)"},
	{name: "second own database pair", head: "CREATE DATABASE a;\nUSE a;\nCREATE DATABASE b;\n", line: -4, want: "touches database b (creates it; only one CREATE DATABASE and USE pair"},
}

// refusedLine is the line a case must be refused at.
func (c refuseCase) refusedLine(tailAt int) int {
	if c.line < 0 { // a line of the head
		return -c.line
	}
	return tailAt + c.line
}

func TestGuardRefuses(t *testing.T) {
	require.GreaterOrEqual(t, len(refuseCases), 40)
	db, cfg := testDB(t)
	for _, c := range refuseCases {
		t.Run(c.name, func(t *testing.T) {
			dump, tailAt := guardDump(c.head, c.tail)
			line := c.refusedLine(tailAt)
			_, verr := CheckDump(context.Background(), strings.NewReader(dump), cfg.Database)
			var re *RefusedError
			require.ErrorAs(t, verr, &re, "Verify (CheckDump) must refuse")
			require.Equal(t, line, re.Line)
			require.Contains(t, verr.Error(), fmt.Sprintf("Database import refused: statement at line %d (", line))
			require.Contains(t, verr.Error(), c.want)
			require.Contains(t, verr.Error(), "remove it from the dump or export the database again without it")
			t.Logf("verdict: refused at line %d: %s", re.Line, verr)

			// the import refuses the same statement with the same words, before executing anything
			_, ierr := Import(context.Background(), db, bytes.NewReader([]byte(dump)), ImportOptions{})
			require.ErrorAs(t, ierr, &re)
			require.Equal(t, verr.Error(), ierr.Error())
			require.Zero(t, tableCount(t, db), "a refused dump must not change the database")

			// streamed without a pre-scan, it stops at the same line and drops what it created
			_, serr := Import(context.Background(), db, strings.NewReader(dump), ImportOptions{NoPrescan: true})
			require.ErrorAs(t, serr, &re)
			require.Equal(t, verr.Error(), serr.Error())
			require.Zero(t, tableCount(t, db))
		})
	}
}

type acceptCase struct {
	name       string
	head, tail string
	gzip       bool
	notes      int // statements skipped with a note in the log
	check      func(t *testing.T, db *DB)
}

func scalar(t *testing.T, db *DB, q string) string {
	t.Helper()
	var s string
	require.NoError(t, db.SQL().QueryRow(q).Scan(&s), q)
	return s
}

var acceptCases = []acceptCase{
	{name: "plain"},
	{name: "gzip", gzip: true},
	{name: "mysqldump --databases pair", head: "CREATE DATABASE /*!32312 IF NOT EXISTS*/ `wpsite` /*!40100 DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci */;\n\nUSE `wpsite`;\n", notes: 1},
	{name: "phpmyadmin pair", head: "SET SQL_MODE = \"NO_AUTO_VALUE_ON_ZERO\";\nSTART TRANSACTION;\nSET time_zone = \"+00:00\";\nCREATE DATABASE IF NOT EXISTS `wpsite` DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;\nUSE `wpsite`;\n", tail: "COMMIT;\n", notes: 1},
	{name: "mysql 8 gtid lines", head: "SET @MYSQLDUMP_TEMP_LOG_BIN = @@SESSION.SQL_LOG_BIN;\nSET @@SESSION.SQL_LOG_BIN= 0;\nSET @@GLOBAL.GTID_PURGED=/*!80000 '+'*/ '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-27';\n", tail: "SET @@SESSION.SQL_LOG_BIN = @MYSQLDUMP_TEMP_LOG_BIN;\n", notes: 3},
	{name: "use of the destination", head: "USE `{db}`;\n"},
	{name: "mysqldump header and footer", head: "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n/*!40101 SET NAMES utf8mb4 */;\n/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;\n/*!40103 SET TIME_ZONE='+00:00' */;\n/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;\n/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;\n/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;\n/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;\n",
		tail: "/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;\n/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;\n/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;\n/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;\n"},
	{name: "mariadb sandbox line", head: "/*M!999999\\- enable the sandbox mode */ \n"},
	{name: "lock tables and keys", tail: "LOCK TABLES `wp_options` WRITE;\n/*!40000 ALTER TABLE `wp_options` DISABLE KEYS */;\nINSERT INTO `wp_options` VALUES (4,'x','y','no');\n/*!40000 ALTER TABLE `wp_options` ENABLE KEYS */;\nUNLOCK TABLES;\n",
		check: func(t *testing.T, db *DB) { require.Equal(t, "4", scalar(t, db, "SELECT COUNT(*) FROM wp_options")) }},
	{name: "phpmyadmin keys and auto_increment", tail: "CREATE TABLE `wp_posts` (`ID` bigint(20) UNSIGNED NOT NULL, `post_title` text NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\nINSERT INTO `wp_posts` (`ID`, `post_title`) VALUES(1, 'Hello');\nALTER TABLE `wp_posts`\n  ADD PRIMARY KEY (`ID`),\n  ADD KEY `post_title` (`post_title`(10));\nALTER TABLE `wp_posts`\n  MODIFY `ID` bigint(20) UNSIGNED NOT NULL AUTO_INCREMENT, AUTO_INCREMENT=2;\n",
		check: func(t *testing.T, db *DB) {
			require.Equal(t, "2", scalar(t, db, "SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'wp_posts'"))
		}},
	{name: "autocommit and commit", head: "SET AUTOCOMMIT = 0;\n", tail: "COMMIT;\n"},
	{name: "view with definer", tail: "CREATE ALGORITHM=UNDEFINED DEFINER=`root`@`localhost` SQL SECURITY DEFINER VIEW `wp_v` AS select `wp_options`.`option_name` AS `n` from `wp_options`;\n",
		check: func(t *testing.T, db *DB) { require.Equal(t, "3", scalar(t, db, "SELECT COUNT(*) FROM wp_v")) }},
	{name: "trigger with definer", tail: "DELIMITER ;;\n/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER wp_t BEFORE UPDATE ON wp_options FOR EACH ROW BEGIN SET NEW.option_value = TRIM(NEW.option_value); END */;;\nDELIMITER ;\n",
		check: func(t *testing.T, db *DB) {
			require.Equal(t, "1", scalar(t, db, "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()"))
		}},
	{name: "stored procedure and function", tail: "DELIMITER ;;\nCREATE DEFINER=`root`@`localhost` PROCEDURE wp_p() BEGIN SELECT COUNT(*) FROM wp_options; END ;;\nCREATE DEFINER=`root`@`localhost` FUNCTION wp_f() RETURNS int(11) DETERMINISTIC RETURN 1 ;;\nDELIMITER ;\n",
		check: func(t *testing.T, db *DB) { require.Equal(t, "1", scalar(t, db, "SELECT wp_f()")) }},
	{name: "replace and insert ignore with columns", tail: "REPLACE INTO `wp_options` VALUES (2,'home','Replaced','yes');\nINSERT IGNORE INTO `wp_options` (`option_name`,`option_value`) VALUES ('new','v');\n",
		check: func(t *testing.T, db *DB) {
			require.Equal(t, "Replaced", scalar(t, db, "SELECT option_value FROM wp_options WHERE option_name='home'"))
			require.Equal(t, "4", scalar(t, db, "SELECT COUNT(*) FROM wp_options"))
		}},
	{name: "drop and create if not exists", head: "DROP TABLE IF EXISTS `wp_options`;\n", tail: "DROP TABLE IF EXISTS `wp_links`;\nCREATE TABLE IF NOT EXISTS `wp_links` (`link_id` int PRIMARY KEY) ENGINE=MyISAM;\n",
		check: func(t *testing.T, db *DB) {
			require.Equal(t, "2", scalar(t, db, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"))
		}},
	{name: "create index", tail: "CREATE INDEX `autoload` ON `wp_options` (`autoload`);\n",
		check: func(t *testing.T, db *DB) {
			require.Equal(t, "1", scalar(t, db, "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME='autoload'"))
		}},
	{name: "table qualified with the destination", tail: "INSERT INTO `{db}`.`wp_options` VALUES (4,'q','v','yes');\n",
		check: func(t *testing.T, db *DB) { require.Equal(t, "4", scalar(t, db, "SELECT COUNT(*) FROM wp_options")) }},
	{name: "old latin1 myisam dump", head: "/*!40101 SET NAMES latin1 */;\n", tail: "CREATE TABLE `wp_old` (`v` varchar(20)) ENGINE=MyISAM DEFAULT CHARSET=latin1;\nINSERT INTO `wp_old` VALUES ('caf\xe9');\n",
		check: func(t *testing.T, db *DB) {
			require.Equal(t, "636166E9", scalar(t, db, "SELECT HEX(v) FROM wp_old"), "latin1 bytes stored as latin1")
		}},
	{name: "user variables and session variables", head: "SET @saved_cs_client = @@character_set_client;\nSET character_set_client = utf8mb4;\nSET SESSION sql_mode = '';\nSET @@session.time_zone = '+00:00';\n", tail: "SET character_set_client = @saved_cs_client;\n"},
	{name: "temporary table", tail: "CREATE TEMPORARY TABLE `tmp_x` (a int);\nDROP TEMPORARY TABLE `tmp_x`;\n"},
	{name: "comments of every kind", head: "# hash comment\n-- dash comment\n/* block; comment */\n", tail: "-- Dump completed on 2024-01-01\n"},
}

func TestGuardAccepts(t *testing.T) {
	require.GreaterOrEqual(t, len(acceptCases), 20)
	for _, c := range acceptCases {
		t.Run(c.name, func(t *testing.T) {
			db, cfg := testDB(t)
			dump, _ := guardDump(strings.ReplaceAll(c.head, "{db}", cfg.Database), strings.ReplaceAll(c.tail, "{db}", cfg.Database))
			in := []byte(dump)
			if c.gzip {
				var b bytes.Buffer
				zw := gzip.NewWriter(&b)
				zw.Write(in)
				require.NoError(t, zw.Close())
				in = b.Bytes()
			}
			dc, err := CheckDump(context.Background(), bytes.NewReader(in), cfg.Database)
			require.NoError(t, err, "Verify (CheckDump) must accept")
			require.Len(t, dc.Notes, c.notes, "skipped statements are noted: %q", dc.Notes)
			t.Logf("verdict: accepted, %d statements skipped with a note %q", len(dc.Notes), dc.Notes)
			var logged []string
			_, err = Import(context.Background(), db, bytes.NewReader(in), ImportOptions{Log: func(m string) { logged = append(logged, m) }})
			require.NoError(t, err)
			require.Equal(t, dc.Notes, logged[:min(len(logged), len(dc.Notes))], "the import logs what Verify noted")
			require.Equal(t, "http://old.test", scalar(t, db, "SELECT option_value FROM wp_options WHERE option_name='siteurl'"))
			require.Equal(t, "Caf\xc3\xa9 \"Ferry\"", scalar(t, db, "SELECT option_value FROM wp_options WHERE option_name='blogname' AND option_id=3 AND option_value LIKE 'Caf%'"))
			if c.check != nil {
				c.check(t, db)
			}
			// nothing reached another database
			require.Equal(t, "0", scalar(t, db, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN ('wpsite','a','b','other')"))
		})
	}
}
