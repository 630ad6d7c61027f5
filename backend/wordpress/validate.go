package wordpress

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"ferry/backend/transfer"
	"ferry/backend/wordpress/phpserial"
)

// Check is one validation result: a short name, whether it passed, and one plain
// sentence the admin can act on.
type Check struct {
	Name    string `json:"name"`
	OK      bool   `json:"ok"`
	Message string `json:"message"`
}

// Names of the validation checks, stable for the report.
const (
	CheckRowCounts  = "row_counts"
	CheckFiles      = "files"
	CheckSerialized = "serialized_values"
	CheckSiteURL    = "site_url"
	CheckOldURL     = "old_url_left"
	CheckHTTP       = "http"
)

// ValueRef says where a database value lives, for messages.
type ValueRef struct {
	Table  string
	Column string
	// Key identifies the row: the option_name or "post 12 meta_key".
	Key string
}

// String names the value for a message: "wp_options.option_value (siteurl)".
func (r ValueRef) String() string {
	if r.Key == "" {
		return r.Table + "." + r.Column
	}
	return fmt.Sprintf("%s.%s (%s)", r.Table, r.Column, r.Key)
}

// Values walks database values: it calls fn for each and stops at fn's first error.
// The pipeline implements it over SQL rows; a read error is returned, so a check
// never passes on data it did not see.
type Values func(fn func(ref ValueRef, value []byte) error) error

