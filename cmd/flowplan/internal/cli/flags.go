package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/flowplan/flowplan/spec/logformat"
)

// This file holds what every command gets from its flag set alone, with no
// code of its own: help (-h, --help, 'flowplan help CMD'), FLOWPLAN_*
// environment variables, one-line errors for unknown flags with "did you
// mean", and the facts completion scripts are written from.

// flagSetInfo is what parseArgs and help know about a flag set made by
// newFlagSet.
type flagSetInfo struct {
	env   *env
	usage string
}

// flagSets maps each *flag.FlagSet made by newFlagSet to its info, so that
// parseArgs keeps its (fs, args) signature.
var flagSets sync.Map

func infoOf(fs *flag.FlagSet) *flagSetInfo {
	if v, ok := flagSets.Load(fs); ok {
		return v.(*flagSetInfo)
	}
	return nil
}

// newFlagSet returns a FlagSet for a command (name is "plan", or "sandbox
// serve" for a subcommand) whose help goes to stdout and whose errors are
// returned, never printed by the flag package.
func newFlagSet(e *env, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	flagSets.Store(fs, &flagSetInfo{env: e, usage: usage})
	fs.Usage = func() { printCommandHelp(e.Stdout, fs) }
	return fs
}

// parseArgs parses flags that may appear before, between or after
// positional arguments ("apply plan.json --auto-approve"), and returns the
// positional ones. "--" ends flag parsing. Flags not given are then read
// from their FLOWPLAN_* variables. -h and --help print the command's help
// on stdout and return flag.ErrHelp.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	help := fs.Usage
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	defer func() { fs.Usage = help }()
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				help()
				return nil, err
			}
			return nil, flagError(fs, err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if rest[0] == "--" {
			positional = append(positional, rest[1:]...)
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	getenv := func(string) string { return "" }
	if info := infoOf(fs); info != nil && info.env != nil && info.env.getenv != nil {
		getenv = info.env.getenv
	}
	if err := applyEnv(fs, getenv); err != nil {
		return nil, err
	}
	return positional, nil
}

// isHelpArg reports whether a is a request for help.
func isHelpArg(a string) bool {
	return a == "-h" || a == "--help" || a == "-help" || a == "help"
}

// dashed writes a flag as help and the README do: -f, --out.
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// flagOneLineError is a flag problem told on one line, with a pointer to
// the command's help on the same line.
type flagOneLineError struct {
	cmd, msg string
}

func (e *flagOneLineError) Error() string {
	return fmt.Sprintf("%s (see 'flowplan %s -h')", e.msg, e.cmd)
}

// The flag package's error messages (stable since Go 1), rewritten with
// the dashes help uses.
var (
	reUndefined = regexp.MustCompile(`^flag provided but not defined: -+(.*)$`)
	reNeedsArg  = regexp.MustCompile(`^flag needs an argument: -+(.*)$`)
	reBadValue  = regexp.MustCompile(`^invalid (?:boolean )?value ("(?:[^"\\]|\\.)*") for (?:flag )?-+([^:]*): (.*)$`)
)

// flagError turns a flag package error into one line naming the flag, with
// "did you mean" for an unknown one.
func flagError(fs *flag.FlagSet, err error) error {
	msg := err.Error()
	if m := reUndefined.FindStringSubmatch(msg); m != nil {
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		out := "unknown flag " + dashed(m[1])
		if s := suggestFlag(m[1], names); s != "" {
			out += "; did you mean " + dashed(s) + "?"
		}
		return &flagOneLineError{cmd: fs.Name(), msg: out}
	}
	if m := reNeedsArg.FindStringSubmatch(msg); m != nil {
		return &flagOneLineError{cmd: fs.Name(), msg: dashed(m[1]) + " needs a value"}
	}
	if m := reBadValue.FindStringSubmatch(msg); m != nil {
		return &flagOneLineError{cmd: fs.Name(), msg: fmt.Sprintf("invalid value %s for %s: %s", m[1], dashed(m[2]), m[3])}
	}
	return &flagOneLineError{cmd: fs.Name(), msg: msg}
}

// suggestFlag returns the flag name a mistyped one most likely meant: one
// a few edits away (fewer for short names, where any two names are a few
// edits apart), else the only flag it is the start of.
func suggestFlag(typed string, names []string) string {
	close := make([]string, 0, len(names))
	for _, n := range names {
		if len(n) > 1 {
			close = append(close, n)
		}
	}
	if best := logformat.Closest(typed, close, 1); len(best) == 1 && logformat.Distance(typed, best[0]) <= len(typed)/3+1 {
		return best[0]
	}
	var prefixed []string
	for _, n := range close {
		if strings.HasPrefix(n, typed) {
			prefixed = append(prefixed, n)
		}
	}
	if len(prefixed) == 1 {
		return prefixed[0]
	}
	return ""
}

// --- environment variables ---

// envPrefix starts every variable that sets a flag.
const envPrefix = "FLOWPLAN_"

// flagEnvTable is the one table of flag variables: a flag not named here
// is set by FLOWPLAN_<NAME> (upper case, "-" as "_"); one named with a
// variable uses that one; one named with "" has no variable, for the
// reason given.
var flagEnvTable = map[string]string{
	"f":    "FLOWPLAN_SPEC",
	"file": "FLOWPLAN_SPEC",
	// Consent and scope are given per command, never inherited by every
	// step of a CI job.
	"auto-approve": "",
	"target":       "",
	// The shard is scope too; --shard auto reads the CI engine's own
	// variables (FLOWPLAN_SHARD_INDEX, CI_NODE_INDEX, ...), and a
	// FLOWPLAN_SHARD in a job's environment would also reach audit
	// --merge, which refuses --shard.
	"shard": "",
	// An output file per command: one variable for all would make each
	// step overwrite the last one's file.
	"out": "",
	// An alias of --format, which has the variable.
	"json": "",
	"h":    "",
	"help": "",
}

// envVar returns the variable that sets flag name, or "".
func envVar(name string) string {
	if v, ok := flagEnvTable[name]; ok {
		return v
	}
	return envPrefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// valueKey identifies a flag's value, so that aliases (-f and --file)
// are told apart from different flags; 0 for values that are not pointers.
func valueKey(f *flag.Flag) uintptr {
	v := reflect.ValueOf(f.Value)
	if v.Kind() == reflect.Pointer {
		return v.Pointer()
	}
	return 0
}

// applyEnv sets each flag that was not given from its variable, when that
// is set and not empty: a flag on the command line wins.
func applyEnv(fs *flag.FlagSet, getenv func(string) string) error {
	given := map[uintptr]bool{}
	givenName := map[string]bool{}
	fs.Visit(func(f *flag.Flag) {
		givenName[f.Name] = true
		if k := valueKey(f); k != 0 {
			given[k] = true
		}
	})
	done := map[string]bool{}
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		name := envVar(f.Name)
		k := valueKey(f)
		if err != nil || name == "" || done[name] || givenName[f.Name] || (k != 0 && given[k]) {
			return
		}
		v := getenv(name)
		if v == "" {
			return
		}
		done[name] = true
		if serr := fs.Set(f.Name, v); serr != nil {
			err = &flagOneLineError{cmd: fs.Name(), msg: fmt.Sprintf("%s=%q: invalid value for %s: %v", name, v, dashed(f.Name), serr)}
		}
	})
	return err
}

