// Package oracle checks a finished migration against independent truth instead of against
// Ferry's own figures: the destination's files are hashed and compared with the source
// tree, every table's rows with the source rows rewritten by a reference written in PHP
// (unserialize, replace, serialize), the destination's wp-config.php is evaluated by PHP
// and its DB_NAME, DB_USER, DB_PASSWORD and DB_HOST are used to log in, and counts are
// read from the destination for the report figures to be compared with. None of it calls
// Ferry's code, so a bug there cannot make both sides agree.
package oracle

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"
)

// Tree returns the SHA-256 of every regular file under dir by slash-separated path.
func Tree(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.Type().IsRegular() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		out[filepath.ToSlash(rel)] = hex.EncodeToString(h.Sum(nil))
		return nil
	})
	require.NoError(t, err)
	return out
}

// Files requires the destination tree to hold every file of the source tree with the same
// SHA-256, and nothing else; the paths in changed (wp-config.php) must exist but may differ.
// It returns the number of files at the destination.
func Files(t testing.TB, srcDir, dstDir string, changed ...string) int {
	t.Helper()
	src, dst := Tree(t, srcDir), Tree(t, dstDir)
	var missing, differ, extra []string
	for p, sum := range src {
		got, ok := dst[p]
		switch {
		case !ok:
			missing = append(missing, p)
		case got != sum && !contains(changed, p):
			differ = append(differ, p)
		}
	}
	for p := range dst {
		if _, ok := src[p]; !ok {
			extra = append(extra, p)
		}
	}
	sort.Strings(missing)
	sort.Strings(differ)
	sort.Strings(extra)
	require.Empty(t, missing, "files of the source missing at the destination")
	require.Empty(t, differ, "files whose SHA-256 differs from the source")
	require.Empty(t, extra, "files at the destination that the source does not have")
	return len(dst)
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// WPConfig is what PHP itself says a wp-config.php defines.
type WPConfig struct {
	Name     string `json:"name"`
	User     string `json:"user"`
	Password string `json:"password"`
	Host     string `json:"host"`
	Prefix   string `json:"prefix"`
}

// Login opens the database the config names with the account it names, the way
// WordPress would on the new host, and fails the test when the login or the first query
// fails. DB_HOST is "host", "host:port" or "localhost" (TCP to 127.0.0.1:3306).
func Login(t testing.TB, c WPConfig) *sql.DB {
	t.Helper()
	addr := c.Host
	if h, _, ok := strings.Cut(addr, ":"); !ok {
		addr += ":3306"
	} else if h == "" {
		addr = "127.0.0.1" + addr
	}
	addr = strings.Replace(addr, "localhost:", "127.0.0.1:", 1)
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName = c.User, c.Password, "tcp", addr, c.Name
	cfg.Timeout = 5 * time.Second
	db, err := sql.Open("mysql", cfg.FormatDSN())
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	var n int
	require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()").Scan(&n),
		"log in with the DB_USER/DB_PASSWORD/DB_HOST/DB_NAME of the destination's wp-config.php (user %s, host %s, database %s)", c.User, c.Host, c.Name)
	require.Positive(t, n, "the database wp-config.php names holds the site's tables")
	return db
}

// Counts reads every table's row count from a database.
func Counts(t testing.TB, db *sql.DB) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, name := range tables(t, db) {
		var n int64
		require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM `"+name+"`").Scan(&n))
		out[name] = n
	}
	return out
}

// Sum adds up counts.
func Sum(counts map[string]int64) int64 {
	var n int64
	for _, c := range counts {
		n += c
	}
	return n
}

func tables(t testing.TB, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY table_name")
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		require.NoError(t, rows.Scan(&n))
		out = append(out, n)
	}
	require.NoError(t, rows.Err())
	return out
}

// Rows requires every table of src to exist in dst with exactly the rows of src after the
// reference rewrite of oldURL to newURL (see Rewrite), in primary-key order, and dst to
// hold no other table. It returns the row counts of dst.
func Rows(t testing.TB, src, dst *sql.DB, oldURL, newURL string) map[string]int64 {
	t.Helper()
	srcTables, dstTables := tables(t, src), tables(t, dst)
	require.Equal(t, srcTables, dstTables, "the destination holds the source's tables, no more, no less")
	var want []string
	srcRows := map[string][][]*string{}
	cols := map[string][]string{}
	for _, name := range srcTables {
		c, rows := dump(t, src, name)
		cols[name], srcRows[name] = c, rows
		for _, r := range rows {
			for _, v := range r {
				if v != nil {
					want = append(want, *v)
				}
			}
		}
	}
	rewritten := Rewrite(t, want, oldURL, newURL)
	k := 0
	for _, name := range srcTables {
		for _, r := range srcRows[name] {
			for j := range r {
				if r[j] != nil {
					s := rewritten[k]
					r[j] = &s
					k++
				}
			}
		}
	}
	counts := map[string]int64{}
	for _, name := range srcTables {
		c, got := dump(t, dst, name)
		require.Equal(t, cols[name], c, "columns of %s", name)
		exp := srcRows[name]
		require.Len(t, got, len(exp), "rows of %s", name)
		for i := range exp {
			for j := range exp[i] {
				require.Equal(t, str(exp[i][j]), str(got[i][j]), "%s row %d column %s", name, i+1, c[j])
			}
		}
		counts[name] = int64(len(got))
	}
	return counts
}

func str(p *string) string {
	if p == nil {
		return "<NULL>"
	}
	return *p
}

// dump reads a whole (small) table in primary-key order as text.
func dump(t testing.TB, db *sql.DB, table string) ([]string, [][]*string) {
	t.Helper()
	rows, err := db.Query("SELECT * FROM `" + table + "` ORDER BY 1")
	require.NoError(t, err)
	defer rows.Close()
	cols, err := rows.Columns()
	require.NoError(t, err)
	var out [][]*string
	for rows.Next() {
		raw := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range raw {
			ptrs[i] = &raw[i]
		}
		require.NoError(t, rows.Scan(ptrs...))
		r := make([]*string, len(cols))
		for i, b := range raw {
			if b != nil {
				s := string(b)
				r[i] = &s
			}
		}
		out = append(out, r)
	}
	require.NoError(t, rows.Err())
	return cols, out
}

// Report compares figures a migration reported with what the oracle counted.
func Report(t testing.TB, what string, reported, counted int64) {
	t.Helper()
	require.Equal(t, counted, reported, "%s: the report says %d, the destination holds %d", what, reported, counted)
}

// String formats a config for messages without its password.
func (c WPConfig) String() string {
	return fmt.Sprintf("db=%s user=%s host=%s prefix=%s", c.Name, c.User, c.Host, c.Prefix)
}
