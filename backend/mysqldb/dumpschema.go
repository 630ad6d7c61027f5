package mysqldb

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

type colKind int

const (
	colText   colKind = iota // quoted and escaped
	colNumber                // written as the server sent it
	colBinary                // written as a hex literal so any byte survives any charset
)

type column struct {
	name string
	kind colKind
}

type table struct {
	name   string
	create string
	cols   []column // generated columns left out: the server computes them again
	pk     string   // single integer primary key, "" when the table cannot be chunked
	rows   int64    // the server's estimate, for planning only
	size   int64
}

func (t *table) insertHeader() []byte {
	var b strings.Builder
	b.WriteString("INSERT INTO ")
	b.WriteString(quoteIdent(t.name))
	b.WriteString(" (")
	for i, c := range t.cols {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(quoteIdent(c.name))
	}
	b.WriteString(") VALUES ")
	return []byte(b.String())
}

func (t *table) selectList() string {
	names := make([]string, len(t.cols))
	for i, c := range t.cols {
		names[i] = quoteIdent(c.name)
	}
	return strings.Join(names, ",")
}

type dbSchema struct {
	version string
	tables  []*table
	views   []view
}

type view struct{ name, create string }

// quoteIdent quotes a MySQL identifier with backticks.
func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

var numberTypes = map[string]bool{"tinyint": true, "smallint": true, "mediumint": true, "int": true, "integer": true,
	"bigint": true, "decimal": true, "numeric": true, "float": true, "double": true, "real": true, "year": true}

var binaryTypes = map[string]bool{"binary": true, "varbinary": true, "tinyblob": true, "blob": true, "mediumblob": true,
	"longblob": true, "bit": true, "geometry": true, "point": true, "linestring": true, "polygon": true, "multipoint": true,
	"multilinestring": true, "multipolygon": true, "geometrycollection": true}

