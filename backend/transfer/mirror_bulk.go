package transfer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
)

// BulkReader fetches many small files at once over a channel that has no round trip per
// file (the source site's PHP agent: agent.ReadFiles). It calls fn once per path, in the
// order given, with the file's whole content, or with r nil and err saying why it could
// not fetch that one. paths are relative to MirrorOptions.SrcDir. An error fn returns
// ends the call and is returned as it is.
type BulkReader func(ctx context.Context, paths []string, fn func(path string, r io.Reader, err error) error) error

// Bulk batches: a request asks for up to bulkFiles files or bulkBytes bytes, and
// bulkLanes requests run at once (a shared host serves a site with a few PHP workers;
// taking them all would slow the site itself).
const (
	bulkFiles   = 500
	bulkBytes   = 8 << 20
	bulkLanes   = 2
	bulkMaxSize = 1 << 20
)

// bulk is the state of a Mirror's bulk fetching.
type bulk struct {
	off    atomic.Bool // the reader failed as a whole: the workers copy everything
	notice sync.Once
}

// lend takes up to n of the smallest files left, each at most maxSize bytes and together
// at most maxBytes, that ok accepts, for a bulk request: the workers see them as in hand
// (they wait for what may come back) without counting them against streamBytes.
func (q *jobQueue) lend(n int, maxBytes, maxSize int64, ok func(mirrorJob) bool) []mirrorJob {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return nil
	}
	var out []mirrorJob
	var bytes int64
	for i := len(q.jobs) - 1; i >= 0 && len(out) < n; i-- {
		j := q.jobs[i]
		if j.size > maxSize || len(out) > 0 && bytes+j.size > maxBytes {
			break // sorted largest first: nothing smaller is left before i
		}
		if j.noBulk || !ok(j) {
			continue
		}
		out = append(out, j)
		bytes += j.size
		q.jobs = slices.Delete(q.jobs, i, i+1)
	}
	q.lent += len(out)
	return out
}

// repay ends a bulk request's hold on delivered files and gives back the ones it did not
// deliver, for the workers.
func (q *jobQueue) repay(delivered int, back []mirrorJob) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.lent -= delivered + len(back)
	for _, j := range back {
		j.noBulk = true
		q.jobs = append(q.jobs, j) // small ones: the end of a largest-first queue
	}
	q.cond.Broadcast()
}

// bulkCopy copies files of q fetched through MirrorOptions.Bulk until no small file is
// left, the reader failed as a whole, or ctx ended. It writes through a destination
// connection of its own and never opens the source.
func (m *mirror) bulkCopy(ctx context.Context, q *jobQueue) {
	var dst Tree
	defer func() {
		if dst != nil {
			_ = dst.Close()
		}
	}()
	bulkOK := func(j mirrorJob) bool { return !slices.Contains(m.opts.Atomic, j.rel) }
	for !m.bulk.off.Load() && ctx.Err() == nil {
		batch := q.lend(bulkFiles, bulkBytes, m.opts.BulkMax, bulkOK)
		if len(batch) == 0 {
			return
		}
		if dst == nil {
			var err error
			if dst, err = m.dst(ctx); err != nil {
				dst = nil
				q.repay(0, batch)
				m.bulkFailed(ctx, fmt.Errorf("open destination: %w", err))
				return
			}
		}
		if err := m.bulkBatch(ctx, dst, batch, q); err != nil {
			m.bulkFailed(ctx, err)
			return
		}
	}
}

// bulkFailed turns bulk fetching off: the workers copy what is left, as they would have
// without it. The admin hears why, once.
func (m *mirror) bulkFailed(ctx context.Context, err error) {
	m.bulk.off.Store(true)
	if ctx.Err() != nil {
		return
	}
	m.bulk.notice.Do(func() {
		if m.opts.OnNotice != nil {
			m.opts.OnNotice(fmt.Sprintf("Small files come one at a time: %s", Message(err)))
		}
	})
}

// bulkBatch fetches batch through the reader and writes each file whole. A file the
// reader could not fetch, or delivered at another size than listed (it changed since),
// goes back to the workers, as does every file not delivered when the request fails.
func (m *mirror) bulkBatch(ctx context.Context, dst Tree, batch []mirrorJob, q *jobQueue) error {
	paths := make([]string, len(batch))
	for i, j := range batch {
		paths[i] = j.rel
	}
	next, delivered := 0, 0
	var back []mirrorJob
	err := m.opts.Bulk(ctx, paths, func(p string, r io.Reader, ferr error) error {
		if next >= len(batch) || p != batch[next].rel {
			return fmt.Errorf("bulk reader answered %q out of turn", p)
		}
		j := batch[next]
		next++
		if ferr != nil || r == nil {
			back = append(back, j)
			return nil
		}
		data, err := io.ReadAll(io.LimitReader(r, j.size+1))
		if err != nil {
			back = append(back, j)
			return err
		}
		if int64(len(data)) != j.size {
			back = append(back, j)
			return nil
		}
		f, err := m.writeWhole(ctx, dst, j, data)
		if err != nil {
			back = append(back, j)
			return err
		}
		m.record(f)
		m.journal.add(f)
		m.relayOut(f)
		m.meter.FileDone()
		delivered++
		return nil
	})
	if err == nil && next < len(batch) {
		err = errors.New("bulk reader left files unanswered")
	}
	q.repay(delivered, append(back, batch[next:]...))
	return err
}

// writeWhole writes a file fetched whole and returns its manifest entry.
func (m *mirror) writeWhole(ctx context.Context, dst Tree, j mirrorJob, data []byte) (ManifestFile, error) {
	w, err := dst.Create(ctx, JoinRoot(m.dstDir, j.rel), 0)
	if err != nil {
		return ManifestFile{}, err
	}
	if _, err := w.Write(data); err != nil {
		_ = w.Close()
		return ManifestFile{}, err
	}
	if err := w.Close(); err != nil {
		return ManifestFile{}, err
	}
	m.meter.Add(int64(len(data)))
	if err := m.opts.Pace.Wait(ctx, len(data)); err != nil {
		return ManifestFile{}, err
	}
	sum := sha256.Sum256(data)
	return ManifestFile{Path: j.rel, Size: j.size, SHA256: hex.EncodeToString(sum[:]), Mode: j.mode}, nil
}
