package wordpress

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"

	"ferry/backend/wordpress/phpserial"
)

// ErrInvalidURL is wrapped when a site URL given to NewReplacer cannot be used.
var ErrInvalidURL = errors.New("invalid site URL")

// maxBrokenSamples bounds the list of damaged columns kept for the report.
const maxBrokenSamples = 20

// Replacer rewrites the old site URL to the new one inside database values as they
// stream into the destination. It is safe for concurrent use by several import workers.
//
// What it rewrites, in plain text, JSON with escaped slashes (http:\/\/old.test, as
// Elementor and the block editor store it) and URL-encoded text (http%3A%2F%2Fold.test,
// upper or lower case hex):
//   - http://old.test and https://old.test become the new URL, scheme included, so a
//     site moving to https has no mixed content left;
//   - protocol-relative //old.test becomes //new-host/new-path;
//   - www.old.test is treated as old.test (and the other way round);
//   - a trailing slash or any path, query or fragment after the site URL is kept;
//   - when the old site lives in a subfolder (http://old.test/wp), only URLs under that
//     folder are rewritten: the rest of the old host is another site.
//
// What it leaves alone, on purpose:
//   - another host that merely contains the old one: bold.test, old.testing.com,
//     old.test.example.com, cdn.old.test;
//   - the old host with a different port (old.test:8080 when the old URL has none): it is
//     another service on that machine, not this site;
//   - the host without "//" in front (admin@old.test, plain-text mentions): e-mail usually
//     stays where it is when a site moves, and prose is the author's to change;
//   - other schemes (ftp://old.test) and upper-case spellings (HTTP://OLD.TEST), which
//     WordPress itself never writes.
//
// Serialized PHP values are parsed and every changed string gets its length
// recomputed, recursively through serialized-inside-serialized strings. A value that
// WordPress would unserialize but whose lengths are already wrong is returned
// unchanged byte for byte and counted in Stats as broken.
type Replacer struct {
	oldURL  string
	needle  []byte // the old host without "www.", present in every form
	oldPort string
	oldPath string // without trailing slash; "" at the root
	forms   []form
	extras  []*extra // the admin's extra pairs (extras.go)

	mu      sync.Mutex
	columns map[column]*ColumnStats
	last    *ColumnStats // the column counted last: rows of one table come in a run
	broken  int64
	samples []string
	// onBroken, when set (OnBroken), hears of each damaged serialized value.
	onBroken func(table, column string, value []byte)
}

// form is one way a URL is written: its slash and colon spelled as plain text, JSON or
// URL-encoding, with the replacement text precomputed in that spelling.
type form struct {
	slash, colon []byte
	full         []byte // the new URL with its scheme
	rel          []byte // "//host/path" of the new URL
	port         []byte // ":8080" of the old URL, when it has one
	path         []byte // "/wp" of the old URL, when it has one
}

type column struct{ table, name string }

// ColumnStats counts what the Replacer changed in one table column.
type ColumnStats struct {
	Table  string `json:"table"`
	Column string `json:"column"`
	// Values is how many values (cells) changed.
	Values int64 `json:"values"`
	// Replacements is how many URLs were rewritten in them.
	Replacements int64 `json:"replacements"`
}

// Stats is what the Replacer did so far, for the migration report.
type Stats struct {
	Values       int64         `json:"values"`
	Replacements int64         `json:"replacements"`
	Columns      []ColumnStats `json:"columns"` // sorted by table then column
	// Broken counts serialized values that were already damaged before the migration
	// and were therefore copied unchanged, old URL included.
	Broken int64 `json:"broken"`
	// BrokenSamples names up to 20 distinct "table.column" holding broken values.
	BrokenSamples []string `json:"brokenSamples"`
	// Extras counts each of the admin's extra find → replace pairs (also in Replacements).
	Extras []ExtraStats `json:"extras,omitempty"`
}

