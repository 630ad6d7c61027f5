package pipeline

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"ferry/backend/mysqldb"
	"ferry/backend/mysqldb/mysqltest"
	"ferry/backend/transfer/transfertest"
	"ferry/backend/wordpress"
)

// BenchmarkValidateRTT times Validate's reads of a migrated WordPress database (row counts,
// the old-URL and serialized scans, siteurl/home) through a link with a 40 ms round trip.
// FERRY_BENCH_VALIDATE_POSTS sets the number of posts (default 20,000: about 75 MB of posts,
// 130,000 meta rows of which a quarter serialized, 30,000 comments). For example:
//
//	FERRY_BENCH_VALIDATE_POSTS=40000 go test -run '^$' -bench ValidateRTT -benchtime 3x ./backend/pipeline/
func BenchmarkValidateRTT(b *testing.B) {
	posts := 20000
	if v, err := strconv.Atoi(os.Getenv("FERRY_BENCH_VALIDATE_POSTS")); err == nil && v > 0 {
		posts = v
	}
	ctx := context.Background()
	dsn, name := mysqltest.NewDatabase(b)
	serialized := fillValidateBench(b, dsn, posts)
	cfg := mysqltest.Config(b, dsn)
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		b.Fatal(err)
	}
	link := transfertest.NewDelay(b, 40*time.Millisecond)
	rw, err := wordpress.NewReplacer("http://old.test", "http://new.test")
	if err != nil {
		b.Fatal(err)
	}
	res := Results{TablePrefix: "wp_", SourceRows: map[string]int64{}}
	lp := link.Listen(net.JoinHostPort(host, port))
	var total time.Duration
	b.ResetTimer()
	for b.Loop() {
		db, err := mysqldb.Open(ctx, mysqldb.Config{Host: "127.0.0.1", Port: lp, User: cfg.User, Password: cfg.Passwd, Database: name})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		rb, err := readDestination(ctx, db, res, rw)
		total += time.Since(start)
		db.Close()
		if err != nil {
			b.Fatal(err)
		}
		want := fmt.Sprintf("All %d serialized values parse.", serialized)
		if !rb.values.serialized.OK || rb.values.serialized.Message != want || !rb.values.oldURL.OK || rb.siteurl != "http://new.test" {
			b.Fatalf("checks: %+v %+v siteurl %q", rb.values.serialized, rb.values.oldURL, rb.siteurl)
		}
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s/read")
}

// fillValidateBench writes a migrated site's tables (every URL already the new one) and
// returns how many serialized values they hold.
func fillValidateBench(b *testing.B, dsn string, posts int) int {
	b.Helper()
	c, err := mysql.ParseDSN(dsn)
	if err != nil {
		b.Fatal(err)
	}
	c.MaxAllowedPacket = 16 << 20
	c.Params = map[string]string{"sql_mode": "''"}
	db, err := sql.Open("mysql", c.FormatDSN())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for _, s := range strings.Split(validateBenchSchema, ";\n") {
		if strings.TrimSpace(s) == "" {
			continue
		}
		if _, err := db.Exec(s); err != nil {
			b.Fatal(err)
		}
	}
	ins := map[string]*benchInserter{}
	for _, t := range []string{"wp_posts", "wp_postmeta", "wp_comments", "wp_options"} {
		ins[t] = &benchInserter{b: b, db: db, table: t}
	}
	r := rand.New(rand.NewPCG(1, 2))
	const url = "http://new.test"
	ser := func() string {
		title := benchSentence(r, 4)
		u := fmt.Sprintf("%s/wp-content/uploads/%d.jpg", url, r.IntN(100000))
		return fmt.Sprintf(`a:3:{s:5:"title";s:%d:"%s";s:3:"url";s:%d:"%s";s:5:"count";i:%d;}`, len(title), title, len(u), u, r.IntN(1000))
	}
	nser, metaID, commentID := 0, 0, 0
	for id := 1; id <= posts; id++ {
		var content strings.Builder
		for p := range 6 + r.IntN(8) {
			fmt.Fprintf(&content, "<!-- wp:paragraph -->\n<p>%s <a href=\"%s/%d/\">link</a> %s</p>\n<!-- /wp:paragraph -->\n\n", benchSentence(r, 30+r.IntN(40)), url, p, benchSentence(r, 10))
		}
		title := benchSentence(r, 6)
		ins["wp_posts"].row(id, 1+r.IntN(20), "2020-01-02 03:04:05", content.String(), title, benchSentence(r, 20), strings.ReplaceAll(title, " ", "-"), fmt.Sprintf("%s/?p=%d", url, id))
		for range 6 + r.IntN(2) {
			metaID++
			var v string
			switch r.IntN(4) {
			case 0:
				v = ser()
				nser++
			case 1:
				v = strconv.Itoa(r.IntN(100000))
			default:
				v = benchSentence(r, 5)
			}
			ins["wp_postmeta"].row(metaID, id, []string{"_edit_lock", "_thumbnail_id", "_wp_attachment_metadata", "_yoast_wpseo_title", "views"}[r.IntN(5)], v)
		}
		for range r.IntN(4) {
			commentID++
			ins["wp_comments"].row(commentID, id, benchSentence(r, 2), fmt.Sprintf("user%d@example.com", r.IntN(5000)), url+"/author", benchSentence(r, 20+r.IntN(40)))
		}
	}
	ins["wp_options"].row(1, "siteurl", url)
	ins["wp_options"].row(2, "home", url)
	for i := 3; i <= 3000; i++ {
		ins["wp_options"].row(i, fmt.Sprintf("option_%d", i), ser())
		nser++
	}
	for _, in := range ins {
		in.flush()
	}
	return nser
}

