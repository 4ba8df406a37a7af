package engine_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/engine/enginetest"
	"github.com/flowplan/flowplan/internal/arn"
	"github.com/flowplan/flowplan/spec"
	"github.com/flowplan/flowplan/spec/logformat"
)

const (
	acctA       = "111111111111"
	acctB       = "222222222222"
	bucketOwner = "999999999999"
)

// fixture returns a fake estate of two accounts and a central bucket, and a
// spec that sends prod VPCs to CloudWatch Logs and every subnet to S3.
func fixture(prune bool) (*enginetest.Provider, *spec.Spec) {
	p := enginetest.New()
	w := p.World
	vpc := func(id, env string) engine.Target {
		return engine.Target{Kind: spec.TargetVPC, ID: id, State: "available", Tags: map[string]string{"env": env}}
	}
	subnet := func(id string) engine.Target {
		return engine.Target{Kind: spec.TargetSubnet, ID: id, State: "available"}
	}
	w.AddTarget(acctA, "us-east-1", vpc("vpc-a1", "prod"))
	w.AddTarget(acctA, "us-east-1", vpc("vpc-a2", "dev"))
	w.AddTarget(acctA, "us-east-1", subnet("subnet-a1"))
	w.AddTarget(acctA, "eu-west-1", vpc("vpc-a3", "prod"))
	w.AddTarget(acctB, "us-east-1", vpc("vpc-b1", "prod"))
	w.AddTarget(acctB, "us-east-1", subnet("subnet-b1"))
	w.AddBucket("org-flow-logs", bucketOwner, `{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecure","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::org-flow-logs/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`)
	s := &spec.Spec{
		Name: "org", File: "org.yaml", SHA256: "0123456789abcdef", Version: 1, Prune: prune,
		Accounts: []spec.Account{
			{ID: acctA, Alias: "prod", Regions: []string{"us-east-1", "eu-west-1"}, ExternalID: "very-secret-external-id"},
			{ID: acctB, Regions: []string{"us-east-1"}},
		},
		DeliveryRoles: []spec.DeliveryRole{{Name: "flowplan-flow-logs", Path: "/"}},
		Rules: []spec.Rule{
			{
				Name: "prod-vpcs", Targets: spec.Targets{VPCs: &spec.Selector{Tags: map[string]string{"env": "prod"}}},
				TrafficType: "ALL", MaxAggregationInterval: 600, LogFormat: logformat.DefaultVPC,
				Destination: spec.Destination{CloudWatchLogs: &spec.CloudWatchLogs{
					LogGroup: "/vpc-flow-logs/{account_id}/{region}", RetentionDays: 30, DeliveryRole: "flowplan-flow-logs"}},
				Tags: map[string]string{"owner": "network"},
			},
			{
				Name: "central", Targets: spec.Targets{Subnets: &spec.Selector{All: true}},
				TrafficType: "REJECT", MaxAggregationInterval: 600, LogFormat: logformat.DefaultVPC,
				Destination: spec.Destination{S3: &spec.S3{BucketARN: "arn:aws:s3:::org-flow-logs", Prefix: "subnets/",
					FileFormat: "plain-text", ManageBucketPolicy: true, BucketAccount: bucketOwner}},
			},
		},
	}
	return p, s
}

func makePlan(t *testing.T, p engine.Provider, s *spec.Spec, opts engine.Options) *engine.Plan {
	t.Helper()
	plan, err := engine.MakePlan(context.Background(), p, s, opts)
	if err != nil {
		t.Fatalf("MakePlan: %v", err)
	}
	return plan
}

func apply(t *testing.T, p engine.Provider, plan *engine.Plan, opts engine.Options) *engine.Result {
	t.Helper()
	res, err := engine.Apply(context.Background(), p, plan, opts)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return res
}

func actions(plan *engine.Plan) []string {
	var out []string
	for _, c := range plan.Changes {
		if c.Action != engine.NoOp {
			out = append(out, string(c.Action)+" "+c.Addr.String())
		}
	}
	return out
}

func resultLines(res *engine.Result) []string {
	var out []string
	for _, c := range res.Changes {
		line := string(c.Status) + " " + string(c.Action) + " " + c.Addr.String()
		out = append(out, line)
	}
	return out
}

func TestApplyThenPlanIsEmpty(t *testing.T) {
	p, s := fixture(false)
	plan := makePlan(t, p, s, engine.Options{})
	if got := plan.Counts()[engine.Create]; got != 14 {
		t.Fatalf("want 14 creates, got %d:\n%s", got, strings.Join(actions(plan), "\n"))
	}
	res := apply(t, p, plan, engine.Options{})
	for _, c := range res.Changes {
		if c.Status != engine.StatusApplied {
			t.Errorf("%s: %s %s", c.Addr, c.Status, c.Error)
		}
	}
	again := makePlan(t, p, s, engine.Options{})
	if !again.Empty() {
		t.Fatalf("plan after apply is not empty:\n%s", strings.Join(actions(again), "\n"))
	}
	if len(again.Notes) != 0 {
		t.Errorf("plan after apply has notes: %+v", again.Notes)
	}
	p.ResetCalls()
	res = apply(t, p, again, engine.Options{})
	if len(res.Changes) != 0 || len(p.ApplyCalls()) != 0 {
		t.Errorf("second apply did something: %v, calls %v", resultLines(res), p.ApplyCalls())
	}
	// The bucket's own statement survived the merges.
	if !strings.Contains(p.World.BucketPolicy("org-flow-logs"), "DenyInsecure") {
		t.Errorf("bucket policy lost a statement flowplan does not own: %s", p.World.BucketPolicy("org-flow-logs"))
	}
}

func TestAdoptionDoesNotDuplicate(t *testing.T) {
	p, s := fixture(false)
	// Someone made vpc-a1's flow log by hand, exactly as the spec wants it
	// (the fake reports it as AWS would: ":*" suffix, no resource type).
	p.World.AddFlowLog(acctA, "us-east-1", &engine.Resource{Tags: map[string]string{"Name": "by-hand"}, FlowLog: &engine.FlowLog{
		ResourceID: "vpc-a1", TrafficType: "ALL", DestinationType: engine.DestCloudWatchLogs,
		Destination:              "arn:aws:logs:us-east-1:111111111111:log-group:/vpc-flow-logs/111111111111/us-east-1",
		DeliverLogsPermissionARN: arn.Role("aws", acctA, "/", "flowplan-flow-logs"),
		LogFormat:                logformat.DefaultVPC,
		Status:                   &engine.FlowLogStatus{DeliverLogsStatus: "FAILED", DeliverLogsErrorMessage: "Access error"},
	}})
	plan := makePlan(t, p, s, engine.Options{})
	c := findChange(plan, acctA+"/us-east-1/flow_log/prod-vpcs/vpc-a1")
	if c == nil || c.Action != engine.Adopt {
		t.Fatalf("want adopt, got %+v", c)
	}
	res := apply(t, p, plan, engine.Options{})
	for _, r := range res.Changes {
		if r.Addr == c.Addr && r.Detail != "adopted, but AWS reports DeliverLogsStatus FAILED: Access error" {
			t.Errorf("adopt detail = %q", r.Detail)
		}
	}
	fls := p.World.FlowLogsOn("vpc-a1")
	if len(fls) != 1 {
		t.Fatalf("vpc-a1 has %d flow logs after adoption, want 1", len(fls))
	}
	if fls[0].Tags[engine.TagSpec] != "org" || fls[0].Tags["Name"] != "by-hand" || fls[0].Tags["owner"] != "network" {
		t.Errorf("adopted flow log tags = %v", fls[0].Tags)
	}
	if again := makePlan(t, p, s, engine.Options{}); !again.Empty() {
		t.Errorf("plan after adoption is not empty:\n%s", strings.Join(actions(again), "\n"))
	}
}

