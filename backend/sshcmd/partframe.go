package sshcmd

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"sync"
)

var stmtPool = sync.Pool{New: func() any { b := make([]byte, 0, 1<<20); return &b }}

func getStmt() *[]byte { b := stmtPool.Get().(*[]byte); *b = (*b)[:0]; return b }
func putStmt(b *[]byte) {
	if cap(*b) <= 8<<20 {
		stmtPool.Put(b)
	}
}

// framer cuts a part's dump into its INSERT statements, each whole: one line (MySQL's
// mysqldump) or a line per row (MariaDB's), ending in ";" at the end of a line. mysqldump
// escapes line breaks inside values, so a line never ends inside one. A part dumps rows
// only (dataFlags), so its other lines are comments and the dump's opening and closing
// session settings (MySQL's include SET NAMES in a /*!50503 comment and, with GTIDs, SET
// @@GLOBAL.GTID_PURGED over several lines), which the definitions' dump carries for the
// whole stream: they are left out. A statement that writes rows in another form is an
// error, never dropped.
type framer struct{ stmt *[]byte }

// add takes one line ("\n" included); it returns a statement when line ends one.
func (f *framer) add(line []byte) (*[]byte, error) {
	if f.stmt == nil {
		if !bytes.HasPrefix(line, []byte("INSERT INTO ")) {
			if rowsRe.Match(line) {
				return nil, fmt.Errorf("unexpected statement in a table's dump: %.80q", line)
			}
			return nil, nil
		}
		f.stmt = getStmt()
	}
	*f.stmt = append(*f.stmt, line...)
	if !bytes.HasSuffix(bytes.TrimRight(line, "\r\n"), []byte(";")) {
		return nil, nil
	}
	s := f.stmt
	f.stmt = nil
	if (*s)[len(*s)-1] != '\n' {
		*s = append(*s, '\n')
	}
	return s, nil
}

// end is the end of a part's dump: an error when it stopped inside a statement.
func (f *framer) end() error {
	if f.stmt == nil {
		return nil
	}
	putStmt(f.stmt)
	f.stmt = nil
	return errors.New("the dump ended inside an INSERT statement")
}

// framingWriter frames a part's dump written to it (by ctlDump) and sends its statements.
type framingWriter struct {
	ctx  context.Context
	out  chan<- *[]byte
	f    framer
	line []byte // the start of a line not ended yet
}

func (fw *framingWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			fw.line = append(fw.line, p...)
			break
		}
		l := p[:i+1]
		if len(fw.line) > 0 {
			fw.line = append(fw.line, l...)
			l = fw.line
		}
		p = p[i+1:]
		s, err := fw.f.add(l)
		fw.line = fw.line[:0]
		if err != nil {
			return 0, err
		}
		if s != nil {
			select {
			case fw.out <- s:
			case <-fw.ctx.Done():
				putStmt(s)
				return 0, fw.ctx.Err()
			}
		}
	}
	return n, nil
}

// close ends the part: an error when it stopped inside a line or a statement.
func (fw *framingWriter) close() error {
	if len(fw.line) > 0 {
		fw.f.end()
		return errors.New("the dump ended inside a line")
	}
	return fw.f.end()
}

// readLine reads one line, "\n" included, however long.
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err != bufio.ErrBufferFull {
		return line, err
	}
	long := append([]byte{}, line...)
	for err == bufio.ErrBufferFull {
		line, err = br.ReadSlice('\n')
		long = append(long, line...)
	}
	return long, err
}

// rowsRe matches statements that write rows other than as "INSERT INTO".
var rowsRe = regexp.MustCompile(`(?i)^\s*(INSERT|REPLACE|LOAD|UPDATE)\b`)

// frameSetRe matches mysqldump's opening and closing settings ("/*!40101 SET NAMES
// utf8mb4 */;", "/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;").
var frameSetRe = regexp.MustCompile(`^/\*!4\d{4} SET .*\*/;$`)

// isFrameLine reports a line of a dump's opening or closing: blank, a comment, MariaDB's
// sandbox line, a versioned SET, or MySQL's restoring of binary logging.
func isFrameLine(line []byte) bool {
	l := bytes.TrimRight(line, " \r\n")
	return len(l) == 0 || bytes.HasPrefix(l, []byte("--")) || bytes.HasPrefix(l, []byte(`/*M!999999\- `)) || frameSetRe.Match(l) ||
		bytes.HasPrefix(l, []byte("SET @@SESSION.SQL_LOG_BIN = @MYSQLDUMP_TEMP_LOG_BIN"))
}

// splitFooter cuts a dump before its closing lines (settings restored, "-- Dump
// completed").
func splitFooter(dump []byte) (head, footer []byte) {
	end := len(dump)
	for end > 0 {
		start := bytes.LastIndexByte(dump[:end-1], '\n') + 1
		if !isFrameLine(dump[start:end]) {
			break
		}
		end = start
	}
	return dump[:end], dump[end:]
}

// bodyOf is a dump without its opening and closing lines, MySQL's SET NAMES, binary-log
// and GTID settings among them (the definitions' dump carries those once).
func bodyOf(dump []byte) []byte {
	body, _ := splitFooter(dump)
	gtid := false
	for len(body) > 0 {
		i := bytes.IndexByte(body, '\n') + 1
		if i == 0 {
			i = len(body)
		}
		l := bytes.TrimRight(body[:i], " \r\n")
		switch {
		case gtid || bytes.HasPrefix(l, []byte("SET @@GLOBAL.GTID_PURGED")):
			gtid = !bytes.HasSuffix(l, []byte(";")) // its value may run over several lines
		case isFrameLine(l), bytes.HasPrefix(l, []byte("/*!50503 SET NAMES ")),
			bytes.HasPrefix(l, []byte("SET @MYSQLDUMP_TEMP_LOG_BIN")), bytes.HasPrefix(l, []byte("SET @@SESSION.SQL_LOG_BIN")):
		default:
			return body
		}
		body = body[i:]
	}
	return body
}
