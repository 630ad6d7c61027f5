package cli

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"database/sql"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	ftpserver "github.com/fclairamb/ftpserverlib"
	"github.com/spf13/afero"
	"github.com/stretchr/testify/require"
	gossh "golang.org/x/crypto/ssh"

	"ferry/backend/mysqldb/mysqltest"
	"ferry/backend/pipeline/oracle"
	"ferry/backend/pipeline/sitetest"
	"ferry/backend/service"
	"ferry/backend/store"
	"ferry/backend/transfer/transfertest"
)

// limitedFTP is an FTP server that lets at most max users log in at once, as a shared
// host's server does: the next login is refused with 530 "maximum number of users". It
// counts the logged-in sessions itself and remembers the most it ever had.
type limitedFTP struct {
	root string
	max  int

	mu       sync.Mutex
	sessions map[uint32]bool
	peak     int
	refused  int
	// wrap, when set, wraps each login's file system (a test holding writes midway).
	wrap func(afero.Fs) afero.Fs
}

func (d *limitedFTP) GetSettings() (*ftpserver.Settings, error) {
	return &ftpserver.Settings{ListenAddr: "127.0.0.1:0", DisableMLSD: true, DisableMLST: true,
		DefaultTransferType: ftpserver.TransferTypeBinary, DisableASCIIConversion: true, IdleTimeout: 60, ConnectionTimeout: 10}, nil
}

func (d *limitedFTP) ClientConnected(ftpserver.ClientContext) (string, error) {
	return "Ferry test FTP server", nil
}

func (d *limitedFTP) ClientDisconnected(cc ftpserver.ClientContext) {
	d.mu.Lock()
	delete(d.sessions, cc.ID())
	d.mu.Unlock()
}

func (d *limitedFTP) AuthUser(cc ftpserver.ClientContext, user, pass string) (ftpserver.ClientDriver, error) {
	if user != transfertest.User || pass != transfertest.Password {
		return nil, errors.New("login incorrect")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.sessions) >= d.max {
		d.refused++
		return nil, fmt.Errorf("maximum number of users (%d) reached", d.max)
	}
	d.sessions[cc.ID()] = true
	d.peak = max(d.peak, len(d.sessions))
	fs := afero.NewBasePathFs(afero.NewOsFs(), d.root)
	if d.wrap != nil {
		return d.wrap(fs), nil
	}
	return fs, nil
}

func (d *limitedFTP) GetTLSConfig() (*tls.Config, error) { return nil, errors.New("tls not enabled") }

func (d *limitedFTP) stats() (peak, refused int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.peak, d.refused
}

func startLimitedFTP(t *testing.T, root string, limit int) (*limitedFTP, int) {
	t.Helper()
	d := &limitedFTP{root: root, max: limit, sessions: map[uint32]bool{}}
	s := ftpserver.NewFtpServer(d)
	require.NoError(t, s.Listen())
	go func() { _ = s.Serve() }()
	t.Cleanup(func() { _ = s.Stop() })
	_, port, err := net.SplitHostPort(s.Addr())
	require.NoError(t, err)
	n, err := strconv.Atoi(port)
	require.NoError(t, err)
	return d, n
}

// grant gives user every privilege on db.
func grant(t *testing.T, user, db string) {
	t.Helper()
	conn, err := sql.Open("mysql", mysqltest.ServerDSN(t))
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.Exec("GRANT ALL PRIVILEGES ON `" + db + "`.* TO '" + user + "'@'%'")
	require.NoError(t, err)
}

// batchSites is a batch of n generated sites under one SFTP source and one FTP
// destination whose server admits at most ftpLimit logins at once.
type batchSites struct {
	spec, sites       string
	srcRoot, destRoot string
	srcDBs, dstDBs    []string
	domains           []string
	src, dst          service.DatabaseInput
	ftp               *limitedFTP
}

