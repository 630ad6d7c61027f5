package pipeline

import (
	"fmt"
	"sort"
	"strings"

	"ferry/backend/wordpress"
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
