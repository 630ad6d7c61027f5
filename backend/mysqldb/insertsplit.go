package mysqldb

import (
	"fmt"
)

// splitInsert cuts an INSERT ... VALUES whose text is longer than limit bytes into several
// INSERTs of the same header, each at most limit bytes, rows intact and in order. at is
// the offset of the tuples (just past VALUES). A trailer after the tuples (ON DUPLICATE KEY
// UPDATE ...) is repeated on every part. ok is false when the tuples cannot be read, and
// the error is set when one row alone is longer than limit. Without build it only checks.
func splitInsert(text []byte, at, limit int, build bool) (parts [][]byte, ok bool, err error) {
	head := text[:at]
	var tuples [][2]int
	last := at
	i := skipSpace(text, at)
	for i < len(text) && text[i] == '(' {
		end := tupleEnd(text, i)
		if end < 0 {
			return nil, false, nil
		}
		tuples = append(tuples, [2]int{i, end})
		last = end
		i = skipSpace(text, end)
		if i < len(text) && text[i] == ',' {
			i = skipSpace(text, i+1)
			continue
		}
		break
	}
	if len(tuples) == 0 {
		return nil, false, nil
	}
	trailer := text[last:]
	fixed := len(head) + 1 + len(trailer)
	var cur []byte
	for k, t := range tuples {
		row := text[t[0]:t[1]]
		if fixed+len(row) > limit {
			return nil, true, fmt.Errorf("row %d of the statement is %d bytes, more than the %d bytes the destination's max_allowed_packet lets one statement carry: %w", k+1, len(row), limit, ErrStatementTooLarge)
		}
		if !build {
			continue
		}
		if cur != nil && len(cur)+1+len(row)+len(trailer) > limit {
			parts = append(parts, append(cur, trailer...))
			cur = nil
		}
		if cur == nil {
			cur = make([]byte, 0, min(limit, len(text)))
			cur = append(append(cur, head...), ' ')
		} else {
			cur = append(cur, ',')
		}
		cur = append(cur, row...)
	}
	if build {
		parts = append(parts, append(cur, trailer...))
	}
	return parts, true, nil
}

func skipSpace(s []byte, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

// tupleEnd returns the offset just past the parenthesised tuple starting at s[i], or -1.
func tupleEnd(s []byte, i int) int {
	depth := 0
	for i < len(s) {
		switch c := s[i]; c {
		case '\'', '"', '`':
			if c == '`' {
				j := i + 1
				for j < len(s) && s[j] != '`' {
					j++
				}
				i = j + 1
				continue
			}
			end := stringEnd(s, i)
			if end >= len(s) && (end == i+1 || s[end-1] != c) {
				return -1
			}
			i = end
			continue
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
		i++
	}
	return -1
}
