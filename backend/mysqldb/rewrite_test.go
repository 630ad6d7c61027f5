package mysqldb

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// jsonAwareRewriter also replaces the JSON-escaped form, as the WordPress rewriter does.
type jsonAwareRewriter struct{ calls []string }

func (j *jsonAwareRewriter) RewriteString(table, column string, v []byte) ([]byte, bool) {
	j.calls = append(j.calls, table+"."+column)
	out := bytes.ReplaceAll(v, []byte("http://old.test"), []byte("https://new.example.com/blog"))
	out = bytes.ReplaceAll(out, []byte(`http:\/\/old.test`), []byte(`https:\/\/new.example.com\/blog`))
	return out, !bytes.Equal(out, v)
}

func (j *jsonAwareRewriter) Needles() [][]byte {
	return [][]byte{[]byte("http://old.test"), []byte(`http:\/\/old.test`)}
}

func TestRewriteStreamGolden(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("testdata", "rewrite_in.sql"))
	require.NoError(t, err)
	var out bytes.Buffer
	rw := &jsonAwareRewriter{}
	st, err := RewriteStream(context.Background(), bytes.NewReader(in), &out, rw)
	require.NoError(t, err)
	golden := filepath.Join("testdata", "rewrite_out.golden")
	if *update {
		require.NoError(t, os.WriteFile(golden, out.Bytes(), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	require.Equal(t, string(want), out.String())
	require.Equal(t, int64(8), st.Changed)
	require.Equal(t, int64(len(in)), st.BytesIn)
	require.Equal(t, int64(out.Len()), st.BytesOut)
	// the column comes from the INSERT's list, or from the CREATE TABLE earlier in the stream
	require.Contains(t, rw.calls, "wp_options.option_value")
	require.Contains(t, rw.calls, "wp_posts.guid")
	require.Contains(t, rw.calls, "wp_posts.post_content")
	require.NotContains(t, out.String(), "'siteurl','http://old.test'", "every literal of an INSERT's rows is rewritten")
	require.Contains(t, out.String(), "-- http://old.test in a comment stays")
	require.Contains(t, out.String(), "guid='http://old.test/keep'", "ON DUPLICATE KEY UPDATE is not row data")
}

func TestRewriteStreamWithoutNeedlesSeesEveryLiteral(t *testing.T) {
	in := "INSERT INTO t (a,b) VALUES ('x','y'),(NULL,'z');\n"
	var seen []string
	rw := rewriterFunc(func(table, column string, v []byte) ([]byte, bool) {
		seen = append(seen, column+"="+string(v))
		return v, false
	})
	var out bytes.Buffer
	_, err := RewriteStream(context.Background(), strings.NewReader(in), &out, rw)
	require.NoError(t, err)
	require.Equal(t, []string{"a=x", "b=y", "b=z"}, seen)
	require.Equal(t, in, out.String())
}

type rewriterFunc func(table, column string, v []byte) ([]byte, bool)

func (f rewriterFunc) RewriteString(table, column string, v []byte) ([]byte, bool) {
	return f(table, column, v)
}

func TestEscapeRoundTrip(t *testing.T) {
	var all []byte
	for i := range 256 {
		all = append(all, byte(i))
	}
	for _, v := range [][]byte{nil, []byte("plain"), []byte("it's \\ \"q\" \x00\x1a\r\n\t"), all} {
		esc := appendEscaped(nil, v)
		require.Equal(t, v, unescape(nil, esc)[:len(v):len(v)])
	}
	require.Equal(t, []byte(`a\%b\_'`), unescape(nil, []byte(`a\%b\_''`)))
	// only the literal's own quote is doubled: 'a""b' is a""b, "a''b" is a''b
	require.Equal(t, []byte(`say ""hi"" it's`), unescapeLit(nil, []byte(`say ""hi"" it''s`), '\''))
	require.Equal(t, []byte(`it''s "x"`), unescapeLit(nil, []byte(`it''s ""x""`), '"'))
	require.Equal(t, []byte("it's \x00\b\n\r\t\x1a z\\"), unescapeLit(nil, []byte(`it\'s \0\b\n\r\t\Z \z\\`), '\''))
}

func TestRewriteKeepsDoubledOtherQuotes(t *testing.T) {
	in := "INSERT INTO t VALUES ('say \"\"hi\"\" at http://old.test'),('it\\'s http://old.test');\n"
	var out bytes.Buffer
	rw := rewriterFunc(func(_, _ string, v []byte) ([]byte, bool) {
		return bytes.ReplaceAll(v, []byte("old.test"), []byte("new.test")), true
	})
	_, err := RewriteStream(context.Background(), strings.NewReader(in), &out, rw)
	require.NoError(t, err)
	require.Equal(t, "INSERT INTO t VALUES ('say \\\"\\\"hi\\\"\\\" at http://new.test'),('it\\'s http://new.test');\n", out.String())
}

func TestRewriteStreamErrors(t *testing.T) {
	_, err := RewriteStream(context.Background(), strings.NewReader("INSERT INTO t VALUES ('abc"), io.Discard, &jsonAwareRewriter{})
	require.ErrorIs(t, err, ErrTruncated)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = RewriteStream(ctx, strings.NewReader("SELECT 1;"), io.Discard, &jsonAwareRewriter{})
	require.ErrorIs(t, err, context.Canceled)
}

// ExampleRewriteStream rewrites a site URL inside a dump without touching anything else.
func ExampleRewriteStream() {
	dump := "INSERT INTO `wp_options` (`option_name`, `option_value`) VALUES ('siteurl','http://old.test'),('blogname','Old');\n"
	var out bytes.Buffer
	st, err := RewriteStream(context.Background(), strings.NewReader(dump), &out, rewriterFunc(
		func(table, column string, v []byte) ([]byte, bool) {
			nv := bytes.ReplaceAll(v, []byte("http://old.test"), []byte("https://new.example.com"))
			return nv, !bytes.Equal(nv, v)
		}))
	if err != nil {
		panic(err)
	}
	fmt.Print(out.String())
	fmt.Println("changed:", st.Changed)
	// Output:
	// INSERT INTO `wp_options` (`option_name`, `option_value`) VALUES ('siteurl','https://new.example.com'),('blogname','Old');
	// changed: 1
}

// BenchmarkRewriteStream measures the rewrite of a WordPress-like dump in which few values
// contain the old URL (the common case).
func BenchmarkRewriteStream(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("CREATE TABLE wp_posts (ID INT, post_content LONGTEXT, guid VARCHAR(255));\n")
	para := strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit. \\n", 40)
	for sb.Len() < 64<<20 {
		sb.WriteString("INSERT INTO wp_posts VALUES ")
		for i := range 200 {
			if i > 0 {
				sb.WriteByte(',')
			}
			url := "https://cdn.example.org/x"
			if i == 7 {
				url = "http://old.test/?p=7"
			}
			fmt.Fprintf(&sb, "(%d,'<p>%s</p> \\'quoted\\'','%s')", i, para, url)
		}
		sb.WriteString(";\n")
	}
	in := []byte(sb.String())
	rw := &jsonAwareRewriter{}
	b.SetBytes(int64(len(in)))
	b.ResetTimer()
	for b.Loop() {
		rw.calls = rw.calls[:0]
		if _, err := RewriteStream(context.Background(), bytes.NewReader(in), io.Discard, rw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSplitter measures statement splitting alone.
func BenchmarkSplitter(b *testing.B) {
	var sb strings.Builder
	for sb.Len() < 32<<20 {
		sb.WriteString("INSERT INTO t VALUES (1,'" + strings.Repeat("text with \\'quotes\\' and; semicolons ", 500) + "');\n")
	}
	in := []byte(sb.String())
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		sp := NewSplitter(bytes.NewReader(in), 0)
		for {
			if _, err := sp.Next(); err != nil {
				break
			}
		}
	}
}