// NewReplacer prepares the rewrite of oldURL (the source site's URL, for example
// "http://old.test") to newURL. Both must be absolute http or https URLs without
// query, fragment or credentials; a trailing slash is ignored.
func NewReplacer(oldURL, newURL string) (*Replacer, error) {
	o, err := parseSiteURL(oldURL)
	if err != nil {
		return nil, fmt.Errorf("old URL: %w", err)
	}
	n, err := parseSiteURL(newURL)
	if err != nil {
		return nil, fmt.Errorf("new URL: %w", err)
	}
	if o.String() == n.String() {
		return nil, fmt.Errorf("%w: old and new URL are the same (%s)", ErrInvalidURL, o.String())
	}
	host := strings.TrimPrefix(o.Hostname(), "www.")
	r := &Replacer{
		oldURL:  o.String(),
		needle:  []byte(host),
		oldPort: o.Port(),
		oldPath: o.Path,
		columns: map[column]*ColumnStats{},
	}
	spellings := []struct{ slash, colon string }{
		{"/", ":"}, {`\/`, ":"}, {"%2F", "%3A"}, {"%2f", "%3a"},
	}
	enc := func(s, slash, colon string) []byte {
		s = strings.ReplaceAll(s, "/", slash)
		return []byte(strings.ReplaceAll(s, ":", colon))
	}
	for _, sp := range spellings {
		f := form{
			slash: []byte(sp.slash),
			colon: []byte(sp.colon),
			full:  enc(n.String(), sp.slash, sp.colon),
			rel:   enc("//"+n.Host+n.Path, sp.slash, sp.colon),
			path:  enc(o.Path, sp.slash, sp.colon),
		}
		if r.oldPort != "" {
			f.port = enc(":"+r.oldPort, sp.slash, sp.colon)
		}
		r.forms = append(r.forms, f)
	}
	return r, nil
}

// parseSiteURL checks and normalises a site URL: lower-case scheme and host, no
// trailing slash.
func parseSiteURL(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("%w: %q is not a URL", ErrInvalidURL, s)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("%w: %q must start with http:// or https://", ErrInvalidURL, s)
	case u.Hostname() == "":
		return nil, fmt.Errorf("%w: %q has no host name", ErrInvalidURL, s)
	case u.User != nil:
		return nil, fmt.Errorf("%w: a site URL cannot hold a user name or password", ErrInvalidURL)
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return nil, fmt.Errorf("%w: %q must not have a query or fragment", ErrInvalidURL, s)
	case strings.ContainsAny(u.Path, `"'\ %`):
		return nil, fmt.Errorf("%w: %q has characters a site path cannot hold", ErrInvalidURL, s)
	}
	u.Host = strings.ToLower(u.Host)
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// Needles returns byte strings of which every value the Replacer could change holds at
// least one: the bare old host, which is spelled the same in plain text, JSON and
// URL-encoding. The import stream skips values holding none without calling
// RewriteString.
func (r *Replacer) Needles() [][]byte {
	out := [][]byte{bytes.Clone(r.needle)}
	for _, e := range r.extras {
		out = append(out, bytes.Clone(e.find))
	}
	return out
}

// RewriteString rewrites one database value (the unescaped content of one SQL string
// literal) of table.column and reports whether it changed. value is never modified; a
// broken serialized value comes back as is and is counted in Stats.
func (r *Replacer) RewriteString(table, col string, value []byte) ([]byte, bool) {
	out, changed := r.AppendRewriteString(nil, table, col, value)
	if !changed {
		return value, false
	}
	return out, true
}

// AppendRewriteString is RewriteString that appends the new value to dst, so the import
// stream can reuse one buffer for every value. When the value does not change it returns
// dst as it was and false.
func (r *Replacer) AppendRewriteString(dst []byte, table, col string, value []byte) ([]byte, bool) {
	if !r.mayChange(value) {
		return dst, false
	}
	out, n, broken := r.appendRewrite(dst, value)
	if broken {
		r.mu.Lock()
		r.broken++
		key := table + "." + col
		if len(r.samples) < maxBrokenSamples && !containsString(r.samples, key) {
			r.samples = append(r.samples, key)
		}
		hook := r.onBroken
		r.mu.Unlock()
		if hook != nil {
			hook(table, col, value)
		}
		return dst, false
	}
	if n == 0 {
		return dst, false
	}
	r.mu.Lock()
	c := r.last
	if c == nil || c.Table != table || c.Column != col {
		c = r.columns[column{table, col}]
		if c == nil {
			c = &ColumnStats{Table: table, Column: col}
			r.columns[column{table, col}] = c
		}
		r.last = c
	}
	c.Values++
	c.Replacements += int64(n)
	r.mu.Unlock()
	return out, true
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Rewrite rewrites one value without counting it: the result, how many URLs were
// rewritten, and whether the value is a damaged serialized value (then out is value).
func (r *Replacer) Rewrite(value []byte) (out []byte, n int, broken bool) {
	if !r.mayChange(value) {
		return value, 0, false
	}
	out, n, broken = r.appendRewrite(nil, value)
	if n == 0 {
		return value, 0, broken
	}
	return out, n, false
}

// Stats returns a snapshot of the counts so far.
func (r *Replacer) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := Stats{Broken: r.broken, BrokenSamples: append([]string(nil), r.samples...)}
	if len(r.extras) > 0 {
		s.Extras = r.extraStats()
	}
	for _, c := range r.columns {
		s.Columns = append(s.Columns, *c)
		s.Values += c.Values
		s.Replacements += c.Replacements
	}
	sort.Slice(s.Columns, func(i, j int) bool {
		a, b := s.Columns[i], s.Columns[j]
		if a.Table != b.Table {
			return a.Table < b.Table
		}
		return a.Column < b.Column
	})
	return s
}

