package starter

import (
	"context"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/engine/enginetest"
	"github.com/flowplan/flowplan/spec"
	"github.com/flowplan/flowplan/spec/logformat"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

const (
	prod    = "111111111111"
	staging = "222222222222"
	useast  = "us-east-1"
	euwest  = "eu-west-1"
)

func vpc(id string, tags map[string]string) engine.Target {
	return engine.Target{Kind: spec.TargetVPC, ID: id, Tags: tags, State: "available"}
}

func flowLog(resourceID, trafficType, destType, dest, role string, tags map[string]string) *engine.Resource {
	return &engine.Resource{Tags: tags, FlowLog: &engine.FlowLog{
		ResourceID: resourceID, TrafficType: trafficType, DestinationType: destType, Destination: dest,
		DeliverLogsPermissionARN: role, LogFormat: logformat.Default(logformat.TargetVPC), MaxAggregationInterval: 600,
	}}
}

// world is an estate with flow logs made by hand and by Terraform:
//   - prod us-east-1: two env=prod VPCs to a bucket, a third VPC without;
//   - prod eu-west-1 and staging us-east-1: one VPC each, tagged
//     logging=cloudwatch, rejects to /flowlogs/<account> with a legacy
//     role of that account (one rule, with templates);
//   - prod's transit gateway to the bucket, its only one (all);
//   - a flow log another flowplan spec manages (left alone);
//   - a second configuration on a VPC to the same bucket (left out).
func world() *enginetest.Provider {
	p := enginetest.New()
	w := p.World
	w.Accounts = []engine.Account{
		{ID: prod, Regions: []string{euwest, useast}, Source: "accounts"},
		{ID: staging, Regions: []string{useast}, AssumeRole: "arn:aws:iam::222222222222:role/Runner", Source: "accounts"},
	}
	w.AddTarget(prod, useast, vpc("vpc-0a1", map[string]string{"env": "prod", "Name": "a1"}))
	w.AddTarget(prod, useast, vpc("vpc-0a2", map[string]string{"env": "prod", "team": "data"}))
	w.AddTarget(prod, useast, vpc("vpc-0a3", map[string]string{"env": "dev"}))
	w.AddTarget(prod, useast, engine.Target{Kind: spec.TargetTransitGateway, ID: "tgw-0t1", State: "available"})
	w.AddTarget(prod, euwest, vpc("vpc-0c1", map[string]string{"logging": "cloudwatch"}))
	w.AddTarget(prod, euwest, vpc("vpc-0c2", nil))
	w.AddTarget(staging, useast, vpc("vpc-0b1", map[string]string{"logging": "cloudwatch"}))
	w.AddTarget(staging, useast, vpc("vpc-0b2", map[string]string{"env": "prod"}))

	w.AddFlowLog(prod, useast, flowLog("vpc-0a1", "ALL", "s3", "arn:aws:s3:::central-logs", "", map[string]string{"team": "netsec"}))
	w.AddFlowLog(prod, useast, flowLog("vpc-0a2", "ALL", "s3", "arn:aws:s3:::central-logs/", "", nil))
	w.AddFlowLog(prod, useast, flowLog("vpc-0a2", "REJECT", "s3", "arn:aws:s3:::central-logs", "", nil))
	tgw := flowLog("tgw-0t1", "", "s3", "arn:aws:s3:::central-logs", "", nil)
	tgw.FlowLog.MaxAggregationInterval, tgw.FlowLog.LogFormat = 60, logformat.Default(logformat.TargetTransitGateway)
	w.AddFlowLog(prod, useast, tgw)
	w.AddFlowLog(prod, useast, flowLog("vpc-0a3", "ALL", "s3", "arn:aws:s3:::other-spec-logs", "", map[string]string{engine.TagSpec: "other", engine.TagRule: "r"}))
	// A prefix the spec language refuses ("AWSLogs" is AWS's own folder):
	// left out with the spec's reason.
	w.AddFlowLog(prod, useast, flowLog("vpc-0a3", "ALL", "s3", "arn:aws:s3:::central-logs/AWSLogs/", "", nil))
	for _, a := range []struct{ account, region, vpc string }{{prod, euwest, "vpc-0c1"}, {staging, useast, "vpc-0b1"}} {
		name := "/flowlogs/" + a.account
		w.AddLogGroup(a.account, a.region, name, 30, nil)
		w.AddRole(a.account, engine.Role{Name: "legacy", Path: "/"}, nil)
		w.AddFlowLog(a.account, a.region, flowLog(a.vpc, "REJECT", "cloud-watch-logs", "arn:aws:logs:"+a.region+":"+a.account+":log-group:"+name, "arn:aws:iam::"+a.account+":role/legacy", nil))
	}
	return p
}

func discover(t *testing.T, p *enginetest.Provider) *Inventory {
	t.Helper()
	inv, err := Discover(context.Background(), p, &spec.Spec{Name: "x"}, 4)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func TestWriteGolden(t *testing.T) {
	inv := discover(t, world())
	res, err := Write(inv, Options{Name: "imported", File: "flowplan.yaml", Source: "--account flags"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rules != 3 || res.Described != 5 || len(res.Left) != 3 {
		t.Errorf("rules %d, described %d, left %q; want 3, 5 and 3 left", res.Rules, res.Described, res.Left)
	}
	checkGolden(t, "testdata/starter.golden", string(res.YAML))
}

// The point of init: the first plan of its spec adopts what exists and
// creates or replaces nothing; after apply, a plan is empty.
func TestStarterSpecPlansAdoptsOnly(t *testing.T) {
	p := world()
	inv := discover(t, p)
	res, err := Write(inv, Options{Name: "imported", File: "flowplan.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := spec.Parse("flowplan.yaml", res.YAML)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	plan, err := engine.MakePlan(ctx, p, s, engine.Options{Parallelism: 4})
	if err != nil {
		t.Fatal(err)
	}
	adopts := 0
	for _, c := range plan.Changes {
		switch c.Action {
		case engine.Adopt:
			adopts++
		case engine.NoOp:
		default:
			t.Errorf("the first plan %ss %s: %s", c.Action, c.Addr, c.Reason)
		}
	}
	if adopts != res.Described {
		t.Errorf("the first plan adopts %d flow logs, want the %d described", adopts, res.Described)
	}
	if _, err := engine.Apply(ctx, p, plan, engine.Options{Parallelism: 4}); err != nil {
		t.Fatal(err)
	}
	again, err := engine.MakePlan(ctx, p, s, engine.Options{Parallelism: 4})
	if err != nil {
		t.Fatal(err)
	}
	if !again.Empty() {
		for _, c := range again.Changes {
			if c.Action != engine.NoOp {
				t.Errorf("after apply the plan still has %s %s: %s", c.Action, c.Addr, c.Reason)
			}
		}
	}
}

func TestChooseSelector(t *testing.T) {
	a := vpc("vpc-a", map[string]string{"env": "prod", "Name": "a", "team": "x"})
	b := vpc("vpc-b", map[string]string{"env": "prod", "Name": "a", "team": "y"})
	c := vpc("vpc-c", map[string]string{"env": "dev", "team": "x"})
	d := vpc("vpc-d", map[string]string{"env": "prod"})
	tests := []struct {
		name    string
		in, out []engine.Target
		want    string
	}{
		{"no others: all", []engine.Target{a, b}, nil, "all"},
		{"a tag only they carry", []engine.Target{a, b}, []engine.Target{c}, "env=prod"},
		{"Name never chosen", []engine.Target{a}, []engine.Target{c, d}, "ids vpc-a"},
		{"the tag is on another too: ids", []engine.Target{a, b}, []engine.Target{d}, "ids vpc-a vpc-b"},
		{"first key wins", []engine.Target{a}, []engine.Target{d}, "team=x"},
	}
	for _, tt := range tests {
		var ids []string
		for _, x := range tt.in {
			ids = append(ids, x.ID)
		}
		s := choose(spec.TargetVPC, ids, tt.in, tt.out)
		got := "ids " + strings.Join(s.ids, " ")
		switch {
		case s.all:
			got = "all"
		case s.tag[0] != "":
			got = s.tag[0] + "=" + s.tag[1]
		}
		if got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestRuleNames(t *testing.T) {
	for in, want := range map[string]string{
		"s3-Central_Logs":       "s3-central-logs",
		"--x--":                 "x",
		"":                      "flow-logs",
		strings.Repeat("a", 80): strings.Repeat("a", 56),
	} {
		if got := ruleName(in); got != want {
			t.Errorf("ruleName(%q) = %q, want %q", in, got, want)
		}
	}
}

func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (run with -update after an intended change):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
