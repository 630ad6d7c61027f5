package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"ferry/backend/hostlimit"
	"ferry/backend/migration"
	"ferry/backend/mysqldb"
	"ferry/backend/runner"
	"ferry/backend/transfer"
	"ferry/backend/transfer/local"
	"ferry/backend/transfer/sftp"
	"ferry/backend/wordpress"
)

// analyseSource finds WordPress at the source path, reads its version and wp-config.php,
// counts files and bytes, measures the database and checks that staging has room. Once
// wp-config.php is read, the tree is listed and the database inspected at once.
//
// Check destination starts it ahead of its turn (overlap.go): the step then reports that
// run's result.
func (p *Pipeline) analyseSource(ctx context.Context, j *runner.Job) error {
	if ran, err := p.awaitAnalyse(ctx, j.Migration.ID); ran {
		return err
	}
	return p.analyse(ctx, j.Migration, j)
}

// analyse is Analyse source's work for m, logging to j.
func (p *Pipeline) analyse(ctx context.Context, m migration.Migration, j stepLog) (err error) {
	src := m.Source
	if src.Protocol == migration.ProtocolFTP {
		j.Logf(slog.LevelWarn, "The source uses plain FTP: passwords and files cross the network unencrypted")
	}
	// Over SFTP every Tree below shares one login.
	open, _, logout, err := p.mirrorOpener(ctx, src, 0)
	if err != nil {
		return err
	}
	defer logout()
	tree, err := open(ctx)
	if err != nil {
		return fileFailure(src, err)
	}
	// The FTP logins listed with are handed to Download files when this step succeeds.
	ftp := src.Protocol == migration.ProtocolFTP || src.Protocol == migration.ProtocolFTPS
	var kept []transfer.Tree
	defer func() {
		if err == nil && ftp {
			p.handOver(m.ID, append(kept, tree))
			return
		}
		closeAll(append(kept, tree))
	}()
	site, err := wordpress.DetectFiles(ctx, tree, ".")
	if err != nil {
		switch {
		case errors.Is(err, wordpress.ErrNotWordPress):
			return migration.Fail("WordPress not found at specified path", err)
		case errors.Is(err, wordpress.ErrMultisite):
			return migration.Fail("WordPress multisite networks are not supported", err)
		}
		return fileFailure(src, err)
	}
	j.Logf(slog.LevelInfo, "Found WordPress %s at %s", site.Version, src.Path)
	if site.ConfigPath == "" {
		j.Logf(slog.LevelWarn, "The source has no wp-config.php; Configure WordPress will write one from wp-config-sample.php")
	}
	ex, err := transfer.NewExcluder(m.Options.Excludes)
	if err != nil {
		return migration.Fail("Invalid exclude pattern", err)
	}
	// The database is opened and inspected while the tree is listed (see overlap.go).
	dbc, dbcErr := sourceDatabase(m, site)
	var insp *inspection
	if dbcErr == nil {
		insp = p.inspectSource(ctx, m, dbc)
		defer insp.stop()
	}
	var files, bytes int64
	var listing []transfer.Entry
	keep := true // false once the listing is too big to keep in memory
	winNames := windowsNames(m)
	more, _ := transfer.OpenMore(ctx, open, listers(ctx, src.Protocol)-1)
	defer func() { closeAll(more) }()
	err = transfer.ListAll(ctx, append([]transfer.Tree{tree}, more...), ".", func(e transfer.Entry) error {
		if !e.IsDir && !e.IsLink && !ex.Excluded(e.Path) {
			files++
			bytes += e.Size
		}
		if winNames != nil && e.Path != "." && !ex.Excluded(e.Path) {
			winNames.Add(e.Path)
		}
		if keep && len(listing) == maxCachedListing {
			listing, keep = nil, false
		} else if keep {
			listing = append(listing, e)
		}
		return nil
	})
	if k := min(len(more), p.downloadWorkers(ctx)-1); ftp && err == nil && k > 0 {
		// as many as Download files starts with (tree is one); the rest log out now
		kept, more = more[:k:k], more[k:]
	}
	closeAll(more)
	more = nil
	if err != nil {
		return fileFailure(src, err)
	}
	if winNames != nil {
		if err := winNames.Err(); err != nil {
			return migration.Fail(failWindowsNames, err)
		}
	}
	if keep { // else Download files lists the source again
		p.cacheListing(m.ID, listing)
	}
	j.Logf(slog.LevelInfo, "Source holds %d files, %s", files, humanBytes(bytes))

	if dbcErr != nil {
		return dbcErr
	}
	info, err := insp.wait(j)
	if err != nil {
		return err
	}
	var dbBytes int64
	for _, t := range info.Tables {
		dbBytes += t.Bytes
	}
	if info.TablePrefix == "" {
		return migration.Fail("No WordPress tables found in the source database", fmt.Errorf("database %s has %d tables and no options table with a siteurl", dbc.Name, len(info.Tables)))
	}
	if site.Config.TablePrefix != "" && site.Config.TablePrefix != info.TablePrefix {
		j.Logf(slog.LevelWarn, "wp-config.php says table prefix %q but the database holds %q", site.Config.TablePrefix, info.TablePrefix)
	}
	j.Logf(slog.LevelInfo, "Source database %s: MySQL %s, %d tables, about %s, prefix %s, site URL %s",
		dbc.Name, info.Version, len(info.Tables), humanBytes(dbBytes), info.TablePrefix, info.SiteURL)
	if m.OldURL != "" && info.SiteURL != "" && !sameURL(m.OldURL, info.SiteURL) {
		j.Logf(slog.LevelWarn, "The old URL given (%s) differs from the source's siteurl (%s); Ferry rewrites %s", m.OldURL, info.SiteURL, m.OldURL)
	}
	if err := p.checkStagingSpace(ctx, files, bytes+dbBytes); err != nil {
		return err
	}
	p.cacheSite(m.ID, site)
	cfgMode := sourceConfigMode(ctx, tree, site.ConfigPath)
	return p.update(ctx, m.ID, func(r *Results) {
		r.ConfigMode = uint32(cfgMode)
		r.WordPressVersion, r.TablePrefix, r.OldURL = site.Version, info.TablePrefix, info.SiteURL
		r.SourceFiles, r.SourceBytes, r.SourceDBBytes, r.SourceTables = files, bytes, dbBytes, len(info.Tables)
	})
}

