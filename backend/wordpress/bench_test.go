package wordpress

import (
	"testing"
)

// benchValues are typical database values: a serialized option with a URL, a post
// with block markup and links, Elementor JSON, and a value without the old host (the
// common case the import skips through Needles).
var benchValues = map[string]string{
	"serialized_option": `a:2:{i:2;a:4:{s:5:"title";s:5:"About";s:4:"text";s:59:"<a href="http://old.test/about/">About us</a> — café ☕";s:6:"filter";b:1;s:6:"visual";b:1;}s:12:"_multiwidget";i:1;}`,
	"nested_serialized": `a:2:{s:7:"version";s:3:"2.1";s:5:"cache";s:65:"a:1:{s:4:"logo";s:40:"http://old.test/wp-content/uploads/a.svg";}";}`,
	"post_content":      "<!-- wp:image {\"id\":12} -->\n<figure><img src=\"http://old.test/wp-content/uploads/2023/05/logo.png\"/></figure>\n<!-- /wp:image -->\n<!-- wp:paragraph --><p>Read <a href=\"http://old.test/2023/05/post/\">this</a>. Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.</p><!-- /wp:paragraph -->",
	"elementor_json":    `[{"id":"a1","elType":"section","settings":{"background_image":{"url":"http:\/\/old.test\/wp-content\/uploads\/hero.jpg","id":55}},"elements":[{"id":"b1","elType":"widget","settings":{"link":{"url":"http:\/\/old.test\/contact\/"}}}]}]`,
	"no_url":            `a:3:{s:12:"product_base";s:7:"product";s:13:"category_base";s:16:"product-category";s:5:"count";i:42;}`,
}

func BenchmarkReplacer(b *testing.B) {
	r := newTestReplacer(b)
	for name, v := range benchValues {
		val := []byte(v)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(val)))
			b.ReportAllocs()
			for b.Loop() {
				r.RewriteString("wp_options", "option_value", val)
			}
		})
	}
}
