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
	rows, err := db.QueryContext(ctx, "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION")
	if err != nil {
		return nil, fmt.Errorf("read the columns of the tables: %w", err)
	}
	for rows.Next() {
		var t, c, typ string
		if err := rows.Scan(&t, &c, &typ); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read the columns of the tables: %w", err)
		}
		s := get(t)
		if textTypes[strings.ToLower(typ)] {
			s.text = append(s.text, c)
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
	return out, nil
}

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
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("read %s: %w", table, err)
	}
	defer rows.Close()
	raw := make([]sql.RawBytes, len(sel))
	ptrs := make([]any, len(sel))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	vals := make([][]byte, len(cols))
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
		for i := range cols {
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
