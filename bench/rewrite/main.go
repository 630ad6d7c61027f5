// Command rewrite measures Ferry's serialized-safe URL rewrite of a WordPress SQL dump
// against sed, the tool admins reach for by hand (which corrupts serialized data).
//
//	rewrite gen   -out dump.sql -mb 512   write a mysqldump-style dump rich in serialized values
//	rewrite ferry -in dump.sql -out x.sql rewrite it with mysqldb.RewriteStream + wordpress.Replacer
//	rewrite ownpass -in dump.sql -out y.sql the Replacer behind a minimal mysqldump-only pass, for comparison
//	rewrite check -in x.sql               count leftover old URLs and serialized values that no longer parse
//
// run.sh times ferry and sed interleaved on one core; see it for the numbers printed.
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"

	"ferry/backend/mysqldb"
	"ferry/backend/wordpress"
	"ferry/backend/wordpress/phpserial"
)

const (
	oldURL = "http://old.test"
	newURL = "https://www.new-site.example.com:8080/blog"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: rewrite gen|ferry|check [flags]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	in := fs.String("in", "", "input dump")
	out := fs.String("out", "", "output file")
	mb := fs.Int("mb", 512, "size of the generated dump in MiB")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile here")
	_ = fs.Parse(os.Args[2:])
	if *cpuprofile != "" {
		pf, err := os.Create(*cpuprofile)
		if err == nil && pprof.StartCPUProfile(pf) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(*out, int64(*mb)<<20)
	case "ferry":
		err = ferry(*in, *out)
	case "ownpass":
		err = ownPass(*in, *out)
	case "check":
		err = check(*in)
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "rewrite:", err)
		os.Exit(1)
	}
}

func ferry(in, out string) error {
	r, err := os.Open(in)
	if err != nil {
		return err
	}
	defer r.Close()
	w, err := os.Create(out)
	if err != nil {
		return err
	}
	rep, err := wordpress.NewReplacer(oldURL, newURL)
	if err != nil {
		return err
	}
	st, err := mysqldb.RewriteStream(context.Background(), bufio.NewReaderSize(r, 1<<20), w, rep)
	if err != nil {
		w.Close()
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	rs := rep.Stats()
	fmt.Printf("statements=%d literals_seen=%d values_changed=%d urls_rewritten=%d broken=%d bytes_in=%d bytes_out=%d\n",
		st.Statements, st.Literals, rs.Values, rs.Replacements, rs.Broken, st.BytesIn, st.BytesOut)
	return nil
}

// checker sees every string literal of a dump: it offers no needles, so none is skipped.
type checker struct {
	rep        *wordpress.Replacer
	literals   int64
	serialized int64
	invalid    int64
	leftovers  int64
}

// RewriteString counts and never changes anything.
func (c *checker) RewriteString(_, _ string, v []byte) ([]byte, bool) {
	c.literals++
	if phpserial.LooksSerialized(v) {
		c.serialized++
		if !phpserial.Valid(bytes.TrimSpace(v)) {
			c.invalid++
		}
	}
	if _, n, _ := c.rep.Rewrite(v); n > 0 {
		c.leftovers++
	}
	return v, false
}

func check(in string) error {
	r, err := os.Open(in)
	if err != nil {
		return err
	}
	defer r.Close()
	rep, err := wordpress.NewReplacer(oldURL, newURL)
	if err != nil {
		return err
	}
	c := &checker{rep: rep}
	if _, err := mysqldb.RewriteStream(context.Background(), bufio.NewReaderSize(r, 1<<20), io.Discard, c); err != nil {
		return err
	}
	fmt.Printf("literals=%d serialized=%d serialized_invalid=%d old_url_values_left=%d\n",
		c.literals, c.serialized, c.invalid, c.leftovers)
	return nil
}
