// Package dbroute opens a site's database by whichever route the host allows: direct TCP,
// an SSH tunnel on the SFTP login, the MySQL client programs run over SSH (sshcmd), or
// the site's own PHP (agent). Automatic tries them in that order and keeps the first that
// works, saying why each earlier one failed. Every route yields the same *mysqldb.DB, so
// Dump, Import, Inspect and the checks do not know which one carries their SQL; only the
// SSH command route dumps with the server's mysqldump instead (Conn.Dump).
package dbroute

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"

	"ferry/backend/agent"
	"ferry/backend/mysqldb"
	"ferry/backend/mysqlwire"
	"ferry/backend/sshcmd"
)

// Access names a route.
type Access string

// The routes, in the order Automatic tries them.
const (
	Automatic Access = ""
	Direct    Access = "direct"
	Tunnel    Access = "ssh-tunnel"
	Command   Access = "ssh-command"
	Site      Access = "php"
)

// Order is the order Automatic tries the routes in.
var Order = []Access{Direct, Tunnel, Command, Site}

// Parse reads an access name as the job file and the form write it.
func Parse(s string) (Access, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto", "automatic":
		return Automatic, nil
	case "direct":
		return Direct, nil
	case "ssh-tunnel", "tunnel":
		return Tunnel, nil
	case "ssh-command", "ssh", "command":
		return Command, nil
	case "php", "site", "agent":
		return Site, nil
	}
	return Automatic, fmt.Errorf("unknown database access %q (automatic, direct, ssh-tunnel, ssh-command or php)", s)
}

// Name is how logs name a route.
func (a Access) Name() string {
	switch a {
	case Direct:
		return "Direct"
	case Tunnel:
		return "SSH tunnel"
	case Command:
		return "SSH command"
	case Site:
		return "Through the site (PHP)"
	}
	return "Automatic"
}

// Target is the database as configured: Host as in wp-config.php, where "localhost" (or
// 127.0.0.1) means the web server itself.
type Target struct {
	Host     string
	Port     int
	User     string
	Password string
	Name     string
}

// Endpoint is what the routes can use to reach the server.
type Endpoint struct {
	// Host is the file server's host name: a database on "localhost" is reached there
	// directly when the endpoint is remote.
	Host   string
	Remote bool
	// SSH logs in over SSH (the SFTP login); nil when the endpoint has none.
	SSH func(ctx context.Context) (*ssh.Client, error)
	// Files opens the docroot (the WordPress folder); nil when there is none.
	Files func(ctx context.Context) (agent.Files, error)
	// SiteURL is the address the docroot answers at; SiteIP optionally overrides DNS.
	SiteURL, SiteIP string
	// OnAgent is told the agent's path in the docroot before it is uploaded, and with ""
	// once it is removed, so a crash cannot forget it.
	OnAgent func(path string, present bool) error
}

// Options tune Open.
type Options struct {
	Timeout time.Duration // connect timeout per route (default 15 s)
	Agent   agent.Config  // overrides for the PHP agent (tests: Transport, Slice)
	// Gate, when set, gives the gate every MySQL connection of the Direct and SSH tunnel
	// routes opens through (a host's connection budget): addr is the database server's
	// host:port as Ferry knows it (a database on "localhost" behind a tunnel is the SSH
	// server's), name how messages call it. The SSH command and PHP routes run the
	// database's connections on the server itself, one per remote process or request;
	// what Ferry opens for them is the SSH login or HTTP requests (see Endpoint.SSH).
	Gate func(addr, name string) mysqldb.Gate
	// Compression says when the Direct and SSH tunnel routes' connections are compressed
	// (mysqldb.Compression; the zero value decides by the server's distance and link).
	Compression mysqldb.Compression
}

// Attempt is a route that was tried and failed.
type Attempt struct {
	Route Access
	Err   error
}

// Conn is an open database on the chosen route.
type Conn struct {
	DB    *mysqldb.DB
	Route Access
	// Tried lists the routes Automatic tried before Route, and why each failed.
	Tried  []Attempt
	runner *sshcmd.Runner
	agent  *agent.Agent
	close  []func(ctx context.Context) error
}

// Agent is the deployed PHP agent (nil on other routes).
func (c *Conn) Agent() *agent.Agent { return c.agent }

// Wire reports whether the route carries SQL through mysqlwire (no prepared statements:
// imports send text INSERTs).
func (c *Conn) Wire() bool { return c.Route == Command || c.Route == Site }

// Summary says what Automatic tried: "Direct: port 3306 refused; SSH tunnel: forwarding
// disabled by the server; using SSH command".
func (c *Conn) Summary() string {
	var parts []string
	for _, a := range c.Tried {
		parts = append(parts, a.Route.Name()+": "+Reason(a.Route, a.Err))
	}
	use := "using " + c.Route.Name()
	if c.Route == Site {
		use = "using the site's PHP"
	}
	return strings.Join(append(parts, use), "; ")
}

