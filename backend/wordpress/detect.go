package wordpress

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"sort"
	"strings"

	"ferry/backend/transfer"
)

// ErrNotWordPress is wrapped when a path holds no WordPress installation. Its text is
// the failure reason the admin sees.
var ErrNotWordPress = errors.New("WordPress not found at specified path")

// ErrMultisite is wrapped when the site is a multisite network, which Ferry does not
// migrate: its tables, domains and uploads are laid out per sub-site.
var ErrMultisite = errors.New("WordPress multisite networks are not supported")

// ErrNoPrefix is wrapped when a dump holds no WordPress tables.
var ErrNoPrefix = errors.New("no WordPress tables found in the database dump")

// maxConfigSize bounds how much of wp-config.php or version.php Ferry reads: real ones
// are a few kilobytes, and a huge file at that name is not a config.
const maxConfigSize = 1 << 20

// Site is what DetectFiles found.
type Site struct {
	// Root is the WordPress folder inside the tree ("." or "public_html").
	Root string
	// Version is $wp_version from wp-includes/version.php ("6.4.3").
	Version string
	// ConfigPath is where wp-config.php was found: in Root, or one level up as
	// WordPress allows; "" when the site has none.
	ConfigPath string
	// SamplePath is wp-config-sample.php's path when present (for ConfigFromSample).
	SamplePath string
	// Config is the parsed wp-config.php with included files merged in.
	Config Config
	// MissingIncludes lists files wp-config.php includes that are not in the tree.
	MissingIncludes []string
	// Multisite is set for a multisite network; DetectFiles then also returns an error
	// wrapping ErrMultisite.
	Multisite bool
}

var versionRE = regexp.MustCompile(`\$wp_version\s*=\s*['"]([^'"]+)['"]\s*;`)

// DetectFiles checks that dir of tree holds WordPress: wp-includes/version.php (for
// the version), wp-content/, and wp-config.php in dir or one level up. It returns an
// error wrapping ErrNotWordPress when the core folders are missing, ErrMultisite for
// a network, and the tree's own error (login, timeout) when the tree fails.
func DetectFiles(ctx context.Context, tree transfer.Tree, dir string) (Site, error) {
	dir = path.Clean(strings.TrimPrefix(dir, "/"))
	if dir == "" {
		dir = "."
	}
	site := Site{Root: dir}
	verPath := path.Join(dir, "wp-includes", "version.php")
	ver, err := readSmall(ctx, tree, verPath)
	if errors.Is(err, transfer.ErrNotFound) {
		return site, fmt.Errorf("%w: %s has no wp-includes/version.php", ErrNotWordPress, displayDir(dir))
	}
	if err != nil {
		return site, fmt.Errorf("read %s: %w", verPath, err)
	}
	m := versionRE.FindSubmatch(ver)
	if m == nil {
		return site, fmt.Errorf("%w: %s does not say which WordPress version it is", ErrNotWordPress, verPath)
	}
	site.Version = string(m[1])

	content, err := tree.Stat(ctx, path.Join(dir, "wp-content"))
	if errors.Is(err, transfer.ErrNotFound) || err == nil && !content.IsDir {
		return site, fmt.Errorf("%w: %s has no wp-content folder", ErrNotWordPress, displayDir(dir))
	}
	if err != nil {
		return site, fmt.Errorf("stat %s: %w", path.Join(dir, "wp-content"), err)
	}

	candidates := []string{path.Join(dir, "wp-config.php")}
	if dir != "." {
		candidates = append(candidates, path.Join(path.Dir(dir), "wp-config.php"))
	}
	for _, p := range candidates {
		src, err := readSmall(ctx, tree, p)
		if errors.Is(err, transfer.ErrNotFound) {
			continue
		}
		if err != nil {
			return site, fmt.Errorf("read %s: %w", p, err)
		}
		cfg, err := ParseConfig(src)
		if err != nil {
			return site, fmt.Errorf("read %s: %w", p, err)
		}
		site.ConfigPath = p
		for _, inc := range cfg.Includes {
			incPath := path.Join(path.Dir(p), inc)
			b, err := readSmall(ctx, tree, incPath)
			if errors.Is(err, transfer.ErrNotFound) || errors.Is(err, transfer.ErrInvalidPath) {
				site.MissingIncludes = append(site.MissingIncludes, incPath)
				continue
			}
			if err != nil {
				return site, fmt.Errorf("read %s: %w", incPath, err)
			}
			if inner, err := ParseConfig(b); err == nil {
				cfg.Merge(inner)
			}
		}
		site.Config = cfg
		break
	}
	sample := path.Join(dir, "wp-config-sample.php")
	if _, err := tree.Stat(ctx, sample); err == nil {
		site.SamplePath = sample
	}
	if site.Config.Multisite {
		site.Multisite = true
		return site, fmt.Errorf("%w: %s sets MULTISITE", ErrMultisite, site.ConfigPath)
	}
	return site, nil
}

