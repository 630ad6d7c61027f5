package wordpress

import (
	"fmt"
	"log/slog"
	"net"
	"path"
	"strconv"
	"strings"
)

// SaltNames are the eight authentication keys and salts of wp-config.php.
var SaltNames = []string{
	"AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY",
	"AUTH_SALT", "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT",
}

// TablePrefixName is the key of $table_prefix in Config.Settings.
const TablePrefixName = "$table_prefix"

// Setting is one define() (or $table_prefix) found in wp-config.php.
type Setting struct {
	Name string
	// Value is what PHP would see when Literal is set; otherwise the text Ferry could
	// read (a getenv fallback) or "".
	Value string
	// Literal is set when the value is a plain string, number or boolean that Ferry can
	// read and rewrite in place.
	Literal bool
	// Env names the environment variable read first (getenv('DB_NAME') ?: 'wp'); Value
	// then holds the fallback.
	Env string
	// Line is the 1-based line of the setting.
	Line int

	// start and end are the byte range of the value expression, for RewriteConfig.
	start, end int
}

// Config is what Ferry reads from a wp-config.php. DBPassword is a secret: Config
// redacts it when printed or logged, and callers must never put it in an error.
type Config struct {
	DBName      string
	DBUser      string
	DBPassword  string
	DBHost      string
	DBCharset   string
	DBCollate   string
	TablePrefix string
	Home        string // WP_HOME, when hard-coded
	SiteURL     string // WP_SITEURL, when hard-coded
	// Salts maps each of SaltNames found to its value.
	Salts map[string]string
	// Multisite is set when MULTISITE is defined true: Ferry does not move networks.
	Multisite bool
	// Includes lists files the config includes besides wp-settings.php (for example
	// "wp-salt.php"), relative to the config's folder when written with __DIR__ or
	// dirname(__FILE__); the caller fetches and parses them.
	Includes []string
	// Settings holds every define and $table_prefix by name.
	Settings map[string]Setting
}

// String describes the config with the password masked, so a stray %v never leaks it.
func (c Config) String() string {
	pw := ""
	if c.DBPassword != "" {
		pw = "***"
	}
	return fmt.Sprintf("wp-config{db=%s user=%s password=%s host=%s prefix=%s multisite=%t}",
		c.DBName, c.DBUser, pw, c.DBHost, c.TablePrefix, c.Multisite)
}

// GoString is String, so %#v masks the password too.
func (c Config) GoString() string { return c.String() }

// LogValue keeps the password out of slog output.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("db", c.DBName), slog.String("user", c.DBUser), slog.String("host", c.DBHost),
		slog.String("prefix", c.TablePrefix), slog.Bool("multisite", c.Multisite),
	)
}

// ParseConfig reads the settings Ferry needs from the bytes of a wp-config.php. It
// understands the ways real files write them: single or double quotes, any spacing,
// comments, define( 'X', "y" ), getenv('X') ?: 'fallback', $_ENV['X'] ?? 'fallback',
// concatenated literals, and include/require of other files (reported in Includes). A
// value Ferry cannot compute (a function call, a variable) is kept in Settings with
// Literal false. The error wraps ErrConfigSyntax when src is not readable PHP.
func ParseConfig(src []byte) (Config, error) {
	toks, err := lexPHP(src)
	if err != nil {
		return Config{}, err
	}
	c := Config{Settings: map[string]Setting{}, Salts: map[string]string{}}
	lineOf := lineIndex(src)
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t.kind == tokIdent && strings.EqualFold(t.text, "define"):
			s, next, ok := parseDefine(toks, i+1)
			if !ok {
				continue
			}
			s.Line = lineOf(t.start)
			if _, seen := c.Settings[s.Name]; !seen {
				// PHP keeps the first definition of a constant.
				c.Settings[s.Name] = s
			}
			i = next - 1
		case t.kind == tokVar && t.text == TablePrefixName && i+1 < len(toks) && toks[i+1].text == "=":
			end := findStatementEnd(toks, i+2)
			s := evalExpr(toks[i+2 : end])
			s.Name, s.Line = TablePrefixName, lineOf(t.start)
			// A later assignment wins for a variable.
			c.Settings[TablePrefixName] = s
			i = end
		case t.kind == tokIdent && isInclude(t.text):
			end := findStatementEnd(toks, i+1)
			if p := includePath(toks[i+1 : end]); p != "" && path.Base(p) != "wp-settings.php" {
				c.Includes = append(c.Includes, p)
			}
			i = end
		}
	}
	get := func(name string) string { return c.Settings[name].Value }
	c.DBName, c.DBUser, c.DBPassword, c.DBHost = get("DB_NAME"), get("DB_USER"), get("DB_PASSWORD"), get("DB_HOST")
	c.DBCharset, c.DBCollate, c.TablePrefix = get("DB_CHARSET"), get("DB_COLLATE"), get(TablePrefixName)
	c.Home, c.SiteURL = get("WP_HOME"), get("WP_SITEURL")
	for _, n := range SaltNames {
		if s, ok := c.Settings[n]; ok {
			c.Salts[n] = s.Value
		}
	}
	if s, ok := c.Settings["MULTISITE"]; ok {
		c.Multisite = s.Literal && isTrue(s.Value)
	}
	return c, nil
}

