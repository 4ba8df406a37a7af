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

	"github.com/flowplan/flowplan/spec"
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
		{"init", "init [-f FILE] [--name NAME] (--account ID... | --organization --assume-role NAME | --sandbox) [--region REGION]...", "write a starter spec that describes the flow logs that exist", setupInit, false},
		{"validate", "validate [-f SPEC]", "check a spec file and print a one-line summary", setupValidate, false},
		{"plan", "plan [-f SPEC] [--out FILE] [--format text|json|markdown] [--max-chars N] [--detailed-exitcode] [--target ADDR]... [--shard K/N|auto] [--adopt-roles] [--sandbox]", "show what apply would change (read-only)", setupPlan, false},
		{"apply", "apply [-f SPEC | PLANFILE] [--auto-approve] [--target ADDR]... [--shard K/N|auto] [--adopt-roles] [--sandbox]", "carry out a plan, from a spec or a saved plan file", setupApply, false},
		{"show", "show PLANFILE [--format text|json|markdown] [--max-chars N] | show --merge PLANFILE... [--format ...]", "render a saved plan file, or merge the plans of shards, without calling AWS", setupShow, false},
		{"drift", "drift [-f SPEC] [--format text|json|markdown] [--out FILE] [--target ADDR]... [--strict] [--ignore KIND,...] [--shard K/N|auto] [--sandbox]", "report what differs from the spec, how bad it is and how to fix it (exit 2 when drifted)", setupDrift, false},
		{"audit", "audit [-f SPEC] [--format text|json|csv|markdown|html|ocsf] [--out FILE] [--fail-under PCT] [--evidence [--max-age 1h]] [--all-vpcs] [--target ADDR]... [--shard K/N|auto] [--sandbox] | audit --merge AUDIT.json... [--format ...] [--out FILE]", "report which targets have a compliant flow log, per account × region, with evidence that logs arrive", setupAudit, false},
		{"sandbox", "sandbox reset [--world FILE] | sandbox serve [--addr HOST:PORT] [--world FILE] | sandbox bench [--accounts A] [--regions R] [--vpcs V] [--apply]", "manage the embedded AWS sandbox", setupSandbox, true},
		{"schema", "schema", "print the spec's JSON Schema, for editors (flowplan schema > schema.json)", setupSchema, false},
		{"version", "version", "print the version and build information", setupVersion, false},
		{"completion", "completion bash|zsh|fish", "print a shell completion script", setupCompletion, false},
		{"athena", "athena [-f SPEC] [--rule NAME] [--database DB] [--table-prefix P]", "print Athena tables for the spec's S3 flow logs (no AWS call)", setupAthena, false},
		{"insights", "insights [-f SPEC] [--rule NAME]", "print CloudWatch Logs Insights queries for the spec's log groups (no AWS call)", setupInsights, false},
		{"iam-policy", "iam-policy [-f SPEC] [--for plan|apply|drift|audit] [--format json|terraform] [--principal runner|caller]", "print the least-privilege IAM policy flowplan needs for the spec (no AWS call)", setupIAMPolicy, false},
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
	err := run(ctx, e, args)
	if err != nil && ctx.Err() != nil {
		if i := interruptOf(ctx); i != nil && errors.Is(err, context.Canceled) {
			// The command stopped because of the signal, not for a reason
			// of its own: say so, instead of "context canceled".
			fmt.Fprintf(e.Stderr, "interrupted by %s; nothing more was done\n", signalName(i.Signal))
			return i.ExitCode()
		}
		if code := interruptCode(ctx); code != ExitError {
			exitCode(err, e.Stderr)
			return code
		}
	}
	return exitCode(err, e.Stderr)
}

func run(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		printUsage(e.Stdout)
		return nil
	}
	if args[0] == "help" {
		// 'flowplan help CMD [SUB]' is 'flowplan CMD [SUB] -h'.
		if len(args) == 1 {
			printUsage(e.Stdout)
			return nil
		}
		args = append(append([]string{}, args[1:]...), "-h")
	}
	if args[0] == "--version" || args[0] == "-version" {
		args = []string{"version"}
	}
	for _, c := range commands() {
		if c.name == args[0] {
			fs := newFlagSet(e, c.name, c.usage)
			runCmd := c.setup(fs)
			if c.subcommands {
				// A command with subcommands parses its own arguments; its
				// own help comes first.
				if len(args) > 1 && isHelpArg(args[1]) {
					fs.Usage()
					return flag.ErrHelp
				}
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
// Spec problems print as they are, FILE:LINE:COL: message on each line
// with nothing before the first, for editors and CI problem matchers.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return ExitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	code := ExitError
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err == nil {
			return ee.code
		}
		code, err = ee.code, ee.err
	}
	var es spec.Errors
	if errors.As(err, &es) && err.Error() == es.Error() {
		fmt.Fprintln(stderr, es.Error())
		return code
	}
	fmt.Fprintf(stderr, "Error: %v\n", err)
	return code
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

Run 'flowplan help <command>' or 'flowplan <command> -h' for a command's flags.
`)
}

// stringList is a repeatable string flag (--target A --target B).
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// subcommand is one subcommand of a command that has them ('sandbox
// serve'); like a command, setup defines its flags and returns its run.
type subcommand struct {
	name    string
	usage   string
	summary string
	setup   func(fs *flag.FlagSet) func(ctx context.Context, e *env, args []string) error
}

// subcommandsOf lists the subcommands of a command, for help and
// completion; nil for commands without them.
func subcommandsOf(cmd string) []subcommand {
	switch cmd {
	case "sandbox":
		return sandboxSubcommands()
	}
	return nil
}

// dispatch runs the subcommand named by the first argument, with its own
// flags, help and FLOWPLAN_* variables like any command's.
func dispatch(cmd string, subs []subcommand) func(context.Context, *env, []string) error {
	return func(ctx context.Context, e *env, args []string) error {
		var names []string
		for _, s := range subs {
			names = append(names, s.name)
		}
		if len(args) == 0 {
			return &usageError{cmd: cmd, msg: fmt.Sprintf("%s needs a subcommand: %s", cmd, strings.Join(names, " or "))}
		}
		for _, s := range subs {
			if s.name != args[0] {
				continue
			}
			fs := newFlagSet(e, cmd+" "+s.name, s.usage)
			runSub := s.setup(fs)
			rest, err := parseArgs(fs, args[1:])
			if err != nil {
				return err
			}
			return runSub(ctx, e, rest)
		}
		msg := fmt.Sprintf("unknown %s subcommand %q: use %s", cmd, args[0], strings.Join(names, " or "))
		if s := logformat.Suggest(args[0], names); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		return &usageError{cmd: cmd, msg: msg}
	}
}
