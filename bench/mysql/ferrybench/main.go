// Command ferrybench drives Ferry's MySQL engine for bench/mysql/run.sh:
//
//	ferrybench dump   -dsn DSN -workers N -out FILE
//	ferrybench import -dsn DSN -workers N -in FILE
//	ferrybench count  -dsn DSN
//
// It prints one line of results (rows, bytes, seconds) so the script can verify each run.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"sort"
	"strconv"
	"time"

	"github.com/go-sql-driver/mysql"

	"ferry/backend/mysqldb"
)

func main() {
	if len(os.Args) < 2 {
		log.Fatal("usage: ferrybench dump|import|count [flags]")
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	dsn := fs.String("dsn", "root@tcp(127.0.0.1:3306)/ferry_bench", "go-sql-driver DSN with database")
	workers := fs.Int("workers", 0, "connections (0: Ferry's default)")
	file := fs.String("out", "", "dump output file")
	in := fs.String("in", "", "import input file")
	gz := fs.Bool("gzip", false, "gzip the dump")
	prescan := fs.Bool("prescan", true, "check the whole file before executing (Ferry's default for files)")
	fs.Parse(os.Args[2:])
	mc, err := mysql.ParseDSN(*dsn)
	if err != nil {
		log.Fatal("bad -dsn")
	}
	host, port, _ := net.SplitHostPort(mc.Addr)
	p, _ := strconv.Atoi(port)
	ctx := context.Background()
	db, err := mysqldb.Open(ctx, mysqldb.Config{Host: host, Port: p, User: mc.User, Password: mc.Passwd, Database: mc.DBName})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	switch os.Args[1] {
	case "dump":
		f, err := os.Create(*file)
		if err != nil {
			log.Fatal(err)
		}
		st, err := mysqldb.Dump(ctx, db, f, mysqldb.DumpOptions{Workers: *workers, Gzip: *gz})
		if err != nil {
			log.Fatal(err)
		}
		if err := f.Close(); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("rows=%d bytes=%d seconds=%.2f snapshot=%s\n", st.Rows, st.Bytes, time.Since(start).Seconds(), st.Snapshot)
	case "import":
		f, err := os.Open(*in)
		if err != nil {
			log.Fatal(err)
		}
		defer f.Close()
		st, err := mysqldb.Import(ctx, db, f, mysqldb.ImportOptions{Workers: *workers, NoPrescan: !*prescan,
			Log: func(m string) { log.Print(m) }})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("rows=%d bytes=%d seconds=%.2f\n", st.Rows, st.BytesRead, time.Since(start).Seconds())
	case "count":
		counts, err := mysqldb.CountRows(ctx, db)
		if err != nil {
			log.Fatal(err)
		}
		names := make([]string, 0, len(counts))
		var total int64
		for n, c := range counts {
			names = append(names, n)
			total += c
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Printf("%s=%d ", n, counts[n])
		}
		fmt.Printf("total=%d\n", total)
	default:
		log.Fatalf("unknown command %q", os.Args[1])
	}
}
