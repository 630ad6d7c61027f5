// Package migration is Ferry's domain: what a migration is, the states it moves
// through, the ten steps of a WordPress move and the one transition table that
// decides which admin action is allowed when. It does no I/O at all, so every
// other package (store, service, runner, UI) asks it instead of re-deciding.
package migration

import "time"

// Method says how a migration gets the site's files and database.
type Method string

const (
	// MethodFTP fetches files over FTP or FTPS and the database over MySQL.
	MethodFTP Method = "ftp"
	// MethodSFTP fetches files over SFTP and the database directly or through an SSH tunnel.
	MethodSFTP Method = "sftp"
	// MethodManual takes a wordpress-files.zip and a database.sql the admin attaches.
	MethodManual Method = "manual"
)

// Methods lists every method, in the order the UI offers them.
var Methods = []Method{MethodFTP, MethodSFTP, MethodManual}

// Valid reports whether m is a known method.
func (m Method) Valid() bool {
	for _, x := range Methods {
		if m == x {
			return true
		}
	}
	return false
}

// Automatic reports whether Ferry fetches the site itself (ftp, sftp).
func (m Method) Automatic() bool { return m == MethodFTP || m == MethodSFTP }

// Protocol is how Ferry reaches a file tree.
type Protocol string

const (
	// ProtocolFTP is plain FTP: it works but is flagged as unencrypted.
	ProtocolFTP Protocol = "ftp"
	// ProtocolFTPS is FTP with explicit TLS (AUTH TLS).
	ProtocolFTPS Protocol = "ftps"
	// ProtocolSFTP is SFTP over SSH.
	ProtocolSFTP Protocol = "sftp"
	// ProtocolLocal is a folder on the admin's workstation (destinations only).
	ProtocolLocal Protocol = "local"
)

// Valid reports whether p is a known protocol.
func (p Protocol) Valid() bool {
	switch p {
	case ProtocolFTP, ProtocolFTPS, ProtocolSFTP, ProtocolLocal:
		return true
	}
	return false
}

// DefaultPort is the usual port of the protocol (0 for local).
func (p Protocol) DefaultPort() int {
	switch p {
	case ProtocolFTP, ProtocolFTPS:
		return 21
	case ProtocolSFTP:
		return 22
	}
	return 0
}

// UserStatus is the state of a site owner's account.
type UserStatus string

const (
	// UserActive is an owner whose account is in use.
	UserActive UserStatus = "active"
	// UserSuspended is an owner whose account is suspended.
	UserSuspended UserStatus = "suspended"
)

// User is the owner of a migrated site.
type User struct {
	ID     int64
	Name   string
	Email  string
	Status UserStatus
}

// Database says how to reach a MySQL/MariaDB database.
type Database struct {
	Host     string
	Port     int
	User     string
	Password string // secret: encrypted at rest, masked in DTOs and logs
	Name     string
	// SSHTunnel reaches Host:Port through the endpoint's SFTP login. Old job files and
	// records say this instead of Access "ssh-tunnel"; Access wins when set.
	SSHTunnel bool
	// Access is the database route: "" (Automatic: direct, SSH tunnel, SSH command, then
	// the site's PHP), "direct", "ssh-tunnel", "ssh-command" or "php" (see backend/dbroute).
	Access string `json:",omitempty"`
	// SiteIP, for the PHP route, is dialled instead of resolving the site URL's host (a
	// destination whose DNS is not moved yet).
	SiteIP string `json:",omitempty"`
	// FromWPConfig means the fields were (or are to be) read from the source's wp-config.php.
	FromWPConfig bool
}

// Endpoint is a source or destination: where the files are and where the database is.
type Endpoint struct {
	Protocol   Protocol
	Host       string
	Port       int
	User       string
	Password   string // secret
	PrivateKey string // secret: PEM text of an SSH private key
	Passphrase string // secret: passphrase of PrivateKey
	// Path is the WordPress root (source) or docroot (destination).
	Path string
	// HostKey is the pinned SSH host key fingerprint (SHA256:...), filled on first use.
	HostKey string
	// CertFingerprint pins a self-signed FTPS certificate (SHA-256 hex), optional.
	CertFingerprint string
	DB              Database
}

// Options are the admin's choices for one migration.
type Options struct {
	// Overwrite allows a non-empty docroot or database at the destination.
	Overwrite bool
	// FreshSalts writes new authentication keys and salts into wp-config.php.
	FreshSalts bool
	// Excludes are glob patterns of source paths not to copy (e.g. wp-content/cache/**).
	Excludes []string
	// HTTPCheck asks Validate to GET the new URL; HTTPIP optionally overrides DNS for it.
	HTTPCheck bool
	HTTPIP    string
	// Replacements are the admin's extra find → replace pairs, applied to every database
	// value after the URL rewrite (an old CDN host, the bare old domain, an e-mail domain).
	Replacements []Replacement `json:",omitempty"`
	// FilesOverFTPOnly keeps every file of an FTP source on FTP: Download files does not
	// fetch small files through the source site's PHP (backend/pipeline/sitefiles.go).
	FilesOverFTPOnly bool `json:",omitempty"`
}

// Replacement is one extra find → replace pair.
type Replacement struct {
	Find    string
	Replace string
}

// Migration is one site moving from one source to one destination.
type Migration struct {
	ID            int64
	User          User
	Service       string
	Domain        string
	Method        Method
	Status        Status
	FailureReason string
	// CurrentStep is the step running, waiting or failed; empty before the first step.
	CurrentStep StepID
	OldURL      string
	NewURL      string
	Source      Endpoint
	Destination Endpoint
	Options     Options
	Steps       []StepRecord
	CreatedAt   time.Time
	StartedAt   time.Time
	CompletedAt time.Time
	UpdatedAt   time.Time
	// Version grows by one on every status change; stores compare-and-set on it.
	Version int64
	// Attached and Verified are the manual method's progress through Wait for upload.
	Attached bool
	Verified bool
}

// Facts returns the part of m the transition table decides on.
func (m Migration) Facts() Facts {
	return Facts{Status: m.Status, Method: m.Method, CurrentStep: m.CurrentStep, Attached: m.Attached, Verified: m.Verified}
}

// StepRecord is the persisted state of one step of one migration.
type StepRecord struct {
	Step       StepID
	State      StepState
	StartedAt  time.Time
	FinishedAt time.Time
	Error      string
	// Cursor is an opaque resume point written by the step (files mirrored, tables imported).
	Cursor string
	// Percent is the last progress of a running step, 0..100.
	Percent float64
}

// Duration is how long the step ran (0 when it has not finished).
func (r StepRecord) Duration() time.Duration {
	if r.StartedAt.IsZero() || r.FinishedAt.IsZero() {
		return 0
	}
	return r.FinishedAt.Sub(r.StartedAt)
}
