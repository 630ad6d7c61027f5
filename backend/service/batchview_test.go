package service

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/migration"
	"ferry/backend/pipeline"
)

const testSites = `domain,new_url,source_path,source_db,dest_path,dest_db,owner,service
a.example.org,https://a.example.org,/home/r/a,a_wp,/a,a_wp,Ann <ann@example.org>,Starter
b.example.org,https://b.example.org,/home/r/b,,/b,b_wp,bob@example.org,Starter
c.example.org,https://c.example.org,/home/r/c,c_wp,/c,c_wp,Cy <cy@example.org>,Business
`

func writeSites(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
	return p
}

func TestPreviewBatchNamesRowAndColumnAndStartsNothing(t *testing.T) {
	s, _, _ := newTestService(t)
	ctx := context.Background()
	shared := sftpInput()

	p, err := s.PreviewBatch(ctx, shared, writeSites(t, "old-host.csv", testSites))
	require.NoError(t, err)
	require.Empty(t, p.Problems)
	require.Equal(t, "old-host", p.Name)
	require.Len(t, p.Sites, 3)
	require.Equal(t, BatchSite{Line: 3, Domain: "b.example.org", NewURL: "https://b.example.org", SourcePath: "/home/r/b",
		DestPath: "/b", DestDB: "b_wp", Owner: "bob@example.org", Service: "Starter"}, p.Sites[1])

	bad := testSites + "d.example.org,not a url,/home/r/d,d_wp,/d,a_wp,Dee <dee@example.org>,Starter\n"
	p, err = s.PreviewBatch(ctx, shared, writeSites(t, "bad.csv", bad))
	require.NoError(t, err)
	cols := map[string]bool{}
	for _, pr := range p.Problems {
		require.Equal(t, 5, pr.Line, "%+v", pr)
		cols[pr.Column] = true
	}
	require.Equal(t, map[string]bool{"new_url": true, "dest_db": true}, cols)

	shared.Source.Host = ""
	p, err = s.PreviewBatch(ctx, shared, writeSites(t, "s.csv", testSites))
	require.NoError(t, err)
	require.Contains(t, p.Problems, BatchProblem{Column: "source.host", Message: p.Problems[0].Message})

	_, err = s.PreviewBatch(ctx, sftpInput(), filepath.Join(t.TempDir(), "missing.csv"))
	require.Contains(t, fieldsOf(t, err)["sites"], "missing.csv")

	_, err = s.StartBatch(ctx, BatchStart{Shared: sftpInput(), SitesPath: writeSites(t, "bad.csv", bad)})
	require.Contains(t, err.Error(), "bad.csv:5: column dest_db:")
	require.Equal(t, CodeInvalid, CodeOf(err))
	bs, err := s.ListBatches(ctx)
	require.NoError(t, err)
	require.Empty(t, bs)
	list, err := s.ListMigrations(ctx, ListQuery{})
	require.NoError(t, err)
	require.Zero(t, list.Total)
}

func TestBatchSummaryRetryAndStop(t *testing.T) {
	s, _, _ := newTestService(t)
	ctx := context.Background()
	b, err := s.StartBatch(ctx, BatchStart{Shared: sftpInput(), SitesPath: writeSites(t, "old-host.csv", testSites)})
	require.NoError(t, err)
	require.Equal(t, "old-host", b.Name)
	require.Len(t, b.Migrations, 3)
	done, failed, queued := b.Migrations[0], b.Migrations[1], b.Migrations[2]

	// A migration made on its own is neither tagged nor counted.
	alone, err := s.CreateMigration(ctx, sftpInput())
	require.NoError(t, err)

	list, err := s.ListMigrations(ctx, ListQuery{Batch: "old-host"})
	require.NoError(t, err)
	require.Equal(t, 3, list.Total)
	for _, r := range list.Rows {
		require.Equal(t, "old-host", r.Batch)
	}
	list, err = s.ListMigrations(ctx, ListQuery{Search: "bob.example.org"})
	require.NoError(t, err)
	require.Equal(t, alone.ID, list.Rows[0].ID)
	require.Empty(t, list.Rows[0].Batch)

	sum, err := s.BatchSummary(ctx, "old-host")
	require.NoError(t, err)
	require.Equal(t, [4]int{0, 0, 0, 3}, [4]int{sum.Done, sum.Running, sum.Failed, sum.Waiting})
	sameStatus(t, s, "old-host")
	require.Equal(t, -1.0, sum.ETASeconds)
	require.Empty(t, sum.ETA, "no site is done: nothing says how long the rest takes")

	res := func(up, imp, src int64) {
		raw, err := json.Marshal(pipeline.Results{SourceBytes: src, Upload: &pipeline.TransferStats{Files: 10, Bytes: up},
			Import: &pipeline.DatabaseStats{Tables: 12, Rows: 40, Bytes: imp}})
		require.NoError(t, err)
		require.NoError(t, s.Store().SetResults(ctx, done, raw))
	}
	moveTo(t, s, done, migration.StatusSuccessful, "")
	res(70_000, 5_000, 80_000)
	moveTo(t, s, failed, migration.StatusFailed, "Login incorrect")
	sameStatus(t, s, "old-host")
	st, err := s.BatchStatus(ctx, "old-host")
	require.NoError(t, err)
	require.Equal(t, "Login incorrect", st.Rows[1].FailureReason)

	bs, err := s.ListBatches(ctx)
	require.NoError(t, err)
	require.Len(t, bs, 1)
	sum = bs[0]
	require.Equal(t, [4]int{1, 0, 1, 1}, [4]int{sum.Done, sum.Running, sum.Failed, sum.Waiting})
	require.Equal(t, int64(75_000), sum.Bytes)
	require.Equal(t, int64(80_000), sum.SourceBytes)
	require.GreaterOrEqual(t, sum.ETASeconds, 0.0)
	require.Contains(t, sum.ETA, "left")
	require.Empty(t, sum.Rows, "the list of batches carries counts only")

	r, err := s.RetryFailedInBatch(ctx, "old-host")
	require.NoError(t, err)
	require.Equal(t, []int64{failed}, r.Done)
	rec, err := s.Store().Get(ctx, failed)
	require.NoError(t, err)
	require.Equal(t, migration.StatusQueued, rec.Status)
	_, err = s.RetryFailedInBatch(ctx, "old-host")
	require.Equal(t, CodeNotAllowed, CodeOf(err))

	r, err = s.StopBatch(ctx, "old-host")
	require.NoError(t, err)
	require.ElementsMatch(t, []int64{failed, queued}, r.Done)
	for _, id := range []int64{failed, queued} {
		rec, err := s.Store().Get(ctx, id)
		require.NoError(t, err)
		require.Equal(t, migration.StatusFailed, rec.Status)
		require.Equal(t, migration.ReasonStopped, rec.FailureReason)
	}
	rec, err = s.Store().Get(ctx, alone.ID)
	require.NoError(t, err)
	require.Equal(t, migration.StatusQueued, rec.Status, "Stop all stops the batch's migrations only")
	_, err = s.StopBatch(ctx, "old-host")
	require.Equal(t, CodeNotAllowed, CodeOf(err))
	sum, err = s.BatchSummary(ctx, "1")
	require.NoError(t, err)
	require.Equal(t, [4]int{1, 0, 2, 0}, [4]int{sum.Done, sum.Running, sum.Failed, sum.Waiting})
	require.Equal(t, 0.0, sum.ETASeconds, "nothing is left to run")
	require.Len(t, sum.Rows, 3)
	sameStatus(t, s, "1")
	require.NoError(t, s.Store().Delete(ctx, done))
	sameStatus(t, s, "1")
}

