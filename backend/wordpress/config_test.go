package wordpress

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/wordpress/phpserial/phptest"
)

// detReader is a deterministic byte stream so golden files with salts are stable.
type detReader struct {
	block [32]byte
	n     int
	off   int
}

func (d *detReader) Read(p []byte) (int, error) {
	for i := range p {
		if d.off == 0 || d.off == len(d.block) {
			d.block = sha256.Sum256([]byte(fmt.Sprint("ferry-salt-", d.n)))
			d.n++
			d.off = 0
		}
		p[i] = d.block[d.off]
		d.off++
	}
	return len(p), nil
}

func configFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "config", "*.php"))
	require.NoError(t, err)
	var out []string
	for _, f := range files {
		if !strings.HasSuffix(f, ".golden.php") {
			out = append(out, f)
		}
	}
	require.GreaterOrEqual(t, len(out), 8)
	return out
}

// checkGolden compares got with testdata/config/name, rewriting it under -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", "config", name)
	if *update {
		require.NoError(t, os.WriteFile(p, got, 0o644))
	}
	want, err := os.ReadFile(p)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))
}

// configView is the golden form of a Config: what callers read from it.
type configView struct {
	DBName, DBUser, DBPassword, DBHost, DBCharset, DBCollate, TablePrefix, Home, SiteURL string
	Salts                                                                                map[string]string
	Multisite                                                                            bool
	Includes                                                                             []string
	Settings                                                                             []string
}

func viewOf(c Config) configView {
	v := configView{c.DBName, c.DBUser, c.DBPassword, c.DBHost, c.DBCharset, c.DBCollate, c.TablePrefix,
		c.Home, c.SiteURL, c.Salts, c.Multisite, c.Includes, nil}
	for name, s := range c.Settings {
		v.Settings = append(v.Settings, fmt.Sprintf("%s line=%d literal=%t env=%q value=%q", name, s.Line, s.Literal, s.Env, s.Value))
	}
	sort.Strings(v.Settings)
	return v
}

func goldenJSON(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	require.NoError(t, enc.Encode(v))
	return buf.Bytes()
}

var testChanges = Changes{
	DBName:     "new_db",
	DBUser:     "new_user",
	DBPassword: `n'ew\pa"ss$x`,
	DBHost:     "db.new.example:3307",
	OldURL:     "http://old.test",
	NewURL:     "https://www.new-site.example.com:8080/blog/",
	FreshSalts: true,
}

func TestConfigGolden(t *testing.T) {
	for _, f := range configFiles(t) {
		name := strings.TrimSuffix(filepath.Base(f), ".php")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(f)
			require.NoError(t, err)
			cfg, err := ParseConfig(src)
			require.NoError(t, err)
			checkGolden(t, name+".parsed.golden.json", goldenJSON(t, viewOf(cfg)))

			ch := testChanges
			ch.Rand = &detReader{}
			out, warns, err := RewriteConfig(src, ch)
			require.NoError(t, err)
			checkGolden(t, name+".rewritten.golden.php", out)
			checkGolden(t, name+".warnings.golden.json", goldenJSON(t, warns))
			again, err := ParseConfig(out)
			require.NoError(t, err)
			require.Equal(t, "new_db", again.DBName)
			require.Equal(t, testChanges.DBPassword, again.DBPassword)
			for _, s := range SaltNames {
				if _, ok := cfg.Settings[s]; ok || len(cfg.Includes) == 0 {
					require.Len(t, again.Salts[s], 64, s)
				}
			}
			for _, w := range warns {
				require.NotContains(t, w.Message, testChanges.DBPassword)
				require.NotContains(t, w.Message, cfg.DBPassword+"'")
			}
		})
	}
}

func TestRewriteConfigNoChangesKeepsBytes(t *testing.T) {
	for _, f := range configFiles(t) {
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		out, _, err := RewriteConfig(src, Changes{})
		require.NoError(t, err)
		require.Equal(t, string(src), string(out), f)
	}
}