// firehoseFixture streams every VPC of accounts A and B to a stream in
// account B, through a delivery role shared with a CloudWatch Logs rule.
func firehoseFixture(prune bool) (*enginetest.Provider, *spec.Spec) {
	p, s := fixture(prune)
	s.Rules = append(s.Rules, spec.Rule{
		Name: "stream", Targets: spec.Targets{VPCs: &spec.Selector{All: true}},
		TrafficType: "ACCEPT", MaxAggregationInterval: 60, LogFormat: logformat.DefaultVPC,
		Destination: spec.Destination{Firehose: &spec.Firehose{
			DeliveryStreamARN: "arn:aws:firehose:us-east-1:" + acctB + ":deliverystream/flows",
			DeliveryRole:      "flowplan-flow-logs",
			CrossAccountRole:  "arn:aws:iam::" + acctB + ":role/AWSLogDeliveryFirehoseCrossAccountRole",
		}},
	})
	return p, s
}

func TestCrossAccountFirehoseApply(t *testing.T) {
	p, s := firehoseFixture(false)
	plan := makePlan(t, p, s, engine.Options{})
	for _, c := range apply(t, p, plan, engine.Options{}).Changes {
		if c.Status != engine.StatusApplied {
			t.Errorf("%s: %s %s", c.Addr, c.Status, c.Error)
		}
	}
	roles := map[string][2]string{} // resource → DeliverLogsPermissionARN, DeliverCrossAccountRole
	for _, id := range []string{"vpc-a1", "vpc-a2", "vpc-a3", "vpc-b1"} {
		for _, f := range p.World.FlowLogsOn(id) {
			if f.FlowLog.DestinationType == engine.DestFirehose {
				roles[id] = [2]string{f.FlowLog.DeliverLogsPermissionARN, f.FlowLog.DeliverCrossAccountRole}
			}
		}
	}
	cross := [2]string{arn.Role("aws", acctA, "/", "flowplan-flow-logs"), "arn:aws:iam::" + acctB + ":role/AWSLogDeliveryFirehoseCrossAccountRole"}
	want := map[string][2]string{"vpc-a1": cross, "vpc-a2": cross, "vpc-a3": cross, "vpc-b1": {}}
	if d := cmp.Diff(want, roles); d != "" {
		t.Errorf("firehose flow log roles (-want +got):\n%s", d)
	}
	if again := makePlan(t, p, s, engine.Options{}); !again.Empty() {
		t.Errorf("plan after apply is not empty:\n%s", strings.Join(actions(again), "\n"))
	}
}

// TestCrossAccountFirehoseRoleShrinks drops the Firehose rule: the shared
// role loses its delivery.logs.amazonaws.com trust and its Firehose
// permissions in place, and the flow logs that used them go (prune).
func TestCrossAccountFirehoseRoleShrinks(t *testing.T) {
	p, s := firehoseFixture(true)
	apply(t, p, makePlan(t, p, s, engine.Options{}), engine.Options{})
	s.Rules = s.Rules[:2]
	plan := makePlan(t, p, s, engine.Options{})
	want := []string{
		"delete " + acctA + "/us-east-1/flow_log/stream/vpc-a1",
		"delete " + acctA + "/us-east-1/flow_log/stream/vpc-a2",
		"delete " + acctA + "/eu-west-1/flow_log/stream/vpc-a3",
		"delete " + acctB + "/us-east-1/flow_log/stream/vpc-b1",
		"update " + acctA + "/global/iam_role/flowplan-flow-logs",
		"update " + acctA + "/global/iam_role_policy/flowplan-flow-logs/flowplan-delivery",
	}
	got := actions(plan)
	sort.Strings(want)
	sort.Strings(got)
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("plan (-want +got):\n%s", d)
	}
	apply(t, p, plan, engine.Options{})
	if again := makePlan(t, p, s, engine.Options{}); !again.Empty() {
		t.Errorf("plan after the rule went is not empty:\n%s", strings.Join(actions(again), "\n"))
	}
}

// deselect applies the fixture, then makes account B's only prod VPC a dev
// VPC and selects no subnet any more.
func deselect(t *testing.T, prune bool) (*enginetest.Provider, *spec.Spec, *engine.Plan) {
	p, s := fixture(prune)
	apply(t, p, makePlan(t, p, s, engine.Options{}), engine.Options{})
	p.World.SetTargetTags(acctB, "us-east-1", "vpc-b1", map[string]string{"env": "dev"})
	s.Rules[1].Targets.Subnets = &spec.Selector{IDs: []string{"subnet-gone"}}
	p.ResetCalls()
	return p, s, makePlan(t, p, s, engine.Options{})
}

func TestPruneDeletesOnlyManagedFlowLogsAndUnusedRoles(t *testing.T) {
	p, s, plan := deselect(t, true)
	// An unmanaged flow log on the deselected VPC must survive. Plan order
	// is apply's: deletes run from flow logs back to roles. The bucket
	// policy statements stay: the central rule still applies to both
	// accounts, and a bucket's grants follow the accounts a rule applies
	// to, not the targets it finds today (so that shards agree on them).
	want := []string{
		"delete " + acctA + "/us-east-1/flow_log/central/subnet-a1",
		"delete " + acctB + "/us-east-1/flow_log/central/subnet-b1",
		"delete " + acctB + "/us-east-1/flow_log/prod-vpcs/vpc-b1",
		"delete " + acctB + "/global/iam_role_policy/flowplan-flow-logs/flowplan-delivery",
		"delete " + acctB + "/global/iam_role/flowplan-flow-logs",
	}
	if got := actions(plan); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !hasNote(plan, engine.NoteOrphan, acctB+"/us-east-1/log_group//vpc-flow-logs/222222222222/us-east-1") {
		t.Errorf("the unused log group is not reported as kept: %+v", plan.Notes)
	}
	apply(t, p, plan, engine.Options{})
	if p.World.HasRole(acctB, "flowplan-flow-logs") || !p.World.HasRole(acctA, "flowplan-flow-logs") {
		t.Error("prune must delete the role account B no longer uses, and keep account A's")
	}
	if !p.World.HasLogGroup(acctB, "us-east-1", "/vpc-flow-logs/222222222222/us-east-1") {
		t.Error("prune deleted a log group")
	}
	if n := len(p.World.FlowLogsOn("vpc-b1")); n != 0 {
		t.Errorf("vpc-b1 still has %d flow logs", n)
	}
	// Deletes ran in reverse dependency order.
	order := callOrder(p)
	before(t, order, "Apply "+acctB+"/us-east-1 delete flow_log", "Apply "+acctB+"/global delete iam_role_policy")
	before(t, order, "Apply "+acctB+"/global delete iam_role_policy", "Apply "+acctB+"/global delete iam_role ")
	for _, c := range order {
		if strings.Contains(c, "delete s3_bucket_policy_statement") {
			t.Errorf("prune deleted bucket policy statements that the central rule's accounts still need: %s", c)
		}
	}
	if again := makePlan(t, p, s, engine.Options{}); !again.Empty() {
		t.Errorf("plan after prune is not empty:\n%s", strings.Join(actions(again), "\n"))
	}
}

// TestPruneFindsRolesTheSpecNoLongerNames removes the CloudWatch Logs rule
// and its delivery_roles entry together: the roles must still be found (by
// listing) and deleted under prune, or reported as orphans without it.
func TestPruneFindsRolesTheSpecNoLongerNames(t *testing.T) {
	for _, prune := range []bool{true, false} {
		p, s := fixture(prune)
		apply(t, p, makePlan(t, p, s, engine.Options{}), engine.Options{})
		s.DeliveryRoles = nil
		s.Rules = s.Rules[1:] // keep only the S3 rule
		plan := makePlan(t, p, s, engine.Options{})
		for _, acct := range []string{acctA, acctB} {
			addr := acct + "/global/iam_role/flowplan-flow-logs"
			c := findChange(plan, addr)
			switch {
			case prune && (c == nil || c.Action != engine.Delete):
				t.Errorf("prune: %s: want delete, got %+v", addr, c)
			case !prune && !hasNote(plan, engine.NoteOrphan, addr):
				t.Errorf("no prune: %s: want an orphan note, got %+v", addr, plan.Notes)
			}
		}
	}
}

