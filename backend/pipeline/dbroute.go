package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh"

	"ferry/backend/agent"
	"ferry/backend/dbroute"
	"ferry/backend/events"
	"ferry/backend/hostlimit"
	"ferry/backend/migration"
	"ferry/backend/mysqldb"
	"ferry/backend/transfer/sftp"
)

// dbConn is an open database on one of dbroute's routes.
type dbConn struct {
	*mysqldb.DB
	route *dbroute.Conn
	done  func()
}

// Close closes the database and ends its route (an agent is removed even after a Stop).
func (d *dbConn) Close() error {
	err := d.route.Close(context.Background())
	if d.done != nil {
		d.done()
	}
	return err
}

// routeInfo is what openDB knows of the migration it opens a database for.
type routeInfo struct {
	m   migration.Migration
	log stepLog
}

type routeKey struct{}

// withRoute tells openDB, through ctx, which migration it works for and where to log.
func withRoute(ctx context.Context, m migration.Migration, log stepLog) context.Context {
	return context.WithValue(ctx, routeKey{}, routeInfo{m: m, log: log})
}

// AgentFile is a PHP agent Ferry uploaded and has not removed yet ("source" or
// "destination" docroot, path in it). It is recorded before the upload, so Ferry removes
// it at the next step of the migration even after a crash.
type AgentFile struct {
	Side string `json:"side"`
	Path string `json:"path"`
}

// openDB connects to an endpoint's database on the route db.Access asks for (Automatic:
// the first that works, remembered for the migration's later steps). name overrides the
// database name ("-" for none).
func (p *Pipeline) openDB(ctx context.Context, ep migration.Endpoint, db migration.Database, name string) (*dbConn, error) {
	ri, _ := ctx.Value(routeKey{}).(routeInfo)
	side := "destination"
	if ri.m.ID != 0 && sameEndpoint(ep, ri.m.Source) && db == ri.m.Source.DB {
		side = "source"
	}
	t := dbroute.Target{Host: db.Host, Port: db.Port, User: db.User, Password: db.Password, Name: db.Name}
	if name == "-" {
		t.Name = ""
	} else if name != "" {
		t.Name = name
	}
	access, err := dbroute.Parse(db.Access)
	if err != nil {
		return nil, migration.Fail("Unknown database access "+db.Access, err)
	}
	if access == dbroute.Automatic && db.SSHTunnel {
		access = dbroute.Tunnel
	}
	key := fmt.Sprintf("%d/%s", ri.m.ID, side)
	auto := access == dbroute.Automatic
	if auto && ri.m.ID != 0 {
		if a, ok := p.chosenRoute(key); ok {
			access = a
		}
	}
	rep := dbroute.Endpoint{Host: ep.Host, Remote: ep.Protocol != migration.ProtocolLocal, SiteIP: db.SiteIP}
	if ep.Protocol == migration.ProtocolSFTP {
		rep.SSH = func(ctx context.Context) (*ssh.Client, error) {
			// the login carrying a tunnel or the mysql client programs is one more
			// connection to the SSH server, within its budget as the file logins are
			c, release, err := hostlimit.Connect(ctx, serverAddr(ep), serverName(ep), func(ctx context.Context) (*sftp.Client, error) {
				return sftp.Dial(ctx, p.sftpConfig(ep, ""))
			})
			if err != nil {
				return nil, fileFailure(ep, err)
			}
			sc := c.SSH() // closing the SSH client ends the SFTP session too
			if hostlimit.Budgeted(ctx) {
				go func() { _ = sc.Wait(); release() }()
			}
			return sc, nil
		}
	}
	if op, err := p.opener(ep, ""); err == nil {
		rep.Files = func(ctx context.Context) (agent.Files, error) { return op(ctx) }
	}
	var done func()
	if ri.m.ID != 0 {
		rep.SiteURL = p.siteURL(ctx, ri.m, side)
		if side == "destination" && rep.SiteIP == "" {
			rep.SiteIP = ri.m.Options.HTTPIP
		}
		id := ri.m.ID
		rep.OnAgent = func(path string, present bool) error {
			if present && !mayWrite(ctx) {
				return errRefused
			}
			return p.recordAgent(ctx, id, AgentFile{Side: side, Path: path}, present)
		}
		p.agentUse(id, 1)
		done = func() { p.agentUse(id, -1) }
	}
	opts := dbroute.Options{Timeout: p.timeout(), Compression: p.Compression}
	if hostlimit.Budgeted(ctx) {
		opts.Gate = dbGate(ctx)
	}
	c, err := dbroute.Open(ctx, rep, t, access, opts)
	if err != nil {
		if done != nil {
			done()
		}
		var re *dbroute.RouteError
		if auto && errors.As(err, &re) && errors.Is(err, mysqldb.ErrUnknownDatabase) {
			p.chooseRoute(key, re.Route)
		}
		var ae *dbroute.AutoError
		if errors.As(err, &ae) && ri.log != nil {
			ri.log.Logf(slog.LevelWarn, "Database access (%s): %s", side, ae.Error())
		}
		return nil, routeFailure(err)
	}
	if ri.m.ID != 0 {
		// Said once per side, for a route the settings name too, so the log tells how the
		// data travelled; a named route is kept apart from Automatic's choice.
		k, msg := key, c.Summary()
		if !auto {
			k, msg = key+"/set", c.Route.Name()+", as set for this migration"
		}
		if a, known := p.chosenRoute(k); !known || a != c.Route {
			p.chooseRoute(k, c.Route)
			if ri.log != nil {
				ri.log.Logf(slog.LevelInfo, "Database access (%s): %s", side, msg)
			}
			name := c.Route.Name()
			_ = p.update(ctx, ri.m.ID, func(r *Results) {
				if r.DatabaseRoutes == nil {
					r.DatabaseRoutes = map[string]string{}
				}
				r.DatabaseRoutes[side] = name
			})
		}
	}
	if a := c.Agent(); a != nil && ri.log != nil && a.Plain() {
		ri.log.Logf(slog.LevelWarn, "The %s database travels over plain HTTP through %s: anyone on the way can read it; use an https site URL where the site has one", side, strings.SplitN(a.URL(), "/ferry-", 2)[0])
	}
	return &dbConn{DB: c.DB, route: c, done: done}, nil
}

