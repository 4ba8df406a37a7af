package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowplan/flowplan/engine"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// checkGolden compares got with the golden file, or rewrites it with -update.
func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (run with -update after an intended change):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// runEnv runs flowplan in process with the given environment variables
// (and none of the process's) and returns its exit code, stdout and stderr.
func runEnv(t *testing.T, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := &env{Streams: Streams{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr}, getenv: func(k string) string { return vars[k] }}
	code := exitCode(run(context.Background(), e, args), e.Stderr)
	return code, stdout.String(), stderr.String()
}

// helpTargets lists every command, and every subcommand of commands that
// have them, as argument lists: what -h must answer for.
func helpTargets() [][]string {
	var out [][]string
	for _, c := range commands() {
		out = append(out, []string{c.name})
		for _, sub := range subcommandsOf(c.name) {
			out = append(out, []string{c.name, sub.name})
		}
	}
	return out
}

// Every command and subcommand, the ones added later included, answers
// -h, --help and 'flowplan help CMD' alike: its own help on stdout, exit 0,
// nothing on stderr, flags written with two dashes.
func TestEveryCommandHasHelp(t *testing.T) {
	for _, target := range helpTargets() {
		name := strings.Join(target, " ")
		t.Run(name, func(t *testing.T) {
			code, want, stderr := runEnv(t, nil, append(append([]string{}, target...), "-h")...)
			if code != ExitOK || stderr != "" {
				t.Fatalf("%s -h: exit %d, stderr %q; want exit 0 and nothing on stderr", name, code, stderr)
			}
			if !strings.HasPrefix(want, "Usage: flowplan "+name) {
				t.Errorf("%s -h starts %q, want the command's usage", name, firstLine(want))
			}
			for _, args := range [][]string{
				append(append([]string{}, target...), "--help"),
				append([]string{"help"}, target...),
			} {
				code, got, stderr := runEnv(t, nil, args...)
				if code != ExitOK || stderr != "" || got != want {
					t.Errorf("flowplan %s: exit %d, stderr %q, stdout equal to -h: %t", strings.Join(args, " "), code, stderr, got == want)
				}
			}
			for _, line := range strings.Split(want, "\n") {
				if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(f[0], "-") && len(strings.TrimRight(f[0], ",")) > 2 && !strings.HasPrefix(f[0], "--") {
					t.Errorf("help writes a long flag with one dash: %q", line)
				}
			}
		})
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// 'flowplan help plan' is plan's help, whole, with the variables that set
// its flags.
func TestPlanHelpGolden(t *testing.T) {
	code, got, _ := runEnv(t, nil, "help", "plan")
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	checkGolden(t, "testdata/help-plan.golden", got)
}

// Every flag of every command has a FLOWPLAN_* variable unless the table
// says why not, and help lists each one.
func TestEveryFlagVariableIsInHelp(t *testing.T) {
	for _, c := range commands() {
		fs := newFlagSet(&env{Streams: Streams{Stdout: &bytes.Buffer{}}}, c.name, c.usage)
		c.setup(fs)
		var help bytes.Buffer
		printCommandHelp(&help, fs)
		fs.VisitAll(func(f *flag.Flag) {
			v := envVar(f.Name)
			if _, listed := flagEnvTable[f.Name]; v == "" && !listed {
				t.Errorf("%s --%s has no variable and no reason in flagEnvTable", c.name, f.Name)
			}
			if v != "" && !strings.Contains(help.String(), "  "+v+" ") {
				t.Errorf("%s help does not list %s for --%s", c.name, v, f.Name)
			}
		})
	}
}

func TestFlagVariables(t *testing.T) {
	specPath := filepath.Join(t.TempDir(), "spec.yaml")
	if err := os.WriteFile(specPath, []byte(testSpec), 0o600); err != nil {
		t.Fatal(err)
	}
	// FLOWPLAN_SPEC is -f.
	code, stdout, stderr := runEnv(t, map[string]string{"FLOWPLAN_SPEC": specPath}, "validate")
	if code != ExitOK || !strings.HasPrefix(stdout, specPath+": valid") {
		t.Errorf("validate with FLOWPLAN_SPEC: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	// A flag wins over its variable.
	code, _, stderr = runEnv(t, map[string]string{"FLOWPLAN_SPEC": "nope.yaml"}, "validate", "-f", specPath)
	if code != ExitOK {
		t.Errorf("validate -f with FLOWPLAN_SPEC=nope.yaml: exit %d, stderr %q", code, stderr)
	}
	// A bad value names the variable.
	code, _, stderr = runEnv(t, map[string]string{"FLOWPLAN_PARALLELISM": "many"}, "plan", "-f", specPath)
	if code != ExitError || !strings.Contains(stderr, `FLOWPLAN_PARALLELISM="many": invalid value for --parallelism`) {
		t.Errorf("FLOWPLAN_PARALLELISM=many: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runEnv(t, map[string]string{"FLOWPLAN_PARALLELISM": "0"}, "plan", "-f", specPath)
	if code != ExitError || !strings.Contains(stderr, "--parallelism must be at least 1, got 0") {
		t.Errorf("FLOWPLAN_PARALLELISM=0: exit %d, stderr %q", code, stderr)
	}
	// Consent is never inherited from the environment.
	if v := envVar("auto-approve"); v != "" {
		t.Errorf("--auto-approve has variable %s", v)
	}
}

// -json is Terraform's spelling of --format json; show takes both.
func TestShowJSONFlag(t *testing.T) {
	_, planPath := savedPlan(t, func(*engine.Plan) {})
	_, want, _ := runEnv(t, nil, "show", "--format", "json", planPath)
	for _, args := range [][]string{{"show", "-json", planPath}, {"show", planPath, "--json"}} {
		code, got, stderr := runEnv(t, nil, args...)
		if code != ExitOK || got != want {
			t.Errorf("%v: exit %d, stderr %q, same as --format json: %t", args, code, stderr, got == want)
		}
	}
	if !json.Valid([]byte(want)) {
		t.Errorf("show --format json is not JSON: %q", want)
	}
	code, _, stderr := runEnv(t, nil, "show", "-json", "--format", "markdown", planPath)
	if code != ExitError || !strings.Contains(stderr, "--json and --format markdown disagree") {
		t.Errorf("-json with --format markdown: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runEnv(t, map[string]string{"FLOWPLAN_FORMAT": "json"}, "show", planPath, "--format", "text")
	if code != ExitOK || strings.HasPrefix(stderr, "{") {
		t.Errorf("--format text with FLOWPLAN_FORMAT=json: exit %d, stderr %q", code, stderr)
	}
}

// FLOWPLAN_LOG_LEVEL=debug logs every AWS call, and --log-format json
// writes each as one JSON object a line with the call's facts.
func TestJSONLogs(t *testing.T) {
	quickstart, err := filepath.Abs("../../../../examples/quickstart.yaml")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	code, _, stderr := runEnv(t, map[string]string{"FLOWPLAN_LOG_LEVEL": "debug"}, "plan", "--sandbox", "-f", quickstart, "--no-progress", "--log-format", "json")
	if code != ExitOK {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	calls := 0
	sc := bufio.NewScanner(strings.NewReader(stderr))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q: %v", line, err)
		}
		if rec["msg"] != "aws call" {
			continue
		}
		calls++
		for _, k := range []string{"time", "level", "service", "operation", "account", "region", "duration", "attempts", "outcome"} {
			if _, ok := rec[k]; !ok {
				t.Errorf("log line lacks %q: %s", k, line)
			}
		}
	}
	if calls == 0 {
		t.Errorf("no aws call logged at debug level; stderr:\n%s", stderr)
	}
}
