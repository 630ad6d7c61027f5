package routetest

import (
	"net"
	"os/exec"
	"testing"
)

// TestPortHeldByAnotherProcess: a port that answers because another process listens on
// it is not taken for the php server's, which fails to bind there and says so.
func TestPortHeldByAnotherProcess(t *testing.T) {
	bin := need(t, "php", "php-cli")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	addr := l.Addr().String()
	err = start(t, exec.Command(bin, "-S", addr, "-t", t.TempDir()), addr, "Development Server (http://"+addr+") started")
	if err == nil {
		t.Fatal("the port another process listens on was taken for the php server's")
	}
	t.Log(err)
}