func newBatchSites(t *testing.T, n, ftpLimit int) batchSites {
	t.Helper()
	b := batchSites{srcRoot: t.TempDir(), destRoot: t.TempDir()}
	var srcCfgAddr string
	for i := 1; i <= n; i++ {
		cfg, name := sitetest.SourceDB(t)
		srcCfgAddr = cfg.Addr
		b.srcDBs = append(b.srcDBs, name)
		_, dst := mysqltest.NewDatabase(t)
		b.dstDBs = append(b.dstDBs, dst)
		b.domains = append(b.domains, fmt.Sprintf("site%02d.example.org", i))
	}
	srcUser, srcPass := mysqltest.NewUser(t, b.srcDBs[0])
	dstUser, dstPass := mysqltest.NewUser(t, b.dstDBs[0])
	for i := 1; i < n; i++ {
		grant(t, srcUser, b.srcDBs[i])
		grant(t, dstUser, b.dstDBs[i])
	}
	host, portText, err := net.SplitHostPort(srcCfgAddr)
	require.NoError(t, err)
	port, err := strconv.Atoi(portText)
	require.NoError(t, err)
	b.src = service.DatabaseInput{Host: host, Port: port, User: srcUser, Password: srcPass}
	b.dst = service.DatabaseInput{Host: host, Port: port, User: dstUser, Password: dstPass}
	var rows strings.Builder
	rows.WriteString("domain,new_url,source_path,source_db,dest_path,dest_db,owner,service\n")
	for i := 1; i <= n; i++ {
		dir := filepath.Join(b.srcRoot, fmt.Sprintf("site%02d", i))
		sitetest.WriteSite(t, dir, b.srcDBs[i-1], srcUser, srcPass, srcCfgAddr, sitetest.Options{Images: 3, ImageSize: 2000})
		srcDB := b.srcDBs[i-1]
		if i%4 == 0 {
			srcDB = "" // read from wp-config.php
		}
		fmt.Fprintf(&rows, "%s,%s,%s,%s,/site%02d,%s,Owner %d <owner%d@example.org>,Business 10GB\n",
			b.domains[i-1], b.newURL(i-1), dir, srcDB, i, b.dstDBs[i-1], i, i)
	}
	sftpSrv := transfertest.StartSFTP(t, b.srcRoot, transfertest.SFTPOptions{})
	var ftpPort int
	b.ftp, ftpPort = startLimitedFTP(t, b.destRoot, ftpLimit)
	keyFile := filepath.Join(t.TempDir(), "id_ed25519")
	require.NoError(t, os.WriteFile(keyFile, sftpSrv.PrivateKey, 0o600))
	spec := map[string]any{
		"name": "old-host-move", "method": "sftp",
		"source": map[string]any{
			"protocol": "sftp", "host": sftpSrv.Host, "port": sftpSrv.Port, "user": sftpSrv.User, "privateKey": "file:" + keyFile,
			"db": map[string]any{"host": host, "port": port, "user": srcUser, "password": "env:FERRY_T_BATCH_SRC_DB"},
		},
		"destination": map[string]any{
			"protocol": "ftp", "host": "127.0.0.1", "port": ftpPort, "user": transfertest.User, "password": "env:FERRY_T_BATCH_FTP",
			"db": map[string]any{"host": host, "port": port, "user": dstUser, "password": "env:FERRY_T_BATCH_DST_DB"},
		},
	}
	raw, err := json.MarshalIndent(spec, "", "  ")
	require.NoError(t, err)
	dir := t.TempDir()
	b.spec = filepath.Join(dir, "batch.json")
	b.sites = filepath.Join(dir, "sites.csv")
	require.NoError(t, os.WriteFile(b.spec, raw, 0o600))
	require.NoError(t, os.WriteFile(b.sites, []byte(rows.String()), 0o600))
	t.Setenv("FERRY_T_BATCH_SRC_DB", srcPass)
	t.Setenv("FERRY_T_BATCH_FTP", transfertest.Password)
	t.Setenv("FERRY_T_BATCH_DST_DB", dstPass)
	return b
}

func (b batchSites) newURL(i int) string {
	return fmt.Sprintf("https://www.%s:8443/blog", b.domains[i])
}

// requireMigrated checks every site at the destination itself: the files against the
// source's, the rows against the source's with the URL rewritten.
func (b batchSites) requireMigrated(t *testing.T) {
	t.Helper()
	for i := range b.domains {
		src := filepath.Join(b.srcRoot, fmt.Sprintf("site%02d", i+1))
		dst := filepath.Join(b.destRoot, fmt.Sprintf("site%02d", i+1))
		oracle.Files(t, src, dst, "wp-config.php")
		cfg := oracle.Config(t, filepath.Join(dst, "wp-config.php"))
		require.Equal(t, b.dstDBs[i], cfg.Name, "site %d's wp-config.php names its own database", i+1)
		s := b.src
		s.Name = b.srcDBs[i]
		oracle.Rows(t, openDB(t, s), oracle.Login(t, cfg), sitetest.OldURL, b.newURL(i))
	}
}

