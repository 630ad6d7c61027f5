package wordpress

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/wordpress/phpserial"
	"ferry/backend/wordpress/phpserial/phptest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const (
	testOld = "http://old.test"
	testNew = "https://www.new-site.example.com:8080/blog"
)

func newTestReplacer(t testing.TB) *Replacer {
	t.Helper()
	r, err := NewReplacer(testOld, testNew)
	require.NoError(t, err)
	return r
}

func TestReplacerCases(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"http", "http://old.test", testNew},
		{"https becomes new scheme", "https://old.test/x", testNew + "/x"},
		{"trailing slash", "http://old.test/", testNew + "/"},
		{"www", "http://www.old.test/a?b=1#c", testNew + "/a?b=1#c"},
		{"protocol relative", `src="//old.test/i.png"`, `src="//www.new-site.example.com:8080/blog/i.png"`},
		{"json escaped", `{"u":"http:\/\/old.test\/x"}`, `{"u":"https:\/\/www.new-site.example.com:8080\/blog\/x"}`},
		{"url encoded", "u=http%3A%2F%2Fold.test%2Fx", "u=https%3A%2F%2Fwww.new-site.example.com%3A8080%2Fblog%2Fx"},
		{"url encoded lower", "u=http%3a%2f%2fold.test", "u=https%3a%2f%2fwww.new-site.example.com%3a8080%2fblog"},
		{"two in one", "http://old.test/a http://old.test/b", testNew + "/a " + testNew + "/b"},
		{"sentence end", "Go to http://old.test.", "Go to " + testNew + "."},
		{"query right after host", "http://old.test?p=1", testNew + "?p=1"},
		{"bold.test untouched", "http://bold.test/", "http://bold.test/"},
		{"old.testing.com untouched", "http://old.testing.com/", "http://old.testing.com/"},
		{"old.test.example.com untouched", "http://old.test.example.com/", "http://old.test.example.com/"},
		{"subdomain untouched", "http://cdn.old.test/", "http://cdn.old.test/"},
		{"other port untouched", "http://old.test:8080/", "http://old.test:8080/"},
		{"email untouched", "admin@old.test", "admin@old.test"},
		{"bare host untouched", "visit old.test today", "visit old.test today"},
		{"other scheme untouched", "ftp://old.test/", "ftp://old.test/"},
		{"userinfo trap untouched", "http://old.test@evil.example/", "http://old.test@evil.example/"},
		{"serialized", `s:15:"http://old.test";`, `s:42:"` + testNew + `";`},
		{"broken serialized untouched", `s:16:"http://old.test";`, `s:16:"http://old.test";`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newTestReplacer(t)
			out, changed := r.RewriteString("wp_posts", "post_content", []byte(tc.in))
			require.Equal(t, tc.want, string(out))
			require.Equal(t, tc.in != tc.want, changed)
		})
	}
}

func TestReplacerSubfolderAndPort(t *testing.T) {
	tests := []struct{ old, new, in, want string }{
		{"http://old.test/wp/", "https://new.example", "http://old.test/wp/a", "https://new.example/a"},
		{"http://old.test/wp", "https://new.example", "http://old.test/wp", "https://new.example"},
		{"http://old.test/wp", "https://new.example", "http://old.test/wpx/a", "http://old.test/wpx/a"},
		{"http://old.test/wp", "https://new.example", "http://old.test/other", "http://old.test/other"},
		{"http://old.test/wp", "https://new.example", `http:\/\/old.test\/wp\/a`, `https:\/\/new.example\/a`},
		{"http://old.test:8080", "https://new.example", "http://old.test:8080/a", "https://new.example/a"},
		{"http://old.test:8080", "https://new.example", "http://old.test/a", "http://old.test/a"},
		{"http://old.test:8080", "https://new.example", "http://old.test:80801/a", "http://old.test:80801/a"},
		{"http://www.old.test", "https://new.example", "http://old.test/a", "https://new.example/a"},
		{"https://old.test", "https://old.test/blog", "https://old.test/a", "https://old.test/blog/a"},
	}
	for _, tc := range tests {
		t.Run(tc.old+" "+tc.in, func(t *testing.T) {
			r, err := NewReplacer(tc.old, tc.new)
			require.NoError(t, err)
			out, _, broken := r.Rewrite([]byte(tc.in))
			require.False(t, broken)
			require.Equal(t, tc.want, string(out))
		})
	}
}

