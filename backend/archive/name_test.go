package archive

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestSanitizeName(t *testing.T) {
	tests := []struct {
		in    string
		clean string
		dir   bool
		err   error
	}{
		{"wp-content/uploads/a.jpg", "wp-content/uploads/a.jpg", false, nil},
		{`wp-content\themes\x\style.css`, "wp-content/themes/x/style.css", false, nil},
		{"wp-content/", "wp-content", true, nil},
		{"./wp-admin//index.php", "wp-admin/index.php", false, nil},
		{"wp-content/../wp-config.php", "wp-config.php", false, nil},
		{".htaccess", ".htaccess", false, nil},
		{"café/ünï.php", "café/ünï.php", false, nil},
		{"./", ".", true, nil},
		{"../../etc/passwd", "", false, ErrZipSlip},
		{`..\..\evil.php`, "", false, ErrZipSlip},
		{"a/../../b", "", false, ErrZipSlip},
		{"..", "", false, ErrZipSlip},
		{"/etc/passwd", "", false, ErrAbsolutePath},
		{`\\server\share\x`, "", false, ErrAbsolutePath},
		{`C:\Windows\x.dll`, "", false, ErrAbsolutePath},
		{"c:relative", "", false, ErrAbsolutePath},
		{"", "", false, ErrBadName},
		{".", "", false, ErrBadName},
		{"a\x00b", "", false, ErrBadName},
		{"x\r\nDELE y", "", false, ErrBadName},
		{"bad\xffutf8", "", false, ErrBadName},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			clean, dir, err := SanitizeName(tt.in)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.clean, clean)
			require.Equal(t, tt.dir, dir)
		})
	}
}

func TestDecodeName(t *testing.T) {
	require.Equal(t, "café.jpg", DecodeName("caf\x82.jpg", false), "CP437 when the flag is off and the bytes are not UTF-8")
	require.Equal(t, "café.jpg", DecodeName("café.jpg", false), "UTF-8 written without the flag stays UTF-8")
	require.Equal(t, "ÄÖÜß", DecodeName("\x8e\x99\x9a\xe1", false))
	require.Equal(t, "plain.txt", DecodeName("plain.txt", true))
}

func FuzzSanitizeName(f *testing.F) {
	for _, s := range []string{"a/b", "../x", `C:\x`, "/abs", `a\..\..\b`, "./", "caf\x82", "a\r\nb", "wp-content/", "a//b/./c/.."} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, raw string, utf8Flag bool) {
		name := DecodeName(raw, utf8Flag)
		clean, _, err := SanitizeName(name)
		if err != nil {
			require.True(t, errors.Is(err, ErrZipSlip) || errors.Is(err, ErrAbsolutePath) || errors.Is(err, ErrBadName), "unexpected error kind: %v", err)
			return
		}
		if clean == "." {
			return // "./": the destination root itself, nothing to write
		}
		// Whatever went in, what comes out stays inside the destination.
		require.True(t, utf8.ValidString(clean))
		require.False(t, strings.HasPrefix(clean, "/"))
		require.NotContains(t, clean, `\`)
		require.False(t, len(clean) >= 2 && clean[1] == ':' && isASCIILetter(clean[0]), "drive letter in %q", clean)
		for _, seg := range strings.Split(clean, "/") {
			require.NotEqual(t, "..", seg)
			require.NotEmpty(t, seg)
		}
		for _, r := range clean {
			require.False(t, r < 0x20 || r == 0x7f, "control character in %q", clean)
		}
		again, _, err := SanitizeName(clean)
		require.NoError(t, err)
		require.Equal(t, clean, again, "sanitising is idempotent")
	})
}
