package mysqldb

import (
	"context"
	"crypto/tls"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/go-sql-driver/mysql"
	"golang.org/x/crypto/ssh"
)

// Config says how to reach one MySQL or MariaDB database.
type Config struct {
	Host     string
	Port     int // 0 means 3306
	User     string
	Password string
	Database string // may be empty for server-level work such as Inspect of a new destination
	// TLS encrypts the connection and verifies the server's certificate against Host.
	TLS bool
	// TLSConfig overrides the TLS settings (for example a private CA); it implies TLS.
	TLSConfig *tls.Config
	// Dial, when set, opens the network connection, for example through an SSH tunnel
	// (see SSHTunnelDialer). addr is "host:port" as seen from the dialer's side.
	Dial func(ctx context.Context, addr string) (net.Conn, error)
	// ConnectTimeout bounds dialing and the login handshake; 0 means 15 seconds.
	ConnectTimeout time.Duration
	// ReadTimeout bounds each read from the server; 0 means none (long dumps need none).
	ReadTimeout time.Duration
	// NoPrepare sends queries with arguments as text (the driver quotes the arguments):
	// routes that carry SQL text only (SSH command, the site's PHP) have no prepared
	// statements.
	NoPrepare bool
	// Compression says when the connections use the compressed protocol (compress.go);
	// the zero value decides by the server's distance and link speed.
	Compression Compression
	// Link names the path to the server when Dial is set (an SSH server's address, say),
	// so that Opens sharing it and Addr share the link speed measured (linkspeed.go); with
	// Dial set and Link empty every Open measures afresh.
	Link string
	// Gate, when set, opens every connection of the pool (see Gate); the connections that
	// Dump and Import can do without are opened with a context Optional reports.
	Gate Gate
}

// Addr returns "host:port".
func (c Config) Addr() string {
	port := c.Port
	if port == 0 {
		port = 3306
	}
	return net.JoinHostPort(c.Host, strconv.Itoa(port))
}

// DB is an open connection pool to one database.
type DB struct {
	db    *sql.DB
	cfg   Config
	sc    *switchConnector // nil: never compressed
	rtt   time.Duration
	speed float64 // bytes per second; 0 when not measured
	// untimed: the link was to be timed and the probe failed (LinkUntimed)
	untimed bool
}

// SQL returns the underlying pool for callers that run their own queries.
func (d *DB) SQL() *sql.DB { return d.db }

// Database returns the name of the selected database ("" when none).
func (d *DB) Database() string { return d.cfg.Database }

// Close closes every connection.
func (d *DB) Close() error { return d.db.Close() }

// ErrAccessDenied, ErrUnknownDatabase, ErrUnreachable and ErrTunnel classify Open's errors
// for callers that map them to failure reasons; match them with errors.Is.
var (
	ErrAccessDenied    = errors.New("access denied")
	ErrUnknownDatabase = errors.New("unknown database")
	ErrUnreachable     = errors.New("cannot reach mysql")
	ErrTunnel          = errors.New("ssh tunnel failed")
)

// ConnError is a connection failure with a message users can act on. It never contains the
// password.
type ConnError struct {
	Msg  string
	Kind error // one of ErrAccessDenied, ErrUnknownDatabase, ErrUnreachable, ErrTunnel
	Err  error // the cause, for logs; drivers never put passwords in their errors
}

func (e *ConnError) Error() string { return e.Msg }

// Is lets errors.Is match the Kind sentinel.
func (e *ConnError) Is(target error) bool { return target == e.Kind }

// Unwrap returns the cause.
func (e *ConnError) Unwrap() error { return e.Err }

// tunnelError marks dial errors that happened inside the SSH tunnel.
type tunnelError struct{ err error }

func (e *tunnelError) Error() string { return "SSH tunnel failed: " + e.err.Error() }
func (e *tunnelError) Unwrap() error { return e.err }

