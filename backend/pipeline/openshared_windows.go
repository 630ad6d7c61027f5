//go:build windows

package pipeline

import (
	"os"

	"golang.org/x/sys/windows"
)

// openShared opens path for reading and lets others rename or delete it meanwhile: the
// import reads database.sql.part while the export still writes it, and the export then
// renames it to database.sql. Windows refuses to rename a file someone opened without
// FILE_SHARE_DELETE, which os.Open leaves out.
func openShared(path string) (*os.File, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	h, err := windows.CreateFile(p, windows.GENERIC_READ,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE,
		nil, windows.OPEN_EXISTING, windows.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(h), path), nil
}
