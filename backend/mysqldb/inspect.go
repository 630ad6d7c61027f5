package mysqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Info is what Ferry learns about a server and its database for "Analyse source", "Check
// destination" and Verify.
type Info struct {
	Version          string
	MaxAllowedPacket int64
	Collations       []string
	// CanCreateDatabase reports whether the login may create databases (CREATE privilege
	// on *.* or a wildcard database pattern).
	CanCreateDatabase bool
	Tables            []TableInfo
	// TablePrefix is the WordPress table prefix ("wp_"), found as the table ending in
	// "options" that holds a siteurl row; "" when the database is not WordPress.
	TablePrefix string
	SiteURL     string
	Home        string
}

// TableInfo describes one table; Rows and Bytes are the server's estimates (use CountRows
// for exact counts).
type TableInfo struct {
	Name  string
	Rows  int64
	Bytes int64 // data plus indexes
	View  bool
}

// Inspect reads server facts and, when a database is selected, its tables and WordPress
// settings.
func Inspect(ctx context.Context, db *DB) (Info, error) {
	var info Info
	c := db.db
	if err := c.QueryRowContext(ctx, "SELECT VERSION(), @@max_allowed_packet").Scan(&info.Version, &info.MaxAllowedPacket); err != nil {
		return info, fmt.Errorf("inspect: server version: %w", err)
	}
	rows, err := c.QueryContext(ctx, "SELECT COLLATION_NAME FROM information_schema.COLLATIONS ORDER BY COLLATION_NAME")
	if err != nil {
		return info, fmt.Errorf("inspect: collations: %w", err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return info, fmt.Errorf("inspect: collations: %w", err)
		}
		info.Collations = append(info.Collations, n)
	}
	rows.Close()
	info.CanCreateDatabase, err = canCreateDatabase(ctx, c)
	if err != nil {
		return info, fmt.Errorf("inspect: privileges: %w", err)
	}
	if db.cfg.Database == "" {
		return info, nil
	}
	rows, err = c.QueryContext(ctx, `SELECT TABLE_NAME, COALESCE(TABLE_ROWS,0), COALESCE(DATA_LENGTH,0)+COALESCE(INDEX_LENGTH,0), TABLE_TYPE = 'VIEW'
		FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME`)
	if err != nil {
		return info, fmt.Errorf("inspect: tables: %w", err)
	}
	for rows.Next() {
		var t TableInfo
		if err := rows.Scan(&t.Name, &t.Rows, &t.Bytes, &t.View); err != nil {
			rows.Close()
			return info, fmt.Errorf("inspect: tables: %w", err)
		}
		info.Tables = append(info.Tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return info, fmt.Errorf("inspect: tables: %w", err)
	}
	// WordPress: prefer wp_options, then the shortest prefix, for databases holding several sites
	var candidates []string
	for _, t := range info.Tables {
		if strings.HasSuffix(t.Name, "options") && !t.View {
			candidates = append(candidates, t.Name)
		}
	}
	slices.SortFunc(candidates, func(a, b string) int {
		if (a == "wp_options") != (b == "wp_options") {
			if a == "wp_options" {
				return -1
			}
			return 1
		}
		return len(a) - len(b)
	})
	for _, t := range candidates {
		var siteurl, home sql.NullString
		q := "SELECT (SELECT option_value FROM " + quoteIdent(t) + " WHERE option_name = 'siteurl' LIMIT 1), (SELECT option_value FROM " + quoteIdent(t) + " WHERE option_name = 'home' LIMIT 1)"
		if err := c.QueryRowContext(ctx, q).Scan(&siteurl, &home); err != nil {
			continue // not a WordPress options table (no such columns)
		}
		if siteurl.Valid {
			info.TablePrefix = strings.TrimSuffix(t, "options")
			info.SiteURL, info.Home = siteurl.String, home.String
			break
		}
	}
	return info, nil
}

func canCreateDatabase(ctx context.Context, c *sql.DB) (bool, error) {
	rows, err := c.QueryContext(ctx, "SHOW GRANTS")
	if err != nil {
		return false, err
	}
	defer rows.Close()
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			return false, err
		}
		up := strings.ToUpper(g)
		on := ""
		if i := strings.Index(up, " ON "); i >= 0 {
			on = strings.TrimSpace(up[i+4:])
		}
		privs := up
		if i := strings.Index(up, " ON "); i >= 0 {
			privs = up[:i]
		}
		create := strings.Contains(privs, "ALL PRIVILEGES") || containsWord(privs, "CREATE")
		if create && (strings.HasPrefix(on, "*.*") || strings.Contains(on, "%") || strings.Contains(on, "\\_")) {
			return true, nil
		}
	}
	return false, rows.Err()
}

// containsWord finds CREATE as a privilege of its own, not CREATE VIEW or CREATE USER.
func containsWord(privs, w string) bool {
	for _, p := range strings.Split(strings.TrimPrefix(privs, "GRANT "), ",") {
		if strings.TrimSpace(p) == w {
			return true
		}
	}
	return false
}

// CountRows returns exact row counts of every base table, for validation after an import.
func CountRows(ctx context.Context, db *DB) (map[string]int64, error) {
	names, err := baseTables(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("count rows: %w", err)
	}
	out := make(map[string]int64, len(names))
	// One query counts many tables (UNION ALL): over a slow link each query is a round
	// trip, and a site has dozens of tables.
	const perQuery = 64
	for len(names) > 0 {
		batch := names[:min(perQuery, len(names))]
		names = names[len(batch):]
		parts := make([]string, len(batch))
		for i, n := range batch {
			parts[i] = "SELECT " + strconv.Itoa(i) + ", COUNT(*) FROM " + quoteIdent(n)
		}
		rows, err := db.db.QueryContext(ctx, strings.Join(parts, " UNION ALL "))
		if err != nil {
			return nil, fmt.Errorf("count rows of %s…: %w", batch[0], err)
		}
		for rows.Next() {
			var i int
			var c int64
			if err := rows.Scan(&i, &c); err != nil {
				rows.Close()
				return nil, fmt.Errorf("count rows: %w", err)
			}
			if i >= 0 && i < len(batch) {
				out[batch[i]] = c
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("count rows of %s…: %w", batch[0], err)
		}
	}
	return out, nil
}

// ChecksumTables returns CHECKSUM TABLE of the given tables (all base tables when none are
// given). Equal checksums on two servers of the same version mean equal contents.
func ChecksumTables(ctx context.Context, db *DB, tables ...string) (map[string]int64, error) {
	if len(tables) == 0 {
		var err error
		if tables, err = baseTables(ctx, db); err != nil {
			return nil, fmt.Errorf("checksum: %w", err)
		}
	}
	out := make(map[string]int64, len(tables))
	for _, t := range tables {
		var name string
		var sum sql.NullInt64
		if err := db.db.QueryRowContext(ctx, "CHECKSUM TABLE "+quoteIdent(t)).Scan(&name, &sum); err != nil {
			return nil, fmt.Errorf("checksum %s: %w", t, err)
		}
		if !sum.Valid {
			return nil, fmt.Errorf("checksum %s: %w", t, errNoTable)
		}
		out[t] = sum.Int64
	}
	return out, nil
}

var errNoTable = errors.New("table does not exist")

func baseTables(ctx context.Context, db *DB) ([]string, error) {
	rows, err := db.db.QueryContext(ctx, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, rows.Err()
}
