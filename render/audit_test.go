package render

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/engine/enginetest"
	"github.com/flowplan/flowplan/spec"
	"github.com/flowplan/flowplan/spec/logformat"
)

// The audit every format's golden file renders: real engine output, made
// by MakeSurvey, MakeAudit and CollectEvidence on the fake provider after
// an apply and changes behind flowplan's back, with a unit of each
// status.

const (
	auditAcctA  = "111111111111"
	auditAcctB  = "222222222222"
	auditBucket = "999999999999"
)

// auditNow is the audit's time: the header's, and evidence's clock.
var auditNow = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

// auditHeader is the evidence header of the golden audit.
var auditHeader = AuditHeader{
	GeneratedAt: auditNow,
	Caller:      Caller{ARN: "arn:aws:sts::111111111111:assumed-role/flowplan-audit/jane", Account: auditAcctA, UserID: "AROAEXAMPLEID:jane"},
	Version:     "0.9.0-test",
}

// hostileName is a Name tag that would load an image were it not escaped:
// the browser test fails on any request but the page.
const hostileName = `<img src="https://attacker.example/x.png" onerror="alert(1)"> 'db' & "cache"`

// auditDeliveries answers ReadDeliveries from maps: log group → stream →
// last ingestion, bucket → key → LastModified, log group → error.
type auditDeliveries struct {
	streams map[string]map[string]time.Time
	objects map[string]map[string]time.Time
	fail    map[string]error
}

func (f *auditDeliveries) ReadDeliveries(_ context.Context, q engine.DeliveryQuery) (*engine.Deliveries, error) {
	if err := f.fail[q.LogGroup]; err != nil {
		return nil, err
	}
	d := &engine.Deliveries{Calls: 1, Streams: maps.Clone(f.streams[q.LogGroup]), Objects: map[string]time.Time{}}
	for k, v := range f.objects[q.Bucket] {
		if strings.HasPrefix(k, q.KeyPrefix) && k > q.StartAfter {
			d.Objects[k] = v
		}
	}
	return d, nil
}

