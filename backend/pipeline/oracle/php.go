package oracle

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/wordpress/phpserial/phptest"
)

// Config evaluates a wp-config.php with PHP (minus its require of wp-settings.php) and
// returns the database settings PHP sees.
func Config(t testing.TB, path string) WPConfig {
	t.Helper()
	php := phptest.PHP(t)
	const script = `$src = file_get_contents($argv[1]);
$src = preg_replace('~require_once\s+ABSPATH\s*\.\s*[\'"]wp-settings\.php[\'"]\s*;~', '', $src);
$src = preg_replace('~^<\?php~', '', $src);
eval($src);
echo json_encode(['name' => DB_NAME, 'user' => DB_USER, 'password' => DB_PASSWORD, 'host' => DB_HOST, 'prefix' => $table_prefix]);`
	cmd := exec.Command(php, "-d", "display_errors=stderr", "-r", script, path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "php evaluates %s: %s", path, stderr.String())
	var c WPConfig
	require.NoError(t, json.Unmarshal(out, &c), "php printed %q", out)
	return c
}

// Rewrite returns each value with oldURL rewritten to newURL the way WordPress itself
// would have to do it: strings that PHP's unserialize() accepts are unserialized, walked
// (recursively, serialized-inside-serialized too), rewritten and serialize()d again, so
// every length is PHP's own; other text is rewritten in plain and JSON-escaped
// (http:\/\/) spellings of http://, https:// and protocol-relative URLs of the old host
// (www. or not), leaving hosts that only contain the old one (bold.test,
// old.testing.com, old.test:8080) alone. A value nothing changed in is returned as is.
//
// oldURL must be a root URL (scheme and host, no path): the sites the tests migrate.
func Rewrite(t testing.TB, values []string, oldURL, newURL string) []string {
	t.Helper()
	if len(values) == 0 {
		return nil
	}
	php := phptest.PHP(t)
	oldHost := oldURL[strings.Index(oldURL, "//")+2:]
	require.NotContains(t, strings.TrimRight(oldHost, "/"), "/", "oracle.Rewrite handles root URLs only")
	var in bytes.Buffer
	for _, v := range values {
		in.WriteString(base64.StdEncoding.EncodeToString([]byte(v)))
		in.WriteByte('\n')
	}
	const script = `$oldHost = preg_quote(preg_replace('~^www\.~', '', rtrim(getenv('ORACLE_OLD_HOST'), '/')), '~');
$new = rtrim(getenv('ORACLE_NEW_URL'), '/');
$rel = preg_replace('~^https?:~', '', $new);
$end = '(?![A-Za-z0-9_-]|\.[A-Za-z0-9]|:[0-9])';
function rep_text($s) {
  global $oldHost, $new, $rel, $end;
  foreach (['/', '\\/'] as $sl) {
    $q = preg_quote($sl, '~');
    $pat = '~(https?:)?' . $q . $q . '(?:www\.)?' . $oldHost . $end . '~';
    $s = preg_replace_callback($pat, function ($m) use ($sl, $new, $rel) {
      $to = (isset($m[1]) && $m[1] !== '') ? $new : $rel;
      return str_replace('/', $sl, $to);
    }, $s);
  }
  return $s;
}
function walk($v) {
  if (is_string($v)) {
    $u = @unserialize($v, ['allowed_classes' => false]);
    if ($u !== false || $v === 'b:0;') {
      $w = walk($u);
      return $w === $u ? $v : serialize($w);
    }
    return rep_text($v);
  }
  if (is_array($v)) {
    $o = [];
    foreach ($v as $k => $x) { $o[$k] = walk($x); }
    return $o;
  }
  return $v;
}
while (($l = fgets(STDIN)) !== false) {
  echo base64_encode(walk(base64_decode(trim($l)))), "\n";
}`
	cmd := exec.Command(php, "-d", "error_reporting=E_ALL", "-d", "display_errors=stderr", "-r", script)
	cmd.Env = append(os.Environ(), "ORACLE_OLD_HOST="+oldHost, "ORACLE_NEW_URL="+newURL)
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "php: %s", stderr.String())
	require.Empty(t, stderr.String(), "php warnings")
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	require.Len(t, lines, len(values))
	res := make([]string, len(values))
	for i, l := range lines {
		b, err := base64.StdEncoding.DecodeString(l)
		require.NoError(t, err)
		res[i] = string(b)
	}
	return res
}
