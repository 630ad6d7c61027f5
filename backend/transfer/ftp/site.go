package ftp

import (
	"context"
	"crypto/tls"
	"fmt"
	"io/fs"
	"net/textproto"

	"ferry/backend/transfer"
)

var _ transfer.Permissions = (*Client)(nil)

// Mode returns 0: the listings jlaffaye/ftp parses carry no permission bits, so an FTP
// source never says a file's mode and callers use their safe default.
func (c *Client) Mode(_ context.Context, p string) (fs.FileMode, error) {
	if _, _, err := c.abs(p); err != nil {
		return 0, err
	}
	return 0, nil
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
	c.siteMu.Lock()
	defer c.siteMu.Unlock()
	if c.site == nil {
		if c.site, err = c.dialSite(ctx); err != nil {
			return &transfer.PathError{Op: "chmod", Path: abs, Err: err}
		}
	}
	id, err := c.site.Cmd("SITE CHMOD %03o %s", mode.Perm(), abs)
	if err != nil {
		c.site = nil
		return c.mapErr(ctx, "chmod", abs, err)
	}
	c.site.StartResponse(id)
	code, msg, err := c.site.ReadResponse(200)
	c.site.EndResponse(id)
	switch {
	case err == nil:
		return nil
	case code == 500 || code == 502 || code == 504 || code == 202:
		return &transfer.PathError{Op: "chmod", Path: abs, Err: fmt.Errorf("%w: SITE CHMOD: %d %s", transfer.ErrUnsupported, code, msg)}
	case code == 0:
		c.site = nil
	}
	return c.mapErr(ctx, "chmod", abs, err)
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