// appendRewrite appends one value, rewritten, to dst: serialized values structurally,
// anything else as text. It returns how many URLs it rewrote and whether the value is a
// damaged serialized value; when it rewrote none, dst comes back as it was.
func (r *Replacer) appendRewrite(dst, b []byte) ([]byte, int, bool) {
	if !phpserial.LooksSerialized(b) {
		out, n := r.appendText(dst, b)
		return out, n, false
	}
	// WordPress trims before deciding but PHP reads the value as stored: keep any
	// surrounding whitespace exactly and rewrite what lies inside it.
	lo, hi := 0, len(b)
	for lo < hi && isTrimmed(b[lo]) {
		lo++
	}
	for hi > lo && isTrimmed(b[hi-1]) {
		hi--
	}
	pass := passPool.Get().(*serialPass)
	pass.r, pass.total, pass.broken = r, 0, false
	out, changed, err := phpserial.AppendRewrite(append(dst, b[:lo]...), b[lo:hi], pass.fn)
	total, broken := pass.total, pass.broken || err != nil
	pass.r = nil
	if cap(pass.scratch) <= 1<<20 {
		passPool.Put(pass)
	}
	if broken {
		return dst, 0, true
	}
	if !changed {
		return dst, 0, false
	}
	return append(out, b[hi:]...), total, false
}

// serialPass carries one serialized value's rewrite through phpserial.AppendRewrite: how
// many URLs changed, whether a nested serialized string was damaged, and the buffer each
// rewritten string is built in (phpserial copies it before the next call).
type serialPass struct {
	r       *Replacer
	total   int
	broken  bool
	scratch []byte
	fn      phpserial.RewriteFunc
}

var passPool sync.Pool

func init() {
	passPool.New = func() any {
		p := &serialPass{}
		p.fn = p.rewriteString
		return p
	}
}

// rewriteString rewrites one string of a serialized value, recursing into strings that
// are serialized themselves.
func (p *serialPass) rewriteString(s []byte) ([]byte, bool) {
	if p.broken || !p.r.mayChange(s) {
		return s, false
	}
	out, n, broken := p.r.appendRewrite(p.scratch[:0], s)
	if broken {
		p.broken = true
		return s, false
	}
	if n == 0 {
		return s, false
	}
	p.scratch = out
	p.total += n
	return out, true
}

func isTrimmed(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0 || c == '\v'
}

// appendText appends b to dst with every URL of the old site rewritten, in plain, JSON or
// URL-encoded text, then the admin's extra pairs applied, and says how many replacements
// it made; when none, dst comes back as it was.
func (r *Replacer) appendText(dst, b []byte) ([]byte, int) {
	out, n := r.appendURLs(dst, b)
	if len(r.extras) == 0 {
		return out, n
	}
	cur := b
	if n > 0 {
		cur = out[len(dst):]
	}
	res, m := r.appendExtras(dst[:len(dst):len(dst)], cur)
	if m == 0 {
		return out, n
	}
	return res, n + m
}

// appendURLs is appendText for the old site's URLs alone.
func (r *Replacer) appendURLs(dst, b []byte) ([]byte, int) {
	out := dst
	n, last, i := 0, 0, 0
	for {
		j := bytes.Index(b[i:], r.needle)
		if j < 0 {
			break
		}
		j += i
		start, end, repl, ok := r.matchAt(b, j)
		if !ok {
			i = j + 1
			continue
		}
		if n == 0 && cap(out)-len(out) < len(b)+64 {
			out = append(make([]byte, 0, len(out)+len(b)+len(b)/4+64), out...)
		}
		out = append(out, b[last:start]...)
		out = append(out, repl...)
		last, i = end, end
		n++
	}
	if n == 0 {
		return dst, 0
	}
	return append(out, b[last:]...), n
}

