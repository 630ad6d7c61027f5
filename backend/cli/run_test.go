package cli

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"ferry/backend/migration"
	"ferry/backend/mysqldb/mysqltest"
	"ferry/backend/pipeline/oracle"
	"ferry/backend/pipeline/sitetest"
	"ferry/backend/service"
	"ferry/backend/transfer/transfertest"
)

const newURL = "https://www.new-site.example.com:8080/blog"

// job is a migration the CLI tests run: an SFTP source (logging in with a private key
// read from a file) holding a site whose database account is its own, an FTP destination
// with another account, and the spec file naming every secret as env: or file:.
type job struct {
	spec     string
	env      []string // NAME=value pairs the spec's env: secrets need
	srcDir   string
	destDir  string
	src, dst service.DatabaseInput
	proxy    *transfertest.Proxy // in front of the source SFTP server
}

func newJob(t *testing.T, bigFile bool) job {
	t.Helper()
	srcCfg, srcName := sitetest.SourceDB(t)
	srcUser, srcPass := mysqltest.NewUser(t, srcName)
	srcDir := t.TempDir()
	sitetest.WriteSite(t, srcDir, srcName, srcUser, srcPass, srcCfg.Addr, sitetest.Options{Images: 10, ImageSize: 3000})
	if bigFile {
		require.NoError(t, os.WriteFile(filepath.Join(srcDir, "wp-content", "uploads", "big.bin"), make([]byte, 8<<20), 0o644))
	}
	sftpSrv := transfertest.StartSFTP(t, srcDir, transfertest.SFTPOptions{})
	proxy := transfertest.StartProxy(t, sftpSrv.Addr())
	destDir := t.TempDir()
	ftpSrv := transfertest.StartFTP(t, destDir, transfertest.FTPOptions{DisableMLSD: true})
	_, dstName := mysqltest.NewDatabase(t)
	dstUser, dstPass := mysqltest.NewUser(t, dstName)
	host, portText, err := net.SplitHostPort(srcCfg.Addr)
	require.NoError(t, err)
	port, err := strconv.Atoi(portText)
	require.NoError(t, err)
	keyFile := filepath.Join(t.TempDir(), "id_ed25519")
	require.NoError(t, os.WriteFile(keyFile, sftpSrv.PrivateKey, 0o600))

	spec := map[string]any{
		"method": "sftp", "userName": "Zoë Admin", "userEmail": "zoe@example.com", "service": "Business 10GB",
		"domain": "new-site.example.com", "oldUrl": sitetest.OldURL, "newUrl": newURL,
		"source": map[string]any{
			"protocol": "sftp", "host": sftpSrv.Host, "port": proxy.Port(), "user": sftpSrv.User,
			"privateKey": "file:" + keyFile, "path": ".",
			"db": map[string]any{"host": host, "port": port, "user": srcUser, "password": "env:FERRY_T_SRC_DB", "name": srcName},
		},
		"destination": map[string]any{
			"protocol": "ftp", "host": ftpSrv.Host, "port": ftpSrv.Port, "user": ftpSrv.User,
			"password": "env:FERRY_T_DST_FTP", "path": "/",
			"db": map[string]any{"host": host, "port": port, "user": dstUser, "password": "env:FERRY_T_DST_DB", "name": dstName},
		},
	}
	b, err := json.MarshalIndent(spec, "", "  ")
	require.NoError(t, err)
	require.NotContains(t, string(b), srcPass, "the job file holds no password")
	path := filepath.Join(t.TempDir(), "job.json")
	require.NoError(t, os.WriteFile(path, b, 0o600))
	return job{
		spec: path, srcDir: srcDir, destDir: destDir, proxy: proxy,
		env: []string{"FERRY_T_SRC_DB=" + srcPass, "FERRY_T_DST_FTP=" + ftpSrv.Password, "FERRY_T_DST_DB=" + dstPass},
		src: service.DatabaseInput{Host: host, Port: port, User: srcUser, Password: srcPass, Name: srcName},
		dst: service.DatabaseInput{Host: host, Port: port, User: dstUser, Password: dstPass, Name: dstName},
	}
}

