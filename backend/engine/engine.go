// Package engine wires Ferry's parts together — history and use cases (service), the
// queue (runner) and the WordPress steps (pipeline) — the same way for the desktop app and
// for the headless commands, so a migration behaves identically in both.
package engine

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"

	"ferry/backend/events"
	"ferry/backend/hostlimit"
	"ferry/backend/mysqldb"
	"ferry/backend/pipeline"
	"ferry/backend/runner"
	"ferry/backend/service"
	"ferry/backend/store"
)

// Setting keys kept in the history.
const (
	SettingConcurrency = "concurrent_migrations" // migrations at once, 1..8 (default 2)
	SettingConnections = "transfer_connections"  // connections per file transfer, 1..16, or 0 (the default): automatic
	// Per-host limits of batch migrations (see hostlimit).
	SettingBatchPerSource      = "batch_per_source_host"      // migrations at once per source host, 1..8 (default 2)
	SettingBatchPerDestination = "batch_per_destination_host" // migrations at once per destination host, 1..8 (default 2)
	SettingBatchConnections    = "batch_host_connections"     // connections per server, 1..64 (default 8)
)

// Config configures Open.
type Config struct {
	// DataDir is the history folder; "" means $FERRY_DATA_DIR or the user's config dir.
	DataDir string
	Emitter events.Emitter
	Logger  *slog.Logger
}

// Engine is a running Ferry backend.
type Engine struct {
	Service  *service.Service
	Runner   *runner.Runner
	Pipeline *pipeline.Pipeline
	// Limits holds the per-host limits of batch migrations.
	Limits *hostlimit.Limits
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Open opens the history, marks runs a previous process left behind as interrupted,
// and starts the runner. Close stops it.
func Open(ctx context.Context, cfg Config) (*Engine, error) {
	if cfg.Emitter == nil {
		cfg.Emitter = events.Nop{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	svc, err := service.Open(ctx, service.Config{DataDir: cfg.DataDir, Emitter: cfg.Emitter, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	st := svc.Store()
	pipe := &pipeline.Pipeline{
		DataDir: svc.DataDir(), HostKeys: st.HostKeys(), Results: st, Files: st,
		// Unset is automatic (0): 4 connections, growing to 8 on an FTP server while that
		// still speeds the copy up. A number the admin saved is kept to.
		Connections: intSetting(ctx, st, SettingConnections, 0, 0, 16),
		Compression: compression(cfg.Logger),
		// A batch's budget per server may be set above the 8 logins a lone migration keeps to.
		ServerLogins: max(hostlimit.DefaultConnections, intSetting(ctx, st, SettingBatchConnections, hostlimit.DefaultConnections, 1, 64)),
	}
	leases := svc.Leases()
	limits := newLimits(ctx, svc, cfg.Logger)
	r := runner.New(runner.Config{
		Store: svc.RunnerStore(), Pipeline: pipe, Emitter: cfg.Emitter, Logger: cfg.Logger,
		Concurrency: intSetting(ctx, st, SettingConcurrency, 2, 1, 8), Leases: leases, Gate: limits,
	})
	svc.AttachRunner(r)
	svc.AttachPipeline(pipe)
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	if err := r.Recover(rctx); err != nil {
		cancel()
		svc.Close()
		return nil, fmt.Errorf("recover interrupted migrations: %w", err)
	}
	r.Start(rctx)
	e := &Engine{Service: svc, Runner: r, Pipeline: pipe, Limits: limits, cancel: cancel}
	// PHP agents of runs that died are removed now rather than at their Retry; slow or
	// unreachable hosts must not hold up the start, so in the background.
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		if err := svc.RemoveLeftAgents(rctx); err != nil && rctx.Err() == nil {
			cfg.Logger.Warn("remove PHP agents left by killed runs", "err", err)
		}
	}()
	return e, nil
}

// Close stops the runner (runs in progress stay "running" in the history and show as
// Interrupted at the next start, as after a crash) and closes the history.
func (e *Engine) Close() error {
	e.cancel()
	e.Runner.Close()
	e.wg.Wait()
	_ = e.Pipeline.Close()
	return e.Service.Close()
}

// CompressionEnv overrides when MySQL connections are compressed: "off" keeps them plain
// (a server whose compression misbehaves), "on" compresses them however near the server,
// "auto" (or unset) decides by the server's distance and link speed.
const CompressionEnv = "FERRY_MYSQL_COMPRESSION"

// compression reads CompressionEnv; a value it does not know is warned about and means
// "auto".
func compression(lg *slog.Logger) mysqldb.Compression {
	c, err := mysqldb.ParseCompression(os.Getenv(CompressionEnv))
	if err != nil {
		lg.Warn("ignoring "+CompressionEnv, "err", err)
	}
	return c
}

// newLimits sets up the per-host limits of batch migrations from the settings. A lowered
// connection budget is said once, in the log of the migration whose connection was refused.
func newLimits(ctx context.Context, svc *service.Service, lg *slog.Logger) *hostlimit.Limits {
	st := svc.Store()
	return hostlimit.New(hostlimit.Config{
		PerSource:      intSetting(ctx, st, SettingBatchPerSource, hostlimit.DefaultPerHost, 1, 8),
		PerDestination: intSetting(ctx, st, SettingBatchPerDestination, hostlimit.DefaultPerHost, 1, 8),
		Connections:    intSetting(ctx, st, SettingBatchConnections, hostlimit.DefaultConnections, 1, 64),
		Lookup: func(id int64) (hostlimit.Hosts, bool) {
			bctx := context.WithoutCancel(ctx)
			b, err := st.BatchOf(bctx, id)
			if err != nil || b == 0 {
				return hostlimit.Hosts{}, false
			}
			rec, err := st.Get(bctx, id)
			if err != nil {
				return hostlimit.Hosts{}, false
			}
			return hostlimit.Hosts{Source: rec.Migration.Source.Host, Destination: rec.Migration.Destination.Host}, true
		},
		Notify: func(id int64, msg string) {
			if _, err := svc.AppendLog(context.Background(), id, store.LevelWarn, "", msg); err != nil {
				lg.Warn("write log line", "id", id, "err", err)
			}
		},
	})
}

func intSetting(ctx context.Context, st *store.Store, key string, def, lo, hi int) int {
	v, err := st.Setting(ctx, key)
	if err != nil {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return def
	}
	return n
}
