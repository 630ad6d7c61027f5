package archive

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors wrapped by every Problem (and by the errors Extract returns), so
// callers use errors.Is and never match message text.
var (
	// ErrCorrupt: the archive or dump cannot be read as what it claims to be.
	ErrCorrupt = errors.New("archive is corrupt")
	// ErrChecksum: an entry's data does not match its CRC-32.
	ErrChecksum = errors.New("crc mismatch")
	// ErrZipSlip: an entry name climbs out of the destination with "..".
	ErrZipSlip = errors.New("entry escapes the destination")
	// ErrAbsolutePath: an entry name starts at a root or a drive letter.
	ErrAbsolutePath = errors.New("entry has an absolute path")
	// ErrBadName: an entry name is empty or holds control characters.
	ErrBadName = errors.New("entry has an unusable name")
	// ErrSymlink: an entry is a symbolic link.
	ErrSymlink = errors.New("entry is a symbolic link")
	// ErrSpecialFile: an entry is a device, pipe or socket.
	ErrSpecialFile = errors.New("entry is not a regular file")
	// ErrDuplicate: two entries land on the same path (or a file and a folder do).
	ErrDuplicate = errors.New("duplicate entry")
	// ErrEncrypted: an entry is password-protected.
	ErrEncrypted = errors.New("entry is encrypted")
	// ErrMethod: an entry uses a compression method Ferry cannot read.
	ErrMethod = errors.New("unsupported compression method")
	// ErrTooLarge: the archive expands past Limits.MaxTotalSize, or an entry past its
	// declared size.
	ErrTooLarge = errors.New("archive expands past the size limit")
	// ErrTooManyEntries: the archive has more entries than Limits.MaxEntries.
	ErrTooManyEntries = errors.New("archive has too many entries")
	// ErrRatio: an entry expands more than Limits.MaxRatio times its compressed size.
	ErrRatio = errors.New("compression ratio too high")
	// ErrNameMismatch: an entry's local header names another file than its central
	// directory record.
	ErrNameMismatch = errors.New("entry names differ between local header and central directory")
	// ErrOverlap: entries share compressed data, the trick of non-recursive zip bombs.
	ErrOverlap = errors.New("entries overlap")
	// ErrNoWordPress: the archive holds no WordPress tree.
	ErrNoWordPress = errors.New("wordpress not found in archive")
	// ErrNoConfig: neither wp-config.php nor wp-config-sample.php is in the archive.
	ErrNoConfig = errors.New("no wp-config.php in archive")
	// ErrOutsideRoot: entries lie outside the WordPress folder and are not extracted.
	ErrOutsideRoot = errors.New("entries outside the wordpress folder")

	// ErrEmpty: the file is empty (or holds no statements).
	ErrEmpty = errors.New("file is empty")
	// ErrNotSQL: the file is not an SQL dump.
	ErrNotSQL = errors.New("not an sql dump")
	// ErrTruncated: the dump stops inside a string or statement.
	ErrTruncated = errors.New("dump is truncated")
	// ErrNoTables: the dump creates no WordPress tables.
	ErrNoTables = errors.New("no wordpress tables in dump")
	// ErrNoSiteURL: the dump has no siteurl/home option.
	ErrNoSiteURL = errors.New("no site url in dump")
	// ErrOtherDatabase: the dump creates or switches to a database of its own.
	ErrOtherDatabase = errors.New("dump names another database")
	// ErrUnrecognized: the file is neither a site zip nor an SQL dump.
	ErrUnrecognized = errors.New("not a site zip or sql dump")
	// ErrMissing: the file does not exist or cannot be read.
	ErrMissing = errors.New("file is missing")
)

// Problem is one thing wrong with an attached file, in words the admin can act on.
// It is an error: errors.Is(p, ErrChecksum) tells its kind.
type Problem struct {
	// Err is the sentinel above that says what kind of problem this is.
	Err error
	// Entry is the zip entry concerned, as named in the archive; empty for the whole file.
	Entry string
	// Message is one sentence with what to do, shown as is.
	Message string
	// Warning is set when Ferry can go on anyway (e.g. wp-config.php is missing and
	// will be written from the sample).
	Warning bool
}

// Error returns the message.
func (p *Problem) Error() string { return p.Message }

// Unwrap returns the sentinel, for errors.Is.
func (p *Problem) Unwrap() error { return p.Err }

// problemCap bounds how many problems of one kind a report lists: a zip with 50,000
// corrupt entries needs ten examples and a count, not 50,000 lines.
const problemCap = 10

// problems collects Problems, at most problemCap of each kind, counting the rest.
type problems struct {
	list    []*Problem
	perKind map[error]int
}

func (ps *problems) add(p *Problem) {
	if ps.perKind == nil {
		ps.perKind = map[error]int{}
	}
	ps.perKind[p.Err]++
	if ps.perKind[p.Err] <= problemCap {
		ps.list = append(ps.list, p)
	}
}

func (ps *problems) has(kind error) bool { return ps.perKind[kind] > 0 }

// done returns the list with one summary line per kind that overflowed.
func (ps *problems) done() []*Problem {
	out := append([]*Problem(nil), ps.list...)
	for _, p := range ps.list {
		n := ps.perKind[p.Err]
		if n > problemCap {
			out = append(out, &Problem{Err: p.Err, Warning: p.Warning,
				Message: fmt.Sprintf("%d more entries have the same problem as '%s'.", n-problemCap, p.Entry)})
			ps.perKind[p.Err] = 0 // one summary per kind
		}
	}
	return out
}

// joinProblems returns nil when no problem blocks, else an error that wraps every
// blocking problem (errors.Is finds each sentinel) and reads as the first one.
func joinProblems(list []*Problem) error {
	var errs []*Problem
	for _, p := range list {
		if !p.Warning {
			errs = append(errs, p)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return &ProblemsError{Problems: errs}
}

// ProblemsError is returned when an archive or dump has blocking problems. Its message
// is the first problem's; Unwrap exposes all of them to errors.Is and errors.As.
type ProblemsError struct {
	Problems []*Problem
}

// Error reads as the first problem, with a count of the others.
func (e *ProblemsError) Error() string {
	msg := e.Problems[0].Message
	if n := len(e.Problems) - 1; n > 0 {
		msg = strings.TrimSuffix(msg, ".") + fmt.Sprintf(" (and %d more problems)", n)
	}
	return msg
}

// Unwrap returns every problem.
func (e *ProblemsError) Unwrap() []error {
	out := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p
	}
	return out
}

// Limits bound what Ferry accepts from a zip. A zero field takes its default.
type Limits struct {
	// MaxTotalSize is the most bytes the whole archive may expand to (default 200 GiB).
	MaxTotalSize int64
	// MaxEntries is the most entries the archive may hold (default 2,000,000).
	MaxEntries int
	// MaxRatio is the most an entry larger than 1 MiB may expand relative to its
	// compressed size (default 1000; deflate itself cannot pass about 1032).
	MaxRatio float64
}

// Defaults for Limits.
const (
	DefaultMaxTotalSize = 200 << 30
	DefaultMaxEntries   = 2_000_000
	DefaultMaxRatio     = 1000
	// ratioFloor is the size under which ratios are not judged: a 10 KB file of
	// spaces compresses 500 times and harms nobody.
	ratioFloor = 1 << 20
)

func (l Limits) withDefaults() Limits {
	if l.MaxTotalSize <= 0 {
		l.MaxTotalSize = DefaultMaxTotalSize
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultMaxEntries
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = DefaultMaxRatio
	}
	return l
}
