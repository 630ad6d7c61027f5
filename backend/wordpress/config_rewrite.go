package wordpress

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/big"
	"path"
	"sort"
	"strings"
)

// Changes says what RewriteConfig sets in a wp-config.php. An empty field keeps what
// the file has.
type Changes struct {
	DBName      string
	DBUser      string
	DBPassword  string
	DBHost      string
	DBCharset   string
	TablePrefix string
	// EmptyPassword sets DB_PASSWORD to "" (a DBPassword of "" means keep it).
	EmptyPassword bool
	// OldURL and NewURL, when both set, move a hard-coded WP_HOME or WP_SITEURL that
	// points at the old site to the new one; any other hard-coded value is warned about.
	OldURL, NewURL string
	// FreshSalts replaces the eight keys and salts with new random ones, which logs
	// every user out of the moved site.
	FreshSalts bool
	// Rand is the randomness for salts; nil means crypto/rand.
	Rand io.Reader
}

// Warning codes tell the UI what kind of problem a Warning is about.
const (
	WarnHardcodedURL = "hardcoded_url" // WP_HOME / WP_SITEURL defined in wp-config.php
	WarnEnvValue     = "env_value"     // a value read from the environment was replaced by a fixed one
	WarnDynamicValue = "dynamic_value" // a value Ferry cannot compute was left as it is
	WarnSaltsInclude = "salts_include" // salts live in an included file Ferry did not change
	WarnCacheDropIn  = "cache_dropin"  // object-cache.php / advanced-cache.php present
	WarnMultisite    = "multisite"     // a multisite network
)

// Warning is something the admin should look at after the move, in one plain sentence.
type Warning struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ErrNoPHPBody is wrapped when a config has no place to add a missing setting.
var ErrNoPHPBody = errors.New("wp-config.php has no PHP code to add settings to")

// saltChars is the alphabet of WordPress's secret-key service without quotes and
// backslash, so a salt never needs escaping.
const saltChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!@#$%^&*()-_ []{}<>~`+=,.;:/?|"

