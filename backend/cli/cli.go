// Package cli runs Ferry's headless subcommands (ferry list, ferry help) from the same
// binary as the desktop app, for scripting and for servers without a display. main.go
// hands over when os.Args[1] is a name IsCommand knows.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"text/tabwriter"
	"time"

	"ferry/backend/events"
	"ferry/backend/service"
)

// Exit codes of Run.
const (
	ExitOK    = 0
	ExitError = 1 // the command ran and failed
	ExitUsage = 2 // the command line was wrong
)

type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

var commands map[string]command

func init() {
	// Other files add their commands in their own init, which may run before this one.
	if commands == nil {
		commands = map[string]command{}
	}
	commands["list"] = command{"List migrations of one tab as a table or JSON", runList}
	commands["help"] = command{"Show this help", runHelp}
}

// IsCommand reports whether name is a headless subcommand (main.go then calls Run instead
// of opening the window).
func IsCommand(name string) bool {
	_, ok := commands[name]
	return ok || name == "-h" || name == "--help" || isVersionFlag(name)
}

// Run executes args[0] with the rest of args and returns the process exit code.
// The history is the one in $FERRY_DATA_DIR, else the user's config dir.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		return runHelp(ctx, nil, stdout, stderr)
	}
	if isVersionFlag(args[0]) {
		return runVersion(ctx, args[1:], stdout, stderr)
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "ferry: unknown command %q\n\n", args[0])
		usage(stderr)
		return ExitUsage
	}
	return c.run(ctx, args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: ferry [command] [options]")
	fmt.Fprintln(w, "Without a command Ferry opens its window.")
	fmt.Fprintln(w, "\nCommands:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(tw, "  %s\t%s\n", name, commands[name].summary)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nRun 'ferry <command> -h' for its options. FERRY_DATA_DIR chooses the history folder;")
	fmt.Fprintln(w, "FERRY_MYSQL_COMPRESSION=on|off overrides when MySQL connections are compressed (auto: far or slow links).")
}

func runHelp(_ context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if c, ok := commands[args[0]]; ok && args[0] != "help" {
			return c.run(context.Background(), []string{"-h"}, stdout, stderr)
		}
	}
	usage(stdout)
	return ExitOK
}

// openService opens the history with no UI: events are dropped, warnings go to stderr.
func openService(ctx context.Context, stderr io.Writer) (*service.Service, error) {
	lg := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return service.Open(ctx, service.Config{Emitter: events.Nop{}, Logger: lg})
}

func runList(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	tab := fs.String("tab", "in_progress", "tab to list: in_progress, failed or successful")
	search := fs.String("search", "", "show only rows whose ID, user, email, domain or service contains this")
	batch := fs.String("batch", "", "show only the migrations of this batch (its ID or name)")
	sort := fs.String("sort", "id", "column to sort on: id, user, email, service, domain, method, status, createdAt, startedAt, completedAt, updatedAt")
	desc := fs.Bool("desc", false, "sort descending")
	page := fs.Int("page", 1, "page number, from 1")
	size := fs.Int("page-size", 50, "rows per page, 1..500")
	asJSON := fs.Bool("json", false, "print the page as JSON")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: ferry list [--tab in_progress|failed|successful] [--search S] [--batch NAME] [--json]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ferry list: unexpected argument %q\n", fs.Arg(0))
		return ExitUsage
	}
	svc, err := openService(ctx, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "ferry list: %v\n", err)
		return ExitError
	}
	defer svc.Close()
	res, err := svc.ListMigrations(ctx, service.ListQuery{Tab: *tab, Search: *search, Batch: *batch, Sort: *sort, Desc: *desc, Page: *page, PageSize: *size})
	if err != nil {
		fmt.Fprintf(stderr, "ferry list: %s\n", describe(err))
		if service.CodeOf(err) == service.CodeInvalid {
			return ExitUsage
		}
		return ExitError
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			fmt.Fprintf(stderr, "ferry list: %v\n", err)
			return ExitError
		}
		return ExitOK
	}
	printTable(stdout, res, *tab)
	return ExitOK
}

func printTable(w io.Writer, res service.ListResult, tab string) {
	fmt.Fprintf(w, "In Progress: %d   Failed: %d   Successful: %d\n\n", res.Counts.InProgress, res.Counts.Failed, res.Counts.Successful)
	if len(res.Rows) == 0 {
		fmt.Fprintln(w, "No migrations match.")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	last := "UPDATED"
	if tab == "successful" {
		last = "COMPLETED AT"
	}
	fmt.Fprintf(tw, "ID\tUSER\tEMAIL\tSERVICE\tDOMAIN\tMETHOD\tSTATUS\t%s\n", last)
	for _, r := range res.Rows {
		at := r.UpdatedAt
		if tab == "successful" {
			at = r.CompletedAt
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.User.Name, r.User.Email, r.Service, r.Domain,
			r.Method, r.StatusText, stamp(at))
	}
	tw.Flush()
	pages := (res.Total + res.PageSize - 1) / res.PageSize
	fmt.Fprintf(w, "\nPage %d of %d, %d matching\n", res.Page, max(pages, 1), res.Total)
}

func stamp(msec int64) string {
	if msec == 0 {
		return "-"
	}
	return time.UnixMilli(msec).UTC().Format("2006-01-02 15:04 UTC")
}
