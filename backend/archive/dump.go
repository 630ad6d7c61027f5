package archive

import (
	"fmt"
	"path"
	"strings"
)

// ErrDumpInArchive: the site archive holds a database dump, which Ferry keeps out of the
// docroot (a Warning: the rest of the site is extracted).
var ErrDumpInArchive = fmt.Errorf("database dump in the site archive")

// IsDump reports whether the path p (relative to the WordPress folder) is a database dump
// that must never land in a docroot, where anyone could download it with every password
// hash of the site: any .sql file at the top of the site (database.sql, backup.sql), and a
// compressed dump (.sql.gz, .sql.zip, .sql.bz2, .sql.xz) anywhere. A plain .sql file deeper
// in the tree is a plugin's install script and stays.
func IsDump(p string) bool {
	l := strings.ToLower(p)
	for _, ext := range []string{".sql.gz", ".sql.zip", ".sql.bz2", ".sql.xz", ".sql.zst"} {
		if strings.HasSuffix(l, ext) {
			return true
		}
	}
	return strings.HasSuffix(l, ".sql") && path.Dir(l) == "."
}

func dumpProblem(names []string) *Problem {
	more := ""
	if len(names) > 1 {
		more = fmt.Sprintf(" (and %d more)", len(names)-1)
	}
	return &Problem{Err: ErrDumpInArchive, Entry: names[0], Warning: true, Message: fmt.Sprintf(
		"'%s'%s in the archive is a database dump: Ferry never puts a dump in the docroot, where anyone could download it. It is left out of the upload; attach it as the database file if it is the site's dump.",
		displayName(names[0]), more)}
}
