package agent

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// ErrUnreadable means the agent could not read one file: the path was refused (not a
// plain relative path, or a Ferry agent), it is not a regular file, or opening or reading
// it failed on the server. The caller fetches that file another way.
var ErrUnreadable = errors.New("the agent could not read the file")

// A files request carries at most this many paths, in a body of at most filesBody bytes
// (or half the server's post_max_size when that is lower): what the agent does not get to
// within its time budget is asked for again, so the list is sent again too.
const (
	filesPaths = 2000
	filesBody  = 256 << 10
	// filesChunk bounds one chunk of a file's content; the agent sends 64 KiB.
	filesChunk = 1 << 20
	// filesName bounds a path or a reason in a response.
	filesName = 64 << 10
)

// ReadFiles fetches the files at paths (slash-separated, relative to the folder the agent
// was uploaded to) through the agent, many in one request and in as many requests as its
// time budget needs (see Config.Slice), and calls fn once per path, in the order of paths:
// with the file's content in r and err nil, or, for a file the agent could not read, with
// r nil and err wrapping ErrUnreadable (the caller fetches that one another way).
//
// Each file is held in memory whole and fn is called only once it arrived complete, so
// fn never sees a partial file or one path twice, even when a request fails mid-way and
// is sent again from the first path not yet given to fn. Send only small files. r is
// valid until fn returns.
//
// Content that shrinks comes deflated (see Config.Plain).
//
// An error fn returns stops ReadFiles and is returned as it is. A request that fails in
// transit is retried up to Config.Retries times in a row without progress. ReadFiles may
// run in several goroutines at once (each call is its own requests).
func (a *Agent) ReadFiles(ctx context.Context, paths []string, fn func(path string, r io.Reader, err error) error) error {
	budget := a.budget().Milliseconds() // 0 (a Slice under 1 ms): one file per request
	limit := filesBody
	if a.PostMax > 0 {
		limit = min(limit, int(a.PostMax/2))
	}
	deflate := "1" // deflated chunks welcome
	if a.cfg.Plain {
		deflate = "0"
	}
	var buf bytes.Buffer
	tries := 0
	for i := 0; i < len(paths); {
		batch := paths[i:]
		size := 0
		for j, p := range batch {
			size += 4 + len(p)
			if j > 0 && (j == filesPaths || size > limit) {
				batch = batch[:j]
				break
			}
		}
		body := field(nil, "files")
		body = field(body, strconv.FormatInt(budget, 10))
		body = field(body, deflate)
		body = field(body, strconv.Itoa(len(batch)))
		for _, p := range batch {
			body = field(body, p)
		}
		n, err := a.readFiles(ctx, body, batch, &buf, fn)
		i += n
		if n > 0 {
			tries = 0
		}
		if err == nil {
			continue
		}
		var fe fnError
		if errors.As(err, &fe) {
			return fe.err
		}
		var te *transportError
		if !errors.As(err, &te) {
			return fmt.Errorf("agent: read files: %w", err)
		}
		if tries++; tries > a.cfg.Retries {
			return fmt.Errorf("agent: read files: %w", err)
		}
		if werr := wait(ctx, tries); werr != nil {
			return werr
		}
	}
	return nil
}

// fnError carries an error of ReadFiles' callback, to be returned as it is.
type fnError struct{ err error }

func (e fnError) Error() string { return e.err.Error() }

// readFiles sends one files request for want and hands each file that arrives complete to
// fn. It returns how many paths of want were given to fn.
func (a *Agent) readFiles(ctx context.Context, body []byte, want []string, buf *bytes.Buffer, fn func(string, io.Reader, error) error) (int, error) {
	resp, err := a.post(ctx, body)
	if err != nil {
		return 0, err
	}
	defer resp.Close()
	return parseFiles(bufio.NewReaderSize(resp, 64<<10), want, buf, fn)
}

// parseFiles reads a files response (after the magic line) for want.
func parseFiles(r io.Reader, want []string, buf *bytes.Buffer, fn func(string, io.Reader, error) error) (int, error) {
	fr := &frameReader{r: r}
	var zr io.ReadCloser
	n := 0
	// next checks that the agent answers the path it was asked for next.
	next := func(p []byte) error {
		if fr.err != nil {
			return nil
		}
		if n >= len(want) || string(p) != want[n] {
			return errors.New("the agent answered a file it was not asked for")
		}
		return nil
	}
	for {
		switch fr.byte() {
		case 'X':
			p, why := fr.strMax(filesName), fr.strMax(filesName)
			if err := next(p); err != nil {
				return n, err
			}
			if fr.err == nil {
				n++
				if err := fn(want[n-1], nil, fmt.Errorf("%w %s: %s", ErrUnreadable, want[n-1], why)); err != nil {
					return n, fnError{err}
				}
			}
		case 'F':
			if err := next(fr.strMax(filesName)); err != nil {
				return n, err
			}
			buf.Reset()
			var ferr error
			done := false
			for !done && fr.err == nil {
				switch fr.byte() {
				case 'c':
					fr.chunk(buf)
				case 'd':
					fr.deflated(buf, &zr)
				case 'e':
					done = true
				case 'x':
					ferr = fmt.Errorf("%w %s: %s", ErrUnreadable, want[n], fr.strMax(filesName))
					done = true
				default:
					if fr.err == nil {
						fr.err = errors.New("malformed response")
					}
				}
			}
			if fr.err == nil {
				n++
				var r io.Reader
				if ferr == nil {
					r = bytes.NewReader(buf.Bytes())
				}
				if err := fn(want[n-1], r, ferr); err != nil {
					return n, fnError{err}
				}
			}
		case 'Z':
			if fr.err == nil {
				if n == 0 && len(want) > 0 {
					return 0, errors.New("the agent answered none of the files")
				}
				return n, nil
			}
		default:
			if fr.err == nil {
				fr.err = errors.New("malformed response")
			}
		}
		if fr.err != nil {
			return n, &transportError{fr.err}
		}
	}
}

// deflated appends one length-prefixed chunk of file content, deflated, to buf.
// zr is the inflater, kept from chunk to chunk.
func (f *frameReader) deflated(buf *bytes.Buffer, zr *io.ReadCloser) {
	z := f.strMax(filesChunk)
	if f.err != nil {
		return
	}
	if *zr == nil {
		*zr = flate.NewReader(bytes.NewReader(z))
	} else if err := (*zr).(flate.Resetter).Reset(bytes.NewReader(z), nil); err != nil {
		f.err = err
		return
	}
	n, err := io.CopyN(buf, *zr, filesChunk+1)
	if err == io.EOF && n <= filesChunk {
		err = nil
	} else if err == nil {
		err = errors.New("chunk too long")
	}
	if err != nil {
		f.err = fmt.Errorf("malformed response: deflated chunk: %w", err)
	}
}

// strMax reads a length-prefixed string of at most limit bytes.
func (f *frameReader) strMax(limit uint32) []byte {
	n := f.u32()
	if f.err != nil {
		return nil
	}
	if n > limit {
		f.err = errors.New("malformed response: field too long")
		return nil
	}
	b := make([]byte, n)
	f.read(b)
	return b
}

// chunk appends one length-prefixed chunk of file content to buf.
func (f *frameReader) chunk(buf *bytes.Buffer) {
	n := f.u32()
	if f.err != nil {
		return
	}
	if n > filesChunk {
		f.err = errors.New("malformed response: chunk too long")
		return
	}
	if _, err := io.CopyN(buf, f.r, int64(n)); err != nil {
		f.err = fmt.Errorf("response ends early: %w", err)
	}
}