func displayDir(dir string) string {
	if dir == "." {
		return "the folder"
	}
	return dir
}

// readSmall reads a file of at most maxConfigSize bytes.
func readSmall(ctx context.Context, tree transfer.Tree, p string) ([]byte, error) {
	rc, err := tree.Open(ctx, p, 0)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxConfigSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxConfigSize {
		return nil, fmt.Errorf("%s is larger than %d bytes", p, maxConfigSize)
	}
	return b, nil
}

// coreTables are the tables every single-site WordPress has, without prefix.
var coreTables = []string{
	"options", "posts", "postmeta", "users", "usermeta", "terms", "term_taxonomy",
	"term_relationships", "termmeta", "comments", "commentmeta", "links",
}

// DumpInfo is what a database dump says about the site.
type DumpInfo struct {
	// Prefix is the table prefix ("wp_").
	Prefix string `json:"prefix"`
	// OtherPrefixes lists further WordPress installs sharing the database.
	OtherPrefixes []string `json:"otherPrefixes,omitempty"`
	SiteURL       string   `json:"siteUrl"`
	Home          string   `json:"home"`
	Multisite     bool     `json:"multisite"`
}

// DetectPrefix finds the WordPress table prefix among table names: the prefix under
// which the most core tables exist, options and posts required. It also returns the
// prefixes of other installs in the same database, and ErrNoPrefix when none is found.
func DetectPrefix(tables []string) (string, []string, error) {
	have := map[string]bool{}
	for _, t := range tables {
		have[t] = true
	}
	score := map[string]int{}
	for _, t := range tables {
		if !strings.HasSuffix(t, "options") {
			continue
		}
		p := strings.TrimSuffix(t, "options")
		if !have[p+"posts"] {
			continue
		}
		// A multisite sub-site's tables (wp_2_options) belong to the main prefix.
		if isSubsitePrefix(p, have) {
			continue
		}
		for _, c := range coreTables {
			if have[p+c] {
				score[p]++
			}
		}
	}
	if len(score) == 0 {
		return "", nil, fmt.Errorf("%w: no table pair like wp_options and wp_posts", ErrNoPrefix)
	}
	prefixes := make([]string, 0, len(score))
	for p := range score {
		prefixes = append(prefixes, p)
	}
	sort.Slice(prefixes, func(i, j int) bool {
		if score[prefixes[i]] != score[prefixes[j]] {
			return score[prefixes[i]] > score[prefixes[j]]
		}
		return prefixes[i] < prefixes[j]
	})
	if len(prefixes) == 1 {
		return prefixes[0], nil, nil
	}
	return prefixes[0], prefixes[1:], nil
}

// isSubsitePrefix reports "wp_2_" when "wp_" with a blogs table exists.
func isSubsitePrefix(p string, have map[string]bool) bool {
	trimmed := strings.TrimSuffix(p, "_")
	i := strings.LastIndexByte(trimmed, '_')
	if i < 0 || i == len(trimmed)-1 {
		return false
	}
	for _, c := range trimmed[i+1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return have[trimmed[:i+1]+"blogs"]
}

// DetectDump tells which site a dump holds from its table names and the values of its
// siteurl and home options (options maps option_name to option_value; the SQL side
// reads them). Multisite is detected from the network tables and reported as an error
// wrapping ErrMultisite along with the info.
func DetectDump(tables []string, options map[string]string) (DumpInfo, error) {
	prefix, others, err := DetectPrefix(tables)
	if err != nil {
		return DumpInfo{}, err
	}
	info := DumpInfo{Prefix: prefix, OtherPrefixes: others,
		SiteURL: strings.TrimSpace(options["siteurl"]), Home: strings.TrimSpace(options["home"])}
	have := map[string]bool{}
	for _, t := range tables {
		have[t] = true
	}
	if have[prefix+"blogs"] || have[prefix+"site"] || have[prefix+"sitemeta"] {
		info.Multisite = true
		return info, fmt.Errorf("%w: the dump has the network tables %sblogs and %ssite", ErrMultisite, prefix, prefix)
	}
	return info, nil
}
