package transfer

import (
	"fmt"
	"path"
	"strings"
)

// CleanPath checks a Tree path and returns it in canonical form: slash-separated,
// relative, "." for the root. Absolute paths, ".." segments and NUL bytes fail with
// ErrInvalidPath, so no implementation can be talked into leaving its root.
func CleanPath(p string) (string, error) {
	if strings.ContainsRune(p, 0) {
		return "", fmt.Errorf("path %q contains a NUL byte: %w", p, ErrInvalidPath)
	}
	if strings.ContainsAny(p, "\r\n") {
		// FTP sends paths inside CRLF-terminated commands.
		return "", fmt.Errorf("path %q contains a line break: %w", p, ErrInvalidPath)
	}
	if strings.HasPrefix(p, "/") || strings.Contains(p, "\\") {
		return "", fmt.Errorf("path %q is not relative to the tree root: %w", p, ErrInvalidPath)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." {
			return "", fmt.Errorf("path %q leaves the tree root: %w", p, ErrInvalidPath)
		}
	}
	if p == "" {
		return ".", nil
	}
	return path.Clean(p), nil
}

// JoinRoot joins a server-side root folder and a Tree path already cleaned by
// CleanPath; protocol packages use it to build the path they send to the server.
func JoinRoot(root, p string) string {
	if p == "." {
		if root == "" {
			return "."
		}
		return root
	}
	if root == "" || root == "." {
		return p
	}
	return path.Join(root, p)
}
