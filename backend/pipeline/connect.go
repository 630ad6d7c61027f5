package pipeline

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"ferry/backend/migration"
	"ferry/backend/transfer"
	"ferry/backend/transfer/ftp"
	"ferry/backend/transfer/local"
	"ferry/backend/transfer/sftp"
)

// connectTimeout bounds every login Ferry makes (files and database).
const connectTimeout = 30 * time.Second

// protocolName is how messages name a protocol.
func protocolName(p migration.Protocol) string {
	switch p {
	case migration.ProtocolFTP:
		return "FTP"
	case migration.ProtocolFTPS:
		return "FTPS"
	case migration.ProtocolSFTP:
		return "SFTP"
	}
	return "local folder"
}

// opener returns a transfer.Opener for the endpoint's tree rooted at root (the endpoint's
// path when root is "").
func (p *Pipeline) opener(ep migration.Endpoint, root string) (transfer.Opener, error) {
	if root == "" {
		root = ep.Path
	}
	switch ep.Protocol {
	case migration.ProtocolLocal:
		return local.Opener(root), nil
	case migration.ProtocolFTP, migration.ProtocolFTPS:
		return limited(ep, p.ftpConfig(ep, root).Opener()), nil
	case migration.ProtocolSFTP:
		cfg := p.sftpConfig(ep, root)
		return limited(ep, func(ctx context.Context) (transfer.Tree, error) {
			if id, ok := ctx.Value(migrationKey{}).(int64); ok {
				return p.sftpPool(id, cfg).Open(ctx)
			}
			return sftp.Dial(ctx, cfg)
		}), nil
	}
	return nil, fmt.Errorf("unknown protocol %q", ep.Protocol)
}

// migrationKey carries the ID of the migration a step runs for in its ctx.
type migrationKey struct{}

// sftpLinger is how long a migration's SFTP login waits unused for its next step.
const sftpLinger = 2 * time.Minute

// sftpPool is the migration's shared login to the SFTP server and folder in cfg: the
// steps of one migration (Check destination, Upload files, Configure WordPress ...) log
// in once per server instead of once each. A changed password or key is another login;
// MakeRoot is not part of the key (the first step's login, Check destination's, may
// create the docroot, which later steps need anyway).
func (p *Pipeline) sftpPool(id int64, cfg sftp.Config) *sftp.Pool {
	sum := sha256.Sum256([]byte(cfg.Password + "\x00" + string(cfg.PrivateKey) + "\x00" + cfg.Passphrase))
	key := fmt.Sprintf("%d\x00%s\x00%d\x00%s\x00%s\x00%x", id, cfg.Host, cfg.Port, cfg.User, cfg.Root, sum)
	p.tmu.Lock()
	defer p.tmu.Unlock()
	if p.pools == nil {
		p.pools = map[int64]map[string]*sftp.Pool{}
	}
	if p.pools[id] == nil {
		p.pools[id] = map[string]*sftp.Pool{}
	}
	pool := p.pools[id][key]
	if pool == nil {
		pool = sftp.NewKeptPool(cfg, sftpLinger)
		p.pools[id][key] = pool
	}
	return pool
}

// closePools logs out of the migration's SFTP servers (its run ended or stopped).
func (p *Pipeline) closePools(id int64) {
	p.tmu.Lock()
	pools := p.pools[id]
	delete(p.pools, id)
	p.tmu.Unlock()
	for _, pool := range pools {
		_ = pool.Close()
	}
	closeAll(p.takeHandoff(id))
}

func (p *Pipeline) ftpConfig(ep migration.Endpoint, root string) ftp.Config {
	return ftp.Config{
		Host: ep.Host, Port: ep.Port, User: ep.User, Password: ep.Password, Root: root,
		TLS: ep.Protocol == migration.ProtocolFTPS, CertFingerprint: ep.CertFingerprint,
		RootCAs: p.RootCAs, Timeout: p.timeout(), Parking: p.parkingLot(),
		Logins: p.ftpLogins(serverAddr(ep)),
	}
}

// ftpLogins is the cap on logins to the FTP server at addr that every step and
// migration shares: a download's workers, the listing's connections, the login that puts
// the PHP agent in place and a second control connection for modes never add up to more
// than the server was promised.
func (p *Pipeline) ftpLogins(addr string) *ftp.Logins {
	n := p.ServerLogins
	if n <= 0 {
		n = ftpConnections
	}
	n = max(n, p.connections()) // a transfer's chosen workers all get their login
	p.tmu.Lock()
	defer p.tmu.Unlock()
	if p.logins == nil {
		p.logins = map[string]*ftp.Logins{}
	}
	l := p.logins[addr]
	if l == nil {
		l = ftp.NewLogins(n)
		p.logins[addr] = l
	}
	l.SetMax(n)
	return l
}

