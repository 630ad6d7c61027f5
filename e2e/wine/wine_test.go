//go:build wine

// Package wine runs the Windows build of Ferry (build/bin/ferry.exe) under Wine: its
// version, an empty list on a fresh data folder and a manual migration into a C:\ folder
// and the MariaDB on 127.0.0.1. Run it with make windows-check, which builds ferry.exe
// first; FERRY_EXE names another binary and WINEPREFIX a prefix to reuse.
package wine

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"ferry/backend/mysqldb/mysqltest"
	"ferry/backend/pipeline/sitetest"
)

const newURL = "https://www.new-site.example.com:8080/blog"

// prefix returns a Wine prefix ready to run Go programs: created with wineboot, with the
// ProcessPrng stand-in of build/windows/wine/ in its system32 (see the comment there).
func prefix(t *testing.T) string {
	t.Helper()
	pfx := os.Getenv("WINEPREFIX")
	if pfx == "" {
		pfx = filepath.Join(t.TempDir(), "wine")
	}
	sys32 := filepath.Join(pfx, "drive_c", "windows", "system32")
	if _, err := os.Stat(filepath.Join(sys32, "bcryptprimitives.dll")); err == nil {
		return pfx
	}
	cmd := exec.Command("wineboot", "--init")
	cmd.Env = wineEnv(pfx)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "wineboot: %s", out)
	src := filepath.Join("..", "..", "build", "windows", "wine")
	out, err = exec.Command("x86_64-w64-mingw32-gcc", "-O2", "-shared", "-o", filepath.Join(sys32, "bcryptprimitives.dll"),
		filepath.Join(src, "bcryptprimitives.c"), filepath.Join(src, "bcryptprimitives.def"), "-ladvapi32").CombinedOutput()
	require.NoError(t, err, "build the ProcessPrng stand-in: %s", out)
	return pfx
}

func wineEnv(pfx string) []string {
	env := []string{"WINEPREFIX=" + pfx, "WINEDEBUG=-all", "WINEDLLOVERRIDES=mscoree,mshtml="}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "PATH", "HOME", "USER", "LANG", "TMPDIR":
			env = append(env, kv)
		}
	}
	return env
}

// ferry runs ferry.exe under Wine and returns its exit code, stdout and stderr.
func ferry(t *testing.T, pfx string, args ...string) (int, string, string) {
	t.Helper()
	return ferryWith(t, pfx, nil, args...)
}

