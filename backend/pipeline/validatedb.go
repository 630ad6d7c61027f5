package pipeline

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strings"

	"ferry/backend/wordpress"
	"ferry/backend/wordpress/phpserial"
)

// serializedColumns are the columns WordPress unserializes: options and every *meta table,
// a plugin's own included, whatever the table prefix.
var serializedColumns = []string{"option_value", "meta_value"}

// validationScope is every table of the destination the site is made of: the tables any
// attempt of the import created, the tables the dump holds, those a resumed import skipped
// as done, and every table with the WordPress prefix (WordPress reads those whoever put
// them there, such as a table kept by Overwrite). The scope is the same whether the
// migration ran fresh, was resumed or went through the manual route, so a retry is judged
// exactly as a fresh run is. Other tables of a shared database are not the site. With
// nothing recorded and no prefix known (results from an older Ferry), every table is read.
func validationScope(res Results, prefix string, counts map[string]int64) []string {
	want := map[string]bool{}
	for _, t := range res.CreatedTables {
		want[t] = true
	}
	for _, t := range res.ImportedTables {
		want[t] = true
	}
	for t := range res.SourceRows {
		want[t] = true
	}
	var out []string
	for t := range counts {
		if want[t] || prefix != "" && strings.HasPrefix(t, prefix) || len(want) == 0 && prefix == "" {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}

// valueReport is what Validate found reading the values of the scope back.
type valueReport struct {
	serialized, oldURL wordpress.Check
	// warnings name each value the import kept unchanged on purpose, once.
	warnings []string
}

// checkValues reads back every value of the scope that can hold the old URL (the server
// filters on the bare old host, so only those rows cross the wire) and every serialized
// option and meta value. A value the import recorded as already broken on the source,
// still byte for byte as imported, is a warning; anything else holding the old URL, or
// not parsing, fails its check.
func checkValues(ctx context.Context, db *sql.DB, scope []string, schema map[string]*tableSchema, rw *wordpress.Replacer, kept keptSet) (valueReport, error) {
	var rep valueReport
	seen := map[string]bool{}
	warn := func(table, key, column string, v []byte) {
		w := keptWarning(table, key, column, rw.OldURL(), rw.HasOldURL(v))
		if !seen[w] {
			seen[w] = true
			rep.warnings = append(rep.warnings, w)
		}
	}
	var total, bad, badKept, left, leftKept int
	var firstBad, firstLeft wordpress.ValueRef
	for _, t := range scope {
		s := schema[t]
		if s == nil || len(s.text) == 0 {
			continue
		}
		// The old URL, in every text column.
		err := scanRows(ctx, db, t, s.pk, s.text, likeAny(s.text), likeArgs(s.text, rw.Needle()), func(key string, vals [][]byte) error {
			for i, v := range vals {
				if v == nil || !rw.HasOldURL(v) {
					continue
				}
				if kept.has(t, s.text[i], key, v) {
					leftKept++
					warn(t, key, s.text[i], v)
					continue
				}
				if left == 0 {
					firstLeft = wordpress.ValueRef{Table: t, Column: s.text[i], Key: key}
				}
				left++
			}
			return nil
		})
		if err != nil {
			return rep, err
		}
		// Serialized values, where WordPress unserializes them.
		for _, c := range serializedColumns {
			if !slices.Contains(s.text, c) {
				continue
			}
			err := scanRows(ctx, db, t, s.pk, []string{c}, serializedFilter(c), nil, func(key string, vals [][]byte) error {
				v := bytes.TrimSpace(vals[0])
				if !phpserial.LooksSerialized(v) {
					return nil
				}
				total++
				if phpserial.Valid(v) {
					return nil
				}
				if kept.has(t, c, key, vals[0]) {
					badKept++
					warn(t, key, c, vals[0])
					return nil
				}
				if bad == 0 {
					firstBad = wordpress.ValueRef{Table: t, Column: c, Key: key}
				}
				bad++
				return nil
			})
			if err != nil {
				return rep, err
			}
		}
	}
	rep.serialized = serializedCheck(total, bad, badKept, firstBad)
	rep.oldURL = oldURLCheck(rw.OldURL(), left, leftKept, firstLeft)
	return rep, nil
}

// serializedCheck words the serialized-values check: total values read, bad that do not
// parse (the migration's fault), kept that do not parse but were broken on the source.
func serializedCheck(total, bad, kept int, first wordpress.ValueRef) wordpress.Check {
	c := wordpress.Check{Name: wordpress.CheckSerialized}
	keptNote := ""
	if kept > 0 {
		keptNote = fmt.Sprintf("; %d %s already broken on the source and copied unchanged (see the warnings)", kept, wasWere(kept))
	}
	if bad > 0 {
		c.Message = fmt.Sprintf("%d of %d serialized values do not parse, the first in %s%s.", bad, total, first, keptNote)
		return c
	}
	c.OK = true
	switch {
	case total == 0:
		c.Message = "No serialized values to check."
	case kept > 0:
		c.Message = fmt.Sprintf("%d of %d serialized values parse%s.", total-kept, total, keptNote)
	case total == 1:
		c.Message = "The one serialized value parses."
	default:
		c.Message = fmt.Sprintf("All %d serialized values parse.", total)
	}
	return c
}

// oldURLCheck words the old-URL check: left values still hold the old URL through no fault
// of the source, kept ones are broken values the import had to copy unchanged.
func oldURLCheck(oldURL string, left, kept int, first wordpress.ValueRef) wordpress.Check {
	c := wordpress.Check{Name: wordpress.CheckOldURL}
	keptNote := ""
	if kept > 0 {
		keptNote = fmt.Sprintf(" (except %d %s already broken on the source and copied unchanged: see the warnings)", kept, valueValues(kept))
	}
	if left > 0 {
		n := "values still link"
		if left == 1 {
			n = "value still links"
		}
		c.Message = fmt.Sprintf("%d %s to the old URL %s, the first in %s%s.", left, n, oldURL, first, keptNote)
		return c
	}
	c.OK = true
	c.Message = fmt.Sprintf("No value links to the old URL %s any more%s.", oldURL, keptNote)
	return c
}

func wasWere(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}

func valueValues(n int) string {
	if n == 1 {
		return "value"
	}
	return "values"
}