// readSchema lists the tables and views of the connection's database.
func readSchema(ctx context.Context, c *sql.Conn, only []string) (*dbSchema, error) {
	s := &dbSchema{}
	if err := c.QueryRowContext(ctx, "SELECT VERSION()").Scan(&s.version); err != nil {
		return nil, err
	}
	tables, byName, viewNames, err := listTables(ctx, c, only)
	if err != nil {
		return nil, err
	}
	s.tables = tables
	rows, err := c.QueryContext(ctx, `SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, EXTRA FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var tname, cname, typ, extra string
		if err := rows.Scan(&tname, &cname, &typ, &extra); err != nil {
			rows.Close()
			return nil, err
		}
		t := byName[tname]
		if t == nil {
			continue
		}
		ex := strings.ToUpper(extra)
		if strings.Contains(ex, "GENERATED") || strings.Contains(ex, "VIRTUAL") || strings.Contains(ex, "PERSISTENT") || strings.Contains(ex, "STORED") {
			continue
		}
		k := colText
		typ = strings.ToLower(typ)
		if numberTypes[typ] {
			k = colNumber
		} else if binaryTypes[typ] {
			k = colBinary
		}
		t.cols = append(t.cols, column{name: cname, kind: k})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := readPrimaryKeys(ctx, c, byName); err != nil {
		return nil, err
	}
	for _, t := range s.tables {
		var name string
		if err := c.QueryRowContext(ctx, "SHOW CREATE TABLE "+quoteIdent(t.name)).Scan(&name, &t.create); err != nil {
			return nil, fmt.Errorf("show create table %s: %w", t.name, err)
		}
	}
	for _, v := range viewNames {
		vals, err := showCreate(ctx, c, "SHOW CREATE VIEW "+quoteIdent(v), 1)
		if err != nil {
			return nil, fmt.Errorf("show create view %s: %w", v, err)
		}
		s.views = append(s.views, view{name: v, create: string(stripDefiner([]byte(vals)))})
	}
	return s, nil
}

// showCreate runs a SHOW CREATE statement and returns column col of its one row.
func showCreate(ctx context.Context, c *sql.Conn, q string, col int) (string, error) {
	rows, err := c.QueryContext(ctx, q)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return "", err
	}
	vals := make([]sql.NullString, len(names))
	ptrs := make([]any, len(names))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return "", err
		}
		return "", fmt.Errorf("%s returned nothing (missing privilege?)", q)
	}
	if err := rows.Scan(ptrs...); err != nil {
		return "", err
	}
	if col >= len(vals) || !vals[col].Valid {
		return "", fmt.Errorf("%s returned no definition (missing privilege?)", q)
	}
	return vals[col].String, nil
}

// dumpUnitBytes is the data one unit of a big table should read, about.
const dumpUnitBytes = 32 << 20

// unit is one read of a table: a primary-key range, or the whole table.
type unit struct {
	table        *table
	lo, hi       int64
	hasLo, hasHi bool
}

// where is the unit's primary-key range as an SQL condition ("" for the whole table). The
// bounds are integers Ferry computed, so they are written into the query directly.
func (u *unit) where() string {
	pk := quoteIdent(u.table.pk)
	switch {
	case u.hasLo && u.hasHi:
		return fmt.Sprintf("%s >= %d AND %s < %d", pk, u.lo, pk, u.hi)
	case u.hasLo:
		return fmt.Sprintf("%s >= %d", pk, u.lo)
	case u.hasHi:
		return fmt.Sprintf("%s < %d", pk, u.hi)
	}
	return ""
}

// planUnits cuts big tables into primary-key ranges of about unitBytes of data; the biggest tables come first so that
// the workers share them and finish together.
func planUnits(ctx context.Context, c *sql.Conn, tables []*table, chunkRows int, unitBytes int64) ([]*unit, error) {
	order := slices.Clone(tables)
	slices.SortStableFunc(order, func(a, b *table) int { return int(min(max(b.size-a.size, -1), 1)) })
	var units []*unit
	for _, t := range order {
		rowsPerUnit := int64(chunkRows)
		if t.rows > 0 && t.size > 0 {
			// big rows (post content) get smaller ranges so workers share big tables evenly
			rowsPerUnit = min(rowsPerUnit, max(1000, unitBytes*t.rows/t.size))
		}
		if t.pk == "" || t.rows <= rowsPerUnit {
			units = append(units, &unit{table: t})
			continue
		}
		var lo, hi sql.NullInt64
		q := fmt.Sprintf("SELECT MIN(%s), MAX(%s) FROM %s", quoteIdent(t.pk), quoteIdent(t.pk), quoteIdent(t.name))
		if err := c.QueryRowContext(ctx, q).Scan(&lo, &hi); err != nil {
			return nil, fmt.Errorf("key range of %s: %w", t.name, err)
		}
		if !lo.Valid || !hi.Valid || hi.Int64 < lo.Int64 {
			units = append(units, &unit{table: t})
			continue
		}
		span := uint64(hi.Int64-lo.Int64) + 1
		step := int64(max(span*uint64(rowsPerUnit)/uint64(t.rows), 1))
		// the first and last ranges are open so rows added since planning are not lost
		prev := int64(0)
		first := true
		for at := lo.Int64 + step; at <= hi.Int64 && at > lo.Int64; at += step {
			u := &unit{table: t, hi: at, hasHi: true}
			if !first {
				u.lo, u.hasLo = prev, true
			}
			units = append(units, u)
			prev, first = at, false
			if hi.Int64-at < step {
				break
			}
		}
		last := &unit{table: t}
		if !first {
			last.lo, last.hasLo = prev, true
		}
		units = append(units, last)
	}
	return units, nil
}

// writeObjects writes views (dependencies first), triggers and routines, DEFINER removed.
func writeObjects(ctx context.Context, c *sql.Conn, wr *dumpWriter, s *dbSchema) ([3]int, error) {
	var n [3]int
	pending := slices.Clone(s.views)
	for len(pending) > 0 {
		progress := false
		for i := 0; i < len(pending); i++ {
			v := pending[i]
			blocked := false
			for _, o := range pending {
				if o.name != v.name && strings.Contains(v.create, quoteIdent(o.name)) {
					blocked = true
					break
				}
			}
			if blocked && len(pending) > 1 {
				continue
			}
			wr.printf("%s;\n\n", v.create)
			n[0]++
			pending = slices.Delete(pending, i, i+1)
			i--
			progress = true
		}
		if !progress { // a cycle cannot exist between views; write the rest as they are
			for _, v := range pending {
				wr.printf("%s;\n\n", v.create)
				n[0]++
			}
			break
		}
	}
	objects := []struct {
		list, show string
		idx        int
	}{
		{"SELECT TRIGGER_NAME, 'TRIGGER' FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY TRIGGER_NAME", "SHOW CREATE TRIGGER ", 1},
		{"SELECT ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() ORDER BY ROUTINE_TYPE, ROUTINE_NAME", "SHOW CREATE ", 2},
	}
	for _, o := range objects {
		rows, err := c.QueryContext(ctx, o.list)
		if err != nil {
			return n, fmt.Errorf("list objects: %w", err)
		}
		var names [][2]string
		for rows.Next() {
			var name, typ string
			if err := rows.Scan(&name, &typ); err != nil {
				rows.Close()
				return n, err
			}
			names = append(names, [2]string{name, typ})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return n, err
		}
		for _, nt := range names {
			q := o.show + quoteIdent(nt[0])
			if o.idx == 2 {
				q = "SHOW CREATE " + nt[1] + " " + quoteIdent(nt[0])
			}
			def, err := showCreate(ctx, c, q, 2)
			if err != nil {
				return n, fmt.Errorf("%s: %w", strings.ToLower(q), err)
			}
			wr.printf("DELIMITER ;;\n%s;;\nDELIMITER ;\n\n", stripDefiner([]byte(def)))
			n[o.idx]++
		}
	}
	return n, wr.err
}

// listTables lists the base tables of the connection's database (with the server's row
// and size estimates) and its views.
func listTables(ctx context.Context, c *sql.Conn, only []string) (tables []*table, byName map[string]*table, views []string, err error) {
	want := func(name string) bool { return len(only) == 0 || slices.Contains(only, name) }
	rows, err := c.QueryContext(ctx, `SELECT TABLE_NAME, TABLE_TYPE, COALESCE(TABLE_ROWS,0), COALESCE(DATA_LENGTH,0)
		FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME`)
	if err != nil {
		return nil, nil, nil, err
	}
	defer rows.Close()
	byName = map[string]*table{}
	for rows.Next() {
		var name, typ string
		var n, size int64
		if err := rows.Scan(&name, &typ, &n, &size); err != nil {
			return nil, nil, nil, err
		}
		if !want(name) {
			continue
		}
		if typ == "VIEW" {
			views = append(views, name)
			continue
		}
		t := &table{name: name, rows: n, size: size}
		tables = append(tables, t)
		byName[name] = t
	}
	return tables, byName, views, rows.Err()
}

// readPrimaryKeys sets pk on the tables that have a single-column integer primary key,
// the only kind a dump cuts into ranges.
func readPrimaryKeys(ctx context.Context, c *sql.Conn, byName map[string]*table) error {
	rows, err := c.QueryContext(ctx, `SELECT k.TABLE_NAME, MIN(k.COLUMN_NAME), COUNT(*), MIN(c.DATA_TYPE)
		FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.COLUMNS c
		  ON c.TABLE_SCHEMA = k.TABLE_SCHEMA AND c.TABLE_NAME = k.TABLE_NAME AND c.COLUMN_NAME = k.COLUMN_NAME
		WHERE k.TABLE_SCHEMA = DATABASE() AND k.CONSTRAINT_NAME = 'PRIMARY' GROUP BY k.TABLE_NAME`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var tname, col, typ string
		var n int
		if err := rows.Scan(&tname, &col, &n, &typ); err != nil {
			rows.Close()
			return err
		}
		if t := byName[tname]; t != nil && n == 1 && strings.HasSuffix(strings.ToLower(typ), "int") {
			t.pk = col
		}
	}
	rows.Close()
	return rows.Err()
}
