package report

import (
	_ "embed" // the PDF fonts
	"encoding/binary"
	"errors"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"
)

// Fonts embedded for the PDF. fpdf needs TrueType outlines (.ttf). DejaVu Sans covers
// Latin with accents, Greek, Cyrillic and symbols but no CJK; Droid Sans Fallback covers
// CJK but no Latin beyond the space. The PDF writer picks, rune by rune, the first of the
// two that has a glyph. Licences: fonts/LICENSE-DejaVu.txt (Bitstream Vera, redistribution
// allowed) and fonts/NOTICE-DroidSansFallback.txt (Apache 2.0).
var (
	//go:embed fonts/DejaVuSans.ttf
	dejaVuSans []byte
	//go:embed fonts/DejaVuSans-Bold.ttf
	dejaVuSansBold []byte
	//go:embed fonts/DroidSansFallbackFull.ttf
	droidSansFallback []byte
)

// coverage is the set of runes a font maps to a glyph, as sorted, disjoint, closed ranges.
type coverage []runeRange

type runeRange struct{ lo, hi rune }

// has reports whether r has a glyph.
func (c coverage) has(r rune) bool {
	i := sort.Search(len(c), func(i int) bool { return c[i].hi >= r })
	return i < len(c) && c[i].lo <= r
}

var errBadFont = errors.New("not a TrueType font with a Unicode cmap")

// parseCoverage reads the Unicode cmap of a TrueType font: format 12 (full Unicode) when
// present, else format 4 (the Basic Multilingual Plane). It never panics on bad input.
func parseCoverage(font []byte) (coverage, error) {
	u16 := func(off int) (int, bool) {
		if off < 0 || off+2 > len(font) {
			return 0, false
		}
		return int(binary.BigEndian.Uint16(font[off:])), true
	}
	u32 := func(off int) (int, bool) {
		if off < 0 || off+4 > len(font) {
			return 0, false
		}
		v := binary.BigEndian.Uint32(font[off:])
		if v > 1<<31-1 {
			return 0, false
		}
		return int(v), true
	}
	numTables, ok := u16(4)
	if !ok {
		return nil, errBadFont
	}
	cmap := -1
	for i := range numTables {
		rec := 12 + 16*i
		if rec+16 > len(font) {
			return nil, errBadFont
		}
		if string(font[rec:rec+4]) == "cmap" {
			cmap, _ = u32(rec + 8)
			break
		}
	}
	if cmap < 0 {
		return nil, errBadFont
	}
	n, ok := u16(cmap + 2)
	if !ok {
		return nil, errBadFont
	}
	fmt4, fmt12 := -1, -1
	for i := range n {
		rec := cmap + 4 + 8*i
		platform, ok1 := u16(rec)
		encoding, ok2 := u16(rec + 2)
		off, ok3 := u32(rec + 4)
		if !ok1 || !ok2 || !ok3 {
			return nil, errBadFont
		}
		unicode := platform == 0 || (platform == 3 && (encoding == 1 || encoding == 10))
		if !unicode {
			continue
		}
		switch f, _ := u16(cmap + off); f {
		case 4:
			fmt4 = cmap + off
		case 12:
			fmt12 = cmap + off
		}
	}
	var ranges []runeRange
	switch {
	case fmt12 >= 0:
		groups, ok := u32(fmt12 + 12)
		if !ok || groups > (len(font)-fmt12)/12 {
			return nil, errBadFont
		}
		for g := range groups {
			lo, ok1 := u32(fmt12 + 16 + 12*g)
			hi, ok2 := u32(fmt12 + 20 + 12*g)
			glyph, ok3 := u32(fmt12 + 24 + 12*g)
			if !ok1 || !ok2 || !ok3 || hi < lo || hi > utf8.MaxRune {
				return nil, errBadFont
			}
			if glyph == 0 { // the first code of the group maps to .notdef
				lo++
			}
			if lo <= hi {
				ranges = append(ranges, runeRange{rune(lo), rune(hi)})
			}
		}
	case fmt4 >= 0:
		segX2, ok := u16(fmt4 + 6)
		if !ok {
			return nil, errBadFont
		}
		ends := fmt4 + 14
		starts := ends + segX2 + 2
		deltas := starts + segX2
		offsets := deltas + segX2
		for s := 0; s < segX2; s += 2 {
			end, ok1 := u16(ends + s)
			start, ok2 := u16(starts + s)
			delta, ok3 := u16(deltas + s)
			roff, ok4 := u16(offsets + s)
			if !ok1 || !ok2 || !ok3 || !ok4 {
				return nil, errBadFont
			}
			for c := start; c <= end && c < 0xFFFF; c++ {
				glyph := 0
				if roff == 0 {
					glyph = (c + delta) & 0xFFFF
				} else if g, ok := u16(offsets + s + roff + 2*(c-start)); ok && g != 0 {
					glyph = (g + delta) & 0xFFFF
				}
				if glyph != 0 {
					ranges = append(ranges, runeRange{rune(c), rune(c)})
				}
			}
		}
	default:
		return nil, errBadFont
	}
	return merge(ranges), nil
}

