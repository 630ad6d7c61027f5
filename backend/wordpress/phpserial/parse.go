package phpserial

import "strconv"

// parser is a recursive-descent reader of PHP's serialize() format following the rules
// of PHP's own var_unserializer (ext/standard/var_unserializer.re).
type parser struct {
	b   []byte
	pos int
	// slots counts values PHP would register for r:/R: back-references: every value
	// except array keys and R: itself.
	slots int
}

func (p *parser) fail(msg string) error {
	return &SyntaxError{Offset: p.pos, Msg: msg, Err: ErrSyntax}
}

func (p *parser) expect(c byte) error {
	if p.pos >= len(p.b) || p.b[p.pos] != c {
		return p.fail("expected '" + string(c) + "'")
	}
	p.pos++
	return nil
}

// uint reads an unsigned decimal without sign or leading zeros (PHP accepts leading
// zeros, but serialize() never writes them and Ferry needs parse → serialize to give
// the same bytes) and returns it as an int, refusing values that do not fit.
func (p *parser) uint() (int, error) {
	start := p.pos
	n := 0
	for p.pos < len(p.b) && p.b[p.pos] >= '0' && p.b[p.pos] <= '9' {
		if n > (1<<31-1)/10 {
			return 0, p.fail("length too large")
		}
		n = n*10 + int(p.b[p.pos]-'0')
		p.pos++
	}
	if p.pos == start {
		return 0, p.fail("expected a number")
	}
	if p.b[start] == '0' && p.pos-start > 1 {
		p.pos = start
		return 0, p.fail("number with leading zeros")
	}
	return n, nil
}

// numText reads the literal up to the next ';' and returns it.
func (p *parser) numText() ([]byte, error) {
	start := p.pos
	for p.pos < len(p.b) && p.b[p.pos] != ';' {
		p.pos++
	}
	if p.pos >= len(p.b) {
		return nil, p.fail("expected ';'")
	}
	t := p.b[start:p.pos]
	p.pos++
	return t, nil
}

// quoted reads N:"<N bytes>" and returns the bytes.
func (p *parser) quoted() ([]byte, error) {
	n, err := p.uint()
	if err != nil {
		return nil, err
	}
	if err := p.expect(':'); err != nil {
		return nil, err
	}
	if err := p.expect('"'); err != nil {
		return nil, err
	}
	if n > len(p.b)-p.pos {
		return nil, p.fail("string length " + strconv.Itoa(n) + " runs past the end")
	}
	s := p.b[p.pos : p.pos+n]
	p.pos += n
	if err := p.expect('"'); err != nil {
		return nil, err
	}
	return s, nil
}

// validInt follows PHP's iv: [+-]?[0-9]+. PHP reads a number too large for an int as
// a float, so any length is accepted.
func validInt(t []byte) bool {
	d := t
	if len(d) > 0 && (d[0] == '+' || d[0] == '-') {
		d = d[1:]
	}
	if len(d) == 0 {
		return false
	}
	for _, c := range d {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// validFloat follows PHP's d: grammar: iv, nv ([0-9]*.[0-9]+ or [0-9]+.[0-9]*) with an
// optional sign and exponent, or NAN, INF, -INF.
func validFloat(t []byte) bool {
	switch string(t) {
	case "NAN", "INF", "-INF":
		return true
	}
	i := 0
	if i < len(t) && (t[i] == '+' || t[i] == '-') {
		i++
	}
	intDigits := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
		intDigits++
	}
	fracDigits := 0
	if i < len(t) && t[i] == '.' {
		i++
		for i < len(t) && t[i] >= '0' && t[i] <= '9' {
			i++
			fracDigits++
		}
	}
	if intDigits+fracDigits == 0 {
		return false
	}
	if i < len(t) && (t[i] == 'e' || t[i] == 'E') {
		i++
		if i < len(t) && (t[i] == '+' || t[i] == '-') {
			i++
		}
		expDigits := 0
		for i < len(t) && t[i] >= '0' && t[i] <= '9' {
			i++
			expDigits++
		}
		if expDigits == 0 {
			return false
		}
	}
	return i == len(t)
}

// validClass follows zend_is_valid_class_name: letters, digits, '_', '\' and bytes
// 0x80-0xff, not empty.
func validClass(c []byte) bool {
	if len(c) == 0 {
		return false
	}
	for _, ch := range c {
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' ||
			ch == '_' || ch == '\\' || ch >= 0x80) {
			return false
		}
	}
	return true
}

// head reads the tag and ':' of the next value and checks the tag is allowed here.
func (p *parser) head(isKey bool) (Kind, error) {
	if p.pos >= len(p.b) {
		return 0, p.fail("unexpected end of input")
	}
	k := Kind(p.b[p.pos])
	if isKey && k != KindInt && k != KindString {
		return 0, p.fail("array key must be an int or a string")
	}
	p.pos++
	if k == KindNull {
		return k, p.expect(';')
	}
	switch k {
	case KindBool, KindInt, KindFloat, KindString, KindArray, KindObject, KindCustom, KindEnum, KindRef, KindRefVar:
	default:
		p.pos--
		return 0, p.fail("unknown type '" + string(rune(k)) + "'")
	}
	if !isKey && k != KindRefVar {
		p.slots++
	}
	return k, p.expect(':')
}

