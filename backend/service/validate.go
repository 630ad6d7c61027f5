package service

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/net/idna"

	"ferry/backend/migration"
	"ferry/backend/wordpress"
)

// dbNameRe is what MySQL accepts in an unquoted database name; Ferry refuses the rest so
// no name ever needs quoting tricks in a CREATE DATABASE.
var dbNameRe = regexp.MustCompile(`^[0-9A-Za-z$_]{1,64}$`)

// hostLabelRe is one ASCII (punycode) DNS label.
var hostLabelRe = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// fieldErrors collects one message per bad field, keyed by JSON path.
type fieldErrors map[string]string

func (f fieldErrors) add(key, msg string) {
	if _, ok := f[key]; !ok {
		f[key] = msg
	}
}

// validateCreate checks the New migration form and normalises it in place (trimmed text,
// default ports). It returns one message per bad field.
func validateCreate(in *CreateInput) fieldErrors {
	fe := fieldErrors{}
	trimInput(in)
	method := migration.Method(in.Method)
	if !method.Valid() {
		fe.add("method", "Choose FTP, FTPS, SFTP or Manual.")
	}
	if in.UserID < 0 {
		fe.add("userId", "Choose an existing owner or enter a new one.")
	}
	if in.UserID == 0 {
		if in.UserName == "" {
			fe.add("userName", "Enter the owner's name.")
		}
		if in.UserEmail == "" {
			fe.add("userEmail", "Enter the owner's email.")
		} else if !validEmail(in.UserEmail) {
			fe.add("userEmail", "Enter a valid email address, like owner@example.com.")
		}
	}
	if in.Service == "" {
		fe.add("service", "Enter the service (plan) the site lands on.")
	} else if len(in.Service) > 200 {
		fe.add("service", "Keep the service name under 200 characters.")
	}
	if in.Domain == "" {
		fe.add("domain", "Enter the site's domain.")
	} else if d, err := normalDomain(in.Domain); err != nil {
		fe.add("domain", "Enter a domain like example.com (no http://, no path).")
	} else {
		in.Domain = d
	}
	// The old URL may be left empty: Ferry reads it from the source database (Analyse
	// source) or from the dump's siteurl (Verify).
	if in.OldURL != "" {
		if msg := checkURL(in.OldURL); msg != "" {
			fe.add("oldUrl", msg)
		}
	}
	if in.NewURL == "" {
		fe.add("newUrl", "Enter the site's new URL, like https://example.com.")
	} else if msg := checkURL(in.NewURL); msg != "" {
		fe.add("newUrl", msg)
	}
	if method.Automatic() {
		checkEndpoint(fe, "source", &in.Source, method, true)
	}
	checkEndpoint(fe, "destination", &in.Destination, method, false)
	if in.Options.HTTPIP != "" && net.ParseIP(in.Options.HTTPIP) == nil {
		fe.add("options.httpIp", "Enter an IPv4 or IPv6 address, or leave it empty.")
	}
	for i, r := range in.Options.Replacements {
		key := fmt.Sprintf("options.replacements.%d", i)
		switch {
		case r.Find == "":
			fe.add(key, "Enter the text to find, or remove this pair.")
		case r.Find == r.Replace:
			fe.add(key, fmt.Sprintf("%q would be replaced with itself.", r.Find))
		case len(r.Find) > 500 || len(r.Replace) > 500:
			fe.add(key, "Keep each side under 500 characters.")
		case strings.Contains(in.OldURL, r.Find) && strings.Contains(r.Find, "//"):
			fe.add(key, "The old site URL is already rewritten to the new one; add only other text here.")
		}
	}
	if len(in.Options.Replacements) > wordpress.MaxExtras {
		fe.add("options.replacements", fmt.Sprintf("At most %d extra replacements.", wordpress.MaxExtras))
	}
	for i, p := range in.Options.Excludes {
		if _, err := path.Match(strings.ReplaceAll(p, "**", "*"), ""); err != nil || strings.TrimSpace(p) == "" {
			fe.add(fmt.Sprintf("options.excludes.%d", i), fmt.Sprintf("%q is not a valid pattern.", p))
		}
	}
	return fe
}

