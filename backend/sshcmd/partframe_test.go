package sshcmd

import (
	"bufio"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// frame runs a part's dump through the framer as the workers do.
func frame(t *testing.T, dump string) ([]string, error) {
	t.Helper()
	var f framer
	var out []string
	br := bufio.NewReader(strings.NewReader(dump))
	for {
		line, err := readLine(br)
		if len(line) > 0 {
			s, ferr := f.add(line)
			if ferr != nil {
				return out, ferr
			}
			if s != nil {
				out = append(out, string(*s))
			}
		}
		if err != nil {
			return out, f.end()
		}
	}
}

// A part's dump, as MariaDB's and MySQL's mysqldump write it, gives its INSERT statements
// whole and nothing else; a statement that writes rows otherwise, or a dump cut inside an
// INSERT, is an error.
func TestFramerKeepsTheInsertsWhole(t *testing.T) {
	mariadb := "/*M!999999\\- enable the sandbox mode */ \n-- MariaDB dump 10.19\n--\n/*!40101 SET NAMES utf8mb4 */;\n" +
		"/*!40103 SET TIME_ZONE='+00:00' */;\n\n--\n-- Dumping data for table `t`\n--\n-- WHERE:  id < 3\n\n" +
		"INSERT INTO `t` VALUES\n(1,'a;'),\n(2,'b\\n);');\n/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;\n\n-- Dump completed on 2026-01-01\n"
	got, err := frame(t, mariadb)
	require.NoError(t, err)
	require.Equal(t, []string{"INSERT INTO `t` VALUES\n(1,'a;'),\n(2,'b\\n);');\n"}, got)

	mysql := "-- MySQL dump 10.13\n/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n/*!50503 SET NAMES utf8mb4 */;\n" +
		"SET @MYSQLDUMP_TEMP_LOG_BIN = @@SESSION.SQL_LOG_BIN;\nSET @@SESSION.SQL_LOG_BIN= 0;\n" +
		"SET @@GLOBAL.GTID_PURGED=/*!80000 '+'*/ 'a-b:1-5,\nc-d:1-2';\n" +
		"INSERT INTO `t` VALUES (1,'x'),(2,'y');\nINSERT INTO `t` VALUES (3,'z');\n" +
		"SET @@SESSION.SQL_LOG_BIN = @MYSQLDUMP_TEMP_LOG_BIN;\n-- Dump completed on 2026-01-01\n"
	got, err = frame(t, mysql)
	require.NoError(t, err)
	require.Equal(t, []string{"INSERT INTO `t` VALUES (1,'x'),(2,'y');\n", "INSERT INTO `t` VALUES (3,'z');\n"}, got)

	_, err = frame(t, "REPLACE INTO `t` VALUES (1);\n")
	require.ErrorContains(t, err, "unexpected statement")
	_, err = frame(t, "INSERT INTO `t` VALUES\n(1,'a'),\n")
	require.ErrorContains(t, err, "ended inside an INSERT")
}

// The definitions' dump is cut before its closing settings only: a view's own settings,
// restored right after it, stay where they are; the triggers' dump loses its opening and
// closing lines.
func TestSplitFooterAndBody(t *testing.T) {
	schema := "/*!40101 SET NAMES utf8mb4 */;\nCREATE TABLE `t` (id int);\n" +
		"/*!50001 SET character_set_client      = utf8mb3 */;\n/*!50001 VIEW `v` AS select 1 */;\n" +
		"/*!50001 SET character_set_client      = @saved_cs_client */;\n" +
		"/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;\n\nSET @@SESSION.SQL_LOG_BIN = @MYSQLDUMP_TEMP_LOG_BIN;\n/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;\n\n-- Dump completed on 2026-01-01\n"
	head, footer := splitFooter([]byte(schema))
	require.True(t, strings.HasSuffix(string(head), "= @saved_cs_client */;\n"), "%s", head)
	require.True(t, strings.HasPrefix(string(footer), "/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;\n"), "%s", footer)
	require.Equal(t, schema, string(head)+string(footer))

	trig := "/*M!999999\\- enable the sandbox mode */ \n/*!40101 SET NAMES utf8mb4 */;\n\n" +
		"/*!50003 SET @saved_cs_client      = @@character_set_client */ ;\nDELIMITER ;;\n/*!50003 CREATE*/ /*!50003 TRIGGER x BEFORE INSERT ON t FOR EACH ROW SET NEW.id = 1 */;;\nDELIMITER ;\n" +
		"/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;\n\n-- Dump completed on 2026-01-01\n"
	require.Equal(t, "/*!50003 SET @saved_cs_client      = @@character_set_client */ ;\nDELIMITER ;;\n/*!50003 CREATE*/ /*!50003 TRIGGER x BEFORE INSERT ON t FOR EACH ROW SET NEW.id = 1 */;;\nDELIMITER ;\n", string(bodyOf([]byte(trig))))

	mysqlTrig := "-- MySQL dump 10.13\n/*!50503 SET NAMES utf8mb4 */;\nSET @MYSQLDUMP_TEMP_LOG_BIN = @@SESSION.SQL_LOG_BIN;\nSET @@SESSION.SQL_LOG_BIN= 0;\n\n" +
		"--\n-- GTID state at the beginning of the backup\n--\n\nSET @@GLOBAL.GTID_PURGED=/*!80000 '+'*/ 'a-b:1-5,\nc-d:1-2';\n" +
		"DELIMITER ;;\nCREATE TRIGGER x BEFORE INSERT ON t FOR EACH ROW SET NEW.id = 1 ;;\nDELIMITER ;\n" +
		"SET @@SESSION.SQL_LOG_BIN = @MYSQLDUMP_TEMP_LOG_BIN;\n/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;\n-- Dump completed on 2026-01-01\n"
	require.Equal(t, "DELIMITER ;;\nCREATE TRIGGER x BEFORE INSERT ON t FOR EACH ROW SET NEW.id = 1 ;;\nDELIMITER ;\n", string(bodyOf([]byte(mysqlTrig))))
}