func TestRewriteConfigOneValue(t *testing.T) {
	src := []byte("<?php\n// keep me\ndefine( 'DB_NAME',   \"old\"  ); # trailing\n$table_prefix='wp_';\n")
	out, warns, err := RewriteConfig(src, Changes{DBName: `it's`, TablePrefix: "new_"})
	require.NoError(t, err)
	require.Empty(t, warns)
	require.Equal(t, "<?php\n// keep me\ndefine( 'DB_NAME',   'it\\'s'  ); # trailing\n$table_prefix='new_';\n", string(out))

	// A setting the file lacks is added before the stop-editing line.
	src = []byte("<?php\ndefine('DB_NAME', 'a');\n/* That's all, stop editing! */\nrequire_once ABSPATH . 'wp-settings.php';\n")
	out, _, err = RewriteConfig(src, Changes{DBHost: "db:3307"})
	require.NoError(t, err)
	require.Equal(t, "<?php\ndefine('DB_NAME', 'a');\ndefine( 'DB_HOST', 'db:3307' );\n/* That's all, stop editing! */\nrequire_once ABSPATH . 'wp-settings.php';\n", string(out))
}

func TestParseConfigRejects(t *testing.T) {
	tests := []struct{ name, src string }{
		{"not php", "DB_NAME=wp\n"},
		{"empty", ""},
		{"unterminated string", "<?php\ndefine('DB_PASSWORD', 'hunter2);\n"},
		{"unterminated double string", "<?php\ndefine('DB_PASSWORD', \"hunter2);\n"},
		{"unterminated comment", "<?php\n/* define('DB_PASSWORD', 'hunter2');\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.src))
			require.ErrorIs(t, err, ErrConfigSyntax)
			require.NotContains(t, err.Error(), "hunter2")
			_, _, err = RewriteConfig([]byte(tc.src), testChanges)
			require.ErrorIs(t, err, ErrConfigSyntax)
		})
	}
}

func TestConfigNeverPrintsPassword(t *testing.T) {
	cfg, err := ParseConfig([]byte("<?php define('DB_PASSWORD', 'hunter2'); define('DB_NAME', 'wp');"))
	require.NoError(t, err)
	require.Equal(t, "hunter2", cfg.DBPassword)
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("config", "cfg", cfg)
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), buf.String()} {
		require.NotContains(t, s, "hunter2")
		require.Contains(t, s, "wp")
	}
}