func TestOrphanKeptWithoutPrune(t *testing.T) {
	p, _, plan := deselect(t, false)
	if got := actions(plan); len(got) != 0 {
		t.Fatalf("without prune nothing is deleted, got:\n%s", strings.Join(got, "\n"))
	}
	for _, a := range []string{acctB + "/us-east-1/flow_log/prod-vpcs/vpc-b1", acctB + "/global/iam_role/flowplan-flow-logs"} {
		if !hasNote(plan, engine.NoteOrphan, a) {
			t.Errorf("no orphan note for %s: %+v", a, plan.Notes)
		}
	}
	apply(t, p, plan, engine.Options{})
	if n := len(p.World.FlowLogsOn("vpc-b1")); n != 1 {
		t.Errorf("vpc-b1 has %d flow logs, want its orphan kept", n)
	}
}

func TestReplaceCreatesBeforeDeleting(t *testing.T) {
	p, s := fixture(false)
	apply(t, p, makePlan(t, p, s, engine.Options{}), engine.Options{})
	old := p.World.FlowLogsOn("vpc-a1")[0].ID
	s.Rules[0].TrafficType = "REJECT"
	plan := makePlan(t, p, s, engine.Options{Targets: []string{acctA + "/us-east-1/flow_log/prod-vpcs/vpc-a1"}})
	c := findChange(plan, acctA+"/us-east-1/flow_log/prod-vpcs/vpc-a1")
	if c == nil || c.Action != engine.Replace || !strings.Contains(c.Reason, "traffic_type: ALL → REJECT forces replacement") {
		t.Fatalf("want a replace with its reason, got %+v", c)
	}
	p.ResetCalls()
	res := apply(t, p, plan, engine.Options{})
	order := callOrder(p)
	if len(order) != 2 || !strings.HasPrefix(order[0], "Apply "+acctA+"/us-east-1 create flow_log") || !strings.HasPrefix(order[1], "Apply "+acctA+"/us-east-1 delete flow_log") {
		t.Fatalf("calls = %v, want create then delete", order)
	}
	fls := p.World.FlowLogsOn("vpc-a1")
	if len(fls) != 1 || fls[0].ID == old || fls[0].FlowLog.TrafficType != "REJECT" {
		t.Errorf("flow logs on vpc-a1 = %+v", fls)
	}
	if r := res.Changes[0]; r.Status != engine.StatusApplied || r.Detail != "" || r.Resource == nil || r.Resource.ID != fls[0].ID {
		t.Errorf("result = %+v", r)
	}
}

// A backend with a broader duplicate rule than AWS documents (moto refuses
// any second flow log of a resource to one destination) refuses a
// replacement the engine planned create-before-delete; apply falls back to
// deleting the old flow log first and says so.
func TestReplaceFallsBackWhenAWSRefusesADuplicate(t *testing.T) {
	p, s := fixture(false)
	apply(t, p, makePlan(t, p, s, engine.Options{}), engine.Options{})
	p.World.Duplicate = func(a, b *engine.FlowLog) bool {
		return a.ResourceID == b.ResourceID && a.Destination == b.Destination
	}
	s.Rules[0].TrafficType = "REJECT"
	plan := makePlan(t, p, s, engine.Options{Targets: []string{acctA + "/us-east-1/flow_log/prod-vpcs/vpc-a1"}})
	p.ResetCalls()
	res := apply(t, p, plan, engine.Options{})
	order := callOrder(p)
	wantPrefixes := []string{"Apply " + acctA + "/us-east-1 create flow_log", "Apply " + acctA + "/us-east-1 delete flow_log", "Apply " + acctA + "/us-east-1 create flow_log"}
	if len(order) != 3 {
		t.Fatalf("calls = %v, want create (refused), delete, create", order)
	}
	for i, w := range wantPrefixes {
		if !strings.HasPrefix(order[i], w) {
			t.Errorf("call %d = %s, want %s", i, order[i], w)
		}
	}
	r := res.Changes[0]
	if r.Status != engine.StatusApplied || !strings.Contains(r.Detail, "refused the new flow log as a duplicate") {
		t.Errorf("result = %+v", r)
	}
	if fls := p.World.FlowLogsOn("vpc-a1"); len(fls) != 1 || fls[0].FlowLog.TrafficType != "REJECT" {
		t.Errorf("flow logs on vpc-a1 = %+v", fls)
	}
}

// A replacement AWS would refuse as a duplicate (same destination and
// traffic type, another interval) is planned delete-before-create, says so
// with its pause, and apply deletes the old flow log just before it creates
// the new one.
func TestReplaceThatAWSCannotOverlapDeletesFirst(t *testing.T) {
	p, s := fixture(false)
	apply(t, p, makePlan(t, p, s, engine.Options{}), engine.Options{})
	s.Rules[0].MaxAggregationInterval = 60
	plan := makePlan(t, p, s, engine.Options{Targets: []string{acctA + "/us-east-1/flow_log/prod-vpcs/vpc-a1"}})
	if len(plan.Changes) != 1 {
		t.Fatalf("plan: %v", actions(plan))
	}
	c := plan.Changes[0]
	if c.Action != engine.Replace || c.Order != engine.DeleteBeforeCreate || c.PauseSeconds != engine.CallPause ||
		!strings.Contains(c.Reason, "is deleted first") {
		t.Fatalf("change = %s %s pause %d: %s", c.Action, c.Order, c.PauseSeconds, c.Reason)
	}
	p.ResetCalls()
	res := apply(t, p, plan, engine.Options{})
	want := []string{
		"Apply " + acctA + "/us-east-1 delete flow_log [" + c.Addr.String() + "]",
		"Apply " + acctA + "/us-east-1 create flow_log [" + c.Addr.String() + "]",
	}
	if d := cmp.Diff(want, callOrder(p)); d != "" {
		t.Errorf("calls (-want +got):\n%s", d)
	}
	if r := res.Changes[0]; r.Status != engine.StatusApplied || !strings.Contains(r.Detail, "deleted first, as planned") {
		t.Errorf("result = %+v", r)
	}
	if fls := p.World.FlowLogsOn("vpc-a1"); len(fls) != 1 || fls[0].FlowLog.MaxAggregationInterval != 60 {
		t.Errorf("flow logs on vpc-a1 = %+v", fls)
	}
}

// A traffic type change keeps the destination but is no duplicate: the new
// flow log is created while the old one still logs.
func TestReplaceOfTrafficTypeOverlaps(t *testing.T) {
	p, s := fixture(false)
	apply(t, p, makePlan(t, p, s, engine.Options{}), engine.Options{})
	s.Rules[0].TrafficType = "REJECT"
	plan := makePlan(t, p, s, engine.Options{Targets: []string{acctA + "/us-east-1/flow_log/prod-vpcs/vpc-a1"}})
	if c := plan.Changes[0]; c.Order != engine.CreateBeforeDelete || c.PauseSeconds != 0 {
		t.Fatalf("change = %s %s pause %d", c.Action, c.Order, c.PauseSeconds)
	}
	p.ResetCalls()
	apply(t, p, plan, engine.Options{})
	order := callOrder(p)
	if len(order) != 2 || !strings.Contains(order[0], " create flow_log") || !strings.Contains(order[1], " delete flow_log") {
		t.Errorf("calls = %v, want create, then delete", order)
	}
}

