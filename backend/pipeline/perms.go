package pipeline

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"strings"

	"ferry/backend/archive"
	"ferry/backend/migration"
	"ferry/backend/transfer"
)

// defaultConfigMode is wp-config.php's mode when the source does not say (an FTP source,
// a zip made on Windows): readable by its owner and the web server's group, never by
// every account on a shared host.
const defaultConfigMode fs.FileMode = 0o640

// configMode is the mode wp-config.php gets at the destination: the source's, never wider,
// and never readable by others whatever the source allowed (it holds the database
// password); 0640 when the source mode is unknown (0).
func configMode(src fs.FileMode) fs.FileMode {
	if src.Perm() == 0 {
		return defaultConfigMode
	}
	return src.Perm() &^ 0o007
}

// sourceConfigMode reads the mode of the source's wp-config.php when the protocol tells it
// (SFTP and local folders do, FTP servers through STAT): 0 when unknown.
func sourceConfigMode(ctx context.Context, t transfer.Tree, configPath string) fs.FileMode {
	pt, ok := t.(transfer.Permissions)
	if !ok || configPath != "wp-config.php" {
		return 0
	}
	m, err := pt.Mode(ctx, configPath)
	if err != nil {
		return 0
	}
	return m
}

// zipConfigMode reads the mode of wp-config.php stored in the site zip, when the zip was
// made on a Unix system that records modes: 0 when unknown.
func zipConfigMode(zipPath string) fs.FileMode {
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return 0
	}
	defer zr.Close()
	var best *zip.File
	for _, f := range zr.File {
		name := strings.TrimSuffix(strings.ReplaceAll(f.Name, `\`, "/"), "/")
		if path.Base(name) != "wp-config.php" {
			continue
		}
		if best == nil || strings.Count(name, "/") < strings.Count(best.Name, "/") {
			best = f
		}
	}
	if best == nil {
		return 0
	}
	return archive.UnixMode(best)
}

// wpConfigMode is the mode Configure WordPress gives wp-config.php for migration m.
func (p *Pipeline) wpConfigMode(ctx context.Context, m migration.Migration, res Results) fs.FileMode {
	if m.Method == migration.MethodManual {
		if zp, err := p.attached(ctx, m.ID, true); err == nil {
			return configMode(zipConfigMode(zp))
		}
		return defaultConfigMode
	}
	return configMode(fs.FileMode(res.ConfigMode))
}

// chmodConfig sets mode on p; a server that cannot is a warning naming what to do by hand.
func chmodConfig(ctx context.Context, t transfer.Tree, p string, mode fs.FileMode, j stepLog) (warning string) {
	pt, ok := t.(transfer.Permissions)
	var err error
	if !ok {
		err = transfer.ErrUnsupported
	} else {
		err = pt.Chmod(ctx, p, mode)
	}
	if err == nil {
		j.Logf(slog.LevelInfo, "wp-config.php is %04o on the destination", mode)
		return ""
	}
	why := "the server refused it"
	if errors.Is(err, transfer.ErrUnsupported) {
		why = "the server cannot set file permissions"
	}
	w := fmt.Sprintf("Could not make wp-config.php %04o on the destination (%s): set its permissions to %04o by hand, it holds the database password", mode, why, mode)
	j.Logf(slog.LevelWarn, "%s: %v", w, err)
	return w
}

// keepModes gives the uploaded files their source modes at the destination (see
// transfer.KeepModes). wp-config.php is left to Configure WordPress, which writes it with
// configMode. A destination that cannot set modes is a warning, never a failure: the
// files are all there, and the admin is told which mode they may hold.
func (p *Pipeline) keepModes(ctx context.Context, j stepLog, m migration.Migration, files []transfer.ManifestFile) (warning string) {
	var res transfer.KeepModesResult
	open, err := p.opener(m.Destination, "")
	if err == nil {
		workers := modeWorkers(ctx, p.connections())
		if m.Destination.Protocol == migration.ProtocolFTP || m.Destination.Protocol == migration.ProtocolFTPS {
			// an FTP login setting modes may hold a second control connection: two
			// logins each, within what the server was promised
			workers = max(1, min(workers, p.ftpLogins(serverAddr(m.Destination)).Max()/2))
		}
		res, err = transfer.KeepModes(ctx, open, "", files, map[string]bool{"wp-config.php": true}, workers)
	}
	switch {
	case err == nil && res.Changed > 0:
		j.Logf(slog.LevelInfo, "Set %d files to their source permissions (new files on the destination are %04o)", res.Changed, res.ServerDefault)
	case err == nil:
		if res.ServerDefault != 0 {
			j.Logf(slog.LevelInfo, "Files keep their source permissions (new files on the destination are %04o)", res.ServerDefault)
		}
	case ctx.Err() != nil:
		return ""
	default:
		why := "the server refused it"
		if errors.Is(err, transfer.ErrUnsupported) {
			why = "the server cannot set file permissions"
		}
		w := fmt.Sprintf("Could not give the files their source permissions (%s): they have the destination's default mode", why)
		j.Logf(slog.LevelWarn, "%s: %v", w, err)
		return w
	}
	if res.Assumed {
		j.Logf(slog.LevelInfo, "The destination does not say a file's mode: files that were %04o on the source keep the server's default", res.ServerDefault)
	}
	return ""
}
