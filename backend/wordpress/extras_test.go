package wordpress

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/wordpress/phpserial/phptest"
)

func extrasReplacer(t *testing.T) *Replacer {
	t.Helper()
	r, err := NewReplacer("http://old.test", "https://www.new-site.example.com:8080/blog")
	require.NoError(t, err)
	require.NoError(t, r.SetExtras([]Extra{
		{Find: "cdn.old-host.net", Replace: "static.new-site.example.com"},
		{Find: "@old.test", Replace: "@new-site.example.com"},
	}))
	return r
}

func TestExtrasInTextAndSerializedValues(t *testing.T) {
	r := extrasReplacer(t)
	out, changed := r.RewriteString("wp_posts", "post_content",
		[]byte(`<img src="https://cdn.old-host.net/a.png"> <a href="http://old.test/x">x</a> mail admin@old.test`))
	require.True(t, changed)
	require.Equal(t, `<img src="https://static.new-site.example.com/a.png"> <a href="https://www.new-site.example.com:8080/blog/x">x</a> mail admin@new-site.example.com`, string(out))

	// A value holding only an extra's text (no old URL) is rewritten too.
	out, changed = r.RewriteString("wp_options", "admin_email", []byte("webmaster@old.test"))
	require.True(t, changed)
	require.Equal(t, "webmaster@new-site.example.com", string(out))

	// Serialized: every changed string gets its new length, nested values included.
	inner := `a:1:{s:3:"cdn";s:24:"https://cdn.old-host.net";}`
	val := fmt.Sprintf(`a:2:{s:4:"logo";s:30:"https://cdn.old-host.net/l.png";s:5:"inner";s:%d:"%s";}`, len(inner), inner)
	out, changed = r.RewriteString("wp_options", "option_value", []byte(val))
	require.True(t, changed)
	newInner := `a:1:{s:3:"cdn";s:35:"https://static.new-site.example.com";}`
	want := fmt.Sprintf(`a:2:{s:4:"logo";s:41:"https://static.new-site.example.com/l.png";s:5:"inner";s:%d:"%s";}`, len(newInner), newInner)
	require.Equal(t, want, string(out))
	require.Equal(t, []bool{true, true}, phptest.Accepts(t, []string{string(out), newInner}), "PHP unserializes the result")

	st := r.Stats()
	require.Equal(t, []ExtraStats{
		{Find: "cdn.old-host.net", Replace: "static.new-site.example.com", Replacements: 3},
		{Find: "@old.test", Replace: "@new-site.example.com", Replacements: 2},
	}, st.Extras)
	require.Equal(t, int64(6), st.Replacements, "one URL and five extra replacements")

	// Without extras the bare host in text is left alone, as before.
	plain, err := NewReplacer("http://old.test", "https://new.example")
	require.NoError(t, err)
	_, changed = plain.RewriteString("wp_options", "admin_email", []byte("webmaster@old.test"))
	require.False(t, changed)
	require.Len(t, plain.Needles(), 1)
	require.Len(t, r.Needles(), 3, "the import's pre-filter must see values holding only an extra's text")
}

func TestCheckExtras(t *testing.T) {
	require.NoError(t, CheckExtras(nil))
	for _, bad := range [][]Extra{
		{{Find: "", Replace: "x"}},
		{{Find: "same", Replace: "same"}},
		make([]Extra, MaxExtras+1),
	} {
		require.ErrorIs(t, CheckExtras(bad), ErrExtra)
	}
}