func TestReplaceKeepsTheOldFlowLogWhenDeliveryFails(t *testing.T) {
	p, s := fixture(false)
	apply(t, p, makePlan(t, p, s, engine.Options{}), engine.Options{})
	old := p.World.FlowLogsOn("vpc-a1")[0].ID
	s.Rules[0].TrafficType = "REJECT"
	addr := acctA + "/us-east-1/flow_log/prod-vpcs/vpc-a1"
	p.DeliveryFailures = map[string]string{addr: "Access error"}
	plan := makePlan(t, p, s, engine.Options{Targets: []string{addr}})
	res, err := engine.Apply(context.Background(), p, plan, engine.Options{})
	if err == nil || !strings.Contains(err.Error(), "reports DeliverLogsStatus FAILED (Access error); kept the old flow log "+old) {
		t.Fatalf("error = %v", err)
	}
	if r := res.Changes[0]; r.Status != engine.StatusFailed {
		t.Errorf("result = %+v", r)
	}
	if fls := p.World.FlowLogsOn("vpc-a1"); len(fls) != 1 || fls[0].ID != old {
		t.Errorf("flow logs on vpc-a1 = %+v, want only the old one", fls)
	}
}

func TestFailureIsolation(t *testing.T) {
	t.Run("discovery failure of one account-region", func(t *testing.T) {
		p, s := fixture(false)
		p.DiscoverErrors = map[string]error{acctA + "/eu-west-1": errors.New("AccessDenied: not authorized")}
		plan := makePlan(t, p, s, engine.Options{})
		if len(plan.Errors) != 1 || plan.Errors[0].Scope != acctA+"/eu-west-1" {
			t.Fatalf("errors = %+v", plan.Errors)
		}
		for _, c := range plan.Changes {
			if c.Addr.Region == "eu-west-1" {
				t.Errorf("change %s in a scope whose discovery failed", c.Addr)
			}
		}
		if plan.Counts()[engine.Create] != 12 {
			t.Errorf("want the 12 other creates, got %v", actions(plan))
		}
	})
	t.Run("a failed role skips its dependents, other accounts carry on", func(t *testing.T) {
		p, s := fixture(false)
		roleB := acctB + "/global/iam_role/flowplan-flow-logs"
		p.ApplyErrors = map[string]error{roleB: errors.New("AccessDenied: iam:CreateRole")}
		plan := makePlan(t, p, s, engine.Options{})
		res, err := engine.Apply(context.Background(), p, plan, engine.Options{})
		if err == nil || !strings.Contains(err.Error(), "create iam role "+roleB+": AccessDenied: iam:CreateRole") {
			t.Fatalf("error = %v", err)
		}
		status := map[string]engine.ChangeResult{}
		for _, c := range res.Changes {
			status[c.Addr.String()] = c
		}
		for _, a := range []string{acctB + "/global/iam_role_policy/flowplan-flow-logs/flowplan-delivery", acctB + "/us-east-1/flow_log/prod-vpcs/vpc-b1"} {
			if c := status[a]; c.Status != engine.StatusSkipped || !strings.Contains(c.Error, "depends on") || !strings.Contains(c.Error, "which failed") {
				t.Errorf("%s = %+v, want skipped with why", a, c)
			}
		}
		for _, a := range []string{acctA + "/us-east-1/flow_log/prod-vpcs/vpc-a1", acctB + "/us-east-1/flow_log/central/subnet-b1", acctB + "/us-east-1/log_group//vpc-flow-logs/222222222222/us-east-1"} {
			if c := status[a]; c.Status != engine.StatusApplied {
				t.Errorf("%s = %+v, want applied", a, c)
			}
		}
		if strings.Contains(err.Error(), "vpc-b1") {
			t.Errorf("skipped changes are not failures: %v", err)
		}
		if !strings.Contains(err.Error(), "1 change(s) failed, 2 skipped") {
			t.Errorf("summary = %v", err)
		}
	})
}

