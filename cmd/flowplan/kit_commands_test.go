package main

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowplan/flowplan/examples"
	"github.com/flowplan/flowplan/providers/awsemu"
)

// The CI kit's command test runs every flowplan command line of the files
// in examples/ci, as written, against the sandbox served over HTTP the way
// CI reaches AWS: AWS_ENDPOINT_URL, AWS_REGION and an access key in the
// environment, no --sandbox. A renamed flag or a changed exit code breaks
// it.
//
// How a command line is found: after continuation lines are joined, a
// line that starts with "flowplan " once the YAML around it is taken off
// ("- ", "run: ") is a command. It ends at the first shell operator; a
// "> FILE" or "2> FILE" after it is honoured. A flowplan command anywhere
// else in a line ("$(flowplan", "if flowplan", "&& flowplan") is an error,
// since the test could not run it. Comment lines are skipped.
//
// How CI variables are given: ciVars below. A $NAME in a command that is
// not there, or a GitHub ${{ }} expression (pass values through env:
// instead, as GitHub's hardening guide says), is an error.

// ciRuns are the CI systems' files in the order their commands run, each
// system on a fresh sandbox, following the life cycle: a nightly drift
// check before anything is applied (exit 2), a pull request's plan, its
// apply on merge, the monthly audit. Every file in examples/ci must be in
// one run.
var ciRuns = []struct {
	name  string
	files []string
}{
	{"github-actions", []string{"github-actions/drift.yml", "github-actions/plan.yml", "github-actions/apply.yml", "github-actions/audit.yml", "github-actions/sharded.yml"}},
	{"atlantis", []string{"atlantis/repos.yaml", "atlantis/atlantis.yaml"}},
	{"gitlab", []string{"gitlab/gitlab-ci.yml"}},
}

// ciExpect is the exit code each command gives in its run, keyed by
// "FILE: COMMAND" as written in the file. Every command found must be
// here, and every entry must be found.
var ciExpect = map[string]int{
	`github-actions/drift.yml: flowplan drift -f "$FLOWPLAN_SPEC" --format json --out drift.json`:                                                                  2,
	`github-actions/drift.yml: flowplan drift -f "$FLOWPLAN_SPEC" --format markdown > drift.md || [ $? = 2 ]`:                                                      2,
	`github-actions/plan.yml: flowplan plan -f "$FLOWPLAN_SPEC" --out plan.fp --format markdown --detailed-exitcode > plan.md`:                                     2,
	`github-actions/apply.yml: flowplan apply plan.fp --auto-approve --format markdown > apply.md 2> apply.err`:                                                    0,
	`github-actions/audit.yml: flowplan audit -f "$FLOWPLAN_SPEC" --format html --out audit.html --fail-under "$FLOWPLAN_FAIL_UNDER"`:                              0,
	`github-actions/sharded.yml: flowplan plan -f "$FLOWPLAN_SPEC" --shard auto --out "plan-$FLOWPLAN_SHARD_INDEX.fp" --detailed-exitcode || [ $? = 2 ]`:           0,
	`github-actions/sharded.yml: flowplan audit -f "$FLOWPLAN_SPEC" --shard auto --format json --out "audit-$FLOWPLAN_SHARD_INDEX.json"`:                           0,
	`github-actions/sharded.yml: flowplan show --merge plan-1.fp plan-2.fp plan-3.fp --format markdown > plan.md`:                                                  0,
	`github-actions/sharded.yml: flowplan audit --merge audit-1.json audit-2.json audit-3.json --format html --out audit.html --fail-under "$FLOWPLAN_FAIL_UNDER"`: 0,
	`atlantis/repos.yaml: flowplan plan -f flowplan.yaml --out "$PLANFILE" --no-color`:                                                                             0,
	`atlantis/repos.yaml: flowplan show "$PLANFILE" --format json > "$SHOWFILE"`:                                                                                   0,
	`atlantis/repos.yaml: flowplan apply "$PLANFILE" --auto-approve --no-color`:                                                                                    0,
	`gitlab/gitlab-ci.yml: flowplan plan -f "$FLOWPLAN_SPEC" --out plan.fp --format markdown --detailed-exitcode > plan.md || code=$?`:                             2,
	`gitlab/gitlab-ci.yml: flowplan apply plan.fp --auto-approve`:                                                                                                  0,
}