// ferryWith is ferry with extra environment variables (NAME=value).
func ferryWith(t *testing.T, pfx string, env []string, args ...string) (int, string, string) {
	t.Helper()
	exe := os.Getenv("FERRY_EXE")
	if exe == "" {
		exe = filepath.Join("..", "..", "build", "bin", "ferry.exe")
	}
	exe, err := filepath.Abs(exe)
	require.NoError(t, err)
	_, err = os.Stat(exe)
	require.NoError(t, err, "build ferry.exe first: make windows")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "wine", append([]string{exe}, args...)...)
	cmd.Env = append(wineEnv(pfx), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if err != nil {
		require.ErrorAs(t, err, &ee, "wine %v: %s", args, stderr.String())
	}
	t.Logf("wine ferry.exe %s → exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), cmd.ProcessState.ExitCode(), stdout.String(), stderr.String())
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

// winPath is the Windows name of a Linux path: Wine maps / to drive Z:.
func winPath(p string) string { return `Z:` + strings.ReplaceAll(p, "/", `\`) }

func TestFerryExe(t *testing.T) {
	pfx := prefix(t)
	appData := func() string {
		m, _ := filepath.Glob(filepath.Join(pfx, "drive_c", "users", "*", "AppData", "Roaming"))
		require.Len(t, m, 1)
		return m[0]
	}

	code, out, _ := ferry(t, pfx, "--version")
	require.Equal(t, 0, code)
	require.Regexp(t, `^ferry \S+ windows/amd64\n$`, out)

	code, out, _ = ferry(t, pfx, "frobnicate")
	require.Equal(t, 2, code)
	require.Empty(t, out)

	// A fresh data folder: %APPDATA%\Ferry is created with an empty history.
	require.NoError(t, os.RemoveAll(filepath.Join(appData(), "Ferry")))
	code, out, _ = ferry(t, pfx, "list")
	require.Equal(t, 0, code)
	require.Contains(t, out, "In Progress: 0   Failed: 0   Successful: 0")
	require.FileExists(t, filepath.Join(appData(), "Ferry", "ferry.db"))
	if _, err := os.Stat(filepath.Join(appData(), "Ferry", "history.key")); err == nil {
		t.Log("the history key went to the key file (no credential manager answered)")
	} else {
		t.Log("the history key went to the Windows credential manager")
	}

	// A manual migration into C:\sites\example and a fresh MariaDB database.
	srcCfg, srcName := sitetest.SourceDB(t)
	site := sitetest.WriteSite(t, t.TempDir(), srcName, srcCfg.User, srcCfg.Passwd, srcCfg.Addr, sitetest.Options{})
	// A file whose C:\sites\example\… path is past MAX_PATH (260 characters).
	deep := filepath.Join(append([]string{"wp-content", "uploads"}, slices.Repeat([]string{"a-rather-long-folder-name-for-paths"}, 8)...)...)
	require.NoError(t, os.MkdirAll(filepath.Join(site.Dir, deep), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(site.Dir, deep, "deep.txt"), []byte("deep\n"), 0o644))
	zipPath, sqlPath := sitetest.Zip(t, site.Dir), sitetest.Dump(t, srcCfg)
	dstDSN, dstName := mysqltest.NewDatabase(t)
	dstCfg := mysqltest.Config(t, dstDSN)
	host, port, _ := strings.Cut(dstCfg.Addr, ":")
	docroot := filepath.Join(pfx, "drive_c", "sites", "example")
	require.NoError(t, os.RemoveAll(docroot))
	require.NoError(t, os.MkdirAll(docroot, 0o755))
	spec := map[string]any{
		"method": "manual", "userName": "Jane Doe", "userEmail": "jane@example.com", "service": "Business 10GB",
		"domain": "new-site.example.com", "newUrl": newURL,
		"destination": map[string]any{
			"protocol": "local", "path": `C:\sites\example`,
			"db": map[string]any{"host": host, "port": json.Number(port), "user": dstCfg.User, "password": "env:DST_DB_PASS", "name": dstName},
		},
		"files": []string{winPath(zipPath), winPath(sqlPath)},
	}
	b, err := json.Marshal(spec)
	require.NoError(t, err)
	specPath := filepath.Join(t.TempDir(), "job.json")
	require.NoError(t, os.WriteFile(specPath, b, 0o600))
	code, out, errOut := ferryWith(t, pfx, []string{"DST_DB_PASS=" + dstCfg.Passwd}, "migrate", "--spec", winPath(specPath))
	require.Equal(t, 0, code, "stderr: %s", errOut)
	require.Regexp(t, `^\d+\n$`, out, "migrate prints the migration's ID")

	cfg, err := os.ReadFile(filepath.Join(docroot, "wp-config.php"))
	require.NoError(t, err)
	require.Contains(t, string(cfg), "'"+dstName+"'")
	menu, err := os.ReadFile(filepath.Join(docroot, "wp-content", "uploads", "2024", "01", "café menu.txt"))
	require.NoError(t, err)
	require.Equal(t, "crème brûlée — 12 €\n", string(menu))
	long := filepath.Join(docroot, deep, "deep.txt")
	require.Greater(t, len(`C:\sites\example\`+deep+`\deep.txt`), 260)
	b, err = os.ReadFile(long)
	require.NoError(t, err)
	require.Equal(t, "deep\n", string(b))
	db, err := sql.Open("mysql", dstDSN)
	require.NoError(t, err)
	defer db.Close()
	var posts int
	require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM wp_posts").Scan(&posts))
	require.Equal(t, 60, posts)
	var home string
	require.NoError(t, db.QueryRow("SELECT option_value FROM wp_options WHERE option_name='home'").Scan(&home))
	require.Equal(t, newURL, home)
	var old int
	require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM wp_posts WHERE post_content LIKE '%http://old.test/%'").Scan(&old))
	require.Zero(t, old)

	code, out, _ = ferry(t, pfx, "list", "--tab", "successful")
	require.Equal(t, 0, code)
	require.Contains(t, out, "new-site.example.com")

	// A site holding aux.php cannot go to a Windows folder: refused before any write.
	require.NoError(t, os.WriteFile(filepath.Join(site.Dir, "wp-content", "aux.php"), []byte("<?php\n"), 0o644))
	badZip := sitetest.Zip(t, site.Dir)
	bad := filepath.Join(pfx, "drive_c", "sites", "bad")
	require.NoError(t, os.MkdirAll(bad, 0o755))
	_, badDB := mysqltest.NewDatabase(t)
	spec["destination"].(map[string]any)["path"] = `C:\sites\bad`
	spec["destination"].(map[string]any)["db"].(map[string]any)["name"] = badDB
	spec["files"] = []string{winPath(badZip), winPath(sqlPath)}
	b, err = json.Marshal(spec)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(specPath, b, 0o600))
	code, _, errOut = ferryWith(t, pfx, []string{"DST_DB_PASS=" + dstCfg.Passwd}, "migrate", "--spec", winPath(specPath))
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "File names Windows cannot hold")
	require.Contains(t, errOut, "'wp-content/aux.php' ('aux.php') is reserved on Windows (AUX is a device name)")
	entries, err := os.ReadDir(bad)
	require.NoError(t, err)
	require.Empty(t, entries, "nothing was written")
}
