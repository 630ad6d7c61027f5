package pipeline

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"ferry/backend/wordpress"
	"ferry/backend/wordpress/phpserial"
)

// validateConns bounds the connections Validate reads the destination with at once. Over
// a slow link one query at a time leaves the link idle while the server scans, and the
// server's other cores idle too.
const validateConns = 4

// validatePart is about how many bytes of a table one query of the value scan reads: a
// bigger table is read in that many primary-key ranges at once (at most validateParts).
const (
	validatePart  = 24 << 20
	validateParts = 16
)

// checkValues reads back every value of the scope that can hold the old URL (the server
// filters on the bare old host, so only those rows cross the wire) and every serialized
// option and meta value, in one pass over each table. A value the import recorded as
// already broken on the source, still byte for byte as imported, is a warning; anything
// else holding the old URL, or not parsing, fails its check. Tables, and key ranges of big
// tables, are read on up to validateConns connections at once; the verdicts, counts and
// the first value named are those of reading the tables one after the other.
func checkValues(ctx context.Context, db *sql.DB, scope []string, schema map[string]*tableSchema, sizes map[string]int64, rw *wordpress.Replacer, kept keptSet) (valueReport, error) {
	parts, err := planScan(ctx, db, scope, schema, sizes, rw.Needle())
	if err != nil {
		return valueReport{}, err
	}
	tallies := make([]partTally, len(parts))
	order := make([]int, len(parts))
	for i := range order {
		order[i] = i
	}
	// The biggest first, so the last to finish is a small one.
	sort.SliceStable(order, func(a, b int) bool { return parts[order[a]].size > parts[order[b]].size })
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for range min(validateConns, len(parts)) {
		wg.Go(func() {
			for i := range next {
				tallies[i], errs[i] = readPart(ctx, db, parts[i], rw, kept)
				if errs[i] != nil {
					cancel()
				}
			}
		})
	}
feed:
	for _, i := range order {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	// The failure that stopped the others, not their being stopped.
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return valueReport{}, err
		}
	}
	if err := cmp.Or(errs...); err != nil {
		return valueReport{}, err
	}
	if err := ctx.Err(); err != nil {
		return valueReport{}, err
	}
	return mergeTallies(parts, tallies, rw.OldURL()), nil
}

// scanPart is one query of the value scan: a whole table, or one key range of it.
type scanPart struct {
	table string
	s     *tableSchema
	// ser are the indexes in s.text of the columns WordPress unserializes.
	ser   []int
	query string
	args  []any
	size  int64
}

// stageTally is what one part found for one check: n values failing it, kept values the
// import copied unchanged on purpose, the first failing value and the warnings, in the
// order the rows came.
type stageTally struct {
	n, kept  int
	first    *wordpress.ValueRef
	warnings []string
}

// partTally is what one part found: the old-URL tally and, per serialized column, the
// number of serialized values and their tally.
type partTally struct {
	url   stageTally
	total []int
	ser   []stageTally
}