func TestSplitDBHost(t *testing.T) {
	tests := []struct {
		in      string
		want    DBAddress
		wantErr bool
	}{
		{"localhost", DBAddress{Host: "localhost"}, false},
		{"localhost:3307", DBAddress{Host: "localhost", Port: 3307}, false},
		{"localhost:/var/run/mysqld/mysqld.sock", DBAddress{Host: "localhost", Socket: "/var/run/mysqld/mysqld.sock"}, false},
		{":/tmp/mysql.sock", DBAddress{Socket: "/tmp/mysql.sock"}, false},
		{"[::1]:3307", DBAddress{Host: "::1", Port: 3307}, false},
		{"[::1]", DBAddress{Host: "::1"}, false},
		{"::1", DBAddress{Host: "::1"}, false},
		{"db.example.com", DBAddress{Host: "db.example.com"}, false},
		{"", DBAddress{}, true},
		{"host:port", DBAddress{}, true},
		{"host:99999", DBAddress{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := SplitDBHost(tc.in)
			if tc.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestConfigFromSample(t *testing.T) {
	sample, err := os.ReadFile(filepath.Join("testdata", "config", "debian-sample.php"))
	require.NoError(t, err)
	out, _, err := ConfigFromSample(sample, Changes{DBName: "d", DBUser: "u", DBPassword: "p", DBHost: "h", TablePrefix: "x_", Rand: &detReader{}})
	require.NoError(t, err)
	cfg, err := ParseConfig(out)
	require.NoError(t, err)
	require.Equal(t, []string{"d", "u", "p", "h", "x_"}, []string{cfg.DBName, cfg.DBUser, cfg.DBPassword, cfg.DBHost, cfg.TablePrefix})
	require.NotContains(t, string(out), "put your unique phrase here")
	_, _, err = ConfigFromSample(sample, Changes{DBName: "d"})
	require.Error(t, err)
	_, _, err = ConfigFromSample([]byte("<?php\n"), Changes{DBName: "d", DBUser: "u", DBHost: "h"})
	require.ErrorIs(t, err, ErrConfigSyntax)
}

func TestCacheDropInWarnings(t *testing.T) {
	w := CacheDropInWarnings([]string{"index.php", "wp-content/object-cache.php", "./wp-content/advanced-cache.php", "wp-content/plugins/x/object-cache.php"})
	require.Len(t, w, 2)
	require.Equal(t, WarnCacheDropIn, w[0].Code)
	require.Contains(t, w[0].Message, "object-cache.php")
	require.Contains(t, w[1].Message, "advanced-cache.php")
	require.Empty(t, CacheDropInWarnings([]string{"wp-config.php"}))
}

// phpConstants includes a config with PHP itself (next to an empty wp-settings.php) and
// returns what PHP sees, with no environment variables set.
func phpConstants(t *testing.T, src []byte) map[string]string {
	t.Helper()
	php := phptest.PHP(t)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "wp-config.php"), src, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "wp-settings.php"), []byte("<?php\n"), 0o644))
	salt, err := os.ReadFile(filepath.Join("testdata", "config", "wp-salt.php"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "wp-salt.php"), salt, 0o644))
	const script = `function add_filter() {}
define('ABSPATH', dirname($argv[1]) . '/');
include $argv[1];
$out = ['$table_prefix' => isset($table_prefix) ? (string) $table_prefix : null];
foreach (get_defined_constants(true)['user'] as $k => $v) { $out[$k] = is_bool($v) ? ($v ? 'true' : 'false') : (string) $v; }
echo json_encode($out);`
	cmd := exec.Command(php, "-d", "error_reporting=0", "-r", script, filepath.Join(dir, "wp-config.php"))
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	out, err := cmd.Output()
	require.NoError(t, err)
	var m map[string]string
	require.NoError(t, json.Unmarshal(out, &m), string(out))
	return m
}

// TestConfigAgreesWithPHP runs every variant, and its rewritten form, through PHP and
// checks that each value Ferry says it can read is exactly what PHP defines.
func TestConfigAgreesWithPHP(t *testing.T) {
	for _, f := range configFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src, err := os.ReadFile(f)
			require.NoError(t, err)
			ch := testChanges
			ch.Rand = &detReader{}
			rewritten, _, err := RewriteConfig(src, ch)
			require.NoError(t, err)
			for _, b := range [][]byte{src, rewritten} {
				cfg, err := ParseConfig(b)
				require.NoError(t, err)
				php := phpConstants(t, b)
				checked := 0
				for name, s := range cfg.Settings {
					if !s.Literal && s.Env == "" {
						continue
					}
					want, ok := php[name]
					require.True(t, ok, "PHP did not define %s", name)
					require.Equal(t, want, s.Value, name)
					checked++
				}
				require.Positive(t, checked)
			}
		})
	}
}

func FuzzParseConfig(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "config", "*.php"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("<?php define('DB_NAME', 'a\\'b'); $table_prefix = \"x\";"))
	f.Fuzz(func(t *testing.T, src []byte) {
		cfg, err := ParseConfig(src)
		if err != nil {
			return
		}
		out, _, err := RewriteConfig(src, Changes{})
		require.NoError(t, err)
		require.Equal(t, src, out, "no changes must keep every byte")
		s, ok := cfg.Settings["DB_NAME"]
		if !ok || !s.Literal {
			return
		}
		const v = `n'e\w"$x`
		out, _, err = RewriteConfig(src, Changes{DBName: v})
		require.NoError(t, err)
		again, err := ParseConfig(out)
		require.NoError(t, err)
		require.Equal(t, v, again.DBName)
		require.Equal(t, src[:s.start], out[:s.start], "bytes before the value must not change")
		require.Equal(t, src[s.end:], out[len(out)-(len(src)-s.end):], "bytes after the value must not change")
	})
}
