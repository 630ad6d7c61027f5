// Package agent reaches a site's database through the site itself: Ferry uploads one
// small PHP file (agent.php, embedded here) into the docroot under a random name over the
// site's own FTP, FTPS or SFTP login, and sends it SQL over HTTP(S). It is the route for
// shared hosting, where MySQL listens on localhost only and no SSH is offered.
//
// The PHP side is as small as it can be: it checks the request's HMAC, runs the SQL and
// streams the results back in a length-prefixed binary form. Splitting, rewriting and
// checking stay in Go: the agent is a mysqlwire.Executor, so mysqldb's Dump, Import and
// Inspect run over it unchanged.
//
// Security: every request carries X-Ferry-Time and X-Ferry-Sig = hex(HMAC-SHA256(key,
// time + "\n" + body)) with a key made for this migration; the agent answers anything else
// with a 404, refuses times more than 10 minutes off, deletes itself after Idle without a
// valid request, and never writes to disk. Ferry removes it with Remove.
package agent

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"ferry/backend/transfer"
)

//go:embed agent.php
var source string

// Files is the part of a transfer.Tree the agent needs: where the site's docroot is.
type Files interface {
	Create(ctx context.Context, path string, off int64) (io.WriteCloser, error)
	Remove(ctx context.Context, path string) error
	Close() error
}

// DB is how the agent, on the server, reaches the database: Host as in wp-config.php
// ("localhost" means the server's default socket; "localhost:/path/to.sock" a socket).
type DB struct {
	Host     string
	Port     int
	User     string
	Password string
	Name     string
}

// Config says where to put the agent and how to reach it.
type Config struct {
	// SiteURL is the address of the docroot the agent is uploaded to.
	SiteURL string
	// IP, when set, is dialled instead of resolving SiteURL's host (a destination whose
	// DNS is not moved yet), at the URL's port unless IP names one ("203.0.113.5:8080").
	// TLS and the Host header still use the name.
	IP string
	// Open connects to the docroot (the endpoint's WordPress folder).
	Open func(ctx context.Context) (Files, error)
	DB   DB
	// Idle is how long the agent lives without a valid request (default 15 minutes).
	Idle time.Duration
	// Timeout bounds one request (default 2 minutes).
	Timeout time.Duration
	// Transport overrides the HTTP transport (tests); IP is ignored then.
	Transport http.RoundTripper
	// Retries is how often a read that failed in transit is sent again (default 4).
	Retries int
	// Slice is the time one dump request may take on the server before it returns what
	// it has and a cursor, or one ReadFiles request before it stops between two files
	// (default 5 s, or a third of max_execution_time when lower).
	Slice time.Duration
	// Plain asks ReadFiles' answers as they are. By default the agent deflates what
	// shrinks (code and text to about a third), which costs the server some CPU (a core
	// deflates some 60-100 MB a second) and pays off on any link slower than that.
	Plain bool
}

// Agent is a deployed agent.
type Agent struct {
	cfg    Config
	name   string
	url    string
	key    []byte
	client *http.Client
	// MaxExecution is the server's max_execution_time (0: unlimited), read by Ping.
	MaxExecution time.Duration
	// PHPVersion is the server's PHP version, read by Ping.
	PHPVersion string
	// PostMax is the server's post_max_size in bytes (0: unknown), read by Ping.
	PostMax int64
}

// ExcludePattern matches the agent's file name (transfer.Excluder syntax): a file
// transfer running while an agent sits in the docroot must never copy it.
var ExcludePattern = "ferry-" + strings.Repeat("[0-9a-f]", 32) + ".php"

// ErrNotAgent means the URL did not answer as the agent: the file is not served at the
// site URL (another docroot, a redirect, PHP not run) or the key did not match.
var ErrNotAgent = errors.New("the site did not answer as Ferry's agent")

// New prepares an agent with a random file name and key; nothing is uploaded yet. Path
// tells the caller where it will be, to record before Upload.
func New(cfg Config) (*Agent, error) {
	if cfg.Idle <= 0 {
		cfg.Idle = 15 * time.Minute
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Minute
	}
	if cfg.Retries <= 0 {
		cfg.Retries = 4
	}
	if cfg.Slice <= 0 {
		cfg.Slice = 5 * time.Second
	}
	u, err := url.Parse(strings.TrimRight(cfg.SiteURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("agent: site URL %q is not an http(s) address", cfg.SiteURL)
	}
	rnd := make([]byte, 16+32)
	if _, err := rand.Read(rnd); err != nil {
		return nil, err
	}
	a := &Agent{cfg: cfg, name: "ferry-" + hex.EncodeToString(rnd[:16]) + ".php", key: rnd[16:]}
	a.url = u.String() + "/" + a.name
	tr := cfg.Transport
	if tr == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		if cfg.IP != "" {
			d := &net.Dialer{Timeout: 30 * time.Second}
			ip := cfg.IP
			t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
				if _, _, err := net.SplitHostPort(ip); err == nil {
					return d.DialContext(ctx, network, ip) // an address with its port
				}
				_, port, _ := net.SplitHostPort(addr)
				return d.DialContext(ctx, network, net.JoinHostPort(ip, port))
			}
		}
		t.DisableCompression = true
		tr = t
	}
	a.client = &http.Client{Transport: tr, Timeout: cfg.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return a, nil
}

// Path is the agent's file name, relative to the docroot.
func (a *Agent) Path() string { return a.name }

// URL is the agent's address.
func (a *Agent) URL() string { return a.url }

// Plain reports whether requests travel as plain HTTP (the SQL readable on the way).
func (a *Agent) Plain() bool { return strings.HasPrefix(a.url, "http://") }

