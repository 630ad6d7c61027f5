package archive

import (
	"archive/zip"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
)

// entry is one zip entry after its name was checked.
type entry struct {
	f     *zip.File
	shown string // the decoded name, as the admin's zip tool shows it
	name  string // sanitised, relative to the archive root
	dest  string // relative to the WordPress root; "" when not extracted
	dir   bool
	off   int64 // where its data starts in the zip, read once from its local header
}

// plan is what the central directory says, checked before any data is read. Verify and
// Extract share it so they refuse exactly the same archives.
type plan struct {
	zr       *zip.Reader
	size     int64 // archive bytes
	zip64    bool
	entries  []entry // in central-directory order
	files    []*entry
	dirs     []string // every folder to create under the root, parents first
	root     string   // stripped prefix, "" or "public_html/"
	declared int64    // declared expanded bytes of the files to extract
	packed   int64    // compressed bytes of the files to extract
	skipped  int      // entries outside root or macOS metadata
	outside  []string // a few names of entries outside root (not metadata)
	dumps    []string // .sql entries beside the site: its database dump, never extracted
	keptOut  []string // other dumps in the tree (compressed ones anywhere): never extracted (dump.go)
	probs    problems
}

// openZip opens path as a zip, or returns a Problem saying why it cannot be read.
func openZip(p string) (*os.File, *zip.Reader, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, nil, 0, missingProblem(p, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, 0, missingProblem(p, err)
	}
	if st.IsDir() {
		f.Close()
		return nil, nil, 0, &Problem{Err: ErrMissing, Message: fmt.Sprintf("'%s' is a folder, not a zip file; attach the site's zip file.", displayName(p))}
	}
	if splitZip(f, st.Size(), p) {
		f.Close()
		return nil, nil, 0, &Problem{Err: ErrUnrecognized, Message: splitZipMessage(p) + "."}
	}
	zr, err := zip.NewReader(f, st.Size())
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) { // insecure names are judged by SanitizeName
		f.Close()
		return nil, nil, 0, &Problem{Err: ErrCorrupt, Message: "archive is corrupt (its central directory cannot be read, the file is truncated or not a zip); copy or download the zip again and re-attach it."}
	}
	return f, zr, st.Size(), nil
}

func missingProblem(p string, err error) *Problem {
	return &Problem{Err: ErrMissing, Message: fmt.Sprintf("File '%s' is missing or unreadable (%v); attach it again.", displayName(p), errors.Unwrap(err))}
}

// makePlan checks every entry's name, type and sizes against lim.
func makePlan(zr *zip.Reader, size int64, lim Limits) *plan {
	pl := &plan{zr: zr, size: size}
	if len(zr.File) > lim.MaxEntries {
		pl.probs.add(&Problem{Err: ErrTooManyEntries, Message: fmt.Sprintf("the archive has %d entries, more than the %d Ferry extracts; remove caches and old backups from the site and zip it again.", len(zr.File), lim.MaxEntries)})
		return pl
	}
	pl.zip64 = len(zr.File) >= 0xffff
	for _, f := range zr.File {
		shown := DecodeName(f.Name, f.Flags&0x800 != 0)
		e := entry{f: f, shown: shown}
		if f.CompressedSize64 >= 0xffffffff || f.UncompressedSize64 >= 0xffffffff {
			pl.zip64 = true
		}
		name, isDir, err := SanitizeName(shown)
		if err != nil {
			pl.probs.add(nameProblem(err, shown))
			continue
		}
		mode := f.Mode()
		switch {
		case mode&fs.ModeSymlink != 0:
			pl.probs.add(&Problem{Err: ErrSymlink, Entry: shown, Message: fmt.Sprintf("entry '%s' is a symbolic link, which Ferry never extracts; replace the link with the real file and zip the site again.", displayName(shown))})
			continue
		case mode.Type()&^fs.ModeDir != 0:
			pl.probs.add(&Problem{Err: ErrSpecialFile, Entry: shown, Message: fmt.Sprintf("entry '%s' is a device, pipe or socket, not a file; remove it and zip the site again.", displayName(shown))})
			continue
		}
		e.name, e.dir = name, isDir || mode.IsDir()
		if f.Flags&0x1 != 0 || f.Method == 99 { // 99: WinZip AES, always encrypted
			pl.probs.add(&Problem{Err: ErrEncrypted, Entry: shown, Message: fmt.Sprintf("entry '%s' is password-protected; zip the site again without a password.", displayName(shown))})
		}
		if !e.dir && f.Method != zip.Store && f.Method != zip.Deflate && f.Method != 99 {
			pl.probs.add(&Problem{Err: ErrMethod, Entry: shown, Message: fmt.Sprintf("entry '%s' uses compression method %d, which Ferry cannot read; zip the site again with the standard (deflate) method.", displayName(shown), f.Method)})
		}
		pl.entries = append(pl.entries, e)
	}
	pl.root = findRoot(pl.entries)
	pl.place(lim)
	pl.checkOverlap()
	return pl
}