// Merge fills the settings c lacks from an included file's config (wp-salt.php,
// a host's db-config.php), as PHP would see them after the include.
func (c *Config) Merge(inc Config) {
	fill := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	fill(&c.DBName, inc.DBName)
	fill(&c.DBUser, inc.DBUser)
	fill(&c.DBPassword, inc.DBPassword)
	fill(&c.DBHost, inc.DBHost)
	fill(&c.DBCharset, inc.DBCharset)
	fill(&c.DBCollate, inc.DBCollate)
	fill(&c.TablePrefix, inc.TablePrefix)
	fill(&c.Home, inc.Home)
	fill(&c.SiteURL, inc.SiteURL)
	if c.Salts == nil {
		c.Salts = map[string]string{}
	}
	for k, v := range inc.Salts {
		if _, ok := c.Salts[k]; !ok {
			c.Salts[k] = v
		}
	}
	c.Multisite = c.Multisite || inc.Multisite
}

func isTrue(v string) bool {
	switch strings.ToLower(v) {
	case "true", "1":
		return true
	}
	return false
}

func isInclude(s string) bool {
	switch strings.ToLower(s) {
	case "require", "require_once", "include", "include_once":
		return true
	}
	return false
}

// lineIndex returns a function mapping a byte offset to its 1-based line.
func lineIndex(src []byte) func(int) int {
	var starts []int
	for i, c := range src {
		if c == '\n' {
			starts = append(starts, i)
		}
	}
	return func(pos int) int {
		lo, hi := 0, len(starts)
		for lo < hi {
			m := (lo + hi) / 2
			if starts[m] < pos {
				lo = m + 1
			} else {
				hi = m
			}
		}
		return lo + 1
	}
}

// parseDefine reads ( NAME , EXPR ) after "define" and returns the setting and the
// index after the closing parenthesis.
func parseDefine(toks []token, i int) (Setting, int, bool) {
	if i+2 >= len(toks) || toks[i].text != "(" || toks[i+1].kind != tokString || toks[i+2].text != "," {
		return Setting{}, 0, false
	}
	name := toks[i+1].text
	depth, j := 0, i+3
	for ; j < len(toks); j++ {
		switch toks[j].text {
		case "(", "[":
			depth++
		case ")", "]":
			depth--
		case ",":
			if depth == 0 {
				// define()'s old third argument (case_insensitive) ends the value.
				goto done
			}
		}
		if depth < 0 {
			break
		}
	}
done:
	if j >= len(toks) || j == i+3 {
		return Setting{}, 0, false
	}
	s := evalExpr(toks[i+3 : j])
	s.Name = name
	for j < len(toks) && toks[j].text != ")" {
		j++
	}
	return s, j + 1, true
}

// findStatementEnd returns the index of the ";" ending the statement starting at i.
func findStatementEnd(toks []token, i int) int {
	for ; i < len(toks); i++ {
		if toks[i].text == ";" {
			return i
		}
	}
	return len(toks)
}

// evalExpr computes the value of a define's expression when it is one Ferry
// understands: a literal, literals joined with ".", or an environment lookup with a
// fallback (getenv('X') ?: 'y', $_ENV['X'] ?? 'y', $_SERVER['X'] ?? 'y',
// getenv_docker('X', 'y')).
func evalExpr(toks []token) Setting {
	s := Setting{}
	if len(toks) == 0 {
		return s
	}
	s.start, s.end = toks[0].start, toks[len(toks)-1].end
	// The official Docker image's getenv_docker('X', 'fallback').
	if n := len(toks); n >= 6 && toks[0].kind == tokIdent && toks[0].text == "getenv_docker" &&
		toks[1].text == "(" && toks[2].kind == tokString && toks[3].text == "," && toks[n-1].text == ")" {
		s.Env = toks[2].text
		if fb := evalExpr(toks[4 : n-1]); fb.Literal {
			s.Value = fb.Value
		}
		return s
	}
	if env, rest, ok := envLookup(toks); ok {
		s.Env = env
		if len(rest) > 0 && (rest[0].text == "?:" || rest[0].text == "??") {
			if fb := evalExpr(rest[1:]); fb.Literal {
				s.Value = fb.Value
			}
		}
		return s
	}
	if v, ok := literalValue(toks); ok {
		s.Value, s.Literal = v, true
	}
	return s
}

