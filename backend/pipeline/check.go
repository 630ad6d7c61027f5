package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"ferry/backend/migration"
	"ferry/backend/mysqldb"
	"ferry/backend/runner"
	"ferry/backend/transfer"
)

// errStopWalk ends a walk early once one entry was seen.
var errStopWalk = errors.New("stop walk")

// checkDestination connects to the destination's files and database, creates what is
// missing and allowed, and refuses a non-empty docroot or database unless the admin chose
// Overwrite: nothing is written to the destination before this step passes.
//
// Analyse source starts alongside (overlap.go), and the files side and the database side
// are asked at once too. A failure of the files side is the one reported when both fail,
// as it was when the files side was checked first; the database side's log lines follow
// the files side's; and a missing database is created only once the files side passed.
func (p *Pipeline) checkDestination(ctx context.Context, j *runner.Job) error {
	m := j.Migration
	p.startAnalyse(ctx, j)
	held := &heldLog{}
	filesDone := make(chan struct{})
	var filesErr error
	filesPassed := func() bool {
		<-filesDone
		return filesErr == nil
	}
	// Nothing is written by the database side (a PHP agent in the docroot, a new
	// database) before the files side passed.
	dctx, cancel := context.WithCancel(withWriteGate(withRoute(ctx, m, held), filesPassed))
	defer cancel()
	dbErr := make(chan error, 1)
	go func() { dbErr <- p.checkDestinationDB(dctx, m, held) }()
	filesErr = p.checkDestinationFiles(ctx, j)
	if filesErr != nil {
		cancel() // the database side's verdict would not be read
	}
	close(filesDone)
	err := <-dbErr
	if filesErr != nil {
		return filesErr
	}
	held.writeTo(j)
	return err
}

// checkDestinationFiles opens (or creates) the destination docroot, refuses a non-empty
// one without Overwrite and measures its free space.
func (p *Pipeline) checkDestinationFiles(ctx context.Context, j *runner.Job) error {
	m := j.Migration
	dst := m.Destination
	tree, err := p.ensureDocroot(ctx, dst)
	if err != nil {
		return err
	}
	defer tree.Close()
	if dst.Protocol == migration.ProtocolFTP {
		j.Logf(slog.LevelWarn, "The destination uses plain FTP: passwords and files cross the network unencrypted")
	}
	var entries int
	err = tree.Walk(ctx, ".", func(transfer.Entry) error {
		entries++
		return errStopWalk
	})
	if err != nil && !errors.Is(err, errStopWalk) {
		return fileFailure(dst, err)
	}
	if entries > 0 {
		if !m.Options.Overwrite {
			return migration.Fail(fmt.Sprintf("Destination folder %s is not empty", dst.Path),
				errors.New("choose Overwrite to copy the site over its contents"))
		}
		j.Logf(slog.LevelWarn, "Destination folder %s is not empty; its files will be overwritten (Overwrite chosen)", dst.Path)
	}
	free, err := tree.FreeSpace(ctx, ".")
	switch {
	case errors.Is(err, transfer.ErrUnsupported):
		free = -1
		j.Logf(slog.LevelInfo, "The destination cannot report its free space over %s", protocolName(dst.Protocol))
	case err != nil:
		free = -1
		j.Logf(slog.LevelWarn, "Could not read the destination's free space: %v", err)
	default:
		j.Logf(slog.LevelInfo, "Destination free space: %s", humanBytes(free))
	}
	return p.update(ctx, m.ID, func(r *Results) { r.DestinationFree = free })
}

// checkDestinationDB connects to the destination database and refuses one holding tables
// without Overwrite. A missing database is created, where the account may, once ctx's
// write gate (withWriteGate) allows it.
func (p *Pipeline) checkDestinationDB(ctx context.Context, m migration.Migration, log stepLog) error {
	dst := m.Destination
	server, err := p.openDB(ctx, dst, dst.DB, "-")
	if err != nil {
		return dbFailure("destination", dst.DB, err)
	}
	defer server.Close()
	info, err := mysqldb.Inspect(ctx, server.DB)
	if err != nil {
		return dbFailure("destination", dst.DB, err)
	}
	log.Logf(slog.LevelInfo, "Destination MySQL %s at %s, max_allowed_packet %s", info.Version, hostPort(dst.DB), humanBytes(info.MaxAllowedPacket))
	db, err := p.openDB(ctx, dst, dst.DB, "")
	if errors.Is(err, mysqldb.ErrUnknownDatabase) {
		if !info.CanCreateDatabase {
			return migration.Fail(fmt.Sprintf("Database %s does not exist on the destination", dst.DB.Name),
				fmt.Errorf("user %s may not create databases: create it in the hosting panel", dst.DB.User))
		}
		if !mayWrite(ctx) {
			return errRefused
		}
		if _, err := server.SQL().ExecContext(ctx, "CREATE DATABASE "+quoteIdent(dst.DB.Name)+" CHARACTER SET utf8mb4"); err != nil {
			return migration.Fail(fmt.Sprintf("Cannot create database %s on the destination", dst.DB.Name), err)
		}
		log.Logf(slog.LevelInfo, "Created database %s on the destination", dst.DB.Name)
		return nil
	}
	if err != nil {
		return dbFailure("destination", dst.DB, err)
	}
	defer db.Close()
	dinfo, err := mysqldb.Inspect(ctx, db.DB)
	if err != nil {
		return dbFailure("destination", dst.DB, err)
	}
	if n := len(dinfo.Tables); n > 0 {
		if !m.Options.Overwrite {
			return migration.Fail(fmt.Sprintf("Destination database %s is not empty (%d tables)", dst.DB.Name, n),
				errors.New("choose Overwrite to replace its tables"))
		}
		log.Logf(slog.LevelWarn, "Destination database %s has %d tables; tables of the same name will be replaced (Overwrite chosen)", dst.DB.Name, n)
	}
	return nil
}

// waitForUpload parks a manual migration until the admin attached and verified both files
// and pressed Continue Import (which completes this step).
func (p *Pipeline) waitForUpload(ctx context.Context, j *runner.Job) error {
	if j.Migration.Verified {
		return nil
	}
	j.Logf(slog.LevelInfo, "Waiting for wordpress-files.zip and database.sql: attach them in Process Details, then Verify and Continue Import")
	return migration.ErrActionRequired
}

// dbFailure turns a database error into the reason an admin reads.
func dbFailure(side string, db migration.Database, err error) error {
	var f *migration.Failure
	if errors.As(err, &f) || errors.Is(err, context.Canceled) {
		return err
	}
	var ce *mysqldb.ConnError
	if errors.As(err, &ce) {
		if side == "source" {
			return sourceConnFailure(db, ce)
		}
		return migration.Fail(fmt.Sprintf("Cannot connect to the destination database: %s", ce.Msg), ce.Err)
	}
	if side == "source" {
		return migration.Fail("Cannot dump MySQL database on remote server", err)
	}
	return migration.Fail("Destination database error", err)
}

// quoteIdent quotes a MySQL identifier.
func quoteIdent(s string) string {
	out := []byte{'`'}
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			out = append(out, '`')
		}
		out = append(out, s[i])
	}
	return string(append(out, '`'))
}

// humanBytes formats a byte count for logs ("12.4 MB").
func humanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for v := n / unit; v >= unit; v /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}
