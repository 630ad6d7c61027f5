package pipeline

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/migration"
	"ferry/backend/mysqldb"
	"ferry/backend/mysqldb/mysqltest"
	"ferry/backend/transfer/transfertest"
)

// TestRoundTripTellsAFarDatabase: the round trip measured when a database is opened
// decides how many connections the database track imports on, and whether they are
// compressed. Through a 20 ms link the destination counts as far; reached directly it
// does not.
func TestRoundTripTellsAFarDatabase(t *testing.T) {
	dsn := mysqltest.ServerDSN(t)
	mc := mysqltest.Config(t, dsn)
	link := transfertest.NewDelay(t, 20*time.Millisecond)
	host, port, err := net.SplitHostPort(mc.Addr)
	require.NoError(t, err)
	for _, far := range []bool{true, false} {
		cfg := mysqldb.Config{Host: host, User: mc.User, Password: mc.Passwd}
		cfg.Port, err = strconv.Atoi(port)
		require.NoError(t, err)
		if far {
			cfg.Host, cfg.Port = "127.0.0.1", link.Listen(mc.Addr)
		}
		db, err := mysqldb.Open(context.Background(), cfg)
		require.NoError(t, err)
		rtt, compressed := db.RoundTrip(), db.Compressed()
		require.NoError(t, db.Close())
		if far {
			require.GreaterOrEqual(t, rtt, mysqldb.FarRoundTrip)
			require.True(t, compressed)
		} else {
			require.Greater(t, rtt, time.Duration(0))
			require.Less(t, rtt, mysqldb.FarRoundTrip)
			require.False(t, compressed)
		}
	}
}

// TestNearSlowLinkIsCompressed: behind a link slower than mysqldb.SlowLink (a 200 Mbit/s
// token bucket in front of the real server), the source's and the destination's
// connections are compressed, the log line says why, and the link is timed once for both.
func TestNearSlowLinkIsCompressed(t *testing.T) {
	m, _ := freshDestination(t, 7)
	th := mysqltest.NewThrottle(t, net.JoinHostPort(m.Destination.DB.Host, strconv.Itoa(m.Destination.DB.Port)), 25e6, 256<<10)
	m.Destination.DB.Host, m.Destination.DB.Port = "127.0.0.1", th.Port()
	m.Source = migration.Endpoint{Protocol: migration.ProtocolFTP, Host: "127.0.0.1", DB: m.Destination.DB}
	p := &Pipeline{Results: &memResults{}}
	ctx := withRoute(context.Background(), m, nil)

	src, err := p.openDB(ctx, m.Source, m.Source.DB, "")
	require.NoError(t, err)
	defer src.Close()
	require.Less(t, src.RoundTrip(), mysqldb.FarRoundTrip)
	require.True(t, src.Compressed(), "link %.1f MB/s", src.LinkSpeed()/1e6)
	require.Regexp(t, `^is behind a link of [0-9]+\.[0-9] MB/s$`, linkNote(src))
	t.Log(linkNote(src))

	probed := th.Down()
	dst, err := p.openDB(ctx, m.Destination, m.Destination.DB, "")
	require.NoError(t, err)
	defer dst.Close()
	require.Less(t, th.Down()-probed, int64(256<<10), "the destination, on the same server, was probed again")
	require.True(t, dst.Compressed())
	require.Equal(t, src.LinkSpeed(), dst.LinkSpeed())
}

// TestNearSlowLinkImportsOnFourConnections: the database track's import of a destination
// behind a slow link runs on farImportWorkers compressed connections, as a far one's does,
// and says so; reached directly on loopback it keeps its one plain connection and says
// nothing of the link.
func TestNearSlowLinkImportsOnFourConnections(t *testing.T) {
	var dump strings.Builder
	dump.WriteString("-- Ferry dump of database `src` (format 1)\n/*!40101 SET NAMES utf8mb4 */;\n\n")
	for _, tb := range []string{"wp_a", "wp_b", "wp_c", "wp_d"} {
		fmt.Fprintf(&dump, "CREATE TABLE `%s` (id int NOT NULL, v text, PRIMARY KEY (id));\n\n", tb)
		fmt.Fprintf(&dump, "INSERT INTO `%s` VALUES (1,'see http://old.test/a'),(2,'x');\n-- ferry:table-done `%s` rows=2\n\n", tb, tb)
	}
	dump.WriteString("-- ferry:dump-complete\n")
	for _, slow := range []bool{true, false} {
		m, dst := freshDestination(t, 9)
		if slow {
			th := mysqltest.NewThrottle(t, net.JoinHostPort(m.Destination.DB.Host, strconv.Itoa(m.Destination.DB.Port)), 25e6, 256<<10)
			m.Destination.DB.Host, m.Destination.DB.Port = "127.0.0.1", th.Port()
		}
		log := &recordLog{}
		p := &Pipeline{}
		r := strings.NewReader(dump.String())
		require.NoError(t, p.importDump(context.Background(), m, log, r, r.Size, 1))
		var v string
		require.NoError(t, dst.QueryRow("SELECT v FROM wp_d WHERE id = 1").Scan(&v))
		require.Equal(t, "see https://new.test/a", v)
		lines := strings.Join(log.lines, "\n")
		if slow {
			require.Regexp(t, `The destination database is behind a link of [0-9.]+ MB/s: importing on 4 connections, compressed, rows as INSERT text`, lines)
		} else {
			require.NotContains(t, lines, "The destination database is")
			require.Regexp(t, `The destination database's link measured [0-9]+ MB/s: its connections stay uncompressed`, lines)
		}
	}
}
