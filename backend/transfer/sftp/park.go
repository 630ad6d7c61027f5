package sftp

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"

	"ferry/backend/transfer"
)

// loginKey names the login: two Configs with the same key reach the same server as the
// same account, checked against the same host key store. It is empty (no parking) with
// a HostKeyCallback or a DialContext, which cannot be compared. Secrets only enter as a
// hash.
func (c Config) loginKey() string {
	if c.Parking == nil || c.HostKeyCallback != nil || c.DialContext != nil {
		return ""
	}
	sum := sha256.Sum256([]byte(c.Password + "\x00" + string(c.PrivateKey) + "\x00" + c.Passphrase))
	return fmt.Sprintf("sftp\x00%s\x00%s\x00%x\x00%p\x00%d\x00%d", c.addr(), c.User, sum, c.HostKeys, c.MaxConcurrentRequests, c.timeout())
}

// park hands a Pool's login that no Tree holds any more to c.Parking, for the next Pool
// of the same account, or closes it when it cannot be parked (dead, timed out, no
// Parking).
func (c Config) park(cl *Client) {
	key := c.loginKey()
	if key == "" || cl.dead() || cl.timedOut.Load() || !c.Parking.Put(key, cl) {
		_ = cl.Close()
	}
}

// unpark takes a parked login of c's account, rooted at c.Root (created when missing and
// c.MakeRoot asks), or returns nil: none is parked, or none still answers.
func (c Config) unpark(ctx context.Context) *Client {
	key := c.loginKey()
	if key == "" {
		return nil
	}
	for ctx.Err() == nil {
		cl, _ := c.Parking.Take(key).(*Client)
		if cl == nil {
			return nil
		}
		if err := cl.reroot(ctx, c); err == nil {
			return cl
		}
		_ = cl.Close()
	}
	return nil
}

// reroot makes a parked login serve cfg: its folder becomes cfg.Root, checked (which
// also proves the session still answers) and created when missing and cfg.MakeRoot
// asks, as Dial does.
func (c *Client) reroot(ctx context.Context, cfg Config) error {
	if c.dead() {
		return errors.New("login closed")
	}
	defer c.guard(ctx)()
	root := cfg.Root
	if root == "" {
		root = "."
	}
	st, err := c.sftp.Stat(root)
	if err != nil && cfg.MakeRoot && errors.Is(err, os.ErrNotExist) {
		if merr := c.sftp.MkdirAll(root); merr != nil {
			return c.mapErr(ctx, "mkdir", root, merr)
		}
		st, err = c.sftp.Stat(root)
	}
	if err != nil {
		return c.mapErr(ctx, "stat", root, err)
	}
	if !st.IsDir() {
		return &transfer.PathError{Op: "stat", Path: root, Err: fmt.Errorf("not a folder: %w", transfer.ErrNotFound)}
	}
	c.root = root
	c.cfg.Root, c.cfg.MakeRoot = cfg.Root, cfg.MakeRoot
	return nil
}
