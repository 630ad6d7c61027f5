package archive

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// DecodeName returns an entry name as text. Zip tools that predate UTF-8 (Windows'
// built-in "Send to compressed folder", old WinZip) write names in code page 437 and
// leave the UTF-8 flag off; Ferry decodes those only when the bytes are not valid
// UTF-8, because many tools write UTF-8 without setting the flag.
func DecodeName(raw string, utf8Flag bool) string {
	if utf8Flag || utf8.ValidString(raw) {
		return raw
	}
	s, err := charmap.CodePage437.NewDecoder().String(raw)
	if err != nil { // cannot happen: every byte has a CP437 mapping
		return strings.ToValidUTF8(raw, "\uFFFD")
	}
	return s
}

// SanitizeName turns a decoded entry name into a safe slash-separated path relative
// to the destination, or explains why it cannot be one. Backslashes (written by some
// Windows tools) become slashes and "." segments go away; absolute paths, drive
// letters, UNC paths and names that climb out with ".." are refused, and so are
// control characters, which would let a name smuggle a second command into an FTP
// session. The result has no trailing slash; isDir reports whether the name had one.
func SanitizeName(name string) (clean string, isDir bool, err error) {
	shown := displayName(name)
	if name == "" {
		return "", false, fmt.Errorf("entry with an empty name: %w", ErrBadName)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError || (r >= 0x80 && r < 0xa0) {
			return "", false, fmt.Errorf("entry '%s' has control characters in its name: %w", shown, ErrBadName)
		}
	}
	s := strings.ReplaceAll(name, `\`, "/")
	if len(s) >= 2 && s[1] == ':' && isASCIILetter(s[0]) {
		return "", false, fmt.Errorf("entry '%s' starts with a drive letter: %w", shown, ErrAbsolutePath)
	}
	if strings.HasPrefix(s, "/") {
		return "", false, fmt.Errorf("entry '%s' has an absolute path: %w", shown, ErrAbsolutePath)
	}
	isDir = strings.HasSuffix(s, "/")
	clean = path.Clean(s)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return "", false, fmt.Errorf("entry '%s' would escape the docroot: %w", shown, ErrZipSlip)
	}
	if clean == "." {
		if isDir {
			return ".", true, nil // "./" is the root itself: harmless, nothing to write
		}
		return "", false, fmt.Errorf("entry '%s' has no file name: %w", shown, ErrBadName)
	}
	return clean, isDir, nil
}

func isASCIILetter(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }

// displayName makes a name safe to quote in a message: printable names as they are,
// others with Go escapes, and never more than 200 characters.
func displayName(s string) string {
	printable := true
	for _, r := range s {
		if !unicode.IsPrint(r) {
			printable = false
			break
		}
	}
	if !printable {
		q := strconv.QuoteToGraphic(s)
		s = q[1 : len(q)-1]
	}
	if len(s) > 200 {
		cut := 200
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
