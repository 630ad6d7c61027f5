package archive

import (
	"bufio"
	"bytes"
	"io"
	"regexp"
	"unicode/utf16"
	"unicode/utf8"
)

// Dumps reach Ferry in three encodings: UTF-8 (nearly all), UTF-16 with a byte-order mark
// (Windows tools), and latin1 from old servers (mysqldump of a 5.1-era MyISAM site, which
// says SET NAMES latin1). Ferry converts the last two to UTF-8 as the dump streams, so
// Verify reads text and the import session stays utf8mb4: the server converts back into
// each column's character set, so the stored bytes are the ones the source had.

var latin1Names = regexp.MustCompile(`(?i)SET\s+NAMES\s+'?latin1'?`)

// utf16BOM reports a UTF-16 byte-order mark and whether it is big-endian.
func utf16BOM(head []byte) (ok, big bool) {
	switch {
	case bytes.HasPrefix(head, []byte{0xff, 0xfe}):
		return true, false
	case bytes.HasPrefix(head, []byte{0xfe, 0xff}):
		return true, true
	}
	return false, false
}

// isLatin1Dump reports a head that says SET NAMES latin1: every byte of such a dump is a
// latin1 character, whatever else it looks like (UTF-8 text stored in latin1 columns
// converts there and back to the same bytes).
func isLatin1Dump(head []byte) bool {
	return bytes.IndexByte(head, 0) < 0 && latin1Names.Match(head)
}

// decodeHead returns the start of a file as UTF-8 for judging it.
func decodeHead(head []byte, complete bool) []byte {
	if ok, big := utf16BOM(head); ok {
		out, _ := io.ReadAll(&utf16Reader{r: bufio.NewReader(bytes.NewReader(head[2:])), big: big})
		return out
	}
	if isLatin1Dump(head) {
		out, _ := io.ReadAll(&latin1Reader{r: bufio.NewReader(bytes.NewReader(head))})
		return out
	}
	return head
}

// toUTF8 wraps a dump stream so it reads as UTF-8.
func toUTF8(br *bufio.Reader) io.Reader {
	head, _ := br.Peek(sniffLen)
	if ok, big := utf16BOM(head); ok {
		br.Discard(2)
		return bufio.NewReaderSize(&utf16Reader{r: br, big: big}, 64<<10)
	}
	if isLatin1Dump(head) {
		// SET NAMES latin1 would make the server read the converted text as latin1
		const headLen = 64 << 10
		conv := bufio.NewReaderSize(&latin1Reader{r: br}, headLen)
		first, _ := conv.Peek(headLen)
		fixed := latin1Names.ReplaceAll(append([]byte(nil), first...), []byte("SET NAMES utf8mb4"))
		conv.Discard(len(first))
		return io.MultiReader(bytes.NewReader(fixed), conv)
	}
	return br
}

// utf16Reader decodes UTF-16 (after its BOM) to UTF-8.
type utf16Reader struct {
	r   *bufio.Reader
	big bool
	out []byte
	err error
}

func (u *utf16Reader) unit() (uint16, error) {
	a, err := u.r.ReadByte()
	if err != nil {
		return 0, err
	}
	b, err := u.r.ReadByte()
	if err != nil {
		return 0, io.ErrUnexpectedEOF
	}
	if u.big {
		return uint16(a)<<8 | uint16(b), nil
	}
	return uint16(b)<<8 | uint16(a), nil
}

func (u *utf16Reader) Read(p []byte) (int, error) {
	for len(u.out) < len(p) && u.err == nil {
		c, err := u.unit()
		if err != nil {
			u.err = err
			break
		}
		r := rune(c)
		if utf16.IsSurrogate(r) {
			c2, err := u.unit()
			if err != nil {
				u.err = err
				break
			}
			r = utf16.DecodeRune(r, rune(c2))
		}
		u.out = utf8.AppendRune(u.out, r)
	}
	n := copy(p, u.out)
	u.out = u.out[:copy(u.out, u.out[n:])]
	if n > 0 {
		return n, nil
	}
	return 0, u.err
}

// cp1252 is what MySQL calls latin1 for the bytes 0x80-0x9f.
var cp1252 = [32]rune{0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
	0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178}

// latin1Reader decodes MySQL's latin1 (cp1252) to UTF-8.
type latin1Reader struct {
	r   *bufio.Reader
	out []byte
	err error
}

func (l *latin1Reader) Read(p []byte) (int, error) {
	for len(l.out) < len(p) && l.err == nil {
		b, err := l.r.ReadByte()
		if err != nil {
			l.err = err
			break
		}
		switch {
		case b < 0x80:
			l.out = append(l.out, b)
		case b < 0xa0:
			l.out = utf8.AppendRune(l.out, cp1252[b-0x80])
		default:
			l.out = utf8.AppendRune(l.out, rune(b))
		}
	}
	n := copy(p, l.out)
	l.out = l.out[:copy(l.out, l.out[n:])]
	if n > 0 {
		return n, nil
	}
	return 0, l.err
}
