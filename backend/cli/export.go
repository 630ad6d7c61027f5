package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"ferry/backend/service"
)

func init() {
	commands["export"] = command{"Export successful migrations as a CSV, JSON or PDF report", runExport}
}

// idList collects --id flags; each may also hold a comma-separated list.
type idList []int64

func (l *idList) String() string {
	parts := make([]string, len(*l))
	for i, id := range *l {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

func (l *idList) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		id, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(p), "#"), 10, 64)
		if err != nil || id <= 0 {
			return fmt.Errorf("%q is not a migration ID", p)
		}
		*l = append(*l, id)
	}
	return nil
}

// parseDay reads YYYY-MM-DD as midnight UTC, the zone `ferry list` prints times in.
func parseDay(v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	t, err := time.ParseInLocation("2006-01-02", v, time.UTC)
	if err != nil {
		return 0, fmt.Errorf("%q is not a date like 2025-03-14", v)
	}
	return t.UnixMilli(), nil
}

func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "", "csv, json or pdf; by default the extension of -o")
	out := fs.String("o", "", "the file to write (replaced once the report is complete)")
	since := fs.String("since", "", "only migrations completed on or after this day (YYYY-MM-DD, UTC)")
	until := fs.String("until", "", "only migrations completed before this day (YYYY-MM-DD, UTC)")
	search := fs.String("search", "", "only migrations whose ID, user, email, domain or service contains this")
	var ids idList
	fs.Var(&ids, "id", "export this migration (repeat, or list IDs with commas); without it every successful migration matching --search/--since/--until")
	bom := fs.Bool("bom", false, "start a CSV file with a byte order mark, for Excel")
	anon := fs.Bool("anonymise", false, "replace owners' names and e-mail addresses with pseudonyms")
	batch := fs.String("batch", "", "export the report of this batch (its ID or name): one line per site, whatever its status, plus totals")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: ferry export --format csv|json|pdf [--since YYYY-MM-DD] [--until YYYY-MM-DD] [--id N ...] [--search S] [--bom] [--anonymise] -o FILE")
		fmt.Fprintln(stderr, "       ferry export --batch NAME|ID [--format csv|json|pdf] -o FILE")
		fmt.Fprintln(stderr, "Writes a report of the Successful tab. Passwords, keys and passphrases never appear in it.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ferry export: unexpected argument %q\n", fs.Arg(0))
		return ExitUsage
	}
	if *out == "" {
		fmt.Fprintln(stderr, "ferry export: -o FILE is required")
		return ExitUsage
	}
	if *format == "" {
		*format = strings.TrimPrefix(strings.ToLower(filepath.Ext(*out)), ".")
	}
	path, err := filepath.Abs(*out)
	if err != nil {
		fmt.Fprintf(stderr, "ferry export: %v\n", err)
		return ExitUsage
	}
	in := service.ExportInput{Format: strings.ToLower(*format), Path: path, IDs: ids, Search: *search, BOM: *bom, Anonymise: *anon}
	for _, d := range []struct {
		name string
		v    string
		dst  *int64
	}{{"since", *since, &in.Since}, {"until", *until, &in.Until}} {
		if *d.dst, err = parseDay(d.v); err != nil {
			fmt.Fprintf(stderr, "ferry export: --%s: %v\n", d.name, err)
			return ExitUsage
		}
	}

	if *batch != "" && (len(ids) > 0 || *search != "" || *since != "" || *until != "" || *anon) {
		fmt.Fprintln(stderr, "ferry export: --batch exports a whole batch: leave out --id, --search, --since, --until and --anonymise")
		return ExitUsage
	}

	svc, err := openService(ctx, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "ferry export: %v\n", err)
		return ExitError
	}
	defer svc.Close()
	var res service.ExportResult
	if *batch != "" {
		res, err = svc.BatchReport(ctx, *batch, in.Format, in.Path)
	} else {
		res, err = svc.ExportReport(ctx, in)
	}
	if err != nil {
		fmt.Fprintf(stderr, "ferry export: %s\n", describe(err))
		if service.CodeOf(err) == service.CodeInvalid {
			return ExitUsage
		}
		return ExitError
	}
	noun := "migrations"
	switch {
	case *batch != "" && res.Count == 1:
		noun = "site"
	case *batch != "":
		noun = "sites"
	case res.Count == 1:
		noun = "migration"
	}
	fmt.Fprintf(stdout, "Exported %d %s to %s (%s, %d bytes)\n", res.Count, noun, res.Path, strings.ToUpper(res.Format), res.Bytes)
	return ExitOK
}
