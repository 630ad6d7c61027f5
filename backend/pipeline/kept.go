package pipeline

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
)

// KeptValue is one database value the import copied unchanged on purpose: a serialized
// value that was already broken on the source, which no rewrite can fix without guessing.
// Import records it; Validate reports it as a warning instead of a failure, on every run,
// resumed or not, because the record is kept with the migration's results.
type KeptValue struct {
	Table  string `json:"table"`
	Column string `json:"column"`
	// Key names the row by its primary key ("option_id=42"); "" when the table has none
	// or the row could not be found again.
	Key string `json:"key,omitempty"`
	// SHA256 is the hash of the value as imported: Validate excuses the value only while
	// it is still exactly that.
	SHA256 string `json:"sha256"`
}

// maxKept bounds how many kept values one import records; more are counted in the log.
const maxKept = 1000

// keptRecorder collects what the Replacer reports as broken while rows stream in. It is
// called from several import workers at once.
type keptRecorder struct {
	// persist, when set, records each value with the migration as soon as it is seen,
	// before its row is committed: a crash mid-import cannot lose the record of a value
	// in a table a retry will skip. The row is named once the import ends (resolve).
	persist func(KeptValue)

	mu       sync.Mutex
	vals     []KeptValue
	overflow int64
}

func (k *keptRecorder) add(table, column string, value []byte) {
	sum := sha256.Sum256(value)
	v := KeptValue{Table: table, Column: column, SHA256: hex.EncodeToString(sum[:])}
	k.mu.Lock()
	if len(k.vals) >= maxKept {
		k.overflow++
		k.mu.Unlock()
		return
	}
	k.vals = append(k.vals, v)
	k.mu.Unlock()
	if k.persist != nil {
		k.persist(v)
	}
}

// resolve names the row of each recorded value in tables (the tables committed whole; the
// rest were dropped), reading the destination: the import sees values, not rows.
func (k *keptRecorder) resolve(ctx context.Context, db *sql.DB, tables []string, needle string) ([]KeptValue, error) {
	k.mu.Lock()
	vals := append([]KeptValue(nil), k.vals...)
	k.mu.Unlock()
	type tc struct{ table, column string }
	groups := map[tc]map[string]int{} // hash -> how many values of that hash were seen
	for _, v := range vals {
		if !slices.Contains(tables, v.Table) {
			continue
		}
		g := groups[tc{v.Table, v.Column}]
		if g == nil {
			g = map[string]int{}
			groups[tc{v.Table, v.Column}] = g
		}
		g[v.SHA256]++
	}
	if len(groups) == 0 {
		return nil, nil
	}
	schema, err := readSchema(ctx, db)
	if err != nil {
		return nil, err
	}
	var out []KeptValue
	for g, hashes := range groups {
		found := map[string]int{}
		s := schema[g.table]
		if s != nil && len(s.pk) > 0 {
			cols := []string{g.column}
			err := scanRows(ctx, db, g.table, s.pk, cols, likeAny(cols), likeArgs(cols, needle),
				func(key string, vals [][]byte) error {
					sum := sha256.Sum256(vals[0])
					h := hex.EncodeToString(sum[:])
					if hashes[h] > 0 {
						out = append(out, KeptValue{Table: g.table, Column: g.column, Key: key, SHA256: h})
						found[h]++
					}
					return nil
				})
			if err != nil {
				return nil, err
			}
		}
		for h, n := range hashes {
			for i := found[h]; i < n; i++ {
				out = append(out, KeptValue{Table: g.table, Column: g.column, SHA256: h})
			}
		}
	}
	sortKept(out)
	return out, nil
}

// mergeKept replaces what earlier attempts recorded for the tables this attempt imported
// and keeps the rest (tables an earlier attempt committed and this one skipped).
func mergeKept(old, fresh []KeptValue, imported []string) []KeptValue {
	var out []KeptValue
	for _, v := range old {
		if !slices.Contains(imported, v.Table) {
			out = append(out, v)
		}
	}
	out = append(out, fresh...)
	sortKept(out)
	return out
}

func sortKept(v []KeptValue) {
	sort.SliceStable(v, func(i, j int) bool {
		a, b := v[i], v[j]
		if a.Table != b.Table {
			return a.Table < b.Table
		}
		if a.Key != b.Key {
			return a.Key < b.Key
		}
		return a.Column < b.Column
	})
}

// keptSet answers Validate's question: is this value one the import kept unchanged?
type keptSet struct {
	byKey   map[string]string // table, column, key -> hash
	keyless map[string]bool   // table, column, hash of values whose row was not found
}

func newKeptSet(vals []KeptValue) keptSet {
	s := keptSet{byKey: map[string]string{}, keyless: map[string]bool{}}
	for _, v := range vals {
		if v.Key == "" {
			s.keyless[v.Table+"\x00"+v.Column+"\x00"+v.SHA256] = true
		} else {
			s.byKey[v.Table+"\x00"+v.Column+"\x00"+v.Key] = v.SHA256
		}
	}
	return s
}

// has reports whether the value at table.column of row key is a recorded kept value,
// byte for byte as it was imported.
func (s keptSet) has(table, column, key string, value []byte) bool {
	if len(s.byKey) == 0 && len(s.keyless) == 0 {
		return false
	}
	sum := sha256.Sum256(value)
	h := hex.EncodeToString(sum[:])
	if want, ok := s.byKey[table+"\x00"+column+"\x00"+key]; ok {
		return want == h
	}
	return s.keyless[table+"\x00"+column+"\x00"+h]
}

// keptWarning is the sentence Validate's report shows for one kept value.
func keptWarning(table, key, column, oldURL string, holdsOldURL bool) string {
	where := table
	if key != "" {
		where += " " + key
	}
	w := fmt.Sprintf("%s %s: serialized value was already broken on the source; copied unchanged", where, column)
	if holdsOldURL {
		w += fmt.Sprintf(" (it still holds %s)", oldURL)
	}
	return w
}

// likePattern matches values containing s anywhere, with LIKE's wildcards in s escaped
// (by '!', see likeAny).
func likePattern(s string) string {
	r := strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")
	return "%" + r.Replace(s) + "%"
}

// likeArgs are the arguments of likeAny(cols) for values containing needle.
func likeArgs(cols []string, needle string) []any {
	args := make([]any, len(cols))
	for i := range args {
		args[i] = likePattern(needle)
	}
	return args
}

// likeAny is a WHERE clause true when any of cols matches its pattern argument.
func likeAny(cols []string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = quoteIdent(c) + " LIKE ? ESCAPE '!'"
	}
	return strings.Join(parts, " OR ")
}
