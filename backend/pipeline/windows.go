package pipeline

import (
	"runtime"

	"ferry/backend/migration"
	"ferry/backend/transfer"
)

// onWindows is true in ferry.exe; tests flip it to check the Windows rules on Linux.
var onWindows = runtime.GOOS == "windows"

// failWindowsNames is the failure reason when a site holds names a Windows folder cannot.
const failWindowsNames = "File names Windows cannot hold"

// windowsNames returns a checker for the paths a migration writes when its destination
// is a folder on this Windows machine, else nil: remote servers keep their own rules,
// and a Unix folder takes any name. A site from Linux may hold aux.php, "a:b.txt" or
// both Logo.png and logo.png; refusing those before the copy, with their names, beats a
// half-copied site or a file silently overwritten by its case twin.
func windowsNames(m migration.Migration) *transfer.WindowsNames {
	if !onWindows || m.Destination.Protocol != migration.ProtocolLocal {
		return nil
	}
	return &transfer.WindowsNames{}
}

// checkWindowsPaths is archive.ExtractOptions.CheckPaths for a local Windows destination.
func checkWindowsPaths(paths []string) error {
	var w transfer.WindowsNames
	for _, p := range paths {
		w.Add(p)
	}
	if err := w.Err(); err != nil {
		return migration.Fail(failWindowsNames, err)
	}
	return nil
}