// goldenAudit builds the audit. Its units:
//   - 111111111111/us-east-1: vpc-a1 compliant (managed, fresh); vpc-a2
//     noncompliant (ACCEPT, FAILED delivery); subnet-a1 compliant via
//     vpc-a1 by an unmanaged flow log; subnet-a2 uncovered;
//   - 111111111111/eu-west-1: vpc-a3 compliant by an unmanaged flow log
//     (evidence unavailable: the read fails); subnet-a3 compliant;
//   - 111111111111/ap-southeast-2: no targets (n/a);
//   - 222222222222/us-east-1: vpc-b1 compliant and stale; subnet-b1
//     compliant, with a hostile Name tag;
//   - 222222222222/eu-west-1: cannot be read, so unknown for each rule.
func goldenAudit(t testing.TB) *engine.Audit {
	t.Helper()
	ctx := context.Background()
	p := enginetest.New()
	w := p.World
	vpc := func(id, env, name string) engine.Target {
		return engine.Target{Kind: spec.TargetVPC, ID: id, State: "available", Tags: map[string]string{"env": env, "Name": name}}
	}
	subnet := func(id, vpc, name string) engine.Target {
		return engine.Target{Kind: spec.TargetSubnet, ID: id, VPCID: vpc, State: "available", Tags: map[string]string{"Name": name}}
	}
	eni := func(id, vpc, subnet string) engine.Target {
		return engine.Target{Kind: spec.TargetNetworkInterface, ID: id, VPCID: vpc, SubnetID: subnet, State: "in-use"}
	}
	w.AddTarget(auditAcctA, "us-east-1", vpc("vpc-a1", "prod", "web-prod"))
	w.AddTarget(auditAcctA, "us-east-1", vpc("vpc-a2", "prod", "payments-prod"))
	w.AddTarget(auditAcctA, "us-east-1", vpc("vpc-a9", "dev", "sandbox"))
	w.AddTarget(auditAcctA, "us-east-1", subnet("subnet-a1", "vpc-a1", "web-prod-private-1a"))
	w.AddTarget(auditAcctA, "us-east-1", subnet("subnet-a2", "vpc-a9", "sandbox-1a"))
	w.AddTarget(auditAcctA, "us-east-1", eni("eni-0a1", "vpc-a1", "subnet-a1"))
	w.AddTarget(auditAcctA, "eu-west-1", vpc("vpc-a3", "prod", "analytics"))
	w.AddTarget(auditAcctA, "eu-west-1", subnet("subnet-a3", "vpc-a3", "analytics-1b"))
	w.AddTarget(auditAcctB, "us-east-1", vpc("vpc-b1", "prod", "batch"))
	w.AddTarget(auditAcctB, "us-east-1", subnet("subnet-b1", "vpc-b1", hostileName))
	w.AddTarget(auditAcctB, "us-east-1", eni("eni-0b1", "vpc-b1", "subnet-b1"))
	w.AddBucket("org-flow-logs", auditBucket, "")
	s := &spec.Spec{
		Name: "org", File: "specs/org.yaml", SHA256: "3f2a9c1b7d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071829304a5b6c7d8", Version: 1,
		Accounts: []spec.Account{
			{ID: auditAcctA, Alias: "prod", Regions: []string{"us-east-1", "eu-west-1", "ap-southeast-2"}},
			{ID: auditAcctB, Regions: []string{"us-east-1", "eu-west-1"}},
		},
		DeliveryRoles: []spec.DeliveryRole{{Name: "flowplan-flow-logs", Path: "/"}},
		Rules: []spec.Rule{
			{
				Name: "prod-vpcs", Targets: spec.Targets{VPCs: &spec.Selector{Tags: map[string]string{"env": "prod"}}},
				TrafficType: "ALL", MaxAggregationInterval: 600, LogFormat: logformat.DefaultVPC,
				Destination: spec.Destination{CloudWatchLogs: &spec.CloudWatchLogs{
					LogGroup: "/vpc-flow-logs/{account_id}/{region}", RetentionDays: 30, DeliveryRole: "flowplan-flow-logs"}},
			},
			{
				Name: "central", Targets: spec.Targets{Subnets: &spec.Selector{All: true}},
				TrafficType: "REJECT", MaxAggregationInterval: 600, LogFormat: logformat.DefaultVPC,
				Destination: spec.Destination{S3: &spec.S3{BucketARN: "arn:aws:s3:::org-flow-logs", Prefix: "subnets/",
					FileFormat: "plain-text", ManageBucketPolicy: true, BucketAccount: auditBucket}},
			},
		},
	}
	plan, err := engine.MakePlan(ctx, p, s, engine.Options{})
	if err != nil {
		t.Fatalf("MakePlan: %v", err)
	}
	if _, err := engine.Apply(ctx, p, plan, engine.Options{}); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	// Flow log IDs come from a counter the concurrent apply advances in no
	// fixed order: name them by where they are, for stable output.
	renumberFlowLogs(w)
	byResource := func(id string) *engine.Resource {
		fs := w.FlowLogsOn(id)
		if len(fs) != 1 {
			t.Fatalf("%d flow logs on %s, want 1", len(fs), id)
		}
		return w.FlowLogs[fs[0].ID]
	}
	old := auditNow.Add(-48 * time.Hour).Format(time.RFC3339)
	for _, f := range w.FlowLogs {
		f.FlowLog.Status = &engine.FlowLogStatus{FlowLogStatus: "ACTIVE", DeliverLogsStatus: "SUCCESS", CreationTime: old}
	}
	// vpc-a2: records accepted traffic only, and cannot deliver.
	a2 := byResource("vpc-a2").FlowLog
	a2.TrafficType = "ACCEPT"
	a2.Status.DeliverLogsStatus, a2.Status.DeliverLogsErrorMessage = "FAILED", `Access error: role <flowplan-flow-logs> cannot "PutLogEvents"`
	// subnet-a1: its own flow log is gone; an unmanaged one on its VPC
	// delivers where the rule says.
	w.DeleteFlowLog(byResource("subnet-a1").ID)
	w.AddFlowLog(auditAcctA, "us-east-1", &engine.Resource{ID: "fl-0cafe0000000000a1", FlowLog: &engine.FlowLog{
		ResourceID: "vpc-a1", ResourceType: "VPC", TrafficType: "ALL", DestinationType: engine.DestS3,
		Destination: "arn:aws:s3:::org-flow-logs/subnets/", LogFormat: logformat.DefaultVPC, FileFormat: "plain-text", MaxAggregationInterval: 600,
		Status: &engine.FlowLogStatus{FlowLogStatus: "ACTIVE", DeliverLogsStatus: "SUCCESS", CreationTime: old}}})
	// subnet-a2: nothing logs it, nor its (untargeted) VPC.
	w.DeleteFlowLog(byResource("subnet-a2").ID)
	// vpc-a3: someone replaced flowplan's flow log with their own.
	a3 := byResource("vpc-a3")
	w.DeleteFlowLog(a3.ID)
	hand := *a3.FlowLog
	w.AddFlowLog(auditAcctA, "eu-west-1", &engine.Resource{ID: "fl-0beef0000000000a3", FlowLog: &hand})
	p.DiscoverErrors = map[string]error{auditAcctB + "/eu-west-1": errors.New("AccessDenied: User is not authorized to perform: ec2:DescribeFlowLogs")}

	sv, err := engine.MakeSurvey(ctx, p, s, engine.Options{AlsoRead: []spec.TargetKind{spec.TargetNetworkInterface}})
	if err != nil {
		t.Fatalf("MakeSurvey: %v", err)
	}
	a, err := engine.MakeAudit(s, sv, engine.AuditOptions{})
	if err != nil {
		t.Fatalf("MakeAudit: %v", err)
	}
	object := func(account, region, flowLog string, at time.Time) string {
		return spec.S3DayFolder("subnets/", account, region, false, auditNow) +
			account + "_vpcflowlogs_" + region + "_" + flowLog + "_" + at.Format("20060102T1504Z") + "_0123abcd.log.gz"
	}
	r := &auditDeliveries{
		streams: map[string]map[string]time.Time{
			"/vpc-flow-logs/111111111111/us-east-1": {"eni-0a1-all": auditNow.Add(-5 * time.Minute)},
			"/vpc-flow-logs/222222222222/us-east-1": {"eni-0b1-all": auditNow.Add(-3 * time.Hour)},
		},
		objects: map[string]map[string]time.Time{"org-flow-logs": {
			object(auditAcctA, "us-east-1", "fl-0cafe0000000000a1", auditNow.Add(-4*time.Minute)):     auditNow.Add(-4 * time.Minute),
			object(auditAcctA, "eu-west-1", byResource("subnet-a3").ID, auditNow.Add(-7*time.Minute)): auditNow.Add(-7 * time.Minute),
			object(auditAcctB, "us-east-1", byResource("subnet-b1").ID, auditNow.Add(-2*time.Minute)): auditNow.Add(-2 * time.Minute),
		}},
		fail: map[string]error{"/vpc-flow-logs/111111111111/eu-west-1": errors.New("AccessDeniedException: not authorized to perform logs:DescribeLogStreams")},
	}
	engine.CollectEvidence(ctx, r, a, sv.Current, engine.EvidenceOptions{MaxAge: time.Hour, Now: auditNow})
	return a
}

