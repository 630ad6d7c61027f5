package report

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestEmbeddedFontCoverage(t *testing.T) {
	fs, err := embeddedFonts()
	require.NoError(t, err)
	cases := []struct {
		r           rune
		latin, cjk  bool
		description string
	}{
		{'A', true, false, "ASCII"},
		{'ë', true, false, "Latin-1 accent"},
		{'Å', true, false, "Latin-1 ring"},
		{'ő', true, false, "Latin Extended-A"},
		{'Ж', true, false, "Cyrillic"},
		{'→', true, false, "arrow"},
		{'✓', true, false, "check mark"},
		{'…', true, false, "ellipsis"},
		{'\uFFFD', true, false, "replacement character"},
		{'例', false, true, "CJK ideograph"},
		{'テ', false, true, "katakana"},
		{'😀', true, false, "emoji in DejaVu"},
		{'한', false, false, "hangul syllable: neither (a known gap)"},
		{'𓀀', false, false, "hieroglyph: neither"},
	}
	for _, tc := range cases {
		t.Run(tc.description, func(t *testing.T) {
			require.Equal(t, tc.latin, fs.latin.has(tc.r), "DejaVu Sans")
			require.Equal(t, tc.cjk, fs.cjk.has(tc.r), "Droid Sans Fallback")
		})
	}
}

func TestRuns(t *testing.T) {
	fs, err := embeddedFonts()
	require.NoError(t, err)
	cases := []struct {
		in   string
		want []textRun
	}{
		{"café", []textRun{{fontLatin, "café"}}},
		{"例え.テスト", []textRun{{fontCJK, "例え"}, {fontLatin, "."}, {fontCJK, "テスト"}}},
		{"Zoë 山田\tx", []textRun{{fontLatin, "Zoë "}, {fontCJK, "山田"}, {fontLatin, " x"}}},
		{"ok 𓀀 😀", []textRun{{fontLatin, "ok \uFFFD \uFFFD"}}},
		{"", nil},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got := fs.runs(tc.in)
			if tc.in == "" {
				require.Len(t, got, 1, "the fast path keeps an empty run")
				return
			}
			require.Equal(t, tc.want, got)
		})
	}
}

func TestParseCoverageRejectsJunk(t *testing.T) {
	for _, in := range [][]byte{nil, []byte("not a font"), make([]byte, 64), dejaVuSans[:200]} {
		_, err := parseCoverage(in)
		require.ErrorIs(t, err, errBadFont)
	}
}

// FuzzParseCoverage feeds the cmap parser damaged fonts: it must never panic, and what
// it returns must be sorted, disjoint ranges.
func FuzzParseCoverage(f *testing.F) {
	f.Add(dejaVuSans[:4096])
	f.Add([]byte("\x00\x01\x00\x00\x00\x01cmap\x00\x00\x00\x00\x00\x00\x00\x1c\x00\x00\x00\x10\x00\x00\x00\x01\x00\x03\x00\x0a\x00\x00\x00\x0c"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cov, err := parseCoverage(data)
		if err != nil {
			return
		}
		for i, r := range cov {
			if r.lo > r.hi || (i > 0 && cov[i-1].hi+1 >= r.lo) {
				t.Fatalf("bad ranges at %d: %v", i, cov)
			}
		}
	})
}