// parkingLot keeps the logins a migration closed while healthy, so the next one to the
// same server and account takes them over instead of logging in again: the sites of a
// batch usually share their source and destination accounts, and a login costs the
// server more CPU (a fork and a password hash) than copying hundreds of small files.
func (p *Pipeline) parkingLot() *transfer.Parking {
	p.tmu.Lock()
	defer p.tmu.Unlock()
	if p.parking == nil {
		p.parking = &transfer.Parking{}
	}
	return p.parking
}

// Close logs out of the logins kept for the next migration.
func (p *Pipeline) Close() error {
	p.tmu.Lock()
	pk := p.parking
	p.tmu.Unlock()
	return pk.Close()
}

func (p *Pipeline) sftpConfig(ep migration.Endpoint, root string) sftp.Config {
	return sftp.Config{
		Host: ep.Host, Port: ep.Port, User: ep.User, Password: ep.Password,
		PrivateKey: []byte(ep.PrivateKey), Passphrase: ep.Passphrase, Root: root,
		Timeout: p.timeout(), HostKeys: p.HostKeys, Parking: p.parkingLot(),
	}
}

func (p *Pipeline) timeout() time.Duration {
	if p.Timeout > 0 {
		return p.Timeout
	}
	return connectTimeout
}

// openTree connects to the endpoint's tree at its path.
func (p *Pipeline) openTree(ctx context.Context, ep migration.Endpoint) (transfer.Tree, error) {
	op, err := p.opener(ep, "")
	if err != nil {
		return nil, err
	}
	t, err := op(ctx)
	if err != nil {
		return nil, fileFailure(ep, err)
	}
	return t, nil
}

// ensureDocroot opens the destination docroot, creating it (and its parents) on the same
// login when it is missing: a new hosting account often has no docroot yet.
func (p *Pipeline) ensureDocroot(ctx context.Context, ep migration.Endpoint) (transfer.Tree, error) {
	var op transfer.Opener
	switch ep.Protocol {
	case migration.ProtocolLocal:
		if err := os.MkdirAll(ep.Path, 0o755); err != nil {
			return nil, migration.Fail("Cannot create destination folder "+ep.Path, err)
		}
		return p.openTree(ctx, ep)
	case migration.ProtocolFTP, migration.ProtocolFTPS:
		cfg := p.ftpConfig(ep, ep.Path)
		cfg.MakeRoot = true
		op = cfg.Opener()
	case migration.ProtocolSFTP:
		cfg := p.sftpConfig(ep, ep.Path)
		cfg.MakeRoot = true
		op = cfg.Opener()
		if id, ok := ctx.Value(migrationKey{}).(int64); ok {
			// The migration's login from here on: later steps reuse it.
			op = p.sftpPool(id, cfg).Opener()
		}
	default:
		return nil, fmt.Errorf("unknown protocol %q", ep.Protocol)
	}
	t, err := limited(ep, op)(ctx)
	var pe *transfer.PathError
	if errors.As(err, &pe) && pe.Op == "mkdir" {
		return nil, migration.Fail("Cannot create destination folder "+ep.Path, err)
	}
	if err != nil {
		return nil, fileFailure(ep, err)
	}
	return t, nil
}

// fileFailure turns a connection error into the reason an admin reads.
func fileFailure(ep migration.Endpoint, err error) error {
	var f *migration.Failure
	if errors.As(err, &f) || errors.Is(err, context.Canceled) {
		return err
	}
	name := protocolName(ep.Protocol)
	switch {
	case errors.Is(err, transfer.ErrHostKey):
		return migration.Fail(fmt.Sprintf("Host key of %s changed", ep.Host), err)
	case errors.Is(err, transfer.ErrAuth):
		return migration.Fail(fmt.Sprintf("Login incorrect on %s server", name), err)
	case errors.Is(err, transfer.ErrTimeout):
		return migration.Fail("Connection timeout", err)
	case errors.Is(err, transfer.ErrNotFound):
		return migration.Fail(fmt.Sprintf("Path %s not found on %s server", ep.Path, name), err)
	case errors.Is(err, transfer.ErrPermission):
		return migration.Fail(fmt.Sprintf("Permission denied on %s server", name), err)
	case errors.Is(err, transfer.ErrNoSpace):
		return migration.Fail("Insufficient disk space on destination", err)
	}
	var ce *transfer.ConnectError
	if errors.As(err, &ce) {
		return migration.Fail(fmt.Sprintf("Cannot connect to %s server", name), err)
	}
	return migration.Fail(fmt.Sprintf("%s transfer failed", name), err)
}

// hostPort formats a database address for messages.
func hostPort(db migration.Database) string {
	port := db.Port
	if port == 0 {
		port = 3306
	}
	h := db.Host
	if h == "" {
		h = "127.0.0.1"
	}
	return net.JoinHostPort(h, fmt.Sprint(port))
}