func nameProblem(err error, shown string) *Problem {
	var kind error
	for _, k := range []error{ErrZipSlip, ErrAbsolutePath, ErrBadName} {
		if errors.Is(err, k) {
			kind = k
		}
	}
	msg := strings.TrimSuffix(err.Error(), ": "+kind.Error())
	what := "zip the site folder again from inside it"
	if kind == ErrBadName {
		what = "rename it and zip the site again"
	}
	return &Problem{Err: kind, Entry: shown, Message: fmt.Sprintf("%s; Ferry refuses such archives, %s.", msg, what)}
}

// findRoot returns the folder holding WordPress ("" or "public_html/"): the shallowest
// folder with wp-includes/version.php, else the one top folder every entry shares.
func findRoot(entries []entry) string {
	best, bestDepth := "", -1
	for _, e := range entries {
		if e.dir || isMetadata(e.name) {
			continue
		}
		if e.name == "wp-includes/version.php" {
			return ""
		}
		if strings.HasSuffix(e.name, "/wp-includes/version.php") {
			prefix := strings.TrimSuffix(e.name, "wp-includes/version.php")
			if d := strings.Count(prefix, "/"); bestDepth < 0 || d < bestDepth {
				best, bestDepth = prefix, d
			}
		}
	}
	if bestDepth >= 0 {
		return best
	}
	top := ""
	for _, e := range entries {
		if isMetadata(e.name) || e.name == "." {
			continue
		}
		first, _, nested := strings.Cut(e.name, "/")
		if !nested && !e.dir {
			return "" // a file at the top: nothing to strip
		}
		if top == "" {
			top = first
		} else if first != top {
			return ""
		}
	}
	if top == "" {
		return ""
	}
	return top + "/"
}

// isMetadata reports entries that macOS' Archive Utility adds and no server wants.
func isMetadata(name string) bool {
	return name == "__MACOSX" || strings.HasPrefix(name, "__MACOSX/") || path.Base(name) == ".DS_Store"
}

// place maps entries under the root to their destination, finds duplicates and adds up
// the declared sizes.
func (pl *plan) place(lim Limits) {
	seen := map[string]*entry{}
	folded := map[string]*entry{} // by lower-case destination
	dirs := map[string]bool{}
	for i := range pl.entries {
		e := &pl.entries[i]
		if e.name == "." {
			continue
		}
		if isMetadata(e.name) || (pl.root != "" && !strings.HasPrefix(e.name+"/", pl.root)) {
			pl.skipped++
			if !e.dir && !isMetadata(e.name) && strings.HasSuffix(strings.ToLower(e.name), ".sql") {
				pl.dumps = append(pl.dumps, e.shown)
				continue
			}
			if !isMetadata(e.name) && len(pl.outside) < 3 {
				pl.outside = append(pl.outside, e.shown)
			}
			continue
		}
		dest := strings.TrimPrefix(e.name, pl.root)
		if e.name+"/" == pl.root {
			continue // the root folder itself
		}
		if !e.dir && isSiteDump(dest) {
			pl.skipped++ // the database dump: imported, never uploaded to the docroot
			pl.dumps = append(pl.dumps, e.shown)
			continue
		}
		if prev, dup := seen[dest]; dup {
			if prev.dir && e.dir {
				continue // the same folder listed twice is harmless
			}
			pl.probs.add(&Problem{Err: ErrDuplicate, Entry: e.shown, Message: fmt.Sprintf("entry '%s' appears twice in the archive (also as '%s'); zip the site again.", displayName(e.shown), displayName(prev.shown))})
			continue
		}
		if prev, dup := folded[strings.ToLower(dest)]; dup && !(prev.dir && e.dir && prev.dest == dest) {
			pl.probs.add(&Problem{Err: ErrDuplicate, Entry: e.shown, Message: fmt.Sprintf("entries '%s' and '%s' differ only in upper and lower case, so on many servers one would overwrite the other; rename or remove one of them and zip the site again.", displayName(prev.shown), displayName(e.shown))})
			continue
		}
		folded[strings.ToLower(dest)] = e
		seen[dest] = e
		if !e.dir && IsDump(dest) {
			pl.keptOut = append(pl.keptOut, e.shown)
			continue
		}
		e.dest = dest
		if e.dir {
			dirs[dest] = true
			continue
		}
		for d := path.Dir(dest); d != "."; d = path.Dir(d) {
			dirs[d] = true
		}
		pl.files = append(pl.files, e)
		pl.declared += int64(e.f.UncompressedSize64)
		pl.packed += int64(e.f.CompressedSize64)
		if e.f.UncompressedSize64 > ratioFloor && float64(e.f.UncompressedSize64) > lim.MaxRatio*float64(max(e.f.CompressedSize64, 1)) {
			pl.probs.add(ratioProblem(e.shown, lim))
		}
	}
	for _, f := range pl.files {
		if dirs[f.dest] {
			pl.probs.add(&Problem{Err: ErrDuplicate, Entry: f.shown, Message: fmt.Sprintf("entry '%s' is both a file and a folder in the archive; zip the site again.", displayName(f.shown))})
		}
	}
	if pl.declared > lim.MaxTotalSize || pl.declared < 0 {
		pl.probs.add(tooLargeProblem(lim))
	}
	for d := range dirs {
		pl.dirs = append(pl.dirs, d)
	}
	sort.Strings(pl.dirs) // parents sort before their children
}

