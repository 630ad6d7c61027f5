// Package pipeline holds the WordPress-specific steps of a migration (SPEC §2): check the
// destination, analyse the source, download files, export the database, upload the files,
// import the database with the URL rewrite on the stream, configure wp-config.php,
// validate, clean up. Each step is a method that reads what it needs from the migration
// and from the results earlier steps saved, so a retry can start at any step.
package pipeline

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"ferry/backend/agent"
	"ferry/backend/dbroute"
	"ferry/backend/events"
	"ferry/backend/migration"
	"ferry/backend/mysqldb"
	"ferry/backend/progress"
	"ferry/backend/runner"
	"ferry/backend/transfer"
	"ferry/backend/transfer/ftp"
	"ferry/backend/transfer/local"
	"ferry/backend/transfer/sftp"
	"ferry/backend/wordpress"
)

// ResultStore keeps each migration's results (what the report shows) between steps.
type ResultStore interface {
	Results(ctx context.Context, id int64) (json.RawMessage, error)
	SetResults(ctx context.Context, id int64, results json.RawMessage) error
}

// Pipeline builds the steps of every migration. Its fields are settings shared by all.
type Pipeline struct {
	// DataDir holds staging/<id>/ for each migration.
	DataDir string
	// HostKeys pins SFTP host keys on first use.
	HostKeys transfer.HostKeyStore
	// Results persists Results between steps.
	Results ResultStore
	// Files gives the files attached to manual migrations.
	Files FileStore
	// Connections is the number of parallel connections per file transfer (default 4).
	Connections int
	// DumpWorkers and ImportWorkers are the database connections used (defaults 4 and 2).
	DumpWorkers, ImportWorkers int
	// Timeout bounds each login (default 30 s).
	Timeout time.Duration
	// RootCAs replaces the system roots for FTPS (tests).
	RootCAs *x509.CertPool
	// HTTPTransport is used by the optional HTTP check (tests trust their server with it).
	HTTPTransport *http.Transport
	// Compression says when MySQL connections are compressed (the zero value: to a far
	// server or over a slow link, see mysqldb.Compression).
	Compression mysqldb.Compression
	// ServerLogins is the most logins Ferry holds at once on one FTP server, across its
	// steps and migrations, parked ones included (ftp.Logins): 0 is ftpConnections (8).
	// Connections, when the admin chose more, raises it.
	ServerLogins int
	// Sequential uploads the files only once all are downloaded, instead of each as
	// soon as it is (relay.go); benchmarks compare the two.
	Sequential bool

	mu sync.Mutex // guards Connections and serialises Results read-modify-write

	tmu    sync.Mutex // guards tracks, sites and listings
	tracks map[int64]*dbTrack
	// routes and agentsOpen: see dbroute.go
	routes     map[string]dbroute.Access
	agentsOpen map[int64]int
	sites      map[int64]wordpress.Site
	listings   map[int64][]transfer.Entry
	pools      map[int64]map[string]*sftp.Pool // by migration, see sftpPool
	relays     map[int64]*relayRun             // see relay.go
	handoffs   map[int64]*handoff              // see handoff.go
	aheads     map[int64]*aheadAnalysis        // see overlap.go
	parking    *transfer.Parking               // see parkingLot
	logins     map[string]*ftp.Logins          // by FTP server address, see ftpLogins
	moved      map[int64]*moving               // see Moving
}

var _ runner.Pipeline = (*Pipeline)(nil)

// Step returns the function of step s for migration m. A step that fails stops the
// migration's database track (track.go) before it returns, so nothing outlives the run.
func (p *Pipeline) Step(m migration.Migration, s migration.StepID) runner.StepFunc {
	fn := p.step(s)
	if fn == nil {
		return nil
	}
	return func(ctx context.Context, j *runner.Job) error {
		if !slices.Contains(j.Migration.Options.Excludes, agent.ExcludePattern) {
			// a PHP agent in a docroot is never copied (dbroute.go)
			j.Migration.Options.Excludes = append(slices.Clip(j.Migration.Options.Excludes), agent.ExcludePattern)
		}
		ctx = withRoute(ctx, j.Migration, j)
		ctx = context.WithValue(ctx, migrationKey{}, j.Migration.ID)
		p.removeLeftAgents(ctx, j.Migration, j)
		err := fn(ctx, j)
		// A step that succeeds on a stopped run (its work was already done) still ends
		// the track: a Retry must not wait on the stopped run's import.
		if err != nil || ctx.Err() != nil {
			p.stopAnalyse(j.Migration.ID)
			// Both at once: the upload winding down must not delay the import's cleanup.
			relayDone := make(chan struct{})
			go func() { defer close(relayDone); p.stopRelay(j.Migration.ID) }()
			p.stopTrack(j.Migration.ID)
			<-relayDone
		}
		// The migration's SFTP logins end with its run (or wait for its next step), and
		// so does the tally of what its running steps moved (read only while it runs).
		if err != nil || ctx.Err() != nil || s == migration.StepCleanUp {
			p.closePools(j.Migration.ID)
			p.forgetMoving(j.Migration.ID)
		}
		return err
	}
}

