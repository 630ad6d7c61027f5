package mysqldb

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A near server can still sit behind a slow link: a port capped at a few hundred Mbit/s,
// common on rented servers. There the bytes of a dump or an import are what the time goes
// on, as over a far link, and zlib on both ends is quicker than the link. Open times a
// reply of the server's and compresses the connections of a pool whose link carries less
// than SlowLink.
//
// A token bucket capping a port lets its burst (often a few hundred KB) through at the
// speed of the wire, and a fresh connection's congestion window starts small. So the probe
// is one reply of probeRows rows, timed from the query to the last row, of which the first
// probeSkip rows do not count as bytes carried: they stand for the burst. The reply is not
// timed from the reading of row probeSkip: a reader that stalls before it (a busy machine
// at the start of a migration) finds the rest waiting in its socket buffer and would take
// a 25 MB/s link for a fast one (TestStalledProbeReaderStillSeesASlowLink; one bench/wan
// round at RTT 0 went uncompressed that way, or through a failed probe, which its log could
// not tell apart: 71.6 s instead of 42). Timed whole, a stall only makes the link look
// slower. So the
// quickest of up to probeTries replies counts, and the first faster than SlowLink ends the
// probe; a link slower than half SlowLink is believed at once, and a reply that takes
// longer than probeTime is given up (2.5 MB in a second is slow by any measure). Each link
// is probed once per process and linkMemory (linkSpeed).

// SlowLink is the speed (bytes per second) below which a near server's link counts as
// slow and its connections are compressed.
const SlowLink = 30 << 20

const (
	probeRow  = 16 << 10 // bytes a row of the probe's reply carries
	probeRows = 160      // 2.5 MB in all: a busy machine's stalls of tens of ms barely count
	probeSkip = 24       // the rows (384 KB) a burst and slow start may carry: not counted
	// probeTries bounds the replies timed; a link slower than half SlowLink is believed
	// after one (a loopback link would have to stall 70 ms in one to look that slow).
	probeTries = 5
	// probeTime bounds one reply: a link that needs longer for 2.5 MB is slow.
	probeTime = time.Second
	// linkMemory is how long a measured speed stands for later Opens of the same server.
	linkMemory = 10 * time.Minute
)

// probeQuery returns probeRows rows of probeRow bytes; written without a sequence table
// or a recursive CTE, which MySQL 5.7 lacks.
var probeQuery = func() string {
	eight := "(SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8)"
	return "SELECT REPEAT('x', " + strconv.Itoa(probeRow) + ") FROM " + eight + " a, " + eight + " b, " + eight + " c LIMIT " + strconv.Itoa(probeRows)
}()

// measureLink returns the link's speed in bytes per second, measured on db (0 when it
// could not be measured: the server refused the query, say).
func measureLink(ctx context.Context, db *sql.DB) float64 {
	best := 0.0
	for range probeTries {
		speed, whole := probeOnce(ctx, db)
		if speed == 0 {
			return best
		}
		best = max(best, speed)
		if !whole || best >= SlowLink || best < SlowLink/2 {
			break
		}
	}
	return best
}

// probeOnce times one reply, from the query to its last row; whole is false when it was
// given up after probeTime. Where the reader falls behind, the bytes wait in its socket
// buffer, and any part read from there would look as fast as memory.
func probeOnce(ctx context.Context, db *sql.DB) (speed float64, whole bool) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	rows, err := db.QueryContext(ctx, probeQuery)
	if err != nil {
		return 0, false
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var b sql.RawBytes
		if rows.Scan(&b) != nil || len(b) != probeRow {
			return 0, false
		}
		n++
		if probeRowRead != nil {
			probeRowRead(n)
		}
		now := time.Now()
		if now.Sub(start) > probeTime {
			// Given up: the cancel closes the connection instead of reading the rest.
			cancel()
			return float64(n*probeRow) / now.Sub(start).Seconds(), false
		}
	}
	if rows.Err() != nil || n != probeRows {
		return 0, false
	}
	took := max(time.Since(start), time.Microsecond)
	return float64((probeRows-probeSkip)*probeRow) / took.Seconds(), true
}

// probeRowRead, when set (by tests), is called after each row of a probe is read.
var probeRowRead func(n int)

// links remembers the speeds measured, by link (see linkKey), for linkMemory: a migration
// opens each database several times, and on a slow link each probe costs a second.
var links = struct {
	sync.Mutex
	m map[string]seenLink
}{m: map[string]seenLink{}}

type seenLink struct {
	speed float64
	at    time.Time
}

// linkKey names the link to cfg's server: its address, and the path to it when the
// connections are dialed some other way (Config.Link); "" when the link has no name.
func linkKey(cfg Config) string {
	if cfg.Dial != nil && cfg.Link == "" {
		return ""
	}
	return strings.Join([]string{cfg.Link, cfg.Addr()}, " ")
}

// linkSpeed returns the speed of cfg's link, measured on db unless measured lately.
func linkSpeed(ctx context.Context, db *sql.DB, cfg Config) float64 {
	key := linkKey(cfg)
	if key != "" {
		links.Lock()
		s, ok := links.m[key]
		links.Unlock()
		if ok && time.Since(s.at) < linkMemory {
			return s.speed
		}
	}
	speed := measureLink(ctx, db)
	if key != "" && speed > 0 {
		links.Lock()
		links.m[key] = seenLink{speed: speed, at: time.Now()}
		links.Unlock()
	}
	return speed
}