// RowCounts compares the rows per table of the destination with the source's.
func RowCounts(source, dest map[string]int64) Check {
	c := Check{Name: CheckRowCounts}
	tables := make([]string, 0, len(source))
	for t := range source {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	var bad []string
	for _, t := range tables {
		d, ok := dest[t]
		switch {
		case !ok:
			bad = append(bad, fmt.Sprintf("table %s is missing on the destination", t))
		case d != source[t]:
			bad = append(bad, fmt.Sprintf("table %s has %d rows on the destination but %d on the source", t, d, source[t]))
		}
	}
	if len(bad) == 0 {
		c.OK = true
		c.Message = fmt.Sprintf("All %d tables have the same number of rows as on the source.", len(tables))
		return c
	}
	c.Message = capitalize(bad[0]) + moreSuffix(len(bad)-1, "table differs", "tables differ") + "."
	return c
}

// Files compares the destination's file manifest with the source's (both as Mirror
// writes them): same paths, sizes and SHA-256. Files only on the destination
// (wp-config.php written by Ferry, a cache) are not an error; paths in ignore (known to
// differ, such as wp-config.php after RewriteConfig) are skipped.
func Files(source, dest transfer.Manifest, ignore ...string) Check {
	c := Check{Name: CheckFiles}
	skip := map[string]bool{}
	for _, p := range ignore {
		skip[p] = true
	}
	var bad []string
	var count int
	var bytesTotal int64
	for _, s := range source.Files {
		if skip[s.Path] {
			continue
		}
		count++
		bytesTotal += s.Size
		d, ok := dest.Lookup(s.Path)
		switch {
		case !ok:
			bad = append(bad, fmt.Sprintf("file %s is missing on the destination", s.Path))
		case d.Size != s.Size:
			bad = append(bad, fmt.Sprintf("file %s is %d bytes on the destination but %d on the source", s.Path, d.Size, s.Size))
		case !strings.EqualFold(d.SHA256, s.SHA256):
			bad = append(bad, fmt.Sprintf("file %s differs from the source (SHA-256 mismatch)", s.Path))
		}
	}
	if len(bad) == 0 {
		c.OK = true
		c.Message = fmt.Sprintf("All %d files (%d bytes) match the source.", count, bytesTotal)
		return c
	}
	c.Message = capitalize(bad[0]) + moreSuffix(len(bad)-1, "file differs", "files differ") + "."
	return c
}

// SerializedValues checks that every value WordPress would unserialize (options, post
// meta) still parses. knownBroken is how many were already damaged on the source
// (Replacer.Stats().Broken), so the message can say the migration did not cause them.
func SerializedValues(values Values, knownBroken int64) (Check, error) {
	c := Check{Name: CheckSerialized}
	var total, bad int
	var first ValueRef
	err := values(func(ref ValueRef, v []byte) error {
		t := bytes.TrimSpace(v)
		if !phpserial.LooksSerialized(t) {
			return nil
		}
		total++
		if !phpserial.Valid(t) {
			if bad == 0 {
				first = ref
			}
			bad++
		}
		return nil
	})
	if err != nil {
		return c, fmt.Errorf("read values for the serialized check: %w", err)
	}
	if bad == 0 {
		c.OK = true
		switch total {
		case 0:
			c.Message = "No serialized values to check."
		case 1:
			c.Message = "The one serialized value parses."
		default:
			c.Message = fmt.Sprintf("All %d serialized values parse.", total)
		}
		return c, nil
	}
	c.Message = fmt.Sprintf("%d of %d serialized values do not parse, the first in %s", bad, total, first)
	if knownBroken > 0 {
		c.Message += fmt.Sprintf("; %d were already damaged on the source", knownBroken)
	}
	c.Message += "."
	return c, nil
}

// SiteURL checks that the siteurl and home options equal the new URL.
func SiteURL(siteurl, home, newURL string) Check {
	c := Check{Name: CheckSiteURL}
	want := strings.TrimRight(strings.TrimSpace(newURL), "/")
	var bad []string
	for _, o := range []struct{ name, v string }{{"siteurl", siteurl}, {"home", home}} {
		if !strings.EqualFold(strings.TrimRight(strings.TrimSpace(o.v), "/"), want) {
			bad = append(bad, fmt.Sprintf("%s is %q", o.name, o.v))
		}
	}
	if len(bad) == 0 {
		c.OK = true
		c.Message = fmt.Sprintf("siteurl and home are %s.", want)
		return c
	}
	c.Message = fmt.Sprintf("The site URL was not updated: %s, expected %s.", strings.Join(bad, " and "), want)
	return c
}

// OldURLLeft checks that no value still holds a URL of the old site in any of the
// forms the Replacer rewrites (plain, JSON-escaped, URL-encoded, www or not).
func (r *Replacer) OldURLLeft(values Values) (Check, error) {
	c := Check{Name: CheckOldURL}
	var n int
	var first ValueRef
	err := values(func(ref ValueRef, v []byte) error {
		if !bytes.Contains(v, r.needle) {
			return nil
		}
		if r.hasOldURL(v) {
			if n == 0 {
				first = ref
			}
			n++
		}
		return nil
	})
	if err != nil {
		return c, fmt.Errorf("read values for the old URL check: %w", err)
	}
	if n == 0 {
		c.OK = true
		c.Message = fmt.Sprintf("No value links to the old URL %s any more.", r.oldURL)
		return c, nil
	}
	c.Message = fmt.Sprintf("%d values still link to the old URL %s, the first in %s.", n, r.oldURL, first)
	return c, nil
}

// HTTPCheck describes the optional request to the new site.
type HTTPCheck struct {
	// URL is the new site URL; the page must answer 200 and contain it.
	URL string
	// IP, when set, is where to connect instead of what DNS says, so the check works
	// before the domain moves ("203.0.113.7" or "[2001:db8::1]").
	IP string
	// Timeout bounds the whole request; 0 means 30 seconds.
	Timeout time.Duration
	// Transport is the base transport to clone (nil: http.DefaultTransport); tests set
	// it to trust their server's certificate.
	Transport *http.Transport
}

// maxPageSize bounds how much of the page is read to look for the URL.
const maxPageSize = 8 << 20

// HTTP fetches the new site's URL (through IP when set, keeping the host name for TLS
// and the Host header) and checks that it answers 200 and that the page contains the
// new URL, which proves it is the moved WordPress and not a parking page.
func HTTP(ctx context.Context, hc HTTPCheck) Check {
	c := Check{Name: CheckHTTP}
	u, err := url.Parse(hc.URL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		c.Message = fmt.Sprintf("Cannot check the site: %q is not an http or https URL.", hc.URL)
		return c
	}
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport.(*http.Transport)
	}
	tr := base.Clone()
	if hc.IP != "" {
		ip := strings.Trim(hc.IP, "[]")
		if net.ParseIP(ip) == nil {
			c.Message = fmt.Sprintf("Cannot check the site: %q is not an IP address.", hc.IP)
			return c
		}
		host := u.Hostname()
		dialer := &net.Dialer{Timeout: 10 * time.Second}
		tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			h, port, err := net.SplitHostPort(addr)
			if err == nil && strings.EqualFold(h, host) {
				addr = net.JoinHostPort(ip, port)
			}
			return dialer.DialContext(ctx, network, addr)
		}
	}
	timeout := hc.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	client := &http.Client{Transport: tr, Timeout: timeout}
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		c.Message = fmt.Sprintf("Cannot check the site: %v.", err)
		return c
	}
	req.Header.Set("User-Agent", "Ferry site check")
	resp, err := client.Do(req)
	if err != nil {
		via := ""
		if hc.IP != "" {
			via = " at " + hc.IP
		}
		c.Message = fmt.Sprintf("The new site %s%s did not answer: %s.", u, via, httpCause(err))
		return c
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPageSize))
	if err != nil {
		c.Message = fmt.Sprintf("The new site %s stopped sending its page: %v.", u, err)
		return c
	}
	if resp.StatusCode != http.StatusOK {
		c.Message = fmt.Sprintf("The new site %s answered %s instead of 200 OK.", u, resp.Status)
		return c
	}
	want := strings.TrimRight(u.String(), "/")
	escaped := strings.ReplaceAll(want, "/", `\/`)
	if !bytes.Contains(body, []byte(want)) && !bytes.Contains(body, []byte(escaped)) {
		c.Message = fmt.Sprintf("The new site %s answered 200 but its page does not mention %s; it may not be the moved site.", u, want)
		return c
	}
	c.OK = true
	c.Message = fmt.Sprintf("The new site %s answered 200 and its page links to itself.", u)
	return c
}

// httpCause turns a client error into a few plain words.
func httpCause(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		return "connection timeout"
	case errors.Is(err, context.Canceled):
		return "the check was stopped"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func moreSuffix(n int, one, many string) string {
	switch n {
	case 0:
		return ""
	case 1:
		return " (and 1 more " + one + ")"
	}
	return fmt.Sprintf(" (and %d more %s)", n, many)
}
