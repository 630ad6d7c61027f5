package agent_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/mysqldb"
	"ferry/backend/mysqldb/mysqltest"
)

// The agent's dump is the direct route's dump, byte for byte, and so is the database an
// import through the agent leaves.
func TestDumpAndImportMatchDirect(t *testing.T) {
	src := sourceDSN(t, 3000)
	docroot := t.TempDir()
	url := startPHP(t, docroot)
	a := deploy(t, url, docroot, src, nil, 0)

	direct := dump(t, openDirect(t, src))
	viaAgent := dump(t, openAgent(t, a, mysqltest.Config(t, src).DBName))
	require.Greater(t, len(direct), 100000)
	require.Equal(t, string(direct), string(viaAgent), "the agent's dump differs from the direct dump")

	// import the same dump directly into one database and through an agent into another
	dstA, _ := mysqltest.NewDatabase(t)
	dstB, nameB := mysqltest.NewDatabase(t)
	ctx := context.Background()
	_, err := mysqldb.Import(ctx, openDirect(t, dstA), bytes.NewReader(direct), mysqldb.ImportOptions{})
	require.NoError(t, err)
	b := deploy(t, url, docroot, dstB, nil, 0)
	st, err := mysqldb.Import(ctx, openAgent(t, b, nameB), bytes.NewReader(direct), mysqldb.ImportOptions{TextInserts: true})
	require.NoError(t, err)
	require.EqualValues(t, 3000, st.RowsPerTable["big"])
	require.Equal(t, string(withoutName(dump(t, openDirect(t, dstA)))), string(withoutName(dump(t, openDirect(t, dstB)))),
		"the database imported through the agent differs from the one imported directly")
}

// With max_execution_time=2 a dump still completes: rows come in many short slices.
func TestDumpInSlicesUnderExecutionLimit(t *testing.T) {
	src := sourceDSN(t, 30000)
	docroot := t.TempDir()
	url := startPHP(t, docroot, "max_execution_time=2")
	c := &counter{base: http.DefaultTransport}
	a := deploy(t, url, docroot, src, c, 30*time.Millisecond)
	require.Equal(t, 2*time.Second, a.MaxExecution)

	viaAgent := dump(t, openAgent(t, a, mysqltest.Config(t, src).DBName))
	require.Equal(t, string(dump(t, openDirect(t, src))), string(viaAgent))
	require.GreaterOrEqual(t, c.count("slice"), 10, "expected the rows in many slices")
}

// A slice response cut off mid-way is asked for again from the same cursor: the dump has
// every row once.
func TestCutSliceIsRetriedWithoutDuplicates(t *testing.T) {
	src := sourceDSN(t, 20000)
	docroot := t.TempDir()
	url := startPHP(t, docroot)
	c := &counter{base: http.DefaultTransport}
	a := deploy(t, url, docroot, src, c, 20*time.Millisecond)
	n := c.n.Load()
	c.cutAt, c.cutLen = n+12, 70000 // a request well inside the rows of table big

	viaAgent := dump(t, openAgent(t, a, mysqltest.Config(t, src).DBName))
	require.Equal(t, 1, c.cuts, "no response was cut")
	require.Equal(t, string(dump(t, openDirect(t, src))), string(viaAgent))
	require.Equal(t, 20000, bytes.Count(viaAgent, []byte("http://old.test/x')")))
}

// Requests without a valid signature get the 404 any missing page gets.
func TestBadSignatureGets404(t *testing.T) {
	src, _ := mysqltest.NewDatabase(t)
	docroot := t.TempDir()
	url := startPHP(t, docroot)
	a := deploy(t, url, docroot, src, nil, 0)
	body := []byte("\x00\x00\x00\x04ping")
	post := func(ts, sig string) int {
		req, err := http.NewRequest(http.MethodPost, a.URL(), bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("X-Ferry-Time", ts)
		req.Header.Set("X-Ferry-Sig", sig)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	now := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte("not the key"))
	mac.Write([]byte(now + "\n"))
	mac.Write(body)
	require.Equal(t, 404, post(now, hex.EncodeToString(mac.Sum(nil))))
	require.Equal(t, 404, post(now, ""))
	require.Equal(t, 404, post("", "00"))
	resp, err := http.Get(a.URL())
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 404, resp.StatusCode)
	require.NoError(t, a.Ping(context.Background()), "a signed request still works")
}

// Remove deletes the file; an agent left idle deletes itself at its next request.
func TestRemoveAndIdleSelfDelete(t *testing.T) {
	src, _ := mysqltest.NewDatabase(t)
	docroot := t.TempDir()
	url := startPHP(t, docroot)
	a := deploy(t, url, docroot, src, nil, 0)
	path := filepath.Join(docroot, a.Path())
	require.FileExists(t, path)
	require.NoError(t, a.Remove(context.Background()))
	require.NoFileExists(t, path)

	b := deploy(t, url, docroot, src, nil, 0)
	path = filepath.Join(docroot, b.Path())
	old := time.Now().Add(-16 * time.Minute)
	require.NoError(t, os.Chtimes(path, old, old))
	require.Error(t, b.Ping(context.Background()))
	require.NoFileExists(t, path, "an idle agent must delete itself")
}
