package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/require"

	"ferry/backend/engine"
	"ferry/backend/migration"
	"ferry/backend/pipeline"
	"ferry/backend/service"
)

// holdFs is a destination's file system that stops writing once after bytes have
// arrived, until release is closed: an upload caught in the middle.
type holdFs struct {
	afero.Fs
	after    int64
	received *atomic.Int64
	release  chan struct{}
}

func (h holdFs) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	f, err := h.Fs.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return holdFile{File: f, h: h}, nil
}

func (h holdFs) Create(name string) (afero.File, error) {
	return h.OpenFile(name, os.O_CREATE|os.O_TRUNC|os.O_RDWR, 0o644)
}

type holdFile struct {
	afero.File
	h holdFs
}

func (f holdFile) Write(p []byte) (int, error) {
	if f.h.received.Load() >= f.h.after {
		<-f.h.release
	}
	n, err := f.File.Write(p)
	f.h.received.Add(int64(n))
	return n, err
}

// slowFs is a destination's file system where each file written takes a while to close,
// as on a busy shared host: uploads last long enough for a batch's migrations to overlap.
type slowFs struct {
	afero.Fs
	delay time.Duration
}

func (s slowFs) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	f, err := s.Fs.OpenFile(name, flag, perm)
	if err != nil || flag&(os.O_WRONLY|os.O_RDWR) == 0 {
		return f, err
	}
	return slowFile{File: f, delay: s.delay}, nil
}

func (s slowFs) Create(name string) (afero.File, error) {
	return s.OpenFile(name, os.O_CREATE|os.O_TRUNC|os.O_RDWR, 0o644)
}

type slowFile struct {
	afero.File
	delay time.Duration
}

func (f slowFile) Close() error {
	time.Sleep(f.delay)
	return f.File.Close()
}

// TestBatchSummaryCountsBytesWhileTheyMove holds a batch's upload in the middle: the
// summary's bytes count what has arrived so far, before Upload files records its total,
// and end at the recorded totals.
func TestBatchSummaryCountsBytesWhileTheyMove(t *testing.T) {
	historyDir(t)
	b := newBatchSites(t, 1, 50)
	big := bytes.Repeat([]byte("ferry moves bytes "), 4<<20/18)
	require.NoError(t, os.WriteFile(filepath.Join(b.srcRoot, "site01", "wp-content", "uploads", "big.bin"), big, 0o644))
	var received atomic.Int64
	release := make(chan struct{})
	released := false
	defer func() {
		if !released {
			close(release)
		}
	}()
	const after = 1 << 20
	b.ftp.wrap = func(fs afero.Fs) afero.Fs {
		return holdFs{Fs: fs, after: after, received: &received, release: release}
	}

	sp, err := readBatchSpec(b.spec)
	require.NoError(t, err)
	f, err := os.Open(b.sites)
	require.NoError(t, err)
	list, problems := service.ParseSites(f)
	f.Close()
	require.Empty(t, problems)
	ctx := context.Background()
	e, err := engine.Open(ctx, engine.Config{})
	require.NoError(t, err)
	defer e.Close()
	bt, err := e.Service.CreateBatch(ctx, service.BatchInput{Name: sp.Name, File: b.sites, Sites: list,
		Shared: service.CreateInput{Method: sp.Method, Source: sp.Source, Destination: sp.Destination, Options: sp.Options}})
	require.NoError(t, err)
	ref := sp.Name

	results := func(id int64) pipeline.Results {
		var res pipeline.Results
		raw, err := e.Service.Store().Results(ctx, id)
		require.NoError(t, err)
		if len(raw) > 0 {
			require.NoError(t, json.Unmarshal(raw, &res))
		}
		return res
	}
	// Wait until the upload is held with a megabyte at the destination.
	var id int64
	deadline := time.Now().Add(2 * time.Minute)
	for received.Load() < after {
		require.True(t, time.Now().Before(deadline), "the upload never reached the hold")
		time.Sleep(20 * time.Millisecond)
	}
	var live int64
	deadline = time.Now().Add(30 * time.Second)
	for {
		require.True(t, time.Now().Before(deadline), "the summary never counted the bytes on their way")
		sum, err := e.Service.BatchSummary(ctx, ref)
		require.NoError(t, err)
		require.Len(t, sum.Rows, 1)
		id = sum.Rows[0].ID
		res := results(id)
		require.Nil(t, res.Upload, "the upload is held: it has recorded nothing yet")
		require.Equal(t, 1, sum.Running)
		recorded := int64(0)
		if res.Import != nil {
			recorded = res.Import.Bytes
		}
		if live = sum.Bytes - recorded; live >= after/2 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Ferry has sent more than the server took in: the rest waits in the connection.
	t.Logf("held upload: the server took %d bytes, the summary counts %d sent", received.Load(), live)
	require.LessOrEqual(t, live, int64(len(big))+1<<20, "no more than the site holds")

	close(release)
	released = true
	for {
		require.True(t, time.Now().Before(deadline), "the batch never ended")
		st, err := e.Service.BatchStatus(ctx, ref)
		require.NoError(t, err)
		if st.Done+st.Failed == 1 {
			require.Equal(t, 1, st.Done, "%+v", st.Rows)
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	sum, err := e.Service.BatchSummary(ctx, ref)
	require.NoError(t, err)
	res := results(id)
	require.NotNil(t, res.Upload)
	require.NotNil(t, res.Import)
	require.Equal(t, res.Upload.Bytes+res.Import.Bytes, sum.Bytes, "once done, the recorded totals")
	require.Greater(t, sum.Bytes, int64(len(big)))
	require.Equal(t, migration.StatusSuccessful, mustStatus(t, e, id))
	_ = bt
}

func mustStatus(t *testing.T, e *engine.Engine, id int64) migration.Status {
	t.Helper()
	rec, err := e.Service.Store().Get(context.Background(), id)
	require.NoError(t, err)
	return rec.Status
}
