package engine

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/flowplan/flowplan/spec"
)

func samplePlan() *Plan {
	p := Diff(state(haveFL("vpc-1", "fl-1", ours("prod"), func(f *FlowLog) { f.TrafficType = "REJECT" })),
		desiredState(false, wantFL("prod", "vpc-1"), roleRes(ours("prod")), rolePolicyRes(policyDocument)))
	p.ID = "0123456789abcdef0123456789abcdef"
	p.Accounts = []Account{{ID: acct, Regions: []string{region}, AssumeRole: "arn:aws:iam::111111111111:role/flowplan", ExternalID: "s3cr3t-external-id", Source: "accounts"}}
	p.Spec = SpecRef{Name: spName, File: "org.yaml", SHA256: "abc123"}
	p.Errors = []ScopeError{{Scope: "222222222222/us-east-1", Code: "AccessDenied", Message: "nope"}}
	return p
}

func TestPlanRoundTrip(t *testing.T) {
	p := samplePlan()
	var b bytes.Buffer
	if err := WritePlan(&b, p); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "s3cr3t-external-id") {
		t.Fatal("the plan file holds an external ID")
	}
	got, err := ReadPlan(&b)
	if err != nil {
		t.Fatal(err)
	}
	want := *p
	want.Accounts = []Account{p.Accounts[0]}
	want.Accounts[0].ExternalID = ""
	if d := cmp.Diff(&want, got); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
}

func TestReadPlanVersions(t *testing.T) {
	tests := []struct {
		name, doc, wantErr string
	}{
		{"same major, newer minor", `{"format_version":"1.7","id":"x","changes":[]}`, ""},
		{"unknown major", `{"format_version":"2.0","id":"x","changes":[]}`, `format_version "2.0" is not supported by this flowplan, which reads 1.x`},
		{"no version", `{"id":"x"}`, "no format_version"},
		{"not JSON", `plan: yes`, "not a flowplan plan file"},
		{"empty change", `{"format_version":"1.0","changes":[null]}`, "change 0 is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadPlan(strings.NewReader(tt.doc))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestSavePlanFileMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plan.json")
	// An existing, world-readable file is replaced by a private one.
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := SavePlanFile(path, samplePlan()); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("plan file mode = %o, want 600", mode)
	}
	got, err := LoadPlanFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != samplePlan().ID {
		t.Errorf("loaded plan ID = %q", got.ID)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	if err := SavePlanFile(filepath.Join(t.TempDir(), "missing", "plan.json"), samplePlan()); err == nil {
		t.Error("saving into a missing directory must fail")
	}
}

func TestNewPlanID(t *testing.T) {
	a, err := NewPlanID()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewPlanID()
	if len(a) != 32 || a == b {
		t.Errorf("plan IDs %q and %q: want 32 random hex digits each", a, b)
	}
}

func TestCheckSpec(t *testing.T) {
	p := samplePlan()
	tests := []struct {
		name    string
		s       *spec.Spec
		wantErr string
	}{
		{"same file", &spec.Spec{Name: spName, File: "org.yaml", SHA256: "abc123"}, ""},
		{"edited", &spec.Spec{Name: spName, File: "org.yaml", SHA256: "def456"}, "spec org.yaml has changed since the plan was made (sha256 def456, the plan was made from abc123)"},
		{"another spec", &spec.Spec{Name: "other", File: "org.yaml", SHA256: "abc123"}, `the plan was made for spec "org", not "other"`},
	}
	for _, tt := range tests {
		err := CheckSpec(p, tt.s)
		if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%s: error = %v, want %q", tt.name, err, tt.wantErr)
		}
	}
}
