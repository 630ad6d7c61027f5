//go:build dev

package main

import "os"

// e2eChoice answers a native dialog without showing it, for the end-to-end test that
// drives the -tags dev binary from a headless browser, where no one can click a GTK
// dialog. FERRY_E2E_SAVE_DIR answers save dialogs with that folder plus the suggested
// name; FERRY_E2E_CHOOSE_FILES answers the file dialog with a list of paths separated
// by the OS path-list separator; FERRY_E2E_SITES_FILE answers the sites file dialog of New
// batch. Only the dev build has this file.
func e2eChoice(kind string) (string, bool) {
	switch kind {
	case "save":
		if dir := os.Getenv("FERRY_E2E_SAVE_DIR"); dir != "" {
			return dir, true
		}
	case "sites":
		if path := os.Getenv("FERRY_E2E_SITES_FILE"); path != "" {
			return path, true
		}
	case "files":
		if paths := os.Getenv("FERRY_E2E_CHOOSE_FILES"); paths != "" {
			return paths, true
		}
	}
	return "", false
}
