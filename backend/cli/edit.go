package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"ferry/backend/service"
)

func init() {
	if commands == nil {
		commands = map[string]command{}
	}
	commands["edit"] = command{"Change a failed migration's settings from a JSON patch (then retry it)", runEdit}
	commands["switch-to-manual"] = command{"Turn a failed FTP/SFTP migration into a manual one waiting for its files", runSwitch}
}

func runEdit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("edit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	spec := fs.String("spec", "", "JSON patch: the job file's fields to change (secrets may be env: or file:)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: ferry edit ID --spec patch.json")
		fmt.Fprintln(stderr, `A patch holds only what changes, e.g. {"source": {"password": "env:SRC_PASS"}}; secrets not given are kept.`)
		fs.PrintDefaults()
	}
	if err := parseArgs(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	id, ok := parseID(fs, stderr)
	if !ok || *spec == "" {
		if ok {
			fs.Usage()
		}
		return ExitUsage
	}
	svc, err := openService(ctx, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "ferry edit: %v\n", err)
		return ExitError
	}
	defer svc.Close()
	cur, err := svc.EditInput(ctx, id)
	if err != nil {
		fmt.Fprintf(stderr, "ferry edit: %s\n", describeSpec(err))
		return ExitError
	}
	sp := Spec{CreateInput: cur}
	if err := readSpecOnto(*spec, &sp); err != nil {
		fmt.Fprintf(stderr, "ferry edit: %v\n", err)
		return ExitUsage
	}
	res, err := svc.EditMigration(ctx, id, sp.CreateInput)
	if err != nil {
		fmt.Fprintf(stderr, "ferry edit: %s\n", describeSpec(err))
		if service.CodeOf(err) == service.CodeInvalid {
			return ExitUsage
		}
		return ExitError
	}
	switch {
	case len(res.Changed) == 0:
		fmt.Fprintf(stdout, "Migration %d: nothing changed\n", id)
	case res.Restart:
		fmt.Fprintf(stdout, "Migration %d: changed %s; `ferry retry %d` starts from Check destination\n", id, strings.Join(res.Changed, ", "), id)
	default:
		fmt.Fprintf(stdout, "Migration %d: changed %s; `ferry retry %d` resumes where it failed\n", id, strings.Join(res.Changed, ", "), id)
	}
	return ExitOK
}

func runSwitch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return onID(ctx, "switch-to-manual", args, stderr, func(svc *service.Service, id int64) int {
		if _, err := svc.SwitchToManual(ctx, id); err != nil {
			fmt.Fprintf(stderr, "ferry switch-to-manual: %s\n", describe(err))
			return ExitError
		}
		fmt.Fprintf(stdout, "Migration %d is now manual: attach wordpress-files.zip and database.sql in Ferry's window (Process Details), then Verify\n", id)
		return ExitOK
	})
}

// onID runs a command of the form `ferry NAME ID` (flags anywhere) with the history open.
func onID(ctx context.Context, name string, args []string, stderr io.Writer, fn func(svc *service.Service, id int64) int) int {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintf(stderr, "Usage: ferry %s ID\n", name) }
	if err := parseArgs(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	id, ok := parseID(fs, stderr)
	if !ok {
		return ExitUsage
	}
	svc, err := openService(ctx, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "ferry %s: %v\n", name, err)
		return ExitError
	}
	defer svc.Close()
	return fn(svc, id)
}
