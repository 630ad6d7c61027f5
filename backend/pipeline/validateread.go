package pipeline

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

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
// value, and siteurl and home. The independent reads go at once, each on its own
// connection, so a slow link costs a few round trips rather than one per query.
func readDestination(ctx context.Context, db *mysqldb.DB, res Results, rw *wordpress.Replacer) (readBack, error) {
	var rb readBack
	prefix := res.TablePrefix
	if prefix == "" {
		info, err := mysqldb.Inspect(ctx, db)
		if err != nil {
			return rb, err
		}
		prefix = info.TablePrefix
	}
	var (
		schema map[string]*tableSchema
		sizes  map[string]int64
		errs   [4]error
		wg     sync.WaitGroup
		counts sync.WaitGroup
	)
	// Counting reads whole tables too: it runs beside the value scan.
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	counts.Go(func() { rb.counts, errs[0] = mysqldb.CountRows(cctx, db) })
	// Every table the migration put there is read back, whatever path led here: the
	// verdict is about what is at the destination now, not about what an import saw.
	wg.Go(func() { schema, errs[1] = readSchema(ctx, db.SQL()) })
	wg.Go(func() { sizes, errs[2] = tableSizes(ctx, db.SQL()) })
	wg.Go(func() { rb.siteurl, rb.home, errs[3] = readSiteURL(ctx, db.SQL(), prefix) })
	wg.Wait()
	err := cmp.Or(errs[1:]...)
	if err == nil {
		// sizes holds every base table, as the counts do.
		rb.values, err = checkValues(ctx, db.SQL(), validationScope(res, prefix, sizes), schema, sizes, rw, newKeptSet(res.Kept))
	}
	if err != nil {
		cancel()
	}
	counts.Wait()
	// The counts' own failure comes first, as when they were read first; not their
	// cancellation after a failed scan.
	if err == nil || errs[0] != nil && !errors.Is(errs[0], context.Canceled) {
		return rb, errs[0]
	}
	return rb, err
}

// readSiteURL reads the siteurl and home options.
func readSiteURL(ctx context.Context, db *sql.DB, prefix string) (siteurl, home string, err error) {
	q := "SELECT option_name, option_value FROM " + quoteIdent(prefix+"options") + " WHERE option_name IN ('siteurl','home')"
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return "", "", err
	}
	defer rows.Close()
	for rows.Next() {
		var n, v string
		if err := rows.Scan(&n, &v); err != nil {
			return "", "", err
		}
		if n == "siteurl" {
			siteurl = v
		} else {
			home = v
		}
	}
	return siteurl, home, rows.Err()
}

// tableSizes reads the server's estimate of the data size of each base table, in bytes.
func tableSizes(ctx context.Context, db *sql.DB) (map[string]int64, error) {
	rows, err := db.QueryContext(ctx, "SELECT TABLE_NAME, DATA_LENGTH FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'")
	if err != nil {
		return nil, fmt.Errorf("read the table sizes: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var t string
		var n sql.NullInt64
		if err := rows.Scan(&t, &n); err != nil {
			return nil, fmt.Errorf("read the table sizes: %w", err)
		}
		out[t] = n.Int64
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the table sizes: %w", err)
	}
	return out, nil
}
