// Command mutants proves that Ferry's tests catch the bugs that matter: it plants each
// small bug described by a test/mutants/*.mutant file in the production code, runs only
// the tests that should catch it, and fails unless every one of them is caught ("killed").
// The tree is restored after each mutant, on Ctrl+C too, and at the next start when a
// previous run was killed outright (see the journal).
//
//	go run ./test/mutants/cmd [-dir test/mutants] [-only REGEX] [-baseline=false]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"time"
)

func main() {
	dir := flag.String("dir", "test/mutants", "folder of .mutant files")
	only := flag.String("only", "", "run only mutants whose name matches this regular expression")
	baseline := flag.Bool("baseline", true, "first check that the selected tests pass on the unmutated tree")
	timeout := flag.Duration("timeout", 6*time.Minute, "go test -timeout for each run")
	verbose := flag.Bool("v", false, "print the go test output of every run")
	flag.Parse()
	os.Exit(run(*dir, *only, *baseline, *timeout, *verbose, os.Stdout))
}

// result is one row of the table.
type result struct {
	name, killer, verdict string
	secs                  float64
}

func run(dir, only string, baseline bool, timeout time.Duration, verbose bool, out io.Writer) int {
	root, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(out, "mutants:", err)
		return 2
	}
	jr := journalPath(root)
	if err := recoverJournal(jr); err != nil {
		fmt.Fprintln(out, "mutants: restoring after an earlier run:", err)
		return 2
	}
	ms, err := loadMutants(filepath.Join(root, dir))
	if err != nil {
		fmt.Fprintln(out, "mutants:", err)
		return 2
	}
	if only != "" {
		re, err := regexp.Compile(only)
		if err != nil {
			fmt.Fprintln(out, "mutants: -only:", err)
			return 2
		}
		var keep []Mutant
		for _, m := range ms {
			if re.MatchString(m.Name) {
				keep = append(keep, m)
			}
		}
		ms = keep
	}
	// Every mutant must still apply before anything runs: a search text another change
	// moved is reported at once, not after minutes of tests.
	bad := 0
	for _, m := range ms {
		if _, _, err := locate(root, m); err != nil {
			fmt.Fprintln(out, "mutants:", err)
			bad++
		}
	}
	if bad > 0 {
		fmt.Fprintf(out, "mutants: %d mutant(s) no longer apply; update their search text\n", bad)
		return 1
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if baseline {
		// The selected tests must pass on the real code, or a "kill" proves nothing.
		for _, pkg := range packages(ms) {
			start := time.Now()
			res := goTest(ctx, root, pkg.name, pkg.pattern, timeout)
			fmt.Fprintf(out, "baseline %-28s %-6s %5.1fs\n", pkg.name, map[bool]string{true: "ok", false: "FAIL"}[res.passed], time.Since(start).Seconds())
			if !res.passed {
				fmt.Fprintf(out, "mutants: the tests fail without any mutant:\n%s\n", tail(res.output, 60))
				return 1
			}
		}
	}

	var rows []result
	for _, m := range ms {
		if ctx.Err() != nil {
			break
		}
		start := time.Now()
		path, orig, err := apply(root, m)
		if err != nil {
			rows = append(rows, result{name: m.Name, verdict: "ERROR: " + err.Error()})
			continue
		}
		if err := writeJournal(jr, path, orig); err != nil {
			_ = restore(path, orig)
			fmt.Fprintln(out, "mutants: journal:", err)
			return 2
		}
		res := goTest(ctx, root, m.Package, m.Run, timeout)
		rerr := restore(path, orig)
		_ = os.Remove(jr)
		if rerr != nil {
			fmt.Fprintf(out, "mutants: CANNOT RESTORE %s: %v\n", path, rerr)
			return 2
		}
		row := result{name: m.Name, secs: time.Since(start).Seconds()}
		switch {
		case ctx.Err() != nil:
			row.verdict = "interrupted"
		case res.buildFailed:
			row.verdict = "BROKEN (does not compile)"
		case res.passed:
			row.verdict = "SURVIVED"
		case len(res.failed) == 0:
			row.verdict, row.killer = "killed", "(go test failed: "+firstLine(res.output)+")"
		default:
			row.verdict, row.killer = "killed", strings.Join(res.failed, ",")
		}
		if verbose || row.verdict != "killed" {
			fmt.Fprintf(out, "--- %s: %s\n%s\n", m.Name, row.verdict, tail(res.output, 30))
		}
		fmt.Fprintf(out, "%-38s %-9s %6.1fs  %s\n", m.Name, row.verdict, row.secs, row.killer)
		rows = append(rows, row)
	}
	if ctx.Err() != nil {
		fmt.Fprintln(out, "mutants: interrupted; the tree is restored")
		return 130
	}
	printTable(out, ms, rows)
	survived := 0
	for _, r := range rows {
		if r.verdict != "killed" {
			survived++
		}
	}
	if survived > 0 {
		fmt.Fprintf(out, "mutants: %d of %d mutants not killed\n", survived, len(rows))
		return 1
	}
	fmt.Fprintf(out, "mutants: all %d mutants killed\n", len(rows))
	return 0
}

