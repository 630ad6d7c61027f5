package pipeline

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"ferry/backend/agent"
	"ferry/backend/migration"
	"ferry/backend/runner"
)

// Over FTP every file costs two round trips and a new data connection's slow start: a
// WordPress of 4,000 files takes minutes to come down from a server 40-120 ms away,
// however many logins Ferry opens. The site's own PHP reads many small files in one HTTP
// response. So when the source is an FTP or FTPS login, Download files puts Ferry's PHP
// agent into the site (as the database route through the site does: random name, a key
// per migration, recorded before the upload, removed when the download ends or at the
// next step or start after a crash) and fetches the files of 1 MiB or less through it,
// beside the FTP workers, which take the big ones. Where the site does not answer as the
// agent (its URL points elsewhere, a firewall refuses the request), or fails midway,
// every file left comes over FTP, as before, and the log says why. The agent is used
// over plain HTTP only when the source's login is plain FTP too: files never travel less
// protected than the admin chose. Options.FilesOverFTPOnly turns it off.

// siteFilesTimeout bounds putting the agent in place and its first answer.
const siteFilesTimeout = 30 * time.Second

// siteFiles is the source site's agent serving a download's small files.
type siteFiles struct {
	ready chan struct{} // closed once the agent answers, or failed (err)
	a     *agent.Agent
	err   error

	files, batches atomic.Int64
	bytes          atomic.Int64
	removeOnce     sync.Once
}

// startSiteFiles puts the agent into the source site, in the background, and returns the
// reader Mirror fetches small files through (its first request waits for the agent), or
// nil when the site's PHP is not to be used for this migration.
func (p *Pipeline) startSiteFiles(ctx context.Context, j *runner.Job) *siteFiles {
	m := j.Migration
	src := m.Source
	if m.Options.FilesOverFTPOnly || src.Protocol != migration.ProtocolFTP && src.Protocol != migration.ProtocolFTPS {
		return nil
	}
	url := p.siteURL(ctx, m, "source")
	if url == "" {
		return nil
	}
	if strings.HasPrefix(strings.ToLower(url), "http://") && src.Protocol != migration.ProtocolFTP {
		j.Logf(slog.LevelInfo, "The source site's URL is plain HTTP: every file comes over FTPS, as chosen, none through the site's PHP")
		return nil
	}
	op, err := p.opener(src, "")
	if err != nil {
		return nil
	}
	a, err := agent.New(agent.Config{SiteURL: url, IP: src.DB.SiteIP,
		Open: func(ctx context.Context) (agent.Files, error) { return op(ctx) }})
	if err != nil {
		return nil
	}
	sf := &siteFiles{ready: make(chan struct{}), a: a}
	p.agentUse(m.ID, 1)
	go func() {
		defer close(sf.ready)
		uctx, cancel := context.WithTimeout(ctx, siteFilesTimeout)
		defer cancel()
		if err := p.recordAgent(uctx, m.ID, AgentFile{Side: "source", Path: a.Path()}, true); err != nil {
			sf.err = err
			return
		}
		if err := a.Upload(uctx); err != nil {
			sf.err = fmt.Errorf("the site's PHP did not answer at %s (%w)", url, err)
			return
		}
		j.Logf(slog.LevelInfo, "Small files come through the site's PHP at %s, many per request, beside the FTP connections", a.URL())
	}()
	return sf
}

// read is the download Mirror's BulkReader.
func (sf *siteFiles) read(ctx context.Context, paths []string, fn func(string, io.Reader, error) error) error {
	select {
	case <-sf.ready:
	case <-ctx.Done():
		return ctx.Err()
	}
	if sf.err != nil {
		return sf.err
	}
	sf.batches.Add(1) // a batch is one request unless the time budget cuts it
	return sf.a.ReadFiles(ctx, paths, func(p string, r io.Reader, err error) error {
		if err != nil {
			return fn(p, r, err)
		}
		cr := &countReader{r: r}
		ferr := fn(p, cr, nil)
		sf.files.Add(1)
		sf.bytes.Add(cr.n)
		return ferr
	})
}

// finishSiteFiles removes the agent (even after a Stop) and logs what came through it;
// Download files calls it once, when it ends.
func (p *Pipeline) finishSiteFiles(j *runner.Job, sf *siteFiles) {
	m := j.Migration
	defer p.agentUse(m.ID, -1)
	<-sf.ready
	if n := sf.files.Load(); n > 0 {
		j.Logf(slog.LevelInfo, "%d files, %s, came through the site's PHP in %d batches", n, humanBytes(sf.bytes.Load()), sf.batches.Load())
	}
	ctx, cancel := context.WithTimeout(context.Background(), siteFilesTimeout)
	defer cancel()
	if err := sf.a.Remove(ctx); err != nil {
		j.Logf(slog.LevelWarn, "Could not remove Ferry's PHP file %s from the source docroot (Ferry tries again at the next step): %v", sf.a.Path(), err)
		return
	}
	_ = p.recordAgent(ctx, m.ID, AgentFile{Side: "source", Path: sf.a.Path()}, false)
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}
