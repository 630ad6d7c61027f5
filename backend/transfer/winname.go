package transfer

import (
	"fmt"
	"strings"
)

// Windows refuses some names that every Unix server accepts. A site copied from Linux to
// a folder on a Windows machine must be refused before the copy, with the names to
// rename, rather than half-written: NTFS and the Win32 API reject names with the
// characters < > : " \ | ? * or control characters, names ending in a dot or a space
// (Win32 strips those, so "index.php." would overwrite "index.php"), and the DOS device
// names CON, PRN, AUX, NUL, COM0–COM9 and LPT0–LPT9 with or without an extension
// ("aux.php" opens the AUX device). NTFS is also case-insensitive, so "Logo.png" and
// "logo.png" are one file there.

// WindowsNameProblem says why Windows cannot hold one path segment, or "" when it can.
func WindowsNameProblem(name string) string {
	if name == "" || name == "." || name == ".." {
		return ""
	}
	for _, r := range name {
		if r < 0x20 {
			return "has a control character"
		}
		if strings.ContainsRune(`<>:"\|?*`, r) {
			return fmt.Sprintf("contains %q, which Windows does not allow in names", r)
		}
	}
	switch name[len(name)-1] {
	case '.':
		return "ends with a dot, which Windows drops"
	case ' ':
		return "ends with a space, which Windows drops"
	}
	base, _, _ := strings.Cut(name, ".")
	base = strings.TrimRight(base, " ")
	if isDeviceName(base) {
		return fmt.Sprintf("is reserved on Windows (%s is a device name)", strings.ToUpper(base))
	}
	return ""
}

func isDeviceName(base string) bool {
	switch strings.ToUpper(base) {
	case "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$":
		return true
	}
	if len(base) < 4 {
		return false
	}
	prefix, digit := strings.ToUpper(base[:3]), base[3:]
	if prefix != "COM" && prefix != "LPT" {
		return false
	}
	switch digit {
	case "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "¹", "²", "³":
		return true
	}
	return false
}

// CheckWindowsPath returns an ErrInvalidPath error naming the first segment of the
// slash-separated path p that Windows cannot hold.
func CheckWindowsPath(p string) error {
	for _, seg := range strings.Split(p, "/") {
		if why := WindowsNameProblem(seg); why != "" {
			return fmt.Errorf("%q %s: %w", p, why, ErrInvalidPath)
		}
	}
	return nil
}

// WindowsNames collects the paths of a tree (Add each file and folder) and reports the
// ones a Windows folder cannot hold: bad names and paths that differ only in case.
// The zero value is ready to use.
type WindowsNames struct {
	seen     map[string]string // case-folded path → first path seen
	problems []string
	count    int
}

// maxListed is how many problems the error spells out; the rest are counted.
const maxListed = 10

// Add checks one path of the tree (slash-separated, relative).
func (w *WindowsNames) Add(p string) {
	if w.seen == nil {
		w.seen = make(map[string]string)
	}
	if err := CheckWindowsPath(p); err != nil {
		w.problem(fmt.Sprintf("%s %s", quoteName(p), whyOf(p)))
		return
	}
	key := strings.ToUpper(p)
	if first, ok := w.seen[key]; ok && first != p {
		w.problem(fmt.Sprintf("%s and %s differ only in upper/lower case, and Windows treats them as one name", quoteName(first), quoteName(p)))
		return
	}
	w.seen[key] = p
}

func whyOf(p string) string {
	for _, seg := range strings.Split(p, "/") {
		if why := WindowsNameProblem(seg); why != "" {
			if seg != p {
				return fmt.Sprintf("(%s) %s", quoteName(seg), why)
			}
			return why
		}
	}
	return ""
}

func quoteName(s string) string { return "'" + s + "'" }

func (w *WindowsNames) problem(s string) {
	w.count++
	if len(w.problems) < maxListed {
		w.problems = append(w.problems, s)
	}
}

// Err returns nil when every path fits on Windows, else an error wrapping
// ErrInvalidPath that lists the first problems, one a line.
func (w *WindowsNames) Err() error {
	if w.count == 0 {
		return nil
	}
	msg := strings.Join(w.problems, "\n")
	if more := w.count - len(w.problems); more > 0 {
		msg += fmt.Sprintf("\n… and %d more", more)
	}
	what := fmt.Sprintf("%d names cannot", w.count)
	if w.count == 1 {
		what = "1 name cannot"
	}
	return fmt.Errorf("%s be written to a Windows folder; rename them on the source:\n%s: %w", what, msg, ErrInvalidPath)
}