// TestBatchUnderAConnectionLimit moves 12 sites from one SFTP source to one FTP
// destination whose server admits 4 logins at once. Ferry starts with a budget of 8, is
// refused, lowers the budget once (and says so once), and every site ends Successful.
func TestBatchUnderAConnectionLimit(t *testing.T) {
	dataDir := historyDir(t)
	b := newBatchSites(t, 12, 4)
	// The budget meets the server's limit only when two migrations' uploads overlap:
	// uploads of a few milliseconds sometimes did not, and nothing was refused.
	b.ftp.wrap = func(fs afero.Fs) afero.Fs { return slowFs{Fs: fs, delay: 30 * time.Millisecond} }
	start := time.Now()
	code, out, errOut := runLocked("batch", "--spec", b.spec, "--sites", b.sites)
	took := time.Since(start)
	require.Equal(t, ExitOK, code, errOut)
	require.Equal(t, "1\n", out, "the batch ID on stdout")
	t.Logf("12 sites in %s", took.Round(time.Millisecond))
	peak, refused := b.ftp.stats()
	t.Logf("FTP server: at most %d sessions at once, %d logins refused", peak, refused)
	require.LessOrEqual(t, peak, 4)
	require.Positive(t, refused, "the budget of 8 must have met the server's limit")
	require.Equal(t, 1, strings.Count(errOut, "allows "), errOut)
	for _, l := range strings.Split(errOut, "\n") {
		if strings.Contains(l, "allows ") {
			t.Log(l)
		}
	}
	require.Regexp(t, `127\.0\.0\.1:\d+ allows [1-4] connections: lowered from 8`, errOut)
	require.Contains(t, errOut, "Batch 1 (old-host-move): 12 successful, 0 failed of 12 sites")
	for _, v := range []string{b.src.Password, b.dst.Password, transfertest.Password} {
		require.NotContains(t, errOut, v, "a secret reached the terminal")
	}
	b.requireMigrated(t)

	// The lowering is in the log of exactly one migration, once.
	st, err := store.Open(t.Context(), dataDir)
	require.NoError(t, err)
	defer st.Close()
	lowered := 0
	for id := int64(1); id <= 12; id++ {
		lines, err := st.Logs(t.Context(), id, 0, 10000)
		require.NoError(t, err)
		for _, l := range lines {
			if strings.Contains(l.Message, "allows ") {
				lowered++
			}
		}
	}
	require.Equal(t, 1, lowered)

	code, out, _ = run("list", "--tab", "successful", "--batch", "old-host-move", "--json")
	require.Equal(t, ExitOK, code)
	var page service.ListResult
	require.NoError(t, json.Unmarshal([]byte(out), &page))
	require.Equal(t, 12, page.Total)
}

// TestBatchRowsAreCheckedFirst gives a sites file with three bad rows: each is named with
// its line and column, the exit code is a usage error, and no migration is created; with
// --check a good file prints its preview and starts nothing either.
func TestBatchRowsAreCheckedFirst(t *testing.T) {
	historyDir(t)
	dir := t.TempDir()
	key := filepath.Join(dir, "id_ed25519")
	require.NoError(t, os.WriteFile(key, newKeyPEM(t), 0o600))
	spec := filepath.Join(dir, "batch.json")
	require.NoError(t, os.WriteFile(spec, []byte(`{
  "method": "sftp",
  "source": {"protocol": "sftp", "host": "old-host.example.net", "user": "reseller", "privateKey": "file:`+key+`",
             "db": {"host": "127.0.0.1", "user": "reseller", "password": "env:FERRY_T_BATCH_PW"}},
  "destination": {"protocol": "ftp", "host": "new-host.example.com", "user": "deploy", "password": "env:FERRY_T_BATCH_PW",
                  "db": {"host": "127.0.0.1", "user": "deploy", "password": "env:FERRY_T_BATCH_PW"}}
}`), 0o600))
	t.Setenv("FERRY_T_BATCH_PW", "Pw-not-a-real-one")
	sites := filepath.Join(dir, "sites.csv")
	require.NoError(t, os.WriteFile(sites, []byte(
		"domain,new_url,source_path,source_db,dest_path,dest_db,owner,service\n"+
			"a.example.org,https://a.example.org,/home/r/a,a_db,/a,a_wp,Ann <ann@example.org>,Starter\n"+
			"b.example.org,ftp://b.example.org,/home/r/b,,/b,b_wp,bob@example.org,Starter\n"+
			"c.example.org,https://c.example.org,/home/r/c,c_db,/a,c_wp,carol@example.org,Starter\n"+
			"d.example.org,https://d.example.org,/home/r/d,d_db,/d,d-wp!,not-an-email,Starter\n"), 0o600))
	code, out, errOut := run("batch", "--spec", spec, "--sites", sites)
	require.Equal(t, ExitUsage, code, errOut)
	require.Empty(t, out)
	require.Contains(t, errOut, sites+":3: column new_url: ")
	require.Contains(t, errOut, sites+`:4: column dest_path: "/a" is also on line 2`)
	require.Contains(t, errOut, sites+":5: column dest_db: ")
	require.Contains(t, errOut, sites+":5: column owner: ")
	require.NotContains(t, errOut, sites+":2:", "line 2 is fine")
	require.Contains(t, errOut, "4 problems; nothing was started")
	require.NotContains(t, errOut, "Pw-not-a-real-one")
	for _, tab := range []string{"in_progress", "failed", "successful"} {
		code, out, _ = run("list", "--tab", tab, "--json")
		require.Equal(t, ExitOK, code)
		require.Contains(t, out, `"total": 0`, "nothing was created")
	}

	// --check on a file of good rows prints each site and starts nothing.
	require.NoError(t, os.WriteFile(sites, []byte(
		"domain,new_url,source_path,source_db,dest_path,dest_db,owner,service\n"+
			"a.example.org,https://a.example.org,/home/r/a,a_db,/a,a_wp,Ann <ann@example.org>,Starter\n"+
			"b.example.org,https://b.example.org,/home/r/b,,/b,b_wp,bob@example.org,Starter\n"), 0o600))
	code, out, errOut = run("batch", "--spec", spec, "--sites", sites, "--check")
	require.Equal(t, ExitOK, code, errOut)
	require.Contains(t, out, "a.example.org")
	require.Contains(t, out, "(wp-config.php)", "an empty source_db is read from wp-config.php")
	require.Contains(t, out, "2 sites are valid; nothing was started")
	code, out, _ = run("list", "--tab", "in_progress", "--json")
	require.Equal(t, ExitOK, code)
	require.Contains(t, out, `"total": 0`)

	// A header that misses a column is named before any row is read.
	require.NoError(t, os.WriteFile(sites, []byte("domain,new_url\na.example.org,https://a.example.org\n"), 0o600))
	code, _, errOut = run("batch", "--spec", spec, "--sites", sites)
	require.Equal(t, ExitUsage, code)
	require.Contains(t, errOut, sites+":1: column source_path: missing from the header row")
}

