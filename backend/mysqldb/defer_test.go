package mysqldb

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSplitSecondaryKeys(t *testing.T) {
	tests := []struct {
		name, in, out string
		keys          []string
	}{
		{"wordpress posts",
			"CREATE TABLE `p` (\n  `ID` int NOT NULL,\n  `n` varchar(200) DEFAULT 'a,(b)',\n  PRIMARY KEY (`ID`),\n  UNIQUE KEY `u` (`n`),\n  KEY `n` (`n`(191)),\n  KEY `t` (`n`,`ID`)\n) ENGINE=InnoDB",
			"CREATE TABLE `p` (\n  `ID` int NOT NULL,\n  `n` varchar(200) DEFAULT 'a,(b)',\n  PRIMARY KEY (`ID`),\n  UNIQUE KEY `u` (`n`)\n) ENGINE=InnoDB",
			[]string{"ADD KEY `n` (`n`(191))", "ADD KEY `t` (`n`,`ID`)"}},
		{"no secondary keys", "CREATE TABLE t (a INT PRIMARY KEY)", "CREATE TABLE t (a INT PRIMARY KEY)", nil},
		{"foreign keys keep their indexes", "CREATE TABLE t (a INT, KEY a (a), CONSTRAINT f FOREIGN KEY (a) REFERENCES u (id))", "CREATE TABLE t (a INT, KEY a (a), CONSTRAINT f FOREIGN KEY (a) REFERENCES u (id))", nil},
		{"unbalanced", "CREATE TABLE t (a INT, KEY a (a)", "CREATE TABLE t (a INT, KEY a (a)", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, keys := splitSecondaryKeys([]byte(tc.in))
			require.Equal(t, tc.out, string(out))
			require.Equal(t, tc.keys, keys)
		})
	}
}

func TestStatsRecalcOff(t *testing.T) {
	for _, tc := range []struct {
		in  string
		off bool
	}{
		{"CREATE TABLE t (a INT PRIMARY KEY) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4", true},
		{"CREATE TABLE t (a INT PRIMARY KEY)\n", true},
		{"CREATE TABLE t (a INT PRIMARY KEY) ENGINE = innodb", true},
		{"CREATE TABLE t (a INT PRIMARY KEY) ENGINE=MyISAM", false},
		{"CREATE TABLE t (a INT PRIMARY KEY) STATS_AUTO_RECALC=1", false},
		{"CREATE TABLE t (a INT PRIMARY KEY) /*!50100 PARTITION BY HASH (a) */", false},
		{"CREATE TABLE t (a INT PRIMARY KEY) AS SELECT 1 AS a", false},
		{"CREATE TABLE t (a INT PRIMARY KEY) COMMENT='x'", false},
		{"CREATE TABLE t (a INT PRIMARY KEY) -- note", false},
		{"CREATE TABLE t LIKE u", false},
	} {
		out, off := statsRecalcOff([]byte(tc.in))
		require.Equal(t, tc.off, off, tc.in)
		if off {
			require.Equal(t, strings.TrimRight(tc.in, "\n")+" STATS_AUTO_RECALC=0", string(out))
		} else {
			require.Equal(t, tc.in, string(out))
		}
	}
}
