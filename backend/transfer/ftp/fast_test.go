package ftp_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/transfer"
	"ferry/backend/transfer/ftp"
	"ferry/backend/transfer/transfertest"
)

// statTree writes a tree whose names trip up listings: dot files (vsftpd hides them
// from a plain LIST or STAT), spaces and glob characters.
func statTree(t *testing.T, root string) map[string]string {
	t.Helper()
	files := map[string]string{
		".htaccess":                     "RewriteEngine On\n",
		"index.php":                     "<?php // index\n",
		"dir with space/.hidden":        "hidden",
		"dir with space/a b.txt":        "spaced out",
		"br[ack]et/x*y.txt":             "globbed",
		"wp-content/.htaccess":          "deny from all\n",
		"wp-content/uploads/2024/a.jpg": strings.Repeat("jpeg", 3000),
		"empty/":                        "",
	}
	for rel, body := range files {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if strings.HasSuffix(rel, "/") {
			require.NoError(t, os.MkdirAll(p, 0o755))
			continue
		}
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	return files
}

// counter counts connections and the commands sent on the first one (the control
// connection).
type counter struct {
	dials    atomic.Int64
	mu       sync.Mutex
	commands []string
}

func (k *counter) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if k.dials.Add(1) == 1 {
		return &spy{Conn: c, k: k}, nil
	}
	return c, nil
}

func (k *counter) take() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := k.commands
	k.commands = nil
	return out
}

type spy struct {
	net.Conn
	k *counter
}

func (s *spy) Write(p []byte) (int, error) {
	sc := bufio.NewScanner(bytes.NewReader(p))
	s.k.mu.Lock()
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) > 0 { // TLS records can hold anything
			s.k.commands = append(s.k.commands, f[0])
		}
	}
	s.k.mu.Unlock()
	return s.Conn.Write(p)
}

// checkStatListing lists every folder of the statTree and compares with the files;
// strict also wants errors for a missing folder and a file (vsftpd lists both as empty,
// with LIST as with STAT).
func checkStatListing(t *testing.T, c *ftp.Client, files map[string]string, strict bool) {
	t.Helper()
	ctx := context.Background()
	got := map[string]int64{}
	require.NoError(t, transfer.ListAll(ctx, []transfer.Tree{c}, ".", func(e transfer.Entry) error {
		if e.IsDir {
			got[e.Path+"/"] = -1
		} else {
			got[e.Path] = e.Size
		}
		return nil
	}))
	for rel, body := range files {
		if strings.HasSuffix(rel, "/") {
			require.Contains(t, got, rel)
			continue
		}
		require.Contains(t, got, rel)
		require.EqualValues(t, len(body), got[rel], rel)
	}
	if !strict {
		return
	}
	_, err := c.List(ctx, "no such folder")
	require.ErrorIs(t, err, transfer.ErrNotFound)
	_, err = c.List(ctx, "index.php")
	require.Error(t, err, "a file is not a folder")
}

// TestStatListing lists with "STAT -a" on a server that answers it: dot files, spaces
// and glob characters come through, and after the first comparison no folder costs a
// data connection.
func TestStatListing(t *testing.T) {
	root := t.TempDir()
	files := statTree(t, root)
	srv := startFTP(t, root, transfertest.FTPOptions{StatDashA: true, DisableMLSD: true})
	k := &counter{}
	cfg := config(srv, false)
	cfg.DialContext = k.dial
	c, err := ftp.Dial(context.Background(), cfg)
	require.NoError(t, err)
	defer c.Close()
	require.True(t, ftp.Fast(c))
	_, err = c.List(context.Background(), ".")
	require.NoError(t, err)
	stat, known := ftp.StatHost(c)
	require.True(t, known)
	require.True(t, stat, "the server answers STAT -a like LIST -a")
	dials := k.dials.Load()
	k.take()
	es, err := c.List(context.Background(), "dir with space")
	require.NoError(t, err)
	require.Len(t, es, 2)
	require.Equal(t, "dir with space/.hidden", es[0].Path)
	require.Equal(t, dials, k.dials.Load(), "STAT needs no data connection")
	require.Equal(t, []string{"CWD", "STAT"}, k.take(), "a path with a space goes by CWD")
	checkStatListing(t, c, files, true)
	checkListMany(t, c, k)
}