func newKeyPEM(t *testing.T) []byte {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	block, err := gossh.MarshalPrivateKey(priv, "")
	require.NoError(t, err)
	return pem.EncodeToMemory(block)
}

// TestBatchResumesAfterKill9 kills `ferry batch` once its first site is done, then runs
// `ferry batch --resume`: every site ends Successful, and the sites finished before the
// kill are not run again.
func TestBatchResumesAfterKill9(t *testing.T) {
	dataDir := t.TempDir()
	t.Setenv("FERRY_KEYRING", "off")
	b := newBatchSites(t, 8, 4)
	c := startFerry(t, dataDir, "batch", "--spec", b.spec, "--sites", b.sites)
	select {
	case <-c.seen("): completed"):
	case <-time.After(2 * time.Minute):
		t.Fatalf("no site completed; log:\n%s", c.log())
	}
	c.kill9(t)

	type finished struct{ completedAt, updatedAt int64 }
	done := map[int64]finished{}
	st, err := store.Open(t.Context(), dataDir)
	require.NoError(t, err)
	sites, err := st.BatchSites(t.Context(), 1)
	require.NoError(t, err)
	require.Len(t, sites, 8)
	for _, s := range sites {
		if s.MigrationID == 0 {
			continue
		}
		rec, err := st.Get(t.Context(), s.MigrationID)
		require.NoError(t, err)
		if rec.Status == "successful" {
			done[rec.ID] = finished{rec.CompletedAt.UnixMilli(), rec.UpdatedAt.UnixMilli()}
		}
	}
	require.NoError(t, st.Close())
	require.NotEmpty(t, done)
	require.Less(t, len(done), 8, "the kill came after the whole batch; nothing left to resume")
	t.Logf("%d of 8 sites were Successful at the kill", len(done))

	code, out, errOut := runFerry(t, dataDir, "batch", "--resume", "old-host-move")
	require.Equal(t, ExitOK, code, errOut)
	require.Equal(t, "1\n", out)
	for _, l := range strings.Split(errOut, "\n") {
		if strings.Contains(l, "resumed:") {
			t.Log(l)
		}
	}
	require.Contains(t, errOut, "Batch 1 (old-host-move): 8 successful, 0 failed of 8 sites")
	b.requireMigrated(t)

	st, err = store.Open(t.Context(), dataDir)
	require.NoError(t, err)
	defer st.Close()
	for id, f := range done {
		rec, err := st.Get(t.Context(), id)
		require.NoError(t, err)
		require.Equal(t, f, finished{rec.CompletedAt.UnixMilli(), rec.UpdatedAt.UnixMilli()}, "migration %d was finished before the kill and ran again", id)
	}
}
