package mysqldb

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestImportReportsEachTableWhenWhole checks what OnComplete promises a caller that
// records the resume cursor as the import goes (a process killed the next moment must be
// able to skip the table): when it names a table, another connection already sees all of
// that table's rows and its secondary index, and every table is named once, before Import
// returns. Both a Ferry dump and a mysqldump-style file are checked.
func TestImportReportsEachTableWhenWhole(t *testing.T) {
	src, _ := testDB(t)
	want := map[string]int{}
	for i := 1; i <= 3; i++ {
		name := fmt.Sprintf("t%d", i)
		mustExec(t, src, fmt.Sprintf("CREATE TABLE %s (id INT PRIMARY KEY, k INT NOT NULL, v TEXT, KEY k (k)) ENGINE=InnoDB", name))
		var q strings.Builder
		fmt.Fprintf(&q, "INSERT INTO %s VALUES ", name)
		for n := 1; n <= 300*i; n++ {
			if n > 1 {
				q.WriteString(",")
			}
			fmt.Fprintf(&q, "(%d, %d, 'value %d')", n, n%7, n)
		}
		mustExec(t, src, q.String())
		want[name] = 300 * i
	}
	var ferry bytes.Buffer
	_, err := Dump(context.Background(), src, &ferry, DumpOptions{})
	require.NoError(t, err)
	var plain strings.Builder
	for i := 1; i <= 3; i++ {
		fmt.Fprintf(&plain, "CREATE TABLE `t%d` (`id` INT PRIMARY KEY, `k` INT NOT NULL, `v` TEXT, KEY `k` (`k`)) ENGINE=InnoDB;\n", i)
		for n := 1; n <= 300*i; n++ {
			fmt.Fprintf(&plain, "INSERT INTO `t%d` VALUES (%d,%d,'value %d');\n", i, n, n%7, n)
		}
	}

	for name, in := range map[string][]byte{"ferry dump": ferry.Bytes(), "mysqldump style": []byte(plain.String())} {
		t.Run(name, func(t *testing.T) {
			db, _ := testDB(t)
			var mu sync.Mutex
			seen := map[string]int{}
			var problems []string
			st, err := Import(context.Background(), db, bytes.NewReader(in), ImportOptions{
				OnComplete: func(table string) {
					mu.Lock() // called from background index builds too
					defer mu.Unlock()
					var rows, keys int
					if err := db.SQL().QueryRow(fmt.Sprintf("SELECT COUNT(*) FROM `%s`", table)).Scan(&rows); err != nil {
						problems = append(problems, err.Error())
					}
					if err := db.SQL().QueryRow("SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = ? AND index_name = 'k'", table).Scan(&keys); err != nil {
						problems = append(problems, err.Error())
					}
					seen[table]++
					if rows != want[table] || keys == 0 {
						problems = append(problems, fmt.Sprintf("%s reported with %d of %d rows, index k present: %v", table, rows, want[table], keys > 0))
					}
				},
			})
			require.NoError(t, err)
			mu.Lock()
			defer mu.Unlock()
			require.Empty(t, problems)
			require.Equal(t, map[string]int{"t1": 1, "t2": 1, "t3": 1}, seen, "each table reported once, before Import returned")
			for tb := range seen {
				require.Contains(t, st.CompletedTables, tb)
			}
		})
	}
}