// planScan builds the queries of the value scan: per table of the scope with text, one
// query selecting the rows where a text column holds the old host or a serialized column
// starts with a serialize() type tag. A table bigger than validatePart with one integer
// key is cut into key ranges.
func planScan(ctx context.Context, db *sql.DB, scope []string, schema map[string]*tableSchema, sizes map[string]int64, needle string) ([]scanPart, error) {
	var tables []string
	splits := map[string]int{}
	for _, t := range scope {
		s := schema[t]
		if s == nil || len(s.text) == 0 {
			continue
		}
		tables = append(tables, t)
		if n := min(validateParts, int(sizes[t]/validatePart)+1); n > 1 && s.intPK {
			splits[t] = n
		}
	}
	bounds, err := keyBounds(ctx, db, tables, schema, splits)
	if err != nil {
		return nil, err
	}
	ascii := isASCII(needle)
	var parts []scanPart
	for _, t := range tables {
		s := schema[t]
		sel := make([]string, 0, len(s.pk)+len(s.text)+2)
		for _, c := range s.pk {
			sel = append(sel, quoteIdent(c))
		}
		var ser []int
		for _, c := range serializedColumns {
			if i := slices.Index(s.text, c); i >= 0 {
				ser = append(ser, i)
			}
		}
		var conds []string
		var selArgs, args []any
		pat := likePattern(needle)
		for i, c := range s.text {
			// A byte search is much cheaper for the server than a collation-aware one,
			// and finds every value holding the host's bytes as Ferry reads them. Its
			// pattern is a hex literal: a query without arguments needs no prepared
			// statement, one round trip fewer.
			cond := quoteIdent(c) + " LIKE CAST(X'" + hex.EncodeToString([]byte(pat)) + "' AS BINARY) ESCAPE '!'"
			if !ascii || s.wide[i] {
				cond = quoteIdent(c) + " LIKE ? ESCAPE '!'"
				args = append(args, pat)
			}
			conds = append(conds, cond)
			if len(ser) == 0 || slices.Contains(ser, i) {
				sel = append(sel, quoteIdent(c))
				continue
			}
			// A row read for its serialized value alone does not carry the other
			// columns: without the host they cannot hold the old URL.
			sel = append(sel, "IF("+cond+", "+quoteIdent(c)+", NULL)")
			if strings.Contains(cond, "?") {
				selArgs = append(selArgs, pat)
			}
		}
		for _, i := range ser {
			sel = append(sel, "("+serializedFilter(s.text[i])+")")
			conds = append(conds, serializedFilter(s.text[i]))
		}
		args = append(selArgs, args...)
		q := "SELECT " + strings.Join(sel, ", ") + " FROM " + quoteIdent(t) + " WHERE (" + strings.Join(conds, " OR ") + ")"
		b := bounds[t]
		if len(b) == 0 {
			parts = append(parts, scanPart{table: t, s: s, ser: ser, query: q, args: args, size: sizes[t]})
			continue
		}
		k := quoteIdent(s.pk[0])
		for i := 0; i <= len(b); i++ {
			pq := q
			if i > 0 {
				pq += " AND " + k + " >= " + strconv.FormatInt(b[i-1], 10)
			}
			if i < len(b) {
				pq += " AND " + k + " < " + strconv.FormatInt(b[i], 10)
			}
			parts = append(parts, scanPart{table: t, s: s, ser: ser, query: pq, args: args, size: sizes[t] / int64(len(b)+1)})
		}
	}
	return parts, nil
}

// keyBounds reads the smallest and largest key of each table of splits, in one query,
// and returns the n-1 keys that cut its range in n equal spans. The first and last parts
// are open-ended, so every row is read whatever the bounds.
func keyBounds(ctx context.Context, db *sql.DB, tables []string, schema map[string]*tableSchema, splits map[string]int) (map[string][]int64, error) {
	out := map[string][]int64{}
	var names, sel []string
	for _, t := range tables {
		if splits[t] == 0 {
			continue
		}
		k := quoteIdent(schema[t].pk[0])
		sel = append(sel, "SELECT "+strconv.Itoa(len(names))+", MIN("+k+"), MAX("+k+") FROM "+quoteIdent(t))
		names = append(names, t)
	}
	if len(names) == 0 {
		return out, nil
	}
	rows, err := db.QueryContext(ctx, strings.Join(sel, " UNION ALL "))
	if err != nil {
		return nil, fmt.Errorf("read the key range of %s: %w", names[0], err)
	}
	defer rows.Close()
	for rows.Next() {
		var i int
		var lo, hi sql.NullString
		if err := rows.Scan(&i, &lo, &hi); err != nil {
			return nil, fmt.Errorf("read the key range of %s: %w", names[0], err)
		}
		a, aerr := strconv.ParseInt(lo.String, 10, 64)
		b, berr := strconv.ParseInt(hi.String, 10, 64)
		if i < 0 || i >= len(names) || aerr != nil || berr != nil || b <= a {
			continue // empty, or keys beyond int64: read whole
		}
		n := splits[names[i]]
		span := uint64(b - a)
		if span < uint64(n) {
			continue
		}
		cuts := make([]int64, n-1)
		for j := range cuts {
			cuts[j] = a + int64(span/uint64(n)*uint64(j+1))
		}
		out[names[i]] = cuts
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the key range of %s: %w", names[0], err)
	}
	return out, nil
}

