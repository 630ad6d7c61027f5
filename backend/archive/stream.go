package archive

import (
	"archive/zip"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// budget is the expansion allowance shared by every worker of one Verify or Extract:
// counted from the bytes actually produced, never from what headers claim.
type budget struct {
	used     atomic.Int64
	maxTotal int64
	maxRatio float64
}

// meter reports progress at most every 100 ms, and always once at the end (finish):
// enough for a smooth bar without flooding the UI from several workers.
type meter struct {
	fn    func(done, total int64)
	total int64
	done  atomic.Int64
	mu    sync.Mutex
	last  time.Time
	sent  int64
}

const meterEvery = 100 * time.Millisecond

func (m *meter) add(n int64) {
	m.done.Add(n)
	if m.fn == nil {
		return
	}
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if now.Sub(m.last) < meterEvery {
		return
	}
	m.last = now
	if d := m.done.Load(); d > m.sent {
		m.sent = d
		m.fn(d, m.total)
	}
}

func (m *meter) finish() {
	if m.fn == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = m.done.Load()
	m.fn(m.sent, m.total)
}

// ctxReader stops a copy when ctx ends and counts what it reads.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
	on  func(int64)
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.r.Read(p)
	if n > 0 && c.on != nil {
		c.on(int64(n))
	}
	return n, err
}

var (
	flatePool sync.Pool // io.ReadCloser implementing flate.Resetter
	bufPool   = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}
)

func getFlate(r io.Reader) io.ReadCloser {
	if fr, ok := flatePool.Get().(io.ReadCloser); ok {
		if err := fr.(flate.Resetter).Reset(r, nil); err == nil {
			return fr
		}
	}
	return flate.NewReader(r)
}

// entryError is what went wrong with one entry's data; copyEntry's caller turns it
// into a Problem (Verify) or an error (Extract).
type entryError struct {
	kind error // ErrChecksum, ErrCorrupt, ErrTooLarge, ErrRatio, ErrMethod
	why  string
}

func (e *entryError) Error() string { return e.why }
func (e *entryError) Unwrap() error { return e.kind }

// copyEntry streams f's data into w (which may be nil), decompressing it itself from
// the raw bytes so that it can count compressed bytes for progress, stop the moment
// the data expands past the entry's declared size, the shared budget or the ratio
// limit, and check the CRC-32 whatever the header says. It returns the bytes written.
func copyEntry(ctx context.Context, f *zip.File, w io.Writer, b *budget, onPacked func(int64)) (int64, error) {
	raw, err := f.OpenRaw()
	if err != nil {
		return 0, &entryError{ErrCorrupt, "its local header cannot be read"}
	}
	cr := &ctxReader{ctx: ctx, r: raw, on: onPacked}
	var src io.Reader
	switch f.Method {
	case zip.Store:
		src = cr
	case zip.Deflate:
		fr := getFlate(cr)
		defer func() { fr.Close(); flatePool.Put(fr) }()
		src = fr
	default:
		return 0, &entryError{ErrMethod, fmt.Sprintf("compression method %d", f.Method)}
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	h := crc32.NewIEEE()
	declared := int64(f.UncompressedSize64)
	packed := float64(max(f.CompressedSize64, 1))
	var n int64
	for {
		k, rerr := src.Read(buf)
		if k > 0 {
			n += int64(k)
			if n > declared {
				return n, &entryError{ErrTooLarge, "it expands past the size its header declares"}
			}
			if b.used.Add(int64(k)) > b.maxTotal {
				return n, &entryError{ErrTooLarge, "the archive expands past the size limit"}
			}
			if n > ratioFloor && float64(n) > b.maxRatio*packed {
				return n, &entryError{ErrRatio, "compression ratio too high"}
			}
			h.Write(buf[:k])
			if w != nil {
				if _, werr := w.Write(buf[:k]); werr != nil {
					return n, fmt.Errorf("write: %w", werr)
				}
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			if ctx.Err() != nil {
				return n, ctx.Err()
			}
			if errors.Is(rerr, io.ErrUnexpectedEOF) || errors.Is(rerr, io.EOF) {
				return n, &entryError{ErrCorrupt, "its data is cut short"}
			}
			var ce flate.CorruptInputError
			if errors.As(rerr, &ce) {
				return n, &entryError{ErrCorrupt, "its compressed data is damaged"}
			}
			return n, &entryError{ErrCorrupt, "read: " + rerr.Error()}
		}
	}
	if n != declared {
		return n, &entryError{ErrCorrupt, fmt.Sprintf("it holds %d bytes, its header says %d", n, declared)}
	}
	if h.Sum32() != f.CRC32 {
		return n, &entryError{ErrChecksum, "CRC mismatch"}
	}
	return n, nil
}