const validateBenchSchema = `CREATE TABLE wp_posts (
  ID bigint(20) unsigned NOT NULL AUTO_INCREMENT, post_author bigint(20) unsigned NOT NULL DEFAULT 0,
  post_date datetime NOT NULL DEFAULT '0000-00-00 00:00:00', post_content longtext NOT NULL,
  post_title text NOT NULL, post_excerpt text NOT NULL, post_status varchar(20) NOT NULL DEFAULT 'publish',
  comment_status varchar(20) NOT NULL DEFAULT 'open', ping_status varchar(20) NOT NULL DEFAULT 'open',
  post_password varchar(255) NOT NULL DEFAULT '', post_name varchar(200) NOT NULL DEFAULT '',
  to_ping text NOT NULL DEFAULT '', pinged text NOT NULL DEFAULT '', post_content_filtered longtext NOT NULL DEFAULT '',
  post_parent bigint(20) unsigned NOT NULL DEFAULT 0, guid varchar(255) NOT NULL DEFAULT '',
  menu_order int(11) NOT NULL DEFAULT 0, post_type varchar(20) NOT NULL DEFAULT 'post',
  post_mime_type varchar(100) NOT NULL DEFAULT '', comment_count bigint(20) NOT NULL DEFAULT 0,
  PRIMARY KEY (ID), KEY post_name (post_name(191)), KEY type_status_date (post_type,post_status,post_date,ID),
  KEY post_parent (post_parent), KEY post_author (post_author)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;
CREATE TABLE wp_postmeta (
  meta_id bigint(20) unsigned NOT NULL AUTO_INCREMENT, post_id bigint(20) unsigned NOT NULL DEFAULT 0,
  meta_key varchar(255) DEFAULT NULL, meta_value longtext DEFAULT NULL,
  PRIMARY KEY (meta_id), KEY post_id (post_id), KEY meta_key (meta_key(191))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;
CREATE TABLE wp_comments (
  comment_ID bigint(20) unsigned NOT NULL AUTO_INCREMENT, comment_post_ID bigint(20) unsigned NOT NULL DEFAULT 0,
  comment_author tinytext NOT NULL, comment_author_email varchar(100) NOT NULL DEFAULT '',
  comment_author_url varchar(200) NOT NULL DEFAULT '', comment_content text NOT NULL,
  comment_approved varchar(20) NOT NULL DEFAULT '1', comment_type varchar(20) NOT NULL DEFAULT 'comment',
  PRIMARY KEY (comment_ID), KEY comment_post_ID (comment_post_ID)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;
CREATE TABLE wp_options (
  option_id bigint(20) unsigned NOT NULL AUTO_INCREMENT, option_name varchar(191) NOT NULL DEFAULT '',
  option_value longtext NOT NULL, autoload varchar(20) NOT NULL DEFAULT 'yes',
  PRIMARY KEY (option_id), UNIQUE KEY option_name (option_name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci`

var validateBenchCols = map[string]string{
	"wp_posts":    "ID, post_author, post_date, post_content, post_title, post_excerpt, post_name, guid",
	"wp_postmeta": "meta_id, post_id, meta_key, meta_value",
	"wp_comments": "comment_ID, comment_post_ID, comment_author, comment_author_email, comment_author_url, comment_content",
	"wp_options":  "option_id, option_name, option_value",
}

// benchInserter batches rows into multi-row INSERTs of about 4 MB.
type benchInserter struct {
	b     *testing.B
	db    *sql.DB
	table string
	buf   strings.Builder
	args  []any
	rows  int
}

func (in *benchInserter) row(vals ...any) {
	if in.rows > 0 {
		in.buf.WriteString(",")
	}
	in.buf.WriteString("(" + strings.TrimSuffix(strings.Repeat("?,", len(vals)), ",") + ")")
	in.args = append(in.args, vals...)
	in.rows++
	if in.buf.Len()+len(in.args)*8 > 1<<20 || len(in.args) > 60000 {
		in.flush()
	}
}

func (in *benchInserter) flush() {
	if in.rows == 0 {
		return
	}
	q := "INSERT INTO " + in.table + " (" + validateBenchCols[in.table] + ") VALUES " + in.buf.String()
	if _, err := in.db.Exec(q, in.args...); err != nil {
		in.b.Fatal(err)
	}
	in.buf.Reset()
	in.args, in.rows = in.args[:0], 0
}

var benchWords = strings.Fields(`the of and to in is you that it he was for on are as with his they at be this have from or one had by word but not what all were we when your can said there use an each which she do how their if will up other about out many then them these so some her would make like him into time has look two more write go see number no way could people my than first water been call who oil its now find long down day did get come made may part über café naïve 東京 😀 résumé`)

func benchSentence(r *rand.Rand, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(benchWords[r.IntN(len(benchWords))])
	}
	return b.String()
}
