package wordpress

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/transfer"
	"ferry/backend/transfer/local"
)

// writeSite lays out a WordPress tree from Debian's real core file version.php when
// present (else a copy of its format) plus the given extra files.
func writeSite(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for p, body := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		require.NoError(t, os.WriteFile(full, []byte(body), 0o644))
	}
}

const versionPHP = "<?php\n/**\n * WordPress Version\n */\n$wp_version = '6.4.3';\n$wp_db_version = 56657;\n"

func openTree(t *testing.T, root string) transfer.Tree {
	t.Helper()
	tree, err := local.Open(root)
	require.NoError(t, err)
	t.Cleanup(func() { _ = tree.Close() })
	return tree
}

func TestDetectFiles(t *testing.T) {
	ctx := context.Background()
	wpcli, err := os.ReadFile(filepath.Join("testdata", "config", "wpcli.php"))
	require.NoError(t, err)
	handwritten, err := os.ReadFile(filepath.Join("testdata", "config", "handwritten.php"))
	require.NoError(t, err)
	salt, err := os.ReadFile(filepath.Join("testdata", "config", "wp-salt.php"))
	require.NoError(t, err)
	multisite, err := os.ReadFile(filepath.Join("testdata", "config", "multisite.php"))
	require.NoError(t, err)

	core := map[string]string{
		"public_html/wp-includes/version.php":   versionPHP,
		"public_html/wp-content/index.php":      "<?php\n",
		"public_html/wp-config-sample.php":      "<?php\n",
		"public_html/wp-content/themes/x/a.css": "",
	}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range core {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name       string
		files      map[string]string
		dir        string
		wantErr    error
		wantConfig string
		wantPrefix string
	}{
		{"config in root", with(map[string]string{"public_html/wp-config.php": string(wpcli)}), "public_html", nil, "public_html/wp-config.php", "wpcli_"},
		{"config one level up", with(map[string]string{"wp-config.php": string(wpcli)}), "/public_html/", nil, "wp-config.php", "wpcli_"},
		{"no config, sample only", core, "public_html", nil, "", ""},
		{"salts included", with(map[string]string{"public_html/wp-config.php": string(handwritten), "public_html/wp-salt.php": string(salt)}), "public_html", nil, "public_html/wp-config.php", "wp_shop_"},
		{"multisite", with(map[string]string{"public_html/wp-config.php": string(multisite)}), "public_html", ErrMultisite, "public_html/wp-config.php", "wp_"},
		{"empty folder", map[string]string{"public_html/index.html": "hi"}, "public_html", ErrNotWordPress, "", ""},
		{"missing folder", core, "nothere", ErrNotWordPress, "", ""},
		{"no wp-content", map[string]string{"public_html/wp-includes/version.php": versionPHP}, "public_html", ErrNotWordPress, "", ""},
		{"version.php without version", map[string]string{"public_html/wp-includes/version.php": "<?php\n", "public_html/wp-content/a": ""}, "public_html", ErrNotWordPress, "", ""},
		{"path escaping the tree", core, "../etc", transfer.ErrInvalidPath, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			writeSite(t, root, tc.files)
			site, err := DetectFiles(ctx, openTree(t, root), tc.dir)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				if tc.wantErr == ErrNotWordPress {
					require.Contains(t, err.Error(), "WordPress not found at specified path")
				}
				if tc.wantErr != ErrMultisite {
					return
				}
				require.True(t, site.Multisite)
			} else {
				require.NoError(t, err)
			}
			require.Equal(t, "6.4.3", site.Version)
			require.Equal(t, tc.wantConfig, site.ConfigPath)
			require.Equal(t, tc.wantPrefix, site.Config.TablePrefix)
			require.Equal(t, "public_html/wp-config-sample.php", site.SamplePath)
		})
	}
}

func TestDetectFilesMergesIncludes(t *testing.T) {
	root := t.TempDir()
	handwritten, err := os.ReadFile(filepath.Join("testdata", "config", "handwritten.php"))
	require.NoError(t, err)
	salt, err := os.ReadFile(filepath.Join("testdata", "config", "wp-salt.php"))
	require.NoError(t, err)
	writeSite(t, root, map[string]string{
		"wp-includes/version.php": versionPHP, "wp-content/.keep": "",
		"wp-config.php": string(handwritten), "wp-salt.php": string(salt),
	})
	site, err := DetectFiles(context.Background(), openTree(t, root), ".")
	require.NoError(t, err)
	require.Len(t, site.Config.Salts, 8)
	require.Equal(t, "salt-file-1", site.Config.Salts["AUTH_KEY"])
	require.Empty(t, site.MissingIncludes)

	require.NoError(t, os.Remove(filepath.Join(root, "wp-salt.php")))
	site, err = DetectFiles(context.Background(), openTree(t, root), ".")
	require.NoError(t, err)
	require.Equal(t, []string{"wp-salt.php"}, site.MissingIncludes)
}

// TestDetectDebianWordPress runs detection on the real WordPress core files that
// Debian's wordpress package installs, when present.
func TestDetectDebianWordPress(t *testing.T) {
	const root = "/usr/share/wordpress"
	if _, err := os.Stat(filepath.Join(root, "wp-includes", "version.php")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Debian's wordpress package is required under CI=true: %v", err)
		}
		t.Skip("Debian's wordpress package is not installed")
	}
	site, err := DetectFiles(context.Background(), openTree(t, root), ".")
	require.NoError(t, err)
	require.Regexp(t, `^\d+\.\d+(\.\d+)?`, site.Version)
	require.Equal(t, "wp-config-sample.php", site.SamplePath)
}

func TestDetectDump(t *testing.T) {
	single := []string{"wp_options", "wp_posts", "wp_postmeta", "wp_users", "wp_usermeta", "wp_terms", "wp_comments"}
	tests := []struct {
		name       string
		tables     []string
		wantPrefix string
		wantOthers []string
		wantErr    error
	}{
		{"standard", single, "wp_", nil, nil},
		{"custom prefix", []string{"Lq9_options", "Lq9_posts", "Lq9_users"}, "Lq9_", nil, nil},
		{"two installs", append([]string{"old_options", "old_posts"}, single...), "wp_", []string{"old_"}, nil},
		{"plugin tables do not confuse", append([]string{"wp_woocommerce_sessions", "wp_wc_orders", "wp_actionscheduler_options"}, single...), "wp_", nil, nil},
		{"no prefix", []string{"options", "posts"}, "", nil, nil},
		{"multisite", append([]string{"wp_blogs", "wp_site", "wp_sitemeta", "wp_2_options", "wp_2_posts"}, single...), "wp_", nil, ErrMultisite},
		{"not wordpress", []string{"customers", "orders"}, "", nil, ErrNoPrefix},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			info, err := DetectDump(tc.tables, map[string]string{"siteurl": "http://old.test ", "home": "http://old.test/"})
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				if tc.wantErr == ErrNoPrefix {
					return
				}
				require.True(t, info.Multisite)
			} else {
				require.NoError(t, err)
			}
			require.Equal(t, tc.wantPrefix, info.Prefix)
			require.Equal(t, tc.wantOthers, info.OtherPrefixes)
			require.Equal(t, "http://old.test", info.SiteURL)
			require.Equal(t, "http://old.test/", info.Home)
		})
	}
}
