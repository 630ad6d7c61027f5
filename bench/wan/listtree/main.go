// Command listtree lists an FTP tree the way Ferry's Analyse source does (transfer.ListAll
// on transfer.ListConnections connections: breadth-first over a shared queue of folders)
// and prints the folders, the files and the seconds it took. bench/wan/run.sh times it on
// a tree of 1,110 folders at each round-trip time.
//
//	FTP_PASS=... listtree -host 127.0.0.1 -port 21 -user u -root /path
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"ferry/backend/transfer"
	"ferry/backend/transfer/ftp"
)

func main() {
	host := flag.String("host", "127.0.0.1", "FTP server")
	port := flag.Int("port", 21, "FTP port")
	user := flag.String("user", "", "FTP user (password in $FTP_PASS)")
	root := flag.String("root", "/", "folder to list")
	flag.Parse()
	cfg := ftp.Config{Host: *host, Port: *port, User: *user, Password: os.Getenv("FTP_PASS"), Root: *root, Timeout: time.Minute}
	ctx := context.Background()
	start := time.Now()
	trees, closeAll := transfer.OpenMore(ctx, cfg.Opener(), transfer.ListConnections)
	defer closeAll()
	if len(trees) == 0 {
		fmt.Fprintln(os.Stderr, "listtree: no FTP connection could be opened")
		os.Exit(1)
	}
	folders, files := 0, 0
	err := transfer.ListAll(ctx, trees, ".", func(e transfer.Entry) error {
		if e.IsDir {
			folders++
		} else {
			files++
		}
		return nil
	})
	took := time.Since(start)
	if err != nil {
		fmt.Fprintln(os.Stderr, "listtree:", err)
		os.Exit(1)
	}
	fmt.Printf("%d %d %.2f %d\n", folders, files, took.Seconds(), len(trees))
}
