package engine_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/engine/enginetest"
	"github.com/flowplan/flowplan/spec"
)

// ownerLookup is the fixture with the central rule's bucket_account left
// out and the bucket owned by account B, one of the spec's accounts, plus
// a second managed bucket of B's without bucket_account.
func ownerLookup() (*enginetest.Provider, *spec.Spec) {
	p, s := fixture(false)
	p.World.Buckets["org-flow-logs"].Owner = acctB
	p.World.AddBucket("org-archive", acctB, "")
	s.Rules[1].Destination.S3.BucketAccount = ""
	s.Rules = append(s.Rules, spec.Rule{
		Name: "archive", Targets: spec.Targets{VPCs: &spec.Selector{All: true}},
		TrafficType: "ALL", MaxAggregationInterval: 600, LogFormat: s.Rules[1].LogFormat,
		Destination: spec.Destination{S3: &spec.S3{BucketARN: "arn:aws:s3:::org-archive", FileFormat: "plain-text", ManageBucketPolicy: true}},
	})
	return p, s
}

func listCalls(p *enginetest.Provider) []string {
	var out []string
	for _, c := range p.Calls() {
		if c.Method == "ListBuckets" {
			out = append(out, c.Scope)
		}
	}
	slices.Sort(out)
	return out
}

// Without bucket_account, discovery lists each account's buckets once,
// whatever the number of buckets, and plans the statements in the owner's
// account, saying which account it found.
func TestDiscoverFindsTheBucketOwner(t *testing.T) {
	p, s := ownerLookup()
	plan, err := engine.MakePlan(context.Background(), p, s, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Errors) > 0 {
		t.Fatalf("errors: %+v", plan.Errors)
	}
	if d := cmp.Diff([]string{acctA + "/s3/*", acctB + "/s3/*"}, listCalls(p)); d != "" {
		t.Errorf("ListBuckets calls (-want +got):\n%s", d)
	}
	var statements []string
	for _, c := range plan.Changes {
		if c.Addr.Kind == engine.KindBucketPolicyStatement {
			statements = append(statements, c.Addr.Account+" "+c.Addr.Name)
		}
	}
	want := []string{
		acctB + " org-archive/flowplan-org-aclcheck", acctB + " org-archive/flowplan-org-write-e3b0c442",
		acctB + " org-flow-logs/flowplan-org-aclcheck", acctB + " org-flow-logs/flowplan-org-write-" + engine.WriteStatementKind("subnets/")[len("write-"):],
	}
	if d := cmp.Diff(want, statements); d != "" {
		t.Errorf("statements (-want +got):\n%s", d)
	}
	var found []string
	for _, n := range plan.Notes {
		if n.Kind == engine.NoteInfo {
			found = append(found, n.Addr.String()+": "+n.Message)
		}
	}
	if d := cmp.Diff([]string{
		acctB + "/global/s3_bucket_policy_statement/org-archive: bucket org-archive is owned by account " + acctB + ", found with S3 ListBuckets (rules archive give no bucket_account); its policy is managed with that account's credentials",
		acctB + "/global/s3_bucket_policy_statement/org-flow-logs: bucket org-flow-logs is owned by account " + acctB + ", found with S3 ListBuckets (rules central give no bucket_account); its policy is managed with that account's credentials",
	}, found); d != "" {
		t.Errorf("notes (-want +got):\n%s", d)
	}
	// Applied, the plan after is empty.
	if _, err := engine.Apply(context.Background(), p, plan, engine.Options{}); err != nil {
		t.Fatal(err)
	}
	again, err := engine.MakePlan(context.Background(), p, s, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !again.Empty() || len(again.Errors) > 0 {
		t.Errorf("plan after apply is not empty: %+v", again.Errors)
	}
	if !strings.Contains(p.World.BucketPolicy("org-archive"), "flowplan-org-aclcheck") {
		t.Errorf("org-archive policy = %s", p.World.BucketPolicy("org-archive"))
	}
}

// Writing bucket_account skips the lookup, also for the bucket's rules
// that do not write it.
func TestDiscoverBucketAccountSkipsTheLookup(t *testing.T) {
	p, s := fixture(false)
	s.Rules = append(s.Rules, spec.Rule{
		Name: "more", Targets: spec.Targets{VPCs: &spec.Selector{All: true}},
		TrafficType: "ALL", MaxAggregationInterval: 600, LogFormat: s.Rules[1].LogFormat,
		Destination: spec.Destination{S3: &spec.S3{BucketARN: "arn:aws:s3:::org-flow-logs", Prefix: "vpcs/", FileFormat: "plain-text", ManageBucketPolicy: true}},
	})
	plan, err := engine.MakePlan(context.Background(), p, s, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := listCalls(p); len(got) > 0 {
		t.Errorf("ListBuckets calls with bucket_account given: %v", got)
	}
	for _, n := range plan.Notes {
		if n.Kind == engine.NoteInfo {
			t.Errorf("a note says the owner was found: %s", n.Message)
		}
	}
	var owners []string
	for _, c := range plan.Changes {
		if c.Addr.Kind == engine.KindBucketPolicyStatement {
			owners = append(owners, c.Addr.Account)
		}
	}
	if d := cmp.Diff([]string{bucketOwner, bucketOwner, bucketOwner}, owners); d != "" || len(plan.Errors) > 0 {
		t.Errorf("statements' accounts (-want +got):\n%s; errors %+v", d, plan.Errors)
	}
}

// No owner, several owners, or an owner that may be among the accounts
// that could not be listed: a plan error in the bucket's scope, and the
// bucket is neither read nor planned.
func TestDiscoverBucketOwnerErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(p *enginetest.Provider)
		want  []string
	}{
		{"no account owns it", func(p *enginetest.Provider) { p.World.Buckets["org-flow-logs"].Owner = bucketOwner },
			[]string{"no rule gives bucket_account for bucket org-flow-logs, and none of the 2 accounts of partition aws whose buckets were listed owns it; give bucket_account"}},
		{"an account cannot be listed", func(p *enginetest.Provider) {
			p.World.Buckets["org-flow-logs"].Owner = bucketOwner
			p.DiscoverErrors = map[string]error{acctB + "/s3/*": errors.New("AccessDenied: not authorized to perform: s3:ListAllMyBuckets")}
		}, []string{"none of the 1 accounts of partition aws whose buckets were listed owns it; the buckets of " + acctB + " (AccessDenied: not authorized to perform: s3:ListAllMyBuckets) could not be listed"}},
		{"two accounts claim it", func(p *enginetest.Provider) {
			p.ListBucketsF = func(context.Context, engine.Account) ([]string, error) { return []string{"org-flow-logs"}, nil }
		}, []string{"accounts " + acctA + ", " + acctB + " all list it as theirs"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, s := fixture(false)
			s.Rules[1].Destination.S3.BucketAccount = ""
			tt.setup(p)
			plan, err := engine.MakePlan(context.Background(), p, s, engine.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(plan.Errors) != 1 {
				t.Fatalf("errors = %+v, want one", plan.Errors)
			}
			e := plan.Errors[0]
			if e.Scope != "s3/org-flow-logs" || e.Code != engine.CodeBucketOwner || !e.Planning() {
				t.Errorf("error = %+v", e)
			}
			for _, sub := range tt.want {
				if !strings.Contains(e.Message, sub) {
					t.Errorf("message lacks %q:\n%s", sub, e.Message)
				}
			}
			for _, c := range p.Calls() {
				if c.Method == "DiscoverBucket" {
					t.Errorf("the bucket was read: %v", c)
				}
			}
			for _, c := range plan.Changes {
				if c.Addr.Kind == engine.KindBucketPolicyStatement {
					t.Errorf("a statement was planned: %s", c.Addr)
				}
			}
			if err := engine.CheckApplicable(plan); err == nil {
				t.Error("the plan may be applied")
			}
		})
	}
}

// Only accounts of the bucket's partition are listed: bucket names are
// unique within a partition, not across partitions.
func TestDiscoverBucketOwnerByPartition(t *testing.T) {
	p, s := ownerLookup()
	s.Accounts = append(s.Accounts, spec.Account{ID: "333333333333", Regions: []string{"cn-north-1"}})
	if _, err := engine.Discover(context.Background(), p, s, engine.Options{}); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{acctA + "/s3/*", acctB + "/s3/*"}, listCalls(p)); d != "" {
		t.Errorf("ListBuckets calls (-want +got):\n%s", d)
	}
}
