package sshcmd

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ctlDump runs mysqldump through the control session, which saves the SSH session start
// of a dump of its own (a shell that reads the user's rc files: 0.1 s and more on some
// hosts, a large part of a small site's dump). The shell starts the dump and prints
// "BOUNDARY PID"; the dump's output follows, then "\nBOUNDARY STATUS", the dump's error
// output (kept in a file beside the option file until then, so that it comes in order)
// and "\nBOUNDARY end". The boundary is random per dump and mysqldump escapes line breaks
// inside values, so it cannot occur in the dump. mode "schema" or "triggers" narrows the
// dump (dumpMode), "part" to a table's rows (lines: the table and the condition, see
// DumpParallel). ctx ends the dump with a kill from a session of its own (rare: Stop),
// and the control session goes on. The caller holds ctlMu.
func (r *Runner) ctlDump(ctx context.Context, w io.Writer, mode string, lines ...string) error {
	var rb [16]byte
	_, _ = rand.Read(rb[:])
	boundary := "ferry-dump-" + hex.EncodeToString(rb[:])
	ask := "dump " + boundary
	if mode != "" {
		ask += " " + mode
	}
	if r.Commands != nil {
		heard := ask
		for _, l := range lines {
			heard += " " + shq(l)
		}
		r.Commands(heard)
	}
	for _, l := range lines {
		ask += "\n" + l
	}
	lost := func(err error) error {
		r.ctlLost = true
		r.ctl.Close() // out of step: later dumps take a session of their own
		return fmt.Errorf("%s on the server: %w", baseName(r.dumpBin), err)
	}
	if _, err := io.WriteString(r.ctlIn, ask+"\n"); err != nil {
		return lost(err)
	}
	head, err := r.ctlOut.ReadString('\n')
	if err != nil {
		return lost(err)
	}
	pid, ok := strings.CutPrefix(strings.TrimSuffix(head, "\n"), boundary+" ")
	if _, perr := strconv.Atoi(pid); !ok || perr != nil {
		return lost(fmt.Errorf("unexpected answer %q", head))
	}
	var once sync.Once
	kill := func() {
		once.Do(func() {
			kctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_ = r.run(kctx, "kill "+pid, nil, io.Discard, io.Discard)
		})
	}
	stop := context.AfterFunc(ctx, kill)
	defer stop()
	marker := []byte("\n" + boundary + " ")
	status, more, werr, err := copyUntil(w, r.ctlOut, marker, kill)
	if err != nil {
		return lost(err)
	}
	var errText limitBuffer
	end, more, _, err := copyUntil(&errText, io.MultiReader(bytes.NewReader(more), r.ctlOut), marker, func() {})
	if err == nil && (end != "end" || len(more) > 0) {
		err = fmt.Errorf("unexpected end of the dump's error output %q", end)
	}
	if err != nil {
		return lost(err)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if werr != nil {
		return werr
	}
	if status != "0" {
		return fmt.Errorf("%s on the server: exit status %s: %s", baseName(r.dumpBin), status, strings.TrimSpace(errText.String()))
	}
	return nil
}

// copyUntil copies src to w up to marker, then reads the rest of marker's line (the exit
// status); more is what it read past that line. When w fails, onWriteErr is called once
// and the copy goes on, discarding, to the marker, so that the stream stays in step; the
// write error is returned as werr.
func copyUntil(w io.Writer, src io.Reader, marker []byte, onWriteErr func()) (status string, more []byte, werr, err error) {
	buf := make([]byte, 0, 96<<10)
	chunk := make([]byte, 32<<10)
	write := func(p []byte) {
		if werr == nil && len(p) > 0 {
			if _, werr = w.Write(p); werr != nil {
				onWriteErr()
			}
		}
	}
	for {
		n, rerr := src.Read(chunk)
		buf = append(buf, chunk[:n]...)
		if i := bytes.Index(buf, marker); i >= 0 {
			write(buf[:i])
			rest := append([]byte{}, buf[i+len(marker):]...)
			for bytes.IndexByte(rest, '\n') < 0 {
				if rerr != nil {
					return "", nil, werr, rerr
				}
				n, rerr = src.Read(chunk)
				rest = append(rest, chunk[:n]...)
			}
			nl := bytes.IndexByte(rest, '\n')
			return string(rest[:nl]), rest[nl+1:], werr, nil
		}
		if keep := len(marker) - 1; len(buf) > keep {
			write(buf[:len(buf)-keep])
			buf = append(buf[:0], buf[len(buf)-keep:]...)
		}
		if rerr != nil {
			if errors.Is(rerr, io.EOF) {
				rerr = io.ErrUnexpectedEOF
			}
			return "", nil, werr, rerr
		}
	}
}