// readPart runs one part and tallies its rows.
func readPart(ctx context.Context, db *sql.DB, p scanPart, rw *wordpress.Replacer, kept keptSet) (partTally, error) {
	pt := partTally{total: make([]int, len(p.ser)), ser: make([]stageTally, len(p.ser))}
	s := p.s
	warn := func(st *stageTally, key, column string, v []byte) {
		w := keptWarning(p.table, key, column, rw.OldURL(), rw.HasOldURL(v))
		if !slices.Contains(st.warnings, w) {
			st.warnings = append(st.warnings, w)
		}
	}
	err := streamRows(ctx, db, p.table, p.query, p.args, s.pk, func(key string, vals [][]byte) error {
		// The old URL, in every text column.
		for i, v := range vals[:len(s.text)] {
			if v == nil || !rw.HasOldURL(v) {
				continue
			}
			if kept.has(p.table, s.text[i], key, v) {
				pt.url.kept++
				warn(&pt.url, key, s.text[i], v)
				continue
			}
			if pt.url.first == nil {
				pt.url.first = &wordpress.ValueRef{Table: p.table, Column: s.text[i], Key: key}
			}
			pt.url.n++
		}
		// Serialized values, where WordPress unserializes them: those the server found
		// starting with a type tag (the flag after the text columns).
		for j, i := range p.ser {
			if f := vals[len(s.text)+j]; len(f) != 1 || f[0] != '1' || vals[i] == nil {
				continue
			}
			raw, c, st := vals[i], s.text[i], &pt.ser[j]
			v := bytes.TrimSpace(raw)
			if !phpserial.LooksSerialized(v) {
				continue
			}
			pt.total[j]++
			if phpserial.Valid(v) {
				continue
			}
			if kept.has(p.table, c, key, raw) {
				st.kept++
				warn(st, key, c, raw)
				continue
			}
			if st.first == nil {
				st.first = &wordpress.ValueRef{Table: p.table, Column: c, Key: key}
			}
			st.n++
		}
		return nil
	})
	return pt, err
}

// mergeTallies adds up the parts as if each table had been read whole, one after the
// other in scope order: first its old-URL values, then each serialized column's values.
func mergeTallies(parts []scanPart, tallies []partTally, oldURL string) valueReport {
	var rep valueReport
	seen := map[string]bool{}
	var total int
	var url, ser stageTally
	add := func(dst *stageTally, st stageTally) {
		if dst.first == nil && st.first != nil {
			dst.first = st.first
		}
		dst.n += st.n
		dst.kept += st.kept
		for _, w := range st.warnings {
			if !seen[w] {
				seen[w] = true
				rep.warnings = append(rep.warnings, w)
			}
		}
	}
	for lo := 0; lo < len(parts); {
		hi := lo + 1
		for hi < len(parts) && parts[hi].table == parts[lo].table {
			hi++
		}
		for i := lo; i < hi; i++ {
			add(&url, tallies[i].url)
		}
		for j := range parts[lo].ser {
			for i := lo; i < hi; i++ {
				total += tallies[i].total[j]
				add(&ser, tallies[i].ser[j])
			}
		}
		lo = hi
	}
	deref := func(r *wordpress.ValueRef) wordpress.ValueRef {
		if r == nil {
			return wordpress.ValueRef{}
		}
		return *r
	}
	rep.serialized = serializedCheck(total, ser.n, ser.kept, deref(ser.first))
	rep.oldURL = oldURLCheck(oldURL, url.n, url.kept, deref(url.first))
	return rep
}

// isASCII reports whether s is plain ASCII.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