// driverConfig builds the go-sql-driver configuration: utf8mb4, raw text values (zero
// dates survive), and the packet size read from the server.
func driverConfig(cfg Config) *mysql.Config {
	mc := mysql.NewConfig()
	mc.User = cfg.User
	mc.Passwd = cfg.Password
	mc.Net = "tcp"
	mc.Addr = cfg.Addr()
	mc.DBName = cfg.Database
	mc.Timeout = cfg.ConnectTimeout
	if mc.Timeout == 0 {
		mc.Timeout = 15 * time.Second
	}
	mc.ReadTimeout = cfg.ReadTimeout
	mc.Collation = "utf8mb4_general_ci"
	mc.MaxAllowedPacket = 0 // ask the server
	mc.MultiStatements = true
	mc.InterpolateParams = cfg.NoPrepare
	mc.Params = map[string]string{"time_zone": "'+00:00'"}
	mc.Logger = nopLogger{}
	if cfg.TLSConfig != nil {
		mc.TLS = cfg.TLSConfig
	} else if cfg.TLS {
		mc.TLS = &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
	}
	if cfg.Dial != nil {
		dial := cfg.Dial
		mc.DialFunc = func(ctx context.Context, _, addr string) (net.Conn, error) {
			c, err := dial(ctx, addr)
			if err != nil {
				return nil, &tunnelError{err}
			}
			return c, nil
		}
	}
	if cfg.Gate != nil {
		dial := mc.DialFunc
		if dial == nil {
			dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, network, addr)
			}
		}
		mc.DialFunc = gatedDial(dial)
	}
	return mc
}

// nopLogger silences the driver's own logging: Ferry reports errors through return values.
type nopLogger struct{}

func (nopLogger) Print(...any) {}

// Open connects to the database and checks the login, returning a *ConnError with a plain
// message ("Access denied for user 'x'@'host'", "Unknown database 'x'", "Cannot reach MySQL
// at HOST:PORT", "SSH tunnel failed: ...") when it cannot.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	mc := driverConfig(cfg)
	connector, sc, err := newSwitchConnector(mc, cfg.NoPrepare || cfg.Compression == CompressNever)
	if err != nil {
		return nil, fmt.Errorf("mysql config for %s: %w", cfg.Addr(), err)
	}
	var gated *pool
	if cfg.Gate != nil {
		gated = &pool{}
		connector = gatedConnector{Connector: connector, gate: cfg.Gate, pool: gated, timeout: mc.Timeout + 5*time.Second}
	}
	db := sql.OpenDB(connector)
	if gated != nil {
		gated.mu.Lock()
		gated.db = db
		gated.mu.Unlock()
	}
	db.SetMaxIdleConns(maxIdle)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, mc.Timeout+5*time.Second)
	defer cancel()
	if gated != nil {
		// the gate may wait its turn for a while: the timeout bounds each try (gatedConnector)
		pctx = ctx
	}
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, classify(cfg, err)
	}
	rtt, speed, probed := weigh(pctx, db, sc, cfg)
	return &DB{db: db, cfg: cfg, sc: sc, rtt: rtt, speed: speed, untimed: probed && speed == 0}, nil
}

// maxIdle is how many connections a pool keeps open between uses.
const maxIdle = 8

// classify turns a connection error into a ConnError.
func classify(cfg Config, err error) error {
	var te *tunnelError
	if errors.As(err, &te) {
		return &ConnError{Msg: "SSH tunnel failed: " + te.err.Error(), Kind: ErrTunnel, Err: err}
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1045, 1044, 1698:
			return &ConnError{Msg: me.Message, Kind: ErrAccessDenied, Err: err}
		case 1049:
			return &ConnError{Msg: me.Message, Kind: ErrUnknownDatabase, Err: err}
		}
		return &ConnError{Msg: fmt.Sprintf("MySQL at %s refused the connection: %s", cfg.Addr(), me.Message), Kind: ErrUnreachable, Err: err}
	}
	return &ConnError{Msg: fmt.Sprintf("Cannot reach MySQL at %s", cfg.Addr()), Kind: ErrUnreachable, Err: err}
}

// SSHTunnelDialer returns a Config.Dial that opens MySQL connections through client, as
// `ssh -L` would: the address is resolved on the SSH server's side, so "127.0.0.1:3306"
// reaches the database that only listens locally on the web host.
func SSHTunnelDialer(client *ssh.Client) func(ctx context.Context, addr string) (net.Conn, error) {
	return func(ctx context.Context, addr string) (net.Conn, error) {
		type result struct {
			c   net.Conn
			err error
		}
		ch := make(chan result, 1)
		go func() {
			c, err := client.Dial("tcp", addr)
			ch <- result{c, err}
		}()
		select {
		case r := <-ch:
			if r.err != nil {
				return nil, fmt.Errorf("forward to %s: %w", addr, r.err)
			}
			return r.c, nil
		case <-ctx.Done():
			go func() { // close the late connection, if any
				if r := <-ch; r.c != nil {
					r.c.Close()
				}
			}()
			return nil, fmt.Errorf("forward to %s: %w", addr, ctx.Err())
		}
	}
}
