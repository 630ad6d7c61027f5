package service

import (
	"net"
	"strconv"

	"ferry/backend/dbroute"
	"ferry/backend/migration"
)

// dbAccess is the route a database input asks for: Access when given, else "ssh-tunnel"
// for the sshTunnel flag of older job files, else Automatic ("").
func dbAccess(d DatabaseInput) string {
	a, err := dbroute.Parse(d.Access)
	if err != nil {
		return d.Access // checkAccess refuses it
	}
	if a == dbroute.Automatic && d.SSHTunnel {
		a = dbroute.Tunnel
	}
	return string(a)
}

// checkAccess refuses an unknown route, an SSH route without an SFTP login, and a site IP
// that is not an address.
func checkAccess(fe fieldErrors, in CreateInput) {
	sides := []struct {
		key string
		ep  EndpointInput
	}{{"destination", in.Destination}}
	if migration.Method(in.Method).Automatic() {
		sides = append(sides, struct {
			key string
			ep  EndpointInput
		}{"source", in.Source})
	}
	for _, s := range sides {
		a, err := dbroute.Parse(s.ep.DB.Access)
		key := s.key + ".db"
		switch {
		case err != nil:
			fe.add(key+".access", "Choose Automatic, Direct, SSH tunnel, SSH command or Through the site.")
		case (a == dbroute.Tunnel || a == dbroute.Command) && s.ep.Protocol != string(migration.ProtocolSFTP):
			fe.add(key+".access", "SSH tunnel and SSH command need SFTP access to the same server.")
		}
		if s.ep.DB.SiteIP != "" && !siteAddress(s.ep.DB.SiteIP) {
			fe.add(key+".siteIp", "Enter an IPv4 or IPv6 address, with :port when the site is on another port than its URL's, or leave it empty.")
		}
	}
}

// siteAddress reports an IP address, or an IP address and port ("203.0.113.5:8080",
// "[2001:db8::5]:8080"): where a site answers when its name does not lead there yet.
func siteAddress(s string) bool {
	if net.ParseIP(s) != nil {
		return true
	}
	host, port, err := net.SplitHostPort(s)
	n, perr := strconv.Atoi(port)
	return err == nil && net.ParseIP(host) != nil && perr == nil && n > 0 && n < 65536
}
