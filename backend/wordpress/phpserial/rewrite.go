package phpserial

// RewriteFunc receives the bytes of one string and returns its replacement and whether
// it changed. It must not keep or modify s. The replacement need only stay valid until fn
// is called again: Rewrite copies it at once, so fn may reuse one buffer for every call.
type RewriteFunc func(s []byte) ([]byte, bool)

// Rewrite parses b, passes every string value to fn and serializes the result with
// every length recomputed. It returns b itself and false when fn changed nothing.
//
// Array keys, property names and class names are left alone, as WP-CLI's
// search-replace does: renaming a key can merge two entries and renaming a property
// changes what the object is. The payload of a custom object (C:) is handed to fn
// only when it is itself exactly one serialized value, and kept only if fn's result
// still is; other payloads have a format of their class's own making whose inner
// lengths Ferry cannot know, so they are kept as they are.
//
// The work is one pass that validates and copies only around what changed, without
// building a tree: the import stream calls it for every serialized value holding the old
// URL. An error wraps ErrSyntax or ErrTooDeep; b is never modified.
func Rewrite(b []byte, fn RewriteFunc) ([]byte, bool, error) {
	out, changed, err := AppendRewrite(nil, b, fn)
	if !changed {
		return b, false, err
	}
	return out, true, nil
}

// AppendRewrite is Rewrite that appends the rewritten value to dst, so a caller can reuse
// one buffer. When fn changed nothing (or b does not parse) it returns dst as it was and
// false: the value is b itself.
func AppendRewrite(dst, b []byte, fn RewriteFunc) ([]byte, bool, error) {
	w := rewriter{p: parser{b: b}, fn: fn, out: dst}
	if err := w.value(0, false); err != nil {
		return dst, false, err
	}
	if w.p.pos != len(b) {
		return dst, false, w.p.fail("end of input after the value")
	}
	if !w.changed {
		return dst, false, nil
	}
	return append(w.out, b[w.copied:]...), true, nil
}

// rewriter walks a value; out holds b[:copied] with its changes (after the caller's bytes of
// dst), so unchanged runs are copied once, in one piece, when a change follows.
type rewriter struct {
	p       parser
	fn      RewriteFunc
	out     []byte
	copied  int
	changed bool
}

// splice puts b[copied:from] into out, then leaves the caller to append the new bytes
// for b[from:to].
func (w *rewriter) splice(from, to int) {
	if !w.changed && cap(w.out)-len(w.out) < len(w.p.b) {
		w.out = append(make([]byte, 0, len(w.out)+len(w.p.b)+len(w.p.b)/4+64), w.out...)
	}
	w.out = append(w.out, w.p.b[w.copied:from]...)
	w.copied = to
	w.changed = true
}

// value reads one value, rewriting strings that are not keys.
func (w *rewriter) value(depth int, isKey bool) error {
	p := &w.p
	start := p.pos
	k, err := p.head(isKey)
	if err != nil {
		return err
	}
	switch k {
	case KindNull:
	case KindBool, KindInt, KindFloat, KindRef, KindRefVar:
		_, err = p.scalar(k)
	case KindEnum:
		var s []byte
		if s, err = p.quoted(); err == nil {
			err = p.expect(';')
		}
		if err == nil && !validEnum(s) {
			err = p.fail("malformed enum name")
		}
	case KindString:
		var s []byte
		if s, err = p.quoted(); err == nil {
			err = p.expect(';')
		}
		if err != nil {
			return err
		}
		if !isKey {
			if ns, ok := w.fn(s); ok {
				w.splice(start, p.pos)
				w.out = appendString(w.out, 's', ns)
			}
		}
	case KindCustom:
		var class, payload []byte
		if class, payload, err = p.custom(); err != nil {
			return err
		}
		if Valid(payload) {
			if np, ok := w.fn(payload); ok && Valid(np) {
				w.splice(start, p.pos)
				w.out = appendClass(w.out, 'C', class)
				w.out = appendInt(w.out, len(np))
				w.out = append(w.out, ':', '{')
				w.out = append(w.out, np...)
				w.out = append(w.out, '}')
			}
		}
	case KindArray, KindObject:
		return w.container(k, depth)
	}
	return err
}

// container reads an array or object after its tag, then its items.
func (w *rewriter) container(k Kind, depth int) error {
	p := &w.p
	if depth >= MaxDepth {
		return &SyntaxError{Offset: p.pos, Msg: "too many levels", Err: ErrTooDeep}
	}
	if k == KindObject {
		c, err := p.quoted()
		if err != nil {
			return err
		}
		if !validClass(c) {
			return p.fail("invalid class name")
		}
		if err := p.expect(':'); err != nil {
			return err
		}
	}
	n, err := p.uint()
	if err != nil {
		return err
	}
	if err := p.expect(':'); err != nil {
		return err
	}
	if err := p.expect('{'); err != nil {
		return err
	}
	for range n {
		if err := w.value(depth+1, true); err != nil {
			return err
		}
		if err := w.value(depth+1, false); err != nil {
			return err
		}
	}
	return p.expect('}')
}
