// Package sitetest builds the small but real WordPress site that Ferry's end-to-end tests
// migrate: core markers, wp-config.php pointing at a source database, dot files, uploads,
// a unicode file name, and a database full of the old URL in every form (plain,
// serialized and nested, JSON-escaped) with zero dates. The pipeline tests and the UI
// end-to-end test share it, like transfertest's servers.
package sitetest

import (
	"archive/zip"
	"database/sql"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"ferry/backend/mysqldb/mysqltest"
)

// OldURL is the source site's URL. Tests move it to a URL of a different length, which is
// what breaks naive search-replace of serialized data.
const OldURL = "http://old.test"

// Site is a site written to disk.
type Site struct {
	Dir   string
	Files int
}

// Options size a site: Images uploads of about ImageSize bytes (growing a little each).
type Options struct {
	Images, ImageSize int
}

// WriteSite writes the site into dir (overwriting what it holds) with wp-config.php for
// the given database.
func WriteSite(t testing.TB, dir, dbName, dbUser, dbPass, dbHost string, o Options) Site {
	t.Helper()
	files := map[string]string{
		"index.php":                                "<?php\ndefine( 'WP_USE_THEMES', true );\nrequire __DIR__ . '/wp-blog-header.php';\n",
		"wp-includes/version.php":                  "<?php\n$wp_version = '6.4.3';\n$wp_db_version = 56657;\n",
		"wp-includes/functions.php":                "<?php\n// core\n",
		"wp-admin/index.php":                       "<?php\n// admin\n",
		"wp-config-sample.php":                     ConfigPHP("database_name_here", "username_here", "password_here", "localhost"),
		"wp-config.php":                            ConfigPHP(dbName, dbUser, dbPass, dbHost),
		".htaccess":                                "# BEGIN WordPress\nRewriteEngine On\nRewriteRule . /index.php [L]\n# END WordPress\n",
		"wp-content/index.php":                     "<?php\n// Silence is golden.\n",
		"wp-content/uploads/.htaccess":             "Options -Indexes\n",
		"wp-content/uploads/2024/01/café menu.txt": "crème brûlée — 12 €\n",
		"wp-content/uploads/empty.txt":             "",
		"wp-content/themes/t/style.css":            "/* Theme Name: T */\nbody{background:url(http://old.test/bg.png)}\n",
	}
	for i := 0; i < o.Images; i++ {
		files[fmt.Sprintf("wp-content/uploads/2024/02/img-%02d.jpg", i)] = strings.Repeat(fmt.Sprintf("%02d", i%100), o.ImageSize/2+i*97)
	}
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	return Site{Dir: dir, Files: len(files)}
}

// ConfigPHP is a wp-config.php as WordPress's installer writes it.
func ConfigPHP(name, user, pass, host string) string {
	return fmt.Sprintf(`<?php
/** The name of the database for WordPress */
define( 'DB_NAME', '%s' );
define( 'DB_USER', '%s' );
define( 'DB_PASSWORD', '%s' );
define( 'DB_HOST', '%s' );
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );
define( 'AUTH_KEY',         'put your unique phrase here' );
define( 'SECURE_AUTH_KEY',  'put your unique phrase here' );
define( 'LOGGED_IN_KEY',    'put your unique phrase here' );
define( 'NONCE_KEY',        'put your unique phrase here' );
define( 'AUTH_SALT',        'put your unique phrase here' );
define( 'SECURE_AUTH_SALT', 'put your unique phrase here' );
define( 'LOGGED_IN_SALT',   'put your unique phrase here' );
define( 'NONCE_SALT',       'put your unique phrase here' );
$table_prefix = 'wp_';
define( 'WP_DEBUG', false );
if ( ! defined( 'ABSPATH' ) ) {
	define( 'ABSPATH', __DIR__ . '/' );
}
require_once ABSPATH . 'wp-settings.php';
`, name, user, pass, host)
}

// Serialized returns PHP's serialize() of a string.
func Serialized(s string) string { return fmt.Sprintf("s:%d:\"%s\";", len(s), s) }

