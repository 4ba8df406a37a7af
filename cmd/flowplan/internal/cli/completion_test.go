package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The completion scripts are tested by running them in the real shells:
// bash through complete -p and the completion function with COMP_WORDS
// set, fish through complete -C, and zsh in a pseudo-terminal (zpty),
// where compadd is wrapped to record what the completion system offers.
// CI installs all three (.ci/run); elsewhere a missing zsh or fish skips
// its shell, and with FLOWPLAN_REQUIRE_E2E=1 fails it.

// completionCases are command lines, the last word being completed, and
// what must be offered, in a directory holding spec.yaml, plan.json and
// dir/.
var completionCases = []struct {
	line []string
	want []string
}{
	{[]string{"flowplan", "pl"}, []string{"plan"}},
	{[]string{"flowplan", "plan", "-f", ""}, []string{"dir", "plan.json", "spec.yaml"}},
	{[]string{"flowplan", "plan", "--file", "s"}, []string{"spec.yaml"}},
	{[]string{"flowplan", "plan", "--out", ""}, []string{"dir", "plan.json", "spec.yaml"}},
	{[]string{"flowplan", "plan", "--format", ""}, []string{"json", "markdown", "text"}},
	{[]string{"flowplan", "drift", "--format", "m"}, []string{"markdown"}},
	{[]string{"flowplan", "plan", "--log-level", ""}, []string{"debug", "error", "info", "warn"}},
	{[]string{"flowplan", "apply", "--log-format", ""}, []string{"json", "text"}},
	{[]string{"flowplan", "plan", "--detailed"}, []string{"--detailed-exitcode"}},
	{[]string{"flowplan", "show", ""}, []string{"dir", "plan.json", "spec.yaml"}},
	{[]string{"flowplan", "apply", "p"}, []string{"plan.json"}},
	{[]string{"flowplan", "sandbox", ""}, []string{"bench", "reset", "serve"}},
	{[]string{"flowplan", "sandbox", "serve", "--world", "s"}, []string{"spec.yaml"}},
	{[]string{"flowplan", "completion", ""}, []string{"bash", "fish", "zsh"}},
}

// completionDir makes the directory the cases complete in.
func completionDir(t *testing.T) string {
	dir := t.TempDir()
	for _, f := range []string{"spec.yaml", "plan.json"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "dir"), 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

// completionScript writes flowplan's script for shell into a directory of
// its own, and returns its path.
func completionScript(t *testing.T, shell string) string {
	code, stdout, stderr := runCLI(t, "completion", shell)
	if code != ExitOK {
		t.Fatalf("completion %s: exit %d: %s", shell, code, stderr)
	}
	if strings.Contains(stdout, "`") {
		t.Errorf("the %s script holds a backquote (a usage placeholder?)", shell)
	}
	path := filepath.Join(t.TempDir(), "flowplan-completion."+shell)
	if err := os.WriteFile(path, []byte(stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// needShell returns the shell's path, or skips (fails under
// FLOWPLAN_REQUIRE_E2E=1) when it is not installed.
func needShell(t *testing.T, shell string) string {
	path, err := exec.LookPath(shell)
	if err == nil {
		return path
	}
	if os.Getenv("FLOWPLAN_REQUIRE_E2E") == "1" {
		t.Fatalf("%s is required (FLOWPLAN_REQUIRE_E2E=1) but not installed; .ci/run installs it", shell)
	}
	t.Skipf("SKIPPING: %s is not installed; CI installs it and runs this test", shell)
	return ""
}

// offered cleans a shell's list of completions: sorted, without the
// trailing "/" of directories or the "--flag=" fish repeats.
func offered(out string) []string {
	var got []string
	for _, line := range strings.Split(out, "\n") {
		line, _, _ = strings.Cut(line, "\t") // fish: value<TAB>description
		line = strings.TrimSpace(line)
		if i := strings.Index(line, "="); i > 0 && strings.HasPrefix(line, "-") {
			line = line[i+1:]
		}
		line = strings.TrimSuffix(line, "/")
		if line != "" && !slices.Contains(got, line) {
			got = append(got, line)
		}
	}
	slices.Sort(got)
	return got
}

func runShell(t *testing.T, dir string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute) // a bound, not a timing: the shells finish in seconds
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = []string{"HOME=" + dir, "PATH=" + os.Getenv("PATH"), "TERM=dumb", "LC_ALL=C"}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", name, err, stderr.String())
	}
	return string(out)
}

func TestBashCompletion(t *testing.T) {
	bash := needShell(t, "bash")
	dir := completionDir(t)
	script := completionScript(t, "bash")
	if out := runShell(t, dir, bash, "-c", "source "+script+" && complete -p flowplan"); strings.TrimSpace(out) != "complete -F _flowplan flowplan" {
		t.Fatalf("complete -p flowplan = %q", out)
	}
	for _, tc := range completionCases {
		words := make([]string, len(tc.line))
		for i, w := range tc.line {
			words[i] = shellQuote(w)
		}
		// bash splits "--flag=value" at "=", as readline would.
		prog := "source " + script + "; COMP_WORDS=(" + strings.Join(words, " ") + "); COMP_CWORD=" +
			strconv.Itoa(len(tc.line)-1) + `; _flowplan; printf '%s\n' "${COMPREPLY[@]}"`
		got := offered(runShell(t, dir, bash, "-c", prog))
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("bash %q (-want +got):\n%s", strings.Join(tc.line, " "), diff)
		}
	}
	// --format=j: readline hands bash "--format", "=", "j".
	prog := "source " + script + `; COMP_WORDS=(flowplan plan --format = j); COMP_CWORD=4; _flowplan; printf '%s\n' "${COMPREPLY[@]}"`
	if got := offered(runShell(t, dir, bash, "-c", prog)); !cmp.Equal(got, []string{"json"}) {
		t.Errorf("bash --format=j offers %q, want json", got)
	}
}

func TestFishCompletion(t *testing.T) {
	fish := needShell(t, "fish")
	dir := completionDir(t)
	script := completionScript(t, "fish")
	for _, tc := range completionCases {
		line := strings.Join(tc.line, " ")
		got := offered(runShell(t, dir, fish, "--no-config", "-c", "source "+script+"; complete -C "+shellQuote(line)))
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("fish %q (-want +got):\n%s", line, diff)
		}
	}
}

