package mysqldb_test

import (
	"bytes"
	"context"
	"log"
	"os"

	"ferry/backend/mysqldb"
)

// siteURL is a minimal ValueRewriter; Ferry's real one (serialized-safe) lives with the
// WordPress code.
type siteURL struct{ from, to []byte }

func (s siteURL) RewriteString(table, column string, v []byte) ([]byte, bool) {
	if !bytes.Contains(v, s.from) {
		return v, false
	}
	return bytes.ReplaceAll(v, s.from, s.to), true
}

// Needles lets Import skip values that cannot contain the old URL.
func (s siteURL) Needles() [][]byte { return [][]byte{s.from} }

// ExampleImport loads a dump file into the destination database, rewriting the site URL on
// the way. (Compiled, not run: it needs a server.)
func ExampleImport() {
	ctx := context.Background()
	db, err := mysqldb.Open(ctx, mysqldb.Config{Host: "db.example.com", User: "site", Password: "secret", Database: "wordpress"})
	if err != nil {
		log.Fatal(err) // e.g. "Access denied for user 'site'@'10.0.0.5' (using password: YES)"
	}
	defer db.Close()
	f, err := os.Open("database.sql.gz")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	st, err := mysqldb.Import(ctx, db, f, mysqldb.ImportOptions{
		Rewriter: siteURL{from: []byte("http://old.test"), to: []byte("https://new.example.com")},
		Log:      func(msg string) { log.Print(msg) },
	})
	if err != nil {
		log.Fatal(err) // e.g. "Database import refused: statement at line 12 touches database other"
	}
	log.Printf("%d tables, %d rows, %d values rewritten", len(st.Tables), st.Rows, st.Replacements)
}

// ExampleDump writes a gzip'd dump of the source database with four parallel readers.
func ExampleDump() {
	ctx := context.Background()
	db, err := mysqldb.Open(ctx, mysqldb.Config{Host: "127.0.0.1", Port: 3306, User: "site", Password: "secret", Database: "wordpress"})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	out, err := os.Create("database.sql.gz")
	if err != nil {
		log.Fatal(err)
	}
	defer out.Close()
	st, err := mysqldb.Dump(ctx, db, out, mysqldb.DumpOptions{Gzip: true, Progress: func(rows, bytes int64) {}})
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("%d tables, %d rows, snapshot %s", st.Tables, st.Rows, st.Snapshot)
}
