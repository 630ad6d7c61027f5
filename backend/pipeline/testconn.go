package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"ferry/backend/migration"
	"ferry/backend/mysqldb"
	"ferry/backend/transfer"
	"ferry/backend/wordpress"
)

// ConnectionCheck is one line of a Test connection answer.
type ConnectionCheck struct {
	OK      bool   `json:"ok"`
	Message string `json:"message"`
}

// ConnectionReport says what works of an endpoint, for the New migration form.
type ConnectionReport struct {
	Files    ConnectionCheck `json:"files"`
	Database ConnectionCheck `json:"database"`
	// For a source: what was found there, so the form can fill the old URL.
	WordPressVersion string `json:"wordpressVersion"`
	SiteURL          string `json:"siteUrl"`
	HostKey          string `json:"hostKey"`
	Encrypted        bool   `json:"encrypted"`
}

// TestEndpoint tries an endpoint's files and database and says, in under ten seconds, what
// works and what does not. Nothing is written anywhere; a new SFTP host key is pinned, as
// on first use during a migration.
func (p *Pipeline) TestEndpoint(ctx context.Context, ep migration.Endpoint, isSource bool) ConnectionReport {
	ctx, cancel := context.WithTimeout(ctx, 9*time.Second)
	defer cancel()
	q := &Pipeline{DataDir: p.DataDir, HostKeys: p.HostKeys, RootCAs: p.RootCAs, Timeout: 8 * time.Second}
	var rep ConnectionReport
	rep.Encrypted = ep.Protocol != migration.ProtocolFTP
	var site wordpress.Site
	tree, err := q.openTree(ctx, ep)
	switch {
	case err != nil && !isSource && errors.Is(err, transfer.ErrNotFound) && ep.Protocol != migration.ProtocolLocal:
		rep.Files = ConnectionCheck{true, fmt.Sprintf("Logged in; %s does not exist yet and will be created", ep.Path)}
	case err != nil:
		rep.Files = ConnectionCheck{false, migration.ReasonOf(err)}
	default:
		if fp, ok := tree.(interface{ Fingerprint() string }); ok {
			rep.HostKey = fp.Fingerprint()
		}
		if isSource {
			site, err = wordpress.DetectFiles(ctx, tree, ".")
			if err != nil {
				rep.Files = ConnectionCheck{false, "Logged in, but " + err.Error()}
			} else {
				rep.WordPressVersion = site.Version
				rep.Files = ConnectionCheck{true, fmt.Sprintf("Logged in; found WordPress %s", site.Version)}
			}
		} else {
			rep.Files = ConnectionCheck{true, "Logged in; the folder is reachable"}
		}
		_ = tree.Close()
	}
	db := ep.DB
	if isSource {
		if d, err := sourceDatabase(migration.Migration{Source: ep}, site); err == nil {
			db = d
		}
	}
	if db.Name == "" {
		rep.Database = ConnectionCheck{false, "No database settings: enter them, or let Ferry read wp-config.php"}
		return rep
	}
	name := ""
	if !isSource {
		name = "-" // the destination database may not exist yet
	}
	conn, err := q.openDB(ctx, ep, db, name)
	if err != nil {
		rep.Database = ConnectionCheck{false, migration.ReasonOf(dbFailure(sideName(isSource), db, err))}
		return rep
	}
	defer conn.Close()
	info, err := mysqldb.Inspect(ctx, conn.DB)
	if err != nil {
		rep.Database = ConnectionCheck{false, migration.ReasonOf(dbFailure(sideName(isSource), db, err))}
		return rep
	}
	rep.SiteURL = info.SiteURL
	msg := fmt.Sprintf("Connected to MySQL %s at %s", info.Version, hostPort(db))
	if isSource && info.TablePrefix != "" {
		msg += fmt.Sprintf("; %d tables, prefix %s, site URL %s", len(info.Tables), info.TablePrefix, info.SiteURL)
	}
	rep.Database = ConnectionCheck{true, msg}
	return rep
}

func sideName(isSource bool) string {
	if isSource {
		return "source"
	}
	return "destination"
}