// renumberFlowLogs gives every flow log an ID made from its place, in
// address order: fl-0000000000000001, ...
func renumberFlowLogs(w *enginetest.World) {
	type entry struct{ key, id string }
	var all []entry
	for id, f := range w.FlowLogs {
		all = append(all, entry{f.Addr.Scope() + " " + f.FlowLog.ResourceID + " " + f.Tags[engine.TagRule], id})
	}
	slices.SortFunc(all, func(a, b entry) int { return strings.Compare(a.key, b.key) })
	renamed := map[string]*engine.Resource{}
	for i, e := range all {
		f := w.FlowLogs[e.id]
		f.ID = fmt.Sprintf("fl-0%016x", i+1)
		renamed[f.ID] = f
	}
	w.FlowLogs = renamed
}

// auditGoldenFiles are the golden file of each format.
var auditGoldenFiles = map[AuditFormat]string{
	AuditText: "report.txt", AuditJSONFmt: "report.json", AuditCSV: "report.csv", AuditMarkdown: "report.md",
	AuditHTML: "report.html", AuditOCSF: "report.ocsf.json",
}

// TestAuditGolden renders the golden audit in every format.
func TestAuditGolden(t *testing.T) {
	a := goldenAudit(t)
	checkGoldenAudit(t, a)
	for _, f := range AuditFormats {
		t.Run(string(f), func(t *testing.T) {
			name, ok := auditGoldenFiles[f]
			if !ok {
				t.Fatalf("no golden file for format %s", f)
			}
			var b bytes.Buffer
			if err := Audit(&b, a, auditHeader, f, Options{}); err != nil {
				t.Fatal(err)
			}
			golden(t, "audit/"+name, b.Bytes())
		})
	}
}

