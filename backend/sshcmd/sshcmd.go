// Package sshcmd reaches a database by running the MySQL client programs on the server over
// SSH exec sessions: for hosts that give an SSH login but forbid port forwarding
// (AllowTcpForwarding no). The dump is mysqldump's (or mariadb-dump's) output streamed back;
// every other query, the import's included, goes to the mysql (or mariadb) client's stdin,
// so mysqldb's Import, Inspect and checks run over it unchanged through mysqlwire.
//
// Credentials never appear in the server's process list: they go over a control session's
// stdin into a temporary option file, created with mode 0600 by mktemp; commands name only
// that file (--defaults-extra-file). The control session stays open until Close and removes
// the file when its stdin ends, so the file also goes when Ferry dies or the connection drops.
package sshcmd

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/crypto/ssh"

	"ferry/backend/mysqlwire"
)

// DB is the database as the server sees it: Host "localhost" is the server's socket
// ("localhost:/path/to.sock" a given socket), as in wp-config.php.
type DB struct {
	Host     string
	Port     int
	User     string
	Password string
	Name     string
}

// ErrNoClient means the server has no mysqldump/mariadb-dump or mysql/mariadb program.
var ErrNoClient = errors.New("mysqldump not found on the server")

// Runner runs the client programs on one SSH connection.
type Runner struct {
	client  *ssh.Client
	db      DB
	optFile string
	dumpBin string
	cliBin  string
	// ctl is the control session that keeps the option file (see New); closing ctlIn
	// makes it remove the file and end
	ctl   *ssh.Session
	ctlIn io.WriteCloser
	// ctlOut is its output; ctlMu is held by the dump that runs through it (ctldump.go),
	// ctlLost set once its output is out of step
	ctlOut  *bufio.Reader
	ctlMu   sync.Mutex
	ctlLost bool
	// Commands, when set, hears every command line sent to the server (tests check that
	// no password is in one).
	Commands func(cmd string)
	// trips counts the queries sent, each a round trip to the server (Trips)
	trips atomic.Int64
	// cpus and load are the server's processors and load average when New ran (0: unknown)
	cpus int
	load float64
}

// SpareCPUs is how many of the server's processors were idle when the runner started
// (processors less the load average, at least 1), or 0 when the server did not say.
func (r *Runner) SpareCPUs() int {
	if r.cpus <= 0 {
		return 0
	}
	return max(1, int(float64(r.cpus)-r.load))
}

// Trips is the number of queries the runner sent so far, each a round trip over SSH.
func (r *Runner) Trips() int64 { return r.trips.Load() }

var _ mysqlwire.Executor = (*Runner)(nil)

// optionsEnd ends the option file's lines on the control session's stdin.
const optionsEnd = "ferry-options-end"

// dumpFlags are mysqldump's options: one consistent snapshot without locks, rows streamed.
const dumpFlags = "--single-transaction --quick --hex-blob --skip-lock-tables --no-tablespaces --triggers"

// schemaFlags and triggerFlags narrow a dump to the tables' and views' definitions, or to
// the triggers (a dump in parts, pardump.go).
const (
	schemaFlags  = "--no-data --skip-triggers"
	triggerFlags = "--no-create-info --no-data"
)