// zshHarness types a line and a Tab into an interactive zsh in a zpty and
// records every match the completion system adds. It types only when the
// line editor shows its prompt: zsh sets up the terminal when the editor
// starts and may drop what was typed before. What it waits for is
// computed ("%#" prints as # or %, $((6*7)) as 42), so that the terminal's
// echo of what was typed never matches.
const zshHarness = `zmodload zsh/zpty
script=$1
shift
prompt='*__P[#%]__*'
zpty z zsh -f -i
zpty -w z "PROMPT='__P%#__'; RPROMPT=''"
zpty -r z x "$prompt"
for cmd in "autoload -Uz compinit && compinit -u -D" "zstyle ':completion:*' menu no" \
  "compadd() { if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd \"\$@\"; return; fi; local -a __hits; builtin compadd -A __hits \"\$@\"; print -rl -- \$__hits >> \$__out; builtin compadd \"\$@\"; }" \
  "source $script"; do
  zpty -w z "$cmd"
  zpty -r z x "$prompt"
done
while (( $# >= 2 )); do
  zpty -w z "__out=$2"
  zpty -r z x "$prompt"
  zpty -w -n z "$1"$'\t'
  zpty -w z $'\C-u''print -- __DONE$((6*7))__'
  zpty -r z x '*__DONE42__*'
  zpty -r z x "$prompt"
  shift 2
done
zpty -d z
`

func TestZshCompletion(t *testing.T) {
	zsh := needShell(t, "zsh")
	dir := completionDir(t)
	script := completionScript(t, "zsh")
	tmp := t.TempDir()
	harness := filepath.Join(tmp, "harness.zsh")
	if err := os.WriteFile(harness, []byte(zshHarness), 0o600); err != nil {
		t.Fatal(err)
	}
	// One shell completes every case, each into its own file.
	args := []string{"-f", harness, script}
	for i, tc := range completionCases {
		args = append(args, strings.Join(tc.line, " "), filepath.Join(tmp, "matches"+strconv.Itoa(i)))
	}
	runShell(t, dir, zsh, args...)
	for i, tc := range completionCases {
		data, err := os.ReadFile(filepath.Join(tmp, "matches"+strconv.Itoa(i)))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, offered(string(data))); diff != "" {
			t.Errorf("zsh %q (-want +got):\n%s", strings.Join(tc.line, " "), diff)
		}
	}
}