// merge sorts ranges and joins those that touch or overlap.
func merge(rs []runeRange) coverage {
	sort.Slice(rs, func(i, j int) bool { return rs[i].lo < rs[j].lo })
	var out coverage
	for _, r := range rs {
		if n := len(out); n > 0 && r.lo <= out[n-1].hi+1 {
			out[n-1].hi = max(out[n-1].hi, r.hi)
			continue
		}
		out = append(out, r)
	}
	return out
}

// Which font draws a rune.
const (
	fontLatin = iota // DejaVu Sans
	fontCJK          // Droid Sans Fallback
)

// textRun is a stretch of text drawn with one font.
type textRun struct {
	font int
	text string
}

// fontSet knows which embedded font has a glyph for which rune.
type fontSet struct {
	latin, cjk coverage
}

var (
	fontsOnce sync.Once
	fonts     *fontSet
	fontsErr  error
)

// embeddedFonts parses the embedded fonts' cmaps once per process.
func embeddedFonts() (*fontSet, error) {
	fontsOnce.Do(func() {
		latin, err := parseCoverage(dejaVuSans)
		if err != nil {
			fontsErr = err
			return
		}
		cjk, err := parseCoverage(droidSansFallback)
		if err != nil {
			fontsErr = err
			return
		}
		fonts = &fontSet{latin: latin, cjk: cjk}
	})
	return fonts, fontsErr
}

// replacement stands in for a rune neither font can draw (emoji, rare scripts).
const replacement = '\uFFFD'

// runs splits s into stretches of one font each. Control characters become spaces; runes
// no font has, and runes beyond the Basic Multilingual Plane (emoji), become U+FFFD, so
// the PDF shows a visible mark rather than a broken glyph.
func (fs *fontSet) runs(s string) []textRun {
	if fs.latinOnly(s) {
		return []textRun{{fontLatin, s}}
	}
	var out []textRun
	var b strings.Builder
	cur := -1
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) {
			r = ' '
		}
		f := fontLatin
		switch {
		case r > 0xFFFF: // fpdf encodes text as 2-byte CIDs: the Basic Multilingual Plane only
			r = replacement
		case fs.latin.has(r):
		case fs.cjk.has(r):
			f = fontCJK
		default:
			r = replacement
		}
		if f != cur && b.Len() > 0 {
			out = append(out, textRun{cur, b.String()})
			b.Reset()
		}
		cur = f
		b.WriteRune(r)
	}
	if b.Len() > 0 {
		out = append(out, textRun{cur, b.String()})
	}
	return out
}

// latinOnly is the fast path: printable ASCII and Latin-1 need no splitting.
func (fs *fontSet) latinOnly(s string) bool {
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) || r > 0x24F {
			return false
		}
	}
	return true
}
