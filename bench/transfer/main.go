// Command transfer is the Ferry side of bench/transfer/run.sh: it mirrors a tree from
// a real FTP or SFTP server into a local folder with transfer.Mirror, the way the
// "Download files" step does, and prints what it copied.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"ferry/backend/transfer"
	"ferry/backend/transfer/ftp"
	"ferry/backend/transfer/local"
	"ferry/backend/transfer/sftp"
)

func main() {
	proto := flag.String("proto", "ftp", "ftp or sftp")
	host := flag.String("host", "127.0.0.1", "server host")
	port := flag.Int("port", 21, "server port")
	user := flag.String("user", "", "login")
	pass := flag.String("pass", "", "password (bench only)")
	root := flag.String("root", "", "folder on the server")
	out := flag.String("out", "", "local folder to mirror into")
	workers := flag.Int("workers", 0, "parallel connections (0: Ferry's default)")
	flag.Parse()
	if err := run(*proto, *host, *port, *user, *pass, *root, *out, *workers); err != nil {
		fmt.Fprintln(os.Stderr, "ferry bench:", transfer.Message(err), "-", err)
		os.Exit(1)
	}
}

func run(proto, host string, port int, user, pass, root, out string, workers int) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	var src transfer.Opener
	switch proto {
	case "ftp":
		src = ftp.Config{Host: host, Port: port, User: user, Password: pass, Root: root}.Opener()
	case "sftp":
		src = sftp.Config{Host: host, Port: port, User: user, Password: pass, Root: root, HostKeys: transfer.NewMemoryHostKeys()}.Opener()
	default:
		return fmt.Errorf("unknown protocol %q", proto)
	}
	start := time.Now()
	man, err := transfer.Mirror(context.Background(), src, local.Opener(out), transfer.MirrorOptions{Workers: workers})
	if err != nil {
		return err
	}
	fmt.Printf("files=%d bytes=%d seconds=%.3f\n", len(man.Files), man.Bytes(), time.Since(start).Seconds())
	return nil
}
