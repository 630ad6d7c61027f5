// Command gen writes a WordPress-shaped database for Ferry's MySQL benchmarks: schema.sql
// plus one tab-separated file per table for LOAD DATA LOCAL INFILE, which loads far faster
// than SQL. Output is deterministic for a given -scale.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

const schema = `CREATE TABLE wp_posts (
  ID bigint(20) unsigned NOT NULL AUTO_INCREMENT, post_author bigint(20) unsigned NOT NULL DEFAULT 0,
  post_date datetime NOT NULL DEFAULT '0000-00-00 00:00:00', post_date_gmt datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
  post_content longtext NOT NULL, post_title text NOT NULL, post_excerpt text NOT NULL,
  post_status varchar(20) NOT NULL DEFAULT 'publish', comment_status varchar(20) NOT NULL DEFAULT 'open',
  ping_status varchar(20) NOT NULL DEFAULT 'open', post_password varchar(255) NOT NULL DEFAULT '',
  post_name varchar(200) NOT NULL DEFAULT '', to_ping text NOT NULL, pinged text NOT NULL,
  post_modified datetime NOT NULL DEFAULT '0000-00-00 00:00:00', post_modified_gmt datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
  post_content_filtered longtext NOT NULL, post_parent bigint(20) unsigned NOT NULL DEFAULT 0,
  guid varchar(255) NOT NULL DEFAULT '', menu_order int(11) NOT NULL DEFAULT 0,
  post_type varchar(20) NOT NULL DEFAULT 'post', post_mime_type varchar(100) NOT NULL DEFAULT '',
  comment_count bigint(20) NOT NULL DEFAULT 0,
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
  comment_author_url varchar(200) NOT NULL DEFAULT '', comment_author_IP varchar(100) NOT NULL DEFAULT '',
  comment_date datetime NOT NULL DEFAULT '0000-00-00 00:00:00', comment_date_gmt datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
  comment_content text NOT NULL, comment_karma int(11) NOT NULL DEFAULT 0, comment_approved varchar(20) NOT NULL DEFAULT '1',
  comment_agent varchar(255) NOT NULL DEFAULT '', comment_type varchar(20) NOT NULL DEFAULT 'comment',
  comment_parent bigint(20) unsigned NOT NULL DEFAULT 0, user_id bigint(20) unsigned NOT NULL DEFAULT 0,
  PRIMARY KEY (comment_ID), KEY comment_post_ID (comment_post_ID), KEY comment_approved_date_gmt (comment_approved,comment_date_gmt),
  KEY comment_date_gmt (comment_date_gmt), KEY comment_parent (comment_parent), KEY comment_author_email (comment_author_email(10))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;
CREATE TABLE wp_options (
  option_id bigint(20) unsigned NOT NULL AUTO_INCREMENT, option_name varchar(191) NOT NULL DEFAULT '',
  option_value longtext NOT NULL, autoload varchar(20) NOT NULL DEFAULT 'yes',
  PRIMARY KEY (option_id), UNIQUE KEY option_name (option_name), KEY autoload (autoload)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;
`

var words = strings.Fields(`the of and to in is you that it he was for on are as with his they at be this have from or one had by word but not what all were we when your can said there use an each which she do how their if will up other about out many then them these so some her would make like him into time has look two more write go see number no way could people my than first water been call who oil its now find long down day did get come made may part über café naïve 東京 😀 résumé`)

type tsv struct {
	w   *bufio.Writer
	f   *os.File
	buf []byte
}

func newTSV(dir, name string) *tsv {
	f, err := os.Create(filepath.Join(dir, name+".tsv"))
	if err != nil {
		log.Fatal(err)
	}
	return &tsv{w: bufio.NewWriterSize(f, 1<<20), f: f}
}

// field appends one value escaped for LOAD DATA's defaults (tab, newline, backslash).
func (t *tsv) field(first bool, v string) {
	if !first {
		t.buf = append(t.buf, '\t')
	}
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\t':
			t.buf = append(t.buf, '\\', 't')
		case '\n':
			t.buf = append(t.buf, '\\', 'n')
		case '\\':
			t.buf = append(t.buf, '\\', '\\')
		default:
			t.buf = append(t.buf, c)
		}
	}
}

