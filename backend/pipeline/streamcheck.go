package pipeline

import (
	"bytes"
	"sync"

	"ferry/backend/wordpress"
	"ferry/backend/wordpress/phpserial"
)

// StreamCheck is what Import found while the values streamed past the URL rewrite: the
// checks of Validate for every value the import touched, done once on the way in instead
// of reading the whole database back. Values the rewrite never saw hold no old URL and
// arrive byte for byte as they were on the source.
type StreamCheck struct {
	// Tables are the tables this import created and filled; Validate reads back only
	// the others (tables kept by Overwrite, or imported by an earlier attempt).
	Tables []string `json:"tables"`
	// Serialized counts rewritten values that are serialized; SerializedBad those that
	// no longer parse (the rewrite broke them), FirstBad where the first one is.
	Serialized    int64  `json:"serialized"`
	SerializedBad int64  `json:"serializedBad"`
	FirstBad      string `json:"firstBad,omitempty"`
	// OldURLLeft counts values still holding the old URL after the rewrite, FirstLeft
	// where the first one is.
	OldURLLeft int64  `json:"oldUrlLeft"`
	FirstLeft  string `json:"firstLeft,omitempty"`
}

// checkingRewriter wraps the Replacer given to Import and checks each value it returns.
type checkingRewriter struct {
	rw *wordpress.Replacer
	mu sync.Mutex
	sc StreamCheck
}

func (c *checkingRewriter) Needles() [][]byte { return c.rw.Needles() }

func (c *checkingRewriter) RewriteString(table, column string, value []byte) ([]byte, bool) {
	out, changed := c.rw.RewriteString(table, column, value)
	c.check(table, column, out, changed)
	return out, changed
}

// AppendRewriteString lets Import reuse one buffer for the rewritten values.
func (c *checkingRewriter) AppendRewriteString(dst []byte, table, column string, value []byte) ([]byte, bool) {
	out, changed := c.rw.AppendRewriteString(dst, table, column, value)
	if changed {
		c.check(table, column, out[len(dst):], true)
	} else {
		c.check(table, column, value, false)
	}
	return out, changed
}

// check looks at one value as it leaves the rewrite: out is the new value when changed,
// else the value as it was.
func (c *checkingRewriter) check(table, column string, out []byte, changed bool) {
	ref := wordpress.ValueRef{Table: table, Column: column}
	var serialized, bad, left bool
	if changed {
		t := bytes.TrimSpace(out)
		if phpserial.LooksSerialized(t) {
			serialized = true
			bad = !phpserial.Valid(t)
		}
	}
	chk, err := c.rw.OldURLLeft(func(fn func(wordpress.ValueRef, []byte) error) error { return fn(ref, out) })
	left = err == nil && !chk.OK
	if serialized || left {
		c.mu.Lock()
		if serialized {
			c.sc.Serialized++
		}
		if bad {
			if c.sc.SerializedBad == 0 {
				c.sc.FirstBad = ref.String()
			}
			c.sc.SerializedBad++
		}
		if left {
			if c.sc.OldURLLeft == 0 {
				c.sc.FirstLeft = ref.String()
			}
			c.sc.OldURLLeft++
		}
		c.mu.Unlock()
	}
}

func (c *checkingRewriter) result(tables []string) StreamCheck {
	c.mu.Lock()
	defer c.mu.Unlock()
	sc := c.sc
	sc.Tables = append([]string(nil), tables...)
	return sc
}