// envLookup recognises getenv('X') and $_ENV['X'] / $_SERVER['X'] at the start of toks.
func envLookup(toks []token) (string, []token, bool) {
	if len(toks) >= 4 && toks[0].kind == tokIdent && strings.EqualFold(toks[0].text, "getenv") &&
		toks[1].text == "(" && toks[2].kind == tokString && toks[3].text == ")" {
		return toks[2].text, toks[4:], true
	}
	if len(toks) >= 4 && toks[0].kind == tokVar && (toks[0].text == "$_ENV" || toks[0].text == "$_SERVER") &&
		toks[1].text == "[" && toks[2].kind == tokString && toks[3].text == "]" {
		return toks[2].text, toks[4:], true
	}
	return "", nil, false
}

// literalValue evaluates a string, number or boolean literal, or literals joined by ".".
func literalValue(toks []token) (string, bool) {
	if len(toks) == 1 {
		t := toks[0]
		switch t.kind {
		case tokString:
			return t.text, !t.dynamic
		case tokNumber:
			return t.text, true
		case tokIdent:
			switch strings.ToLower(t.text) {
			case "true", "false":
				return strings.ToLower(t.text), true
			case "null":
				return "", true
			}
		}
		return "", false
	}
	if len(toks) == 2 && toks[0].text == "-" && toks[1].kind == tokNumber {
		return "-" + toks[1].text, true
	}
	var b strings.Builder
	for i, t := range toks {
		if i%2 == 1 {
			if t.text != "." {
				return "", false
			}
			continue
		}
		if t.kind != tokString || t.dynamic {
			return "", false
		}
		b.WriteString(t.text)
	}
	return b.String(), len(toks)%2 == 1
}

// includePath turns the argument of include/require into a path when it is built from
// literals, __DIR__ and dirname(__FILE__) (the config's own folder) and ABSPATH (the
// WordPress root, the same folder in nearly every install).
func includePath(toks []token) string {
	var b strings.Builder
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t.kind == tokString:
			b.WriteString(t.text)
		case t.kind == tokIdent && (t.text == "__DIR__" || t.text == "ABSPATH"):
		case t.kind == tokIdent && strings.EqualFold(t.text, "dirname"):
			// dirname( __FILE__ ): skip to the closing parenthesis.
			for i < len(toks) && toks[i].text != ")" {
				i++
			}
		case t.text == "(" || t.text == ")" || t.text == ".":
		default:
			return ""
		}
	}
	return strings.TrimPrefix(path.Clean("/"+b.String()), "/")
}

// DBAddress is DB_HOST split into its parts.
type DBAddress struct {
	Host   string // "localhost", "db.example.com", "::1"
	Port   int    // 0 when not given (3306 is meant)
	Socket string // a Unix socket path, when given
}

// SplitDBHost reads DB_HOST the way WordPress's wpdb does: "host", "host:port",
// "host:/path/to/socket", ":/path/to/socket", "[::1]:3307".
func SplitDBHost(h string) (DBAddress, error) {
	h = strings.TrimSpace(h)
	if h == "" {
		return DBAddress{}, fmt.Errorf("DB_HOST is empty")
	}
	if i := strings.Index(h, ":/"); i >= 0 {
		return DBAddress{Host: h[:i], Socket: h[i+1:]}, nil
	}
	if strings.HasPrefix(h, "[") {
		host, port, err := net.SplitHostPort(h)
		if err != nil {
			if strings.HasSuffix(h, "]") {
				return DBAddress{Host: h[1 : len(h)-1]}, nil
			}
			return DBAddress{}, fmt.Errorf("DB_HOST %q: %w", h, err)
		}
		p, err := strconv.Atoi(port)
		if err != nil || p < 1 || p > 65535 {
			return DBAddress{}, fmt.Errorf("DB_HOST %q: invalid port", h)
		}
		return DBAddress{Host: host, Port: p}, nil
	}
	if strings.Count(h, ":") > 1 {
		return DBAddress{Host: h}, nil // a bare IPv6 address
	}
	host, port, found := strings.Cut(h, ":")
	if !found {
		return DBAddress{Host: h}, nil
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 {
		return DBAddress{}, fmt.Errorf("DB_HOST %q: invalid port %q", h, port)
	}
	return DBAddress{Host: host, Port: p}, nil
}