// ciPending are commands the CI files use before flowplan has them: the
// subcommand or a flag does not exist yet. Each must still fail with a
// usage error (unknown command or flag); once it gives its expected exit
// code, the test fails until it is taken off this list.
var ciPending = map[string]string{}

// ciShards is how many shards the matrix workflows run: a command that
// names $FLOWPLAN_SHARD_INDEX is one matrix job's, and runs once per shard,
// with FLOWPLAN_SHARD_INDEX (from 1) and FLOWPLAN_SHARD_TOTAL set, as the
// workflow's matrix sets them.
const ciShards = 3

// ciVars are the CI variables commands may use, for a run in dir: the spec
// CI files name (the quickstart example, copied there), Atlantis's plan
// and show files, and the audit threshold.
func ciVars(dir string) map[string]string {
	return map[string]string{
		"FLOWPLAN_SPEC":       "flowplan.yaml",
		"FLOWPLAN_FAIL_UNDER": "90",
		"PLANFILE":            filepath.Join(dir, "default.tfplan"),
		"SHOWFILE":            filepath.Join(dir, "default.json"),
	}
}

// ciCommand is one flowplan command line of a CI file.
type ciCommand struct {
	file string // relative to examples/ci
	line int
	text string // as written, from "flowplan" on
}

func (c ciCommand) key() string { return c.file + ": " + c.text }

var (
	hiddenCommandRE = regexp.MustCompile(`(\$\(|\bif\s+|\bthen\s+|&&\s*|\|\|\s*|;\s*|\|\s*|\bexec\s+)flowplan\s+[a-z]`)
	yamlPrefixRE    = regexp.MustCompile(`^(-\s+)?(run:\s+)?`)
)

// extractCommands returns the flowplan command lines of a CI file.
func extractCommands(t *testing.T, rel string) []ciCommand {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(ciDir, rel))
	if err != nil {
		t.Fatal(err)
	}
	var out []ciCommand
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		n := i + 1
		line := strings.TrimSpace(lines[i])
		for strings.HasSuffix(line, `\`) && i+1 < len(lines) {
			i++
			line = strings.TrimSuffix(line, `\`) + " " + strings.TrimSpace(lines[i])
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		if hiddenCommandRE.MatchString(line) {
			t.Errorf("%s:%d: a flowplan command inside a line, which this test cannot run: put it at the start of its own line", rel, n)
		}
		rest := yamlPrefixRE.ReplaceAllString(line, "")
		if strings.HasPrefix(rest, `"flowplan `) || strings.HasPrefix(rest, `'flowplan `) {
			t.Errorf("%s:%d: a quoted flowplan command: write it unquoted so that this test finds it", rel, n)
		}
		if strings.HasPrefix(rest, "flowplan ") {
			out = append(out, ciCommand{file: rel, line: n, text: rest})
		}
	}
	return out
}

