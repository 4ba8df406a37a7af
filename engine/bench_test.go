package engine

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/flowplan/flowplan/spec"
	"github.com/flowplan/flowplan/spec/logformat"
)

// orgScale builds an organisation of 500 accounts × 4 regions × 20 VPCs
// (40,000 flow logs), a spec that logs every VPC to CloudWatch Logs, and a
// current state where everything already exists, shaped as AWS returns it
// (":*" ARNs, URL-encoded policies, no resource type) with 1% of flow logs
// drifted.
func orgScale(b *testing.B) (*spec.Spec, []Account, *State) {
	b.Helper()
	regions := []string{"us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"}
	s := &spec.Spec{
		Name: "org", DeliveryRoles: []spec.DeliveryRole{{Name: "flowplan-flow-logs", Path: "/"}},
		Rules: []spec.Rule{{
			Name: "all-vpcs", Targets: spec.Targets{VPCs: &spec.Selector{Tags: map[string]string{"env": "*"}}},
			TrafficType: "ALL", MaxAggregationInterval: 600, LogFormat: logformat.DefaultVPC,
			Destination: spec.Destination{CloudWatchLogs: &spec.CloudWatchLogs{LogGroup: "/vpc-flow-logs/{account_id}/{region}", RetentionDays: 90, DeliveryRole: "flowplan-flow-logs"}},
			Tags:        map[string]string{"owner": "network"},
		}},
	}
	current := NewState()
	var accounts []Account
	for i := 0; i < 500; i++ {
		a := Account{ID: fmt.Sprintf("%012d", 100000000000+i), Regions: regions}
		accounts = append(accounts, a)
		for _, r := range regions {
			var ts []Target
			for v := 0; v < 20; v++ {
				ts = append(ts, Target{Kind: spec.TargetVPC, ID: fmt.Sprintf("vpc-%08x%02x%02x", i, len(ts), len(r)), State: "available", Tags: map[string]string{"env": "prod"}})
			}
			current.Targets[scopeKey(a.ID, r)] = ts
		}
	}
	desired, err := Expand(s, accounts, current)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, r := range desired.Resources {
		c := *r
		c.Tags = r.Tags
		switch {
		case r.FlowLog != nil:
			f := *r.FlowLog
			f.ResourceType, f.Destination = "", f.Destination+":*"
			if n++; n%100 == 0 {
				f.TrafficType = "REJECT"
			}
			c.FlowLog, c.ID = &f, fmt.Sprintf("fl-%08x", n)
			c.Addr.Name = f.ResourceID + "/" + c.ID
		case r.Role != nil:
			role := *r.Role
			role.AssumeRolePolicy = url.PathEscape(role.AssumeRolePolicy)
			c.Role = &role
		case r.RolePolicy != nil:
			p := *r.RolePolicy
			p.Document = url.PathEscape(p.Document)
			c.RolePolicy = &p
		}
		current.Add(&c)
	}
	return s, accounts, current
}

func BenchmarkDiff(b *testing.B) {
	s, accounts, current := orgScale(b)
	desired, err := Expand(s, accounts, current)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var p *Plan
	for i := 0; i < b.N; i++ {
		p = Diff(current, desired)
	}
	b.StopTimer()
	if c := p.Counts(); c[Replace] != 400 || c[NoOp] != len(desired.Resources)-400 {
		b.Fatalf("unexpected plan: %v", c)
	}
}

func BenchmarkExpand(b *testing.B) {
	s, accounts, current := orgScale(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Expand(s, accounts, current); err != nil {
			b.Fatal(err)
		}
	}
}
