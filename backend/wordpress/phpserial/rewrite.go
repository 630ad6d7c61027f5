package phpserial

// RewriteFunc receives the bytes of one string and returns its replacement and whether
// it changed. It must not keep or modify s.
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
// The work is one pass that copies as it validates, without building a tree: the
// import stream calls it for every serialized value holding the old URL. An error
// wraps ErrSyntax or ErrTooDeep; b is never modified.
func Rewrite(b []byte, fn RewriteFunc) ([]byte, bool, error) {
	w := rewriter{p: parser{b: b}, fn: fn}
	w.out = make([]byte, 0, len(b)+len(b)/4)
	if err := w.value(0, false); err != nil {
		return b, false, err
	}
	if w.p.pos != len(b) {
		return b, false, w.p.fail("end of input after the value")
	}
	if !w.changed {
		return b, false, nil
	}
	return w.out, true, nil
}

type rewriter struct {
	p       parser
	fn      RewriteFunc
	out     []byte
	changed bool
}

// value copies one value to out, rewriting strings that are not keys.
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
				w.out = appendString(w.out, 's', ns)
				w.changed = true
				return nil
			}
		}
	case KindCustom:
		var class, payload []byte
		if class, payload, err = p.custom(); err != nil {
			return err
		}
		if Valid(payload) {
			if np, ok := w.fn(payload); ok && Valid(np) {
				w.out = appendClass(w.out, 'C', class)
				w.out = appendInt(w.out, len(np))
				w.out = append(w.out, ':', '{')
				w.out = append(w.out, np...)
				w.out = append(w.out, '}')
				w.changed = true
				return nil
			}
		}
	case KindArray, KindObject:
		return w.container(k, depth, start)
	}
	if err != nil {
		return err
	}
	w.out = append(w.out, p.b[start:p.pos]...)
	return nil
}

// container copies an array or object header as written, then its items.
func (w *rewriter) container(k Kind, depth, start int) error {
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
	w.out = append(w.out, p.b[start:p.pos]...)
	for range n {
		if err := w.value(depth+1, true); err != nil {
			return err
		}
		if err := w.value(depth+1, false); err != nil {
			return err
		}
	}
	if err := p.expect('}'); err != nil {
		return err
	}
	w.out = append(w.out, '}')
	return nil
}