// ctlScript writes the option file from stdin's lines up to optionsEnd, reads the database
// name, prints the file's path, the client programs and the server's processors and load
// average (either may be missing), then runs the dumps asked on stdin
// ("dump BOUNDARY", "dump BOUNDARY schema|triggers", or "dump BOUNDARY part" followed by a
// table's and a condition's lines: ctldump.go, pardump.go) until stdin ends (Close, or a dropped connection), and removes the file. Its
// printf is the shell's builtin: no line of the file is ever an argument of a process.
const ctlScript = `umask 077; f=$(mktemp "${TMPDIR:-/tmp}/ferry-my.XXXXXXXX") || exit 3; ` +
	`trap 'rm -f "$f" "$f.e"' EXIT; trap 'exit 1' HUP INT TERM PIPE; ` +
	`while IFS= read -r l; do [ "$l" = ` + optionsEnd + ` ] && break; printf '%s\n' "$l" >> "$f" || exit 3; done; ` +
	`IFS= read -r db || exit 3; ` +
	`d=$(command -v mariadb-dump || command -v mysqldump); c=$(command -v mariadb || command -v mysql); ` +
	`printf '%s\n%s\n%s\n%s %s\n' "$f" "$d" "$c" "$(getconf _NPROCESSORS_ONLN 2>/dev/null)" "$(cut -d ' ' -f 1 /proc/loadavg 2>/dev/null)"; ` +
	`while IFS= read -r l; do case "$l" in "dump "*) b=${l#dump }; x=; set -- -- "$db"; ` +
	`case "$b" in *" schema") b=${b% schema}; x="` + schemaFlags + `";; *" triggers") b=${b% triggers}; x="` + triggerFlags + `";; ` +
	`*" part") b=${b% part}; x="` + dataFlags + `"; IFS= read -r t; IFS= read -r w; ` +
	`if [ -n "$w" ]; then set -- --where="$w" -- "$db" "$t"; else set -- -- "$db" "$t"; fi;; esac; ` +
	`sh -c 'printf "%s %s\n" "$1" "$$"; shift; exec "$@"' sh "$b" "$d" --defaults-extra-file="$f" ` + dumpFlags + ` $x "$@" < /dev/null 2> "$f.e" & ` +
	`p=$!; wait "$p"; printf '\n%s %s\n' "$b" "$?"; head -c 8192 "$f.e"; rm -f "$f.e"; printf '\n%s end\n' "$b";; esac; done`