// Close closes the database and ends the route (removes the agent, the option file).
// It runs even when ctx is done, within a minute.
func (c *Conn) Close(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	var errs []error
	if c.DB != nil {
		errs = append(errs, c.DB.Close())
	}
	for i := len(c.close) - 1; i >= 0; i-- {
		errs = append(errs, c.close[i](ctx))
	}
	return errors.Join(errs...)
}

// Dump writes the database to w: with the server's mysqldump on the SSH command route
// (several at once, see commandDump), else with mysqldb.Dump. On the PHP route
// siteDumpWorkers readers ask unless opts says otherwise, and its stats say "per-request":
// each request runs in its own session on the server, so the wire answers START
// TRANSACTION itself and no snapshot spans two requests.
func (c *Conn) Dump(ctx context.Context, w io.Writer, opts mysqldb.DumpOptions) (mysqldb.DumpStats, error) {
	if c.Route == Command {
		return c.commandDump(ctx, w, opts)
	}
	if c.Route == Site {
		if opts.Workers <= 0 {
			opts.Workers = siteDumpWorkers
		}
		st, err := mysqldb.Dump(ctx, c.DB, w, opts)
		st.Snapshot = "per-request"
		return st, err
	}
	return mysqldb.Dump(ctx, c.DB, w, opts)
}

// siteDumpWorkers is how many requests a dump through the site's PHP has running at once
// by default, as many as an import through it: while the server reads one slice, Ferry
// takes the rows of another, and a host's PHP pool serves both together.
const siteDumpWorkers = 2

type countWriter struct {
	w        io.Writer
	n        int64
	last     time.Time
	progress func(rows, bytes int64)
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	if c.progress != nil && time.Since(c.last) > 100*time.Millisecond {
		c.last = time.Now()
		c.progress(0, c.n)
	}
	return n, err
}

func (c *countWriter) report() {
	if c.progress != nil {
		c.progress(0, c.n)
	}
}

// Open connects by route access (Automatic: the first of Order that works).
func Open(ctx context.Context, ep Endpoint, db Target, access Access, opts Options) (*Conn, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = 15 * time.Second
	}
	if access != Automatic {
		c, err := open(ctx, ep, db, access, opts)
		if err != nil {
			return nil, &RouteError{Route: access, Err: err}
		}
		return c, nil
	}
	var tried []Attempt
	for _, r := range Order {
		c, err := open(ctx, ep, db, r, opts)
		if err == nil {
			c.Tried = tried
			return c, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if errors.Is(err, mysqldb.ErrUnknownDatabase) {
			// the server answered: the route works, the database is missing
			return nil, &RouteError{Route: r, Err: err}
		}
		tried = append(tried, Attempt{Route: r, Err: err})
	}
	return nil, &AutoError{Tried: tried}
}

// RouteError is a chosen route that failed.
type RouteError struct {
	Route Access
	Err   error
}

func (e *RouteError) Error() string { return e.Route.Name() + ": " + Reason(e.Route, e.Err) }
func (e *RouteError) Unwrap() error { return e.Err }

// AutoError is Automatic finding no route that works.
type AutoError struct{ Tried []Attempt }

func (e *AutoError) Error() string {
	var parts []string
	for _, a := range e.Tried {
		parts = append(parts, a.Route.Name()+": "+Reason(a.Route, a.Err))
	}
	return "no way to reach the database (" + strings.Join(parts, "; ") + ")"
}

// Unwrap returns the direct route's error (the one the other checks classify).
func (e *AutoError) Unwrap() error {
	if len(e.Tried) == 0 {
		return nil
	}
	return e.Tried[0].Err
}

// errNoSSH and errNoSite say a route does not apply to the endpoint.
var (
	errNoSSH  = errors.New("needs an SFTP login")
	errNoSite = errors.New("needs the site's URL and a file login to its docroot")
)

// Reason says in a few plain words why a route failed.
func Reason(r Access, err error) string {
	var oe *ssh.OpenChannelError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "port " + portOf(err) + " refused"
	case errors.As(err, &oe) && oe.Reason == ssh.Prohibited:
		return "forwarding disabled by the server"
	case errors.Is(err, sshcmd.ErrNoClient):
		return "mysqldump not found"
	case errors.Is(err, agent.ErrNotAgent):
		return "the site did not run Ferry's PHP file (" + err.Error() + ")"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "no answer (timeout)"
	}
	var ce *mysqldb.ConnError
	if errors.As(err, &ce) {
		if errors.Is(err, syscall.ECONNREFUSED) {
			return "port refused"
		}
		return ce.Msg
	}
	return err.Error()
}

func portOf(err error) string {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Addr != nil {
		if _, p, e := net.SplitHostPort(oe.Addr.String()); e == nil {
			return p
		}
	}
	return "3306"
}