// sameStatus checks that BatchStatus, the cheap one, says what BatchSummary says of each
// migration and of the counts.
func sameStatus(t *testing.T, s *Service, ref string) {
	t.Helper()
	ctx := context.Background()
	sum, err := s.BatchSummary(ctx, ref)
	require.NoError(t, err)
	st, err := s.BatchStatus(ctx, ref)
	require.NoError(t, err)
	require.Equal(t, [6]int{sum.Sites, sum.Done, sum.Running, sum.Failed, sum.Waiting, len(sum.Rows)},
		[6]int{st.Sites, st.Done, st.Running, st.Failed, st.Waiting, len(st.Rows)})
	require.Equal(t, sum.ID, st.ID)
	require.Equal(t, sum.Name, st.Name)
	require.Equal(t, sum.Migrations, st.Migrations)
	for i, r := range sum.Rows {
		got := st.Rows[i]
		require.Equal(t, [5]string{fmt.Sprint(r.ID), r.Domain, r.Status, r.FailureReason, r.Batch},
			[5]string{fmt.Sprint(got.ID), got.Domain, got.Status, got.FailureReason, got.Batch})
	}
}

func TestBatchETA(t *testing.T) {
	for _, c := range []struct {
		elapsed    time.Duration
		done, left int
		want       float64
	}{
		{10 * time.Minute, 0, 5, -1},
		{10 * time.Minute, 2, 0, 0},
		{10 * time.Minute, 2, 4, 1200},
		{90 * time.Second, 3, 1, 30},
	} {
		require.Equal(t, c.want, batchETA(c.elapsed, c.done, c.left), "%+v", c)
	}
}

// BenchmarkListBatches measures what the window pays on each refresh of the Batch filter:
// 5 batches of 100 sites, each site with stored results.
func BenchmarkListBatches(b *testing.B) {
	b.Setenv("FERRY_KEYRING", "off")
	ctx := context.Background()
	s, err := Open(ctx, Config{DataDir: b.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	require.NoError(b, err)
	defer s.Close()
	raw, err := json.Marshal(pipeline.Results{Upload: &pipeline.TransferStats{Files: 10, Bytes: 1000},
		Import: &pipeline.DatabaseStats{Rows: 5, Bytes: 100}})
	require.NoError(b, err)
	dir := b.TempDir()
	for n := range 5 {
		var sb strings.Builder
		sb.WriteString("domain,new_url,source_path,source_db,dest_path,dest_db,owner,service\n")
		for i := range 100 {
			fmt.Fprintf(&sb, "s%d-%d.example.org,https://s%d-%d.example.org,/s%d,,/s%d-%d,db%d_%d,o%d@example.org,Plan\n", n, i, n, i, i, n, i, n, i, i)
		}
		p := filepath.Join(dir, fmt.Sprintf("batch%d.csv", n))
		require.NoError(b, os.WriteFile(p, []byte(sb.String()), 0o600))
		bt, err := s.StartBatch(ctx, BatchStart{Shared: sftpInput(), SitesPath: p})
		require.NoError(b, err)
		for _, id := range bt.Migrations {
			require.NoError(b, s.Store().SetResults(ctx, id, raw))
		}
	}
	b.ResetTimer()
	for b.Loop() {
		bs, err := s.ListBatches(ctx)
		if err != nil || len(bs) != 5 || bs[0].Bytes != 100*1100 {
			b.Fatalf("list batches: %v (%d batches)", err, len(bs))
		}
	}
}
