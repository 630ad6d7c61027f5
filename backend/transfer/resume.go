package transfer

import (
	"context"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
)

// resumeOffset decides where to start: 0, or the size of a partial destination copy
// whose bytes are known good. It feeds the prefix into h so the manifest hash still
// covers the whole file.
func (m *mirror) resumeOffset(ctx context.Context, c *conns, j mirrorJob, srcPath, dstPath string, h hash.Hash, retry bool) (int64, error) {
	if j.size < m.opts.ResumeMin {
		return 0, nil
	}
	if !retry {
		if got, ok := m.dstSizes[j.rel]; !ok || got <= 0 || got >= j.size {
			return 0, nil
		}
	}
	e, err := c.dst.Stat(ctx, dstPath)
	if err != nil || e.IsDir || e.Size <= 0 || e.Size >= j.size {
		return 0, nil //nolint:nilerr // no usable partial copy: start over
	}
	off := e.Size
	if ow, ok := c.dst.(OrderedWriter); ok && ow.WritesInOrder() {
		// The partial copy is a true prefix of the source: its hash is the source's,
		// and reading it back is cheaper than reading the source again.
		if _, err := prefixHash(ctx, c.dst, dstPath, off, h); err != nil {
			return 0, err
		}
		return off, nil
	}
	dstSum, err := prefixHash(ctx, c.dst, dstPath, off, nil)
	if err != nil {
		return 0, err
	}
	srcSum, err := prefixHash(ctx, c.src, srcPath, off, h)
	if err != nil {
		return 0, err
	}
	if string(srcSum) != string(dstSum) {
		h.Reset() // holes or different bytes: copy again from the start
		return 0, nil
	}
	return off, nil
}

// prefixHash hashes the first n bytes of p, into into as well when it is not nil.
func prefixHash(ctx context.Context, t Tree, p string, n int64, into hash.Hash) ([]byte, error) {
	r, err := t.Open(ctx, p, 0)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	h := sha256.New()
	w := io.Writer(h)
	if into != nil {
		w = io.MultiWriter(h, into)
	}
	if _, err := io.CopyN(w, r, n); err != nil {
		return nil, fmt.Errorf("hash first %d bytes of %s: %w", n, p, err)
	}
	return h.Sum(nil), nil
}
