package transfer

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestExcluder(t *testing.T) {
	tests := []struct {
		pattern string
		path    string
		want    bool
	}{
		{"wp-content/cache/**", "wp-content/cache", true},
		{"wp-content/cache/**", "wp-content/cache/a/b.html", true},
		{"wp-content/cache/**", "wp-content/cached.txt", false},
		{"wp-content/cache", "wp-content/cache/x", true},
		{"*.log", "debug.log", true},
		{"*.log", "wp-content/uploads/x/debug.log", true},
		{"*.log", "debug.log.php", false},
		{"**/node_modules", "wp-content/themes/t/node_modules/x.js", true},
		{"wp-content/**/*.zip", "wp-content/ai1wm-backups/site.zip", true},
		{"wp-content/**/*.zip", "site.zip", false},
		{"/wp-config.php", "wp-config.php", true},
		{"wp-config.php", "sub/wp-config.php", true},
		{"uploads/20??/*", "uploads/2024/a.jpg", true},
		{"uploads/20??/*", "uploads/1999/a.jpg", false},
	}
	for _, tc := range tests {
		t.Run(tc.pattern+" "+tc.path, func(t *testing.T) {
			e, err := NewExcluder([]string{tc.pattern})
			require.NoError(t, err)
			require.Equal(t, tc.want, e.Excluded(tc.path))
		})
	}
	_, err := NewExcluder([]string{"ok/**", "[bad"})
	require.ErrorContains(t, err, `exclude pattern "**/[bad"`)
	var none *Excluder
	require.False(t, none.Excluded("x"))
}

func TestCleanPath(t *testing.T) {
	tests := []struct {
		in, want string
		bad      bool
	}{
		{"", ".", false}, {".", ".", false}, {"a/b/", "a/b", false}, {"a//b", "a/b", false},
		{"a/./b", "a/b", false}, {"../a", "", true}, {"a/../b", "", true}, {"/a", "", true},
		{"a\x00", "", true}, {"a\nb", "", true}, {`a\b`, "", true},
	}
	for _, tc := range tests {
		got, err := CleanPath(tc.in)
		if tc.bad {
			require.ErrorIs(t, err, ErrInvalidPath, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got)
	}
	require.Equal(t, "/srv/a", JoinRoot("/srv", "a"))
	require.Equal(t, "/srv", JoinRoot("/srv", "."))
	require.Equal(t, "a", JoinRoot("", "a"))
}

func FuzzCleanPath(f *testing.F) {
	for _, s := range []string{"a/b", "../x", "/etc", "a/./../b", "ü/ ", "a\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got, err := CleanPath(p)
		if err != nil {
			return
		}
		again, err := CleanPath(got)
		require.NoError(t, err, "a clean path stays valid")
		require.Equal(t, got, again, "cleaning is idempotent")
		require.NotContains(t, "/"+got+"/", "/../")
		require.NotEqual(t, byte('/'), got[0])
	})
}
