package archive

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// benchZip writes a site-like zip of 3,000 files (PHP-like text and incompressible
// "images", about 45 MB expanded) and returns its path and expanded size.
func benchZip(b *testing.B) (string, int64) {
	b.Helper()
	rng := rand.NewChaCha8([32]byte{5})
	text := bytes.Repeat([]byte("<?php\n// WordPress core file used by Ferry's benchmark\nfunction wp_ferry_bench() { return 42; }\n"), 100)
	files := wpFiles("public_html/")
	var total int64
	for _, f := range files {
		total += int64(len(f.body))
	}
	for i := range 3000 - len(files) {
		var body []byte
		if i%10 == 0 {
			body = make([]byte, 100<<10)
			rng.Read(body)
		} else {
			body = text[:5000+i%3000]
		}
		total += int64(len(body))
		files = append(files, zfile{name: fmt.Sprintf("public_html/wp-content/plugins/p%02d/f%04d.php", i%40, i), body: body})
	}
	return writeZip(b, filepath.Join(b.TempDir(), "bench.zip"), files), total
}

func BenchmarkVerifyZip(b *testing.B) {
	p, total := benchZip(b)
	b.SetBytes(total)
	b.ResetTimer()
	for b.Loop() {
		rep, err := VerifyZip(context.Background(), p, Limits{}, nil)
		if err != nil || !rep.OK() || rep.Files != 3000 {
			b.Fatalf("verify: %v %v files=%d", err, rep.Err(), rep.Files)
		}
	}
}

func BenchmarkExtract(b *testing.B) {
	for _, workers := range []int{1, 4} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			p, total := benchZip(b)
			b.SetBytes(total)
			b.ResetTimer()
			for b.Loop() {
				b.StopTimer()
				root := filepath.Join(b.TempDir(), "www")
				if err := os.MkdirAll(root, 0o755); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				open := func(context.Context) (transferTree, error) { return &osTree{root: root}, nil }
				st, err := Extract(context.Background(), p, &osTree{root: root}, ExtractOptions{Workers: workers, Opener: open})
				if err != nil || st.Files != 3000 || st.Bytes != total {
					b.Fatalf("extract: %v files=%d bytes=%d", err, st.Files, st.Bytes)
				}
			}
		})
	}
}

func BenchmarkScanSQL(b *testing.B) {
	dump, err := os.ReadFile("testdata/mariadb.sql")
	if err != nil {
		b.Fatal(err)
	}
	row := []byte("(7,1,'2024-05-01 10:00:00','<p>Long post with \\'quotes\\', \\\"double\\\", a ; and (parens) repeated to look like content.</p>\\n<!-- wp:paragraph -->','Title'),")
	big := bytes.Buffer{}
	big.Write(dump)
	for big.Len() < 32<<20 {
		big.WriteString("INSERT INTO `wp_posts` VALUES ")
		big.Write(bytes.Repeat(row, 5000))
		big.WriteString("(8,1,'2024-05-01','x','y');\n")
	}
	big.WriteString("-- Dump completed on 2024-01-01\n")
	data := big.Bytes()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		rep, err := ScanSQL(context.Background(), bytes.NewReader(data), nil)
		if err != nil || !rep.OK() || rep.SiteURL != "http://old.test" {
			b.Fatalf("scan: %v %v", err, rep.Err())
		}
	}
}
