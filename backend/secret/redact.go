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

// Redact replaces every occurrence of each non-empty secret in text with Masked. Longer
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
		text = strings.ReplaceAll(text, s, Masked)
	}
	return text
}