// TestStatListingFallback: ftpserverlib refuses "STAT -a <path>", so the host is
// listed with MLSD or LIST -a, dot files included.
func TestStatListingFallback(t *testing.T) {
	for _, mlsd := range []bool{true, false} {
		t.Run(fmt.Sprintf("mlsd=%v", mlsd), func(t *testing.T) {
			root := t.TempDir()
			files := statTree(t, root)
			srv := startFTP(t, root, transfertest.FTPOptions{DisableMLSD: !mlsd})
			c, err := ftp.Dial(context.Background(), config(srv, false))
			require.NoError(t, err)
			defer c.Close()
			checkStatListing(t, c, files, true)
			stat, known := ftp.StatHost(c)
			require.True(t, known)
			require.False(t, stat)
		})
	}
}

// TestCommandsPerFile counts the commands each download and upload sends on the control
// connection: RETR or STOR and the EPSV for the next one, no TYPE, CWD, SIZE or MDTM.
func TestCommandsPerFile(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "site"), 0o755))
	for _, tls := range []bool{false, true} {
		t.Run(fmt.Sprintf("tls=%v", tls), func(t *testing.T) {
			srv := startFTP(t, root, transfertest.FTPOptions{TLS: tls})
			k := &counter{}
			cfg := config(srv, tls)
			cfg.Root = "/site"
			cfg.DialContext = k.dial
			c, err := ftp.Dial(context.Background(), cfg)
			require.NoError(t, err)
			defer c.Close()
			ctx := context.Background()
			k.take()
			for i := range 5 {
				body := bytes.Repeat([]byte{byte(i)}, i*1000)
				w, err := c.Create(ctx, fmt.Sprintf("f%d", i), 0)
				require.NoError(t, err)
				_, err = w.Write(body)
				require.NoError(t, err)
				require.NoError(t, w.Close())
				r, err := c.Open(ctx, fmt.Sprintf("f%d", i), 0)
				require.NoError(t, err)
				got, err := io.ReadAll(r)
				require.NoError(t, err)
				require.NoError(t, r.Close())
				require.Equal(t, body, got)
			}
			cmds := k.take()
			if tls {
				return // the spy sees ciphertext
			}
			// The first transfer asks for its port; every later one got it with the
			// previous transfer's end.
			require.Equal(t, "EPSV", cmds[0])
			require.Len(t, cmds, 1+10*2, strings.Join(cmds, " "))
			for _, cmd := range cmds[1:] {
				require.Contains(t, []string{"STOR", "RETR", "EPSV"}, cmd)
			}
		})
	}
}

// checkListMany lists several folders in one batch (their STATs pipelined) and wants
// what List says of each, the dot files and odd names included.
func checkListMany(t *testing.T, c *ftp.Client, k *counter) {
	t.Helper()
	ctx := context.Background()
	dirs := []string{"wp-content", "dir with space", "br[ack]et", "wp-content/uploads", "empty", ".", "wp-content/uploads/2024"}
	k.take()
	dials := k.dials.Load()
	got, errs := c.ListMany(ctx, dirs)
	cmds := k.take()
	require.Len(t, got, len(dirs))
	// One data connection: "empty" has no entries, which only a data listing confirms.
	require.Equal(t, dials+1, k.dials.Load(), "%v", cmds)
	for i, d := range dirs {
		require.NoError(t, errs[i], d)
		want, err := c.List(ctx, d)
		require.NoError(t, err)
		require.Equal(t, want, got[i], d)
	}
	require.Equal(t, "wp-content/.htaccess", got[0][0].Path)
	require.Equal(t, "dir with space/.hidden", got[1][0].Path)
	require.Empty(t, got[4])
}

