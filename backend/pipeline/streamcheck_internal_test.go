package pipeline

import (
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/wordpress"
)

// TestCheckingRewriter feeds values through the wrapper Import uses: rewritten serialized
// values are counted and checked, and a value the rewrite must leave alone (serialized
// data already broken on the source) is reported as still holding the old URL.
func TestCheckingRewriter(t *testing.T) {
	rw, err := wordpress.NewReplacer("http://old.test", "https://www.new-site.example.com:8080/blog")
	require.NoError(t, err)
	c := &checkingRewriter{rw: rw}
	out, changed := c.RewriteString("wp_options", "option_value", []byte(`a:1:{s:3:"url";s:16:"http://old.test/";}`))
	require.True(t, changed)
	require.Equal(t, `a:1:{s:3:"url";s:43:"https://www.new-site.example.com:8080/blog/";}`, string(out))
	_, changed = c.RewriteString("wp_posts", "post_content", []byte(`<a href="http://old.test/x">x</a>`))
	require.True(t, changed)
	broken := `a:1:{s:3:"url";s:99:"http://old.test/";}`
	out, changed = c.RewriteString("wp_postmeta", "meta_value", []byte(broken))
	require.False(t, changed)
	require.Equal(t, broken, string(out), "broken values stay byte for byte")
	sc := c.result([]string{"wp_options", "wp_posts", "wp_postmeta"})
	require.EqualValues(t, 1, sc.Serialized)
	require.Zero(t, sc.SerializedBad)
	require.EqualValues(t, 1, sc.OldURLLeft)
	require.Equal(t, "wp_postmeta.meta_value", sc.FirstLeft)

	merged := mergeOldURL(wordpress.Check{Name: wordpress.CheckOldURL, OK: true}, &sc, "http://old.test")
	require.False(t, merged.OK)
	require.Contains(t, merged.Message, "wp_postmeta.meta_value")
	sc.SerializedBad, sc.FirstBad = 2, "wp_options.option_value"
	ms := mergeSerialized(wordpress.Check{Name: wordpress.CheckSerialized, OK: true, Message: "No serialized values to check."}, &sc)
	require.False(t, ms.OK)
	require.Contains(t, ms.Message, "2 rewritten serialized values no longer parse")
}