// Upload writes the agent into the docroot and checks that it answers (Ping).
func (a *Agent) Upload(ctx context.Context) error {
	f, err := a.cfg.Open(ctx)
	if err != nil {
		return fmt.Errorf("agent: connect to the docroot: %w", err)
	}
	defer f.Close()
	w, err := f.Create(ctx, a.name, 0)
	if err != nil {
		return fmt.Errorf("agent: upload: %w", err)
	}
	if _, err := io.WriteString(w, a.render()); err != nil {
		w.Close()
		return fmt.Errorf("agent: upload: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("agent: upload: %w", err)
	}
	return a.Ping(ctx)
}

// render fills the template with this migration's key and database settings.
func (a *Agent) render() string {
	host, socket := a.cfg.DB.Host, ""
	if h, s, ok := strings.Cut(host, ":"); ok && strings.HasPrefix(s, "/") {
		host, socket = h, s
	} else if h, p, ok := strings.Cut(host, ":"); ok {
		if n, err := strconv.Atoi(p); err == nil && a.cfg.DB.Port == 0 {
			host, a.cfg.DB.Port = h, n
		}
	}
	if host == "" {
		host = "localhost"
	}
	port := a.cfg.DB.Port
	if port == 0 {
		port = 3306
	}
	r := strings.NewReplacer(
		"__KEY__", phpString(hex.EncodeToString(a.key)),
		"__IDLE__", strconv.Itoa(int(a.cfg.Idle/time.Second)),
		"__HOST__", phpString(host), "__USER__", phpString(a.cfg.DB.User),
		"__PASS__", phpString(a.cfg.DB.Password), "__NAME__", phpString(a.cfg.DB.Name),
		"__PORT__", strconv.Itoa(port), "__SOCKET__", phpString(socket))
	return r.Replace(source)
}

// phpString quotes s as a single-quoted PHP literal.
func phpString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// Ping checks that the agent answers and reads the server's limits.
func (a *Agent) Ping(ctx context.Context) error {
	body := field(nil, "ping")
	resp, err := a.post(ctx, body)
	if err != nil {
		return err
	}
	defer resp.Close()
	r := &frameReader{r: resp}
	if r.byte() != 'P' {
		return fmt.Errorf("agent: ping: %w", errOr(r.err, ErrNotAgent))
	}
	a.PHPVersion = string(r.str())
	if n, err := strconv.Atoi(string(r.str())); err == nil && n > 0 {
		a.MaxExecution = time.Duration(n) * time.Second
	}
	a.PostMax = phpBytes(string(r.str()))
	if r.byte() != 'Z' || r.err != nil {
		return fmt.Errorf("agent: ping: %w", errOr(r.err, ErrNotAgent))
	}
	return nil
}

// phpBytes reads a php.ini size such as "8M".
func phpBytes(s string) int64 {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0
	}
	mult := int64(1)
	switch s[len(s)-1] {
	case 'k', 'K':
		mult = 1 << 10
	case 'm', 'M':
		mult = 1 << 20
	case 'g', 'G':
		mult = 1 << 30
	}
	if mult > 1 {
		s = s[:len(s)-1]
	}
	n, _ := strconv.ParseInt(s, 10, 64)
	return n * mult
}

// Remove deletes the agent: it asks the agent to delete itself, then removes the file over
// the docroot login in case that failed. A file already gone is not an error.
func (a *Agent) Remove(ctx context.Context) error {
	if resp, err := a.post(ctx, field(nil, "bye")); err == nil {
		resp.Close()
	}
	return RemoveFile(ctx, a.cfg.Open, a.name)
}

// RemoveFile deletes an agent left behind (a crash), by its recorded path.
func RemoveFile(ctx context.Context, open func(context.Context) (Files, error), path string) error {
	f, err := open(ctx)
	if err != nil {
		return fmt.Errorf("agent: connect to remove %s: %w", path, err)
	}
	defer f.Close()
	if err := f.Remove(ctx, path); err != nil && !isNotFound(err) {
		return fmt.Errorf("agent: remove %s: %w", path, err)
	}
	return nil
}

func isNotFound(err error) bool {
	return errors.Is(err, transfer.ErrNotFound) || errors.Is(err, fs.ErrNotExist)
}

// post sends one signed request and returns the body after the agent's magic line.
func (a *Agent) post(ctx context.Context, body []byte) (io.ReadCloser, error) {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(hex.EncodeToString(a.key)))
	mac.Write([]byte(ts + "\n"))
	mac.Write(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.url, strings.NewReader(string(body)))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("X-Ferry-Time", ts)
	req.Header.Set("X-Ferry-Sig", hex.EncodeToString(mac.Sum(nil)))
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, &transportError{err}
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		if resp.StatusCode == http.StatusNotFound || resp.StatusCode/100 == 3 {
			return nil, fmt.Errorf("%w (HTTP %d from %s)", ErrNotAgent, resp.StatusCode, a.url)
		}
		return nil, &transportError{fmt.Errorf("HTTP %s from the agent", resp.Status)}
	}
	magic := make([]byte, 7)
	if _, err := io.ReadFull(resp.Body, magic); err != nil || string(magic) != "FERRY1\n" {
		resp.Body.Close()
		return nil, fmt.Errorf("%w (%s answered something else)", ErrNotAgent, a.url)
	}
	return resp.Body, nil
}

// transportError is a request that failed on the way: it may be sent again when it only
// reads.
type transportError struct{ err error }

func (e *transportError) Error() string { return "agent request failed: " + e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

func errOr(err, def error) error {
	if err != nil {
		return err
	}
	return def
}

// field appends one length-prefixed field.
func field(b []byte, s string) []byte {
	b = append(b, byte(len(s)>>24), byte(len(s)>>16), byte(len(s)>>8), byte(len(s)))
	return append(b, s...)
}
