package pipeline

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/mysqldb/mysqltest"
	"ferry/backend/wordpress"
)

// TestCheckValuesInKeyRanges: a big table read in key ranges on several connections gives
// the verdicts, counts, first values and warnings of reading it whole; the byte search
// still finds the old host in latin1 and ucs2 columns and in a table without a key; a
// value the server does not see starting with a type tag is not counted as serialized.
func TestCheckValuesInKeyRanges(t *testing.T) {
	ctx := context.Background()
	dsn, _ := mysqltest.NewDatabase(t)
	db, err := sql.Open("mysql", dsn)
	require.NoError(t, err)
	defer db.Close()
	for _, q := range []string{
		"CREATE TABLE wp_links (link_id int PRIMARY KEY, link_url varchar(100) CHARACTER SET ucs2)",
		"CREATE TABLE wp_nopk (note text CHARACTER SET latin1)",
		"CREATE TABLE wp_postmeta (meta_id bigint unsigned PRIMARY KEY, meta_key varchar(255), meta_value longtext) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci",
		"CREATE TABLE wp_usermeta (umeta_id int PRIMARY KEY, meta_key varchar(100) CHARACTER SET ucs2, meta_value longtext)",
		`INSERT INTO wp_usermeta VALUES (1, 'http://old.test/k', 'a:0:{}'), (2, 'plain', 'a:1:{s:1:"k";s:3:"v";}'), (3, 'plain', 'x')`,
		"INSERT INTO wp_links VALUES (1, 'http://old.test/ucs2'), (2, 'https://new.example.com/')",
		"INSERT INTO wp_nopk VALUES ('café http://old.test/latin'), ('OLD.TEST only in capitals: http://OLD.TEST/x')",
	} {
		_, err := db.ExecContext(ctx, q)
		require.NoError(t, err, q)
	}
	const rows = 2000
	special := map[int]string{
		300:  `a:1:{s:1:"k";s:5:"v";}`, // does not parse
		500:  "see http://old.test/p",
		700:  `a:1:{s:1:"k";s:9:"v";}`, // does not parse
		800:  `a:1:{s:1:"k";s:7:"kept";}`,
		900:  `a:1:{s:3:"url";s:17:"http://old.test/q";}`, // parses, holds the old URL
		1000: ` a:1:{s:1:"u";s:5:"http://old.test/z";}`,   // holds the old URL; no type tag first
		1100: "http://OLD.TEST/x",
		1950: `a:1:{s:1:"k";s:2:"v";}`, // does not parse
	}
	var vals []string
	for id := 1; id <= rows; id++ {
		v, ok := special[id]
		if !ok {
			v = fmt.Sprintf(`a:1:{s:1:"k";i:%d;}`, id)
		}
		vals = append(vals, fmt.Sprintf("(%d, 'k', '%s')", id, strings.ReplaceAll(v, "'", "''")))
	}
	vals = append(vals, "(2001, 'k', NULL)")
	_, err = db.ExecContext(ctx, "INSERT INTO wp_postmeta VALUES "+strings.Join(vals, ","))
	require.NoError(t, err)

	rw, err := wordpress.NewReplacer("http://old.test", "https://new.example.com")
	require.NoError(t, err)
	sum := sha256.Sum256([]byte(special[800]))
	kept := newKeptSet([]KeptValue{{Table: "wp_postmeta", Column: "meta_value", Key: "meta_id=800", SHA256: hex.EncodeToString(sum[:])}})
	schema, err := readSchema(ctx, db)
	require.NoError(t, err)
	require.True(t, schema["wp_postmeta"].intPK)
	require.Equal(t, []bool{true}, schema["wp_links"].wide)
	scope := []string{"wp_links", "wp_nopk", "wp_postmeta", "wp_usermeta"}

	parts, err := planScan(ctx, db, scope, schema, map[string]int64{"wp_postmeta": 100 * validatePart}, rw.Needle())
	require.NoError(t, err)
	require.Len(t, parts, 3+validateParts, "the big table is read in key ranges")

	for name, sizes := range map[string]map[string]int64{"whole": nil, "ranges": {"wp_postmeta": 100 * validatePart}} {
		rep, err := checkValues(ctx, db, scope, schema, sizes, rw, kept)
		require.NoError(t, err, name)
		require.False(t, rep.oldURL.OK, name)
		require.Equal(t, "6 values still link to the old URL http://old.test, the first in wp_links.link_url (link_id=1).", rep.oldURL.Message, name)
		require.False(t, rep.serialized.OK, name)
		require.Equal(t, "4 of 1999 serialized values do not parse, the first in wp_postmeta.meta_value (meta_id=300); 1 was already broken on the source and copied unchanged (see the warnings).", rep.serialized.Message, name)
		require.Equal(t, []string{"wp_postmeta meta_id=800 meta_value: serialized value was already broken on the source; copied unchanged"}, rep.warnings, name)
	}
}

// TestCheckValuesReportsTheFailedRead: a table that cannot be read fails the scan with an
// error naming it, whatever the other parts read.
func TestCheckValuesReportsTheFailedRead(t *testing.T) {
	ctx := context.Background()
	dsn, _ := mysqltest.NewDatabase(t)
	db, err := sql.Open("mysql", dsn)
	require.NoError(t, err)
	defer db.Close()
	_, err = db.ExecContext(ctx, "CREATE TABLE wp_posts (ID bigint PRIMARY KEY, post_content longtext)")
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, "INSERT INTO wp_posts VALUES (1, 'a'), (1000000, 'b')")
	require.NoError(t, err)
	rw, err := wordpress.NewReplacer("http://old.test", "https://new.example.com")
	require.NoError(t, err)
	schema, err := readSchema(ctx, db)
	require.NoError(t, err)
	schema["wp_gone"] = &tableSchema{pk: []string{"id"}, text: []string{"v"}, wide: []bool{false}}
	sizes := map[string]int64{"wp_posts": 100 * validatePart}
	_, err = checkValues(ctx, db, []string{"wp_gone", "wp_posts"}, schema, sizes, rw, newKeptSet(nil))
	require.Error(t, err)
	require.ErrorContains(t, err, "read wp_gone")
	require.NotErrorIs(t, err, context.Canceled)
}
