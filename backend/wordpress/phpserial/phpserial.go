// Package phpserial reads and writes the output of PHP's serialize() byte for byte.
//
// WordPress stores options, post meta, widgets and theme settings as serialized PHP
// values, where every string carries its length in bytes. Moving a site to a URL of a
// different length therefore cannot be a plain search-and-replace: each string that
// changes needs its length recomputed, or PHP's unserialize() rejects the whole value
// and the site loses its settings. This package parses the format exactly as PHP's
// unserializer accepts it, so that parse followed by serialize gives back the same
// bytes, and rewrites strings while keeping every length right.
//
// Objects of any class are kept as they are (class name, properties, custom payloads):
// nothing is instantiated, nothing is dropped.
package phpserial

import (
	"errors"
	"fmt"
	"strconv"
)

// Kind is the one-letter type tag that starts a serialized value.
type Kind byte

// The kinds PHP's serialize() writes.
const (
	KindNull   Kind = 'N' // N;
	KindBool   Kind = 'b' // b:1;
	KindInt    Kind = 'i' // i:42;
	KindFloat  Kind = 'd' // d:0.5;
	KindString Kind = 's' // s:5:"hello";
	KindArray  Kind = 'a' // a:1:{i:0;s:1:"x";}
	KindObject Kind = 'O' // O:8:"stdClass":1:{s:1:"a";i:1;}
	KindCustom Kind = 'C' // C:11:"ArrayObject":21:{...} (Serializable::serialize payload)
	KindEnum   Kind = 'E' // E:11:"Suit:Hearts"; (PHP 8.1 enums)
	KindRef    Kind = 'r' // r:2; (object handle reference)
	KindRefVar Kind = 'R' // R:2; (PHP reference, &$x)
)

// MaxDepth is how deeply arrays and objects may nest. It matches the default of PHP's
// unserialize_max_depth, so Ferry accepts what PHP accepts while a hostile value cannot
// exhaust the stack.
const MaxDepth = 4096

// ErrSyntax is wrapped by every error about malformed input, including a string whose
// stated length does not match its bytes (the usual damage left by a naive replace).
var ErrSyntax = errors.New("invalid serialized value")

// ErrTooDeep is wrapped when nesting goes past MaxDepth.
var ErrTooDeep = errors.New("serialized value nested too deeply")

// SyntaxError tells where parsing stopped and why.
type SyntaxError struct {
	Offset int    // byte offset in the input
	Msg    string // what was expected
	Err    error  // ErrSyntax or ErrTooDeep
}

// Error describes the problem and its offset.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s at byte %d: %s", e.Err.Error(), e.Offset, e.Msg)
}

// Unwrap lets errors.Is match ErrSyntax or ErrTooDeep.
func (e *SyntaxError) Unwrap() error { return e.Err }

// Value is one parsed serialized value.
type Value struct {
	Kind Kind
	// Str holds the bytes of a string, the payload of a custom object (C) or the
	// "Class:Case" text of an enum (E).
	Str []byte
	// Class is the class name of an object (O) or custom object (C).
	Class []byte
	// Num is the literal text of a bool, int, float or reference as it was written
	// ("1", "-0.5", "1.0E+25", "INF"), kept verbatim so serializing gives the same bytes.
	Num []byte
	// Items are the key/value pairs of an array or object, in order.
	Items []Item
}

// Item is one key/value pair of an array or object; Key is an int or a string.
type Item struct {
	Key   *Value
	Value *Value
}

// Parse reads exactly one serialized value that must fill b entirely. It never
// modifies b; the returned Value's byte slices point into b.
func Parse(b []byte) (*Value, error) {
	p := parser{b: b}
	v, err := p.value(0, false)
	if err != nil {
		return nil, err
	}
	if p.pos != len(b) {
		return nil, p.fail("end of input after the value")
	}
	return v, nil
}

// Valid reports whether b is exactly one well-formed serialized value.
func Valid(b []byte) bool {
	p := parser{b: b}
	if err := p.skip(0, false); err != nil {
		return false
	}
	return p.pos == len(b)
}

