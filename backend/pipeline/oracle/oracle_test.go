package oracle_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/pipeline/oracle"
	"ferry/backend/pipeline/sitetest"
)

// TestRewriteIsPHPs checks the reference against values whose right answer is written out
// by hand, so the oracle itself is not trusted blindly.
func TestRewriteIsPHPs(t *testing.T) {
	newURL := "https://www.new-site.example.com:8080/blog"
	in := []string{
		"see http://old.test/a and https://www.old.test/b and //old.test/c",
		"not http://bold.test/ nor http://old.testing.com/ nor http://old.test:8080/ nor admin@old.test",
		`[{"url":"http:\/\/old.test\/page"}]`,
		sitetest.Serialized("http://old.test/"),
		sitetest.Serialized(`a:1:{s:4:"home";` + sitetest.Serialized("http://old.test") + `}`),
		"i:5;",
	}
	want := []string{
		"see " + newURL + "/a and " + newURL + "/b and //www.new-site.example.com:8080/blog/c",
		in[1],
		`[{"url":"https:\/\/www.new-site.example.com:8080\/blog\/page"}]`,
		`s:43:"https://www.new-site.example.com:8080/blog/";`,
		sitetest.Serialized(`a:1:{s:4:"home";` + sitetest.Serialized(newURL) + `}`),
		"i:5;",
	}
	require.Equal(t, want, oracle.Rewrite(t, in, sitetest.OldURL, newURL))
}

func TestConfigIsReadByPHP(t *testing.T) {
	p := filepath.Join(t.TempDir(), "wp-config.php")
	require.NoError(t, os.WriteFile(p, []byte(sitetest.ConfigPHP("db1", "u1", "p-1", "127.0.0.1:3307")), 0o600))
	c := oracle.Config(t, p)
	require.Equal(t, oracle.WPConfig{Name: "db1", User: "u1", Password: "p-1", Host: "127.0.0.1:3307", Prefix: "wp_"}, c)
}

func TestFilesFindsADifference(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(a, "x"), []byte("1"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(b, "x"), []byte("1"), 0o644))
	require.Equal(t, 1, oracle.Files(t, a, b))
	require.NoError(t, os.WriteFile(filepath.Join(b, "x"), []byte("2"), 0o644))
	require.NotEqual(t, oracle.Tree(t, a), oracle.Tree(t, b))
}