func printTable(out io.Writer, ms []Mutant, rows []result) {
	fmt.Fprintln(out)
	fmt.Fprintf(out, "| %-38s | %-8s | %6s | %s |\n", "mutant", "result", "secs", "killed by")
	fmt.Fprintf(out, "|%s|%s|%s|%s|\n", strings.Repeat("-", 40), strings.Repeat("-", 10), strings.Repeat("-", 8), strings.Repeat("-", 11))
	var total float64
	for _, r := range rows {
		total += r.secs
		fmt.Fprintf(out, "| %-38s | %-8s | %6.1f | %s |\n", r.name, r.verdict, r.secs, r.killer)
	}
	fmt.Fprintf(out, "total %.0fs for %d mutants\n", total, len(rows))
}

type pkgRun struct{ name, pattern string }

// packages groups the mutants' -run patterns by package for the baseline.
func packages(ms []Mutant) []pkgRun {
	by := map[string][]string{}
	for _, m := range ms {
		if !contains(by[m.Package], m.Run) {
			by[m.Package] = append(by[m.Package], m.Run)
		}
	}
	var out []pkgRun
	for p, runs := range by {
		for i, r := range runs {
			runs[i] = "(?:" + r + ")"
		}
		out = append(out, pkgRun{p, strings.Join(runs, "|")})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

type testResult struct {
	passed, buildFailed bool
	failed              []string // top-level tests that failed, in order
	output              string
}

var failLine = regexp.MustCompile(`(?m)^--- FAIL: (\S+)`)

// goTest runs go test in its own process group so Ctrl+C ends the test binary and the
// servers it started, not only the go command.
func goTest(ctx context.Context, root, pkg, pattern string, timeout time.Duration) testResult {
	cmd := exec.Command("go", "test", "-count=1", "-p", "1", "-timeout", timeout.String(), "-run", pattern, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CI=true")
	newProcessGroup(cmd)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Start(); err != nil {
		return testResult{output: err.Error(), buildFailed: true}
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		interruptGroup(cmd)
		select {
		case err = <-done:
		case <-time.After(5 * time.Second):
			killGroup(cmd)
			err = <-done
		}
	}
	o := buf.String()
	res := testResult{passed: err == nil, output: o}
	if strings.Contains(o, "[build failed]") || strings.Contains(o, "[setup failed]") {
		res.buildFailed = true
	}
	for _, m := range failLine.FindAllStringSubmatch(o, -1) {
		name := m[1]
		if !strings.Contains(name, "/") && !contains(res.failed, name) {
			res.failed = append(res.failed, name)
		}
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		res.buildFailed = true
	}
	return res
}

func restore(path string, orig []byte) error {
	st, err := os.Stat(path)
	mode := os.FileMode(0o644)
	if err == nil {
		mode = st.Mode().Perm()
	}
	return os.WriteFile(path, orig, mode)
}

// journal records the file being mutated and its original text, so a run killed with
// SIGKILL (or a power cut) is undone by the next run.
type journal struct {
	Path string `json:"path"`
	Orig []byte `json:"orig"`
}

func journalPath(root string) string {
	return filepath.Join(root, "test", "mutants", ".restore.json")
}

func writeJournal(p, path string, orig []byte) error {
	b, err := json.Marshal(journal{Path: path, Orig: orig})
	if err != nil {
		return err
	}
	return os.WriteFile(p, b, 0o600)
}

func recoverJournal(p string) error {
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var j journal
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	if err := restore(j.Path, j.Orig); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "mutants: restored %s left mutated by an interrupted run\n", j.Path)
	return os.Remove(p)
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return l
}
