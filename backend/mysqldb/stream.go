package mysqldb

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"sync/atomic"
)

// decompress returns r, or a gzip reader over r when the stream starts with gzip's magic
// bytes: users drop dump.sql and dump.sql.gz alike, whatever the file is called.
func decompress(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(2)
	if err != nil && len(head) < 2 {
		return br, nil // empty or one-byte stream: the splitter reports what is wrong
	}
	if head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("open gzip sql: %w", err)
		}
		return zr, nil
	}
	return br, nil
}

// countingReader counts the bytes read through it; Import reports progress from it.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
