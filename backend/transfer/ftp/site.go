package ftp

import (
	"context"
	"crypto/tls"
	"fmt"
	"io/fs"
	"net/textproto"
	"strings"

	"ferry/backend/transfer"
)

var _ transfer.Permissions = (*Client)(nil)

// Mode asks the server for p's permission bits with STAT p over the SITE control
// connection (see Chmod): the reply holds p's LIST line ("-rw-r--r-- 1 ftp ftp …") on
// vsftpd, ProFTPD, Pure-FTPd and ftpserverlib, without a data connection. It returns 0
// when the server does not answer STAT or its line carries no Unix permissions, so
// callers use their safe default.
func (c *Client) Mode(ctx context.Context, p string) (fs.FileMode, error) {
	_, abs, err := c.abs(p)
	if err != nil {
		return 0, err
	}
	defer c.guard(ctx)()
	code, msg, err := c.siteCmd(ctx, 0, "STAT %s", abs)
	if err != nil {
		if code == 0 {
			return 0, c.mapErr(ctx, "stat", abs, err)
		}
		return 0, nil
	}
	if code != 211 && code != 212 && code != 213 {
		return 0, nil
	}
	return statMode(msg), nil
}

// statMode finds the permission bits in the first LIST line of a STAT reply: 0 when there
// is none.
func statMode(msg string) fs.FileMode {
	for _, line := range strings.Split(msg, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || len(f[0]) < 10 || f[0][0] != '-' {
			continue
		}
		var m fs.FileMode
		for i, ch := range f[0][1:10] {
			switch {
			case ch == '-':
			case ch == rune("rwxrwxrwx"[i]), i%3 == 2 && (ch == 's' || ch == 't'):
				m |= 1 << (8 - i)
			case i%3 == 2 && (ch == 'S' || ch == 'T'):
			default:
				return 0
			}
		}
		return m
	}
	return 0
}

// Chmod sets the permission bits of p with SITE CHMOD, which most Unix FTP servers accept
// (vsftpd with chmod_enable, ProFTPD, Pure-FTPd, ftpserverlib). jlaffaye/ftp cannot send
// SITE commands, so they go over a second control connection, opened on first use with
// the same login and closed with the Client. A server that does not know the command
// fails with transfer.ErrUnsupported.
func (c *Client) Chmod(ctx context.Context, p string, mode fs.FileMode) error {
	_, abs, err := c.abs(p)
	if err != nil {
		return err
	}
	defer c.guard(ctx)()
	code, msg, err := c.siteCmd(ctx, 200, "SITE CHMOD %03o %s", mode.Perm(), abs)
	switch {
	case err == nil:
		return nil
	case code == 500 || code == 502 || code == 504 || code == 202:
		return &transfer.PathError{Op: "chmod", Path: abs, Err: fmt.Errorf("%w: SITE CHMOD: %d %s", transfer.ErrUnsupported, code, msg)}
	}
	return c.mapErr(ctx, "chmod", abs, err)
}

// siteCmd sends a command jlaffaye/ftp has no method for and reads its reply (expect as
// for textproto's ReadResponse, 0 for any): on the Client's own control connection when
// fast.go speaks on it, so SITE and STAT cost no second login; else on a second control
// connection, opened on first use with the same login and closed with the Client. A
// reply code of 0 means the connection failed.
func (c *Client) siteCmd(ctx context.Context, expect int, format string, args ...any) (int, string, error) {
	if c.w != nil {
		if err := c.w.send(format, args...); err != nil {
			return 0, "", err
		}
		code, msg, err := c.w.reply()
		if err == nil && expect != 0 && code != expect {
			err = &textproto.Error{Code: code, Msg: msg}
		}
		return code, msg, err
	}
	c.siteMu.Lock()
	defer c.siteMu.Unlock()
	if c.site == nil {
		release, _, err := c.cfg.take(ctx, nil)
		if err != nil {
			return 0, "", err
		}
		if c.site, err = c.dialSite(ctx); err != nil {
			release()
			return 0, "", err
		}
		c.siteRelease = release
	}
	id, err := c.site.Cmd(format, args...)
	if err != nil {
		c.dropSite()
		return 0, "", err
	}
	c.site.StartResponse(id)
	code, msg, err := c.site.ReadResponse(expect)
	c.site.EndResponse(id)
	if code == 0 && err != nil {
		c.dropSite()
	}
	return code, msg, err
}

// dropSite closes the second control connection and gives its login back; siteMu held.
func (c *Client) dropSite() {
	if c.site != nil {
		_ = c.site.Close()
		c.site = nil
	}
	if c.siteRelease != nil {
		c.siteRelease()
		c.siteRelease = nil
	}
}

// dialSite logs in on a new control connection, in TLS when the Client uses it.
func (c *Client) dialSite(ctx context.Context) (*textproto.Conn, error) {
	conn, err := c.dialFunc(ctx, c.cfg.timeout())("tcp", c.cfg.addr())
	if err != nil {
		return nil, err
	}
	tp := textproto.NewConn(conn)
	fail := func(err error) (*textproto.Conn, error) {
		_ = tp.Close()
		return nil, err
	}
	if _, _, err := tp.ReadResponse(220); err != nil {
		return fail(err)
	}
	if c.cfg.TLS {
		if _, _, err := command(tp, 234, "AUTH TLS"); err != nil {
			return fail(err)
		}
		tc, err := tlsConfig(c.cfg)
		if err != nil {
			return fail(err)
		}
		tl := tls.Client(conn, tc)
		if err := tl.HandshakeContext(ctx); err != nil {
			return fail(err)
		}
		tp = textproto.NewConn(tl)
	}
	code, _, err := command(tp, 0, "USER %s", c.cfg.User)
	if err != nil {
		return fail(err)
	}
	if code == 331 {
		if _, _, err := command(tp, 230, "PASS %s", c.cfg.Password); err != nil {
			return fail(fmt.Errorf("%w: %v", transfer.ErrAuth, err))
		}
	} else if code != 230 {
		return fail(fmt.Errorf("%w: USER answered %d", transfer.ErrAuth, code))
	}
	return tp, nil
}

// command sends one command and reads its reply; expect 0 takes any reply below 400.
func command(tp *textproto.Conn, expect int, format string, args ...any) (int, string, error) {
	id, err := tp.Cmd(format, args...)
	if err != nil {
		return 0, "", err
	}
	tp.StartResponse(id)
	defer tp.EndResponse(id)
	code, msg, err := tp.ReadResponse(expect)
	if expect == 0 && err == nil && code >= 400 {
		err = &textproto.Error{Code: code, Msg: msg}
	}
	return code, msg, err
}