func ratioProblem(shown string, lim Limits) *Problem {
	return &Problem{Err: ErrRatio, Entry: shown, Message: fmt.Sprintf("entry '%s' expands more than %.0f times its compressed size, which is how zip bombs look; Ferry refuses such entries: remove it from the zip, or zip the site again if the file is genuine.", displayName(shown), lim.MaxRatio)}
}

func tooLargeProblem(lim Limits) *Problem {
	return &Problem{Err: ErrTooLarge, Message: fmt.Sprintf("the archive expands to more than %s, the most Ferry extracts; check that it is the right zip (it may be a zip bomb).", humanBytes(lim.MaxTotalSize))}
}

// checkOverlap refuses entries whose compressed data overlaps another's: a valid zip
// never shares bytes between entries, while non-recursive zip bombs do it to expand a
// few kilobytes into terabytes.
func (pl *plan) checkOverlap() {
	type span struct {
		start, end int64
		e          *entry
	}
	var spans []span
	for _, e := range pl.files {
		off, err := e.f.DataOffset()
		if err != nil {
			pl.probs.add(corruptEntryProblem(e.shown, "its local header cannot be read"))
			continue
		}
		e.off = off
		spans = append(spans, span{off, off + int64(e.f.CompressedSize64), e})
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	for i := 1; i < len(spans); i++ {
		if spans[i].start < spans[i-1].end {
			pl.probs.add(&Problem{Err: ErrOverlap, Entry: spans[i].e.shown, Message: fmt.Sprintf("entry '%s' shares its data with entry '%s', a trick of zip bombs; Ferry refuses this archive, zip the site again.", displayName(spans[i].e.shown), displayName(spans[i-1].e.shown))})
		}
	}
	for _, s := range spans {
		if s.end > pl.size || s.end < s.start {
			pl.probs.add(corruptEntryProblem(s.e.shown, "its data runs past the end of the file"))
		}
	}
}

func corruptEntryProblem(shown, why string) *Problem {
	return &Problem{Err: ErrCorrupt, Entry: shown, Message: fmt.Sprintf("entry '%s' is corrupt (%s); zip the site again and re-attach it.", displayName(shown), why)}
}

// humanBytes formats n for messages: "200 GiB", "3.5 MiB", "512 bytes".
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	s := fmt.Sprintf("%.1f", v)
	s = strings.TrimSuffix(s, ".0")
	return s + " " + string("KMGTPE"[exp]) + "iB"
}

// UnixMode is f's permission bits when the zip was made on Unix or macOS, whose zip tools
// store st_mode in the high 16 bits of the external attributes; 0 otherwise (Windows tools
// store none, and Go's zip.FileHeader.Mode then makes up 0666).
func UnixMode(f *zip.File) fs.FileMode {
	switch f.CreatorVersion >> 8 {
	case 3, 19:
		if f.ExternalAttrs>>16 != 0 {
			return f.Mode().Perm()
		}
	}
	return 0
}
