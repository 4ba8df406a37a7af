package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestExamplesOnSandbox runs every spec in examples/ on a fresh sandbox, as
// its header comment tells a user to: validate, plan, apply, then a plan
// that must be empty, with no warning or conflict left, drift in sync, and
// an audit at 100% whose evidence could be read. A new example is covered
// by being there.
func TestExamplesOnSandbox(t *testing.T) {
	specs, err := filepath.Glob("../../examples/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) == 0 {
		t.Fatal("no examples found in ../../examples")
	}
	for _, path := range specs {
		path, err := filepath.Abs(path)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(filepath.Base(path), ".yaml")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			checkExampleHeader(t, path, name)
			dir := t.TempDir()
			run := func(wantCode int, args ...string) string {
				t.Helper()
				stdout, stderr, code := runFlowplan(t, dir, nil, args...)
				if code != wantCode {
					t.Fatalf("flowplan %s exited %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, wantCode, stdout, stderr)
				}
				return stdout
			}
			run(0, "validate", "-f", path)
			plan := run(2, "plan", "--sandbox", "-f", path, "--detailed-exitcode", "--no-progress", "--format", "json")
			if n := planNotes(t, plan, "conflict"); len(n) > 0 {
				t.Fatalf("the first plan has conflicts: %v", n)
			}
			out := run(0, "apply", "--sandbox", "-f", path, "--auto-approve", "--no-progress")
			if !strings.Contains(out, " 0 failed, 0 skipped.") {
				t.Fatalf("apply did not apply everything:\n%s", out)
			}
			replan := run(0, "plan", "--sandbox", "-f", path, "--detailed-exitcode", "--no-progress", "--format", "json")
			for _, kind := range []string{"warning", "conflict", "orphan"} {
				if n := planNotes(t, replan, kind); len(n) > 0 {
					t.Errorf("after apply, the plan has %s notes: %v", kind, n)
				}
			}
			// What was applied audits as fully compliant, in sync, and
			// with evidence read (fresh records need minutes, so only
			// that nothing failed to be read is checked).
			run(0, "drift", "--sandbox", "-f", path, "--no-progress")
			run(0, "audit", "--sandbox", "-f", path, "--no-progress", "--fail-under", "100")
			// Evidence, with every VPC held to EC2.6 too (a VPC the spec
			// leaves alone may be uncovered: exit 0 without --fail-under).
			audit := run(0, "audit", "--sandbox", "-f", path, "--no-progress", "--evidence", "--all-vpcs", "--format", "json")
			var doc struct {
				Targets []struct {
					Address        string `json:"address"`
					Status         string `json:"status"`
					Evidence       string `json:"evidence"`
					EvidenceDetail string `json:"evidence_detail"`
				} `json:"targets"`
			}
			if err := json.Unmarshal([]byte(audit), &doc); err != nil || len(doc.Targets) == 0 {
				t.Fatalf("audit JSON (%v): %s", err, audit)
			}
			for _, u := range doc.Targets {
				if u.Evidence == "" && u.Status == "compliant" || strings.HasPrefix(u.EvidenceDetail, "could not read") {
					t.Errorf("%s: evidence %q: %s", u.Address, u.Evidence, u.EvidenceDetail)
				}
			}
		})
	}
}

// checkExampleHeader requires an example to open with a comment that says
// what it shows and how to run it on the sandbox.
func checkExampleHeader(t *testing.T, path, name string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var header []string
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "#") {
			break
		}
		header = append(header, line)
	}
	text := strings.Join(header, "\n")
	if len(header) < 4 {
		t.Errorf("%s does not open with a comment saying what it shows", filepath.Base(path))
	}
	if want := "flowplan plan --sandbox -f examples/" + name + ".yaml"; !strings.Contains(text, want) {
		t.Errorf("%s's opening comment does not say how to run it (%q)", filepath.Base(path), want)
	}
}

// planNotes returns the messages of a JSON plan's notes of one kind.
func planNotes(t *testing.T, planJSON, kind string) []string {
	t.Helper()
	var p struct {
		Notes []struct {
			Kind    string `json:"kind"`
			Message string `json:"message"`
		} `json:"notes"`
	}
	if err := json.Unmarshal([]byte(planJSON), &p); err != nil {
		t.Fatalf("plan JSON: %v\n%s", err, planJSON)
	}
	var out []string
	for _, n := range p.Notes {
		if n.Kind == kind {
			out = append(out, n.Message)
		}
	}
	return out
}

// runFlowplan runs the flowplan binary (this test binary, set up by
// testscript.Main) in dir with a clean AWS environment plus env, and
// returns its output and exit code.
func runFlowplan(t *testing.T, dir string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command("flowplan", args...)
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(dir), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("run flowplan %s: %v", strings.Join(args, " "), err)
		}
		code = ee.ExitCode()
	}
	return out.String(), errb.String(), code
}

// cleanEnv is the environment of a flowplan run: the PATH that finds it,
// and nothing from the developer's AWS setup.
func cleanEnv(dir string) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + dir,
		"NO_COLOR=1",
		"AWS_CONFIG_FILE=" + filepath.Join(dir, ".aws-none", "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, ".aws-none", "credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
	}
}
