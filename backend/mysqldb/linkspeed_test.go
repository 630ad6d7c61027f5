package mysqldb

import (
	"context"
	"os/exec"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/mysqldb/mysqltest"
)

// via is cfg reaching the server through th.
func via(th *mysqltest.Throttle, cfg Config) Config {
	cfg.Host, cfg.Port = "127.0.0.1", th.Port()
	return cfg
}

// TestSlowLinkGetsCompressedConnections: a near server behind a link slower than SlowLink
// (a token bucket whose burst the probe outlasts) gets compressed connections on every
// connection, as the server's own status says; the same server reached directly on
// loopback keeps plain ones. The speed is measured once per server and process: a second
// Open through the same link moves no probe again.
func TestSlowLinkGetsCompressedConnections(t *testing.T) {
	ctx := context.Background()
	near, cfg := testDB(t)
	t.Logf("loopback: %.0f MB/s", near.LinkSpeed()/1e6)
	require.Greater(t, near.LinkSpeed(), float64(SlowLink))
	require.False(t, near.Compressed())
	require.Equal(t, []string{"OFF", "OFF", "OFF"}, compression(t, ctx, near))

	// 200 Mbit/s with a 256 KB burst, as bench/wan's loopback: the first 256 KB of a reply
	// pass at loopback speed, the rest four rows a packet.
	th := mysqltest.NewThrottle(t, cfg.Addr(), 25e6, 256<<10)
	db, err := Open(ctx, via(th, cfg))
	require.NoError(t, err)
	defer db.Close()
	t.Logf("throttled: %.1f MB/s, round trip %s", db.LinkSpeed()/1e6, db.RoundTrip())
	require.Less(t, db.RoundTrip(), FarRoundTrip)
	require.Positive(t, db.LinkSpeed())
	require.Less(t, db.LinkSpeed(), float64(SlowLink))
	require.True(t, db.Compressed())
	require.Equal(t, []string{"ON", "ON", "ON"}, compression(t, ctx, db))

	// Opened again through the same link: the speed is remembered, not measured again.
	before := th.Down()
	again, err := Open(ctx, via(th, cfg))
	require.NoError(t, err)
	defer again.Close()
	require.Less(t, th.Down()-before, int64(probeRows*probeRow/4), "the second Open probed the link again")
	require.Equal(t, db.LinkSpeed(), again.LinkSpeed())
	require.True(t, again.Compressed())
	require.Equal(t, []string{"ON", "ON", "ON"}, compression(t, ctx, again))

	// Asked never to compress, a pool through the slow link stays plain and is not probed.
	never := via(th, cfg)
	never.Compression = CompressNever
	before = th.Down()
	ndb, err := Open(ctx, never)
	require.NoError(t, err)
	defer ndb.Close()
	require.False(t, ndb.Compressed())
	require.Zero(t, ndb.LinkSpeed())
	require.Less(t, th.Down()-before, int64(64<<10))
	require.Equal(t, []string{"OFF", "OFF", "OFF"}, compression(t, ctx, ndb))

	// Asked always to, a pool on loopback is compressed.
	always := cfg
	always.Compression = CompressAlways
	adb, err := Open(ctx, always)
	require.NoError(t, err)
	defer adb.Close()
	require.True(t, adb.Compressed())
	require.Equal(t, []string{"ON", "ON", "ON"}, compression(t, ctx, adb))
}

// TestVerySlowLinkProbeStopsEarly: on a link far slower than SlowLink the probe gives up
// its reply after probeTime instead of waiting for all of it, and the pool is compressed.
// TestStalledProbeReaderStillSeesASlowLink: the probe's reader stalls after its first row,
// as Ferry's did at the start of a busy migration, while the link goes on carrying the
// reply into socket buffers. Timed from a row read after the stall, the rest came from
// those buffers and a 200 Mbit/s link measured fast, so its connections stayed plain.
// Timed whole, it is still slow.
func TestStalledProbeReaderStillSeesASlowLink(t *testing.T) {
	ctx := context.Background()
	_, cfg := testDB(t)
	th := mysqltest.NewThrottle(t, cfg.Addr(), 25e6, 256<<10)
	probeRowRead = func(n int) {
		if n == 1 {
			time.Sleep(300 * time.Millisecond)
		}
	}
	defer func() { probeRowRead = nil }()
	db, err := Open(ctx, via(th, cfg))
	require.NoError(t, err)
	defer db.Close()
	t.Logf("stalled reader: %.1f MB/s", db.LinkSpeed()/1e6)
	require.Positive(t, db.LinkSpeed())
	require.Less(t, db.LinkSpeed(), float64(SlowLink))
	require.True(t, db.Compressed())
}

