// Package phptest lets tests ask PHP itself: the php-cli binary, and whether PHP's
// unserialize() accepts values. When php is missing a test is skipped, except under
// CI=true where it fails: CI must run the PHP checks (make test installs php-cli).
package phptest

import (
	"bytes"
	"encoding/base64"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// PHP returns the php binary, or skips (fails under CI=true) when it is missing.
func PHP(t testing.TB) string {
	t.Helper()
	php, err := exec.LookPath("php")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("php-cli is required under CI=true: %v", err)
		}
		t.Skip("php-cli not installed")
	}
	return php
}

// Accepts runs PHP's unserialize() with allowed_classes=false on each value and reports
// which ones it accepted.
func Accepts(t testing.TB, values []string) []bool {
	t.Helper()
	php := PHP(t)
	var in bytes.Buffer
	for _, v := range values {
		in.WriteString(base64.StdEncoding.EncodeToString([]byte(v)))
		in.WriteByte('\n')
	}
	const script = `while (($l = fgets(STDIN)) !== false) {
  $v = base64_decode(trim($l));
  $r = @unserialize($v, ['allowed_classes' => false]);
  echo ($r !== false || $v === 'b:0;') ? "1\n" : "0\n";
}`
	cmd := exec.Command(php, "-d", "error_reporting=0", "-r", script)
	cmd.Stdin = &in
	out, err := cmd.Output()
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	require.Len(t, lines, len(values))
	res := make([]bool, len(values))
	for i, l := range lines {
		res[i] = l == "1"
	}
	return res
}