// scalar reads the body of b, i, d, r and R values.
func (p *parser) scalar(k Kind) ([]byte, error) {
	start := p.pos
	t, err := p.numText()
	if err != nil {
		return nil, err
	}
	ok := false
	switch k {
	case KindBool:
		ok = len(t) == 1 && (t[0] == '0' || t[0] == '1')
	case KindInt:
		ok = validInt(t)
	case KindFloat:
		ok = validFloat(t)
	case KindRef, KindRefVar:
		// PHP refuses a reference to a value it has not seen yet.
		p2 := parser{b: t}
		n, err := p2.uint()
		// r: has already taken its own slot and may not point at itself.
		limit := p.slots
		if k == KindRef {
			limit--
		}
		ok = err == nil && p2.pos == len(t) && n >= 1 && n <= limit
	}
	if !ok {
		p.pos = start
		return nil, p.fail("malformed '" + string(rune(k)) + "' value")
	}
	return t, nil
}

// value parses one value into a tree.
func (p *parser) value(depth int, isKey bool) (*Value, error) {
	k, err := p.head(isKey)
	if err != nil {
		return nil, err
	}
	v := &Value{Kind: k}
	switch k {
	case KindNull:
	case KindBool, KindInt, KindFloat, KindRef, KindRefVar:
		v.Num, err = p.scalar(k)
	case KindString, KindEnum:
		if v.Str, err = p.quoted(); err == nil {
			err = p.expect(';')
		}
		if err == nil && k == KindEnum && !validEnum(v.Str) {
			err = p.fail("malformed enum name")
		}
	case KindArray, KindObject:
		v.Class, v.Items, err = p.container(k, depth)
	case KindCustom:
		v.Class, v.Str, err = p.custom()
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}

// validEnum checks the "Class:Case" text of an enum.
func validEnum(s []byte) bool {
	for i, c := range s {
		if c == ':' {
			return validClass(s[:i]) && len(s) > i+1
		}
	}
	return false
}

// container reads the rest of an array (N:{...}) or object ("Class":N:{...}).
func (p *parser) container(k Kind, depth int) ([]byte, []Item, error) {
	if depth >= MaxDepth {
		return nil, nil, &SyntaxError{Offset: p.pos, Msg: "more than " + strconv.Itoa(MaxDepth) + " levels", Err: ErrTooDeep}
	}
	var class []byte
	if k == KindObject {
		c, err := p.quoted()
		if err != nil {
			return nil, nil, err
		}
		if !validClass(c) {
			return nil, nil, p.fail("invalid class name")
		}
		if err := p.expect(':'); err != nil {
			return nil, nil, err
		}
		class = c
	}
	n, err := p.uint()
	if err != nil {
		return nil, nil, err
	}
	if err := p.expect(':'); err != nil {
		return nil, nil, err
	}
	if err := p.expect('{'); err != nil {
		return nil, nil, err
	}
	// Each item takes at least 8 bytes ("i:0;N;"), so a hostile count cannot make us
	// allocate more than the input could hold.
	items := make([]Item, 0, min(n, (len(p.b)-p.pos)/6))
	for range n {
		key, err := p.value(depth+1, true)
		if err != nil {
			return nil, nil, err
		}
		val, err := p.value(depth+1, false)
		if err != nil {
			return nil, nil, err
		}
		items = append(items, Item{Key: key, Value: val})
	}
	if err := p.expect('}'); err != nil {
		return nil, nil, err
	}
	return class, items, nil
}

// custom reads the rest of C:N:"Class":M:{payload}.
func (p *parser) custom() ([]byte, []byte, error) {
	class, err := p.quoted()
	if err != nil {
		return nil, nil, err
	}
	if !validClass(class) {
		return nil, nil, p.fail("invalid class name")
	}
	if err := p.expect(':'); err != nil {
		return nil, nil, err
	}
	n, err := p.uint()
	if err != nil {
		return nil, nil, err
	}
	if err := p.expect(':'); err != nil {
		return nil, nil, err
	}
	if err := p.expect('{'); err != nil {
		return nil, nil, err
	}
	if n > len(p.b)-p.pos {
		return nil, nil, p.fail("payload length runs past the end")
	}
	payload := p.b[p.pos : p.pos+n]
	p.pos += n
	if err := p.expect('}'); err != nil {
		return nil, nil, err
	}
	return class, payload, nil
}

// skip validates one value without building a tree.
func (p *parser) skip(depth int, isKey bool) error {
	_, err := p.value(depth, isKey)
	return err
}
