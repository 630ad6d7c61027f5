// Command ferry is the Ferry desktop app: it moves WordPress sites between servers and
// keeps every migration in a local history. With a subcommand (ferry list …) it runs
// headless for scripting instead of opening the window.
package main

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/runtime"

	"ferry/backend/cli"
	"ferry/backend/engine"
	"ferry/backend/migration"
	"ferry/backend/service"
)

//go:embed all:frontend/dist
var assets embed.FS

//go:embed build/appicon.png
var icon []byte

func main() {
	limitMemory()
	if headless(os.Args[1:]) {
		attachConsole()
		// FERRY_CPUPROFILE=file writes a Go CPU profile of the command to file.<command>
		if path := os.Getenv("FERRY_CPUPROFILE"); path != "" {
			if f, err := os.Create(path + "." + os.Args[1]); err == nil && pprof.StartCPUProfile(f) == nil {
				code := cli.Run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)
				pprof.StopCPUProfile()
				f.Close()
				os.Exit(code)
			}
		}
		os.Exit(cli.Run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
	}
	if msg := noDisplay(); msg != "" {
		fmt.Fprintln(os.Stderr, "ferry:", msg)
		os.Exit(cli.ExitUsage)
	}
	if err := runDesktop(); err != nil {
		fmt.Fprintln(os.Stderr, "ferry:", err)
		os.Exit(1)
	}
}

func runDesktop() error {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	emitter := &uiEmitter{}
	// An empty DataDir is $FERRY_DATA_DIR, else the user's config folder. Opening marks
	// runs a previous Ferry left behind as Interrupted and starts the queue.
	eng, err := engine.Open(context.Background(), engine.Config{Emitter: emitter, Logger: logger})
	if err != nil {
		return fmt.Errorf("open history: %w", err)
	}
	svc := eng.Service
	app := &App{svc: svc}
	// The window opens where the admin left it (size through the options, position once
	// the window exists).
	width, height := 1280, 820
	var dataDir string
	if s, err := svc.GetSettings(context.Background()); err == nil {
		dataDir = s.DataDir
	}
	saved, restore := loadWindow(dataDir)
	if restore {
		width, height = saved.Width, saved.Height
	}
	return wails.Run(&options.App{
		Title:     "Ferry",
		Width:     width,
		Height:    height,
		MinWidth:  1024,
		MinHeight: 680,
		AssetServer: &assetserver.Options{
			Assets: assets,
		},
		OnStartup: func(ctx context.Context) {
			app.startup(ctx)
			emitter.setContext(ctx)
		},
		OnDomReady: func(ctx context.Context) {
			if restore {
				runtime.WindowSetPosition(ctx, saved.X, saved.Y)
			}
		},
		OnBeforeClose: func(ctx context.Context) bool {
			rememberWindow(ctx, dataDir)
			return false
		},
		OnShutdown: func(context.Context) {
			if err := eng.Close(); err != nil {
				logger.Error("close history", "err", err)
			}
		},
		Bind: []any{app},
		EnumBind: []any{
			enumOf(migration.Tabs),
			enumOf(migration.Statuses),
			enumOf(migration.Methods),
			enumOf(migration.Actions),
			enumOf(migration.StepStates),
		},
		ErrorFormatter: func(err error) any { return formatError(logger, err) },
		// Dropped files arrive as absolute paths through OnFileDrop: site archives are
		// gigabytes and must not cross the bridge as HTML5 File objects.
		DragAndDrop: &options.DragAndDrop{EnableFileDrop: true, DisableWebViewDrop: true},
		Linux:       &linux.Options{Icon: icon, ProgramName: "Ferry"},
	})
}

// formatError turns what a bound method returned into the {code, message, fields} the UI
// switches on, as JSON text: the Wails runtime rejects the call with new Error(value), which
// keeps a string intact but flattens an object to "[object Object]". Errors that are not
// *service.Error are logged and shown as a generic internal error, so no unexpected text
// (which might hold a path or a secret) reaches the UI.
func formatError(logger *slog.Logger, err error) any {
	var e *service.Error
	if !errors.As(err, &e) {
		logger.Error("unexpected error from a bound method", "err", err)
		e = &service.Error{
			Code:    service.CodeInternal,
			Message: "Ferry hit an unexpected error; the details are in its log.",
		}
	}
	b, jerr := json.Marshal(e)
	if jerr != nil {
		return `{"code":"internal","message":"Ferry could not describe an error."}`
	}
	return string(b)
}

// enumValue is one value of a Go string enum as Wails generates it in TypeScript.
type enumValue[T ~string] struct {
	Value  T
	TSName string
}

// enumOf lists values for EnumBind, named in upper snake case (in_progress → IN_PROGRESS).
func enumOf[T ~string](values []T) []enumValue[T] {
	out := make([]enumValue[T], len(values))
	for i, v := range values {
		out[i] = enumValue[T]{Value: v, TSName: strings.ToUpper(string(v))}
	}
	return out
}
