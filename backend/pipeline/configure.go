package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"

	"ferry/backend/migration"
	"ferry/backend/runner"
	"ferry/backend/transfer"
	"ferry/backend/wordpress"
)

// maxConfigSize bounds how much of wp-config.php Ferry reads (real ones are a few KB).
const maxConfigSize = 1 << 20

// configureWordPress rewrites the destination's wp-config.php for the destination database,
// in place and byte-for-byte otherwise, or writes one from wp-config-sample.php when the
// site has none. The new file is written beside the old one and renamed over it, so a
// failure never leaves a half-written config.
func (p *Pipeline) configureWordPress(ctx context.Context, j *runner.Job) error {
	m := j.Migration
	dst := m.Destination
	tree, err := p.openTree(ctx, dst)
	if err != nil {
		return err
	}
	defer tree.Close()
	res, err := p.load(ctx, m.ID)
	if err != nil {
		return err
	}
	host := dst.DB.Host
	if host == "" {
		host = "localhost"
	}
	if dst.DB.Port != 0 && dst.DB.Port != 3306 {
		host += ":" + strconv.Itoa(dst.DB.Port)
	}
	oldURL := m.OldURL
	if oldURL == "" {
		oldURL = res.OldURL
	}
	ch := wordpress.Changes{
		DBName: dst.DB.Name, DBUser: dst.DB.User, DBPassword: dst.DB.Password, DBHost: host,
		EmptyPassword: dst.DB.Password == "", TablePrefix: res.TablePrefix,
		OldURL: oldURL, NewURL: m.NewURL, FreshSalts: m.Options.FreshSalts,
	}
	var out []byte
	var warns []wordpress.Warning
	src, err := readFile(ctx, tree, "wp-config.php")
	switch {
	case err == nil:
		out, warns, err = wordpress.RewriteConfig(src, ch)
		if err != nil {
			return migration.Fail("Cannot rewrite wp-config.php", err)
		}
	case errors.Is(err, transfer.ErrNotFound):
		sample, serr := readFile(ctx, tree, "wp-config-sample.php")
		if serr != nil {
			return migration.Fail("The site has neither wp-config.php nor wp-config-sample.php", serr)
		}
		out, warns, err = wordpress.ConfigFromSample(sample, ch)
		if err != nil {
			return migration.Fail("Cannot write wp-config.php from wp-config-sample.php", err)
		}
		j.Logf(slog.LevelInfo, "The site had no wp-config.php: wrote one from wp-config-sample.php")
	default:
		return fileFailure(dst, err)
	}
	names, err := dropIns(ctx, tree)
	if err != nil {
		return fileFailure(dst, err)
	}
	warns = append(warns, wordpress.CacheDropInWarnings(names)...)
	// The new file gets its mode before it takes the old one's place: never wider than
	// on the source, never readable by others (perms.go).
	mode := p.wpConfigMode(ctx, m, res)
	var permWarn string
	err = writeFile(ctx, tree, "wp-config.php", out, func(tmp string) { permWarn = chmodConfig(ctx, tree, tmp, mode, j) })
	if err != nil {
		return fileFailure(dst, err)
	}
	if permWarn != "" {
		warns = append(warns, wordpress.Warning{Message: permWarn})
	}
	j.Logf(slog.LevelInfo, "wp-config.php now points at database %s on %s", dst.DB.Name, host)
	if m.Options.FreshSalts {
		j.Logf(slog.LevelInfo, "Wrote fresh authentication keys and salts: every user of the site must log in again")
	}
	for _, w := range warns {
		j.Logf(slog.LevelWarn, "%s", w.Message)
	}
	return p.update(ctx, m.ID, func(r *Results) {
		for _, w := range warns {
			r.addWarning(w.Message)
		}
	})
}

// dropIns returns the paths of wp-content's own entries, where cache drop-ins live: one
// listing, not a walk of the whole folder (thousands of uploads, one round trip per folder
// on a slow link).
func dropIns(ctx context.Context, tree transfer.Tree) ([]string, error) {
	var names []string
	if l, ok := tree.(transfer.Lister); ok {
		es, err := l.List(ctx, "wp-content")
		if errors.Is(err, transfer.ErrNotFound) {
			return nil, nil
		}
		for _, e := range es {
			names = append(names, e.Path)
		}
		return names, err
	}
	for _, p := range []string{"wp-content/object-cache.php", "wp-content/advanced-cache.php"} {
		if _, err := tree.Stat(ctx, p); err == nil {
			names = append(names, p)
		} else if !errors.Is(err, transfer.ErrNotFound) {
			return nil, err
		}
	}
	return names, nil
}

// readFile reads a small file from a tree.
func readFile(ctx context.Context, t transfer.Tree, p string) ([]byte, error) {
	rc, err := t.Open(ctx, p, 0)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxConfigSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxConfigSize {
		return nil, fmt.Errorf("%s is larger than %d bytes", p, maxConfigSize)
	}
	return b, nil
}

// writeFile writes data to p through a temporary name and a rename; before, when set, is
// called with the temporary name once the data is written, before the rename.
func writeFile(ctx context.Context, t transfer.Tree, p string, data []byte, before func(tmp string)) error {
	tmp := p + ".ferry-tmp"
	w, err := t.Create(ctx, tmp, 0)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		_ = w.Close()
		_ = t.Remove(ctx, tmp)
		return err
	}
	if err := w.Close(); err != nil {
		_ = t.Remove(ctx, tmp)
		return err
	}
	if before != nil {
		before(tmp)
	}
	return t.Rename(ctx, tmp, p)
}
