package agent

import (
	"bytes"
	"io"
	"testing"
)

// FuzzParseFiles feeds parseFiles any response: it never panics, never hands fn a path out
// of order or one not asked for, and reports as answered exactly the paths fn saw.
func FuzzParseFiles(f *testing.F) {
	str := func(s string) string { return string([]byte{0, 0, byte(len(s) >> 8), byte(len(s))}) + s }
	f.Add([]byte("F" + str("a") + "c" + str("hello") + "eX" + str("b") + str("path refused") + "Z"))
	f.Add([]byte("F" + str("a") + "d" + str("\xf2H\xcd\xc9\xc9\a\x04\x00") + "x" + str("read failed") + "Z"))
	f.Add([]byte("F" + str("b") + "eZ"))
	f.Add([]byte("Z"))
	want := []string{"a", "b", "c"}
	f.Fuzz(func(t *testing.T, resp []byte) {
		var seen []string
		var buf bytes.Buffer
		n, err := parseFiles(bytes.NewReader(resp), want, &buf, func(p string, r io.Reader, err error) error {
			if (r == nil) == (err == nil) {
				t.Fatalf("%s: r and err both set or both nil", p)
			}
			if r != nil {
				if _, err := io.Copy(io.Discard, r); err != nil {
					t.Fatal(err)
				}
			}
			seen = append(seen, p)
			return nil
		})
		if n != len(seen) || n > len(want) {
			t.Fatalf("answered %d, fn saw %v", n, seen)
		}
		for i, p := range seen {
			if p != want[i] {
				t.Fatalf("fn saw %v", seen)
			}
		}
		if err == nil && n == 0 {
			t.Fatal("no error and no file answered")
		}
	})
}
