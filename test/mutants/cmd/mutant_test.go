package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseAndApply(t *testing.T) {
	src := "# refuse nothing\n# at all\ntarget: pkg\npackage: ./pkg/\nrun: ^TestX$\n@@search\n\tif a {\n\t\treturn\n@@replace\n\tif false {\n\t\treturn\n@@end\n"
	m, err := parseMutant("01-x", []byte(src))
	require.NoError(t, err)
	require.Equal(t, "refuse nothing at all", m.Desc)
	require.Equal(t, "\tif a {\n\t\treturn", m.Search)
	require.Equal(t, "\tif false {\n\t\treturn", m.Replace)

	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "pkg"), 0o755))
	code := "package p\nfunc f(a bool) {\n\tif a {\n\t\treturn\n\t}\n}\n"
	require.NoError(t, os.WriteFile(filepath.Join(root, "pkg", "p.go"), []byte(code), 0o644))
	// A test file holding the same text does not count: only production code is mutated.
	require.NoError(t, os.WriteFile(filepath.Join(root, "pkg", "p_test.go"), []byte(code), 0o644))
	path, orig, err := apply(root, m)
	require.NoError(t, err)
	got, _ := os.ReadFile(path)
	require.Contains(t, string(got), "if false {")
	require.NoError(t, restore(path, orig))
	got, _ = os.ReadFile(path)
	require.Equal(t, code, string(got))

	// Text found twice (or never) is refused instead of mutating the wrong place.
	require.NoError(t, os.WriteFile(filepath.Join(root, "pkg", "q.go"), []byte(code), 0o644))
	_, _, err = apply(root, m)
	require.ErrorIs(t, err, errNotUnique)
}

func TestParseRejects(t *testing.T) {
	for name, src := range map[string]string{
		"no blocks":     "target: a\npackage: b\nrun: c\n",
		"no run":        "target: a\npackage: b\n@@search\nx\n@@replace\ny\n@@end\n",
		"same":          "target: a\npackage: b\nrun: c\n@@search\nx\n@@replace\nx\n@@end\n",
		"unknown key":   "target: a\npackage: b\nrun: c\nfile: d\n@@search\nx\n@@replace\ny\n@@end\n",
		"trailing text": "target: a\npackage: b\nrun: c\n@@search\nx\n@@replace\ny\n@@end\nz\n",
	} {
		_, err := parseMutant(name, []byte(src))
		require.Error(t, err, name)
	}
}

func TestJournalRestores(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "a.go")
	require.NoError(t, os.WriteFile(f, []byte("mutated"), 0o644))
	j := filepath.Join(dir, ".restore.json")
	require.NoError(t, writeJournal(j, f, []byte("original")))
	require.NoError(t, recoverJournal(j))
	got, _ := os.ReadFile(f)
	require.Equal(t, "original", string(got))
	_, err := os.Stat(j)
	require.ErrorIs(t, err, os.ErrNotExist)
}
