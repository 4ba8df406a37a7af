// Package cli implements flowplan's commands: argument parsing, wiring of spec, engine, provider and renderer, and exit codes.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/flowplan/flowplan/spec/logformat"
)

// Exit codes. They are decided here and nowhere else.
const (
	// ExitOK means success (and, with --detailed-exitcode, no changes).
	ExitOK = 0
	// ExitError means something failed.
	ExitError = 1
	// ExitChanges means success with changes present (plan with
	// --detailed-exitcode, drift).
	ExitChanges = 2
)

// Streams are the standard streams a command reads and writes. Tests pass
// buffers; main passes the process's streams.
type Streams struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// exitError carries an exit code through the error chain. A nil err with a
// code means "exit quietly with this code" (the command already printed what
// it had to say).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// ExitCode is the process exit code this error asks for.
func (e *exitError) ExitCode() int { return e.code }

// errChanges asks for ExitChanges without printing anything more.
var errChanges = &exitError{code: ExitChanges}

// errSilent asks for ExitError when the command already reported the
// failure in its own output (a failed apply, say).
var errSilent = &exitError{code: ExitError}

// usageError reports bad command-line usage; it prints the command's usage hint.
type usageError struct {
	cmd string
	msg string
}

func (e *usageError) Error() string {
	return fmt.Sprintf("%s\nRun 'flowplan %s -h' for usage.", e.msg, e.cmd)
}

// command is one subcommand. setup defines its flags on fs and returns the
// function that runs it with the positional arguments; splitting the two
// lets completion scripts list every command's flags.
type command struct {
	name    string
	usage   string
	summary string
	setup   func(fs *flag.FlagSet) func(ctx context.Context, e *env, args []string) error
	// subcommands commands parse their own arguments: everything after the
	// command name is passed on as it is.
	subcommands bool
}

func commands() []command {
	return []command{
		{"validate", "validate [-f SPEC]", "check a spec file and print a one-line summary", setupValidate, false},
		{"plan", "plan [-f SPEC] [--out FILE] [--format text|json|markdown] [--detailed-exitcode] [--target ADDR]... [--sandbox]", "show what apply would change (read-only)", setupPlan, false},
		{"apply", "apply [-f SPEC | PLANFILE] [--auto-approve] [--target ADDR]... [--sandbox]", "carry out a plan, from a spec or a saved plan file", setupApply, false},
		{"show", "show PLANFILE [--format text|json|markdown]", "render a saved plan file without calling AWS", setupShow, false},
		{"drift", "drift [-f SPEC] [--format text|json|markdown] [--sandbox]", "report drift between the spec and AWS (exit 2 when drifted)", setupDrift, false},
		{"sandbox", "sandbox reset [--world FILE] | sandbox serve [--addr HOST:PORT] [--world FILE]", "manage the embedded AWS sandbox", setupSandbox, true},
		{"version", "version", "print the version and build information", setupVersion, false},
		{"completion", "completion bash|zsh|fish", "print a shell completion script", setupCompletion, false},
		{"athena", "athena [-f SPEC] [--rule NAME] [--database DB] [--table-prefix P]", "print Athena tables for the spec's S3 flow logs (no AWS call)", setupAthena, false},
		{"insights", "insights [-f SPEC] [--rule NAME]", "print CloudWatch Logs Insights queries for the spec's log groups (no AWS call)", setupInsights, false},
	}
}

// env is what every command gets: streams, the process environment and
// facts about the terminal.
type env struct {
	Streams
	getenv func(string) string
	// stdinTTY and stderrTTY report whether those streams are terminals.
	stdinTTY, stdoutTTY, stderrTTY bool
}

// Main runs flowplan with args (without the program name) and returns the
// process exit code.
func Main(ctx context.Context, args []string, s Streams) int {
	e := &env{Streams: s, getenv: os.Getenv}
	e.stdinTTY = isTerminal(s.Stdin)
	e.stdoutTTY = isTerminal(s.Stdout)
	e.stderrTTY = isTerminal(s.Stderr)
	return exitCode(run(ctx, e, args), e.Stderr)
}

func run(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(e.Stdout)
		return nil
	}
	if args[0] == "--version" {
		args = []string{"version"}
	}
	for _, c := range commands() {
		if c.name == args[0] {
			fs := newFlagSet(e, c.name, c.usage)
			runCmd := c.setup(fs)
			if c.subcommands {
				return runCmd(ctx, e, args[1:])
			}
			positional, err := parseArgs(fs, args[1:])
			if err != nil {
				return err
			}
			return runCmd(ctx, e, positional)
		}
	}
	msg := fmt.Sprintf("unknown command %q", args[0])
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	if s := logformat.Suggest(args[0], names); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	return &exitError{code: ExitError, err: fmt.Errorf("%s\nRun 'flowplan help' for the list of commands.", msg)}
}

// exitCode turns a command's error into an exit code, printing the error.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return ExitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(stderr, "Error: %v\n", ee.err)
		}
		return ee.code
	}
	fmt.Fprintf(stderr, "Error: %v\n", err)
	return ExitError
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, `flowplan keeps VPC Flow Logs across an AWS organisation in line with a YAML spec.

Usage:
  flowplan <command> [flags]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Start here:
  flowplan plan --sandbox -f examples/quickstart.yaml

Run 'flowplan <command> -h' for a command's flags.
`)
}

// newFlagSet returns a FlagSet for a subcommand that reports errors instead
// of exiting and prints its usage to stderr.
func newFlagSet(e *env, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.Stderr, "Usage: flowplan %s\n\nFlags:\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseArgs parses flags that may appear before, between or after
// positional arguments ("apply plan.json --auto-approve"), and returns the
// positional ones. "--" ends flag parsing.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, &usageError{cmd: fs.Name(), msg: err.Error()}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if rest[0] == "--" {
			return append(positional, rest[1:]...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// stringList is a repeatable string flag (--target A --target B).
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(v string) error {
	*l = append(*l, v)
	return nil
}