// serverName is how messages call a database server: its host, with the port when it is
// not MySQL's.
func serverName(host string, port int) string {
	if port == 3306 {
		return host
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// isLocal reports a host that means "this server".
func isLocal(h string) bool {
	h, _, _ = strings.Cut(h, ":")
	return h == "" || h == "localhost" || h == "127.0.0.1" || h == "::1"
}

// hostPort splits a wp-config style host ("localhost:3307", "db:3306", "localhost:/sock").
func hostPort(db Target) (host string, port int, socket string) {
	host, port = db.Host, db.Port
	if h, rest, ok := strings.Cut(host, ":"); ok {
		if strings.HasPrefix(rest, "/") {
			return h, port, rest
		}
		if n, err := strconv.Atoi(rest); err == nil {
			host = h
			if port == 0 {
				port = n
			}
		}
	}
	if port == 0 {
		port = 3306
	}
	return host, port, ""
}

func open(ctx context.Context, ep Endpoint, db Target, r Access, opts Options) (*Conn, error) {
	host, port, socket := hostPort(db)
	cfg := mysqldb.Config{Port: port, User: db.User, Password: db.Password, Database: db.Name, ConnectTimeout: opts.Timeout, Compression: opts.Compression}
	switch r {
	case Direct:
		if socket != "" {
			return nil, fmt.Errorf("MySQL listens on a socket of the server (%s) only", socket)
		}
		cfg.Host = host
		if isLocal(host) && ep.Remote {
			cfg.Host = ep.Host
		}
		if cfg.Host == "" {
			cfg.Host = "127.0.0.1"
		}
		if opts.Gate != nil {
			cfg.Gate = opts.Gate(cfg.Addr(), serverName(cfg.Host, port))
		}
		d, err := mysqldb.Open(ctx, cfg)
		if err != nil {
			return nil, err
		}
		return &Conn{DB: d, Route: Direct}, nil
	case Tunnel:
		if ep.SSH == nil {
			return nil, errNoSSH
		}
		if socket != "" {
			return nil, fmt.Errorf("MySQL listens on a socket of the server (%s) only", socket)
		}
		client, err := ep.SSH(ctx)
		if err != nil {
			return nil, err
		}
		cfg.Host = host
		if isLocal(host) {
			cfg.Host = "127.0.0.1"
		}
		cfg.Dial = mysqldb.SSHTunnelDialer(client)
		cfg.Link = "ssh " + ep.Host // the tunnels through one SSH server share its link
		if opts.Gate != nil {
			server := cfg.Host
			if isLocal(host) {
				server = ep.Host
			}
			addr := net.JoinHostPort(server, strconv.Itoa(port))
			cfg.Gate = opts.Gate(addr, serverName(server, port))
		}
		d, err := mysqldb.Open(ctx, cfg)
		if err != nil {
			client.Close()
			return nil, err
		}
		return &Conn{DB: d, Route: Tunnel, close: []func(context.Context) error{func(context.Context) error { return client.Close() }}}, nil
	case Command:
		if ep.SSH == nil {
			return nil, errNoSSH
		}
		client, err := ep.SSH(ctx)
		if err != nil {
			return nil, err
		}
		h := db.Host
		if h == "" {
			h = "localhost"
		}
		run, err := sshcmd.New(ctx, client, sshcmd.DB{Host: h, Port: db.Port, User: db.User, Password: db.Password, Name: db.Name})
		if err != nil {
			client.Close()
			return nil, err
		}
		c := &Conn{Route: Command, runner: run, close: []func(context.Context) error{
			func(context.Context) error { return client.Close() }, run.Close}}
		cfg.Host, cfg.Dial, cfg.NoPrepare = "ssh", mysqlwire.Dialer(run), true
		d, err := mysqldb.Open(ctx, cfg)
		if err != nil {
			_ = c.Close(ctx)
			return nil, err
		}
		c.DB = d
		return c, nil
	case Site:
		if ep.Files == nil || ep.SiteURL == "" {
			return nil, errNoSite
		}
		ac := opts.Agent
		ac.SiteURL, ac.IP, ac.Open = ep.SiteURL, ep.SiteIP, ep.Files
		ac.DB = agent.DB{Host: db.Host, Port: db.Port, User: db.User, Password: db.Password, Name: db.Name}
		a, err := agent.New(ac)
		if err != nil {
			return nil, err
		}
		if ep.OnAgent != nil {
			if err := ep.OnAgent(a.Path(), true); err != nil {
				return nil, err
			}
		}
		c := &Conn{Route: Site, agent: a, close: []func(context.Context) error{func(ctx context.Context) error {
			if err := a.Remove(ctx); err != nil {
				return err
			}
			if ep.OnAgent != nil {
				return ep.OnAgent(a.Path(), false)
			}
			return nil
		}}}
		if err := a.Upload(ctx); err != nil {
			_ = c.Close(ctx)
			return nil, err
		}
		cfg.Host, cfg.Dial, cfg.NoPrepare = "php", mysqlwire.Dialer(a), true
		d, err := mysqldb.Open(ctx, cfg)
		if err != nil {
			_ = c.Close(ctx)
			return nil, err
		}
		c.DB = d
		return c, nil
	}
	return nil, fmt.Errorf("unknown database route %q", r)
}