// routeFailure keeps the kinds callers classify (access denied, unknown database) and says
// which routes were tried.
func routeFailure(err error) error {
	var ce *mysqldb.ConnError
	var ae *dbroute.AutoError
	var re *dbroute.RouteError
	switch {
	case errors.As(err, &re) && errors.As(err, &ce) && re.Route == dbroute.Direct:
		return ce
	case errors.As(err, &re) && errors.As(err, &ce):
		return &mysqldb.ConnError{Msg: re.Route.Name() + ": " + ce.Msg, Kind: ce.Kind, Err: err}
	case errors.As(err, &ae):
		// the server that answered says most: a refused login, say
		for _, a := range ae.Tried {
			if errors.As(a.Err, &ce) && (ce.Kind == mysqldb.ErrAccessDenied || ce.Kind == mysqldb.ErrUnknownDatabase) {
				return &mysqldb.ConnError{Msg: ce.Msg, Kind: ce.Kind, Err: err}
			}
		}
		return &mysqldb.ConnError{Msg: ae.Error(), Kind: mysqldb.ErrUnreachable, Err: err}
	case errors.As(err, &re):
		kind := mysqldb.ErrUnreachable
		if re.Route == dbroute.Tunnel {
			kind = mysqldb.ErrTunnel
		}
		return &mysqldb.ConnError{Msg: re.Error(), Kind: kind, Err: err}
	}
	return err
}

// sameEndpoint reports whether a and b are one login on one server's docroot. Two
// accounts of one shared server often differ only in their user (same host, same path).
func sameEndpoint(a, b migration.Endpoint) bool {
	return a.Protocol == b.Protocol && a.Host == b.Host && a.Port == b.Port && a.User == b.User && a.Path == b.Path
}

// siteURL is where the side's docroot answers: the new URL for the destination; for the
// source the old URL given, else the one Analyse found, else https:// and the domain.
func (p *Pipeline) siteURL(ctx context.Context, m migration.Migration, side string) string {
	if side == "destination" {
		return m.NewURL
	}
	if m.OldURL != "" {
		return m.OldURL
	}
	if r, err := p.load(ctx, m.ID); err == nil && r.OldURL != "" {
		return r.OldURL
	}
	if m.Domain != "" {
		return "https://" + m.Domain
	}
	return ""
}

func (p *Pipeline) chosenRoute(key string) (dbroute.Access, bool) {
	p.tmu.Lock()
	defer p.tmu.Unlock()
	a, ok := p.routes[key]
	return a, ok
}

func (p *Pipeline) chooseRoute(key string, a dbroute.Access) {
	p.tmu.Lock()
	defer p.tmu.Unlock()
	if p.routes == nil {
		p.routes = map[string]dbroute.Access{}
	}
	p.routes[key] = a
}