// New writes the option file on the server and finds the client programs, over one
// session that stays open until Close: one SSH session start (a shell, with the user's
// rc files) fewer than a separate removal at the end, and no password file left behind
// when Ferry stops without Close.
func New(ctx context.Context, client *ssh.Client, db DB) (*Runner, error) {
	r := &Runner{client: client, db: db}
	s, err := client.NewSession()
	if err != nil {
		return nil, fmt.Errorf("ssh command: prepare: open ssh session: %w", err)
	}
	in, err := s.StdinPipe()
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("ssh command: prepare: %w", err)
	}
	out, err := s.StdoutPipe()
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("ssh command: prepare: %w", err)
	}
	errb := &syncBuffer{}
	s.Stderr = errb
	if err := s.Start(ctlScript); err != nil {
		s.Close()
		return nil, fmt.Errorf("ssh command: prepare: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { s.Close() })
	var br *bufio.Reader
	lines, err := func() ([]string, error) {
		dbLine := db.Name
		if strings.ContainsAny(dbLine, "\r\n") {
			dbLine, r.ctlLost = "", true // dumps take a session of their own
		}
		if _, err := io.WriteString(in, r.options()+optionsEnd+"\n"+dbLine+"\n"); err != nil {
			return nil, err
		}
		br = bufio.NewReaderSize(out, 64<<10)
		var lines []string
		for range 4 {
			l, err := br.ReadString('\n')
			if err != nil {
				return nil, fmt.Errorf("unexpected answer %q: %w", strings.Join(lines, "\n")+l, err)
			}
			lines = append(lines, strings.TrimSuffix(l, "\n"))
		}
		return lines, nil
	}()
	stop()
	if err == nil && !strings.HasPrefix(lines[0], "/") {
		err = fmt.Errorf("unexpected answer %q", strings.Join(lines, "\n"))
	}
	if err != nil {
		in.Close()
		s.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("ssh command: prepare: %w (%s)", err, strings.TrimSpace(errb.String()))
	}
	r.ctl, r.ctlIn, r.ctlOut = s, in, br
	r.optFile, r.dumpBin, r.cliBin = lines[0], lines[1], lines[2]
	if f := strings.Fields(lines[3]); len(f) > 0 {
		r.cpus, _ = strconv.Atoi(f[0])
		if len(f) > 1 {
			r.load, _ = strconv.ParseFloat(f[1], 64)
		}
	}
	if r.dumpBin == "" || r.cliBin == "" {
		_ = r.Close(ctx)
		return nil, ErrNoClient
	}
	return r, nil
}

// options is the option file: [client] settings, values quoted as the client reads them.
func (r *Runner) options() string {
	q := func(s string) string { return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"` }
	var b strings.Builder
	b.WriteString("[client]\n")
	fmt.Fprintf(&b, "user=%s\npassword=%s\n", q(r.db.User), q(r.db.Password))
	host := r.db.Host
	if h, sock, ok := strings.Cut(host, ":"); ok && strings.HasPrefix(sock, "/") {
		host = h
		fmt.Fprintf(&b, "socket=%s\n", q(sock))
	} else if h, p, ok := strings.Cut(host, ":"); ok {
		if n, err := strconv.Atoi(p); err == nil {
			host, r.db.Port = h, n
		}
	}
	if host == "" {
		host = "localhost"
	}
	fmt.Fprintf(&b, "host=%s\n", q(host))
	if r.db.Port != 0 {
		fmt.Fprintf(&b, "port=%d\n", r.db.Port)
	}
	b.WriteString("default-character-set=utf8mb4\n")
	return b.String()
}

// shq quotes s for the POSIX shell.
func shq(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// run runs one command; ctx closes the session.
func (r *Runner) run(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) error {
	if r.Commands != nil {
		r.Commands(cmd)
	}
	s, err := r.client.NewSession()
	if err != nil {
		return fmt.Errorf("open ssh session: %w", err)
	}
	defer s.Close()
	s.Stdin, s.Stdout, s.Stderr = stdin, stdout, stderr
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			_ = s.Signal(ssh.SIGTERM)
			s.Close()
		case <-done:
		}
	}()
	err = s.Run(cmd)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// Close ends the control session, which removes the option file.
func (r *Runner) Close(ctx context.Context) error {
	if r.ctl == nil {
		return nil
	}
	r.ctlIn.Close()
	done := make(chan error, 1)
	go func() { done <- r.ctl.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	r.ctl.Close()
	r.ctl = nil
	if err != nil {
		return fmt.Errorf("ssh command: remove the option file: %w", err)
	}
	r.optFile = ""
	return nil
}

// DumpCommand is the dump program and its arguments (for logs).
func (r *Runner) DumpCommand() string {
	return r.dumpBin + " --defaults-extra-file=" + shq(r.optFile) + " " + dumpFlags + " -- " + shq(r.db.Name)
}

// Dump streams the database as mysqldump writes it into w: through the control session
// when it is free (no SSH session to start), else in a session of its own.
func (r *Runner) Dump(ctx context.Context, w io.Writer) error {
	return r.dumpMode(ctx, w, "")
}

// dumpMode runs the whole dump (mode ""), or its definitions ("schema") or triggers
// ("triggers") only, through the control session when it is free.
func (r *Runner) dumpMode(ctx context.Context, w io.Writer, mode string) error {
	if r.ctl != nil && r.ctlMu.TryLock() {
		defer r.ctlMu.Unlock()
		if !r.ctlLost {
			return r.ctlDump(ctx, w, mode)
		}
	}
	cmd := r.DumpCommand()
	switch mode {
	case "schema":
		cmd = strings.Replace(cmd, " -- ", " "+schemaFlags+" -- ", 1)
	case "triggers":
		cmd = strings.Replace(cmd, " -- ", " "+triggerFlags+" -- ", 1)
	}
	var errb limitBuffer
	if err := r.run(ctx, cmd, nil, w, &errb); err != nil {
		what := ""
		if mode != "" {
			what = " (" + mode + ")"
		}
		return fmt.Errorf("%s on the server%s: %w: %s", baseName(r.dumpBin), what, err, strings.TrimSpace(errb.String()))
	}
	return nil
}

func baseName(p string) string { return p[strings.LastIndex(p, "/")+1:] }

// delimiter ends each statement given to the client, so that semicolons inside a trigger
// or procedure body do not split it.
const delimiter = "$$ferry-end$$"

var errRe = regexp.MustCompile(`ERROR (\d+) \(([0-9A-Z]{5})\)(?: at line \d+)?: (.*)`)

// Query implements mysqlwire.Executor with one client run: session statements, then
// query, on its stdin. Rows come back in the client's batch format (tab-separated, with
// \0 \t \n \\ escaped); a value that reads NULL is SQL NULL.
func (r *Runner) Query(ctx context.Context, session []string, query string, sink mysqlwire.Sink) error {
	r.trips.Add(1)
	var in bytes.Buffer
	for _, s := range session {
		in.WriteString(s + delimiter + "\n")
	}
	in.WriteString("SET autocommit = 1" + delimiter + "\n")
	in.WriteString(query + delimiter + "\n")
	cmd := r.cliBin + " --defaults-extra-file=" + shq(r.optFile) + " --batch --binary-mode --comments --delimiter=" + shq(delimiter) + " " + shq(r.db.Name)
	var errb limitBuffer
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := r.run(ctx, cmd, &in, pw, &errb)
		pw.CloseWithError(err)
		done <- err
	}()
	perr := readBatch(pr, sink)
	pr.CloseWithError(errors.New("stop"))
	err := <-done
	if m := errRe.FindStringSubmatch(errb.String()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return &mysqlwire.Error{Number: uint16(n), State: m[2], Message: m[3]}
	}
	if err != nil {
		return fmt.Errorf("%s on the server: %w: %s", baseName(r.cliBin), err, strings.TrimSpace(errb.String()))
	}
	return perr
}

// readBatch turns batch output into one result set (or an OK when there is none).
func readBatch(r io.Reader, sink mysqlwire.Sink) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var cols []mysqlwire.Column
	var vals [][]byte
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			line = bytes.TrimSuffix(line, []byte("\n"))
			fields := bytes.Split(line, []byte("\t"))
			if cols == nil {
				cols = make([]mysqlwire.Column, len(fields))
				for i, f := range fields {
					cols[i] = mysqlwire.Column{Name: string(unescape(f)), Type: 253}
				}
				if err := sink.Columns(cols); err != nil {
					return err
				}
				vals = make([][]byte, len(cols))
			} else {
				for i := range vals {
					vals[i] = nil
					if i < len(fields) && string(fields[i]) != "NULL" {
						vals[i] = unescape(fields[i])
					}
				}
				if err := sink.Row(vals); err != nil {
					return err
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if cols == nil {
		return sink.OK(mysqlwire.Result{})
	}
	return sink.End()
}

func unescape(f []byte) []byte {
	if bytes.IndexByte(f, '\\') < 0 {
		return append([]byte{}, f...)
	}
	out := make([]byte, 0, len(f))
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c == '\\' && i+1 < len(f) {
			i++
			switch f[i] {
			case '0':
				c = 0
			case 't':
				c = '\t'
			case 'n':
				c = '\n'
			default:
				c = f[i]
			}
		}
		out = append(out, c)
	}
	return out
}

// limitBuffer keeps the first 8 KiB written (error output).
type limitBuffer struct{ bytes.Buffer }

func (l *limitBuffer) Write(p []byte) (int, error) {
	if room := 8<<10 - l.Len(); room > 0 {
		l.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// OptionFile is the path of the option file on the server ("" once removed).
func (r *Runner) OptionFile() string { return r.optFile }

// dbArg names the database on a client command line ("" for server-level work).
func (r *Runner) dbArg() string {
	if r.db.Name == "" {
		return ""
	}
	return " " + shq(r.db.Name)
}
