package render

import (
	"bytes"
	"context"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/engine/enginetest"
	"github.com/flowplan/flowplan/spec"
	"github.com/flowplan/flowplan/spec/logformat"
)

const auditDocPath = "../docs/audit-json.md"

// docAuditTime is when the documented audit ran.
var docAuditTime = time.Date(2026, 12, 3, 6, 0, 0, 0, time.UTC)

// docAudit is a real audit: the engine's, of a fake estate after an apply
// and three out-of-band changes, with evidence from a fake reader: one
// unit of each status, one compliant through its VPC, and one stale (a VPC without
// interfaces).
func docAudit(t *testing.T) (*engine.Audit, AuditHeader) {
	t.Helper()
	ctx := context.Background()
	const acct, other = "111111111111", "222222222222"
	p := enginetest.New()
	w := p.World
	w.AddTarget(acct, "us-east-1", engine.Target{Kind: spec.TargetVPC, ID: "vpc-0a1", State: "available", Tags: map[string]string{"Name": "web", "env": "prod"}})
	w.AddTarget(acct, "us-east-1", engine.Target{Kind: spec.TargetVPC, ID: "vpc-0a2", State: "available", Tags: map[string]string{"Name": "db", "env": "prod"}})
	w.AddTarget(acct, "us-east-1", engine.Target{Kind: spec.TargetVPC, ID: "vpc-0a3", State: "available", Tags: map[string]string{"Name": "legacy", "env": "prod"}})
	w.AddTarget(acct, "us-east-1", engine.Target{Kind: spec.TargetVPC, ID: "vpc-0a4", State: "available", Tags: map[string]string{"Name": "batch", "env": "prod"}})
	w.AddTarget(acct, "us-east-1", engine.Target{Kind: spec.TargetSubnet, ID: "subnet-0a1", VPCID: "vpc-0a1", State: "available", Tags: map[string]string{"Name": "web-app", "tier": "app"}})
	w.AddTarget(acct, "us-east-1", engine.Target{Kind: spec.TargetNetworkInterface, ID: "eni-0a1", VPCID: "vpc-0a1", SubnetID: "subnet-0a1"})
	w.AddTarget(other, "us-east-1", engine.Target{Kind: spec.TargetVPC, ID: "vpc-0b1", State: "available", Tags: map[string]string{"env": "prod"}})
	s := &spec.Spec{
		Name: "prod", File: "flowplan.yaml", SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", Version: 1,
		Accounts:      []spec.Account{{ID: acct, Alias: "prod", Regions: []string{"us-east-1"}}, {ID: other, Regions: []string{"us-east-1"}}},
		DeliveryRoles: []spec.DeliveryRole{{Name: "flowplan-flow-logs", Path: "/"}},
		Rules: []spec.Rule{
			{Name: "prod-vpcs", Targets: spec.Targets{VPCs: &spec.Selector{Tags: map[string]string{"env": "prod"}}},
				TrafficType: "ALL", MaxAggregationInterval: 60, LogFormat: logformat.DefaultVPC,
				Destination: spec.Destination{CloudWatchLogs: &spec.CloudWatchLogs{LogGroup: "/flowplan/{region}", RetentionDays: 365, DeliveryRole: "flowplan-flow-logs"}}},
			{Name: "app-subnets", Targets: spec.Targets{Subnets: &spec.Selector{Tags: map[string]string{"tier": "app"}}},
				TrafficType: "ALL", MaxAggregationInterval: 60, LogFormat: logformat.DefaultVPC,
				Destination: spec.Destination{CloudWatchLogs: &spec.CloudWatchLogs{LogGroup: "/flowplan/{region}", RetentionDays: 365, DeliveryRole: "flowplan-flow-logs"}}},
		},
	}
	plan, err := engine.MakePlan(ctx, p, s, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// One batch at a time: the fake numbers flow logs in the order it
	// makes them, and the example must not depend on scheduling.
	if _, err := engine.Apply(ctx, p, plan, engine.Options{Parallelism: 1}); err != nil {
		t.Fatal(err)
	}
	// IDs after the resource, whatever order the fake made them in.
	byResource := map[string]*engine.Resource{}
	for id, f := range w.FlowLogs {
		delete(w.FlowLogs, id)
		f.ID = map[string]string{"vpc-0a1": "fl-0a1", "vpc-0a2": "fl-0a2", "vpc-0a3": "fl-0a3", "vpc-0a4": "fl-0a4", "subnet-0a1": "fl-0c1", "vpc-0b1": "fl-0b1"}[f.FlowLog.ResourceID]
		byResource[f.ID] = f
	}
	for id, f := range byResource {
		w.FlowLogs[id] = f
	}
	if len(w.FlowLogs) != 6 {
		t.Fatalf("%d flow logs after apply, want 6", len(w.FlowLogs))
	}
	created := docAuditTime.Add(-48 * time.Hour).Format(time.RFC3339)
	for id, f := range w.FlowLogs {
		f.FlowLog.Status = &engine.FlowLogStatus{FlowLogStatus: "ACTIVE", DeliverLogsStatus: "SUCCESS", CreationTime: created}
		switch f.FlowLog.ResourceID {
		case "vpc-0a2": // db: someone made it log accepted traffic only
			f.FlowLog.TrafficType, f.FlowLog.MaxAggregationInterval = "ACCEPT", 600
		case "vpc-0a3": // legacy: deleted out of band
			delete(w.FlowLogs, id)
		case "subnet-0a1": // logged through its VPC's flow log
			delete(w.FlowLogs, id)
		}
	}
	p.DiscoverErrors = map[string]error{other + "/us-east-1": errors.New("UnauthorizedOperation: not authorized to perform ec2:DescribeFlowLogs")}
	sv, err := engine.MakeSurvey(ctx, p, s, engine.Options{AlsoRead: []spec.TargetKind{spec.TargetNetworkInterface}})
	if err != nil {
		t.Fatal(err)
	}
	a, err := engine.MakeAudit(s, sv, engine.AuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := docDeliveries{"/flowplan/us-east-1": {"eni-0a1-all": docAuditTime.Add(-4 * time.Minute)}}
	engine.CollectEvidence(ctx, r, a, sv.Current, engine.EvidenceOptions{MaxAge: time.Hour, Now: docAuditTime})
	return a, AuditHeader{GeneratedAt: docAuditTime, Version: "v0.1.0",
		Caller: Caller{ARN: "arn:aws:sts::111111111111:assumed-role/FlowplanAudit/ci", Account: acct, UserID: "AROAEXAMPLEID:ci"}}
}

// docDeliveries answers ReadDeliveries with log streams per log group.
type docDeliveries map[string]map[string]time.Time

func (d docDeliveries) ReadDeliveries(_ context.Context, q engine.DeliveryQuery) (*engine.Deliveries, error) {
	return &engine.Deliveries{Streams: d[q.LogGroup], Calls: 1}, nil
}

// TestAuditDoc checks docs/audit-json.md against the output: its example
// is a real audit's document (rewritten with -update), and every field
// has a row.
func TestAuditDoc(t *testing.T) {
	doc, err := os.ReadFile(auditDocPath)
	if err != nil {
		t.Fatal(err)
	}
	a, h := docAudit(t)
	var out bytes.Buffer
	if err := Audit(&out, a, h, AuditJSONFmt, Options{}); err != nil {
		t.Fatal(err)
	}
	got, replaced, err := exampleBlock(string(doc), "audit", out.String())
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(auditDocPath, []byte(replaced), 0o644); err != nil {
			t.Fatal(err)
		}
	} else if diff := cmp.Diff(out.String(), got); diff != "" {
		t.Errorf("audit example in %s is stale; run go test ./render -update (-want +got):\n%s", auditDocPath, diff)
	}
	for _, typ := range []reflect.Type{reflect.TypeOf(AuditJSON{}), reflect.TypeOf(AuditOptionsJSON{}), reflect.TypeOf(AuditCountsJSON{}),
		reflect.TypeOf(AuditUnitJSON{}), reflect.TypeOf(Caller{}), reflect.TypeOf(engine.Control{})} {
		for i := 0; i < typ.NumField(); i++ {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			if name != "" && name != "-" && !strings.Contains(string(doc), "`"+name+"`") {
				t.Errorf("%s does not document field %s of %s", auditDocPath, name, typ.Name())
			}
		}
	}
	for _, st := range engine.AuditStatuses {
		if !strings.Contains(string(doc), "| `"+string(st)+"` |") {
			t.Errorf("%s does not document status %s", auditDocPath, st)
		}
	}
	for _, st := range engine.EvidenceStatuses {
		if !strings.Contains(string(doc), "| `"+string(st)+"` |") {
			t.Errorf("%s does not document evidence status %s", auditDocPath, st)
		}
	}
	// The example shows every status.
	seen := map[engine.AuditStatus]bool{}
	for _, u := range a.Units {
		seen[u.Status] = true
	}
	if len(seen) != len(engine.AuditStatuses) || a.Summary.Stale == 0 {
		t.Errorf("the documented audit has statuses %v and %d stale, want all of %v and a stale one", seen, a.Summary.Stale, engine.AuditStatuses)
	}
}
