package main

import "os"

// noDisplay explains why a window cannot open: GTK panics with a long trace when
// neither X11 nor Wayland is there (a server over SSH), so Ferry says so and points
// to the headless commands instead.
func noDisplay() string {
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return "no display to open the window on (DISPLAY and WAYLAND_DISPLAY are unset); " +
			"run a headless command such as 'ferry list', or 'ferry --help'"
	}
	return ""
}