func TestNewReplacerRejects(t *testing.T) {
	tests := []struct{ old, new string }{
		{"", testNew},
		{"old.test", testNew},
		{"ftp://old.test", testNew},
		{"http://", testNew},
		{"http://user:secret@old.test", testNew},
		{"http://old.test/?p=1", testNew},
		{"http://old.test#x", testNew},
		{testOld, "http://old.test/"},
		{testOld, "https://new.example/a b"},
		{testOld, "::"},
	}
	for _, tc := range tests {
		t.Run(tc.old+" → "+tc.new, func(t *testing.T) {
			_, err := NewReplacer(tc.old, tc.new)
			require.ErrorIs(t, err, ErrInvalidURL)
			require.NotContains(t, err.Error(), "secret")
		})
	}
}

type corpusCase struct {
	Name    string `json:"name"`
	Table   string `json:"table"`
	Column  string `json:"column"`
	Value   string `json:"value"`
	Changed bool   `json:"changed,omitempty"`
}

func loadCorpus(t testing.TB) []corpusCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "corpus.json"))
	require.NoError(t, err)
	var cases []corpusCase
	require.NoError(t, json.Unmarshal(b, &cases))
	require.NotEmpty(t, cases)
	return cases
}

// TestReplacerGolden rewrites the corpus of real WordPress values (testdata/corpus.php
// builds it with PHP's own serialize) and compares with testdata/corpus.golden.json.
func TestReplacerGolden(t *testing.T) {
	r := newTestReplacer(t)
	var got []corpusCase
	for _, c := range loadCorpus(t) {
		out, changed := r.RewriteString(c.Table, c.Column, []byte(c.Value))
		got = append(got, corpusCase{Name: c.Name, Table: c.Table, Column: c.Column, Value: string(out), Changed: changed})
		if phpserial.LooksSerialized([]byte(c.Value)) && phpserial.Valid(bytes.TrimSpace([]byte(c.Value))) {
			require.True(t, phpserial.Valid(bytes.TrimSpace(out)), "%s: rewrite broke a valid value", c.Name)
		}
		if strings.HasPrefix(c.Name, "broken before") {
			require.False(t, changed, c.Name)
			require.Equal(t, c.Value, string(out), "%s must be left byte for byte", c.Name)
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	require.NoError(t, enc.Encode(got))
	golden := filepath.Join("testdata", "corpus.golden.json")
	if *update {
		require.NoError(t, os.WriteFile(golden, buf.Bytes(), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	require.Equal(t, string(want), buf.String())

	st := r.Stats()
	require.Equal(t, int64(3), st.Broken)
	require.Equal(t, []string{"wp_options.option_value"}, st.BrokenSamples)
	require.Positive(t, st.Values)
	require.GreaterOrEqual(t, st.Replacements, st.Values)
}

// TestRewrittenCorpusPassesPHP feeds every rewritten serialized value of the corpus to
// PHP's real unserialize() and fails on any rejection.
func TestRewrittenCorpusPassesPHP(t *testing.T) {
	r := newTestReplacer(t)
	var values []string
	for _, c := range loadCorpus(t) {
		if strings.HasPrefix(c.Name, "broken before") || !phpserial.LooksSerialized([]byte(c.Value)) {
			continue
		}
		out, changed := r.RewriteString(c.Table, c.Column, []byte(c.Value))
		require.True(t, changed || !strings.Contains(c.Value, "//old.test"), c.Name)
		values = append(values, string(out))
		// The string inside a serialized string is what WordPress unserializes next.
		v, err := phpserial.Parse(bytes.TrimSpace(out))
		require.NoError(t, err)
		for _, s := range nestedSerialized(v) {
			values = append(values, string(s))
		}
	}
	require.Greater(t, len(values), 15)
	// A damaged value at the end proves the PHP check can say no.
	values = append(values, `s:2:"a";`)
	ok := phptest.Accepts(t, values)
	require.False(t, ok[len(ok)-1], "PHP must reject the damaged control value")
	for i, v := range values[:len(values)-1] {
		require.True(t, ok[i], "PHP's unserialize rejected %q", v)
	}
}

// nestedSerialized returns every string inside v that is itself serialized.
func nestedSerialized(v *phpserial.Value) [][]byte {
	var out [][]byte
	switch v.Kind {
	case phpserial.KindString:
		if phpserial.LooksSerialized(v.Str) {
			out = append(out, v.Str)
			if inner, err := phpserial.Parse(v.Str); err == nil {
				out = append(out, nestedSerialized(inner)...)
			}
		}
	case phpserial.KindArray, phpserial.KindObject:
		for _, it := range v.Items {
			out = append(out, nestedSerialized(it.Value)...)
		}
	}
	return out
}

func TestReplacerConcurrentStats(t *testing.T) {
	r := newTestReplacer(t)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				table := fmt.Sprintf("wp_t%d", (w+i)%2)
				r.RewriteString(table, "c", []byte(`a:1:{i:0;s:17:"http://old.test/a";}`))
				r.RewriteString(table, "c", []byte(`no url`))
				r.RewriteString(table, "c", []byte(`s:1:"http://old.test";`))
			}
		}()
	}
	wg.Wait()
	st := r.Stats()
	require.Equal(t, int64(4000), st.Values)
	require.Equal(t, int64(4000), st.Replacements)
	require.Equal(t, int64(4000), st.Broken)
	require.Len(t, st.Columns, 2)
	require.Equal(t, "wp_t0", st.Columns[0].Table)
	require.Equal(t, int64(2000), st.Columns[0].Values)
	require.Equal(t, []string{"wp_t0.c", "wp_t1.c"}, sortedCopy(st.BrokenSamples))
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	if len(c) == 2 && c[0] > c[1] {
		c[0], c[1] = c[1], c[0]
	}
	return c
}

func TestNeedles(t *testing.T) {
	r, err := NewReplacer("https://www.old.test/wp", testNew)
	require.NoError(t, err)
	require.Equal(t, [][]byte{[]byte("old.test")}, r.Needles())
	// Every form the Replacer rewrites contains a needle.
	for _, v := range []string{"http://www.old.test/wp", `http:\/\/old.test\/wp`, "http%3A%2F%2Fold.test%2Fwp"} {
		out, n, _ := r.Rewrite([]byte(v))
		require.Equal(t, 1, n, v)
		require.NotEqual(t, v, string(out))
		require.True(t, bytes.Contains([]byte(v), r.Needles()[0]))
	}
}

func FuzzReplacer(f *testing.F) {
	for _, c := range loadCorpus(f) {
		f.Add([]byte(c.Value))
	}
	r := newTestReplacer(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		orig := bytes.Clone(in)
		out, n, broken := r.Rewrite(in)
		require.Equal(t, orig, in, "input must not be modified")
		if broken || n == 0 {
			require.Equal(t, in, out)
			return
		}
		// One pass rewrites every URL it matches: nothing is left for a second one.
		_, again, _ := r.Rewrite(out)
		require.Zero(t, again, "a second pass still found old URLs in %q", out)
		trimmed := bytes.TrimSpace(in)
		if phpserial.LooksSerialized(in) {
			require.True(t, phpserial.Valid(trimmed), "rewrote a value that does not parse")
			require.True(t, phpserial.Valid(bytes.TrimSpace(out)), "rewrite made an invalid value: %q", out)
		}
	})
}
