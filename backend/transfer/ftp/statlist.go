package ftp

import (
	"context"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/jlaffaye/ftp"

	"ferry/backend/transfer"
)

var _ transfer.ManyLister = (*Client)(nil)

// statHosts remembers, per server and account, whether "STAT -a <folder>" lists a
// folder the way MLSD or "LIST -a" does. vsftpd, ProFTPD and Pure-FTPd answer it on the
// control connection: one round trip per folder instead of EPSV, a data connection and
// LIST. The first listings on a host ask both ways and compare; a server that refuses
// STAT with a path or "-a", or lists differently (hides dot files), is listed the old
// way from then on.
var statHosts sync.Map // "host:port user" -> bool

func (c *Client) statKey() string { return c.cfg.addr() + " " + c.cfg.User }

// listEntries lists the folder abs: by STAT where the host is known to answer it, else
// with a data connection (MLSD or LIST), probing STAT alongside while the host is new.
func (c *Client) listEntries(abs string) ([]*ftp.Entry, error) {
	if c.w == nil {
		return c.list(abs)
	}
	v, known := statHosts.Load(c.statKey())
	if known && !v.(bool) {
		return c.list(abs)
	}
	got, ok := c.statList(abs)
	if ok && known {
		return got, nil
	}
	// An empty or refused STAT proves nothing (vsftpd answers STAT of a missing folder
	// with an empty listing): the data listing decides, and reports errors properly.
	entries, err := c.list(abs)
	if !known && err == nil && len(names(entries)) > 0 {
		statHosts.Store(c.statKey(), ok && sameNames(names(got), names(entries)))
	}
	return entries, err
}

// statList asks for the listing of abs on the control connection. ok is false when the
// server refused, or the listing holds no entry besides "." and "..".
func (c *Client) statList(abs string) ([]*ftp.Entry, bool) {
	n, err := c.statSend(abs)
	if err != nil {
		c.closeConns() // a command may be half sent
		return nil, false
	}
	return c.statRead(abs, n)
}

// statSend sends the commands that list abs and returns how many replies they get.
func (c *Client) statSend(abs string) (int, error) {
	if plainArg(abs) {
		return 1, c.w.send("STAT -a %s", abs)
	}
	// Servers split and glob the argument of STAT like ls's; CWD takes its argument
	// whole. Sent together, the two cost one round trip.
	if err := c.w.send("CWD %s", abs); err != nil {
		return 0, err
	}
	return 2, c.w.send("STAT -a .")
}

// statRead reads the replies to statSend(abs).
func (c *Client) statRead(abs string, replies int) ([]*ftp.Entry, bool) {
	var msg string
	ok := true
	for ; replies > 0; replies-- {
		code, m, rerr := c.w.reply()
		if code == 0 {
			c.closeConns() // the connection failed mid-reply
			return nil, false
		}
		if rerr != nil {
			ok = false
		}
		if replies == 1 {
			ok = ok && (code == 211 || code == 212 || code == 213)
			msg = m
		}
	}
	if !ok {
		return nil, false
	}
	lines := strings.Split(msg, "\n")
	if len(lines) < 3 {
		return nil, false // a header and a footer, no listing
	}
	now := time.Now()
	var entries []*ftp.Entry
	for _, line := range lines[1 : len(lines)-1] {
		// ftpserverlib (v0.32) starts each line with a literal "%s", a format slip.
		line = strings.TrimPrefix(strings.TrimLeft(line, " "), "%s")
		if e, err := parseListLine(line, now, time.UTC); err == nil {
			entries = append(entries, e)
		}
	}
	if len(entries) == 1 && entries[0].Type == ftp.EntryTypeFile && (entries[0].Name == abs || entries[0].Name == path.Base(abs)) {
		return nil, false // STAT of a file describes the file: the data listing says "not a folder"
	}
	return entries, len(names(entries)) > 0
}

// ListMany lists dirs with their STAT commands all sent before the first reply is read,
// so a batch costs about one round trip, where the host is known to answer STAT; one
// folder after the other otherwise.
func (c *Client) ListMany(ctx context.Context, dirs []string) ([][]transfer.Entry, []error) {
	out := make([][]transfer.Entry, len(dirs))
	errs := make([]error, len(dirs))
	v, known := statHosts.Load(c.statKey())
	if c.w == nil || !known || !v.(bool) {
		for i, d := range dirs {
			out[i], errs[i] = c.List(ctx, d)
		}
		return out, errs
	}
	defer c.guard(ctx)()
	type sent struct {
		rel, abs string
		replies  int
	}
	batch := make([]sent, len(dirs))
	for i, d := range dirs {
		clean, abs, err := c.abs(d)
		if err != nil {
			errs[i] = err
			continue
		}
		n, err := c.statSend(abs)
		if err != nil {
			c.closeConns()
			for k := range dirs {
				errs[k] = c.mapErr(ctx, "list", transfer.JoinRoot(c.root, dirs[k]), err)
			}
			return out, errs
		}
		batch[i] = sent{clean, abs, n}
	}
	var again []int
	for i, b := range batch {
		if errs[i] != nil {
			continue
		}
		got, ok := c.statRead(b.abs, b.replies)
		if !ok {
			again = append(again, i) // after every reply is in: the data listing decides
			continue
		}
		out[i], errs[i] = c.entries(ctx, b.rel, b.abs, got, nil)
	}
	for _, i := range again {
		got, err := c.list(batch[i].abs)
		out[i], errs[i] = c.entries(ctx, batch[i].rel, batch[i].abs, got, err)
	}
	return out, errs
}

// plainArg reports whether p can follow "STAT -a " as is: no space, glob or quote
// character that a server could split or expand.
func plainArg(p string) bool {
	return !strings.ContainsAny(p, " \t*?[]{}\\\"'~") && !strings.Contains(p, "/-")
}

func names(entries []*ftp.Entry) map[string]ftp.EntryType {
	out := make(map[string]ftp.EntryType, len(entries))
	for _, e := range entries {
		if n := e.Name; n != "." && n != ".." && n != "" {
			out[n] = e.Type
		}
	}
	return out
}

func sameNames(a, b map[string]ftp.EntryType) bool {
	if len(a) != len(b) {
		return false
	}
	for n, t := range a {
		if bt, ok := b[n]; !ok || bt != t {
			return false
		}
	}
	return true
}
