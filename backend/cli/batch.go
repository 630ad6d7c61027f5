package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"ferry/backend/engine"
	"ferry/backend/events"
	"ferry/backend/migration"
	"ferry/backend/service"
)

func init() {
	if commands == nil {
		commands = map[string]command{}
	}
	commands["batch"] = command{"Migrate many sites sharing a source and destination host (a sites CSV) and wait for them", runBatch}
}

// batchSpec is the shared settings file of `ferry batch --spec batch.json`: the method, the
// source and destination logins and the options every site of the list uses. Secrets
// take the env: and file: forms of `ferry migrate` job files.
type batchSpec struct {
	Name        string                `json:"name"`
	Method      string                `json:"method"`
	Source      service.EndpointInput `json:"source"`
	Destination service.EndpointInput `json:"destination"`
	Options     service.OptionsDTO    `json:"options"`
}

func readBatchSpec(path string) (batchSpec, error) {
	var sp batchSpec
	b, err := os.ReadFile(path)
	if err != nil {
		return sp, fmt.Errorf("read spec: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sp); err != nil {
		return sp, jsonError(path, b, err)
	}
	in := service.CreateInput{Source: sp.Source, Destination: sp.Destination}
	if err := resolveSecrets(path, &in); err != nil {
		return sp, err
	}
	sp.Source, sp.Destination = in.Source, in.Destination
	return sp, nil
}

func runBatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("batch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	spec := fs.String("spec", "", "JSON file of the settings every site shares (see README: \"ferry batch\")")
	sites := fs.String("sites", "", "CSV file with one site per row: "+joinColumns())
	check := fs.Bool("check", false, "only validate the files and print the sites as they would run")
	name := fs.String("name", "", "name of the batch (default: the spec's name, else the sites file's name)")
	resume := fs.String("resume", "", "continue the batch with this ID or name after Ferry was closed or killed")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: ferry batch --spec batch.json --sites sites.csv [--check] [--name NAME]")
		fmt.Fprintln(stderr, "       ferry batch --resume ID")
		fmt.Fprintln(stderr, "Prints the batch ID on stdout, each site's outcome on stderr; exits 0 only when every site ends Successful.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	if fs.NArg() > 0 || (*resume == "") == (*spec == "" || *sites == "") || (*resume != "" && (*spec != "" || *sites != "" || *check)) {
		fs.Usage()
		return ExitUsage
	}
	if *resume != "" {
		return resumeBatch(ctx, *resume, stdout, stderr)
	}
	sp, err := readBatchSpec(*spec)
	if err != nil {
		fmt.Fprintf(stderr, "ferry batch: %v\n", err)
		return ExitUsage
	}
	f, err := os.Open(*sites)
	if err != nil {
		fmt.Fprintf(stderr, "ferry batch: %v\n", err)
		return ExitUsage
	}
	list, problems := service.ParseSites(f)
	f.Close()
	in := service.BatchInput{Name: *name, File: *sites,
		Shared: service.CreateInput{Method: sp.Method, Source: sp.Source, Destination: sp.Destination, Options: sp.Options},
		Sites:  list}
	if in.Name == "" {
		in.Name = sp.Name
	}
	if len(problems) > 0 {
		printProblems(stderr, &service.BatchError{File: *sites, Spec: *spec, Problems: problems})
		return ExitUsage
	}
	if *check {
		svc, err := openService(ctx, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "ferry batch: %v\n", err)
			return ExitError
		}
		defer svc.Close()
		forms, err := svc.CheckBatch(ctx, in)
		if err != nil {
			printProblems(stderr, err)
			return ExitUsage
		}
		printPreview(stdout, in, forms)
		return ExitOK
	}
	bp := &batchPrinter{w: stderr}
	e, err := openEngine(ctx, stderr, bp)
	if err != nil {
		fmt.Fprintf(stderr, "ferry batch: %v\n", err)
		return ExitError
	}
	defer e.Close()
	b, err := e.Service.CreateBatch(ctx, in)
	if err != nil {
		var be *service.BatchError
		if errors.As(err, &be) {
			be.Spec = *spec
			printProblems(stderr, be)
			return ExitUsage
		}
		fmt.Fprintf(stderr, "ferry batch: %s\n", describe(err))
		return ExitError
	}
	fmt.Fprintln(stdout, b.ID)
	fmt.Fprintf(stderr, "Batch %d (%s): %d sites queued\n", b.ID, b.Name, b.Created)
	return awaitBatch(ctx, e, b.ID, stderr)
}

