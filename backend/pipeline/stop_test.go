package pipeline_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/events"
	"ferry/backend/migration"
	"ferry/backend/pipeline"
	"ferry/backend/pipeline/oracle"
	"ferry/backend/runner"
	"ferry/backend/service"
)

// holdPipeline is the real pipeline, except that the first time step hold starts it
// signals reached and waits for the run to be stopped (its context ends), the way a step
// stuck on a dead server does. The database track, started by Download files, keeps
// running meanwhile, so a Stop also ends an export and import half-way.
type holdPipeline struct {
	*pipeline.Pipeline
	hold    migration.StepID
	reached chan struct{}
	once    sync.Once
}

func (p *holdPipeline) Step(m migration.Migration, s migration.StepID) runner.StepFunc {
	fn := p.Pipeline.Step(m, s)
	if s != p.hold || fn == nil {
		return fn
	}
	return func(ctx context.Context, j *runner.Job) error {
		first := false
		p.once.Do(func() { first = true })
		if !first {
			return fn(ctx, j)
		}
		close(p.reached)
		<-ctx.Done()
		// The real step then runs on the ended context, as a step whose connection Stop
		// cut returns: it fails, and the pipeline ends the database track with it.
		return fn(ctx, j)
	}
}

// newHoldHarness is newHarness with a holdPipeline.
func newHoldHarness(t *testing.T, hold migration.StepID) (*harness, *holdPipeline) {
	t.Helper()
	t.Setenv("FERRY_KEYRING", "off")
	dir := t.TempDir()
	rec := &events.Recorder{}
	svc, err := service.Open(context.Background(), service.Config{DataDir: dir, Emitter: rec})
	require.NoError(t, err)
	pipe := &pipeline.Pipeline{DataDir: dir, HostKeys: svc.Store().HostKeys(), Results: svc.Store(), Files: svc.Store(), Timeout: 10 * time.Second}
	hp := &holdPipeline{Pipeline: pipe, hold: hold, reached: make(chan struct{})}
	r := runner.New(runner.Config{Store: svc.RunnerStore(), Pipeline: hp, Emitter: rec})
	svc.AttachRunner(r)
	svc.AttachPipeline(pipe)
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, r.Recover(ctx))
	r.Start(ctx)
	t.Cleanup(func() {
		cancel()
		r.Close()
		_ = svc.Close()
	})
	return &harness{svc: svc, run: r, pipe: pipe, events: rec, dir: dir, cancel: cancel}, hp
}

// TestStopAtEachStep stops a migration while each step runs and inspects the destination
// afterwards: the run is Failed "Stopped by admin" at that step within seconds, staging
// is kept, the destination database holds only whole tables (each absent or with all of
// the source's rows), wp-config.php is the source's or the rewritten one and never a
// temporary leftover; then Retry finishes the migration and the oracle checks all of it.
func TestStopAtEachStep(t *testing.T) {
	for _, step := range []migration.StepID{
		migration.StepCheckDestination, migration.StepAnalyseSource, migration.StepDownloadFiles,
		migration.StepExportDatabase, migration.StepUploadFiles, migration.StepImportDatabase,
		migration.StepConfigureWordPress, migration.StepValidate,
	} {
		t.Run(string(step), func(t *testing.T) {
			h, hp := newHoldHarness(t, step)
			in, s, destDir, dstDSN := sftpToFTP(t)
			d, err := h.svc.CreateMigration(context.Background(), in)
			require.NoError(t, err)
			select {
			case <-hp.reached:
			case <-time.After(60 * time.Second):
				got, _ := h.svc.GetMigration(context.Background(), d.ID)
				t.Fatalf("never reached %s: %s %s", step, got.Status, got.FailureReason)
			}
			start := time.Now()
			row, err := h.svc.StopMigration(context.Background(), d.ID)
			require.NoError(t, err)
			require.Less(t, time.Since(start), 5*time.Second)
			require.Equal(t, "failed", row.Status)
			require.Equal(t, migration.ReasonStopped, row.FailureReason)
			got, err := h.svc.GetMigration(context.Background(), d.ID)
			require.NoError(t, err)
			require.Equal(t, string(step), got.CurrentStep)
			require.False(t, h.run.Running(d.ID))
			_, err = os.Stat(h.pipe.StagingDir(d.ID))
			switch step {
			case migration.StepCheckDestination, migration.StepAnalyseSource, migration.StepDownloadFiles:
			default:
				require.NoError(t, err, "staging is kept for Retry")
			}

			// The destination: only whole tables, no half-written wp-config.php.
			src, err := sql.Open("mysql", dsnOf(in.Source.DB))
			require.NoError(t, err)
			defer src.Close()
			dst, err := sql.Open("mysql", dstDSN)
			require.NoError(t, err)
			defer dst.Close()
			want := oracle.Counts(t, src)
			for table, n := range oracle.Counts(t, dst) {
				require.Equal(t, want[table], n, "table %s at the destination after Stop at %s is not whole", table, step)
			}
			_, err = os.Stat(filepath.Join(destDir, "wp-config.php.ferry-tmp"))
			require.ErrorIs(t, err, os.ErrNotExist, "no temporary wp-config.php is left")
			if cfg, err := os.ReadFile(filepath.Join(destDir, "wp-config.php")); err == nil && step != migration.StepValidate {
				orig, err := os.ReadFile(filepath.Join(s.Dir, "wp-config.php"))
				require.NoError(t, err)
				require.Equal(t, string(orig), string(cfg), "wp-config.php is rewritten only by Configure WordPress")
			}

			_, err = h.svc.RetryMigration(context.Background(), d.ID, false)
			require.NoError(t, err)
			d = h.waitDone(t, d.ID)
			require.Equal(t, "successful", d.Status, d.FailureReason)
			checkDestination(t, h, d.ID, in, s.Dir, destDir)
		})
	}
}
