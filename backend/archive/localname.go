package archive

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
)

// checkLocalNames refuses entries whose local header names another file than their
// central directory record: Ferry reads the central directory, while other tools
// extracting the same zip follow the local headers, so the two would write different
// files. It reads the central directory itself for the local header offsets, which
// archive/zip does not expose.
func (pl *plan) checkLocalNames(r io.ReaderAt) {
	if pl.probs.has(ErrTooManyEntries) {
		return
	}
	start, err := directoryOffset(r, pl.size)
	if err != nil {
		return // archive/zip read the directory; a problem here is reported elsewhere
	}
	br := bufio.NewReaderSize(io.NewSectionReader(r, start, pl.size-start), 64<<10)
	var fixed [46]byte
	var local [30]byte
	for _, f := range pl.zr.File {
		if _, err := io.ReadFull(br, fixed[:]); err != nil || binary.LittleEndian.Uint32(fixed[:]) != 0x02014b50 {
			return
		}
		nameLen := int(binary.LittleEndian.Uint16(fixed[28:]))
		extraLen := int(binary.LittleEndian.Uint16(fixed[30:]))
		commentLen := int(binary.LittleEndian.Uint16(fixed[32:]))
		rest := make([]byte, nameLen+extraLen+commentLen)
		if _, err := io.ReadFull(br, rest); err != nil {
			return
		}
		name, extra := rest[:nameLen], rest[nameLen:nameLen+extraLen]
		off := int64(binary.LittleEndian.Uint32(fixed[42:]))
		if off == 0xffffffff {
			off = zip64Offset(extra, binary.LittleEndian.Uint32(fixed[24:]) == 0xffffffff, binary.LittleEndian.Uint32(fixed[20:]) == 0xffffffff)
		}
		if off < 0 || off+30 > pl.size {
			continue // checkOverlap reports unreadable local headers
		}
		if _, err := r.ReadAt(local[:], off); err != nil || binary.LittleEndian.Uint32(local[:]) != 0x04034b50 {
			continue
		}
		ln := int(binary.LittleEndian.Uint16(local[26:]))
		lname := make([]byte, ln)
		if _, err := r.ReadAt(lname, off+30); err != nil {
			continue
		}
		if !bytes.Equal(lname, name) {
			shown := DecodeName(f.Name, f.Flags&0x800 != 0)
			pl.probs.add(&Problem{Err: ErrNameMismatch, Entry: shown, Message: fmt.Sprintf("entry '%s' is named '%s' in its local header, so other tools would extract it under another name; Ferry refuses such archives, zip the site again.", displayName(shown), displayName(DecodeName(string(lname), f.Flags&0x800 != 0)))})
		}
	}
}

// zip64Offset reads the local header offset from a Zip64 extra field, whose values come
// in a fixed order and only when their 32-bit field is 0xffffffff.
func zip64Offset(extra []byte, usize, csize bool) int64 {
	for len(extra) >= 4 {
		id, n := binary.LittleEndian.Uint16(extra), int(binary.LittleEndian.Uint16(extra[2:]))
		if 4+n > len(extra) {
			return -1
		}
		if id == 0x0001 {
			b := extra[4 : 4+n]
			for _, present := range []bool{usize, csize} {
				if present {
					if len(b) < 8 {
						return -1
					}
					b = b[8:]
				}
			}
			if len(b) < 8 {
				return -1
			}
			return int64(binary.LittleEndian.Uint64(b))
		}
		extra = extra[4+n:]
	}
	return -1
}
