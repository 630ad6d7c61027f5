package secret

import (
	"sort"
	"strings"
)

// Masked is what the UI shows in place of a secret that is set.
const Masked = "••••••••"

// Mask returns Masked for a non-empty secret and "" for an empty one, so the UI can tell
// "set" from "not set" without ever seeing the value or its length.
func Mask(s string) string {
	if s == "" {
		return ""
	}
	return Masked
}

// Redact replaces every occurrence of each non-empty secret in text with Masked (a secret
// under eight bytes only where it is a word of its own, see wholeWordBelow). Longer
// secrets are replaced first so one secret that contains another is hidden whole. A
// multi-line secret (a PEM key) is also hidden line by line, because tools quote keys one
// line at a time.
func Redact(text string, secrets ...string) string {
	var all []string
	for _, s := range secrets {
		if s == "" {
			continue
		}
		all = append(all, s)
		if strings.Contains(s, "\n") {
			for _, line := range strings.Split(s, "\n") {
				line = strings.TrimSpace(line)
				// Short lines such as "-----END-----" markers are not secret and would
				// mangle ordinary text.
				if len(line) >= 16 && !strings.HasPrefix(line, "-----") {
					all = append(all, line)
				}
			}
		}
	}
	if len(all) == 0 {
		return text
	}
	sort.SliceStable(all, func(i, j int) bool { return len(all[i]) > len(all[j]) })
	for _, s := range all {
		text = replaceSecret(text, s)
	}
	return text
}

// wholeWordBelow is the length under which a secret is hidden only where it stands as a
// word of its own: a password "x" must not turn "example.com" into "e••••ample.com".
// Longer secrets are hidden wherever they occur, since glued to other letters they are
// still the secret, not a word that happens to contain it.
const wholeWordBelow = 8

// replaceSecret replaces the occurrences of s in text with Masked; a short s only where it
// is not part of a longer word.
func replaceSecret(text, s string) string {
	if len(s) >= wholeWordBelow {
		return strings.ReplaceAll(text, s, Masked)
	}
	var b strings.Builder
	rest := text
	for {
		i := strings.Index(rest, s)
		if i < 0 {
			break
		}
		end := i + len(s)
		// A boundary is needed only where the secret itself starts or ends with a letter or
		// digit: "pw" in "a=pw" stands alone, in "pwned" it does not.
		glued := (i > 0 && isWordByte(rest[i-1]) && isWordByte(s[0])) ||
			(end < len(rest) && isWordByte(rest[end]) && isWordByte(s[len(s)-1]))
		if glued {
			b.WriteString(rest[:i+1])
			rest = rest[i+1:]
			continue
		}
		b.WriteString(rest[:i])
		b.WriteString(Masked)
		rest = rest[end:]
	}
	if b.Len() == 0 {
		return text
	}
	b.WriteString(rest)
	return b.String()
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}
