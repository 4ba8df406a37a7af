package runnerpolicy

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/spec"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

func load(t *testing.T, name string) *spec.Spec {
	t.Helper()
	s, err := spec.Load(filepath.Join("..", "..", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func examples(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "examples", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	var out []string
	for _, f := range files {
		out = append(out, filepath.Base(f))
	}
	return out
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s differs (-want +got):\n%s", name, d)
	}
}

// TestGolden keeps the real output of a few examples.
func TestGolden(t *testing.T) {
	for _, tt := range []struct {
		example string
		mode    Mode
		p       Principal
	}{
		{"quickstart.yaml", Apply, Runner},
		{"quickstart.yaml", Plan, Runner},
		{"quickstart.yaml", Apply, Caller},
		{"organization.yaml", Apply, Runner},
		{"organization.yaml", Apply, Caller},
		{"firehose-cross-account.yaml", Apply, Runner},
		{"central-s3-parquet.yaml", Audit, Runner},
	} {
		p := Generate(load(t, tt.example), tt.mode, tt.p)
		base := strings.TrimSuffix(tt.example, ".yaml") + "." + string(tt.p) + "." + string(tt.mode)
		doc, err := p.JSON()
		if err != nil {
			t.Fatal(err)
		}
		golden(t, base+".json", doc)
		golden(t, base+".tf", p.Terraform())
	}
}

// TestModes: plan and drift only read; apply and audit add to plan.
func TestModes(t *testing.T) {
	writes := regexp.MustCompile(`:(Create|Delete|Put|Update|Tag|Associate|Disassociate|Pass)`)
	for _, ex := range examples(t) {
		s := load(t, ex)
		for _, p := range []Principal{Runner, Caller} {
			plan, drift := Generate(s, Plan, p), Generate(s, Drift, p)
			if d := cmp.Diff(plan.Statements, drift.Statements); d != "" {
				t.Errorf("%s %s: drift and plan policies differ:\n%s", ex, p, d)
			}
			for _, a := range plan.Actions() {
				if writes.MatchString(a) && a != "sts:AssumeRole" {
					t.Errorf("%s %s: the plan policy has the write action %s", ex, p, a)
				}
			}
			for _, m := range []Mode{Apply, Audit} {
				more := Generate(s, m, p).Actions()
				for _, a := range plan.Actions() {
					if !slices.Contains(more, a) {
						t.Errorf("%s %s: the %s policy lacks plan's %s", ex, p, m, a)
					}
				}
			}
		}
		if len(Generate(s, Apply, Runner).Actions()) <= len(Generate(s, Plan, Runner).Actions()) {
			t.Errorf("%s: the apply policy adds nothing to plan's", ex)
		}
	}
}

// TestPoliciesAreValid: every statement has a valid Sid (IAM allows
// letters and digits), actions and resources; the document is JSON that
// engine's policy normaliser takes; and the runner's apply policy of every
// example fits a managed policy (6,144 characters without white space,
// IAM quotas).
func TestPoliciesAreValid(t *testing.T) {
	sid := regexp.MustCompile(`^[A-Za-z0-9]+$`)
	for _, ex := range examples(t) {
		s := load(t, ex)
		for _, m := range Modes {
			for _, pr := range []Principal{Runner, Caller} {
				p := Generate(s, m, pr)
				for _, st := range p.Statements {
					if !sid.MatchString(st.Sid) || len(st.Actions) == 0 || len(st.Resources) == 0 {
						t.Errorf("%s %s %s: bad statement %+v", ex, m, pr, st)
					}
				}
				doc, err := p.JSON()
				if err != nil {
					t.Fatal(err)
				}
				if len(p.Statements) > 0 {
					if _, err := engine.NormalizePolicy(string(doc)); err != nil {
						t.Errorf("%s %s %s: %v", ex, m, pr, err)
					}
				}
				if n := len(strings.Join(strings.Fields(string(doc)), "")); n > 6144 {
					t.Errorf("%s %s %s: %d characters, more than a managed policy takes (6144)", ex, m, pr, n)
				}
			}
		}
	}
}

// TestTable checks the operation table itself: every grant names a
// statement policies list, every operation is unique per phase, and
// ActionsFor agrees with Generate.
func TestTable(t *testing.T) {
	seen := map[string]bool{}
	for _, op := range Operations {
		k := op.Key() + "/" + string(op.Phase) + "/" + string(op.Principal)
		if seen[k] {
			t.Errorf("operation %s listed twice", k)
		}
		seen[k] = true
		if op.Why == "" {
			t.Errorf("%s: no Why", op.Key())
		}
		for _, gr := range op.Grants {
			if !slices.Contains(statementOrder, gr.Statement) {
				t.Errorf("%s: grant %s names statement %q, which policies do not list", op.Key(), gr.Action, gr.Statement)
			}
		}
	}
	for _, ex := range examples(t) {
		s := load(t, ex)
		for _, m := range Modes {
			var keys []string
			for _, op := range OperationsFor(s, m) {
				keys = append(keys, op.Key())
			}
			for _, pr := range []Principal{Runner, Caller} {
				got, unknown := ActionsFor(s, m, pr, keys)
				if len(unknown) > 0 {
					t.Errorf("unknown keys %v", unknown)
				}
				if d := cmp.Diff(Generate(s, m, pr).Actions(), got); d != "" {
					t.Errorf("%s %s %s: Generate and ActionsFor disagree:\n%s", ex, m, pr, d)
				}
			}
		}
	}
}

// TestScoping checks the facts resources come from on a spec with every
// kind of destination.
func TestScoping(t *testing.T) {
	s := load(t, "quickstart.yaml")
	p := Generate(s, Apply, Runner)
	byID := map[string]Statement{}
	for _, st := range p.Statements {
		byID[st.Sid] = st
	}
	if got := byID[sidDeleteFlowLogs].Conditions["StringEquals"]["aws:ResourceTag/flowplan:spec"]; !slices.Equal(got, []string{"quickstart"}) {
		t.Errorf("DeleteFlowLogs condition = %v", byID[sidDeleteFlowLogs].Conditions)
	}
	if got := byID[sidBucketPolicies].Resources; !slices.Equal(got, []string{"arn:aws:s3:::org-flow-logs-archive"}) {
		t.Errorf("bucket policy resources = %v", got)
	}
	for _, r := range byID[sidWriteLogGroups].Resources {
		if !strings.HasPrefix(r, "arn:aws:logs:") || !strings.Contains(r, ":log-group:/flowplan/*/") {
			t.Errorf("log group resource %s is not from the spec's templates", r)
		}
	}
	if _, ok := byID[sidAdopt]; !ok {
		t.Error("no adopt statement")
	}
	// No prune: a replaced role is deleted by name, any path.
	if got := byID[sidDeleteRoles].Resources; !slices.Equal(got, []string{"arn:aws:iam::*:role/*/flowplan-flow-logs", "arn:aws:iam::*:role/flowplan-flow-logs"}) {
		t.Errorf("role delete resources = %v", got)
	}
	s.Prune = true
	for _, st := range Generate(s, Apply, Runner).Statements {
		if st.Sid == sidDeleteRoles && !slices.Equal(st.Resources, []string{"arn:aws:iam::*:role/*"}) {
			t.Errorf("with prune, role delete resources = %v, want every role (tag condition only)", st.Resources)
		}
	}
}

func TestHCLString(t *testing.T) {
	for in, want := range map[string]string{
		`plain`:     `"plain"`,
		`a"b\c`:     `"a\"b\\c"`,
		`${aws:x}`:  `"$${aws:x}"`,
		`%{if}`:     `"%%{if}"`,
		"tab\there": `"tab\there"`,
		`$ and %`:   `"$ and %"`,
	} {
		if got := hclString(in); got != want {
			t.Errorf("hclString(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestJSONHoldsOneValueAsAString(t *testing.T) {
	p := Generate(load(t, "quickstart.yaml"), Apply, Caller)
	doc, err := p.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var v struct{ Statement []map[string]any }
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatal(err)
	}
	if _, ok := v.Statement[0]["Action"].(string); !ok {
		t.Errorf("one action is not a string: %s", doc)
	}
}

// TestSecurityDocQuotesRealOutput keeps docs/security.md's example true:
// its comment lines are the quickstart runner policy's description, its
// JSON excerpt holds statements of the policy as generated, and its size
// figure is the policy's.
func TestSecurityDocQuotesRealOutput(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "docs", "security.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	p := Generate(load(t, "quickstart.yaml"), Apply, Runner)
	for _, line := range p.Description {
		if !strings.Contains(doc, "\n# "+line+"\n") {
			t.Errorf("docs/security.md does not quote the description line %q", line)
		}
	}
	_, rest, ok := strings.Cut(doc, "An excerpt of `runner.json`")
	if !ok {
		t.Fatal("docs/security.md has no excerpt of runner.json")
	}
	_, rest, _ = strings.Cut(rest, "```json\n")
	excerpt, _, _ := strings.Cut(rest, "```")
	var quoted []json.RawMessage
	if err := json.Unmarshal([]byte("["+excerpt+"]"), &quoted); err != nil {
		t.Fatalf("the excerpt is not a list of statements: %v", err)
	}
	if len(quoted) < 4 {
		t.Fatalf("the excerpt has %d statements, want the four that write flow logs", len(quoted))
	}
	full, err := p.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var generated struct{ Statement []json.RawMessage }
	if err := json.Unmarshal(full, &generated); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, st := range generated.Statement {
		var id struct{ Sid string }
		_ = json.Unmarshal(st, &id)
		want[id.Sid], _ = engine.NormalizeStatement(string(st))
	}
	for _, q := range quoted {
		var id struct{ Sid string }
		_ = json.Unmarshal(q, &id)
		got, err := engine.NormalizeStatement(string(q))
		if err != nil || got != want[id.Sid] {
			t.Errorf("the excerpt's %s statement is not the generated one:\n doc:       %s\n generated: %s", id.Sid, got, want[id.Sid])
		}
	}
	size := len(strings.Join(strings.Fields(string(full)), ""))
	if !strings.Contains(doc, "about 4,800 characters") || size < 4550 || size > 5050 {
		t.Errorf("the quickstart runner policy is %d characters; docs/security.md says about 4,800", size)
	}
}
