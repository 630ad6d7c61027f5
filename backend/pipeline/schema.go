package pipeline

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// tableSchema is what Validate needs to know of one destination table: its primary key
// (to name rows in messages) and the columns that can hold text.
type tableSchema struct {
	pk   []string
	text []string
	// wide[i] is true when text[i] stores ASCII other than as single bytes (ucs2, utf16,
	// utf32): a byte search on the stored value would miss a host name there.
	wide []bool
	// intPK is true when the primary key is one integer column, so the table can be read
	// in key ranges.
	intPK bool
	// types are the data types of the columns, by name.
	types map[string]string
}

// textTypes are the column types that can hold a URL or a serialized value.
var textTypes = map[string]bool{
	"char": true, "varchar": true, "tinytext": true, "text": true, "mediumtext": true, "longtext": true,
	"binary": true, "varbinary": true, "tinyblob": true, "blob": true, "mediumblob": true, "longblob": true,
	"json": true, "enum": true, "set": true,
}

// readSchema reads the primary keys and text columns of every table of the connection's
// database, in two queries whatever the number of tables.
func readSchema(ctx context.Context, db *sql.DB) (map[string]*tableSchema, error) {
	out := map[string]*tableSchema{}
	get := func(t string) *tableSchema {
		s := out[t]
		if s == nil {
			s = &tableSchema{}
			out[t] = s
		}
		return s
	}
	rows, err := db.QueryContext(ctx, "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, CHARACTER_SET_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION")
	if err != nil {
		return nil, fmt.Errorf("read the columns of the tables: %w", err)
	}
	for rows.Next() {
		var t, c, typ string
		var cs sql.NullString
		if err := rows.Scan(&t, &c, &typ, &cs); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read the columns of the tables: %w", err)
		}
		s := get(t)
		typ = strings.ToLower(typ)
		if s.types == nil {
			s.types = map[string]string{}
		}
		s.types[c] = typ
		if textTypes[typ] {
			s.text = append(s.text, c)
			s.wide = append(s.wide, wideCharsets[strings.ToLower(cs.String)])
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the columns of the tables: %w", err)
	}
	rows, err = db.QueryContext(ctx, "SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY TABLE_NAME, ORDINAL_POSITION")
	if err != nil {
		return nil, fmt.Errorf("read the primary keys: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t, c string
		if err := rows.Scan(&t, &c); err != nil {
			return nil, fmt.Errorf("read the primary keys: %w", err)
		}
		get(t).pk = append(get(t).pk, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the primary keys: %w", err)
	}
	for _, s := range out {
		s.intPK = len(s.pk) == 1 && intTypes[s.types[s.pk[0]]]
	}
	return out, nil
}

// wideCharsets store ASCII characters in more than one byte each.
var wideCharsets = map[string]bool{"ucs2": true, "utf16": true, "utf16le": true, "utf32": true}

// intTypes are the integer column types.
var intTypes = map[string]bool{"tinyint": true, "smallint": true, "mediumint": true, "int": true, "integer": true, "bigint": true}

// scanRows streams the rows of table matching where (with args): for each, the row's key
// ("option_id=42"; "" without a primary key) and the values of cols (nil for
// NULL). Memory stays flat: vals are only valid during fn.
func scanRows(ctx context.Context, db *sql.DB, table string, pk, cols []string, where string, args []any, fn func(key string, vals [][]byte) error) error {
	sel := make([]string, 0, len(pk)+len(cols))
	for _, c := range pk {
		sel = append(sel, quoteIdent(c))
	}
	for _, c := range cols {
		sel = append(sel, quoteIdent(c))
	}
	q := "SELECT " + strings.Join(sel, ", ") + " FROM " + quoteIdent(table)
	if where != "" {
		q += " WHERE " + where
	}
	return streamRows(ctx, db, table, q, args, pk, fn)
}

// streamRows runs q, whose first columns are the primary key pk of table, and
// calls fn with each row's key and its other columns, as scanRows does.
func streamRows(ctx context.Context, db *sql.DB, table, q string, args []any, pk []string, fn func(key string, vals [][]byte) error) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("read %s: %w", table, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return fmt.Errorf("read %s: %w", table, err)
	}
	raw := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	vals := make([][]byte, len(cols)-len(pk))
	var key strings.Builder
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("read %s: %w", table, err)
		}
		key.Reset()
		for i, c := range pk {
			if i > 0 {
				key.WriteByte(' ')
			}
			key.WriteString(c)
			key.WriteByte('=')
			if raw[i] == nil {
				key.WriteString("NULL")
			} else {
				key.Write(raw[i])
			}
		}
		for i := range vals {
			vals[i] = raw[len(pk)+i]
		}
		if err := fn(key.String(), vals); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s: %w", table, err)
	}
	return nil
}
