package ftp_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/transfer/ftp"
)

// proftpdLike is a scripted FTP server that, like ProFTPD, reads the control connection
// while an upload is running and refuses EPSV there with "450 EPSV: data transfer in
// progress" before the upload's 226. It records each upload's bytes. Its script expects
// the EPSV sent ahead with the first transfer: the package is made to forget what an
// earlier server on the same port taught it, as it would of any new server.
func proftpdLike(t *testing.T) (addr string, uploads chan string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	ftp.Forget("127.0.0.1", l.Addr().(*net.TCPAddr).Port, "u")
	uploads = make(chan string, 10)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		say := func(s string) { _, _ = fmt.Fprintf(c, "%s\r\n", s) }
		var pasv net.Listener
		stors := 0
		say("220 like ProFTPD")
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			cmd, arg, _ := strings.Cut(strings.TrimRight(line, "\r\n"), " ")
			switch strings.ToUpper(cmd) {
			case "USER":
				say("331 password please")
			case "PASS":
				say("230 in")
			case "FEAT":
				say("211-Features:\r\n EPSV\r\n211 End")
			case "TYPE":
				say("200 binary")
			case "CWD":
				say("250 ok")
			case "PWD":
				say(`257 "/" is the current directory`)
			case "EPSV":
				if pasv != nil {
					_ = pasv.Close()
				}
				pasv, _ = net.Listen("tcp", "127.0.0.1:0")
				say(fmt.Sprintf("229 Entering Extended Passive Mode (|||%d|)", pasv.Addr().(*net.TCPAddr).Port))
			case "STOR":
				d, err := pasv.Accept()
				if err != nil {
					return
				}
				say("150 go on")
				stors++
				if stors > 1 {
					b, _ := io.ReadAll(d)
					_ = d.Close()
					uploads <- arg + "=" + string(b)
					say("226 Transfer complete")
					continue
				}
				// The client's next command arrives before this upload is read to its
				// end: ProFTPD answers it in the middle of the transfer.
				next, err := r.ReadString('\n')
				if err != nil || !strings.HasPrefix(next, "EPSV") {
					return
				}
				say("450 EPSV: data transfer in progress")
				b, _ := io.ReadAll(d)
				_ = d.Close()
				uploads <- arg + "=" + string(b)
				say("226 Transfer complete")
			case "RETR":
				d, err := pasv.Accept()
				if err != nil {
					return
				}
				say("150 here it comes")
				stors++
				if stors == 1 {
					// The EPSV sent with RETR is read during the transfer.
					next, err := r.ReadString('\n')
					if err != nil || !strings.HasPrefix(next, "EPSV") {
						return
					}
					say("450 EPSV: data transfer in progress")
				}
				_, _ = io.WriteString(d, "data of "+arg)
				_ = d.Close()
				say("226 Transfer complete")
			case "QUIT":
				say("221 bye")
				return
			default:
				say("502 not here")
			}
		}
	}()
	return l.Addr().String(), uploads
}

// TestEPSVRefusedDuringUpload: a server that refuses the EPSV sent ahead during an upload
// still gets every upload counted as good, and the connection stays in step.
func TestEPSVRefusedDuringUpload(t *testing.T) {
	addr, uploads := proftpdLike(t)
	host, port, _ := net.SplitHostPort(addr)
	var p int
	_, _ = fmt.Sscan(port, &p)
	c, err := ftp.Dial(context.Background(), ftp.Config{Host: host, Port: p, User: "u", Password: "p", Timeout: 5 * time.Second})
	require.NoError(t, err)
	defer c.Close()
	require.True(t, ftp.Fast(c))
	w, err := c.Create(context.Background(), "one", 0)
	require.NoError(t, err)
	_, err = w.Write([]byte("first"))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	require.Equal(t, "/one=first", <-uploads)
	// The host is known now: the next uploads ask for their port after the verdict.
	for _, name := range []string{"two", "three"} {
		w, err = c.Create(context.Background(), name, 0)
		require.NoError(t, err)
		_, err = w.Write([]byte(name))
		require.NoError(t, err)
		require.NoError(t, w.Close())
		require.Equal(t, "/"+name+"="+name, <-uploads)
	}
}

// TestEPSVRefusedDuringDownload: the EPSV sent with RETR, refused in the middle of the
// download, leaves the download good; later downloads ask for their port after it.
func TestEPSVRefusedDuringDownload(t *testing.T) {
	addr, _ := proftpdLike(t)
	host, port, _ := net.SplitHostPort(addr)
	var p int
	_, _ = fmt.Sscan(port, &p)
	c, err := ftp.Dial(context.Background(), ftp.Config{Host: host, Port: p, User: "u", Password: "p", Timeout: 5 * time.Second})
	require.NoError(t, err)
	defer c.Close()
	for _, name := range []string{"one", "two", "three"} {
		r, err := c.Open(context.Background(), name, 0)
		require.NoError(t, err)
		b, err := io.ReadAll(r)
		require.NoError(t, err)
		require.NoError(t, r.Close())
		require.Equal(t, "data of /"+name, string(b))
	}
}
