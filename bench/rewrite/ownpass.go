package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"ferry/backend/wordpress"
)

// ownPass is a second, minimal SQL-literal-aware pass kept beside mysqldb.RewriteStream
// to show how much of the rewrite's time the Replacer itself takes. It handles
// mysqldump output only (one statement per line, newlines inside values escaped as \n,
// quotes escaped with backslashes) and gives no column names to the Replacer. The
// product uses mysqldb.RewriteStream.
func ownPass(in, out string) error {
	rf, err := os.Open(in)
	if err != nil {
		return err
	}
	defer rf.Close()
	wf, err := os.Create(out)
	if err != nil {
		return err
	}
	rep, err := wordpress.NewReplacer(oldURL, newURL)
	if err != nil {
		return err
	}
	needle := rep.Needles()[0]
	br := bufio.NewReaderSize(rf, 4<<20)
	bw := bufio.NewWriterSize(wf, 1<<20)
	var long, unesc, esc []byte
	var changed int64
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long[:0], line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = br.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if len(line) > 0 {
			if !bytes.Contains(line, needle) {
				bw.Write(line)
			} else {
				last := 0
				for i := 0; i < len(line); {
					q := bytes.IndexByte(line[i:], '\'')
					if q < 0 {
						break
					}
					s := i + q + 1
					e := literalEnd(line, s)
					if e < 0 {
						break // unterminated: copy the rest as is
					}
					lit := line[s:e]
					if bytes.Contains(lit, needle) {
						unesc = unescapeSQL(unesc[:0], lit)
						if nv, ok := rep.RewriteString("", "", unesc); ok {
							bw.Write(line[last:s])
							esc = escapeSQL(esc[:0], nv)
							bw.Write(esc)
							last = e
							changed++
						}
					}
					i = e + 1
				}
				bw.Write(line[last:])
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := wf.Close(); err != nil {
		return err
	}
	st := rep.Stats()
	fmt.Printf("values_changed=%d urls_rewritten=%d broken=%d\n", changed, st.Replacements, st.Broken)
	return nil
}

// literalEnd returns the index of the quote closing the literal whose content starts
// at s: the first quote preceded by an even run of backslashes.
func literalEnd(b []byte, s int) int {
	for i := s; ; {
		q := bytes.IndexByte(b[i:], '\'')
		if q < 0 {
			return -1
		}
		e := i + q
		n := 0
		for k := e - 1; k >= s && b[k] == '\\'; k-- {
			n++
		}
		if n%2 == 0 {
			return e
		}
		i = e + 1
	}
}

func unescapeSQL(dst, b []byte) []byte {
	for {
		k := bytes.IndexByte(b, '\\')
		if k < 0 || k+1 >= len(b) {
			return append(dst, b...)
		}
		dst = append(dst, b[:k]...)
		switch c := b[k+1]; c {
		case '0':
			dst = append(dst, 0)
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'b':
			dst = append(dst, '\b')
		case 'Z':
			dst = append(dst, 0x1a)
		default:
			dst = append(dst, c)
		}
		b = b[k+2:]
	}
}

// special marks the bytes mysqldump escapes.
var special = [256]bool{0: true, '\n': true, '\r': true, '\\': true, '\'': true, '"': true, 0x1a: true}

// escapeSQL appends b escaped as mysqldump does, copying runs of plain bytes at once.
func escapeSQL(dst, b []byte) []byte {
	start := 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !special[c] {
			continue
		}
		dst = append(dst, b[start:i]...)
		switch c {
		case 0:
			dst = append(dst, '\\', '0')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case 0x1a:
			dst = append(dst, '\\', 'Z')
		default:
			dst = append(dst, '\\', c)
		}
		start = i + 1
	}
	return append(dst, b[start:]...)
}
