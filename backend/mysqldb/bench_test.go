package mysqldb_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"testing"

	"ferry/backend/mysqldb"
	"ferry/backend/wordpress"
)

// BenchmarkRewriteStream rewrites a WordPress dump named by FERRY_REWRITE_DUMP (for example
// the start of bench/rewrite's generated dump), cut after its last complete statement.
//
//	FERRY_REWRITE_DUMP=/tmp/rw40.sql go test -run x -bench RewriteStreamDump -cpuprofile cpu.out ./backend/mysqldb
func BenchmarkRewriteStreamDump(b *testing.B) {
	path := os.Getenv("FERRY_REWRITE_DUMP")
	if path == "" {
		b.Skip("FERRY_REWRITE_DUMP not set")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	if i := bytes.LastIndex(data, []byte(";\n")); i >= 0 {
		data = data[:i+2]
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		rep, err := wordpress.NewReplacer("http://old.test", "https://www.new-site.example.com:8080/blog")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := mysqldb.RewriteStream(context.Background(), bytes.NewReader(data), io.Discard, rep); err != nil {
			b.Fatal(err)
		}
	}
}
