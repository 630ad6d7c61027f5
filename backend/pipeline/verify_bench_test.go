package pipeline_test

import (
	"archive/zip"
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ferry/backend/archive"
	"ferry/backend/pipeline"
)

// The two benchmarks below measure what Verify costs on the inputs that stress its memory:
// run them one at a time under /usr/bin/time -v for peak RSS, e.g.
//
//	go test -c -o /tmp/p.test ./backend/pipeline/
//	/usr/bin/time -v /tmp/p.test -test.run '^$' -test.bench VerifyLongLineDump -test.benchtime 1x

// BenchmarkVerifyLongLineDump verifies a dump whose one multi-row INSERT is a 50 MB line.
func BenchmarkVerifyLongLineDump(b *testing.B) {
	p := filepath.Join(b.TempDir(), "database.sql")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprint(w, "-- MySQL dump 10.13\nCREATE TABLE `wp_options` (\n  `option_id` bigint,\n  `option_name` varchar(191),\n  `option_value` longtext,\n  `autoload` varchar(20)\n);\n")
	fmt.Fprint(w, "INSERT INTO `wp_options` VALUES (1,'siteurl','http://old.test','yes');\nCREATE TABLE `wp_postmeta` (`meta_id` bigint, `meta_value` longtext);\nINSERT INTO `wp_postmeta` VALUES ")
	row := strings.Repeat("x", 1000)
	n := 0
	for size := 0; size < 50<<20; n++ {
		if n > 0 {
			w.WriteByte(',')
		}
		k, _ := fmt.Fprintf(w, "(%d,'%s http://old.test/%d')", n, row, n)
		size += k + 1
	}
	fmt.Fprint(w, ";\n-- Dump completed on 2024-01-01\n")
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	b.ResetTimer()
	for b.Loop() {
		rep, err := archive.ScanSQLFile(context.Background(), p, nil)
		if err != nil || !rep.OK() {
			b.Fatalf("scan: %v %v", err, rep.Err())
		}
		if _, err := pipeline.CheckDumpFile(context.Background(), p, "dest"); err != nil {
			b.Fatal(err)
		}
		if _, err := archive.FingerprintDump(p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyZip64 verifies a Zip64 archive of 70,000 entries.
func BenchmarkVerifyZip64(b *testing.B) {
	p := filepath.Join(b.TempDir(), "wordpress-files.zip")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	zw := zip.NewWriter(bufio.NewWriter(f))
	add := func(name, body string) {
		w, err := zw.Create(name)
		if err != nil {
			b.Fatal(err)
		}
		w.Write([]byte(body))
	}
	add("wp-includes/version.php", "<?php $wp_version = '6.5.2';")
	add("wp-config.php", "<?php $table_prefix = 'wp_';")
	for i := range 70_000 {
		add(fmt.Sprintf("wp-content/uploads/%d/%d/file-%d.txt", i/5000, i/100, i), strings.Repeat("hello ", 20))
	}
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	b.ResetTimer()
	for b.Loop() {
		rep, err := archive.VerifyZip(context.Background(), p, archive.Limits{}, nil)
		if err != nil || !rep.OK() || !rep.Zip64 || rep.Files != 70_002 {
			b.Fatalf("verify: %v %v zip64=%v files=%d", err, rep.Err(), rep.Zip64, rep.Files)
		}
		if _, err := archive.FingerprintZip(p); err != nil {
			b.Fatal(err)
		}
	}
}