// agentUse counts the migration's open database connections in this process, so that
// leftover agents are removed only when none can be in use.
func (p *Pipeline) agentUse(id int64, d int) {
	p.tmu.Lock()
	defer p.tmu.Unlock()
	if p.agentsOpen == nil {
		p.agentsOpen = map[int64]int{}
	}
	p.agentsOpen[id] += d
}

// recordAgent adds an agent to the migration's results before its upload, and takes it
// out once it is removed.
func (p *Pipeline) recordAgent(ctx context.Context, id int64, a AgentFile, present bool) error {
	return p.update(ctx, id, func(r *Results) {
		r.Agents = slices.DeleteFunc(r.Agents, func(x AgentFile) bool { return x == a })
		if present {
			r.Agents = append(r.Agents, a)
		}
	})
}

// removeLeftAgents removes agents an earlier run uploaded and could not remove (Ferry was
// killed): at the next step the migration runs, and at Clean up.
func (p *Pipeline) removeLeftAgents(ctx context.Context, m migration.Migration, log stepLog) {
	p.tmu.Lock()
	busy := p.agentsOpen[m.ID] > 0
	p.tmu.Unlock()
	if busy || p.Results == nil {
		return
	}
	r, err := p.load(ctx, m.ID)
	if err != nil || len(r.Agents) == 0 {
		return
	}
	for _, a := range r.Agents {
		ep := m.Destination
		if a.Side == "source" {
			ep = m.Source
		}
		op, err := p.opener(ep, "")
		if err == nil {
			err = agent.RemoveFile(ctx, func(ctx context.Context) (agent.Files, error) { return op(ctx) }, a.Path)
		}
		if err != nil {
			log.Logf(slog.LevelWarn, "Could not remove Ferry's PHP file %s from the %s docroot: %v", a.Path, a.Side, err)
			continue
		}
		log.Logf(slog.LevelInfo, "Removed Ferry's PHP file %s left in the %s docroot by an earlier run", a.Path, a.Side)
		_ = p.recordAgent(ctx, m.ID, a, false)
	}
}

// RemoveLeftAgents removes the PHP agents a run of m that died (Ferry killed, machine
// off) left in a docroot, logging each through logf. Ferry calls it at start-up for its
// failed migrations, so an agent does not wait for a Retry to be removed.
func (p *Pipeline) RemoveLeftAgents(ctx context.Context, m migration.Migration, logf func(level slog.Level, msg string)) {
	p.removeLeftAgents(ctx, m, funcLog(logf))
}

// funcLog is a stepLog that only logs.
type funcLog func(level slog.Level, msg string)

func (f funcLog) Logf(level slog.Level, format string, args ...any) {
	f(level, fmt.Sprintf(format, args...))
}

func (funcLog) Progress(events.Progress) {}

// One database server for both sides (a migration between two accounts of one host): the
// export's and the import's connections then count together against it, and each side
// opens fewer so that they stay within what Ferry opens to any one server (8): the export
// reads on sharedDumpReaders connections beside its main one, the import loads on at most
// sharedImportLoaders beside its main one and its index builder's.
const (
	sharedDumpReaders   = 2
	sharedImportLoaders = 3
	// sharedDBConnections is the most both sides then hold at once: 8.
	sharedDBConnections = sharedDumpReaders + 1 + sharedImportLoaders + 2
)

// dbServerKey names the server a database lives on: its host and port, a local one
// (localhost, a socket) being the endpoint's own host.
func dbServerKey(ep migration.Endpoint, db migration.Database) string {
	host := strings.ToLower(db.Host)
	if isLocalHost(host) || strings.HasPrefix(host, "localhost:") {
		host = "localhost@" + strings.ToLower(ep.Host)
	}
	port := db.Port
	if port == 0 {
		port = 3306
	}
	return host + ":" + strconv.Itoa(port)
}

// sharedDBServer reports whether the source's database (src, as the export reaches it)
// and the destination's are on one server.
func sharedDBServer(m migration.Migration, src migration.Database) bool {
	return dbServerKey(m.Source, src) == dbServerKey(m.Destination, m.Destination.DB)
}

// sourceDBOf is the source's database as the export reaches it, read from the staged
// wp-config.php when the migration takes it from there; ok is false when it cannot be told.
func (p *Pipeline) sourceDBOf(ctx context.Context, m migration.Migration) (migration.Database, bool) {
	site, err := p.stagedSite(ctx, m)
	if err != nil {
		return migration.Database{}, false
	}
	db, err := sourceDatabase(m, site)
	return db, err == nil
}
