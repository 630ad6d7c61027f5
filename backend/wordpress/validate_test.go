package wordpress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/transfer"
)

func TestRowCounts(t *testing.T) {
	src := map[string]int64{"wp_posts": 10, "wp_options": 200, "wp_users": 1}
	tests := []struct {
		name string
		dest map[string]int64
		ok   bool
		msg  string
	}{
		{"equal", map[string]int64{"wp_posts": 10, "wp_options": 200, "wp_users": 1, "wp_extra": 3}, true, "All 3 tables have the same number of rows as on the source."},
		{"one short", map[string]int64{"wp_posts": 9, "wp_options": 200, "wp_users": 1}, false, "Table wp_posts has 9 rows on the destination but 10 on the source."},
		{"missing and short", map[string]int64{"wp_posts": 9, "wp_options": 200}, false, "Table wp_posts has 9 rows on the destination but 10 on the source (and 1 more table differs)."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := RowCounts(src, tc.dest)
			require.Equal(t, Check{Name: CheckRowCounts, OK: tc.ok, Message: tc.msg}, c)
		})
	}
}

func TestFiles(t *testing.T) {
	m := func(files ...transfer.ManifestFile) transfer.Manifest { return transfer.Manifest{Files: files} }
	a := transfer.ManifestFile{Path: "index.php", Size: 5, SHA256: "aa"}
	b := transfer.ManifestFile{Path: "wp-config.php", Size: 9, SHA256: "bb"}
	c := transfer.ManifestFile{Path: "wp-content/x.jpg", Size: 100, SHA256: "cc"}
	src := m(a, b, c)
	tests := []struct {
		name   string
		dest   transfer.Manifest
		ignore []string
		ok     bool
		msg    string
	}{
		{"same", m(a, b, c), nil, true, "All 3 files (114 bytes) match the source."},
		{"config ignored", m(a, transfer.ManifestFile{Path: "wp-config.php", Size: 12, SHA256: "zz"}, c), []string{"wp-config.php"}, true, "All 2 files (105 bytes) match the source."},
		{"missing", m(a, b), nil, false, "File wp-content/x.jpg is missing on the destination."},
		{"size", m(a, b, transfer.ManifestFile{Path: c.Path, Size: 50, SHA256: "cc"}), nil, false, "File wp-content/x.jpg is 50 bytes on the destination but 100 on the source."},
		{"hash", m(transfer.ManifestFile{Path: a.Path, Size: 5, SHA256: "ff"}, b), nil, false, "File index.php differs from the source (SHA-256 mismatch) (and 1 more file differs)."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, Check{Name: CheckFiles, OK: tc.ok, Message: tc.msg}, Files(src, tc.dest, tc.ignore...))
		})
	}
}

// sliceValues feeds fixed values to a check, as the pipeline does from SQL rows.
func sliceValues(vals ...string) Values {
	return func(fn func(ValueRef, []byte) error) error {
		for i, v := range vals {
			if err := fn(ValueRef{Table: "wp_options", Column: "option_value", Key: fmt.Sprint("opt", i)}, []byte(v)); err != nil {
				return err
			}
		}
		return nil
	}
}

func TestSerializedValues(t *testing.T) {
	c, err := SerializedValues(sliceValues(`a:0:{}`, `plain`, `s:3:"abc";`), 0)
	require.NoError(t, err)
	require.Equal(t, Check{Name: CheckSerialized, OK: true, Message: "All 2 serialized values parse."}, c)

	c, err = SerializedValues(sliceValues(`a:0:{}`, `s:4:"abc";`, `s:9:"x";`), 1)
	require.NoError(t, err)
	require.False(t, c.OK)
	require.Equal(t, "2 of 3 serialized values do not parse, the first in wp_options.option_value (opt1); 1 were already damaged on the source.", c.Message)

	boom := errors.New("connection lost")
	_, err = SerializedValues(func(func(ValueRef, []byte) error) error { return boom }, 0)
	require.ErrorIs(t, err, boom)
}

func TestSiteURL(t *testing.T) {
	require.True(t, SiteURL("https://new.example/blog", "https://new.example/blog/", "https://new.example/blog/").OK)
	c := SiteURL("http://old.test", "https://new.example/blog", "https://new.example/blog")
	require.False(t, c.OK)
	require.Equal(t, `The site URL was not updated: siteurl is "http://old.test", expected https://new.example/blog.`, c.Message)
}

func TestOldURLLeft(t *testing.T) {
	r := newTestReplacer(t)
	c, err := r.OldURLLeft(sliceValues(testNew, "mail admin@old.test", "http://bold.test"))
	require.NoError(t, err)
	require.True(t, c.OK, c.Message)

	for _, left := range []string{"http://old.test/x", `http:\/\/www.old.test`, "u=http%3A%2F%2Fold.test", `s:15:"http://old.test";`, "//old.test/a.png"} {
		c, err = r.OldURLLeft(sliceValues(testNew, left))
		require.NoError(t, err)
		require.False(t, c.OK, left)
		require.Equal(t, "1 values still link to the old URL http://old.test, the first in wp_options.option_value (opt1).", c.Message)
	}
}

func TestHTTPCheck(t *testing.T) {
	const host = "www.new-site.example.com"
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h, _, _ := net.SplitHostPort(r.Host); h != host {
			http.Error(w, "unknown host "+r.Host, http.StatusNotFound)
			return
		}
		switch r.URL.Path {
		case "/blog", "/blog/":
			fmt.Fprintf(w, `<html><link rel="https://api.w.org/" href="https://%s/blog/wp-json/"></html>`, r.Host)
		case "/parked":
			fmt.Fprint(w, "<html>This domain is parked</html>")
		case "/json":
			fmt.Fprintf(w, `{"home":"https:\/\/%s\/json"}`, r.Host)
		default:
			http.Error(w, "gone", http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	srvURL, err := url.Parse(srv.URL)
	require.NoError(t, err)
	ip, port, err := net.SplitHostPort(srvURL.Host)
	require.NoError(t, err)
	tr := srv.Client().Transport.(*http.Transport)
	// The test certificate is for example.com; trust it for the site's name.
	tr.TLSClientConfig.ServerName = "example.com"
	site := func(p string) string { return "https://" + host + ":" + port + p }

	tests := []struct {
		name string
		hc   HTTPCheck
		ok   bool
		msg  string
	}{
		{"moved site", HTTPCheck{URL: site("/blog"), IP: ip, Transport: tr}, true, ""},
		{"parking page", HTTPCheck{URL: site("/parked"), IP: ip, Transport: tr}, false, "does not mention"},
		{"server error", HTTPCheck{URL: site("/broken"), IP: ip, Transport: tr}, false, "answered 500 Internal Server Error instead of 200 OK"},
		{"json escaped url", HTTPCheck{URL: site("/json"), IP: ip, Transport: tr}, true, ""},
		{"bad ip", HTTPCheck{URL: site("/blog"), IP: "not-an-ip", Transport: tr}, false, `"not-an-ip" is not an IP address`},
		{"bad url", HTTPCheck{URL: "ftp://x"}, false, "is not an http or https URL"},
		{"nobody listening", HTTPCheck{URL: "https://" + host + ":1/blog", IP: "127.0.0.1", Transport: tr, Timeout: 5 * time.Second}, false, "did not answer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := HTTP(context.Background(), tc.hc)
			require.Equal(t, CheckHTTP, c.Name)
			require.Equal(t, tc.ok, c.OK, c.Message)
			require.Contains(t, c.Message, tc.msg)
			require.True(t, strings.HasSuffix(c.Message, "."), c.Message)
		})
	}
}
