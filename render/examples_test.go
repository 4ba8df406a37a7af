package render

import "github.com/flowplan/flowplan/engine"

// exampleDrift is the drift report of docs/drift-json.md's example
// (doc_test.go checks the doc against this package's output of it). The
// plan goldens and docs/plan-json.md's examples render real plans instead
// (emuworld_test.go).
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