// shellWords splits a command line as the shell would, as far as these
// files need: quotes, $NAME and ${NAME} from vars, and "> FILE" and
// "2> FILE" redirections. It stops at the first other operator (|, ||,
// &&, ;, &, <, >>).
func shellWords(line string, vars map[string]string) (args []string, stdout, stderr string, err error) {
	type token struct {
		text string
		op   bool
	}
	var toks []token
	var cur strings.Builder
	inWord, quoted := false, false
	flush := func() {
		if inWord {
			toks = append(toks, token{text: cur.String()})
		}
		cur.Reset()
		inWord, quoted = false, false
	}
	quote := byte(0)
lex:
	for i := 0; i < len(line); {
		c := line[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
			i++
		case c == '$' && quote != '\'':
			j := i + 1
			braced := j < len(line) && line[j] == '{'
			if braced {
				j++
			}
			k := j
			for k < len(line) && (line[k] == '_' || line[k] >= 'A' && line[k] <= 'Z' || line[k] >= 'a' && line[k] <= 'z' || line[k] >= '0' && line[k] <= '9') {
				k++
			}
			if braced {
				if k >= len(line) || line[k] != '}' || k == j {
					return nil, "", "", fmt.Errorf("a ${ that is not a variable (a GitHub expression? pass it through env:)")
				}
				k++
			}
			name := strings.Trim(line[j:k], "{}")
			v, ok := vars[name]
			if !ok {
				return nil, "", "", fmt.Errorf("variable $%s is not defined in ciVars", name)
			}
			cur.WriteString(v)
			inWord, i = true, k
		case quote == '"':
			if c == '"' {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
			i++
		case c == '\'' || c == '"':
			quote, inWord, quoted = c, true, true
			i++
		case c == ' ' || c == '\t':
			flush()
			i++
		case strings.IndexByte("|&;<>()`", c) >= 0:
			op := string(c)
			if i+1 < len(line) && strings.IndexByte("|&>", line[i+1]) >= 0 && line[i+1] == c {
				op += string(c)
			}
			if op == ">" && inWord && !quoted && cur.String() == "2" {
				cur.Reset()
				inWord, op = false, "2>"
			}
			flush()
			toks = append(toks, token{text: op, op: true})
			if op != ">" && op != "2>" {
				break lex // the command ends here; the rest is shell
			}
			i += len(op) - strings.Count(op, "2")
		default:
			cur.WriteByte(c)
			inWord = true
			i++
		}
	}
	if quote != 0 {
		return nil, "", "", fmt.Errorf("unterminated quote")
	}
	flush()
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if !t.op {
			args = append(args, t.text)
			continue
		}
		if t.text != ">" && t.text != "2>" {
			break
		}
		if i+1 >= len(toks) || toks[i+1].op {
			return nil, "", "", fmt.Errorf("a redirection without a file")
		}
		i++
		if t.text == ">" {
			stdout = toks[i].text
		} else {
			stderr = toks[i].text
		}
	}
	return args, stdout, stderr, nil
}

func TestShellWords(t *testing.T) {
	vars := map[string]string{"SPEC": "s.yaml", "P": "/tmp/x y"}
	tests := []struct {
		line           string
		args           []string
		stdout, stderr string
		err            string
	}{
		{line: `flowplan plan -f "$SPEC" --out plan.fp`, args: []string{"flowplan", "plan", "-f", "s.yaml", "--out", "plan.fp"}},
		{line: `flowplan show "$P" --format json > "${P}.json"`, args: []string{"flowplan", "show", "/tmp/x y", "--format", "json"}, stdout: "/tmp/x y.json"},
		{line: `flowplan apply p --format markdown > a.md 2> a.err`, args: []string{"flowplan", "apply", "p", "--format", "markdown"}, stdout: "a.md", stderr: "a.err"},
		{line: `flowplan plan > p.md || code=$?`, args: []string{"flowplan", "plan"}, stdout: "p.md"},
		{line: `flowplan drift 'a $b' | tee x`, args: []string{"flowplan", "drift", "a $b"}},
		{line: `flowplan plan -f $NOPE`, err: "NOPE is not defined"},
		{line: `flowplan plan -f ${{ env.SPEC }}`, err: "GitHub expression"},
		{line: `flowplan plan -f "s.yaml`, err: "unterminated"},
	}
	for _, tt := range tests {
		args, so, se, err := shellWords(tt.line, vars)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: err = %v, want %q", tt.line, err, tt.err)
			}
			continue
		}
		if err != nil || !slices.Equal(args, tt.args) || so != tt.stdout || se != tt.stderr {
			t.Errorf("%s = %q > %q 2> %q, %v; want %q > %q 2> %q", tt.line, args, so, se, err, tt.args, tt.stdout, tt.stderr)
		}
	}
}

