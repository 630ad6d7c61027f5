package transfer

import (
	"fmt"
	"path"
	"strings"
)

// Excluder decides which paths Mirror leaves out. Patterns are slash-separated globs
// matched against Tree paths: "*", "?" and "[...]" match within one segment, "**"
// matches any number of segments (none included), and a pattern without a slash
// matches a name at any depth (".DS_Store", "*.log"). A matching directory excludes
// everything under it, so "wp-content/cache/**" and "wp-content/cache" both drop the
// cache.
type Excluder struct {
	patterns [][]string
}

// NewExcluder checks every pattern up front, so a typo fails before anything moves.
func NewExcluder(patterns []string) (*Excluder, error) {
	e := &Excluder{}
	for _, p := range patterns {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		p = strings.TrimPrefix(strings.TrimSuffix(p, "/"), "/")
		if !strings.Contains(p, "/") && p != "**" {
			p = "**/" + p
		}
		segs := strings.Split(p, "/")
		for _, s := range segs {
			if _, err := path.Match(s, ""); err != nil {
				return nil, fmt.Errorf("exclude pattern %q: %w", p, err)
			}
		}
		e.patterns = append(e.patterns, segs)
	}
	return e, nil
}

// Excluded reports whether the path p, or a directory above it, matches a pattern.
func (e *Excluder) Excluded(p string) bool {
	if e == nil || len(e.patterns) == 0 {
		return false
	}
	segs := strings.Split(p, "/")
	for _, pat := range e.patterns {
		// A pattern matching any prefix of p excludes p: that prefix is a directory
		// above it.
		for i := 1; i <= len(segs); i++ {
			if matchSegs(pat, segs[:i]) {
				return true
			}
		}
	}
	return false
}

func matchSegs(pat, segs []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			rest := pat[1:]
			if len(rest) == 0 {
				return true
			}
			for i := 0; i <= len(segs); i++ {
				if matchSegs(rest, segs[i:]) {
					return true
				}
			}
			return false
		}
		if len(segs) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], segs[0]); !ok {
			return false
		}
		pat, segs = pat[1:], segs[1:]
	}
	return len(segs) == 0
}
