//go:build !windows

package main

// attachConsole does nothing: only Windows starts GUI programs without standard handles.
func attachConsole() {}