func (p *Pipeline) step(s migration.StepID) runner.StepFunc {
	switch s {
	case migration.StepCheckDestination:
		return p.checkDestination
	case migration.StepAnalyseSource:
		return p.analyseSource
	case migration.StepWaitForUpload:
		return p.waitForUpload
	case migration.StepDownloadFiles:
		return p.downloadFiles
	case migration.StepExportDatabase:
		return p.exportDatabase
	case migration.StepUploadFiles:
		return p.uploadFiles
	case migration.StepImportDatabase:
		return p.importDatabase
	case migration.StepConfigureWordPress:
		return p.configureWordPress
	case migration.StepValidate:
		return p.validate
	case migration.StepCleanUp:
		return p.cleanUp
	}
	return nil
}

// StagingDir is where a migration's downloaded files and dump live until Clean up.
func (p *Pipeline) StagingDir(id int64) string {
	return filepath.Join(p.DataDir, "staging", fmt.Sprint(id))
}

func (p *Pipeline) filesDir(id int64) string { return filepath.Join(p.StagingDir(id), "files") }
func (p *Pipeline) dumpPath(id int64) string { return filepath.Join(p.StagingDir(id), "database.sql") }
func (p *Pipeline) downloadManifest(id int64) string {
	return filepath.Join(p.StagingDir(id), "download.manifest")
}
func (p *Pipeline) uploadManifest(id int64) string {
	return filepath.Join(p.StagingDir(id), "upload.manifest")
}

func (p *Pipeline) connections() int {
	p.mu.Lock()
	n := p.Connections
	p.mu.Unlock()
	if n > 0 {
		return min(n, transfer.MaxWorkers)
	}
	return transfer.DefaultWorkers
}

// SetConnections changes the connections per file transfer for steps started from now on.
func (p *Pipeline) SetConnections(n int) {
	p.mu.Lock()
	p.Connections = n
	p.mu.Unlock()
}

// load returns the migration's results so far.
func (p *Pipeline) load(ctx context.Context, id int64) (Results, error) {
	var r Results
	if p.Results == nil {
		return r, nil
	}
	raw, err := p.Results.Results(ctx, id)
	if err != nil {
		return r, fmt.Errorf("read results: %w", err)
	}
	if len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &r); err != nil {
			return r, fmt.Errorf("decode results: %w", err)
		}
	}
	return r, nil
}

// update applies fn to the stored results.
func (p *Pipeline) update(ctx context.Context, id int64, fn func(*Results)) error {
	if p.Results == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	// what a step learned is kept even when it was stopped: a retry resumes from it
	ctx = context.WithoutCancel(ctx)
	r, err := p.load(ctx, id)
	if err != nil {
		return err
	}
	fn(&r)
	raw, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode results: %w", err)
	}
	return p.Results.SetResults(ctx, id, raw)
}

// meter makes a progress meter that publishes to the job.
func meter(j *runner.Job, total int64) *progress.Meter {
	return progress.NewMeter(total, 100*time.Millisecond, func(s progress.Snapshot) {
		j.Progress(snapshotEvent(s))
	})
}

func snapshotEvent(s progress.Snapshot) events.Progress {
	eta := -1.0
	if s.ETA >= 0 {
		eta = s.ETA.Seconds()
	}
	return events.Progress{
		Percent: s.Percent, BytesDone: s.Done, BytesTotal: s.Total,
		FilesDone: s.FilesDone, FilesTotal: s.FilesTotal, Speed: s.Speed, ETASeconds: eta,
	}
}

// removeAll deletes a staging path, ignoring a missing one.
func removeAll(p string) error {
	if err := local.RemoveAll(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