// sourceDatabase returns the source's database settings: as given, or read from the
// source's wp-config.php. A DB_HOST of localhost means the database is on the source
// server itself; the route to it (direct, SSH tunnel, SSH command, PHP) is the source's
// Database access, Automatic unless chosen.
func sourceDatabase(m migration.Migration, site wordpress.Site) (migration.Database, error) {
	db := m.Source.DB
	if !db.FromWPConfig && db.Name != "" {
		return db, nil
	}
	c := site.Config
	if c.DBName == "" {
		return db, migration.Fail("Cannot dump MySQL database on remote server", errors.New("wp-config.php has no DB_NAME Ferry can read: enter the database settings by hand"))
	}
	addr, err := wordpress.SplitDBHost(c.DBHost)
	if err != nil {
		addr = wordpress.DBAddress{Host: "localhost"}
	}
	db.Name, db.User, db.Password = c.DBName, c.DBUser, c.DBPassword
	db.Host, db.Port = addr.Host, addr.Port
	// A DB_HOST of localhost is the source server itself: the database route (dbroute)
	// reaches it there, directly at the file host, through SSH, or through the site.
	if isLocalHost(addr.Host) {
		db.Host = "localhost"
		if addr.Socket != "" {
			db.Host = "localhost:" + addr.Socket
		}
	}
	return db, nil
}

func isLocalHost(h string) bool {
	return h == "" || h == "localhost" || h == "127.0.0.1" || h == "::1"
}

// sameURL compares site URLs ignoring a trailing slash and letter case of the host.
func sameURL(a, b string) bool {
	return strings.EqualFold(strings.TrimRight(a, "/"), strings.TrimRight(b, "/"))
}

// checkStagingSpace fails early when this machine cannot hold the site while it moves.
func (p *Pipeline) checkStagingSpace(ctx context.Context, files, need int64) error {
	staging, err := local.Open(p.DataDir)
	if err != nil {
		return fmt.Errorf("open data folder: %w", err)
	}
	defer staging.Close()
	have, err := staging.FreeSpace(ctx, ".")
	if err != nil {
		return nil // the platform cannot tell; the copy itself reports a full disk
	}
	// Each file costs at least a block on most file systems.
	need += files * 4096
	if have < need {
		return migration.Fail(fmt.Sprintf("Insufficient disk space: need %s, have %s", humanBytes(need), humanBytes(have)),
			fmt.Errorf("staging folder %s", p.DataDir))
	}
	return nil
}

// listers is how many connections (SFTP: requests on the one login) list the source's
// folders side by side: on a slow link each folder costs a few round trips. A batch
// migration lists within its share of the host's connection budget, as its file copies
// do: OpenMore waits for every connection it asked for, so asking for more than the share
// waits for other migrations' connections to close (or for the budget's stall timeout).
func listers(ctx context.Context, proto migration.Protocol) int {
	if proto == migration.ProtocolSFTP {
		return sftp.DownloadStreams
	}
	return hostlimit.Workers(ctx, transfer.ListConnections)
}

// inspection is the source database being opened and inspected while Analyse source
// lists the tree; its log lines wait for the listing's.
type inspection struct {
	held   heldLog
	cancel context.CancelFunc
	done   chan struct{}
	info   mysqldb.Info
	err    error
}

// inspectSource opens the source database described by dbc and inspects it, in the
// background.
func (p *Pipeline) inspectSource(ctx context.Context, m migration.Migration, dbc migration.Database) *inspection {
	in := &inspection{done: make(chan struct{})}
	ctx, in.cancel = context.WithCancel(withRoute(ctx, m, &in.held))
	go func() {
		defer close(in.done)
		db, err := p.openDB(ctx, m.Source, dbc, "")
		if err != nil {
			in.err = dbFailure("source", dbc, err)
			return
		}
		defer db.Close()
		in.info, err = mysqldb.Inspect(ctx, db.DB)
		if err != nil {
			in.err = dbFailure("source", dbc, err)
		}
	}()
	return in
}

// wait returns the inspection's result, once its log lines are written to log.
func (in *inspection) wait(log stepLog) (mysqldb.Info, error) {
	<-in.done
	in.held.writeTo(log)
	return in.info, in.err
}

// stop cancels an inspection still running and waits until its database is closed.
func (in *inspection) stop() {
	in.cancel()
	<-in.done
}