func resumeBatch(ctx context.Context, ref string, stdout, stderr io.Writer) int {
	bp := &batchPrinter{w: stderr}
	e, err := openEngine(ctx, stderr, bp)
	if err != nil {
		fmt.Fprintf(stderr, "ferry batch: %v\n", err)
		return ExitError
	}
	defer e.Close()
	b, err := e.Service.ResumeBatch(ctx, ref)
	if err != nil {
		fmt.Fprintf(stderr, "ferry batch: %s\n", describe(err))
		if service.CodeOf(err) == service.CodeNotFound {
			return ExitUsage
		}
		return ExitError
	}
	fmt.Fprintln(stdout, b.ID)
	fmt.Fprintf(stderr, "Batch %d (%s) resumed: %d retried, %d created\n", b.ID, b.Name, b.Retried, b.Created)
	return awaitBatch(ctx, e, b.ID, stderr)
}

func joinColumns() string {
	out := ""
	for i, c := range service.SiteColumns {
		if i > 0 {
			out += ","
		}
		out += c
	}
	return out
}

func printProblems(w io.Writer, err error) {
	var be *service.BatchError
	if !errors.As(err, &be) {
		fmt.Fprintf(w, "ferry batch: %s\n", describe(err))
		return
	}
	for _, p := range be.Problems {
		fmt.Fprintln(w, p.Text(be.File, be.Spec))
	}
	fmt.Fprintf(w, "ferry batch: %d problems; nothing was started\n", len(be.Problems))
}

// printPreview shows each site as it would run.
func printPreview(w io.Writer, in service.BatchInput, forms []service.CreateInput) {
	src, dst := in.Shared.Source, in.Shared.Destination
	fmt.Fprintf(w, "Source: %s %s@%s   Destination: %s %s@%s\n\n", src.Protocol, src.User, src.Host, dst.Protocol, dst.User, dst.Host)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LINE\tDOMAIN\tNEW URL\tSOURCE PATH\tSOURCE DB\tDEST PATH\tDEST DB\tOWNER\tSERVICE")
	for i, f := range forms {
		db := f.Source.DB.Name
		if f.Source.DB.FromWPConfig {
			db = "(wp-config.php)"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s <%s>\t%s\n", in.Sites[i].Line, f.Domain, f.NewURL, f.Source.Path, db,
			f.Destination.Path, f.Destination.DB.Name, f.UserName, f.UserEmail, f.Service)
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%d sites are valid; nothing was started (run without --check to start them).\n", len(forms))
}

// batchPrinter writes the warnings and errors of a batch's migrations to stderr; the
// outcome of each site is written by awaitBatch.
type batchPrinter struct {
	w io.Writer
}

func (p *batchPrinter) Emit(_ string, payload any) {
	if v, ok := payload.(events.LogLine); ok && (v.Level == "warn" || v.Level == "error") {
		fmt.Fprintf(p.w, "%s %-5s #%d %s\n", time.UnixMilli(v.Time).Format("15:04:05"), v.Level, v.ID, v.Message)
	}
}

// awaitBatch waits until every migration of the batch has ended and reports each; the exit
// code is 0 only when all are Successful. Ctrl+C stops the migrations still running
// ("Stopped by admin"); `ferry batch --resume` continues them.
func awaitBatch(ctx context.Context, e *engine.Engine, id int64, stderr io.Writer) int {
	sctx, stop := interruptible(ctx)
	defer stop()
	ref := fmt.Sprint(id)
	told := map[int64]bool{}
	for {
		sum, err := e.Service.BatchStatus(ctx, ref)
		if err != nil {
			fmt.Fprintf(stderr, "ferry batch: %s\n", describe(err))
			return ExitError
		}
		for _, r := range sum.Rows {
			if told[r.ID] {
				continue
			}
			switch migration.Status(r.Status) {
			case migration.StatusSuccessful:
				fmt.Fprintf(stderr, "Migration %d (%s): completed\n", r.ID, r.Domain)
				told[r.ID] = true
			case migration.StatusFailed:
				fmt.Fprintf(stderr, "Migration %d (%s): failed: %s\n", r.ID, r.Domain, r.FailureReason)
				told[r.ID] = true
			}
		}
		if sum.Running == 0 && sum.Waiting == 0 {
			fmt.Fprintf(stderr, "Batch %d (%s): %d successful, %d failed of %d sites\n", sum.ID, sum.Name, sum.Done, sum.Failed, sum.Sites)
			if sum.Failed > 0 || sum.Done < sum.Sites {
				return ExitError
			}
			return ExitOK
		}
		select {
		case <-sctx.Done():
			if ctx.Err() == nil {
				fmt.Fprintf(stderr, "Interrupted: stopping the migrations of batch %d still running\n", id)
				for _, r := range sum.Rows {
					if st := migration.Status(r.Status); st == migration.StatusRunning || st == migration.StatusQueued {
						if _, err := e.Service.StopMigration(context.Background(), r.ID); err != nil {
							fmt.Fprintf(stderr, "ferry batch: %s\n", describe(err))
						}
					}
				}
			}
			return ExitError
		case <-time.After(300 * time.Millisecond):
		}
	}
}
