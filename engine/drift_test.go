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

// driftLines lists findings as "kind severity address", drift or not.
func driftLines(d *engine.Drift) []string {
	var out []string
	for _, f := range d.Findings {
		line := string(f.Kind) + " " + string(f.Severity) + " " + f.Addr.String()
		if !f.Drift {
			line += " (not drift)"
		}
		out = append(out, line)
	}
	return out
}

// TestDetectDrift makes each kind of drift out of band, after an apply, on
// the fake provider, and checks the findings: kind, severity, address, and
// that each has a fix.
func TestDetectDrift(t *testing.T) {
	const (
		vpcA1     = acctA + "/us-east-1/flow_log/prod-vpcs/vpc-a1"
		subnetA1  = acctA + "/us-east-1/flow_log/central/subnet-a1"
		groupA    = acctA + "/us-east-1/log_group//vpc-flow-logs/111111111111/us-east-1"
		roleA     = acctA + "/global/iam_role/flowplan-flow-logs"
		policyA   = acctA + "/global/iam_role_policy/flowplan-flow-logs/flowplan-delivery"
		aclcheck  = bucketOwner + "/global/s3_bucket_policy_statement/org-flow-logs/flowplan-org-aclcheck"
		groupName = "111111111111/us-east-1//vpc-flow-logs/111111111111/us-east-1"
	)
	// flowLogOf returns the world's flow log of a rule on a resource.
	flowLogOf := func(p *enginetest.Provider, rule, resource string) *engine.Resource {
		for _, f := range p.World.FlowLogsOn(resource) {
			if f.Tags[engine.TagRule] == rule {
				return p.World.FlowLogs[f.ID]
			}
		}
		t.Fatalf("no flow log of %s on %s", rule, resource)
		return nil
	}
	tests := []struct {
		name   string
		change func(p *enginetest.Provider, s *spec.Spec)
		opts   engine.DriftOptions
		want   []string
		detail map[string]string // address → part of the finding's detail
	}{
		{"in sync", func(*enginetest.Provider, *spec.Spec) {}, engine.DriftOptions{}, nil, nil},
		{"a flow log deleted out of band leaves its VPC unlogged", func(p *enginetest.Provider, _ *spec.Spec) {
			p.World.DeleteFlowLog(flowLogOf(p, "prod-vpcs", "vpc-a1").ID)
		}, engine.DriftOptions{}, []string{"missing high " + vpcA1}, map[string]string{vpcA1: "vpc-a1 has no flow log at all: it is unlogged"}},
		{"a new VPC the selector matches", func(p *enginetest.Provider, _ *spec.Spec) {
			p.World.AddTarget(acctA, "us-east-1", engine.Target{Kind: spec.TargetVPC, ID: "vpc-new", State: "available", Tags: map[string]string{"env": "prod"}})
		}, engine.DriftOptions{}, []string{"missing high " + acctA + "/us-east-1/flow_log/prod-vpcs/vpc-new"}, nil},
		{"a flow log replaced by another of other settings", func(p *enginetest.Provider, _ *spec.Spec) {
			flowLogOf(p, "prod-vpcs", "vpc-a1").FlowLog.TrafficType = "REJECT"
		}, engine.DriftOptions{}, []string{"modified medium " + vpcA1}, map[string]string{vpcA1: "traffic_type: REJECT → ALL"}},
		{"a flow log's tags changed", func(p *enginetest.Provider, _ *spec.Spec) {
			flowLogOf(p, "prod-vpcs", "vpc-a1").Tags["owner"] = "someone"
		}, engine.DriftOptions{}, []string{"modified low " + vpcA1}, nil},
		{"log group retention changed", func(p *enginetest.Provider, _ *spec.Spec) {
			p.World.SetLogGroupRetention(acctA, "us-east-1", "/vpc-flow-logs/111111111111/us-east-1", 7)
		}, engine.DriftOptions{}, []string{"modified medium " + groupA}, map[string]string{groupA: "retention_days: 7 → 30"}},
		{"log group deleted under live flow logs", func(p *enginetest.Provider, _ *spec.Spec) {
			delete(p.World.LogGroups, groupName)
		}, engine.DriftOptions{}, []string{"modified medium " + groupA, "unhealthy high " + vpcA1},
			map[string]string{vpcA1: "its log group /vpc-flow-logs/111111111111/us-east-1 was deleted"}},
		{"the delivery role's trust changed, and delivery fails", func(p *enginetest.Provider, _ *spec.Spec) {
			p.World.Roles[acctA+"/flowplan-flow-logs"].Role.AssumeRolePolicy = `{"Version":"2012-10-17","Statement":[]}`
			f := flowLogOf(p, "prod-vpcs", "vpc-a1")
			f.FlowLog.Status = &engine.FlowLogStatus{FlowLogStatus: "ACTIVE", DeliverLogsStatus: "FAILED", DeliverLogsErrorMessage: "Access error"}
		}, engine.DriftOptions{}, []string{"modified medium " + roleA, "unhealthy high " + vpcA1},
			map[string]string{vpcA1: "likely cause: the trust policy of its delivery role flowplan-flow-logs was changed"}},
		{"the role's permissions removed", func(p *enginetest.Provider, _ *spec.Spec) {
			delete(p.World.RolePolicies, acctA+"/flowplan-flow-logs/flowplan-delivery")
		}, engine.DriftOptions{}, []string{"modified medium " + policyA}, nil},
		{"flowplan's bucket statement removed, and S3 delivery fails", func(p *enginetest.Provider, _ *spec.Spec) {
			p.World.Buckets["org-flow-logs"].Policy = `{"Version":"2012-10-17","Statement":[]}`
			flowLogOf(p, "central", "subnet-a1").FlowLog.Status = &engine.FlowLogStatus{DeliverLogsStatus: "FAILED", DeliverLogsErrorMessage: "Access error"}
		}, engine.DriftOptions{}, []string{
			"unhealthy high " + subnetA1,
			"modified medium " + aclcheck,
			"modified medium " + bucketOwner + "/global/s3_bucket_policy_statement/org-flow-logs/flowplan-org-" + engine.WriteStatementKind("subnets/"),
		}, map[string]string{subnetA1: "likely cause: flowplan's statement flowplan-org-aclcheck in the policy of bucket org-flow-logs was removed or changed"}},
		{"a Deny of the log delivery service in someone else's statement", func(p *enginetest.Provider, _ *spec.Spec) {
			b := p.World.Buckets["org-flow-logs"]
			b.Policy = strings.Replace(b.Policy, `"Statement":[`, `"Statement":[{"Sid":"NoLogs","Effect":"Deny","Principal":{"Service":"delivery.logs.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::org-flow-logs/*"},`, 1)
			flowLogOf(p, "central", "subnet-a1").FlowLog.Status = &engine.FlowLogStatus{DeliverLogsStatus: "FAILED", DeliverLogsErrorMessage: "Access error"}
		}, engine.DriftOptions{}, []string{"unhealthy high " + subnetA1}, map[string]string{subnetA1: `statement "NoLogs" of the policy of bucket org-flow-logs denies the log delivery service`}},
		// The bucket is no longer the spec's, so it is not read: its
		// statements are not reported.
		{"a rule removed without prune orphans its flow logs", func(p *enginetest.Provider, s *spec.Spec) {
			s.Rules = s.Rules[:1]
		}, engine.DriftOptions{}, []string{
			"orphaned low " + subnetA1,
			"orphaned low " + acctB + "/us-east-1/flow_log/central/subnet-b1",
		}, nil},
		{"an unmanaged flow log is reported, and is drift only with --strict", func(p *enginetest.Provider, _ *spec.Spec) {
			p.World.AddFlowLog(acctA, "us-east-1", &engine.Resource{ID: "fl-hand", FlowLog: &engine.FlowLog{ResourceID: "vpc-a1", ResourceType: "VPC",
				TrafficType: "REJECT", DestinationType: engine.DestS3, Destination: "arn:aws:s3:::elsewhere"}})
		}, engine.DriftOptions{}, []string{"unmanaged low " + acctA + "/us-east-1/flow_log/vpc-a1/fl-hand (not drift)"}, nil},
		{"strict", func(p *enginetest.Provider, _ *spec.Spec) {
			p.World.AddFlowLog(acctA, "us-east-1", &engine.Resource{ID: "fl-hand", FlowLog: &engine.FlowLog{ResourceID: "vpc-a1", ResourceType: "VPC",
				TrafficType: "REJECT", DestinationType: engine.DestS3, Destination: "arn:aws:s3:::elsewhere"}})
		}, engine.DriftOptions{Strict: true}, []string{"unmanaged low " + acctA + "/us-east-1/flow_log/vpc-a1/fl-hand"}, nil},
		{"another spec's flow log in the way", func(p *enginetest.Provider, _ *spec.Spec) {
			f := flowLogOf(p, "prod-vpcs", "vpc-a1")
			p.World.DeleteFlowLog(f.ID)
			other := *f
			other.ID, other.Tags = "fl-other", map[string]string{engine.TagSpec: "other", engine.TagRule: "x"}
			fl := *f.FlowLog
			fl.MaxAggregationInterval = 60
			other.FlowLog = &fl
			p.World.AddFlowLog(acctA, "us-east-1", &other)
		}, engine.DriftOptions{}, []string{"missing high " + vpcA1, "conflict medium " + acctA + "/us-east-1/flow_log/vpc-a1/fl-other"}, nil},
		{"ignored kinds are left out", func(p *enginetest.Provider, _ *spec.Spec) {
			p.World.DeleteFlowLog(flowLogOf(p, "prod-vpcs", "vpc-a1").ID)
		}, engine.DriftOptions{Ignore: []engine.DriftKind{engine.DriftMissing}}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, s := fixture(false)
			apply(t, p, makePlan(t, p, s, engine.Options{}), engine.Options{})
			tt.change(p, s)
			sv, err := engine.MakeSurvey(context.Background(), p, s, engine.Options{})
			if err != nil {
				t.Fatal(err)
			}
			p.ResetCalls()
			d := engine.DetectDrift(sv, tt.opts)
			if len(p.Calls()) != 0 {
				t.Errorf("DetectDrift called the provider: %v", p.Calls())
			}
			if diff := cmp.Diff(tt.want, driftLines(d)); diff != "" {
				t.Fatalf("findings (-want +got):\n%s", diff)
			}
			drifted := false
			for _, f := range d.Findings {
				drifted = drifted || f.Drift
				if f.Fix == "" || f.Detail == "" {
					t.Errorf("%s %s has no fix or no detail: %+v", f.Kind, f.Addr, f)
				}
				if want, ok := tt.detail[f.Addr.String()]; ok && !strings.Contains(f.Detail, want) {
					t.Errorf("detail of %s = %q, want it to contain %q", f.Addr, f.Detail, want)
				}
			}
			if d.Drifted() != drifted {
				t.Errorf("Drifted() = %v, findings say %v", d.Drifted(), drifted)
			}
		})
	}
}

