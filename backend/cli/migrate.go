package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
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
	commands["migrate"] = command{"Run a migration described in a JSON spec file and wait for it", runMigrate}
	commands["retry"] = command{"Retry a failed migration (resumes; --from-start to redo all) and wait for it", runRetry}
	commands["stop"] = command{"Stop a migration in progress (here or in another Ferry process)", runStop}
}

// Spec is the job file of `ferry migrate --spec job.json`: the New migration form as JSON
// (the fields of service.CreateInput). A secret written as "env:NAME" is read from the
// environment variable NAME, so job files need not hold passwords.
type Spec struct {
	service.CreateInput
	// Files are the manual method's wordpress-files.zip and database.sql.
	Files []string `json:"files"`
}

// readSpec loads a spec file and resolves env: secrets.
func readSpec(path string) (Spec, error) {
	var sp Spec
	err := readSpecOnto(path, &sp)
	return sp, err
}

// readSpecOnto decodes a spec file over sp (fields the file leaves out keep their values,
// which is how `ferry edit` applies a patch) and resolves env: and file: secrets.
func readSpecOnto(path string, sp *Spec) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read spec: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(sp); err != nil {
		return jsonError(path, b, err)
	}
	return resolveSecrets(path, &sp.CreateInput)
}

// resolveSecrets replaces env:NAME secrets with the environment variable NAME and
// file:PATH private keys with the file's text.
func resolveSecrets(path string, sp *service.CreateInput) error {
	for _, p := range []*string{&sp.Source.Password, &sp.Source.PrivateKey, &sp.Source.Passphrase, &sp.Source.DB.Password,
		&sp.Destination.Password, &sp.Destination.PrivateKey, &sp.Destination.Passphrase, &sp.Destination.DB.Password} {
		if name, ok := strings.CutPrefix(*p, "env:"); ok {
			v, set := os.LookupEnv(name)
			if !set {
				return fmt.Errorf("spec %s: environment variable %s is not set", path, name)
			}
			*p = v
		}
	}
	for _, p := range []*string{&sp.Source.PrivateKey, &sp.Destination.PrivateKey} {
		if name, ok := strings.CutPrefix(*p, "file:"); ok {
			b, err := os.ReadFile(name)
			if err != nil {
				return fmt.Errorf("spec %s: read private key: %w", path, err)
			}
			*p = string(b)
		}
	}
	return nil
}

// progressPrinter writes a migration's progress and log to stderr, one line at most every
// second for progress.
type progressPrinter struct {
	mu   sync.Mutex
	w    io.Writer
	id   int64
	last map[string]time.Time // each step's last line
}

func (p *progressPrinter) Emit(name string, payload any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch v := payload.(type) {
	case events.LogLine:
		if p.id == 0 || v.ID == p.id {
			fmt.Fprintf(p.w, "%s %-5s %s\n", time.UnixMilli(v.Time).Format("15:04:05"), v.Level, v.Message)
		}
	case events.Progress:
		// A line a second per step: steps that overlap (download, upload, export, import)
		// each show how they go.
		if (p.id == 0 || v.ID == p.id) && time.Since(p.last[v.Step]) >= time.Second {
			if p.last == nil {
				p.last = map[string]time.Time{}
			}
			p.last[v.Step] = time.Now()
			verb := migration.StepID(v.Step).Verb()
			if v.Step == string(migration.StepWaitForUpload) {
				verb = "Verifying files" // Verify reports its progress on this step
			}
			files := ""
			if v.FilesTotal > 0 {
				files = fmt.Sprintf(" · %d of %d files", v.FilesDone, v.FilesTotal)
			}
			fmt.Fprintf(p.w, "%s       %s %s%s\n", time.Now().Format("15:04:05"), verb, service.ProgressText(v.Percent, v.Speed, v.ETASeconds), files)
		}
	}
}

func (p *progressPrinter) follow(id int64) {
	p.mu.Lock()
	p.id = id
	p.mu.Unlock()
}

// openEngine opens the history and starts a runner in this process.
func openEngine(ctx context.Context, stderr io.Writer, em events.Emitter) (*engine.Engine, error) {
	lg := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return engine.Open(ctx, engine.Config{Emitter: em, Logger: lg})
}

// interruptible stops the wait (not the migration) on Ctrl+C: the migration is then
// stopped as "Stopped by admin" so its history stays truthful.
func interruptible(ctx context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
}

