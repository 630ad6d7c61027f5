package local

import "golang.org/x/sys/windows"

// freeSpace asks the volume holding p (a C:\… or \\server\share\… path) for the bytes
// this user may still write, which honours disk quotas like Bavail does on Unix.
func freeSpace(p string) (int64, error) {
	name, err := windows.UTF16PtrFromString(p)
	if err != nil {
		return 0, err
	}
	var avail, total, free uint64
	if err := windows.GetDiskFreeSpaceEx(name, &avail, &total, &free); err != nil {
		return 0, err
	}
	return int64(avail), nil
}
