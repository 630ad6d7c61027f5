package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/wailsapp/wails/v2/pkg/runtime"
)

// windowFile keeps the window's size and position between runs, beside the history.
const windowFile = "window.json"

// windowState is the window's last size and position.
type windowState struct {
	Width  int `json:"width"`
	Height int `json:"height"`
	X      int `json:"x"`
	Y      int `json:"y"`
}

// loadWindow reads the saved state; ok is false when there is none worth using.
func loadWindow(dir string) (windowState, bool) {
	b, err := os.ReadFile(filepath.Join(dir, windowFile))
	if err != nil {
		return windowState{}, false
	}
	var s windowState
	if json.Unmarshal(b, &s) != nil || s.Width < 640 || s.Height < 480 || s.Width > 10000 || s.Height > 10000 {
		return windowState{}, false
	}
	return s, true
}

// saveWindow writes the state; losing it only costs the admin a resize.
func saveWindow(dir string, s windowState) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, windowFile), b, 0o600)
}

// rememberWindow records the window's size and position as it closes.
func rememberWindow(ctx context.Context, dir string) {
	if dir == "" || runtime.WindowIsMaximised(ctx) || runtime.WindowIsMinimised(ctx) {
		return
	}
	var s windowState
	s.Width, s.Height = runtime.WindowGetSize(ctx)
	s.X, s.Y = runtime.WindowGetPosition(ctx)
	_ = saveWindow(dir, s)
}
