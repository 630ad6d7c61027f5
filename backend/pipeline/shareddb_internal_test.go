package pipeline

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/migration"
	"ferry/backend/mysqldb/mysqltest"
)

// TestDBServerKeyTellsOneServer: two databases are on one server when their host and port
// are; a local one (localhost, 127.0.0.1, a socket) is on its endpoint's host.
func TestDBServerKeyTellsOneServer(t *testing.T) {
	ep := func(host string) migration.Endpoint { return migration.Endpoint{Host: host} }
	db := func(host string, port int) migration.Database { return migration.Database{Host: host, Port: port} }
	for _, c := range []struct {
		a, b   migration.Endpoint
		da, db migration.Database
		same   bool
	}{
		{ep("old.example"), ep("new.example"), db("db.example", 0), db("DB.example", 3306), true},
		{ep("old.example"), ep("new.example"), db("db.example", 3306), db("db.example", 3307), false},
		{ep("old.example"), ep("new.example"), db("localhost", 0), db("localhost", 0), false},
		{ep("host.example"), ep("HOST.example"), db("localhost", 0), db("127.0.0.1", 3306), true},
		{ep("host.example"), ep("host.example"), db("localhost:/run/mysqld.sock", 0), db("localhost", 0), true},
	} {
		m := migration.Migration{Source: c.a, Destination: c.b}
		m.Destination.DB = c.db
		require.Equal(t, c.same, sharedDBServer(m, c.da), "%v %v / %v %v", c.a.Host, c.da, c.b.Host, c.db)
	}
}

// TestSharedServerImportStaysWithinItsShare: when the source's database is on the
// destination's server (here both behind one slow link, so the import would take
// farImportWorkers loaders), the import loads on sharedImportLoaders and says so, and the
// server itself never sees more connections on the destination database than its main
// one, the loaders and the index builder: the export's sharedDumpReaders and main one
// beside them make 8.
func TestSharedServerImportStaysWithinItsShare(t *testing.T) {
	var dump strings.Builder
	dump.WriteString("-- Ferry dump of database `src` (format 1)\n/*!40101 SET NAMES utf8mb4 */;\n\n")
	for i := range 8 {
		tb := fmt.Sprintf("wp_t%d", i)
		fmt.Fprintf(&dump, "CREATE TABLE `%s` (id int NOT NULL, v text, PRIMARY KEY (id), KEY v (v(8)));\n\n", tb)
		for b := range 20 {
			fmt.Fprintf(&dump, "INSERT INTO `%s` VALUES ", tb)
			for r := range 200 {
				if r > 0 {
					dump.WriteString(",")
				}
				fmt.Fprintf(&dump, "(%d,'see http://old.test/%d %s')", b*200+r+1, r, strings.Repeat("x", 300))
			}
			dump.WriteString(";\n")
		}
		fmt.Fprintf(&dump, "-- ferry:table-done `%s` rows=4000\n\n", tb)
	}
	dump.WriteString("-- ferry:dump-complete\n")

	m, dst := freshDestination(t, 11)
	th := mysqltest.NewThrottle(t, net.JoinHostPort(m.Destination.DB.Host, strconv.Itoa(m.Destination.DB.Port)), 25e6, 256<<10)
	m.Destination.DB.Host, m.Destination.DB.Port = "127.0.0.1", th.Port()
	m.Destination.Host = "127.0.0.1"
	m.Source = migration.Endpoint{Protocol: migration.ProtocolFTP, Host: "127.0.0.1", DB: m.Destination.DB}
	m.Source.DB.Name = "ferry_source_elsewhere"

	// The server's own count of connections using the destination database, every 5 ms.
	root, err := sql.Open("mysql", mysqltest.ServerDSN(t))
	require.NoError(t, err)
	defer root.Close()
	var most atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			var n int64
			if root.QueryRow("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = ?", m.Destination.DB.Name).Scan(&n) == nil && n > most.Load() {
				most.Store(n)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	})
	log := &recordLog{}
	p := &Pipeline{}
	r := strings.NewReader(dump.String())
	err = p.importDump(context.Background(), m, log, r, r.Size, 1)
	close(stop)
	wg.Wait()
	require.NoError(t, err)
	var rows int
	require.NoError(t, dst.QueryRow("SELECT COUNT(*) FROM wp_t7 WHERE v LIKE 'see https://new.test/%'").Scan(&rows))
	require.Equal(t, 4000, rows)
	require.Positive(t, most.Load(), "the sampler saw the import")
	require.LessOrEqual(t, most.Load(), int64(sharedImportLoaders+2), "connections on the destination database at once")
	require.Regexp(t, fmt.Sprintf(`importing on %d connections, compressed`, sharedImportLoaders), strings.Join(log.lines, "\n"))
	require.LessOrEqual(t, sharedDBConnections, 8)
}