func (t *tsv) row(vals ...string) {
	t.buf = t.buf[:0]
	for i, v := range vals {
		t.field(i == 0, v)
	}
	t.buf = append(t.buf, '\n')
	t.w.Write(t.buf)
}

func (t *tsv) close() {
	if err := t.w.Flush(); err != nil {
		log.Fatal(err)
	}
	t.f.Close()
}

func sentence(r *rand.Rand, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(words[r.IntN(len(words))])
	}
	return b.String()
}

func serialized(r *rand.Rand, url string) string {
	title := sentence(r, 4)
	return fmt.Sprintf(`a:3:{s:5:"title";s:%d:"%s";s:3:"url";s:%d:"%s";s:5:"count";i:%d;}`, len(title), title, len(url), url, r.IntN(1000))
}

func date(r *rand.Rand) string {
	return fmt.Sprintf("20%02d-%02d-%02d %02d:%02d:%02d", 10+r.IntN(15), 1+r.IntN(12), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60))
}

func main() {
	out := flag.String("out", ".", "output folder")
	scale := flag.Float64("scale", 1, "1 gives about 1.05M rows and 560 MB")
	flag.Parse()
	if err := os.WriteFile(filepath.Join(*out, "schema.sql"), []byte(schema), 0o644); err != nil {
		log.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	nPosts := int(120000 * *scale)
	posts, meta, comments := newTSV(*out, "wp_posts"), newTSV(*out, "wp_postmeta"), newTSV(*out, "wp_comments")
	metaID, commentID := 0, 0
	for id := 1; id <= nPosts; id++ {
		var content strings.Builder
		for p := range 6 + r.IntN(8) {
			fmt.Fprintf(&content, "<!-- wp:paragraph -->\n<p>%s <a href=\"http://old.test/%d/\">link</a> %s</p>\n<!-- /wp:paragraph -->\n\n", sentence(r, 30+r.IntN(40)), p, sentence(r, 10))
		}
		status, d := "publish", date(r)
		if id%50 == 0 {
			status, d = "draft", "0000-00-00 00:00:00"
		}
		title := sentence(r, 6)
		slug := strings.ReplaceAll(strings.ToLower(title), " ", "-")
		posts.row(fmt.Sprint(id), fmt.Sprint(1+r.IntN(20)), d, d, content.String(), title, sentence(r, 20), status, "open", "open", "",
			slug, "", "", d, d, "", "0", fmt.Sprintf("http://old.test/?p=%d", id), "0", "post", "", fmt.Sprint(r.IntN(10)))
		for range 6 + r.IntN(2) {
			metaID++
			var v string
			switch r.IntN(4) {
			case 0:
				v = serialized(r, fmt.Sprintf("http://old.test/wp-content/uploads/%d.jpg", id))
			case 1:
				v = fmt.Sprint(r.IntN(100000))
			default:
				v = sentence(r, 5)
			}
			meta.row(fmt.Sprint(metaID), fmt.Sprint(id), []string{"_edit_lock", "_thumbnail_id", "_wp_attachment_metadata", "_yoast_wpseo_title", "views"}[r.IntN(5)], v)
		}
		for range r.IntN(4) {
			commentID++
			cd := date(r)
			comments.row(fmt.Sprint(commentID), fmt.Sprint(id), sentence(r, 2), fmt.Sprintf("user%d@example.com", r.IntN(5000)), "http://old.test/author",
				fmt.Sprintf("10.0.%d.%d", r.IntN(255), r.IntN(255)), cd, cd, sentence(r, 20+r.IntN(40)), "0", "1",
				"Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0", "comment", "0", "0")
		}
	}
	posts.close()
	meta.close()
	comments.close()
	opts := newTSV(*out, "wp_options")
	opts.row("1", "siteurl", "http://old.test", "yes")
	opts.row("2", "home", "http://old.test", "yes")
	for i := 3; i <= 3000; i++ {
		opts.row(fmt.Sprint(i), fmt.Sprintf("option_%d", i), serialized(r, "http://old.test/opt"), []string{"yes", "no"}[r.IntN(2)])
	}
	opts.close()
	fmt.Printf("posts=%d postmeta=%d comments=%d options=3000\n", nPosts, metaID, commentID)
}