// await waits until id ends and reports it; the exit code is 0 only for Successful.
func await(ctx context.Context, e *engine.Engine, id int64, stderr io.Writer, name string) int {
	sctx, stop := interruptible(ctx)
	defer stop()
	for {
		d, err := e.Service.GetMigration(ctx, id)
		if err != nil {
			fmt.Fprintf(stderr, "ferry %s: %s\n", name, describe(err))
			return ExitError
		}
		switch migration.Status(d.Status) {
		case migration.StatusSuccessful:
			fmt.Fprintf(stderr, "Migration %d completed: %s is at %s\n", id, d.Domain, d.NewURL)
			return ExitOK
		case migration.StatusFailed:
			fmt.Fprintf(stderr, "Migration %d failed: %s\n", id, d.FailureReason)
			return ExitError
		case migration.StatusWaiting:
			fmt.Fprintf(stderr, "Migration %d needs action: %s\n", id, d.StatusText)
			return ExitError
		}
		select {
		case <-sctx.Done():
			if ctx.Err() == nil {
				fmt.Fprintf(stderr, "Interrupted: stopping migration %d\n", id)
				if _, err := e.Service.StopMigration(context.Background(), id); err != nil {
					fmt.Fprintf(stderr, "ferry %s: %s\n", name, describe(err))
				}
			}
			return ExitError
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	spec := fs.String("spec", "", "JSON job file (see README: \"ferry migrate\")")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: ferry migrate --spec job.json")
		fmt.Fprintln(stderr, "Prints the migration ID on stdout, progress on stderr; exits 0 only when it ends Successful.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	if *spec == "" || fs.NArg() > 0 {
		fs.Usage()
		return ExitUsage
	}
	sp, err := readSpec(*spec)
	if err != nil {
		fmt.Fprintf(stderr, "ferry migrate: %v\n", err)
		return ExitUsage
	}
	pp := &progressPrinter{w: stderr}
	e, err := openEngine(ctx, stderr, pp)
	if err != nil {
		fmt.Fprintf(stderr, "ferry migrate: %v\n", err)
		return ExitError
	}
	defer e.Close()
	d, err := e.Service.CreateMigration(ctx, sp.CreateInput)
	if err != nil {
		fmt.Fprintf(stderr, "ferry migrate: %s\n", describeSpec(err))
		if service.CodeOf(err) == service.CodeInvalid {
			return ExitUsage
		}
		return ExitError
	}
	pp.follow(d.ID)
	fmt.Fprintln(stdout, d.ID)
	if code, ok := startManual(ctx, e, d, sp, stderr); !ok {
		return code
	}
	return await(ctx, e, d.ID, stderr, "migrate")
}

func parseID(fs *flag.FlagSet, stderr io.Writer) (int64, bool) {
	if fs.NArg() != 1 {
		fs.Usage()
		return 0, false
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(fs.Arg(0), "#"), 10, 64)
	if err != nil || id <= 0 {
		fmt.Fprintf(stderr, "ferry %s: %q is not a migration ID\n", fs.Name(), fs.Arg(0))
		return 0, false
	}
	return id, true
}

func runRetry(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("retry", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fromStart := fs.Bool("from-start", false, "run every step again instead of resuming at the failed one")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: ferry retry ID [--from-start]")
		fs.PrintDefaults()
	}
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
	pp := &progressPrinter{w: stderr, id: id}
	e, err := openEngine(ctx, stderr, pp)
	if err != nil {
		fmt.Fprintf(stderr, "ferry retry: %v\n", err)
		return ExitError
	}
	defer e.Close()
	if _, err := e.Service.RetryMigration(ctx, id, *fromStart); err != nil {
		fmt.Fprintf(stderr, "ferry retry: %s\n", describe(err))
		return ExitError
	}
	return await(ctx, e, id, stderr, "retry")
}

func runStop(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return onID(ctx, "stop", args, stderr, func(svc *service.Service, id int64) int {
		row, err := svc.StopMigration(ctx, id)
		if err != nil {
			fmt.Fprintf(stderr, "ferry stop: %s\n", describe(err))
			return ExitError
		}
		fmt.Fprintf(stdout, "Migration %d: %s\n", id, row.StatusText)
		return ExitOK
	})
}