func trimInput(in *CreateInput) {
	for _, p := range []*string{&in.Method, &in.UserName, &in.UserEmail, &in.Service, &in.Domain, &in.OldURL, &in.NewURL} {
		*p = strings.TrimSpace(*p)
	}
	in.Method = strings.ToLower(in.Method)
	if in.Method == string(migration.ProtocolFTPS) {
		// The form offers FTPS as the FTP method over TLS; a job file may say it either way.
		in.Method = string(migration.MethodFTP)
		if strings.TrimSpace(in.Source.Protocol) == "" {
			in.Source.Protocol = string(migration.ProtocolFTPS)
		}
	}
	for _, e := range []*EndpointInput{&in.Source, &in.Destination} {
		for _, p := range []*string{&e.Protocol, &e.Host, &e.User, &e.Path, &e.CertFingerprint, &e.DB.Host, &e.DB.User, &e.DB.Name} {
			*p = strings.TrimSpace(*p)
		}
		e.Protocol = strings.ToLower(e.Protocol)
		// Passwords are kept exactly as typed: a leading space can be part of one.
	}
}

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	_, host, ok := strings.Cut(s, "@")
	if !ok {
		return false
	}
	_, err = normalDomain(host)
	return err == nil
}

// normalDomain checks a domain name (internationalised names allowed) and returns it
// lower-cased in its Unicode form, as the admin typed it.
func normalDomain(d string) (string, error) {
	d = strings.TrimSuffix(strings.ToLower(d), ".")
	ascii, err := idna.Lookup.ToASCII(d)
	if err != nil {
		return "", fmt.Errorf("bad domain: %w", err)
	}
	if len(ascii) > 253 {
		return "", errors.New("bad domain: too long")
	}
	labels := strings.Split(ascii, ".")
	if len(labels) < 2 {
		return "", errors.New("bad domain: needs a dot")
	}
	for _, l := range labels {
		if !hostLabelRe.MatchString(l) {
			return "", fmt.Errorf("bad domain label %q", l)
		}
	}
	return d, nil
}

// validHost accepts a DNS name (one label is fine: "localhost", a LAN name) or an IP.
func validHost(h string) bool {
	if net.ParseIP(strings.Trim(h, "[]")) != nil {
		return true
	}
	ascii, err := idna.Lookup.ToASCII(strings.ToLower(strings.TrimSuffix(h, ".")))
	if err != nil || ascii == "" || len(ascii) > 253 {
		return false
	}
	for _, l := range strings.Split(ascii, ".") {
		if !hostLabelRe.MatchString(l) {
			return false
		}
	}
	return true
}

func checkURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "Enter a full http:// or https:// address, like https://example.com."
	}
	if !validHost(u.Hostname()) {
		return "The address has an invalid host name."
	}
	if p := u.Port(); p != "" {
		var n int
		if _, err := fmt.Sscanf(p, "%d", &n); err != nil || n < 1 || n > 65535 {
			return "The address has an invalid port."
		}
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "Leave out ?query and #fragment: WordPress site URLs have none."
	}
	return ""
}

