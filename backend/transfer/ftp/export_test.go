package ftp

import "time"

// Fast reports whether c speaks the per-file commands itself (fast.go).
func Fast(c *Client) bool { return c.w != nil }

// StatHost reports what the package learnt about listing c's server with STAT: known
// is false until a listing compared both ways.
func StatHost(c *Client) (stat, known bool) {
	v, ok := statHosts.Load(c.statKey())
	if !ok {
		return false, false
	}
	return v.(bool), true
}

// AgePort makes the port c opened ahead look d older.
func AgePort(c *Client, d time.Duration) { c.w.at = c.w.at.Add(-d) }

// Slow makes c use jlaffaye/ftp for everything, as before fast.go, for comparison.
func Slow(c *Client) { c.w = nil }

// Forget drops what the package learnt about the server at host:port for user (STAT
// listing, late EPSV). A test server listens on a port the system picked, which may be
// one that an earlier test's server had, with other answers.
func Forget(host string, port int, user string) {
	key := Config{Host: host, Port: port, User: user}.addr() + " " + user
	statHosts.Delete(key)
	lateEPSV.Delete(key)
}