func TestVerySlowLinkProbeStopsEarly(t *testing.T) {
	ctx := context.Background()
	_, cfg := testDB(t)
	th := mysqltest.NewThrottle(t, cfg.Addr(), 300e3, 16<<10) // 300 KB/s: a whole reply would take 8 s
	start := time.Now()
	db, err := Open(ctx, via(th, cfg))
	require.NoError(t, err)
	defer db.Close()
	took := time.Since(start)
	t.Logf("open took %s; link %.2f MB/s", took, db.LinkSpeed()/1e6)
	require.Less(t, took, probeTime+time.Second)
	require.True(t, db.Compressed())
	require.Positive(t, db.LinkSpeed())
	require.Less(t, db.LinkSpeed(), float64(SlowLink)/8)
	require.Equal(t, []string{"ON", "ON", "ON"}, compression(t, ctx, db))
}

// TestBusyMachineKeepsLoopbackFast: with every core busy (a spinning process a core,
// as when other test packages run alongside), a server on loopback, reached directly or
// through a forwarding proxy like the one tests meter bytes with, still measures faster
// than SlowLink each of several times it is probed afresh.
func TestBusyMachineKeepsLoopbackFast(t *testing.T) {
	ctx := context.Background()
	near, cfg := testDB(t)
	for range runtime.NumCPU() {
		spin := exec.Command("yes") // its output goes to /dev/null
		require.NoError(t, spin.Start())
		t.Cleanup(func() { _ = spin.Process.Kill(); _ = spin.Wait() })
	}
	th := mysqltest.NewThrottle(t, cfg.Addr(), 1e12, 1e12) // a plain forwarder
	for i := range 5 {
		speed := measureLink(ctx, near.SQL())
		t.Logf("probe %d: %.0f MB/s", i, speed/1e6)
		require.Greater(t, speed, float64(SlowLink), "probe %d", i)
		forgetLink(via(th, cfg))
		db, err := Open(ctx, via(th, cfg))
		require.NoError(t, err)
		t.Logf("through the proxy: %.0f MB/s", db.LinkSpeed()/1e6)
		require.False(t, db.Compressed(), "open %d through the proxy: %.1f MB/s", i, db.LinkSpeed()/1e6)
		require.NoError(t, db.Close())
	}
}

// forgetLink drops what was measured of cfg's link, so the next Open probes it again.
func forgetLink(cfg Config) {
	links.Lock()
	delete(links.m, linkKey(cfg))
	links.Unlock()
}

// TestFailedProbeIsToldApart: when the probe's query fails on a near server behind a
// slow link, the connections stay plain (nothing says the link is slow), and the DB says
// its link went untimed, so the migration log can say so instead of nothing. A probe
// that works on the same link is not reported untimed.
func TestFailedProbeIsToldApart(t *testing.T) {
	ctx := context.Background()
	_, cfg := testDB(t)
	th := mysqltest.NewThrottle(t, cfg.Addr(), 25e6, 256<<10)
	saved := probeQuery
	probeQuery = "SELECT REPEAT('x', 16) FROM no_such_table_for_the_probe"
	db, err := Open(ctx, via(th, cfg))
	probeQuery = saved
	require.NoError(t, err)
	defer db.Close()
	require.True(t, db.LinkUntimed())
	require.Zero(t, db.LinkSpeed())
	require.False(t, db.Compressed())

	db2, err := Open(ctx, via(th, cfg))
	require.NoError(t, err)
	defer db2.Close()
	require.False(t, db2.LinkUntimed(), "a failed probe is not remembered: the next Open times the link")
	require.Positive(t, db2.LinkSpeed())
	require.True(t, db2.Compressed())
}
