package sitetest

import (
	"database/sql"
	"fmt"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"
)

// PluginTable is a plugin's own table created without the WordPress table prefix, as some
// plugins do: a migration must rewrite and validate it like any other.
const PluginTable = "yoast_seo_links"

// BrokenOption is the name of the option whose serialized value was already broken on the
// source: its string length says 99 but the string is shorter. WordPress cannot
// unserialize it either; Ferry must copy it byte for byte and say so.
const BrokenOption = "broken_widget"

// BrokenValue is BrokenOption's value, which holds the old URL.
var BrokenValue = fmt.Sprintf("a:1:{s:3:\"url\";s:99:\"%s/broken\";}", OldURL)

// AddExtras adds to a database made by SourceDB a plugin table without the prefix holding
// the old URL (plain, serialized and JSON-escaped), and the broken option. It returns the
// broken option's option_id.
func AddExtras(t testing.TB, cfg *mysql.Config) int64 {
	t.Helper()
	db, err := sql.Open("mysql", cfg.FormatDSN())
	require.NoError(t, err)
	defer db.Close()
	_, err = db.Exec("CREATE TABLE " + PluginTable + " (id int unsigned NOT NULL AUTO_INCREMENT, url varchar(255) NOT NULL, data longtext, PRIMARY KEY (id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci")
	require.NoError(t, err)
	for i := 1; i <= 3; i++ {
		_, err = db.Exec("INSERT INTO "+PluginTable+" (id, url, data) VALUES (?, ?, ?)", i,
			fmt.Sprintf("%s/page-%d/", OldURL, i),
			fmt.Sprintf("a:1:{s:4:\"link\";%s}", Serialized(fmt.Sprintf(`{"u":"http:\/\/old.test\/p%d"}`, i))))
		require.NoError(t, err)
	}
	res, err := db.Exec("INSERT INTO wp_options (option_name, option_value) VALUES (?, ?)", BrokenOption, BrokenValue)
	require.NoError(t, err)
	id, err := res.LastInsertId()
	require.NoError(t, err)
	return id
}
