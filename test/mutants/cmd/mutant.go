package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Mutant is one small bug planted in production code: Search, which must occur exactly
// once in Target, becomes Replace; the tests Run (a go test -run pattern) of Package must
// then fail.
type Mutant struct {
	Name    string // from the file name: "01-docroot-guard"
	Desc    string // the "#" comment lines: what the bug does
	Target  string // a .go file, or a package folder whose non-test .go files are searched
	Package string // ./backend/pipeline/
	Run     string // -run pattern
	Search  string
	Replace string
}

// parseMutant reads the .mutant format:
//
//	# what the bug does
//	target: backend/pipeline/check.go
//	package: ./backend/pipeline/
//	run: ^TestRefuses
//	@@search
//	exact text (one or more lines)
//	@@replace
//	replacement text
//	@@end
//
// Search and Replace keep their lines exactly (tabs included) without the newline that
// precedes @@replace or @@end.
func parseMutant(name string, data []byte) (Mutant, error) {
	m := Mutant{Name: name}
	var block *strings.Builder
	var search, replace strings.Builder
	var inBlock string
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	first := true
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "@@search":
			block, inBlock, first = &search, "search", true
			continue
		case line == "@@replace":
			block, inBlock, first = &replace, "replace", true
			continue
		case line == "@@end":
			block, inBlock = nil, "end"
			continue
		}
		if block != nil {
			if !first {
				block.WriteByte('\n')
			}
			block.WriteString(line)
			first = false
			continue
		}
		if inBlock == "end" && strings.TrimSpace(line) != "" {
			return m, fmt.Errorf("%s: text after @@end", name)
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			if m.Desc != "" {
				m.Desc += " "
			}
			m.Desc += strings.TrimSpace(strings.TrimPrefix(line, "#"))
			continue
		}
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			return m, fmt.Errorf("%s: line %q is neither key: value nor a block", name, line)
		}
		val = strings.TrimSpace(val)
		switch strings.TrimSpace(key) {
		case "target":
			m.Target = val
		case "package":
			m.Package = val
		case "run":
			m.Run = val
		default:
			return m, fmt.Errorf("%s: unknown key %q", name, key)
		}
	}
	if err := sc.Err(); err != nil {
		return m, err
	}
	m.Search, m.Replace = search.String(), replace.String()
	switch {
	case m.Target == "" || m.Package == "" || m.Run == "":
		return m, fmt.Errorf("%s: target, package and run are required", name)
	case inBlock != "end":
		return m, fmt.Errorf("%s: @@search, @@replace and @@end are required", name)
	case m.Search == "":
		return m, fmt.Errorf("%s: empty search text", name)
	case m.Search == m.Replace:
		return m, fmt.Errorf("%s: replacement equals the search text", name)
	}
	return m, nil
}

// loadMutants reads every *.mutant file of dir, sorted by name.
func loadMutants(dir string) ([]Mutant, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.mutant"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var out []Mutant
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		m, err := parseMutant(strings.TrimSuffix(filepath.Base(p), ".mutant"), b)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no .mutant files in %s", dir)
	}
	return out, nil
}

// errNotUnique is returned when the search text is missing or occurs more than once:
// the mutant must be rewritten for the code as it is now.
var errNotUnique = errors.New("search text must occur exactly once")

// locate returns the file of root (a file, or a folder's non-test .go files) that holds
// the search text, and its contents.
func locate(root string, m Mutant) (string, []byte, error) {
	files := []string{filepath.Join(root, m.Target)}
	if st, err := os.Stat(files[0]); err != nil {
		return "", nil, err
	} else if st.IsDir() {
		all, err := filepath.Glob(filepath.Join(files[0], "*.go"))
		if err != nil {
			return "", nil, err
		}
		files = files[:0]
		for _, f := range all {
			if !strings.HasSuffix(f, "_test.go") {
				files = append(files, f)
			}
		}
	}
	var found string
	var data []byte
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", nil, err
		}
		if c := strings.Count(string(b), m.Search); c > 0 {
			n += c
			found, data = f, b
		}
	}
	if n != 1 {
		return "", nil, fmt.Errorf("%s: %w in %s (found %d)", m.Name, errNotUnique, m.Target, n)
	}
	return found, data, nil
}

// apply writes the mutant into its file and returns the original contents for restore.
func apply(root string, m Mutant) (path string, orig []byte, err error) {
	path, orig, err = locate(root, m)
	if err != nil {
		return "", nil, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return "", nil, err
	}
	mutated := strings.Replace(string(orig), m.Search, m.Replace, 1)
	if err := os.WriteFile(path, []byte(mutated), st.Mode().Perm()); err != nil {
		return "", nil, err
	}
	return path, orig, nil
}