// TestPortOpenedAheadIsDropped: a transfer leaves a passive port open for the next one;
// a listing through jlaffaye/ftp in between (LIST, on a server without MLST) opens its
// own, and the next transfer must not use the stale one. Resuming at an offset works
// after it too.
func TestPortOpenedAheadIsDropped(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(root, "a"), []byte("first file"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(root, "b"), []byte("second file"), 0o644))
	for _, srvOpts := range []transfertest.FTPOptions{{DisableMLSD: true}, {DisableMLSD: true, StatDashA: true}} {
		srv := startFTP(t, root, srvOpts)
		c, err := ftp.Dial(context.Background(), config(srv, false))
		require.NoError(t, err)
		ctx := context.Background()
		read := func(p string, off int64) string {
			r, err := c.Open(ctx, p, off)
			require.NoError(t, err)
			b, err := io.ReadAll(r)
			require.NoError(t, err)
			require.NoError(t, r.Close())
			return string(b)
		}
		require.Equal(t, "first file", read("a", 0))
		e, err := c.Stat(ctx, "b") // LIST of the folder through jlaffaye/ftp
		require.NoError(t, err)
		require.EqualValues(t, 11, e.Size)
		require.Equal(t, "second file", read("b", 0))
		_, err = c.List(ctx, ".")
		require.NoError(t, err)
		require.Equal(t, "file", read("b", 7))
		require.Equal(t, "first file", read("a", 0))
		_, err = c.Open(ctx, "missing", 0)
		require.ErrorIs(t, err, transfer.ErrNotFound)
		require.Equal(t, "second file", read("b", 0), "a refused RETR leaves the connection in step")
		require.NoError(t, c.Close())
	}
}

// TestSiteCommandsNeedNoSecondLogin: SITE CHMOD and STAT for a mode go over the Client's
// own control connection, so a host's connection budget counts each Client once.
func TestSiteCommandsNeedNoSecondLogin(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(root, "f"), []byte("x"), 0o644))
	srv := startFTP(t, root, transfertest.FTPOptions{})
	k := &counter{}
	cfg := config(srv, false)
	cfg.DialContext = k.dial
	c, err := ftp.Dial(context.Background(), cfg)
	require.NoError(t, err)
	defer c.Close()
	ctx := context.Background()
	require.NoError(t, c.Chmod(ctx, "f", 0o600))
	m, err := c.Mode(ctx, "f")
	require.NoError(t, err)
	require.EqualValues(t, 0o600, m)
	fi, err := os.Stat(filepath.Join(root, "f"))
	require.NoError(t, err)
	require.EqualValues(t, 0o600, fi.Mode().Perm())
	require.EqualValues(t, 1, k.dials.Load(), "one login")
	r, err := c.Open(ctx, "f", 0) // still in step
	require.NoError(t, err)
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	require.NoError(t, r.Close())
	require.Equal(t, "x", string(b))
}

// TestStalePortIsNotUsed: a port opened ahead and left unused for long is asked for
// again, since the server may have given it to another session meanwhile.
func TestStalePortIsNotUsed(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(root, "f"), []byte("content"), 0o644))
	srv := startFTP(t, root, transfertest.FTPOptions{})
	k := &counter{}
	cfg := config(srv, false)
	cfg.DialContext = k.dial
	c, err := ftp.Dial(context.Background(), cfg)
	require.NoError(t, err)
	defer c.Close()
	read := func() {
		r, err := c.Open(context.Background(), "f", 0)
		require.NoError(t, err)
		b, err := io.ReadAll(r)
		require.NoError(t, err)
		require.NoError(t, r.Close())
		require.Equal(t, "content", string(b))
	}
	read()
	k.take()
	read()
	require.Equal(t, []string{"RETR", "EPSV"}, k.take(), "a fresh port is used")
	ftp.AgePort(c, time.Minute)
	read()
	require.Equal(t, []string{"EPSV", "RETR", "EPSV"}, k.take(), "a stale one is asked for again")
}