func (j job) setenv(t *testing.T) {
	for _, kv := range j.env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

func openDB(t *testing.T, d service.DatabaseInput) *sql.DB {
	t.Helper()
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName = d.User, d.Password, "tcp", net.JoinHostPort(d.Host, strconv.Itoa(d.Port)), d.Name
	db, err := sql.Open("mysql", cfg.FormatDSN())
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// checkMigrated checks the destination against the source with the oracle.
func (j job) checkMigrated(t *testing.T) {
	t.Helper()
	oracle.Files(t, j.srcDir, j.destDir, "wp-config.php")
	cfg := oracle.Config(t, filepath.Join(j.destDir, "wp-config.php"))
	require.Equal(t, j.dst.User, cfg.User)
	oracle.Rows(t, openDB(t, j.src), oracle.Login(t, cfg), sitetest.OldURL, newURL)
}

// lockedBuffer is a bytes.Buffer safe for the two goroutines that write the migrate
// command's stderr (the progress printer and the wait loop), as os.Stderr is.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// runLocked is run for commands that print from several goroutines.
func runLocked(args ...string) (int, string, string) {
	var out, errOut lockedBuffer
	code := Run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func historyDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("FERRY_DATA_DIR", dir)
	t.Setenv("FERRY_KEYRING", "off")
	return dir
}

// TestMigrateSpec runs `ferry migrate --spec` in-process against real servers: env: and
// file: secrets resolve, the ID is printed on stdout, the exit code is 0 for Successful
// and 1 for Failed, and `ferry list` shows each on its tab.
func TestMigrateSpec(t *testing.T) {
	historyDir(t)
	j := newJob(t, false)
	j.setenv(t)
	code, out, errOut := runLocked("migrate", "--spec", j.spec)
	require.Equal(t, ExitOK, code, errOut)
	require.Equal(t, "1\n", out, "the migration ID on stdout")
	require.Contains(t, errOut, "Migration 1 completed")
	for _, kv := range j.env {
		_, v, _ := strings.Cut(kv, "=")
		require.NotContains(t, errOut, v, "a secret reached the terminal")
	}
	j.checkMigrated(t)

	// The same job again: the destination is no longer empty, so it fails (exit 1).
	code, out, errOut = runLocked("migrate", "--spec", j.spec)
	require.Equal(t, ExitError, code, errOut)
	require.Equal(t, "2\n", out)
	require.Contains(t, errOut, "Migration 2 failed: Destination folder / is not empty")

	code, out, _ = run("list", "--tab", "successful", "--json")
	require.Equal(t, ExitOK, code)
	require.Contains(t, out, `"id": 1`)
	require.NotContains(t, out, `"id": 2`)
	code, out, _ = run("list", "--tab", "failed", "--json")
	require.Equal(t, ExitOK, code)
	require.Contains(t, out, `"id": 2`)

	// A secret the environment lacks is a usage error, before anything is created.
	t.Setenv("FERRY_T_DST_DB", "")
	require.NoError(t, os.Unsetenv("FERRY_T_DST_DB"))
	code, _, errOut = runLocked("migrate", "--spec", j.spec)
	require.Equal(t, ExitUsage, code)
	require.Contains(t, errOut, "environment variable FERRY_T_DST_DB is not set")
}

const runChildArgsEnv = "FERRY_CLI_TEST_CHILD_ARGS"

// TestRunChild is the ferry process the tests below start: it runs the command line in
// FERRY_CLI_TEST_CHILD_ARGS (JSON) and exits with its code. It does nothing otherwise.
func TestRunChild(t *testing.T) {
	raw := os.Getenv(runChildArgsEnv)
	if raw == "" {
		return
	}
	var args []string
	require.NoError(t, json.Unmarshal([]byte(raw), &args))
	os.Exit(Run(context.Background(), args, os.Stdout, os.Stderr))
}

// runChild starts this test binary as `ferry args...` with the test's environment.
func runChild(t *testing.T, env []string, args ...string) (*exec.Cmd, *bufio.Reader, *strings.Builder) {
	t.Helper()
	raw, err := json.Marshal(args)
	require.NoError(t, err)
	cmd := exec.Command(os.Args[0], "-test.run=^TestRunChild$")
	cmd.Env = append(append(os.Environ(), env...), runChildArgsEnv+"="+string(raw))
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd, bufio.NewReader(stdout), &stderr
}

func exitCode(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil {
			return 0
		}
		ee, ok := err.(*exec.ExitError)
		require.True(t, ok, "wait: %v", err)
		return ee.ExitCode()
	case <-time.After(60 * time.Second):
		t.Fatal("the ferry process did not exit")
		return -1
	}
}

// stalledMigration starts `ferry migrate` as a child process and returns once its
// download hangs mid-file on a dead link (the proxy stops forwarding).
func stalledMigration(t *testing.T, dataDir string, j job) (*exec.Cmd, int64, *strings.Builder) {
	t.Helper()
	fired := j.proxy.Inject(transfertest.Stall, 2<<20)
	cmd, stdout, stderr := runChild(t, append(j.env, "FERRY_DATA_DIR="+dataDir, "FERRY_KEYRING=off"), "migrate", "--spec", j.spec)
	line, err := stdout.ReadString('\n')
	require.NoError(t, err, "no ID on stdout; stderr: %s", stderr)
	id, err := strconv.ParseInt(strings.TrimSpace(line), 10, 64)
	require.NoError(t, err)
	select {
	case <-fired:
	case <-time.After(60 * time.Second):
		t.Fatalf("the download never reached the stall; stderr: %s", stderr)
	}
	return cmd, id, stderr
}

func migrationOf(t *testing.T, id int64) service.MigrationDetail {
	t.Helper()
	svc, err := service.Open(context.Background(), service.Config{})
	require.NoError(t, err)
	defer svc.Close()
	d, err := svc.GetMigration(context.Background(), id)
	require.NoError(t, err)
	return d
}

// TestStopFromSecondProcess: `ferry stop ID` in another process stops a migration that
// a `ferry migrate` process runs; migrate then exits 1 with "Stopped by admin", and
// `ferry retry ID` (a third process) resumes and finishes it with exit 0.
func TestStopFromSecondProcess(t *testing.T) {
	dir := historyDir(t)
	j := newJob(t, true)
	migrate, id, migErr := stalledMigration(t, dir, j)

	stop, stopOut, stopErr := runChild(t, []string{"FERRY_DATA_DIR=" + dir, "FERRY_KEYRING=off"}, "stop", strconv.FormatInt(id, 10))
	line, _ := stopOut.ReadString('\n')
	require.Equal(t, ExitOK, exitCode(t, stop), stopErr.String())
	require.Contains(t, line, fmt.Sprintf("Migration %d", id))
	require.Equal(t, ExitError, exitCode(t, migrate), migErr.String())
	require.Contains(t, migErr.String(), "Stopped by admin")
	d := migrationOf(t, id)
	require.Equal(t, string(migration.StatusFailed), d.Status)
	require.Equal(t, migration.ReasonStopped, d.FailureReason)

	retry, _, retryErr := runChild(t, append(j.env, "FERRY_DATA_DIR="+dir, "FERRY_KEYRING=off"), "retry", strconv.FormatInt(id, 10))
	require.Equal(t, ExitOK, exitCode(t, retry), retryErr.String())
	require.Equal(t, string(migration.StatusSuccessful), migrationOf(t, id).Status)
	j.checkMigrated(t)
}

// TestCtrlCStopsTheMigration sends SIGINT (Ctrl+C) to a `ferry migrate` process mid-run:
// it stops the migration ("Stopped by admin") and exits 1.
func TestCtrlCStopsTheMigration(t *testing.T) {
	dir := historyDir(t)
	j := newJob(t, true)
	migrate, id, migErr := stalledMigration(t, dir, j)
	require.NoError(t, migrate.Process.Signal(syscall.SIGINT))
	require.Equal(t, ExitError, exitCode(t, migrate), migErr.String())
	require.Contains(t, migErr.String(), fmt.Sprintf("Interrupted: stopping migration %d", id))
	d := migrationOf(t, id)
	require.Equal(t, string(migration.StatusFailed), d.Status)
	require.Equal(t, migration.ReasonStopped, d.FailureReason)
	require.Equal(t, string(migration.StepDownloadFiles), d.CurrentStep)
}
