package mysqldb

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
)

type splitResult struct {
	texts []string
	lines []int
	raw   string
	err   error
}

func splitAll(r io.Reader, max int) splitResult {
	var res splitResult
	sp := NewSplitter(r, max)
	for {
		st, err := sp.Next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				res.err = err
			}
			return res
		}
		res.raw += string(st.Raw)
		if len(st.Text) > 0 {
			res.texts = append(res.texts, string(st.Text))
			res.lines = append(res.lines, st.Line)
		}
	}
}

func TestSplitter(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		texts []string
		lines []int
		err   error
	}{
		{"simple", "SELECT 1;\nSELECT 2;\n", []string{"SELECT 1", "SELECT 2"}, []int{1, 2}, nil},
		{"semicolon in strings", `INSERT INTO t VALUES ('a;b',"c;d",` + "`e;f`" + `);`, []string{`INSERT INTO t VALUES ('a;b',"c;d",` + "`e;f`" + `)`}, []int{1}, nil},
		{"backslash escapes", `INSERT INTO t VALUES ('it\'s; \\', 'x');SELECT 2;`, []string{`INSERT INTO t VALUES ('it\'s; \\', 'x')`, "SELECT 2"}, []int{1, 1}, nil},
		{"doubled quotes", `INSERT INTO t VALUES ('it''s;');`, []string{`INSERT INTO t VALUES ('it''s;')`}, []int{1}, nil},
		{"comments", "-- a; comment\n# another;\n/* block; */\nSELECT 1 -- trailing;\n;\nSELECT 1--1;", []string{"SELECT 1 -- trailing;\n", "SELECT 1--1"}, []int{4, 6}, nil},
		{"executable comment", "/*!40101 SET NAMES utf8mb4 */;\n/*!40000 ALTER TABLE `t` DISABLE KEYS */;", []string{"/*!40101 SET NAMES utf8mb4 */", "/*!40000 ALTER TABLE `t` DISABLE KEYS */"}, []int{1, 2}, nil},
		{"mariadb sandbox line", "/*M!999999\\- enable the sandbox mode */ \n-- MariaDB dump\nSELECT 1;", []string{"SELECT 1"}, []int{3}, nil},
		{"delimiter blocks", "DELIMITER ;;\nCREATE TRIGGER x BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = 1; END ;;\nDELIMITER ;\nSELECT 1;", []string{"CREATE TRIGGER x BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = 1; END ", "SELECT 1"}, []int{2, 4}, nil},
		{"multi line", "INSERT INTO t VALUES\n('a\nb'),\n('c');\nSELECT 1;", []string{"INSERT INTO t VALUES\n('a\nb'),\n('c')", "SELECT 1"}, []int{1, 5}, nil},
		{"trailing comment only", "SELECT 1;\n-- end\n", []string{"SELECT 1"}, []int{1}, nil},
		{"empty", "", nil, nil, nil},
		{"unterminated string", "SELECT 1;\nINSERT INTO t VALUES ('abc", []string{"SELECT 1"}, []int{1}, ErrTruncated},
		{"unterminated statement", "SELECT 1;\nINSERT INTO t VALUES (1)", []string{"SELECT 1"}, []int{1}, ErrTruncated},
		{"unterminated comment", "SELECT 1;\n/* abc", []string{"SELECT 1"}, []int{1}, ErrTruncated},
		{"escaped quote at end", `SELECT '\'`, nil, nil, ErrTruncated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, r := range []io.Reader{strings.NewReader(tc.in), iotest.OneByteReader(strings.NewReader(tc.in)), iotest.HalfReader(strings.NewReader(tc.in))} {
				res := splitAll(r, 0)
				require.Equal(t, tc.texts, res.texts)
				require.Equal(t, tc.lines, res.lines)
				if tc.err != nil {
					require.ErrorIs(t, res.err, tc.err)
					continue
				}
				require.NoError(t, res.err)
				require.Equal(t, tc.in, res.raw, "raw bytes must reproduce the input")
			}
		})
	}
}

func TestSplitterLongStatement(t *testing.T) {
	long := "INSERT INTO t VALUES ('" + strings.Repeat("x;'';\\'", 300000) + "');"
	res := splitAll(strings.NewReader(long+"SELECT 1;"), 0)
	require.NoError(t, res.err)
	require.Len(t, res.texts, 2)
	require.Equal(t, long[:len(long)-1], res.texts[0])

	res = splitAll(strings.NewReader(long), 1<<20)
	require.ErrorIs(t, res.err, ErrStatementTooLarge)
	require.Contains(t, res.err.Error(), "line 1")
}

func TestSplitterReadError(t *testing.T) {
	boom := errors.New("disk gone")
	res := splitAll(io.MultiReader(strings.NewReader("SELECT 1; SELECT "), iotest.ErrReader(boom)), 0)
	require.ErrorIs(t, res.err, boom)
}

// FuzzSplitter checks that splitting never panics, that the statements' raw bytes always
// reproduce the input, and that the result does not depend on how the input is read.
func FuzzSplitter(f *testing.F) {
	for _, s := range []string{"SELECT 1;", "INSERT INTO t VALUES ('a\\'b;',\"x\");", "DELIMITER ;;\nBEGIN; END;;\nDELIMITER ;\n", "/*!40101 SET x=1 */;-- c\n#d\n/* e */", "'", "/*", "SELECT 1--1;", "/*M!999999\\- x */\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		whole := splitAll(bytes.NewReader(in), 1<<16)
		bytewise := splitAll(iotest.OneByteReader(bytes.NewReader(in)), 1<<16)
		require.Equal(t, whole.texts, bytewise.texts)
		require.Equal(t, whole.lines, bytewise.lines)
		require.Equal(t, whole.err == nil, bytewise.err == nil)
		if whole.err == nil {
			require.Equal(t, string(in), whole.raw)
		}
	})
}

// FuzzStringEnd checks stringEnd, which jumps from quote to quote, against a byte-by-byte
// reading of the literal, and the Splitter against both.
func FuzzStringEnd(f *testing.F) {
	for _, s := range []string{`'a'`, `'a\'b'x`, `'a\\'b`, `'a''b'`, `"a\\\"b"`, `'\\\\\''`, `'abc\`, `'it\'s ""ok""' ;`} {
		f.Add([]byte(s))
	}
	slow := func(s []byte) int {
		q := s[0]
		for j := 1; j < len(s); j++ {
			switch {
			case s[j] == '\\':
				j++
			case s[j] == q && j+1 < len(s) && s[j+1] == q:
				j++
			case s[j] == q:
				return j + 1
			}
		}
		return len(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 || (in[0] != '\'' && in[0] != '"') {
			return
		}
		end := stringEnd(in, 0)
		require.Equal(t, slow(in), end)
		if end < len(in) { // a terminated literal: the Splitter must end it at the same byte
			stmt := append(append([]byte("SELECT "), in[:end]...), ';')
			got := splitAll(iotest.OneByteReader(bytes.NewReader(stmt)), 1<<16)
			require.NoError(t, got.err)
			require.Equal(t, []string{string(stmt[:len(stmt)-1])}, got.texts)
		}
	})
}