// hasOldURL reports whether b holds a URL of the old site that appendText would rewrite.
func (r *Replacer) hasOldURL(b []byte) bool {
	for i := 0; ; {
		j := bytes.Index(b[i:], r.needle)
		if j < 0 {
			return false
		}
		if _, _, _, ok := r.matchAt(b, i+j); ok {
			return true
		}
		i += j + 1
	}
}

// matchAt decides whether the bare old host found at b[j:] is part of a URL of the
// old site and, if so, which bytes b[start:end] to replace with repl.
func (r *Replacer) matchAt(b []byte, j int) (start, end int, repl []byte, ok bool) {
	for _, hostStart := range [2]int{j - 4, j} {
		if hostStart < 1 || (hostStart == j-4 && !bytes.Equal(b[j-4:j], []byte("www."))) {
			continue
		}
		// Every spelling of "//" ends in '/', 'F' or 'f': most hosts found in text
		// (e-mail addresses, bold.test) stop here.
		if c := b[hostStart-1]; c != '/' && c != 'F' && c != 'f' {
			continue
		}
		for fi := range r.forms {
			f := &r.forms[fi]
			sepStart := hostStart - 2*len(f.slash)
			if sepStart < 0 || !bytes.Equal(b[sepStart:sepStart+len(f.slash)], f.slash) ||
				!bytes.Equal(b[sepStart+len(f.slash):hostStart], f.slash) {
				continue
			}
			end, ok := r.matchTail(b, j+len(r.needle), f)
			if !ok {
				return 0, 0, nil, false
			}
			before := b[:sepStart]
			if s, ok := schemeStart(before, f.colon); ok {
				return s, end, f.full, true
			}
			if bytes.HasSuffix(before, f.colon) {
				return 0, 0, nil, false // another scheme: ftp://old.test is not the site
			}
			return sepStart, end, f.rel, true
		}
	}
	return 0, 0, nil, false
}

// schemeStart finds "http:" or "https:" (colon spelled per form) right before the slashes.
func schemeStart(before, colon []byte) (int, bool) {
	if !bytes.HasSuffix(before, colon) {
		return 0, false
	}
	s := before[:len(before)-len(colon)]
	switch {
	case bytes.HasSuffix(s, []byte("https")):
		return len(s) - 5, true
	case bytes.HasSuffix(s, []byte("http")):
		return len(s) - 4, true
	}
	return 0, false
}

// matchTail checks what follows the host: the old port if any (and no other port), the
// old subfolder if any, then a byte that ends the host or path. It returns where the
// match ends.
func (r *Replacer) matchTail(b []byte, k int, f *form) (int, bool) {
	if k < len(b) {
		c := b[k]
		if isHostByte(c) || c == '@' {
			return 0, false
		}
		// "old.test." ends a sentence; "old.test.example.com" is another host.
		if c == '.' && k+1 < len(b) && (isHostByte(b[k+1]) || b[k+1] == '.') {
			return 0, false
		}
	}
	if f.port != nil {
		if !bytes.HasPrefix(b[k:], f.port) {
			return 0, false
		}
		k += len(f.port)
		if k < len(b) && b[k] >= '0' && b[k] <= '9' {
			return 0, false
		}
	} else if bytes.HasPrefix(b[k:], f.colon) {
		if p := k + len(f.colon); p < len(b) && b[p] >= '0' && b[p] <= '9' {
			return 0, false
		}
	}
	if len(f.path) > 0 {
		if !bytes.HasPrefix(b[k:], f.path) {
			return 0, false
		}
		k += len(f.path)
		// /wp must not match /wpx or /wp.old; "/wp." may end a sentence.
		if k < len(b) && (isHostByte(b[k]) || b[k] == '~' ||
			b[k] == '.' && k+1 < len(b) && (isHostByte(b[k+1]) || b[k+1] == '.')) {
			return 0, false
		}
	}
	return k, true
}

// isHostByte reports bytes that continue a host name or path segment.
func isHostByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}
