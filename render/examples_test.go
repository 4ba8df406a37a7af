package render

import (
	"fmt"

	"github.com/flowplan/flowplan/engine"
)

// This file builds the examples of docs/plan-json.md and
// docs/drift-json.md (doc_test.go checks the docs against this package's
// output of them). The goldens render real plans instead
// (emuworld_test.go).

const defaultFormat = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} " +
	"${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"

func addr(account, region string, kind engine.Kind, name string) engine.Addr {
	return engine.Addr{Account: account, Region: region, Kind: kind, Name: name}
}

func ownerTags(rule string, extra ...string) map[string]string {
	t := map[string]string{engine.TagSpec: "prod", engine.TagRule: rule}
	for i := 0; i+1 < len(extra); i += 2 {
		t[extra[i]] = extra[i+1]
	}
	return t
}

func roleARN(account, name string) string { return "arn:aws:iam::" + account + ":role/" + name }

func logGroupARN(account, region string) string {
	return fmt.Sprintf("arn:aws:logs:%s:%s:log-group:/vpc-flow-logs/%s/%s", region, account, account, region)
}

// cwFlowLog is a managed VPC flow log to CloudWatch Logs.
func cwFlowLog(account, region, rule, vpc, id, traffic string) *engine.Resource {
	return &engine.Resource{
		Addr: addr(account, region, engine.KindFlowLog, rule+"/"+vpc),
		ID:   id,
		Tags: ownerTags(rule),
		FlowLog: &engine.FlowLog{
			ResourceID: vpc, ResourceType: "VPC", TrafficType: traffic,
			DestinationType: "cloud-watch-logs", Destination: logGroupARN(account, region),
			DeliverLogsPermissionARN: roleARN(account, "flowplan-flow-logs"),
			LogFormat:                defaultFormat, MaxAggregationInterval: 600,
		},
	}
}

// examplePlan is the example in docs/plan-json.md.
func examplePlan() *engine.Plan {
	const a = "111111111111"
	newer := cwFlowLog(a, "us-east-1", "prod-vpcs", "vpc-0aaa", "", "ALL")
	before := cwFlowLog(a, "us-east-1", "prod-vpcs", "vpc-0bbb", "fl-0bbb", "REJECT")
	after := cwFlowLog(a, "us-east-1", "prod-vpcs", "vpc-0bbb", "", "ALL")
	delete(before.Tags, engine.TagRule)
	delete(after.Tags, engine.TagRule)
	delete(newer.Tags, engine.TagRule)
	before.FlowLog.Status = &engine.FlowLogStatus{FlowLogStatus: "ACTIVE", DeliverLogsStatus: "SUCCESS", CreationTime: "2026-01-02T03:04:05Z"}
	return &engine.Plan{
		FormatVersion: engine.PlanFormatVersion,
		ID:            "7d1c2f0a9b8e4d6c",
		Spec:          engine.SpecRef{Name: "prod", File: "flowplan.yaml", SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
		Accounts: []engine.Account{{ID: a, Alias: "prod-main", Regions: []string{"us-east-1"},
			AssumeRole: roleARN(a, "flowplan-exec"), ExternalID: secretExternalID, Source: "accounts"}},
		Changes: []*engine.Change{
			{Addr: newer.Addr, Action: engine.Create, After: newer,
				Reason:      "no flow log with this configuration on vpc-0aaa",
				DependsOn:   []engine.Addr{addr(a, engine.GlobalRegion, engine.KindRole, "flowplan-flow-logs")},
				Fingerprint: "sha256:5e8f"},
			{Addr: before.Addr, Action: engine.Replace, Before: before, After: after,
				Diffs:       []engine.AttrDiff{{Attr: "traffic_type", Before: "REJECT", After: "ALL", ForcesReplacement: true}},
				Reason:      "traffic_type: REJECT → ALL forces replacement",
				Fingerprint: "sha256:a41c"},
		},
		Notes: []engine.Note{{Kind: engine.NoteUnmanaged, Addr: addr(a, "us-east-1", engine.KindFlowLog, "vpc-0aaa/fl-0hand"),
			Message: "flow log without flowplan's ownership tags; kept, never touched"}},
		Errors: []engine.ScopeError{{Scope: "222222222222/us-east-1", Code: "AccessDenied", Message: "describe flow logs: not authorized"}},
	}
}

// exampleResult is the result example in docs/plan-json.md.
func exampleResult() *engine.Result {
	r := cwFlowLog("111111111111", "us-east-1", "prod-vpcs", "vpc-0aaa", "fl-0new", "ALL")
	delete(r.Tags, engine.TagRule)
	return &engine.Result{Changes: []engine.ChangeResult{
		{Addr: r.Addr, Action: engine.Create, Status: engine.StatusApplied, Resource: r},
		{Addr: addr("111111111111", "us-east-1", engine.KindFlowLog, "prod-vpcs/vpc-0bbb"), Action: engine.Replace, Status: engine.StatusFailed,
			Error: "create flow log 111111111111/us-east-1/flow_log/prod-vpcs/vpc-0bbb: InvalidParameter: ..."},
	}}
}

// exampleDrift is the drift of docs/drift-json.md's example.
func exampleDrift() *engine.Drift {
	fl := engine.ManagedFlowLogAddr("111111111111", "us-east-1", "prod-vpcs", "vpc-0aaa")
	return &engine.Drift{
		Spec:     engine.SpecRef{Name: "prod", File: "flowplan.yaml", SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
		Accounts: []engine.Account{{ID: "111111111111", Regions: []string{"us-east-1"}, Source: "accounts"}, {ID: "222222222222", Regions: []string{"us-east-1"}, Source: "accounts"}},
		Findings: []engine.Finding{
			{Kind: engine.DriftMissing, Severity: engine.SeverityHigh, Addr: fl, ResourceID: "vpc-0aaa",
				Expected: "ALL to s3 arn:aws:s3:::org-flow-logs, default format, 600 s", Actual: "no flow log",
				Detail: "vpc-0aaa has no flow log at all: it is unlogged", Fix: engine.FixCommand("flowplan.yaml", fl), Drift: true},
			{Kind: engine.DriftUnmanaged, Severity: engine.SeverityLow, Addr: engine.OtherFlowLogAddr("111111111111", "us-east-1", "vpc-0bbb", "fl-0bbb"),
				ResourceID: "fl-0bbb", Actual: "REJECT to cloud-watch-logs arn:aws:logs:us-east-1:111111111111:log-group:legacy, default format, 600 s",
				Detail: "flow log fl-0bbb on vpc-0bbb is not managed by this spec (no flowplan ownership tags); never modified", Fix: "none needed; flowplan never touches it"},
		},
		Errors: []engine.ScopeError{{Scope: "222222222222/us-east-1", Code: "AccessDenied", Message: "discover region: not authorized to perform ec2:DescribeFlowLogs", Stage: engine.StageDiscover}},
	}
}