// --- values completion and help know about ---

// choiceValue is a string flag with a fixed set of values, which help and
// completion list. It accepts any value: the command checks it, with its
// own message.
type choiceValue struct {
	p       *string
	choices []string
}

func (c *choiceValue) String() string {
	if c == nil || c.p == nil {
		return ""
	}
	return *c.p
}

func (c *choiceValue) Set(s string) error { *c.p = s; return nil }

// Choices lists the values the flag takes.
func (c *choiceValue) Choices() []string { return c.choices }

// choiceVar defines a string flag that takes one of choices.
func choiceVar(fs *flag.FlagSet, p *string, name, value, usage string, choices ...string) {
	*p = value
	fs.Var(&choiceValue{p: p, choices: choices}, name, usage)
}

// choicesOf returns the values a flag takes, when it says.
func choicesOf(f *flag.Flag) []string {
	if c, ok := f.Value.(interface{ Choices() []string }); ok {
		return c.Choices()
	}
	return nil
}

// takesFile reports whether a flag's value is a file name: its usage names
// the value `file`.
func takesFile(f *flag.Flag) bool {
	name, _ := flag.UnquoteUsage(f)
	return strings.EqualFold(name, "file")
}

// isBool reports whether a flag takes no value.
func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// --- help ---

// flagGroup is a flag and its aliases (-f and --file), as help lists them.
type flagGroup struct {
	names []string // short first
	flag  *flag.Flag
}

