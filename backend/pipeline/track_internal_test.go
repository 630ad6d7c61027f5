package pipeline

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/events"
	"ferry/backend/migration"
	"ferry/backend/mysqldb/mysqltest"
)

// freshDestination makes an empty destination database and a migration (id) of
// http://old.test to https://new.test that imports into it.
func freshDestination(t *testing.T, id int64) (migration.Migration, *sql.DB) {
	t.Helper()
	dsn, name := mysqltest.NewDatabase(t)
	cfg := mysqltest.Config(t, dsn)
	host, portText, _ := strings.Cut(cfg.Addr, ":")
	port, err := strconv.Atoi(portText)
	require.NoError(t, err)
	m := migration.Migration{ID: id, Method: migration.MethodSFTP, OldURL: "http://old.test", NewURL: "https://new.test",
		Destination: migration.Endpoint{DB: migration.Database{Host: host, Port: port, User: cfg.User, Password: cfg.Passwd, Name: name}}}
	dst, err := sql.Open("mysql", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { dst.Close() })
	return m, dst
}

// growingFile makes a dump file as the export does: its writer, the growth it reports,
// and a reader that follows it.
func growingFile(t *testing.T) (*growthWriter, *growth, *growingReader) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "database.sql.part")
	f, err := os.Create(path)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	g := newGrowth()
	rf, err := openShared(path)
	require.NoError(t, err)
	t.Cleanup(func() { rf.Close() })
	g.create(rf)
	return &growthWriter{f: f, g: g}, g, &growingReader{f: g.waitCreated(), g: g}
}

// TestDumpReaderOutlivesTheRename: an export quick enough to finish and rename
// database.sql.part before the import looked at it leaves the import its whole dump (the
// import used to open the file by name then, and found nothing on a loaded machine).
func TestDumpReaderOutlivesTheRename(t *testing.T) {
	w, g, _ := growingFile(t)
	_, err := w.Write([]byte("CREATE TABLE a (x int);\n"))
	require.NoError(t, err)
	part := w.f.Name()
	require.NoError(t, os.Rename(part, strings.TrimSuffix(part, ".part")))
	// the import asks for its file only now, after the rename
	r := &growingReader{f: g.waitCreated(), g: g}
	_, err = w.Write([]byte("INSERT INTO a VALUES (1);\n"))
	require.NoError(t, err)
	g.finish(nil)
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	require.Equal(t, "CREATE TABLE a (x int);\nINSERT INTO a VALUES (1);\n", string(got))
}

type recordLog struct {
	mu    sync.Mutex
	lines []string
}

func (r *recordLog) Logf(_ slog.Level, format string, args ...any) {
	r.mu.Lock()
	r.lines = append(r.lines, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

func (r *recordLog) Progress(events.Progress) {}

// TestImportReadsTheDumpAsItGrows feeds a real import from a dump file another goroutine is
// still writing, as the database track does: the first table must be committed while the
// dump is still growing (the writer waits for it before going on), and when the export then
// fails the import fails with it, keeps the finished table and drops the one it had begun.
func TestImportReadsTheDumpAsItGrows(t *testing.T) {
	m, dst := freshDestination(t, 1)
	count := func(table string) int {
		var n int
		if err := dst.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
			return -1
		}
		return n
	}

	w, g, gr := growingFile(t)
	sawFirst := make(chan bool, 1)
	go func() {
		fmt.Fprint(w, "-- Ferry dump of database `src` (format 1)\n/*!40101 SET NAMES utf8mb4 */;\n\n"+
			"CREATE TABLE `wp_a` (id int NOT NULL, v text, PRIMARY KEY (id));\n\n"+
			"CREATE TABLE `wp_b` (id int NOT NULL, v text, PRIMARY KEY (id));\n\n"+
			"INSERT INTO `wp_a` VALUES (1,'see http://old.test/a'),(2,'x');\n"+
			"-- ferry:table-done `wp_a` rows=2\n"+
			// the marker belongs to the statement after it: the import acts on it once
			// that one is complete
			"INSERT INTO `wp_b` VALUES (1,'y');\n")
		ok := false
		for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			if count("wp_a") == 2 {
				ok = true
				break
			}
		}
		sawFirst <- ok
		fmt.Fprint(w, "INSERT INTO `wp_b` VALUES (2,'z');\n")
		time.Sleep(100 * time.Millisecond)
		g.finish(errors.New("lost the connection to the source database"))
	}()

	log := &recordLog{}
	p := &Pipeline{}
	err := p.importDump(context.Background(), m, log, gr, g.size, 0)
	require.True(t, <-sawFirst, "wp_a was committed while the dump was still being written")
	require.Error(t, err)
	require.ErrorIs(t, err, errExportFailed)
	require.Equal(t, 2, count("wp_a"), "the table the dump finished stays")
	require.Equal(t, -1, count("wp_b"), "the table the dump had begun is dropped")
	var v string
	require.NoError(t, dst.QueryRow("SELECT v FROM wp_a WHERE id = 1").Scan(&v))
	require.Equal(t, "see https://new.test/a", v, "the URL rewrite ran on the stream")
	require.Contains(t, strings.Join(log.lines, "\n"), "removed the tables it had not finished: wp_b")
}