// checkEndpoint validates one side. Source takes ftp/ftps for the FTP method and sftp for
// SFTP; destinations take any remote protocol or a local folder.
func checkEndpoint(fe fieldErrors, side string, e *EndpointInput, method migration.Method, isSource bool) {
	p := migration.Protocol(e.Protocol)
	switch {
	case e.Protocol == "":
		fe.add(side+".protocol", "Choose how Ferry reaches the files.")
	case !p.Valid():
		fe.add(side+".protocol", fmt.Sprintf("Unknown protocol %q.", e.Protocol))
	case isSource && p == migration.ProtocolLocal:
		fe.add(side+".protocol", "A local folder can only be a destination.")
	case isSource && method == migration.MethodFTP && p != migration.ProtocolFTP && p != migration.ProtocolFTPS:
		fe.add(side+".protocol", "The FTP method reads the source over FTP or FTPS.")
	case isSource && method == migration.MethodSFTP && p != migration.ProtocolSFTP:
		fe.add(side+".protocol", "The SFTP method reads the source over SFTP.")
	}
	if p == migration.ProtocolLocal {
		if e.Path == "" {
			fe.add(side+".path", "Enter the folder the site goes to.")
		} else if !filepath.IsAbs(e.Path) {
			fe.add(side+".path", "Enter an absolute folder path, like /srv/www/example.")
		}
	} else if p.Valid() {
		if e.Host == "" {
			fe.add(side+".host", "Enter the server's host name or IP address.")
		} else if !validHost(e.Host) {
			fe.add(side+".host", "Enter a host name like ftp.example.com or an IP address.")
		}
		if e.Port == 0 {
			e.Port = p.DefaultPort()
		} else if e.Port < 1 || e.Port > 65535 {
			fe.add(side+".port", "Enter a port between 1 and 65535.")
		}
		if e.User == "" {
			fe.add(side+".user", "Enter the login name.")
		}
		if e.Path == "" {
			if isSource {
				fe.add(side+".path", "Enter the path of the WordPress folder, like /public_html.")
			} else {
				fe.add(side+".path", "Enter the path of the new document root, like /public_html.")
			}
		}
		if p == migration.ProtocolSFTP {
			checkSSHAuth(fe, side, e)
		} else {
			if e.Password == "" {
				fe.add(side+".password", "Enter the FTP password.")
			}
			if e.PrivateKey != "" {
				fe.add(side+".privateKey", "Private keys work with SFTP only.")
			}
		}
		if e.CertFingerprint != "" && p != migration.ProtocolFTPS {
			fe.add(side+".certFingerprint", "A certificate fingerprint applies to FTPS only.")
		}
	}
	if e.CertFingerprint != "" && !regexp.MustCompile(`^[0-9a-fA-F:]{64,95}$`).MatchString(e.CertFingerprint) {
		fe.add(side+".certFingerprint", "Enter the SHA-256 fingerprint as 64 hex digits.")
	}
	_, protoBad := fe[side+".protocol"]
	checkDB(fe, side+".db", &e.DB, p, isSource, !protoBad)
}

func checkSSHAuth(fe fieldErrors, side string, e *EndpointInput) {
	if e.Password == "" && e.PrivateKey == "" {
		fe.add(side+".password", "Enter a password or a private key.")
		return
	}
	if e.PrivateKey == "" {
		if e.Passphrase != "" {
			fe.add(side+".passphrase", "A passphrase needs a private key.")
		}
		return
	}
	_, err := ssh.ParsePrivateKey([]byte(e.PrivateKey))
	var missing *ssh.PassphraseMissingError
	switch {
	case err == nil:
		// An unprotected key ignores any passphrase typed with it.
	case !errors.As(err, &missing):
		fe.add(side+".privateKey", "Paste an SSH private key in PEM or OpenSSH format.")
	case e.Passphrase == "":
		fe.add(side+".passphrase", "This private key is protected: enter its passphrase.")
	default:
		_, err = ssh.ParsePrivateKeyWithPassphrase([]byte(e.PrivateKey), []byte(e.Passphrase))
		switch {
		case err == nil:
		case errors.Is(err, x509.IncorrectPasswordError):
			fe.add(side+".passphrase", "The passphrase does not unlock this private key.")
		default:
			fe.add(side+".privateKey", "This private key cannot be read with the passphrase given.")
		}
	}
}

// checkDB validates a database; protoOK is false when the side's protocol is already
// reported, so the tunnel is not blamed for it too.
func checkDB(fe fieldErrors, key string, d *DatabaseInput, p migration.Protocol, isSource, protoOK bool) {
	if d.SSHTunnel && protoOK && p != migration.ProtocolSFTP {
		fe.add(key+".sshTunnel", "An SSH tunnel needs SFTP access to the same server.")
	}
	if d.FromWPConfig {
		if !isSource {
			fe.add(key+".fromWpConfig", "The destination database must be entered: it has no wp-config.php yet.")
		}
		return
	}
	if d.Host == "" {
		fe.add(key+".host", "Enter the database host, like 127.0.0.1.")
	} else if !validHost(d.Host) {
		fe.add(key+".host", "Enter a host name or an IP address.")
	}
	if d.Port == 0 {
		d.Port = 3306
	} else if d.Port < 1 || d.Port > 65535 {
		fe.add(key+".port", "Enter a port between 1 and 65535.")
	}
	if d.User == "" {
		fe.add(key+".user", "Enter the database user.")
	}
	if d.Name == "" {
		fe.add(key+".name", "Enter the database name.")
	} else if !dbNameRe.MatchString(d.Name) {
		fe.add(key+".name", "Use letters, digits, _ and $ only (at most 64).")
	}
}
