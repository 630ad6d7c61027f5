package transfer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"time"
)

// ErrTransient marks an error worth retrying on a fresh connection: a timeout, a reset,
// a connection closed mid-transfer, FTP 421/425/426/450. Protocol packages wrap such
// errors with Transient; Mirror retries only these.
var ErrTransient = errors.New("transient")

// Transient wraps err so that errors.Is(err, ErrTransient) holds. Authentication,
// permission, not-found and no-space errors are never transient: a retry cannot fix
// them, and retrying a bad password can lock the account.
func Transient(err error) error {
	if err == nil {
		return nil
	}
	return &transientError{err: err}
}

type transientError struct{ err error }

func (e *transientError) Error() string   { return e.err.Error() }
func (e *transientError) Unwrap() []error { return []error{e.err, ErrTransient} }

// IsTransient reports whether a retry on a new connection may succeed. It trusts the
// ErrTransient mark first and otherwise recognises network failures every protocol
// shares (timeouts, resets, broken pipes, unexpected EOF).
func IsTransient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	for _, permanent := range []error{ErrAuth, ErrHostKey, ErrPermission, ErrNoSpace, ErrInvalidPath, ErrNotFound, ErrRefused} {
		if errors.Is(err, permanent) {
			return false
		}
	}
	if errors.Is(err, ErrTransient) || errors.Is(err, ErrTimeout) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, os.ErrDeadlineExceeded)
}

// ConnectError is a failure to reach or log in to a server.
type ConnectError struct {
	Protocol string // "FTP", "FTPS", "SFTP"
	Addr     string // host:port
	Err      error
}

func (e *ConnectError) Error() string {
	return fmt.Sprintf("connect to %s server %s: %v", strings.ToLower(e.Protocol), e.Addr, e.Err)
}

// Unwrap gives the cause, so errors.Is finds ErrAuth, ErrRefused or ErrTimeout.
func (e *ConnectError) Unwrap() error { return e.Err }

// PathError is a failed operation on one path of a server. Path is the path as the
// server sees it (root included), because that is the path the admin can look up.
type PathError struct {
	Op   string // "read", "write", "list", "mkdir", "rename", "remove", "stat"
	Path string
	Err  error
}

func (e *PathError) Error() string { return fmt.Sprintf("%s %s: %v", e.Op, e.Path, e.Err) }

// Unwrap gives the cause.
func (e *PathError) Unwrap() error { return e.Err }

// TimeoutError says how long Ferry waited before giving up on a silent server.
type TimeoutError struct {
	After time.Duration
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("no answer from server after %s", e.After)
}

// Unwrap makes errors.Is(err, ErrTimeout) hold.
func (e *TimeoutError) Unwrap() error { return ErrTimeout }

// HostKeyError is a server whose SSH host key differs from the one pinned on first use.
type HostKeyError struct {
	Host      string
	Want, Got string // SHA-256 fingerprints
}

func (e *HostKeyError) Error() string {
	return fmt.Sprintf("host key of %s changed: pinned %s, server offered %s", e.Host, e.Want, e.Got)
}

// Unwrap makes errors.Is(err, ErrHostKey) hold.
func (e *HostKeyError) Unwrap() error { return ErrHostKey }

// Message turns a transfer error into the sentence an admin reads in the migration's
// log and in the Failed tab, for example "Cannot connect to FTP server h:21: connection
// refused" or "Permission denied writing /public_html/wp-config.php". It never includes
// a password: no error in this package carries one. Unknown errors keep their text.
func Message(err error) string {
	if err == nil {
		return ""
	}
	var hk *HostKeyError
	if errors.As(err, &hk) {
		return fmt.Sprintf("Host key of %s changed", hk.Host)
	}
	if errors.Is(err, ErrAuth) {
		return "Login incorrect"
	}
	if errors.Is(err, context.Canceled) {
		return "Stopped"
	}
	var to *TimeoutError
	if errors.As(err, &to) {
		return fmt.Sprintf("Connection timeout after %s", formatSeconds(to.After))
	}
	if errors.Is(err, ErrTimeout) {
		return "Connection timeout"
	}
	var ce *ConnectError
	if errors.As(err, &ce) {
		cause := "connection failed"
		switch {
		case errors.Is(err, ErrRefused):
			cause = "connection refused"
		case errors.Is(err, ErrTransient):
			cause = "connection lost"
		}
		return fmt.Sprintf("Cannot connect to %s server %s: %s", ce.Protocol, ce.Addr, cause)
	}
	if errors.Is(err, ErrNoSpace) {
		return "No space left on destination"
	}
	var pe *PathError
	hasPath := errors.As(err, &pe)
	switch {
	case errors.Is(err, ErrNotFound) && hasPath:
		return fmt.Sprintf("Path %s not found on server", pe.Path)
	case errors.Is(err, ErrNotFound):
		return "Path not found on server"
	case errors.Is(err, ErrPermission) && hasPath:
		return fmt.Sprintf("Permission denied %s %s", verb(pe.Op), pe.Path)
	case errors.Is(err, ErrPermission):
		return "Permission denied"
	case errors.Is(err, ErrInvalidPath):
		return "Invalid path: " + err.Error()
	case errors.Is(err, ErrRefused):
		return "Connection refused"
	case IsTransient(err):
		return "Connection lost: " + err.Error()
	}
	msg := err.Error()
	return strings.ToUpper(msg[:1]) + msg[1:]
}

func verb(op string) string {
	switch op {
	case "write", "mkdir", "rename", "remove":
		return "writing"
	case "list":
		return "listing"
	default:
		return "reading"
	}
}

// formatSeconds prints whole seconds the way the UI writes them ("30 s").
func formatSeconds(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%d s", int64(d/time.Second))
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}
