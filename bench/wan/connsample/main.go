// Command connsample prints the established TCP connections of its network namespace every
// interval, one "0 0 local:port remote:port" line each (the columns of `ss -tnH state
// established`) and a "." line after each sample, until it is stopped. bench/wan/run.sh
// counts each server's connections from them.
//
// It reads /proc/net/tcp and /proc/net/tcp6 itself: a shell loop running ss and sleep ten
// times a second took 0.14 of a core on the bench machine, CPU that a CPU-bound route lost
// to the measuring.
//
//	ip netns exec NS connsample -every 100ms > ss.txt
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	every := flag.Duration("every", 100*time.Millisecond, "time between samples")
	flag.Parse()
	w := bufio.NewWriter(os.Stdout)
	seen := map[string]bool{}
	for {
		clear(seen)
		for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
			if err := sample(w, f, seen); err != nil && !os.IsNotExist(err) {
				fmt.Fprintln(os.Stderr, "connsample:", err)
				os.Exit(1)
			}
		}
		fmt.Fprintln(w, ".")
		if err := w.Flush(); err != nil {
			os.Exit(0) // the reader went away
		}
		time.Sleep(*every)
	}
}

// sample writes the established connections listed in the proc file f that seen does
// not hold yet, and adds them to it. The kernel writes the file in pieces while
// connections come and go, so one read can list a connection twice (seen in a bench run:
// one FTP login listed twice in a sample, which counted as a 9th).
func sample(w *bufio.Writer, f string, seen map[string]bool) error {
	b, err := os.ReadFile(f)
	if err != nil {
		return err
	}
	for i, line := range strings.Split(string(b), "\n") {
		fs := strings.Fields(line)
		// sl local_address rem_address st ...; state 01 is ESTABLISHED.
		if i == 0 || len(fs) < 4 || fs[3] != "01" {
			continue
		}
		line := "0 0 " + endpoint(fs[1]) + " " + endpoint(fs[2])
		if seen[line] {
			continue
		}
		seen[line] = true
		fmt.Fprintln(w, line)
	}
	return nil
}

// endpoint turns "0100007F:0050" into "addr:80"; only the port is decoded, the address
// stays in the kernel's hex.
func endpoint(s string) string {
	addr, port, ok := strings.Cut(s, ":")
	if !ok {
		return s
	}
	p, err := strconv.ParseUint(port, 16, 16)
	if err != nil {
		return s
	}
	return addr + ":" + strconv.FormatUint(p, 10)
}