// SourceDB fills a fresh database with a WordPress-shaped schema and content full of the
// old URL: plain, serialized (nested), JSON-escaped, next to partial-host traps
// (bold.test, old.testing.com), with zero dates. It returns its connection settings and name.
func SourceDB(t testing.TB) (cfg *mysql.Config, name string) {
	t.Helper()
	dsn, name := mysqltest.NewDatabase(t)
	db, err := sql.Open("mysql", dsn)
	require.NoError(t, err)
	defer db.Close()
	widget := fmt.Sprintf("a:2:{i:2;a:3:{s:5:\"title\";s:5:\"Links\";s:4:\"text\";%ss:3:\"url\";%s}s:12:\"_multiwidget\";i:1;}",
		Serialized("<a href=\"http://old.test/about\">About</a>"), Serialized("http://old.test/"))
	nested := Serialized(fmt.Sprintf("a:1:{s:4:\"home\";%s}", Serialized("http://old.test")))
	stmts := []string{
		"CREATE TABLE wp_options (option_id bigint unsigned NOT NULL AUTO_INCREMENT, option_name varchar(191) NOT NULL DEFAULT '', option_value longtext NOT NULL, autoload varchar(20) NOT NULL DEFAULT 'yes', PRIMARY KEY (option_id), UNIQUE KEY option_name (option_name)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
		"CREATE TABLE wp_posts (ID bigint unsigned NOT NULL AUTO_INCREMENT, post_date datetime NOT NULL DEFAULT '0000-00-00 00:00:00', post_content longtext NOT NULL, post_title text NOT NULL, guid varchar(255) NOT NULL DEFAULT '', PRIMARY KEY (ID)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
		"CREATE TABLE wp_postmeta (meta_id bigint unsigned NOT NULL AUTO_INCREMENT, post_id bigint unsigned NOT NULL DEFAULT 0, meta_key varchar(255) DEFAULT NULL, meta_value longtext, PRIMARY KEY (meta_id), KEY post_id (post_id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
		"SET SESSION sql_mode = ''",
	}
	for _, s := range stmts {
		_, err := db.Exec(s)
		require.NoError(t, err)
	}
	opts := [][2]string{
		{"siteurl", OldURL}, {"home", OldURL}, {"blogname", "Café ☕ Old"},
		{"widget_text", widget}, {"theme_mods_t", nested},
	}
	for _, o := range opts {
		_, err := db.Exec("INSERT INTO wp_options (option_name, option_value) VALUES (?, ?)", o[0], o[1])
		require.NoError(t, err)
	}
	for i := 1; i <= 60; i++ {
		content := fmt.Sprintf("<p>Post %d 😀 see <a href=\"http://old.test/?p=%d\">here</a>, not http://bold.test/ nor http://old.testing.com/</p>", i, i)
		_, err := db.Exec("INSERT INTO wp_posts (ID, post_date, post_content, post_title, guid) VALUES (?, ?, ?, ?, ?)",
			i, "0000-00-00 00:00:00", content, fmt.Sprintf("Post %d", i), fmt.Sprintf("http://old.test/?p=%d", i))
		require.NoError(t, err)
		_, err = db.Exec("INSERT INTO wp_postmeta (post_id, meta_key, meta_value) VALUES (?, '_elementor_data', ?), (?, '_wp_attachment_metadata', ?)",
			i, `[{"settings":{"link":{"url":"http:\/\/old.test\/page"}}}]`, i, fmt.Sprintf("a:1:{s:4:\"file\";%s}", Serialized("http://old.test/wp-content/uploads/x.jpg")))
		require.NoError(t, err)
	}
	return mysqltest.Config(t, dsn), name
}

// Zip packs a site folder the way hosting panels export it: under public_html/.
func Zip(t testing.TB, dir string) string {
	t.Helper()
	return zipDir(t, dir, false)
}

// ZipWithModes zips dir like Zip, recording each file's Unix mode as Info-ZIP does on
// Linux and macOS.
func ZipWithModes(t testing.TB, dir string) string {
	t.Helper()
	return zipDir(t, dir, true)
}

func zipDir(t testing.TB, dir string, modes bool) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "wordpress-files.zip")
	f, err := os.Create(out)
	require.NoError(t, err)
	zw := zip.NewWriter(f)
	err = filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		hdr := &zip.FileHeader{Name: "public_html/" + filepath.ToSlash(rel), Method: zip.Deflate}
		if modes {
			info, err := e.Info()
			if err != nil {
				return err
			}
			hdr.SetMode(info.Mode()) // also marks the entry as made on Unix
		}
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		r, err := os.Open(p)
		if err != nil {
			return err
		}
		defer r.Close()
		_, err = io.Copy(w, r)
		return err
	})
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	require.NoError(t, f.Close())
	return out
}

// Dump dumps a database with the real mysqldump, as an admin's old host would.
func Dump(t testing.TB, cfg *mysql.Config) string {
	t.Helper()
	bin, err := exec.LookPath("mysqldump")
	if err != nil {
		bin, err = exec.LookPath("mariadb-dump")
	}
	require.NoError(t, err, "mysqldump (mariadb-client) is needed: apt-get install mariadb-client")
	host, port, ok := strings.Cut(cfg.Addr, ":")
	require.True(t, ok, "address %q has no port", cfg.Addr)
	_, err = strconv.Atoi(port)
	require.NoError(t, err)
	cmd := exec.Command(bin, "--single-transaction", "-h", host, "-P", port, "-u", cfg.User, cfg.DBName)
	cmd.Env = append(os.Environ(), "MYSQL_PWD="+cfg.Passwd)
	b, err := cmd.Output()
	require.NoError(t, err)
	out := filepath.Join(t.TempDir(), "database.sql")
	require.NoError(t, os.WriteFile(out, b, 0o600))
	return out
}
