package phpserial

import (
	"bytes"
	"testing"
)

// benchValue is a theme_mods option as WordPress stores it.
var benchValue = []byte(`a:5:{i:0;b:0;s:18:"nav_menu_locations";a:2:{s:7:"primary";i:3;s:6:"footer";i:4;}s:12:"header_image";s:65:"http://old.test/wp-content/uploads/2022/01/header-image-large.jpg";s:17:"header_image_data";O:8:"stdClass":3:{s:13:"attachment_id";i:7;s:3:"url";s:65:"http://old.test/wp-content/uploads/2022/01/header-image-large.jpg";s:5:"width";i:1200;}s:11:"custom_logo";i:8;}`)

func BenchmarkParse(b *testing.B) {
	b.SetBytes(int64(len(benchValue)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(benchValue); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRewrite(b *testing.B) {
	old, repl := []byte("http://old.test"), []byte("https://www.new-site.example.com:8080/blog")
	fn := func(s []byte) ([]byte, bool) {
		if !bytes.Contains(s, old) {
			return s, false
		}
		return bytes.ReplaceAll(s, old, repl), true
	}
	b.SetBytes(int64(len(benchValue)))
	b.ReportAllocs()
	for b.Loop() {
		if _, changed, err := Rewrite(benchValue, fn); err != nil || !changed {
			b.Fatal(err)
		}
	}
}
