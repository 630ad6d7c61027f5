//go:build !linux

package main

// noDisplay is always empty: Windows and macOS desktops always have a display.
func noDisplay() string { return "" }
