package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/internal/e2e"
	"github.com/flowplan/flowplan/providers/awsemu"
)

// TestDriftPlanErrorIsAConflict: a plan error (here the bucket policy
// that adding flowplan's statements would make too large) is a conflict
// finding, so drift exits 2, not 1: the scope was read, and its drift is
// known. Only a scope that could not be read leaves drift unknown (exit
// 1; drift-unknown.txtar).
func TestDriftPlanErrorIsAConflict(t *testing.T) {
	// Somebody else's statements, to just under S3's 20 KB.
	var statements []string
	size := 0
	for i := 0; size < engine.BucketPolicyMaxBytes-300; i++ {
		st := fmt.Sprintf(`{"Sid":"Read%03d","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::e2e-full-logs/team-%03d/*"}`, i, i)
		statements = append(statements, st)
		size += len(st) + 1
	}
	policy := `{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`
	if len(policy) > engine.BucketPolicyMaxBytes {
		t.Fatalf("the seeded policy is %d bytes, over S3's limit", len(policy))
	}
	world := `credentials:
  - {account: "111111111111", sandbox: true}
accounts:
  - id: "111111111111"
    buckets:
      - name: e2e-full-logs
        policy: ` + policy + `
    regions:
      us-east-1:
        vpcs:
          - {name: a, cidr: 10.1.0.0/16}
`
	dir := t.TempDir()
	spec := `version: 1
name: full
accounts:
  - {id: "111111111111", regions: [us-east-1]}
flow_logs:
  - name: all
    targets: {vpcs: {all: true}}
    destination:
      s3: {bucket_arn: "arn:aws:s3:::e2e-full-logs", manage_bucket_policy: true, bucket_account: "111111111111"}
`
	for name, body := range map[string]string{"world.yaml": world, "spec.yaml": spec} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	w, err := e2e.LoadWorld(filepath.Join(dir, "world.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	emu := e2e.StartEmulator(awsemu.Options{SigningClock: time.Now})
	defer emu.Close()
	seeded, err := emu.Seed(w)
	if err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := runFlowplan(t, dir, seeded.Env(dir), "drift", "-f", "spec.yaml", "--no-progress", "--format", "json")
	if code != 2 {
		t.Fatalf("drift exited %d, want 2\n%s\n%s", code, stdout, stderr)
	}
	if strings.Contains(stderr, "could not be checked") {
		t.Errorf("drift says a scope could not be checked:\n%s", stderr)
	}
	var doc struct {
		Findings []struct {
			Kind, Address, Detail string
		} `json:"findings"`
		Errors  []engine.ScopeError `json:"errors"`
		Summary struct {
			Scopes []struct {
				Account, Region string
				Unknown         bool
			} `json:"scopes"`
		} `json:"summary"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if len(doc.Errors) != 1 || doc.Errors[0].Code != engine.CodeBucketPolicyTooLarge || !doc.Errors[0].Planning() {
		t.Fatalf("errors = %+v, want the one plan error %s", doc.Errors, engine.CodeBucketPolicyTooLarge)
	}
	conflict := false
	for _, f := range doc.Findings {
		if f.Kind == "conflict" && strings.Contains(f.Detail, engine.CodeBucketPolicyTooLarge) {
			conflict = true
		}
	}
	if !conflict {
		t.Errorf("no conflict finding names %s: %+v", engine.CodeBucketPolicyTooLarge, doc.Findings)
	}
	for _, s := range doc.Summary.Scopes {
		if s.Unknown {
			t.Errorf("scope %s/%s is marked unknown; it was read", s.Account, s.Region)
		}
	}
}