// TestCICommands runs every flowplan command of the CI files against the
// sandbox and checks the exit code ciExpect gives.
func TestCICommands(t *testing.T) {
	// Every file of examples/ci is run.
	var listed []string
	for _, r := range ciRuns {
		listed = append(listed, r.files...)
	}
	err := filepath.WalkDir(ciDir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(ciDir, path)
		if !slices.Contains(listed, filepath.ToSlash(rel)) {
			t.Errorf("%s is in no run of ciRuns: add it, so that its commands are run", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	found := map[string]bool{}
	for _, r := range ciRuns {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			env := serveSandbox(t, dir)
			copyFile(t, "../../examples/quickstart.yaml", filepath.Join(dir, "flowplan.yaml"))
			vars := ciVars(dir)
			for _, file := range r.files {
				for _, c := range extractCommands(t, file) {
					mu.Lock()
					found[c.key()] = true
					mu.Unlock()
					want, ok := ciExpect[c.key()]
					if !ok {
						t.Errorf("%s:%d: %s: not in ciExpect: add it with the exit code the workflow expects here", c.file, c.line, c.text)
						continue
					}
					if !strings.Contains(c.text, "$FLOWPLAN_SHARD_INDEX") {
						runCICommand(t, dir, env, vars, c, want)
						continue
					}
					for k := 1; k <= ciShards; k++ {
						shardVars := maps.Clone(vars)
						shardVars["FLOWPLAN_SHARD_INDEX"], shardVars["FLOWPLAN_SHARD_TOTAL"] = strconv.Itoa(k), strconv.Itoa(ciShards)
						shardEnv := append(slices.Clone(env), "FLOWPLAN_SHARD_INDEX="+strconv.Itoa(k), "FLOWPLAN_SHARD_TOTAL="+strconv.Itoa(ciShards))
						runCICommand(t, dir, shardEnv, shardVars, c, want)
					}
				}
			}
		})
	}
	t.Cleanup(func() {
		for k := range ciExpect {
			if !found[k] {
				t.Errorf("ciExpect has %q, which no CI file runs any more", k)
			}
		}
		for k := range ciPending {
			if _, ok := ciExpect[k]; !ok {
				t.Errorf("ciPending has %q, which is not in ciExpect", k)
			}
		}
	})
}

// unknownFormat is how a command refuses a --format it does not offer yet.
var unknownFormat = regexp.MustCompile(`unknown (audit |output )?format "[a-z]+"`)

// runCICommand runs one command and checks its exit code, or, for a
// pending one, that it still fails only for want of a command or flag.
func runCICommand(t *testing.T, dir string, env []string, vars map[string]string, c ciCommand, want int) {
	t.Helper()
	where := fmt.Sprintf("%s:%d: %s", c.file, c.line, c.text)
	args, stdoutFile, stderrFile, err := shellWords(c.text, vars)
	if err != nil {
		t.Errorf("%s: %v", where, err)
		return
	}
	stdout, stderr, code := runFlowplan(t, dir, env, args[1:]...)
	for file, text := range map[string]string{stdoutFile: stdout, stderrFile: stderr} {
		if file == "" {
			continue
		}
		if !filepath.IsAbs(file) {
			file = filepath.Join(dir, file)
		}
		if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if why, pending := ciPending[c.key()]; pending {
		// Missing: the command, a flag, or a value of a flag (a format).
		usage := strings.Contains(stderr, "unknown command") || strings.Contains(stderr, "flag provided but not defined") ||
			unknownFormat.MatchString(stderr)
		switch {
		case code == want && !usage:
			t.Errorf("%s: pending (%s) but it works now, exit %d: take it off ciPending", where, why, code)
		case !usage:
			t.Errorf("%s: pending (%s), and it fails with exit %d for another reason than a missing command or flag:\n%s", where, why, code, stderr)
		default:
			t.Logf("%s: still pending (%s)", where, why)
		}
		return
	}
	if code != want {
		t.Errorf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", where, code, want, stdout, stderr)
	}
}

// TestCIApplyStalePlan: apply.yml tells the user to re-plan when flowplan
// refuses a stale plan, by matching flowplan's message; the message must
// still match. The spec changes after plan.yml planned, and apply.yml's
// command must fail with a message that one of its grep patterns finds.
func TestCIApplyStalePlan(t *testing.T) {
	dir := t.TempDir()
	env := serveSandbox(t, dir)
	copyFile(t, "../../examples/quickstart.yaml", filepath.Join(dir, "flowplan.yaml"))
	vars := ciVars(dir)
	plan := extractCommands(t, "github-actions/plan.yml")
	apply := extractCommands(t, "github-actions/apply.yml")
	if len(plan) != 1 || len(apply) != 1 {
		t.Fatalf("want one flowplan command in plan.yml and apply.yml, got %d and %d", len(plan), len(apply))
	}
	runCICommand(t, dir, env, vars, plan[0], ciExpect[plan[0].key()])
	f, err := os.OpenFile(filepath.Join(dir, "flowplan.yaml"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, "# edited after the plan was made")
	f.Close()
	args, _, _, err := shellWords(apply[0].text, vars)
	if err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runFlowplan(t, dir, env, args[1:]...)
	if code != 1 {
		t.Fatalf("apply of a stale plan exited %d, want 1\n%s", code, stderr)
	}
	b, err := os.ReadFile(filepath.Join(ciDir, "github-actions", "apply.yml"))
	if err != nil {
		t.Fatal(err)
	}
	grep := regexp.MustCompile(`grep -q((?: -e '[^']+')+) apply\.err`).FindStringSubmatch(string(b))
	if grep == nil {
		t.Fatal("apply.yml has no grep -q -e '...' apply.err line to recognise a stale plan")
	}
	for _, m := range regexp.MustCompile(`-e '([^']+)'`).FindAllStringSubmatch(grep[1], -1) {
		if strings.Contains(stderr, m[1]) {
			return
		}
	}
	t.Fatalf("none of apply.yml's patterns%s matches flowplan's refusal:\n%s", grep[1], stderr)
}

// serveSandbox starts 'flowplan sandbox serve' in dir on a free loopback
// port, stops it when the test ends, and returns the environment an AWS
// client needs to reach it with the sandbox's credentials.
func serveSandbox(t *testing.T, dir string) []string {
	t.Helper()
	w, err := awsemu.ParseWorld(bytes.NewReader(examples.SandboxWorld))
	if err != nil {
		t.Fatal(err)
	}
	var key, secret string
	for _, c := range w.Credentials {
		if c.Sandbox {
			key, secret = c.AccessKeyID, c.SecretAccessKey
		}
	}
	if key == "" {
		t.Fatal("the sandbox world has no sandbox credentials")
	}
	cmd := exec.Command("flowplan", "sandbox", "serve", "--addr", "127.0.0.1:0", "--iam-delay", "0s")
	cmd.Dir = dir
	cmd.Env = cleanEnv(dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		<-done
	})
	addrFile := filepath.Join(dir, ".flowplan", "serve.addr")
	// Wait for the server to say where it listens; bounded, and failing
	// at once if it exits.
	for i := 0; ; i++ {
		if b, err := os.ReadFile(addrFile); err == nil && strings.HasSuffix(string(b), "\n") {
			return []string{
				"AWS_ENDPOINT_URL=" + strings.TrimSpace(string(b)),
				"AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1",
				"AWS_ACCESS_KEY_ID=" + key, "AWS_SECRET_ACCESS_KEY=" + secret,
			}
		}
		select {
		case err := <-done:
			done <- err
			t.Fatalf("flowplan sandbox serve exited: %v\n%s", err, out.String())
		case <-time.After(20 * time.Millisecond):
		}
		if i > 1500 {
			cmd.Process.Kill()
			done <- <-done
			t.Fatalf("flowplan sandbox serve did not start in 30s:\n%s", out.String())
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
