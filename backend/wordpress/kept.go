package wordpress

import "bytes"

// OnBroken makes the Replacer call fn with each serialized value it copies unchanged
// because it was already damaged (the values Stats counts as Broken), so a caller can
// record exactly which values those were. fn may be called from several goroutines at
// once and must not keep value, which the caller reuses.
func (r *Replacer) OnBroken(fn func(table, column string, value []byte)) {
	r.mu.Lock()
	r.onBroken = fn
	r.mu.Unlock()
}

// OldURL returns the old site URL as the Replacer normalised it ("http://old.test").
func (r *Replacer) OldURL() string { return r.oldURL }

// Needle returns the bare old host that every value holding an old URL contains, in
// every spelling the Replacer knows (plain, JSON-escaped, URL-encoded).
func (r *Replacer) Needle() string { return string(r.needle) }

// HasOldURL reports whether v holds a URL of the old site in any form the Replacer
// rewrites: what OldURLLeft counts, one value at a time.
func (r *Replacer) HasOldURL(v []byte) bool {
	return bytes.Contains(v, r.needle) && r.hasOldURL(v)
}
