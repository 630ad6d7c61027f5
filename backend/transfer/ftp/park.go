package ftp

import (
	"context"
	"crypto/sha256"
	"fmt"
	"path"
	"sync"

	"ferry/backend/transfer"
)

// parkedOpener opens Trees whose Close parks the login in cfg.Parking instead of
// logging out, and takes a parked login of the same account before logging in: the
// migrations of a batch that share a source account then log in once between them. A
// parked login is changed into the new Root (CWD and PWD, which also proves it is still
// in step with the server); one that fails that is closed and a new login made.
func (c Config) parkedOpener() transfer.Opener {
	key := c.loginKey()
	return func(ctx context.Context) (transfer.Tree, error) {
		if key != "" {
			for {
				pc, _ := c.Parking.Take(key).(*Client)
				if pc == nil {
					break
				}
				if err := pc.reroot(ctx, c); err == nil {
					return &lent{Client: pc, parking: c.Parking, key: key}, nil
				}
				_ = pc.Close()
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
			}
		}
		if c.Host == "" {
			return Dial(ctx, c)
		}
		// Wait for a free login, taking one parked meanwhile under this key.
		release, t, err := c.take(ctx, func() (transfer.Tree, bool) {
			if key == "" {
				return nil, false
			}
			pc, _ := c.Parking.Take(key).(*Client)
			if pc == nil {
				return nil, false
			}
			if err := pc.reroot(ctx, c); err != nil {
				_ = pc.Close()
				return nil, false
			}
			return &lent{Client: pc, parking: c.Parking, key: key}, true
		})
		if err != nil {
			return nil, &transfer.ConnectError{Protocol: c.protocol(), Addr: c.addr(), Err: err}
		}
		if t != nil {
			return t, nil
		}
		cl, err := dial(ctx, c, release)
		if err != nil {
			return nil, err
		}
		if key == "" {
			return cl, nil
		}
		return &lent{Client: cl, parking: c.Parking, key: key}, nil
	}
}

// loginKey names the login: two Configs with the same key reach the same server as the
// same account with the same security settings. It is empty (no parking) for a Root
// relative to the login folder, which a parked login no longer knows, and with a
// DialContext, which cannot be compared. The secret only enters as a hash.
func (c Config) loginKey() string {
	if c.DialContext != nil || !path.IsAbs(c.Root) {
		return ""
	}
	sum := sha256.Sum256([]byte(c.Password))
	return fmt.Sprintf("ftp\x00%s\x00%s\x00%x\x00%t\x00%s\x00%p\x00%d", c.addr(), c.User, sum, c.TLS, c.CertFingerprint, c.RootCAs, c.timeout())
}

// reroot makes a parked login serve cfg: its folder becomes cfg.Root (created when
// missing and cfg.MakeRoot asks).
func (c *Client) reroot(ctx context.Context, cfg Config) error {
	defer c.guard(ctx)()
	err := c.conn.ChangeDir(cfg.Root)
	if err != nil && cfg.MakeRoot && protoCode(err) != 0 {
		err = c.makeRoot(ctx, cfg.Root)
	} else if err != nil {
		return c.mapErr(ctx, "stat", cfg.Root, err)
	}
	if err != nil {
		return err
	}
	root, err := c.conn.CurrentDir()
	if err != nil {
		return c.mapErr(ctx, "stat", cfg.Root, err)
	}
	c.root = root
	c.cfg.Root, c.cfg.MakeRoot = cfg.Root, cfg.MakeRoot
	return ctx.Err()
}

// reusable reports whether the login can be parked: open, no reply pending, and no
// second control connection (which a connection budget counts on its own).
func (c *Client) reusable() bool {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	c.siteMu.Lock()
	site := c.site != nil
	c.siteMu.Unlock()
	return !closed && !site && c.conn != nil && (c.w == nil || !c.w.ahead)
}

// lent is a Client handed out by a parking Opener: its Close parks the login (once; a
// second Close does nothing, so a login taken by another Tree meanwhile is not touched).
type lent struct {
	*Client
	parking *transfer.Parking
	key     string
	once    sync.Once
}

// IsClient reports whether t is an FTP Client, parked logins' included.
func IsClient(t transfer.Tree) bool {
	switch t.(type) {
	case *Client, *lent:
		return true
	}
	return false
}

func (l *lent) Close() error {
	l.once.Do(func() {
		if !l.Client.reusable() || !l.parking.Put(l.key, l.Client) {
			_ = l.Client.Close()
		}
	})
	return nil
}