// Serialize returns v in PHP's serialize() format.
func Serialize(v *Value) []byte { return v.Append(nil) }

// Append appends v in PHP's serialize() format to dst, recomputing every length and
// count from the data.
func (v *Value) Append(dst []byte) []byte {
	switch v.Kind {
	case KindNull:
		return append(dst, 'N', ';')
	case KindBool, KindInt, KindFloat, KindRef, KindRefVar:
		dst = append(dst, byte(v.Kind), ':')
		dst = append(dst, v.Num...)
		return append(dst, ';')
	case KindString:
		return appendString(dst, 's', v.Str)
	case KindEnum:
		dst = appendString(dst, 'E', v.Str)
		return dst
	case KindArray:
		dst = append(dst, 'a', ':')
		dst = strconv.AppendInt(dst, int64(len(v.Items)), 10)
		dst = append(dst, ':', '{')
		return v.appendItems(dst)
	case KindObject:
		dst = appendClass(dst, 'O', v.Class)
		dst = strconv.AppendInt(dst, int64(len(v.Items)), 10)
		dst = append(dst, ':', '{')
		return v.appendItems(dst)
	case KindCustom:
		dst = appendClass(dst, 'C', v.Class)
		dst = appendInt(dst, len(v.Str))
		dst = append(dst, ':', '{')
		dst = append(dst, v.Str...)
		return append(dst, '}')
	}
	// A Value built by hand with an unknown Kind: write PHP's null rather than
	// something no unserializer could read.
	return append(dst, 'N', ';')
}

func (v *Value) appendItems(dst []byte) []byte {
	for _, it := range v.Items {
		dst = it.Key.Append(dst)
		dst = it.Value.Append(dst)
	}
	return append(dst, '}')
}

// appendString writes s:N:"...";, or E:N:"..."; for enums.
func appendString(dst []byte, tag byte, s []byte) []byte {
	dst = append(dst, tag, ':')
	dst = strconv.AppendInt(dst, int64(len(s)), 10)
	dst = append(dst, ':', '"')
	dst = append(dst, s...)
	return append(dst, '"', ';')
}

func appendInt(dst []byte, n int) []byte { return strconv.AppendInt(dst, int64(n), 10) }

// appendClass writes O:N:"Class": (or C:), leaving the count to the caller.
func appendClass(dst []byte, tag byte, class []byte) []byte {
	dst = append(dst, tag, ':')
	dst = strconv.AppendInt(dst, int64(len(class)), 10)
	dst = append(dst, ':', '"')
	dst = append(dst, class...)
	return append(dst, '"', ':')
}

// LooksSerialized mirrors WordPress's is_serialized() (strict mode): it says whether
// WordPress itself would try to unserialize b when reading it back. Ferry uses it to
// decide whether a value must be rewritten structurally; a value that looks serialized
// but does not parse is damaged and must be left alone.
func LooksSerialized(b []byte) bool {
	// is_serialized() trims whitespace first.
	b = trimSpace(b)
	if len(b) < 4 {
		return len(b) == 2 && b[0] == 'N' && b[1] == ';'
	}
	if b[1] != ':' {
		return false
	}
	last := b[len(b)-1]
	if last != ';' && last != '}' {
		return false
	}
	switch b[0] {
	case 's':
		// '"' must be just before the final ';', then the same test as arrays.
		if b[len(b)-2] != '"' {
			return false
		}
		return digitsThen(b[2:], ':')
	case 'a', 'O', 'E':
		// WordPress leaves C: (custom objects) out, so neither does Ferry.
		return digitsThen(b[2:], ':')
	case 'b', 'i', 'd':
		if last != ';' || len(b) < 4 {
			return false
		}
		for _, c := range b[2 : len(b)-1] {
			if !(c >= '0' && c <= '9' || c == '.' || c == 'E' || c == '+' || c == '-') {
				return false
			}
		}
		return true
	}
	return false
}

func trimSpace(b []byte) []byte {
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0 || c == '\v' }
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// digitsThen reports whether b starts with one or more digits followed by c.
func digitsThen(b []byte, c byte) bool {
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i > 0 && i < len(b) && b[i] == c
}