func TestStalePlanIsRefused(t *testing.T) {
	p, s := fixture(false)
	plan := makePlan(t, p, s, engine.Options{})
	fresh := func() *engine.State {
		st, err := engine.Discover(context.Background(), p, s, engine.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	if err := engine.CheckStale(plan, fresh()); err != nil {
		t.Fatalf("unchanged state reported stale: %v", err)
	}
	p.World.AddFlowLog(acctA, "us-east-1", &engine.Resource{FlowLog: &engine.FlowLog{ResourceID: "vpc-a1", TrafficType: "ACCEPT",
		DestinationType: engine.DestS3, Destination: "arn:aws:s3:::elsewhere"}})
	p.World.AddLogGroup(acctB, "us-east-1", "/vpc-flow-logs/222222222222/us-east-1", 7, nil)
	err := engine.CheckStale(plan, fresh())
	var stale *engine.StaleError
	if !errors.As(err, &stale) {
		t.Fatalf("want a StaleError, got %v", err)
	}
	var got []string
	for _, c := range stale.Changed {
		got = append(got, c.Addr.String())
	}
	want := []string{acctA + "/us-east-1/flow_log/prod-vpcs/vpc-a1", acctB + "/us-east-1/log_group//vpc-flow-logs/222222222222/us-east-1"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("stale addresses = %v, want %v", got, want)
	}
	for _, a := range want {
		if !strings.Contains(err.Error(), a) {
			t.Errorf("error does not name %s: %v", a, err)
		}
	}
	p.DiscoverErrors = map[string]error{acctB + "/us-east-1": errors.New("Throttling")}
	if err := engine.CheckStale(plan, fresh()); err == nil || !strings.Contains(err.Error(), "could not be discovered again: 222222222222/us-east-1: discover region: Throttling") {
		t.Errorf("a scope that cannot be re-discovered must make the plan stale: %v", err)
	}
}

func TestPrepareSaved(t *testing.T) {
	p, s := fixture(false)
	saved := roundTrip(t, makePlan(t, p, s, engine.Options{}))
	if saved.Accounts[0].ExternalID != "" {
		t.Fatal("a saved plan must not hold external IDs")
	}
	ready, err := engine.PrepareSaved(context.Background(), p, s, saved, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ready.ID != saved.ID || ready.Accounts[0].ExternalID != "very-secret-external-id" || len(actions(ready)) != len(actions(saved)) {
		t.Errorf("prepared plan: id %s (saved %s), account %+v, %d changes (saved %d)", ready.ID, saved.ID, ready.Accounts[0], len(actions(ready)), len(actions(saved)))
	}
	apply(t, p, ready, engine.Options{})
	if again := makePlan(t, p, s, engine.Options{}); !again.Empty() {
		t.Errorf("plan after applying a saved plan is not empty:\n%s", strings.Join(actions(again), "\n"))
	}
	changed := *s
	changed.SHA256 = "fedcba"
	if _, err := engine.PrepareSaved(context.Background(), p, &changed, saved, engine.Options{}); err == nil || !strings.Contains(err.Error(), "has changed since the plan was made") {
		t.Errorf("a changed spec must be refused: %v", err)
	}
	if _, err := engine.PrepareSaved(context.Background(), p, s, saved, engine.Options{}); err == nil {
		t.Error("an applied plan re-checked against the state it made must be stale")
	}
}

// A saved plan edited by someone who can write the artifact can narrow
// what apply does, never widen it: every edit below is refused before a
// single provider write, and the fingerprints, which hash live state and
// so survive the edits, do not help the editor.
func TestPrepareSavedRefusesEditedPlans(t *testing.T) {
	p, s := fixture(false)
	// An unmanaged flow log someone made by hand on a VPC that has one of
	// ours: a change of ours there has a fingerprint that covers both.
	p.World.AddFlowLog(acctA, "us-east-1", &engine.Resource{ID: "fl-handmade", FlowLog: &engine.FlowLog{
		ResourceID: "vpc-a1", ResourceType: "VPC", TrafficType: "ALL", DestinationType: engine.DestS3, Destination: "arn:aws:s3:::someone-elses"}})
	apply(t, p, makePlan(t, p, s, engine.Options{}), engine.Options{})
	s.Rules[0].Tags = map[string]string{"owner": "netsec"}
	base := roundTrip(t, makePlan(t, p, s, engine.Options{}))
	first := func(p *engine.Plan, kind engine.Kind) *engine.Change {
		for _, c := range p.Changes {
			if c.Addr.Kind == kind && c.Action != engine.NoOp && c.Addr.Region == "us-east-1" && c.Addr.Account == acctA {
				return c
			}
		}
		t.Fatalf("no %s change in %s/us-east-1: %v", kind, acctA, actions(p))
		return nil
	}
	tests := []struct {
		name string
		edit func(p *engine.Plan)
		why  string
	}{
		{"an update turned into a delete of an unmanaged flow log with a fake ownership tag", func(p *engine.Plan) {
			c := first(p, engine.KindFlowLog)
			if c.After.FlowLog.ResourceID != "vpc-a1" {
				t.Fatalf("first flow log change is %s", c.Addr)
			}
			c.Action, c.After = engine.Delete, nil
			c.Addr = engine.OtherFlowLogAddr(acctA, "us-east-1", "vpc-a1", "fl-handmade")
			c.Before = &engine.Resource{Addr: c.Addr, ID: "fl-handmade", Tags: map[string]string{engine.TagSpec: "org", engine.TagRule: "prod-vpcs"},
				FlowLog: &engine.FlowLog{ResourceID: "vpc-a1", ResourceType: "VPC", TrafficType: "ALL", DestinationType: engine.DestS3, Destination: "arn:aws:s3:::someone-elses"}}
		}, "the plan file says delete; the spec and AWS give no change there"},
		{"a delete added to a no-op", func(p *engine.Plan) {
			for _, c := range p.Changes {
				if c.Action == engine.NoOp && c.Addr.Kind == engine.KindFlowLog {
					c.Action, c.After = engine.Delete, nil
					return
				}
			}
		}, "the plan file says delete; the spec and AWS give no change there"},
		{"logs redirected to another bucket", func(p *engine.Plan) {
			c := first(p, engine.KindFlowLog)
			c.Action = engine.Replace
			c.After.FlowLog.DestinationType, c.After.FlowLog.Destination = engine.DestS3, "arn:aws:s3:::attacker-bucket"
			c.After.FlowLog.DeliverLogsPermissionARN = ""
		}, "the spec and AWS give update"},
		{"the tags of an update changed", func(p *engine.Plan) {
			first(p, engine.KindFlowLog).After.Tags["owner"] = "attacker"
		}, "is not the one the spec produces"},
		{"an update pointed at another flow log", func(p *engine.Plan) {
			first(p, engine.KindFlowLog).Before.ID = "fl-handmade"
		}, "the plan file acts on fl-handmade"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			saved := roundTrip(t, base)
			tt.edit(saved)
			p.ResetCalls()
			_, err := engine.PrepareSaved(context.Background(), p, s, saved, engine.Options{})
			var ne *engine.NarrowError
			if !errors.As(err, &ne) || !strings.Contains(err.Error(), tt.why) {
				t.Fatalf("PrepareSaved error = %v, want a *NarrowError saying %q", err, tt.why)
			}
			if n := len(p.ApplyCalls()); n != 0 {
				t.Errorf("%d provider writes", n)
			}
		})
	}
	if !p.World.HasFlowLog("fl-handmade") {
		t.Error("the hand-made flow log is gone")
	}
}

// A plan key signs saved plans: a plan signed with it verifies; a changed
// one, one signed with another key, and an unsigned one do not.
func TestSignedPlans(t *testing.T) {
	p, s := fixture(false)
	plan := makePlan(t, p, s, engine.Options{})
	key := []byte("the-plan-key")
	if err := engine.Sign(plan, key); err != nil {
		t.Fatal(err)
	}
	saved := roundTrip(t, plan)
	if err := engine.Verify(saved, key); err != nil {
		t.Fatalf("a signed plan does not verify: %v", err)
	}
	if err := engine.Verify(saved, []byte("another-key")); !errors.Is(err, engine.ErrBadSignature) {
		t.Errorf("another key: %v", err)
	}
	saved.Changes[0].Action = engine.Delete
	if err := engine.Verify(saved, key); !errors.Is(err, engine.ErrBadSignature) {
		t.Errorf("an edited plan: %v", err)
	}
	unsigned := roundTrip(t, makePlan(t, p, s, engine.Options{}))
	if err := engine.Verify(unsigned, key); !errors.Is(err, engine.ErrUnsigned) {
		t.Errorf("an unsigned plan: %v", err)
	}
}

// roundTrip saves and loads a plan as `plan --out` and `apply FILE` do.
func roundTrip(t *testing.T, plan *engine.Plan) *engine.Plan {
	t.Helper()
	path := filepath.Join(t.TempDir(), "plan.json")
	if err := engine.SavePlanFile(path, plan); err != nil {
		t.Fatal(err)
	}
	out, err := engine.LoadPlanFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestTargetFilteringKeepsDependencies(t *testing.T) {
	p, s := fixture(false)
	plan := makePlan(t, p, s, engine.Options{Targets: []string{acctA + "/us-east-1/flow_log"}})
	// Plan order is apply's: dependencies first, whatever their account.
	want := []string{
		"create " + acctA + "/global/iam_role/flowplan-flow-logs",
		"create " + acctA + "/global/iam_role_policy/flowplan-flow-logs/flowplan-delivery",
		"create " + acctA + "/us-east-1/log_group//vpc-flow-logs/111111111111/us-east-1",
		"create " + bucketOwner + "/global/s3_bucket_policy_statement/org-flow-logs/flowplan-org-aclcheck",
		"create " + bucketOwner + "/global/s3_bucket_policy_statement/org-flow-logs/flowplan-org-" + engine.WriteStatementKind("subnets/"),
		"create " + acctA + "/us-east-1/flow_log/central/subnet-a1",
		"create " + acctA + "/us-east-1/flow_log/prod-vpcs/vpc-a1",
	}
	if got := actions(plan); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(plan.Targets) != 1 {
		t.Errorf("targets not recorded: %v", plan.Targets)
	}
	apply(t, p, plan, engine.Options{})
	if p.World.FlowLogCount() != 2 {
		t.Errorf("a filtered apply made %d flow logs, want 2", p.World.FlowLogCount())
	}
}

// TestTargetMatchingNothingIsAnError checks that a --target prefix that
// matches no change and no note, and only such a prefix, is an error that
// names it and the nearest addresses: a typo in CI must not pass for "no
// changes".
func TestTargetMatchingNothingIsAnError(t *testing.T) {
	p, s := fixture(false)
	tests := []struct {
		name    string
		targets []string
		want    string // the error, "" for none
	}{
		{"every prefix matches", []string{acctA + "/us-east-1/flow_log", acctB + "/"}, ""},
		{"a region typo", []string{acctA + "/us-east-1/flow_log", acctA + "/us-east-2"},
			"--target " + acctA + "/us-east-2 matches no address of this plan; the nearest are " + acctA + "/us-east-1, " + acctA + "/eu-west-1, " + acctA + "/global"},
		{"half a segment does not match", []string{"11111111111", acctA + "/global/iam_role/flowplan-flow-logs/x"},
			"--target 11111111111 matches no address of this plan; the nearest are " + acctA + "\n" +
				"--target " + acctA + "/global/iam_role/flowplan-flow-logs/x matches no address of this plan; the nearest are " + acctA + "/global/iam_role/flowplan-flow-logs, " +
				acctB + "/global/iam_role/flowplan-flow-logs, " + acctA + "/global/iam_role_policy/flowplan-flow-logs/flowplan-delivery"},
		{"nothing like it", []string{"bogus"}, "--target bogus matches no address of this plan"},
		{"a rule name cut short is nearest to the rule", []string{acctA + "/us-east-1/flow_log/prod-vpc"},
			"--target " + acctA + "/us-east-1/flow_log/prod-vpc matches no address of this plan; the nearest are " + acctA + "/us-east-1/flow_log/prod-vpcs, " +
				acctA + "/eu-west-1/flow_log/prod-vpcs, " + acctA + "/us-east-1/flow_log/central"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := engine.MakePlan(context.Background(), p, s, engine.Options{Targets: tt.targets})
			var te *engine.TargetError
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("error %v", err)
			case tt.want != "" && (!errors.As(err, &te) || err.Error() != tt.want):
				t.Errorf("error = %v\nwant   %s", err, tt.want)
			}
		})
	}
}

func TestBatchOrdering(t *testing.T) {
	p, s := fixture(false)
	apply(t, p, makePlan(t, p, s, engine.Options{}), engine.Options{Parallelism: 1})
	order := callOrder(p)
	// Within account A: role, then policy, then log group and flow logs.
	before(t, order, "Apply "+acctA+"/global create iam_role ", "Apply "+acctA+"/global create iam_role_policy")
	before(t, order, "Apply "+acctA+"/us-east-1 create log_group", "Apply "+acctA+"/us-east-1 create flow_log")
	// Across scopes: flow logs wait for their role policy and bucket statements.
	before(t, order, "Apply "+acctA+"/global create iam_role_policy", "Apply "+acctA+"/us-east-1 create flow_log")
	before(t, order, "Apply "+acctB+"/global create iam_role_policy", "Apply "+acctB+"/us-east-1 create flow_log")
	before(t, order, "Apply "+bucketOwner+"/global create s3_bucket_policy_statement", "Apply "+acctB+"/us-east-1 create flow_log")
	// One batch per (account, region, kind, op): both subnets' and the VPC's
	// flow logs in account B go in one call.
	var n int
	for _, c := range p.ApplyCalls() {
		if c.Scope == acctB+"/us-east-1" && c.Kind == engine.KindFlowLog {
			n++
			if len(c.Addrs) != 2 {
				t.Errorf("batch %v, want both flow logs of %s/us-east-1", c.Addrs, acctB)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d flow log batches in %s/us-east-1, want 1", n, acctB)
	}
}

// TestParallelismOneRunsInPlanOrder: with parallelism 1 the batches run
// one after another in the plan's order (by step, then account-region),
// the same on every run, so that an apply is repeatable: the same plan on
// the same state makes the same calls in the same order.
func TestParallelismOneRunsInPlanOrder(t *testing.T) {
	var first []string
	for i := range 20 {
		p, s := fixture(false)
		plan := makePlan(t, p, s, engine.Options{})
		apply(t, p, plan, engine.Options{Parallelism: 1})
		order := callOrder(p)
		// The plan's changes, grouped as apply batches them, in its order.
		var want []string
		seen := map[string]bool{}
		for _, c := range plan.Changes {
			if c.Action == engine.NoOp || c.Action == engine.Replace {
				continue
			}
			op := map[engine.Action]string{engine.Create: "create", engine.Update: "update", engine.Delete: "delete", engine.Adopt: "adopt"}[c.Action]
			key := fmt.Sprintf("Apply %s/%s %s %s", c.Addr.Account, c.Addr.Region, op, c.Addr.Kind)
			if !seen[key] {
				seen[key] = true
				want = append(want, key)
			}
		}
		var got []string
		for _, c := range order {
			got = append(got, c[:strings.Index(c, " [")])
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("run %d: apply calls are not in the plan's order (-plan +apply):\n%s", i, diff)
		}
		if i == 0 {
			first = order
		} else if diff := cmp.Diff(first, order); diff != "" {
			t.Fatalf("run %d made its calls in another order than run 0 (-run 0 +run %d):\n%s", i, i, diff)
		}
	}
}

func TestRoleReplacementDeletesFirst(t *testing.T) {
	p, s := fixture(false)
	apply(t, p, makePlan(t, p, s, engine.Options{}), engine.Options{})
	s.DeliveryRoles[0].Path = "/flowplan/"
	s.Rules = s.Rules[:1]
	plan := makePlan(t, p, s, engine.Options{Targets: []string{acctB}})
	p.ResetCalls()
	apply(t, p, plan, engine.Options{})
	var order []string
	for _, c := range p.ApplyCalls() {
		if c.Scope == acctB+"/global" {
			order = append(order, string(c.Op)+" "+string(c.Kind))
		}
	}
	want := "delete iam_role_policy,delete iam_role,create iam_role,create iam_role_policy"
	if strings.Join(order, ",") != want {
		t.Errorf("global calls = %v, want %s", order, want)
	}
	if again := makePlan(t, p, s, engine.Options{Targets: []string{acctB}}); !again.Empty() {
		t.Errorf("plan after role replacement is not empty:\n%s", strings.Join(actions(again), "\n"))
	}
}

func TestParallelismBound(t *testing.T) {
	p := enginetest.New()
	s := &spec.Spec{Name: "org", Rules: []spec.Rule{{
		Name: "all", Targets: spec.Targets{VPCs: &spec.Selector{All: true}}, TrafficType: "ALL", MaxAggregationInterval: 600, LogFormat: logformat.DefaultVPC,
		Destination: spec.Destination{S3: &spec.S3{BucketARN: "arn:aws:s3:::b", FileFormat: "plain-text"}},
	}}}
	for i := 0; i < 8; i++ {
		id := strings.Repeat(string(rune('1'+i)), 12)
		s.Accounts = append(s.Accounts, spec.Account{ID: id, Regions: []string{"us-east-1", "us-west-2"}})
		p.World.AddTarget(id, "us-east-1", engine.Target{Kind: spec.TargetVPC, ID: "vpc-" + id})
		p.World.AddTarget(id, "us-west-2", engine.Target{Kind: spec.TargetVPC, ID: "vpc-w" + id})
	}
	p.ApplyDelay = 20 * time.Millisecond
	plan := makePlan(t, p, s, engine.Options{Parallelism: 3})
	if got := p.MaxConcurrent("DiscoverRegion"); got > 3 {
		t.Errorf("%d discovery calls at once, want at most 3", got)
	}
	apply(t, p, plan, engine.Options{Parallelism: 3})
	if got := p.MaxConcurrent("Apply"); got > 3 || got < 2 {
		t.Errorf("%d Apply calls at once, want at most 3 (and more than one: account-regions run concurrently)", got)
	}
	if p.World.FlowLogCount() != 16 {
		t.Errorf("%d flow logs, want 16", p.World.FlowLogCount())
	}
}

func TestDeleteOfSomethingAlreadyGoneSucceeds(t *testing.T) {
	p, s := fixture(true)
	apply(t, p, makePlan(t, p, s, engine.Options{}), engine.Options{})
	s.Rules = s.Rules[:1]
	plan := makePlan(t, p, s, engine.Options{Targets: []string{acctA + "/us-east-1/flow_log/central"}})
	for _, f := range p.World.FlowLogsOn("subnet-a1") {
		p.World.DeleteFlowLog(f.ID)
	}
	res := apply(t, p, plan, engine.Options{})
	if len(res.Changes) != 1 || res.Changes[0].Status != engine.StatusApplied {
		t.Errorf("result = %v", resultLines(res))
	}
}

func TestApplyRefusesAPlanWithoutID(t *testing.T) {
	p, _ := fixture(false)
	if _, err := engine.Apply(context.Background(), p, &engine.Plan{}, engine.Options{}); err == nil {
		t.Error("a plan without an ID must be refused: its client tokens would collide")
	}
}

func TestClientTokenSeedIsThePlanID(t *testing.T) {
	p, s := fixture(false)
	plan := makePlan(t, p, s, engine.Options{})
	var seeds []string
	p.ApplyF = func(ctx context.Context, b *engine.Batch) []engine.Outcome {
		seeds = append(seeds, b.ClientTokenSeed)
		out := make([]engine.Outcome, len(b.Changes))
		for i, c := range b.Changes {
			out[i] = engine.Outcome{Change: c}
		}
		return out
	}
	apply(t, p, plan, engine.Options{Parallelism: 1})
	for _, s := range seeds {
		if s != plan.ID || s == "" {
			t.Fatalf("seed %q, want the plan ID %q", s, plan.ID)
		}
	}
}

func findChange(plan *engine.Plan, addr string) *engine.Change {
	for _, c := range plan.Changes {
		if c.Addr.String() == addr {
			return c
		}
	}
	return nil
}

func hasNote(plan *engine.Plan, kind engine.NoteKind, addr string) bool {
	for _, n := range plan.Notes {
		if n.Kind == kind && n.Addr.String() == addr {
			return true
		}
	}
	return false
}

func callOrder(p *enginetest.Provider) []string {
	var out []string
	for _, c := range p.ApplyCalls() {
		out = append(out, c.String())
	}
	return out
}

// before asserts that every call starting with a comes before every call
// starting with b, and that both happened.
func before(t *testing.T, order []string, a, b string) {
	t.Helper()
	lastA, firstB := -1, -1
	for i, c := range order {
		if strings.HasPrefix(c, a) {
			lastA = i
		}
		if firstB < 0 && strings.HasPrefix(c, b) {
			firstB = i
		}
	}
	if lastA < 0 || firstB < 0 || lastA > firstB {
		t.Errorf("want every %q before every %q in:\n%s", a, b, strings.Join(order, "\n"))
	}
}

func TestApplyRefusesMalformedChanges(t *testing.T) {
	p, _ := fixture(false)
	addr := engine.Addr{Account: acctA, Region: "us-east-1", Kind: engine.KindFlowLog, Name: "prod/vpc-a1"}
	plan := &engine.Plan{ID: "x", Changes: []*engine.Change{
		{Addr: addr, Action: engine.Create},
		{Addr: engine.Addr{Account: acctA, Region: "global", Kind: engine.KindRole, Name: "r"}, Action: engine.Delete,
			Before: &engine.Resource{LogGroup: &engine.LogGroup{Name: "wrong kind"}}},
	}}
	res, err := engine.Apply(context.Background(), p, plan, engine.Options{})
	if err == nil || !strings.Contains(err.Error(), "create flow log "+addr.String()+": malformed plan: a create needs the desired flow_log (after)") {
		t.Errorf("error = %v", err)
	}
	if len(res.Changes) != 2 || res.Changes[0].Status != engine.StatusFailed || res.Changes[1].Status != engine.StatusFailed {
		t.Errorf("result = %v", resultLines(res))
	}
	if len(p.ApplyCalls()) != 0 {
		t.Errorf("malformed changes reached the provider: %v", p.ApplyCalls())
	}
}

// Failed changes are *engine.ChangeError values naming the address once: a
// bare provider error is wrapped, and a provider's own ChangeError for the
// address is kept as it is.
func TestApplyErrorsNameTheAddressOnce(t *testing.T) {
	p, s := fixture(false)
	roleA, roleB := engine.RoleAddr(acctA, "flowplan-flow-logs"), engine.RoleAddr(acctB, "flowplan-flow-logs")
	p.ApplyErrors = map[string]error{
		roleA.String(): errors.New("AccessDenied: iam:CreateRole"),
		roleB.String(): &engine.ChangeError{Op: "create iam role", Addr: roleB, Err: errors.New("AccessDenied")},
	}
	res, err := engine.Apply(context.Background(), p, makePlan(t, p, s, engine.Options{}), engine.Options{})
	if err == nil {
		t.Fatal("want an error")
	}
	for _, addr := range []engine.Addr{roleA, roleB} {
		if n := strings.Count(err.Error(), addr.String()+":"); n != 1 {
			t.Errorf("%s appears %d times as a prefix in:\n%v", addr, n, err)
		}
	}
	var ce *engine.ChangeError
	if !errors.As(err, &ce) || (ce.Addr != roleA && ce.Addr != roleB) {
		t.Errorf("errors.As(*engine.ChangeError) = %v, want one naming a role", ce)
	}
	for _, c := range res.Changes {
		if c.Status == engine.StatusFailed && c.Addr != roleA && c.Addr != roleB {
			t.Errorf("%s failed: %s", c.Addr, c.Error)
		}
	}
}

// A spec change that an unmanaged flow log already satisfies adopts it
// rather than replacing the managed one: AWS refuses the replacement as a
// duplicate of the unmanaged flow log, so the replace would only delete the
// managed flow log and fail.
func TestChangeSatisfiedByAnUnmanagedFlowLogAdoptsIt(t *testing.T) {
	p, s := fixture(false)
	apply(t, p, makePlan(t, p, s, engine.Options{}), engine.Options{})
	p.World.AddFlowLog(acctA, "us-east-1", &engine.Resource{Tags: map[string]string{"Name": "by-hand"}, FlowLog: &engine.FlowLog{
		ResourceID: "vpc-a1", TrafficType: "REJECT", DestinationType: engine.DestCloudWatchLogs,
		Destination:              "arn:aws:logs:us-east-1:111111111111:log-group:/vpc-flow-logs/111111111111/us-east-1",
		DeliverLogsPermissionARN: arn.Role("aws", acctA, "/", "flowplan-flow-logs"),
		LogFormat:                logformat.DefaultVPC,
	}})
	s.Rules[0].TrafficType = "REJECT"

	plan := makePlan(t, p, s, engine.Options{})
	addr := acctA + "/us-east-1/flow_log/prod-vpcs/vpc-a1"
	if c := findChange(plan, addr); c == nil || c.Action != engine.Adopt {
		t.Fatalf("want adopt of the unmanaged flow log, got:\n%s", strings.Join(actions(plan), "\n"))
	}
	if _, err := engine.Apply(context.Background(), p, plan, engine.Options{}); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	var rules []string
	for _, f := range p.World.FlowLogsOn("vpc-a1") {
		rules = append(rules, f.FlowLog.TrafficType+" "+f.Tags[engine.TagRule])
	}
	sort.Strings(rules)
	// Prune is off: the managed flow log of the old configuration is kept.
	if want := []string{"ALL prod-vpcs", "REJECT prod-vpcs"}; !cmp.Equal(rules, want) {
		t.Errorf("flow logs on vpc-a1 = %q, want %q", rules, want)
	}
	again := makePlan(t, p, s, engine.Options{})
	if !again.Empty() {
		t.Errorf("plan after adoption is not empty:\n%s", strings.Join(actions(again), "\n"))
	}
	if !hasNote(again, engine.NoteOrphan, acctA+"/us-east-1/flow_log/vpc-a1/"+p.World.FlowLogsOn("vpc-a1")[0].ID) {
		t.Errorf("the old managed flow log is not reported as an orphan: %+v", again.Notes)
	}
}

// TestStalePlanChecksWhatNewFlowLogsRelyOn: a saved plan that creates a
// flow log through a role, a policy and a log group it found in place (no-op
// changes) is stale once one of them changes, since the create would
// then fail or deliver nothing. A no-op nothing relies on may change freely.
func TestStalePlanChecksWhatNewFlowLogsRelyOn(t *testing.T) {
	p, s := fixture(false)
	apply(t, p, makePlan(t, p, s, engine.Options{}), engine.Options{})
	p.World.AddTarget(acctA, "us-east-1", engine.Target{Kind: spec.TargetVPC, ID: "vpc-a4", State: "available", Tags: map[string]string{"env": "prod"}})
	plan := makePlan(t, p, s, engine.Options{})
	if got, want := actions(plan), []string{"create " + acctA + "/us-east-1/flow_log/prod-vpcs/vpc-a4"}; !cmp.Equal(got, want) {
		t.Fatalf("plan = %q, want %q", got, want)
	}
	fresh := func() *engine.State {
		st, err := engine.Discover(context.Background(), p, s, engine.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	// Another region's flow log disappearing changes nothing the create needs.
	for id, f := range p.World.FlowLogs {
		if f.FlowLog.ResourceID == "vpc-a3" {
			p.World.DeleteFlowLog(id)
		}
	}
	if err := engine.CheckStale(plan, fresh()); err != nil {
		t.Fatalf("a change nothing relies on made the plan stale: %v", err)
	}
	p.World.SetLogGroupRetention(acctA, "us-east-1", "/vpc-flow-logs/111111111111/us-east-1", 1)
	delete(p.World.RolePolicies, acctA+"/flowplan-flow-logs/"+engine.DeliveryPolicyName)
	err := engine.CheckStale(plan, fresh())
	var stale *engine.StaleError
	if !errors.As(err, &stale) {
		t.Fatalf("want a StaleError, got %v", err)
	}
	var got []string
	for _, c := range stale.Changed {
		got = append(got, c.Addr.String())
	}
	want := []string{acctA + "/global/iam_role_policy/flowplan-flow-logs/flowplan-delivery", acctA + "/us-east-1/log_group//vpc-flow-logs/111111111111/us-east-1"}
	if !cmp.Equal(got, want) {
		t.Errorf("stale addresses = %q, want %q", got, want)
	}
	if !strings.Contains(err.Error(), "other changes rely on it") {
		t.Errorf("the error does not say why an unchanged resource matters: %v", err)
	}
}

// TestApplyRefusesDependenciesThatCannotComeFirst: a hand-edited plan whose
// changes wait for each other across account-regions (or for a change that
// runs after them) must fail those changes, not hang.
func TestApplyRefusesDependenciesThatCannotComeFirst(t *testing.T) {
	p, s := fixture(false)
	plan := makePlan(t, p, s, engine.Options{})
	a1 := findChange(plan, acctA+"/us-east-1/flow_log/prod-vpcs/vpc-a1")
	b1 := findChange(plan, acctB+"/us-east-1/flow_log/prod-vpcs/vpc-b1")
	if a1 == nil || b1 == nil {
		t.Fatalf("fixture plan lacks its flow logs:\n%s", strings.Join(actions(plan), "\n"))
	}
	a1.DependsOn = append(a1.DependsOn, b1.Addr)
	b1.DependsOn = append(b1.DependsOn, a1.Addr)
	done := make(chan struct{})
	var res *engine.Result
	var err error
	go func() {
		defer close(done)
		res, err = engine.Apply(context.Background(), p, plan, engine.Options{})
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Apply hangs on a plan whose changes wait for each other")
	}
	for _, addr := range []engine.Addr{a1.Addr, b1.Addr} {
		want := "malformed plan: it depends on"
		if err == nil || !strings.Contains(err.Error(), addr.String()+": "+want) {
			t.Errorf("error does not refuse %s (%q): %v", addr, want, err)
		}
	}
	for _, c := range res.Changes {
		if c.Addr != a1.Addr && c.Addr != b1.Addr && c.Status != engine.StatusApplied {
			t.Errorf("%s: %s %s", c.Addr, c.Status, c.Error)
		}
	}
}

// Targeting a replaced delivery role brings what the replacement takes
// away with it: the role's inline policy (deleted with the old role) and
// the flow logs that named the old role's ARN. Without them a targeted apply
// left a new role with no permissions and flow logs that cannot deliver.
func TestTargetingAReplacedRoleKeepsWhatDependsOnIt(t *testing.T) {
	p, s := fixture(false)
	apply(t, p, makePlan(t, p, s, engine.Options{}), engine.Options{})
	s.DeliveryRoles[0].Path = "/flowplan/"
	plan := makePlan(t, p, s, engine.Options{Targets: []string{acctB + "/global/iam_role/flowplan-flow-logs"}})
	want := []string{
		"replace " + acctB + "/global/iam_role/flowplan-flow-logs",
		"replace " + acctB + "/global/iam_role_policy/flowplan-flow-logs/flowplan-delivery",
		"replace " + acctB + "/us-east-1/flow_log/prod-vpcs/vpc-b1",
	}
	if got := actions(plan); !cmp.Equal(got, want) {
		t.Fatalf("plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	apply(t, p, plan, engine.Options{})
	if again := makePlan(t, p, s, engine.Options{Targets: []string{acctB}}); !again.Empty() {
		t.Errorf("plan after the targeted apply is not empty:\n%s", strings.Join(actions(again), "\n"))
	}
}

// The engine, not only the CLI, refuses a plan made while a scope could
// not be discovered: the delivery role and bucket statements it plans
// were made without that scope.
func TestApplyRefusesAPlanWithScopeErrors(t *testing.T) {
	p, s := fixture(false)
	p.DiscoverErrors = map[string]error{acctA + "/eu-west-1": engine.ScopeError{Code: "AccessDenied", Message: "no"}}
	plan := makePlan(t, p, s, engine.Options{})
	if plan.Empty() || len(plan.Errors) != 1 {
		t.Fatalf("want a plan with changes and one error, got %d changes, errors %v", len(actions(plan)), plan.Errors)
	}
	p.ResetCalls()
	res, err := engine.Apply(context.Background(), p, plan, engine.Options{})
	var se *engine.ScopeErrorsError
	if !errors.As(err, &se) || len(se.Errors) != 1 || se.Errors[0].Scope != acctA+"/eu-west-1" {
		t.Fatalf("Apply error = %v, want a *ScopeErrorsError naming %s/eu-west-1", err, acctA)
	}
	if res != nil || len(p.ApplyCalls()) != 0 {
		t.Errorf("Apply returned %v and made %d provider calls; want nothing applied", res, len(p.ApplyCalls()))
	}
}

// The plan lists changes in the order apply makes them: in every
// account-region, the lead operation of each change (see Change.Step) runs
// in the order the plan lists the changes, and every change a change
// depends on, in any account-region, is listed and run before it.
func TestPlanOrderIsApplyOrder(t *testing.T) {
	p, s := fixture(true)
	check := func(t *testing.T, plan *engine.Plan) {
		t.Helper()
		p.ResetCalls()
		apply(t, p, plan, engine.Options{Parallelism: 1})
		calls := p.ApplyCalls()
		// callOf is the index of the call making a change's lead part.
		callOf := func(c *engine.Change) int {
			op := map[engine.Action]engine.Op{engine.Create: engine.OpCreate, engine.Update: engine.OpUpdate,
				engine.Adopt: engine.OpAdopt, engine.Delete: engine.OpDelete}[c.Action]
			if c.Action == engine.Replace {
				op = engine.OpCreate
				if c.Addr.Kind == engine.KindFlowLog && c.Order == engine.DeleteBeforeCreate {
					op = engine.OpDelete
				}
			}
			for i, call := range calls {
				if call.Scope == c.Addr.Scope() && call.Kind == c.Addr.Kind && call.Op == op && slices.Contains(call.Addrs, c.Addr.String()) {
					return i
				}
			}
			t.Fatalf("no %s call made %s", op, c.Addr)
			return -1
		}
		listed := map[engine.Addr]int{}
		lastInScope := map[string]int{}
		for i, c := range plan.Changes {
			if c.Action == engine.NoOp {
				continue
			}
			listed[c.Addr] = i
			n := callOf(c)
			if last, ok := lastInScope[c.Addr.Scope()]; ok && n < last {
				t.Errorf("%s is listed after a change of its account-region that apply made later", c.Addr)
			}
			lastInScope[c.Addr.Scope()] = n
			for _, d := range c.DependsOn {
				if j, ok := listed[d]; !ok || j > i {
					t.Errorf("%s is listed before %s, which it depends on", c.Addr, d)
				}
			}
		}
	}
	t.Run("creates across accounts", func(t *testing.T) { check(t, makePlan(t, p, s, engine.Options{})) })
	t.Run("replacements and prunes", func(t *testing.T) {
		s.Rules[0].TrafficType = "REJECT"                             // create-before-delete
		s.Rules[1].MaxAggregationInterval = 60                        // delete-before-create
		s.Rules[1].Targets.Subnets.ExcludeIDs = []string{"subnet-b1"} // prune
		s.DeliveryRoles[0].Path = "/flowplan/"                        // role replacement
		plan := makePlan(t, p, s, engine.Options{})
		var kinds []string
		for _, c := range plan.Changes {
			if c.Action == engine.Replace || c.Action == engine.Delete {
				kinds = append(kinds, string(c.Action)+" "+string(c.Order)+" "+string(c.Addr.Kind))
			}
		}
		for _, want := range []string{"replace create_before_delete flow_log", "replace delete_before_create flow_log", "replace delete_before_create iam_role", "delete  flow_log"} {
			if !slices.Contains(kinds, want) {
				t.Fatalf("the plan has no %q: %v", want, kinds)
			}
		}
		check(t, plan)
	})
}