// flagGroups lists fs's flags with aliases merged, sorted by long name.
func flagGroups(fs *flag.FlagSet) []flagGroup {
	var out []flagGroup
	byKey := map[uintptr]int{}
	fs.VisitAll(func(f *flag.Flag) {
		if k := valueKey(f); k != 0 {
			if i, ok := byKey[k]; ok {
				out[i].names = append(out[i].names, f.Name)
				return
			}
			byKey[k] = len(out)
		}
		out = append(out, flagGroup{names: []string{f.Name}, flag: f})
	})
	for i := range out {
		sort.Slice(out[i].names, func(a, b int) bool {
			x, y := out[i].names[a], out[i].names[b]
			if len(x) == 1 || len(y) == 1 {
				return len(x) < len(y)
			}
			return x < y
		})
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].names[len(out[i].names)-1] < out[j].names[len(out[j].names)-1]
	})
	return out
}

// summaryOf is the one-line summary of a top-level command, or "".
func summaryOf(name string) string {
	cmd, sub, _ := strings.Cut(name, " ")
	for _, c := range commands() {
		if c.name == cmd && sub == "" {
			return c.summary
		}
	}
	for _, s := range subcommandsOf(cmd) {
		if s.name == sub {
			return s.summary
		}
	}
	return ""
}

// printCommandHelp writes a command's help: usage, summary, flags with
// their defaults and values, and the variables that set them.
func printCommandHelp(w io.Writer, fs *flag.FlagSet) {
	usage := fs.Name()
	if info := infoOf(fs); info != nil && info.usage != "" {
		usage = info.usage
	}
	// "sandbox reset ... | sandbox serve ..." is one usage line each; a "|"
	// inside brackets ("[-f SPEC | PLANFILE]") is not.
	cmd, _, _ := strings.Cut(fs.Name(), " ")
	for i, u := range strings.Split(usage, " | "+cmd+" ") {
		if i > 0 {
			u = cmd + " " + u
		}
		lead := "Usage: "
		if i > 0 {
			lead = "       "
		}
		fmt.Fprintf(w, "%sflowplan %s\n", lead, u)
	}
	if s := summaryOf(fs.Name()); s != "" {
		fmt.Fprintf(w, "\n%s%s.\n", strings.ToUpper(s[:1]), s[1:])
	}
	if subs := subcommandsOf(fs.Name()); len(subs) > 0 {
		fmt.Fprint(w, "\nSubcommands:\n")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, s := range subs {
			fmt.Fprintf(tw, "  %s\t%s\n", s.name, s.summary)
		}
		tw.Flush()
		fmt.Fprintf(w, "\nRun 'flowplan help %s SUBCOMMAND' for a subcommand's flags.\n", fs.Name())
	}
	groups := flagGroups(fs)
	if len(groups) == 0 {
		return
	}
	fmt.Fprint(w, "\nFlags:\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	var vars [][2]string
	for _, g := range groups {
		var names []string
		for _, n := range g.names {
			names = append(names, dashed(n))
		}
		lead := strings.Join(names, ", ")
		if len(g.names[0]) > 1 {
			lead = "    " + lead
		}
		value, text := flag.UnquoteUsage(g.flag)
		if isBool(g.flag) {
			value = ""
		} else if value != "" {
			value = " " + strings.ToUpper(value)
		}
		if cs := choicesOf(g.flag); len(cs) > 0 {
			value = " " + strings.Join(cs, "|")
		}
		if d := g.flag.DefValue; d != "" && d != "0" && d != "false" && d != "[]" {
			text += " (default " + d + ")"
		}
		fmt.Fprintf(tw, "  %s%s\t%s\n", lead, value, text)
		if v := envVar(g.flag.Name); v != "" {
			vars = append(vars, [2]string{v, lead})
		}
	}
	tw.Flush()
	fmt.Fprint(w, "\nFlags take one dash or two, and a value after a space or \"=\": --name VALUE, -name=VALUE.\n")
	if len(vars) == 0 {
		return
	}
	fmt.Fprint(w, "\nEnvironment (a flag on the command line wins over its variable):\n")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, v := range vars {
		fmt.Fprintf(tw, "  %s\t%s\n", v[0], strings.TrimSpace(v[1]))
	}
	tw.Flush()
}