// TestGrowingReaderEndsWithTheWriter checks the reader alone: it returns every byte in
// order, waits at the current end, and reports io.EOF only once the writer finished.
func TestGrowingReaderEndsWithTheWriter(t *testing.T) {
	w, g, gr := growingFile(t)
	var want strings.Builder
	for i := range 200 {
		fmt.Fprintf(&want, "line %d\n", i)
	}
	go func() {
		s := want.String()
		for len(s) > 0 {
			n := min(len(s), 97)
			_, _ = w.Write([]byte(s[:n]))
			s = s[n:]
			time.Sleep(time.Millisecond)
		}
		g.finish(nil)
	}()
	got, err := readAllGrowing(gr)
	require.NoError(t, err)
	require.Equal(t, want.String(), string(got))
}

func readAllGrowing(r *growingReader) ([]byte, error) {
	var out []byte
	buf := make([]byte, 64)
	for {
		n, err := r.Read(buf)
		out = append(out, buf[:n]...)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// memResults keeps results in memory, as the history does.
type memResults struct {
	mu sync.Mutex
	m  map[int64]json.RawMessage
}

func (r *memResults) Results(_ context.Context, id int64) (json.RawMessage, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.m[id], nil
}

func (r *memResults) SetResults(_ context.Context, id int64, v json.RawMessage) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[int64]json.RawMessage{}
	}
	r.m[id] = v
	return nil
}

// TestImportAfterACrashReplacesItsOwnTables: Ferry was killed while importing, so the
// destination holds a table that import created and no record of which tables were done.
// The next attempt must replace it rather than fail with "Table already exists"; a table of
// the same name that no import of this migration created is the admin's and is refused.
func TestImportAfterACrashReplacesItsOwnTables(t *testing.T) {
	m, dst := freshDestination(t, 7)
	exec := func(q string) {
		_, err := dst.Exec(q)
		require.NoError(t, err, q)
	}
	exec("CREATE TABLE wp_admins_own (id int NOT NULL PRIMARY KEY)")
	dump := "-- Ferry dump of database `src` (format 1)\nCREATE TABLE `wp_a` (id int NOT NULL, v text, PRIMARY KEY (id));\n" +
		"CREATE TABLE `wp_admins_own` (id int NOT NULL PRIMARY KEY);\n" +
		"INSERT INTO `wp_a` VALUES (1,'http://old.test/x'),(2,'y');\n-- ferry:table-done `wp_a` rows=2\n-- ferry:dump-complete\n"
	results := &memResults{}
	p := &Pipeline{Results: results}
	run := func(d string) error { // read as the track reads: no seeking, so no pre-scan
		return p.importDump(context.Background(), m, &recordLog{}, io.MultiReader(strings.NewReader(d)), func() int64 { return int64(len(d)) }, 0)
	}
	err := run(dump)
	require.Error(t, err)
	require.Contains(t, err.Error(), "Table 'wp_admins_own' already exists")
	res, err := p.load(context.Background(), m.ID)
	require.NoError(t, err)
	require.Equal(t, []string{"wp_a"}, res.CreatedTables, "recorded before it was created")

	// the crash: the import had created wp_a and loaded part of it, and nothing else is known
	exec("CREATE TABLE wp_a (id int NOT NULL, v text, PRIMARY KEY (id))")
	exec("INSERT INTO wp_a VALUES (1, 'half of an earlier attempt')")
	exec("DROP TABLE wp_admins_own")
	require.NoError(t, run(dump))
	var n int
	require.NoError(t, dst.QueryRow("SELECT COUNT(*) FROM wp_a").Scan(&n))
	require.Equal(t, 2, n)
}
