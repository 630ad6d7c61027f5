package phpserial_test

import (
	"bytes"
	"fmt"

	"ferry/backend/wordpress/phpserial"
)

func ExampleRewrite() {
	in := []byte(`a:1:{s:4:"home";s:15:"http://old.test";}`)
	out, changed, err := phpserial.Rewrite(in, func(s []byte) ([]byte, bool) {
		n := bytes.ReplaceAll(s, []byte("http://old.test"), []byte("https://new.example/blog"))
		return n, !bytes.Equal(n, s)
	})
	fmt.Println(string(out), changed, err)
	// Output: a:1:{s:4:"home";s:24:"https://new.example/blog";} true <nil>
}
