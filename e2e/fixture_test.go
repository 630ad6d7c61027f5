//go:build e2e

package e2e

import (
	"archive/zip"
	"database/sql"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"ferry/backend/mysqldb/mysqltest"
)

// A copy of the pipeline tests' fixture: a small but real WordPress site and its source
// database, with URLs of different lengths (what breaks naive serialized rewrites).
const oldURL = "http://old.test"

func makeSite(t *testing.T, dbName, dbUser, dbPass, dbHost string, images, imageSize int) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"index.php":                                "<?php\ndefine( 'WP_USE_THEMES', true );\nrequire __DIR__ . '/wp-blog-header.php';\n",
		"wp-includes/version.php":                  "<?php\n$wp_version = '6.4.3';\n$wp_db_version = 56657;\n",
		"wp-includes/functions.php":                "<?php\n// core\n",
		"wp-admin/index.php":                       "<?php\n// admin\n",
		"wp-config-sample.php":                     configPHP("database_name_here", "username_here", "password_here", "localhost"),
		"wp-config.php":                            configPHP(dbName, dbUser, dbPass, dbHost),
		".htaccess":                                "# BEGIN WordPress\nRewriteEngine On\nRewriteRule . /index.php [L]\n# END WordPress\n",
		"wp-content/index.php":                     "<?php\n// Silence is golden.\n",
		"wp-content/uploads/.htaccess":             "Options -Indexes\n",
		"wp-content/uploads/2024/01/café menu.txt": "crème brûlée — 12 €\n",
		"wp-content/themes/t/style.css":            "/* Theme Name: T */\nbody{background:url(http://old.test/bg.png)}\n",
	}
	for i := 0; i < images; i++ {
		files[fmt.Sprintf("wp-content/uploads/2024/02/img-%02d.jpg", i)] = strings.Repeat(fmt.Sprintf("%02d", i), imageSize/2)
	}
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	return dir
}

func configPHP(name, user, pass, host string) string {
	return fmt.Sprintf(`<?php
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
if ( ! defined( 'ABSPATH' ) ) {
	define( 'ABSPATH', __DIR__ . '/' );
}
require_once ABSPATH . 'wp-settings.php';
`, name, user, pass, host)
}

func serialized(s string) string { return fmt.Sprintf("s:%d:\"%s\";", len(s), s) }

// sourceDB fills a fresh database with a WordPress-shaped schema full of the old URL.
func sourceDB(t *testing.T) (dsn string, cfg *mysql.Config) {
	t.Helper()
	dsn, _ = mysqltest.NewDatabase(t)
	db, err := sql.Open("mysql", dsn)
	require.NoError(t, err)
	defer db.Close()
	stmts := []string{
		"CREATE TABLE wp_options (option_id bigint unsigned NOT NULL AUTO_INCREMENT, option_name varchar(191) NOT NULL DEFAULT '', option_value longtext NOT NULL, autoload varchar(20) NOT NULL DEFAULT 'yes', PRIMARY KEY (option_id), UNIQUE KEY option_name (option_name)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
		"CREATE TABLE wp_posts (ID bigint unsigned NOT NULL AUTO_INCREMENT, post_date datetime NOT NULL DEFAULT '0000-00-00 00:00:00', post_content longtext NOT NULL, post_title text NOT NULL, guid varchar(255) NOT NULL DEFAULT '', PRIMARY KEY (ID)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
		"SET SESSION sql_mode = ''",
	}
	for _, s := range stmts {
		_, err := db.Exec(s)
		require.NoError(t, err)
	}
	widget := fmt.Sprintf("a:1:{s:3:\"url\";%s}", serialized("http://old.test/"))
	for _, o := range [][2]string{{"siteurl", oldURL}, {"home", oldURL}, {"blogname", "Café ☕ Old"}, {"widget_text", widget}} {
		_, err := db.Exec("INSERT INTO wp_options (option_name, option_value) VALUES (?, ?)", o[0], o[1])
		require.NoError(t, err)
	}
	for i := 1; i <= 30; i++ {
		_, err := db.Exec("INSERT INTO wp_posts (ID, post_date, post_content, post_title, guid) VALUES (?, ?, ?, ?, ?)",
			i, "0000-00-00 00:00:00", fmt.Sprintf("<p>Post %d see http://old.test/?p=%d</p>", i, i), fmt.Sprintf("Post %d", i), fmt.Sprintf("http://old.test/?p=%d", i))
		require.NoError(t, err)
	}
	return dsn, mysqltest.Config(t, dsn)
}

// zipSite packs a site folder the way hosting panels export it: under public_html/.
func zipSite(t *testing.T, dir string) string {
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
		w, err := zw.Create("public_html/" + filepath.ToSlash(rel))
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

// dumpFile dumps a database with the real mysqldump, as an admin's old host would.
func dumpFile(t *testing.T, cfg *mysql.Config) string {
	t.Helper()
	bin, err := exec.LookPath("mysqldump")
	if err != nil {
		bin, err = exec.LookPath("mariadb-dump")
	}
	require.NoError(t, err, "mysqldump (mariadb-client) is needed")
	host, port := splitAddr(t, cfg.Addr)
	cmd := exec.Command(bin, "--single-transaction", "-h", host, "-P", fmt.Sprint(port), "-u", cfg.User, cfg.DBName)
	cmd.Env = append(os.Environ(), "MYSQL_PWD="+cfg.Passwd)
	b, err := cmd.Output()
	require.NoError(t, err)
	out := filepath.Join(t.TempDir(), "database.sql")
	require.NoError(t, os.WriteFile(out, b, 0o600))
	return out
}