// Fixes name the change that puts the drift right, as a command.
func TestDriftFixesAreCommands(t *testing.T) {
	p, s := fixture(false)
	apply(t, p, makePlan(t, p, s, engine.Options{}), engine.Options{})
	for _, f := range p.World.FlowLogsOn("vpc-a1") {
		p.World.DeleteFlowLog(f.ID)
	}
	sv, err := engine.MakeSurvey(context.Background(), p, s, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := engine.DetectDrift(sv, engine.DriftOptions{})
	want := "flowplan apply -f org.yaml --target " + acctA + "/us-east-1/flow_log/prod-vpcs/vpc-a1"
	if len(d.Findings) != 1 || d.Findings[0].Fix != want {
		t.Errorf("findings = %+v, want one whose fix is %q", d.Findings, want)
	}
}

// TestDriftWithUnreadableScopes: a scope whose discovery fails is in
// Unknown, and no finding is about it; the scopes that could be read are
// reported as usual. The shared resources the plan builds from the
// account's scopes (its delivery role and policy) are planned as if the
// unread scope had no flow logs, so their findings say that they may not
// be drift.
func TestDriftWithUnreadableScopes(t *testing.T) {
	const unsure = "this may not be drift: what the spec wants of it depends on "
	for _, tt := range []struct {
		name, scope string
		want        []string
		unsure      []string // findings whose detail says they may not be drift
	}{
		{"a region", acctA + "/eu-west-1", []string{
			"modified medium " + acctA + "/global/iam_role/flowplan-flow-logs",
			"modified medium " + acctA + "/global/iam_role_policy/flowplan-flow-logs/flowplan-delivery",
			"missing high " + acctA + "/us-east-1/flow_log/prod-vpcs/vpc-a1",
		}, []string{acctA + "/global/iam_role/flowplan-flow-logs", acctA + "/global/iam_role_policy/flowplan-flow-logs/flowplan-delivery"}},
		// flowplan's bucket statements name every account a rule applies
		// to, read or not, so an unread account changes none of them.
		{"an account", acctB, []string{
			"missing high " + acctA + "/us-east-1/flow_log/prod-vpcs/vpc-a1",
		}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, s := fixture(false)
			apply(t, p, makePlan(t, p, s, engine.Options{}), engine.Options{})
			for _, f := range p.World.FlowLogsOn("vpc-a1") {
				p.World.DeleteFlowLog(f.ID)
			}
			p.DiscoverErrors = map[string]error{tt.scope: errors.New("AccessDenied: not authorized")}
			sv, err := engine.MakeSurvey(context.Background(), p, s, engine.Options{})
			if err != nil {
				t.Fatal(err)
			}
			d := engine.DetectDrift(sv, engine.DriftOptions{})
			if diff := cmp.Diff(tt.want, driftLines(d)); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			for _, f := range d.Findings {
				if f.Addr.HasPrefix(tt.scope) {
					t.Errorf("a finding in the unread scope %s: %+v", tt.scope, f)
				}
				if got, want := strings.Contains(f.Detail, unsure+tt.scope+", which could not be read"), slices.Contains(tt.unsure, f.Addr.String()); got != want {
					t.Errorf("%s: says it may not be drift: %v, want %v (detail %q)", f.Addr, got, want, f.Detail)
				}
			}
			unknown := d.Unknown()
			if len(unknown) != 1 || unknown[0].Scope != tt.scope || unknown[0].Planning() {
				t.Errorf("Unknown() = %+v, want the discovery error of %s", unknown, tt.scope)
			}
			if !d.Drifted() {
				t.Error("Drifted() = false with a missing flow log")
			}
		})
	}
}

// A planning error is not an unknown scope: the scope was read, and the
// error is reported as a conflict finding.
func TestDriftUnknownLeavesOutPlanningErrors(t *testing.T) {
	d := &engine.Drift{Errors: []engine.ScopeError{
		{Scope: acctA + "/us-east-1", Code: "AccessDenied", Message: "no", Stage: engine.StageDiscover},
		{Scope: bucketOwner + "/s3/org-flow-logs", Code: engine.CodeBucketPolicyTooLarge, Message: "too large", Stage: engine.StagePlan},
		{Scope: acctB, Code: "AccessDenied", Message: "no"},
	}}
	var got []string
	for _, e := range d.Unknown() {
		got = append(got, e.Scope)
	}
	if diff := cmp.Diff([]string{acctA + "/us-east-1", acctB}, got); diff != "" {
		t.Errorf("Unknown() (-want +got):\n%s", diff)
	}
}