// checkGoldenAudit checks the audit has what the goldens are for: a unit
// of every status, one via a parent, one unmanaged, one stale, a scope
// without targets and a failed scope.
func checkGoldenAudit(t *testing.T, a *engine.Audit) {
	t.Helper()
	has := map[string]bool{}
	for _, u := range a.Units {
		has[string(u.Status)] = true
		if u.Status == engine.AuditCompliant {
			has["via"] = has["via"] || u.Via != ""
			has["unmanaged"] = has["unmanaged"] || u.ManagedBy == ""
			has["managed"] = has["managed"] || u.ManagedBy != ""
			has["stale"] = has["stale"] || u.Stale()
			has["fresh"] = has["fresh"] || u.Evidence.Status == engine.EvidenceFresh
		}
	}
	for _, s := range a.Scopes {
		has["no targets"] = has["no targets"] || s.Targets == 0
	}
	has["failed scope"] = len(a.Errors) > 0
	for _, want := range []string{"compliant", "noncompliant", "uncovered", "unknown", "via", "unmanaged", "managed", "stale", "fresh", "no targets", "failed scope"} {
		if !has[want] {
			t.Errorf("the golden audit has no %s unit or scope", want)
		}
	}
}

// TestAuditHTMLSelfContained checks what the browser test checks live, on
// the text: nothing is loaded from anywhere, untrusted text is escaped,
// and every unit has its row.
func TestAuditHTMLSelfContained(t *testing.T) {
	a := goldenAudit(t)
	var b bytes.Buffer
	if err := Audit(&b, a, auditHeader, AuditHTML, Options{}); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	for _, bad := range []string{"<img", "<script src", "<iframe", "<object", "<embed", "<video", "<audio", "<source", "@import", "url(", "@font-face"} {
		if strings.Contains(html, bad) {
			t.Errorf("the report contains %q", bad)
		}
	}
	if n, icons := strings.Count(html, "<link"), strings.Count(html, `<link rel="icon" href="data:,">`); n != icons {
		t.Errorf("the report links %d resources that are not the empty icon", n-icons)
	}
	if !strings.Contains(html, "&lt;img src=&#34;https://attacker.example/x.png&#34;") {
		t.Errorf("the hostile Name tag is not escaped as text")
	}
	if n, want := strings.Count(html, "<tr data-status="), len(a.Units); n != want {
		t.Errorf("%d unit rows, want %d", n, want)
	}
}

// TestAuditHTMLNoTargets renders an audit whose rules select nothing.
func TestAuditHTMLNoTargets(t *testing.T) {
	a := &engine.Audit{Spec: engine.SpecRef{Name: "empty"}, Accounts: []engine.Account{{ID: auditAcctA, Regions: []string{"us-east-1"}}}, Regions: []string{"us-east-1"}}
	a.Count()
	var b bytes.Buffer
	if err := Audit(&b, a, AuditHeader{GeneratedAt: auditNow}, AuditHTML, Options{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<div class="figure tone-na" id="overall">n/a</div>`, "the spec's rules select no targets", `data-scope="111111111111/us-east-1"><span class="pct">n/a</span>`, "flowplan devel"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the report lacks %q", want)
		}
	}
}
