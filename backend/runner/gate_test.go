package runner_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/events"
	"ferry/backend/migration"
	"ferry/backend/runner"
	"ferry/backend/service"
)

// oneAtATime admits the migrations in batch one at a time and every other at once, and
// records the most of batch's it saw running together.
type oneAtATime struct {
	mu      sync.Mutex
	batch   map[int64]bool
	running int
	peak    int
	started map[int64]time.Time
	ctxSeen map[int64]bool
}

type gateKey struct{}

func (g *oneAtATime) Admit(id int64) (func(), bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.started[id] = time.Now()
	if !g.batch[id] {
		return func() {}, true
	}
	if g.running >= 1 {
		delete(g.started, id)
		return nil, false
	}
	g.running++
	g.peak = max(g.peak, g.running)
	return func() { g.mu.Lock(); g.running--; g.mu.Unlock() }, true
}

func (g *oneAtATime) Context(ctx context.Context, id int64) context.Context {
	return context.WithValue(ctx, gateKey{}, id)
}

// TestGateHoldsBackWithoutBlockingOthers runs three migrations a gate admits one at a
// time and one it does not hold back, with room for four: the three never overlap, the
// fourth starts at once although it is queued behind them, and every step sees the
// gate's context.
func TestGateHoldsBackWithoutBlockingOthers(t *testing.T) {
	t.Setenv("FERRY_KEYRING", "off")
	s := newScript()
	s.hold = 40 * time.Millisecond
	svc, err := service.Open(context.Background(), service.Config{DataDir: t.TempDir(), Emitter: &events.Recorder{}})
	require.NoError(t, err)
	g := &oneAtATime{batch: map[int64]bool{1: true, 2: true, 3: true}, started: map[int64]time.Time{}, ctxSeen: map[int64]bool{}}
	seen := &ctxPipeline{inner: s, g: g}
	r := runner.New(runner.Config{Store: svc.RunnerStore(), Pipeline: seen, Concurrency: 4, Gate: g})
	svc.AttachRunner(r)
	ctx, cancel := context.WithCancel(context.Background())
	r.Start(ctx)
	t.Cleanup(func() { cancel(); r.Close(); _ = svc.Close() })
	e := env{svc: svc, run: r}
	var ids []int64
	for range 4 {
		d, err := svc.CreateMigration(context.Background(), input("sftp"))
		require.NoError(t, err)
		ids = append(ids, d.ID)
	}
	for _, id := range ids {
		wait(t, e, id, "successful")
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	require.Equal(t, 1, g.peak, "the gated migrations never ran together")
	require.True(t, g.started[4].Before(g.started[3]), "the free migration did not wait behind the gated ones")
	for _, id := range ids {
		require.True(t, g.ctxSeen[id], "migration %d's steps did not get the gate's context", id)
	}
}

type ctxPipeline struct {
	inner runner.Pipeline
	g     *oneAtATime
}

func (p *ctxPipeline) Step(m migration.Migration, id migration.StepID) runner.StepFunc {
	fn := p.inner.Step(m, id)
	return func(ctx context.Context, j *runner.Job) error {
		if v, ok := ctx.Value(gateKey{}).(int64); ok && v == j.Migration.ID {
			p.g.mu.Lock()
			p.g.ctxSeen[v] = true
			p.g.mu.Unlock()
		}
		return fn(ctx, j)
	}
}
