package report

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// tool returns the path of a poppler-utils program. Outside CI a missing tool skips the
// test; under CI=true it fails it, since CI must check the PDF.
func tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing: apt-get install poppler-utils", name)
		}
		t.Skipf("%s is missing: apt-get install poppler-utils", name)
	}
	return p
}

// PDFText extracts the text of a PDF with pdftotext, in reading order.
func pdfText(t testing.TB, pdf []byte) string {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "r.pdf")
	require.NoError(t, os.WriteFile(in, pdf, 0o644))
	out, err := exec.Command(tool(t, "pdftotext"), "-enc", "UTF-8", in, "-").CombinedOutput()
	require.NoError(t, err, string(out))
	return string(out)
}

// renderPage renders one page to PNG with pdftoppm and returns its path.
func renderPage(t testing.TB, pdf []byte, page int, dir string) string {
	t.Helper()
	in := filepath.Join(dir, "r.pdf")
	require.NoError(t, os.WriteFile(in, pdf, 0o644))
	prefix := filepath.Join(dir, "page")
	n := strings.TrimSpace(strings.Repeat(" ", 0) + itoa(page))
	out, err := exec.Command(tool(t, "pdftoppm"), "-png", "-r", "80", "-f", n, "-l", n, "-singlefile", in, prefix).CombinedOutput()
	require.NoError(t, err, string(out))
	return prefix + ".png"
}

func itoa(n int) string { return thousands(int64(n)) }

// requireHas fails when text lacks want, without printing the whole text.
func requireHas(t testing.TB, text, want string) {
	t.Helper()
	if !strings.Contains(text, want) {
		t.Fatalf("the PDF text lacks %q", want)
	}
}

// requireHasNot fails when text contains s, without printing the whole text.
func requireHasNot(t testing.TB, text, s string) {
	t.Helper()
	if strings.Contains(text, s) {
		t.Fatalf("the PDF text contains %q", s)
	}
}

// squash joins the text's whitespace so assertions do not depend on pdftotext's layout.
func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

func TestWritePDFText(t *testing.T) {
	ms := sample()
	var b bytes.Buffer
	require.NoError(t, WritePDF(&b, ms, PDFOptions{GeneratedAt: t0, Title: "March migrations"}))
	require.True(t, bytes.HasPrefix(b.Bytes(), []byte("%PDF-")))
	text := squash(pdfText(t, b.Bytes()))
	s := Summarise(ms)
	for _, want := range []string{
		"March migrations",
		"Generated 2025-03-14 09:26:53 UTC",
		"3 migrations",
		"Bytes moved", humanBytes(s.BytesMoved), // 13.4 GB
		"Rows imported", thousands(s.Rows), // 2,010,635
		"Files uploaded", thousands(s.Files),
		"Total duration", humanDuration(s.TotalDuration),
		"Median duration", humanDuration(s.MedianDuration),
		"URL replacements", thousands(s.Replacements),
		"1 with failures",
		thousands(s.BytesMoved) + " bytes",
		"例え.テスト",       // CJK domain
		"Zoë Ångström", // accented owner
		"山田太郎",
		"#7 例え.テスト", "#8 café.example.org", "#9 zoe.example.com",
		"SFTP deploy@old.example.com:22 /var/www/html · MySQL wp@127.0.0.1:3306/wp via SSH",
		"wp_posts (120) guid 60 60",
		"52 files · 85.3 kB",
		"3 tables · 185 rows · 40.1 kB",
		"GET https://café.example.org/ returned 503 Service Unavailable",
		"A caching drop-in (advanced-cache.php) was found",
		"Download files Completed",
		"Page 1 of",
	} {
		requireHas(t, text, want)
	}
	require.True(t, regexp.MustCompile(`Page 1 of \d+`).MatchString(text), "page numbers in the footer")
	requireHasNot(t, text, "{nb}")
	requireHasNot(t, text, "\uFFFD") // every rune of the sample has a glyph
}

func TestWritePDFRepeatableAndAnonymised(t *testing.T) {
	var a, b bytes.Buffer
	require.NoError(t, WritePDF(&a, sample(), PDFOptions{GeneratedAt: t0}))
	require.NoError(t, WritePDF(&b, sample(), PDFOptions{GeneratedAt: t0}))
	require.True(t, bytes.Equal(a.Bytes(), b.Bytes()), "the same input and date give the same file")

	var c bytes.Buffer
	require.NoError(t, WritePDF(&c, Anonymise(sample()), PDFOptions{Anonymised: true}))
	text := squash(pdfText(t, c.Bytes()))
	requireHas(t, text, "owners anonymised")
	requireHas(t, text, "Customer 2")
	requireHasNot(t, text, "Zoë")
	requireHasNot(t, text, "taro@example.jp")
}

func TestWritePDFLatinOnlySkipsCJKFont(t *testing.T) {
	ms := sample()[2:]
	var b bytes.Buffer
	require.NoError(t, WritePDF(&b, ms, PDFOptions{}))
	require.Less(t, b.Len(), 200_000, "the CJK font is embedded only when needed")
	const cjkFont = "/BaseFont /utf8" + famCJK
	require.False(t, bytes.Contains(b.Bytes(), []byte(cjkFont)))
	var c bytes.Buffer
	require.NoError(t, WritePDF(&c, sample()[:1], PDFOptions{}))
	require.True(t, bytes.Contains(c.Bytes(), []byte(cjkFont)))
}

func TestWritePDFManyPagesAndLongText(t *testing.T) {
	var ms []Migration
	for i := range 40 {
		m := sample()[i%3]
		m.ID = int64(i + 1)
		m.Warnings = append(m.Warnings, strings.Repeat("a-very-long-token-without-spaces/", 12), strings.Repeat("長い警告 ", 60))
		ms = append(ms, m)
	}
	var b bytes.Buffer
	require.NoError(t, WritePDF(&b, ms, PDFOptions{}))
	text := squash(pdfText(t, b.Bytes()))
	requireHas(t, text, "#40 ")
	requireHas(t, text, "40 migrations")
	pages := regexp.MustCompile(`Page (\d+) of (\d+)`).FindAllStringSubmatch(text, -1)
	require.Greater(t, len(pages), 20)
	last := pages[len(pages)-1]
	require.Equal(t, last[1], last[2], "the last page says it is the last")
}

// TestWritePDFPageImage renders the cover and the first section to PNG. FERRY_REPORT_PNG
// names a folder to keep them in for a look.
func TestWritePDFPageImage(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WritePDF(&b, sample(), PDFOptions{GeneratedAt: t0, Location: time.UTC}))
	dir := os.Getenv("FERRY_REPORT_PNG")
	if dir == "" {
		dir = t.TempDir()
	}
	for _, page := range []int{1, 2} {
		sub := filepath.Join(dir, "p"+itoa(page))
		require.NoError(t, os.MkdirAll(sub, 0o755))
		png := renderPage(t, b.Bytes(), page, sub)
		body, err := os.ReadFile(png)
		require.NoError(t, err)
		require.True(t, bytes.HasPrefix(body, []byte("\x89PNG")))
		require.Greater(t, len(body), 10_000, "a page with text on it")
	}
}
