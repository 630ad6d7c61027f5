// Package transfer moves WordPress file trees between servers and this machine.
// Tree is the one interface every protocol implements (ftp, sftp, local); Mirror
// copies a whole tree between two of them in parallel, resumably, with a manifest.
package transfer

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"time"
)

// Entry is one file or directory found by Walk or Stat. Paths are slash-separated and
// relative to the tree's root ("wp-content/uploads/a.jpg"); the root itself is ".".
type Entry struct {
	Path    string
	Size    int64
	ModTime time.Time
	IsDir   bool
	// IsLink is set for symbolic links; Mirror skips them and reports them.
	IsLink bool
	// Mode is the file's permission bits (0o777) where the protocol tells them (SFTP, a
	// local folder on Unix); 0 when unknown (FTP listings, the staging copy).
	Mode fs.FileMode
}

// Tree is a file tree rooted at a folder on a server or on this machine.
//
// Contract (checked by transfertest for every implementation):
//   - Every path is relative to the root given when the Tree was opened, slash-separated,
//     and never escapes it: "..", absolute paths and NUL bytes fail with ErrInvalidPath.
//   - Errors wrap the sentinels below where they apply (errors.Is), so callers never
//     match message text: ErrNotFound, ErrPermission, ErrAuth, ErrNoSpace, ErrTimeout.
//   - A Tree may be used by one goroutine at a time unless its doc says otherwise;
//     Mirror opens one Tree per parallel connection through an Opener.
//   - ctx cancels a blocking call; Close releases the connection and is idempotent.
type Tree interface {
	// Walk calls fn for every entry under dir (recursively, dir itself excluded), parents
	// before children. Hidden files (".htaccess") are included. fn's error stops the walk.
	Walk(ctx context.Context, dir string, fn func(Entry) error) error
	// Stat describes one path; a missing path wraps ErrNotFound.
	Stat(ctx context.Context, path string) (Entry, error)
	// Open reads a file from byte offset off (0 for the whole file).
	Open(ctx context.Context, path string, off int64) (io.ReadCloser, error)
	// Create writes a file, truncating it, or appending to it when off > 0 (resume: off
	// must equal the current size). Parent directories must exist (see MkdirAll). The
	// data is complete only once Close returns nil.
	Create(ctx context.Context, path string, off int64) (io.WriteCloser, error)
	// MkdirAll creates dir and its parents; an existing directory is not an error.
	MkdirAll(ctx context.Context, dir string) error
	// Rename moves a file, replacing the target if it exists.
	Rename(ctx context.Context, from, to string) error
	// Remove deletes a file or an empty directory.
	Remove(ctx context.Context, path string) error
	// FreeSpace returns the bytes available at path, or ErrUnsupported where the protocol
	// cannot tell (plain FTP).
	FreeSpace(ctx context.Context, path string) (int64, error)
	// Close ends the connection.
	Close() error
}

// Latency is implemented by Trees that know their connection's round trip to the server
// (measured once, when it was opened). Mirror opens all the connections it may grow to
// at once when the round trip is long (FarRoundTrip), instead of one at a time.
type Latency interface {
	RoundTrip() time.Duration
}

// FarRoundTrip is the round trip from which a server counts as far: each file then
// costs the connection more in waiting than in bytes, and more connections pay.
const FarRoundTrip = 10 * time.Millisecond

// Opener opens a new connection to the same tree; Mirror calls it once per worker.
type Opener func(ctx context.Context) (Tree, error)

// Sentinel errors every implementation wraps.
var (
	ErrNotFound    = errors.New("not found")
	ErrPermission  = errors.New("permission denied")
	ErrAuth        = errors.New("login incorrect")
	ErrNoSpace     = errors.New("no space left on destination")
	ErrTimeout     = errors.New("connection timeout")
	ErrRefused     = errors.New("connection refused")
	ErrHostKey     = errors.New("host key changed")
	ErrUnsupported = errors.New("not supported by this protocol")
	ErrInvalidPath = errors.New("invalid path")
	// ErrTooManyConnections is a server refusing one more login from the same
	// account (FTP 421, or a 530 that says so); it is also transient.
	ErrTooManyConnections = errors.New("too many connections")
)
