package pipeline

import (
	"context"

	"ferry/backend/mysqldb"
	"ferry/backend/wordpress"
)

// readBack is what Validate reads of the destination database.
type readBack struct {
	counts        map[string]int64
	values        valueReport
	siteurl, home string
}

// readDestination reads back what Validate checks in the destination database: the rows
// per table, every value of the site's tables that can hold the old URL, every serialized
// value, and siteurl and home.
func readDestination(ctx context.Context, db *mysqldb.DB, res Results, rw *wordpress.Replacer) (readBack, error) {
	var rb readBack
	counts, err := mysqldb.CountRows(ctx, db)
	if err != nil {
		return rb, err
	}
	rb.counts = counts
	prefix := res.TablePrefix
	if prefix == "" {
		info, err := mysqldb.Inspect(ctx, db)
		if err != nil {
			return rb, err
		}
		prefix = info.TablePrefix
	}
	// Every table the migration put there is read back, whatever path led here: the
	// verdict is about what is at the destination now, not about what an import saw.
	schema, err := readSchema(ctx, db.SQL())
	if err != nil {
		return rb, err
	}
	rb.values, err = checkValues(ctx, db.SQL(), validationScope(res, prefix, counts), schema, rw, newKeptSet(res.Kept))
	if err != nil {
		return rb, err
	}
	q := "SELECT option_name, option_value FROM " + quoteIdent(prefix+"options") + " WHERE option_name IN ('siteurl','home')"
	rows, err := db.SQL().QueryContext(ctx, q)
	if err != nil {
		return rb, err
	}
	defer rows.Close()
	for rows.Next() {
		var n, v string
		if err := rows.Scan(&n, &v); err != nil {
			return rb, err
		}
		if n == "siteurl" {
			rb.siteurl = v
		} else {
			rb.home = v
		}
	}
	return rb, rows.Err()
}
