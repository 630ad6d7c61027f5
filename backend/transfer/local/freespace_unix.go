//go:build unix

package local

import "golang.org/x/sys/unix"

func freeSpace(p string) (int64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(p, &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * int64(st.Bsize), //nolint:unconvert // field types differ by OS
		nil
}