// RewriteConfig returns src with the given changes applied in place: only the value
// of each changed setting is replaced (as a PHP single-quoted string, quotes and
// backslashes escaped), every other byte stays as it was. A setting the file lacks is
// added before the "stop editing" line. Warnings name what the admin should check.
func RewriteConfig(src []byte, ch Changes) ([]byte, []Warning, error) {
	cfg, err := ParseConfig(src)
	if err != nil {
		return nil, nil, err
	}
	type edit struct {
		start, end int
		text       string
	}
	var edits []edit
	var adds []string
	var warns []Warning
	set := func(name, value string) {
		s, ok := cfg.Settings[name]
		if !ok {
			if name == TablePrefixName {
				adds = append(adds, fmt.Sprintf("$table_prefix = %s;", quotePHP(value)))
			} else {
				adds = append(adds, fmt.Sprintf("define( %s, %s );", quotePHP(name), quotePHP(value)))
			}
			return
		}
		if s.Env != "" {
			warns = append(warns, Warning{WarnEnvValue, fmt.Sprintf(
				"%s was read from the environment variable %s; Ferry replaced it with a fixed value for the new server.", name, s.Env)})
		}
		edits = append(edits, edit{s.start, s.end, quotePHP(value)})
	}
	for _, f := range []struct{ name, value string }{
		{"DB_NAME", ch.DBName}, {"DB_USER", ch.DBUser}, {"DB_HOST", ch.DBHost},
		{"DB_CHARSET", ch.DBCharset}, {TablePrefixName, ch.TablePrefix},
	} {
		if f.value != "" {
			set(f.name, f.value)
		}
	}
	if ch.DBPassword != "" || ch.EmptyPassword {
		set("DB_PASSWORD", ch.DBPassword)
	}
	for _, name := range []string{"WP_HOME", "WP_SITEURL"} {
		s, ok := cfg.Settings[name]
		if !ok {
			continue
		}
		if s.Literal && ch.OldURL != "" && ch.NewURL != "" && sameURL(s.Value, ch.OldURL) {
			edits = append(edits, edit{s.start, s.end, quotePHP(strings.TrimRight(ch.NewURL, "/"))})
			warns = append(warns, Warning{WarnHardcodedURL, fmt.Sprintf(
				"%s was hard-coded to the old URL %s in wp-config.php; Ferry set it to %s.", name, s.Value, strings.TrimRight(ch.NewURL, "/"))})
			continue
		}
		what := "a value Ferry cannot read"
		if s.Literal || s.Value != "" {
			what = s.Value
		}
		warns = append(warns, Warning{WarnHardcodedURL, fmt.Sprintf(
			"%s is hard-coded to %s in wp-config.php (line %d) and overrides the URL in the database; check it points at the new site.", name, what, s.Line)})
	}
	if ch.FreshSalts {
		rnd := ch.Rand
		if rnd == nil {
			rnd = rand.Reader
		}
		missing := 0
		for _, name := range SaltNames {
			salt, err := newSalt(rnd)
			if err != nil {
				return nil, nil, fmt.Errorf("generate %s: %w", name, err)
			}
			if _, ok := cfg.Settings[name]; !ok {
				missing++
			}
			if _, ok := cfg.Settings[name]; ok || len(cfg.Includes) == 0 {
				set(name, salt)
			}
		}
		if missing > 0 && len(cfg.Includes) > 0 {
			warns = append(warns, Warning{WarnSaltsInclude, fmt.Sprintf(
				"wp-config.php includes %s, which may hold the keys and salts; Ferry did not change salts it could not find in wp-config.php.", strings.Join(cfg.Includes, ", "))})
		}
	}
	if cfg.Multisite {
		warns = append(warns, Warning{WarnMultisite, "This site is a WordPress multisite network, which Ferry does not migrate."})
	}
	sort.Slice(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
	var out bytes.Buffer
	out.Grow(len(src) + 256)
	last := 0
	for _, e := range edits {
		if e.start < last {
			continue // the same range set twice (cannot happen with distinct names)
		}
		out.Write(src[last:e.start])
		out.WriteString(e.text)
		last = e.end
	}
	out.Write(src[last:])
	res := out.Bytes()
	if len(adds) > 0 {
		res, err = insertSettings(res, adds)
		if err != nil {
			return nil, nil, err
		}
	}
	return res, warns, nil
}

// sameURL compares two site URLs ignoring a trailing slash and the case of the host.
func sameURL(a, b string) bool {
	return strings.EqualFold(strings.TrimRight(a, "/"), strings.TrimRight(b, "/"))
}

// newSalt returns 64 characters drawn uniformly from saltChars.
func newSalt(r io.Reader) (string, error) {
	var b strings.Builder
	max := big.NewInt(int64(len(saltChars)))
	for range 64 {
		n, err := rand.Int(r, max)
		if err != nil {
			return "", err
		}
		b.WriteByte(saltChars[n.Int64()])
	}
	return b.String(), nil
}

// insertSettings adds lines of PHP where a person would: before the "stop editing"
// comment, else before wp-settings.php is required, else at the end of the file.
func insertSettings(src []byte, lines []string) ([]byte, error) {
	text := strings.Join(lines, "\n") + "\n"
	at := -1
	for _, marker := range []string{"/* That's all, stop editing!", "/* That’s all, stop editing!"} {
		if i := bytes.Index(src, []byte(marker)); i >= 0 {
			at = i
			break
		}
	}
	if at < 0 {
		toks, err := lexPHP(src)
		if err != nil {
			return nil, err
		}
		for i, t := range toks {
			if t.kind == tokIdent && isInclude(t.text) {
				end := findStatementEnd(toks, i+1)
				if p := includePath(toks[i+1 : end]); path.Base(p) == "wp-settings.php" {
					at = lineStart(src, t.start)
					break
				}
			}
		}
	}
	if at < 0 {
		if !bytes.Contains(src, []byte("<?php")) {
			return nil, ErrNoPHPBody
		}
		if bytes.Contains(src, []byte("?>")) {
			at = bytes.LastIndex(src, []byte("?>"))
		} else {
			if len(src) > 0 && src[len(src)-1] != '\n' {
				text = "\n" + text
			}
			at = len(src)
		}
	}
	out := make([]byte, 0, len(src)+len(text))
	out = append(out, src[:at]...)
	out = append(out, text...)
	return append(out, src[at:]...), nil
}

func lineStart(src []byte, pos int) int {
	return bytes.LastIndexByte(src[:pos], '\n') + 1
}

// ConfigFromSample builds a wp-config.php from wp-config-sample.php (which every
// WordPress download has) when a site comes without one, as a manual zip may: the
// sample's placeholders are replaced by the changes and salts are always fresh.
func ConfigFromSample(sample []byte, ch Changes) ([]byte, []Warning, error) {
	cfg, err := ParseConfig(sample)
	if err != nil {
		return nil, nil, err
	}
	if _, ok := cfg.Settings["DB_NAME"]; !ok {
		return nil, nil, fmt.Errorf("%w: the sample defines no DB_NAME", ErrConfigSyntax)
	}
	if ch.DBName == "" || ch.DBUser == "" || ch.DBHost == "" {
		return nil, nil, fmt.Errorf("a new wp-config.php needs the database name, user and host")
	}
	ch.FreshSalts = true
	return RewriteConfig(sample, ch)
}

// CacheDropInWarnings looks at the paths of a site's files (relative to the WordPress
// root) for cache drop-ins, which keep serving the old site's pages or connect to the
// old server's cache until they are reconfigured or removed.
func CacheDropInWarnings(paths []string) []Warning {
	var warns []Warning
	for _, p := range paths {
		switch strings.TrimPrefix(path.Clean("/"+p), "/") {
		case "wp-content/object-cache.php":
			warns = append(warns, Warning{WarnCacheDropIn,
				"wp-content/object-cache.php is an object cache drop-in; make sure its cache server (Redis or Memcached) exists on the new host, or remove the file."})
		case "wp-content/advanced-cache.php":
			warns = append(warns, Warning{WarnCacheDropIn,
				"wp-content/advanced-cache.php is a page cache drop-in; clear its cache on the new host so it does not serve pages with the old URL."})
		}
	}
	return warns
}
