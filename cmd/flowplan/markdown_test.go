package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/flowplan/flowplan/render"
	"github.com/flowplan/flowplan/spec"
)

// cutLimit is the --max-chars of the cut goldens: small enough that every
// example's plan is cut.
const cutLimit = 5000

// TestMarkdownGolden renders real plans as a CI job would post them: each
// example planned on a fresh sandbox with --format markdown --out plan.fp,
// the saved plan shown again cut to --max-chars 5000, and quickstart's
// drift. The goldens are in testdata/markdown; rewrite them with -update.
// Besides matching, every output must open with its hidden marker, keep
// the summary last and stay under its limit.
func TestMarkdownGolden(t *testing.T) {
	specs, err := filepath.Glob("../../examples/*.yaml")
	if err != nil || len(specs) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, path := range specs {
		name := strings.TrimSuffix(filepath.Base(path), ".yaml")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, err := spec.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			// A relative spec path, so that the header is the same anywhere.
			if err := os.WriteFile(filepath.Join(dir, name+".yaml"), src, 0o644); err != nil {
				t.Fatal(err)
			}
			run := func(wantCode int, args ...string) string {
				t.Helper()
				stdout, stderr, code := runFlowplan(t, dir, []string{"SOURCE_DATE_EPOCH=1796306400"}, args...)
				if code != wantCode {
					t.Fatalf("flowplan %s exited %d, want %d\n%s", strings.Join(args, " "), code, wantCode, stderr)
				}
				return stdout
			}

			plan := run(0, "plan", "--sandbox", "-f", name+".yaml", "--format", "markdown", "--out", "plan.fp", "--no-progress")
			checkMarkdown(t, plan, render.Marker(render.MarkerPlan, s.Name), render.DefaultMarkdownLimit, summaryLineRE)
			checkGolden(t, name+".plan.md", plan)

			cut := run(0, "show", "plan.fp", "--format", "markdown", "--max-chars", strconv.Itoa(cutLimit))
			checkMarkdown(t, cut, render.Marker(render.MarkerPlan, s.Name), cutLimit, summaryLineRE)
			if !strings.Contains(cut, "Run `flowplan show plan.fp` to see everything.") {
				t.Errorf("the cut plan does not name plan.fp:\n%s", cut)
			}
			checkGolden(t, name+".cut.md", cut)

			if name == "quickstart" {
				drift := run(2, "drift", "--sandbox", "-f", name+".yaml", "--format", "markdown", "--no-progress")
				checkMarkdown(t, drift, render.Marker(render.MarkerDrift, s.Name), render.DefaultMarkdownLimit, driftLineRE)
				if !strings.Contains(drift, "\n### flowplan drift for spec `quickstart`\n") {
					t.Errorf("drift markdown is not titled as drift:\n%s", drift)
				}
				checkGolden(t, name+".drift.md", drift)
				checkGolden(t, name+".drift.txt", run(2, "drift", "--sandbox", "-f", name+".yaml", "--no-progress"))
				checkGolden(t, name+".drift.json", run(2, "drift", "--sandbox", "-f", name+".yaml", "--format", "json", "--no-progress"))
			}
		})
	}
}

var (
	summaryLineRE = regexp.MustCompile(`\n\*\*Plan: \d+ to create, .*\*\*\n$`)
	driftLineRE   = regexp.MustCompile(`\n\*\*(Drifted: \d+ findings? \(|In sync).*\*\*\n$`)
)

// checkMarkdown checks what a sticky-comment job relies on: the marker is
// the first line, the summary table and totals come last, and the output
// fits its limit.
func checkMarkdown(t *testing.T, out, marker string, limit int, last *regexp.Regexp) {
	t.Helper()
	if first, _, _ := strings.Cut(out, "\n"); first != marker {
		t.Errorf("first line is %q, want the marker %q", first, marker)
	}
	if len(out) > limit {
		t.Errorf("output is %d bytes, over its limit of %d", len(out), limit)
	}
	summary := strings.LastIndex(out, "\n### Summary\n")
	if summary < 0 || strings.LastIndex(out, "<details>") > summary || strings.LastIndex(out, "[!NOTE]") > summary {
		t.Errorf("the summary is not last:\n%s", out)
	}
	if !last.MatchString(out) {
		t.Errorf("the output does not end with the totals line:\n%s", out[max(0, len(out)-300):])
	}
}

// checkGolden compares out with testdata/markdown/name, or rewrites it
// with -update.
func checkGolden(t *testing.T, name, out string) {
	t.Helper()
	path := filepath.Join("testdata", "markdown", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/flowplan -run TestMarkdownGolden -update to write it)", err)
	}
	if diff := cmp.Diff(string(want), out); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}
