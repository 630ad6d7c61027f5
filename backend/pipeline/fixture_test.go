package pipeline_test

import (
	"testing"

	"ferry/backend/pipeline/sitetest"
)

// oldURL and newURL differ in length on purpose: that is what breaks naive
// search-replace of serialized data.
const (
	oldURL = sitetest.OldURL
	newURL = "https://www.new-site.example.com:8080/blog"
)

// siteOptions is the size of the pipeline tests' site: 40 uploads of 2–9.6 kB.
var siteOptions = sitetest.Options{Images: 40, ImageSize: 2000}

func makeSite(t testing.TB, dbName, dbUser, dbPass, dbHost string) sitetest.Site {
	t.Helper()
	return sitetest.WriteSite(t, t.TempDir(), dbName, dbUser, dbPass, dbHost, siteOptions)
}

// makeSiteIn writes the site into dir (overwriting the files it has).
func makeSiteIn(t *testing.T, dir, dbName, dbUser, dbPass, dbHost string) sitetest.Site {
	t.Helper()
	return sitetest.WriteSite(t, dir, dbName, dbUser, dbPass, dbHost, siteOptions)
}
