package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/spec"
)

// runCLI runs flowplan in process and returns its exit code, stdout and
// stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), args, Streams{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr})
	return code, stdout.String(), stderr.String()
}

const testSpec = `version: 1
name: cli-test
accounts:
  - {id: "111111111111", regions: [us-east-1]}
delivery_roles:
  flowplan-flow-logs: {path: /}
flow_logs:
  - name: all-vpcs
    targets: {vpcs: {all: true}}
    destination: {cloudwatch_logs: {log_group: /vpc, delivery_role: flowplan-flow-logs}}
`

// savedPlan writes testSpec and a plan made from it, edited by edit, and
// returns their paths.
func savedPlan(t *testing.T, edit func(*engine.Plan)) (specPath, planPath string) {
	t.Helper()
	dir := t.TempDir()
	specPath = filepath.Join(dir, "flowplan.yaml")
	if err := os.WriteFile(specPath, []byte(testSpec), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := spec.Load(specPath)
	if err != nil {
		t.Fatal(err)
	}
	addr := engine.Addr{Account: "111111111111", Region: "us-east-1", Kind: engine.KindLogGroup, Name: "/vpc"}
	plan := &engine.Plan{
		FormatVersion: engine.PlanFormatVersion, ID: "0123456789abcdef",
		Spec:     engine.SpecRef{Name: s.Name, File: specPath, SHA256: s.SHA256},
		Accounts: []engine.Account{{ID: "111111111111", Regions: []string{"us-east-1"}, Source: "accounts"}},
		Changes:  []*engine.Change{{Addr: addr, Action: engine.Create, After: &engine.Resource{Addr: addr, LogGroup: &engine.LogGroup{Name: "/vpc"}}}},
	}
	edit(plan)
	planPath = filepath.Join(dir, "plan.json")
	if err := engine.SavePlanFile(planPath, plan); err != nil {
		t.Fatal(err)
	}
	return specPath, planPath
}

// A plan made while some scopes could not be read plans the shared
// resources (delivery roles, bucket statements) from the others only, so
// applying it could cut the unread scopes off. Apply refuses it whether it
// comes from the spec or from a saved file, before it reaches AWS.
func TestApplyRefusesASavedPlanWithDiscoveryErrors(t *testing.T) {
	specPath, planPath := savedPlan(t, func(p *engine.Plan) {
		p.Errors = []engine.ScopeError{{Scope: "111111111111/eu-west-1", Code: "AccessDenied", Message: "no"}}
	})
	// --profile names no profile: reaching AWS would fail differently.
	code, _, stderr := runCLI(t, "apply", planPath, "-f", specPath, "--profile", "flowplan-test-no-such-profile", "--no-progress")
	if code != ExitError {
		t.Errorf("exit code = %d, want %d", code, ExitError)
	}
	want := "Error: the saved plan was made with errors: discovery failed in 1 scope(s); nothing is applied"
	if !strings.HasPrefix(stderr, want) {
		t.Errorf("stderr = %q, want it to start with %q", stderr, want)
	}
}

func TestPlanFileErrorsNameTheOperationOnce(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte("plan: yes"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"show", bad}, {"apply", bad}} {
		code, _, stderr := runCLI(t, args...)
		want := "Error: read plan " + bad + ": not a flowplan plan file: "
		if code != ExitError || !strings.HasPrefix(stderr, want) || strings.Count(stderr, "read plan") != 1 {
			t.Errorf("%s: exit %d, stderr %q; want exit 1 and one %q", args[0], code, stderr, want)
		}
	}
}

func TestSavePlanErrorNamesTheOperationOnce(t *testing.T) {
	quickstart, err := filepath.Abs("../../../../examples/quickstart.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Chdir(dir) // the sandbox keeps its state in the current directory
	out := filepath.Join(dir, "missing", "plan.json")
	code, _, stderr := runCLI(t, "plan", "--sandbox", "-f", quickstart, "--out", out, "--no-progress")
	want := "Error: save plan " + out + ": "
	if code != ExitError || !strings.Contains(stderr, want) || strings.Count(stderr, "save plan") != 1 {
		t.Errorf("exit %d, stderr %q; want exit 1 and one %q", code, stderr, want)
	}
}

// A saved plan names the spec it was made from, by the path given to
// 'plan'. Applied from elsewhere, the error says how to point at the spec.
func TestApplySavedPlanWhoseSpecMovedSaysHowToGiveIt(t *testing.T) {
	_, planPath := savedPlan(t, func(p *engine.Plan) { p.Spec.File = "elsewhere/flowplan.yaml" })
	code, _, stderr := runCLI(t, "apply", planPath)
	want := "Error: the spec the plan was made from, \"elsewhere/flowplan.yaml\", cannot be read: no such file or directory\n" +
		"If that spec is elsewhere now, give it with -f\n"
	if code != ExitError || stderr != want {
		t.Errorf("exit %d, stderr %q; want exit 1 and %q", code, stderr, want)
	}
}

// Plan files are untrusted. One that names a spec outside the working
// directory (a credentials file, say) is refused without reading it, and
// one naming a file inside it that is no spec is refused without echoing
// a byte of it.
func TestSavedPlanCannotMakeApplyReadOrEchoAFile(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	secrets := filepath.Join(t.TempDir(), "credentials")
	const secret = "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	if err := os.WriteFile(secrets, []byte("[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"+secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, named := range []string{secrets, "../" + filepath.Base(filepath.Dir(secrets)) + "/credentials", ".env"} {
		_, planPath := savedPlan(t, func(p *engine.Plan) { p.Spec.File = named })
		code, stdout, stderr := runCLI(t, "apply", planPath, "--auto-approve")
		if code != ExitError {
			t.Errorf("%s: exit %d, want 1", named, code)
		}
		for _, leak := range []string{"wJalrXUtnFEMI", "AKIAIOSFODNN7EXAMPLE", "aws_secret_access_key"} {
			if strings.Contains(stdout+stderr, leak) {
				t.Errorf("%s: the output shows %q:\n%s%s", named, leak, stdout, stderr)
			}
		}
		if named != ".env" && !strings.Contains(stderr, "outside the working directory") {
			t.Errorf("%s: stderr = %q, want it refused as outside the working directory", named, stderr)
		}
	}
}

func TestInterruptExitCodes(t *testing.T) {
	for _, tc := range []struct {
		sig  os.Signal
		code int
		msg  string
	}{
		{os.Interrupt, 130, "interrupted by SIGINT"},
		{syscall.SIGTERM, 143, "interrupted by SIGTERM"},
	} {
		i := &Interrupt{Signal: tc.sig}
		if i.ExitCode() != tc.code || i.Error() != tc.msg {
			t.Errorf("%v: exit %d %q, want %d %q", tc.sig, i.ExitCode(), i.Error(), tc.code, tc.msg)
		}
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(i)
		if got := interruptCode(ctx); got != tc.code {
			t.Errorf("interruptCode = %d, want %d", got, tc.code)
		}
		if got := interruptedBy(ctx); got != "" {
			t.Errorf("interruptedBy = %q, want nothing for a signal", got)
		}
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errors.New("the apply lock was lost"))
	if interruptCode(ctx) != ExitError || interruptedBy(ctx) != " (the apply lock was lost)" {
		t.Errorf("lost lock: %d %q", interruptCode(ctx), interruptedBy(ctx))
	}
}
