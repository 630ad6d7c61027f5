package wordpress

import (
	"bytes"
	"errors"
	"fmt"
	"sync/atomic"
)

// MaxExtras bounds the admin's extra find → replace pairs.
const MaxExtras = 20

// ErrExtra is wrapped when an extra replacement cannot be used.
var ErrExtra = errors.New("invalid extra replacement")

// Extra is one find → replace pair an admin adds besides the site URL: an old CDN host,
// the bare old domain in text, an old e-mail domain. It is applied literally (case
// sensitive) to every database value, after the URL rewrite, with the same
// serialized-safe handling: lengths of changed serialized strings are recomputed.
type Extra struct {
	Find    string `json:"find"`
	Replace string `json:"replace"`
}

// ExtraStats is how many times one extra pair was applied.
type ExtraStats struct {
	Find         string `json:"find"`
	Replace      string `json:"replace"`
	Replacements int64  `json:"replacements"`
}

type extra struct {
	find, repl []byte
	count      atomic.Int64
}

// CheckExtras returns an error naming the first unusable pair: an empty find, a pair
// that changes nothing, or more than MaxExtras pairs.
func CheckExtras(pairs []Extra) error {
	if len(pairs) > MaxExtras {
		return fmt.Errorf("%w: at most %d pairs", ErrExtra, MaxExtras)
	}
	for i, p := range pairs {
		switch {
		case p.Find == "":
			return fmt.Errorf("%w: pair %d has nothing to find", ErrExtra, i+1)
		case p.Find == p.Replace:
			return fmt.Errorf("%w: pair %d replaces %q with itself", ErrExtra, i+1, p.Find)
		case len(p.Find) > 500 || len(p.Replace) > 500:
			return fmt.Errorf("%w: pair %d is longer than 500 characters", ErrExtra, i+1)
		}
	}
	return nil
}

// SetExtras adds the admin's extra pairs to the rewrite. Call it before the first value.
func (r *Replacer) SetExtras(pairs []Extra) error {
	if err := CheckExtras(pairs); err != nil {
		return err
	}
	r.extras = r.extras[:0]
	for _, p := range pairs {
		r.extras = append(r.extras, &extra{find: []byte(p.Find), repl: []byte(p.Replace)})
	}
	return nil
}

// mayChange reports whether value holds the old host or an extra's find text: values
// holding none are passed through untouched.
func (r *Replacer) mayChange(value []byte) bool {
	if bytes.Contains(value, r.needle) {
		return true
	}
	for _, e := range r.extras {
		if bytes.Contains(value, e.find) {
			return true
		}
	}
	return false
}

// appendExtras applies the extra pairs to cur (text the URL rewrite already produced)
// and appends the result to dst; n counts the replacements (0: dst comes back as it was).
func (r *Replacer) appendExtras(dst, cur []byte) ([]byte, int) {
	n := 0
	for _, e := range r.extras {
		c := bytes.Count(cur, e.find)
		if c == 0 {
			continue
		}
		cur = bytes.ReplaceAll(cur, e.find, e.repl)
		e.count.Add(int64(c))
		n += c
	}
	if n == 0 {
		return dst, 0
	}
	return append(dst, cur...), n
}

// extraStats is the per-pair count for Stats.
func (r *Replacer) extraStats() []ExtraStats {
	out := make([]ExtraStats, 0, len(r.extras))
	for _, e := range r.extras {
		out = append(out, ExtraStats{Find: string(e.find), Replace: string(e.repl), Replacements: e.count.Load()})
	}
	return out
}
