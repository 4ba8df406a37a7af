package engine_test

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/engine/enginetest"
	"github.com/flowplan/flowplan/spec"
)

// auditLines lists units as "status address [via X] [managed by S]: reasons".
func auditLines(a *engine.Audit) []string {
	var out []string
	for _, u := range a.Units {
		line := string(u.Status) + " " + u.Addr.String()
		if u.Via != "" {
			line += " via " + u.Via
		}
		if u.Status == engine.AuditCompliant && u.ManagedBy == "" {
			line += " unmanaged"
		}
		if len(u.Reasons) > 0 {
			line += ": " + strings.Join(u.Reasons, "; ")
		}
		out = append(out, line)
	}
	return out
}

// TestMakeAudit makes each status and each reason out of band, after an
// apply on the fake provider, and checks every unit, and that the counts
// add up.
func TestMakeAudit(t *testing.T) {
	const (
		vpcA1    = acctA + "/us-east-1/flow_log/prod-vpcs/vpc-a1"
		vpcA3    = acctA + "/eu-west-1/flow_log/prod-vpcs/vpc-a3"
		vpcB1    = acctB + "/us-east-1/flow_log/prod-vpcs/vpc-b1"
		subnetA1 = acctA + "/us-east-1/flow_log/central/subnet-a1"
		subnetB1 = acctB + "/us-east-1/flow_log/central/subnet-b1"
	)
	flowLogOf := func(t *testing.T, p *enginetest.Provider, rule, resource string) *engine.Resource {
		for _, f := range p.World.FlowLogsOn(resource) {
			if f.Tags[engine.TagRule] == rule {
				return p.World.FlowLogs[f.ID]
			}
		}
		t.Fatalf("no flow log of %s on %s", rule, resource)
		return nil
	}
	allCompliant := []string{"compliant " + vpcA1, "compliant " + subnetA1, "compliant " + vpcA3, "compliant " + vpcB1, "compliant " + subnetB1}
	with := func(line string, at int) []string {
		out := append([]string(nil), allCompliant...)
		out[at] = line
		return out
	}
	tests := []struct {
		name    string
		noApply bool
		change  func(t *testing.T, p *enginetest.Provider, s *spec.Spec)
		opts    engine.AuditOptions
		want    []string
		percent string
	}{
		{name: "after apply every unit is compliant", want: allCompliant, percent: "100.0"},
		{name: "before apply every unit is uncovered", noApply: true, want: []string{
			"uncovered " + vpcA1 + ": no flow log", "uncovered " + subnetA1 + ": no flow log on the subnet or its VPC",
			"uncovered " + vpcA3 + ": no flow log", "uncovered " + vpcB1 + ": no flow log", "uncovered " + subnetB1 + ": no flow log on the subnet or its VPC",
		}, percent: "0.0"},
		{name: "a traffic type that does not cover the rule's", change: func(t *testing.T, p *enginetest.Provider, _ *spec.Spec) {
			flowLogOf(t, p, "prod-vpcs", "vpc-a1").FlowLog.TrafficType = "ACCEPT"
		}, want: with("noncompliant "+vpcA1+": traffic_type ACCEPT does not cover ALL", 0), percent: "80.0"},
		{name: "ALL covers REJECT", change: func(t *testing.T, p *enginetest.Provider, _ *spec.Spec) {
			flowLogOf(t, p, "central", "subnet-a1").FlowLog.TrafficType = "ALL"
		}, want: allCompliant, percent: "100.0"},
		{name: "an interval longer than the rule's", change: func(_ *testing.T, _ *enginetest.Provider, s *spec.Spec) {
			s.Rules[0].MaxAggregationInterval = 60
		}, want: []string{
			"noncompliant " + vpcA1 + ": interval 600 > 60", "compliant " + subnetA1, "noncompliant " + vpcA3 + ": interval 600 > 60",
			"noncompliant " + vpcB1 + ": interval 600 > 60", "compliant " + subnetB1,
		}, percent: "40.0"},
		{name: "a shorter interval satisfies a longer one", change: func(t *testing.T, p *enginetest.Provider, _ *spec.Spec) {
			flowLogOf(t, p, "prod-vpcs", "vpc-a1").FlowLog.MaxAggregationInterval = 60
		}, want: allCompliant, percent: "100.0"},
		{name: "fields the rule asks for are missing", change: func(_ *testing.T, _ *enginetest.Provider, s *spec.Spec) {
			s.Rules[1].LogFormat += " ${tcp-flags} ${pkt-srcaddr}"
		}, want: []string{
			"compliant " + vpcA1, "noncompliant " + subnetA1 + ": missing field tcp-flags; missing field pkt-srcaddr", "compliant " + vpcA3,
			"compliant " + vpcB1, "noncompliant " + subnetB1 + ": missing field tcp-flags; missing field pkt-srcaddr",
		}, percent: "60.0"},
		{name: "more fields than the rule asks for still comply", change: func(t *testing.T, p *enginetest.Provider, _ *spec.Spec) {
			f := flowLogOf(t, p, "prod-vpcs", "vpc-a1").FlowLog
			f.LogFormat += " ${tcp-flags}"
		}, want: allCompliant, percent: "100.0"},
		{name: "another bucket", change: func(t *testing.T, p *enginetest.Provider, _ *spec.Spec) {
			flowLogOf(t, p, "central", "subnet-a1").FlowLog.Destination = "arn:aws:s3:::somewhere-else/subnets/"
		}, want: with("noncompliant "+subnetA1+": delivers to another bucket: somewhere-else", 1), percent: "80.0"},
		{name: "another prefix", change: func(t *testing.T, p *enginetest.Provider, _ *spec.Spec) {
			flowLogOf(t, p, "central", "subnet-a1").FlowLog.Destination = "arn:aws:s3:::org-flow-logs/other/"
		}, want: with("noncompliant "+subnetA1+": delivers to another prefix: other/", 1), percent: "80.0"},
		{name: "another destination kind", change: func(t *testing.T, p *enginetest.Provider, _ *spec.Spec) {
			f := flowLogOf(t, p, "prod-vpcs", "vpc-a1").FlowLog
			f.DestinationType, f.Destination, f.DeliverLogsPermissionARN = engine.DestS3, "arn:aws:s3:::org-flow-logs", ""
		}, want: with("noncompliant "+vpcA1+": delivers to s3, not cloud-watch-logs", 0), percent: "80.0"},
		{name: "delivery FAILED", change: func(t *testing.T, p *enginetest.Provider, _ *spec.Spec) {
			flowLogOf(t, p, "prod-vpcs", "vpc-a1").FlowLog.Status = &engine.FlowLogStatus{FlowLogStatus: "ACTIVE", DeliverLogsStatus: "FAILED", DeliverLogsErrorMessage: "Access error"}
		}, want: with("noncompliant "+vpcA1+": DeliverLogsStatus FAILED: Access error", 0), percent: "80.0"},
		{name: "every reason at once", change: func(t *testing.T, p *enginetest.Provider, s *spec.Spec) {
			s.Rules[0].MaxAggregationInterval = 60
			f := flowLogOf(t, p, "prod-vpcs", "vpc-a1").FlowLog
			f.TrafficType = "REJECT"
			f.Status = &engine.FlowLogStatus{FlowLogStatus: "ACTIVE", DeliverLogsStatus: "FAILED", DeliverLogsErrorMessage: "Rate limited"}
		}, want: []string{
			"noncompliant " + vpcA1 + ": traffic_type REJECT does not cover ALL; interval 600 > 60; DeliverLogsStatus FAILED: Rate limited",
			"compliant " + subnetA1, "noncompliant " + vpcA3 + ": interval 600 > 60",
			"noncompliant " + vpcB1 + ": interval 600 > 60", "compliant " + subnetB1,
		}, percent: "40.0"},
		{name: "an unmanaged flow log of the rule's settings complies", change: func(t *testing.T, p *enginetest.Provider, _ *spec.Spec) {
			f := flowLogOf(t, p, "prod-vpcs", "vpc-a1")
			p.World.DeleteFlowLog(f.ID)
			hand := *f.FlowLog
			p.World.AddFlowLog(acctA, "us-east-1", &engine.Resource{ID: "fl-hand", FlowLog: &hand})
		}, want: with("compliant "+vpcA1+" unmanaged", 0), percent: "100.0"},
		{name: "a subnet is covered by its VPC's flow log", change: func(t *testing.T, p *enginetest.Provider, _ *spec.Spec) {
			p.World.DeleteFlowLog(flowLogOf(t, p, "central", "subnet-a1").ID)
			setVPC(p, acctA, "us-east-1", "subnet-a1", "vpc-a2")
			p.World.AddFlowLog(acctA, "us-east-1", &engine.Resource{ID: "fl-vpc-a2", FlowLog: &engine.FlowLog{
				ResourceID: "vpc-a2", ResourceType: "VPC", TrafficType: "ALL", DestinationType: engine.DestS3,
				Destination: "arn:aws:s3:::org-flow-logs/subnets/", LogFormat: "default", FileFormat: "plain-text"}})
		}, want: with("compliant "+subnetA1+" via vpc-a2 unmanaged", 1), percent: "100.0"},
		{name: "a parent's flow log that falls short is named in the reasons", change: func(t *testing.T, p *enginetest.Provider, _ *spec.Spec) {
			p.World.DeleteFlowLog(flowLogOf(t, p, "central", "subnet-a1").ID)
			setVPC(p, acctA, "us-east-1", "subnet-a1", "vpc-a2")
			p.World.AddFlowLog(acctA, "us-east-1", &engine.Resource{ID: "fl-vpc-a2", FlowLog: &engine.FlowLog{
				ResourceID: "vpc-a2", ResourceType: "VPC", TrafficType: "ACCEPT", DestinationType: engine.DestS3,
				Destination: "arn:aws:s3:::org-flow-logs/subnets/", LogFormat: "default", FileFormat: "plain-text"}})
		}, want: with("noncompliant "+subnetA1+" via vpc-a2: fl-vpc-a2 (on vpc-a2): traffic_type ACCEPT does not cover REJECT", 1), percent: "80.0"},
		{name: "a scope that cannot be read is unknown for each rule there", change: func(_ *testing.T, p *enginetest.Provider, _ *spec.Spec) {
			p.DiscoverErrors = map[string]error{acctB + "/us-east-1": errors.New("AccessDenied: not authorized")}
		}, want: []string{
			"compliant " + vpcA1, "compliant " + subnetA1, "compliant " + vpcA3,
			"unknown " + acctB + "/us-east-1/flow_log/central: could not be read: " + acctB + "/us-east-1: discover region: AccessDenied: not authorized",
			"unknown " + acctB + "/us-east-1/flow_log/prod-vpcs: could not be read: " + acctB + "/us-east-1: discover region: AccessDenied: not authorized",
		}, percent: "60.0"},
		{name: "an account that cannot be read is unknown in each of its regions", change: func(_ *testing.T, p *enginetest.Provider, _ *spec.Spec) {
			p.DiscoverErrors = map[string]error{acctA: errors.New("AccessDenied")}
		}, want: []string{
			"unknown " + acctA + "/eu-west-1/flow_log/central: could not be read: " + acctA + ": discover account: AccessDenied",
			"unknown " + acctA + "/eu-west-1/flow_log/prod-vpcs: could not be read: " + acctA + ": discover account: AccessDenied",
			"unknown " + acctA + "/us-east-1/flow_log/central: could not be read: " + acctA + ": discover account: AccessDenied",
			"unknown " + acctA + "/us-east-1/flow_log/prod-vpcs: could not be read: " + acctA + ": discover account: AccessDenied",
			"compliant " + vpcB1, "compliant " + subnetB1,
		}, percent: "33.3"},
		{name: "--all-vpcs holds every VPC to EC2.6", opts: engine.AuditOptions{AllVPCs: true}, want: []string{
			"compliant " + acctA + "/us-east-1/flow_log/(all-vpcs)/vpc-a1",
			"uncovered " + acctA + "/us-east-1/flow_log/(all-vpcs)/vpc-a2: no flow log",
			"compliant " + vpcA1, "compliant " + subnetA1,
			"compliant " + acctA + "/eu-west-1/flow_log/(all-vpcs)/vpc-a3", "compliant " + vpcA3,
			"compliant " + acctB + "/us-east-1/flow_log/(all-vpcs)/vpc-b1", "compliant " + vpcB1, "compliant " + subnetB1,
		}, percent: "88.9"},
		{name: "EC2.6 wants rejected traffic recorded", opts: engine.AuditOptions{AllVPCs: true, Targets: []string{acctA + "/us-east-1/flow_log/(all-vpcs)"}},
			change: func(t *testing.T, p *enginetest.Provider, _ *spec.Spec) {
				flowLogOf(t, p, "prod-vpcs", "vpc-a1").FlowLog.TrafficType = "ACCEPT"
			}, want: []string{
				"noncompliant " + acctA + "/us-east-1/flow_log/(all-vpcs)/vpc-a1: traffic_type ACCEPT does not cover REJECT",
				"uncovered " + acctA + "/us-east-1/flow_log/(all-vpcs)/vpc-a2: no flow log",
			}, percent: "0.0"},
		{name: "--target keeps matching units", opts: engine.AuditOptions{Targets: []string{acctB}},
			want: []string{"compliant " + vpcB1, "compliant " + subnetB1}, percent: "100.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, s := fixture(false)
			if !tt.noApply {
				apply(t, p, makePlan(t, p, s, engine.Options{}), engine.Options{})
			}
			if tt.change != nil {
				tt.change(t, p, s)
			}
			sv, err := engine.MakeSurvey(context.Background(), p, s, engine.Options{AlsoRead: []spec.TargetKind{spec.TargetVPC}})
			if err != nil {
				t.Fatal(err)
			}
			p.ResetCalls()
			a, err := engine.MakeAudit(s, sv, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Calls()) != 0 {
				t.Errorf("MakeAudit called the provider: %v", p.Calls())
			}
			for i := 1; i < len(a.Units); i++ {
				if !a.Units[i-1].Addr.Less(a.Units[i].Addr) {
					t.Errorf("units out of order: %s before %s", a.Units[i-1].Addr, a.Units[i].Addr)
				}
			}
			// Compared as sets: the order is checked above.
			if diff := cmp.Diff(tt.want, auditLines(a), cmpopts.SortSlices(func(x, y string) bool { return x < y })); diff != "" {
				t.Fatalf("units (-want +got):\n%s", diff)
			}
			checkCounts(t, a)
			if got := percent(a.Summary); got != tt.percent {
				t.Errorf("coverage = %s%%, want %s%%", got, tt.percent)
			}
			for _, u := range a.Units {
				if (u.Status == engine.AuditCompliant) != (len(u.Reasons) == 0) {
					t.Errorf("%s is %s with reasons %q", u.Addr, u.Status, u.Reasons)
				}
				if u.Status == engine.AuditCompliant && u.SatisfiedBy == "" {
					t.Errorf("%s is compliant, satisfied by nothing", u.Addr)
				}
			}
		})
	}
}

// setVPC places a subnet in a VPC.
func setVPC(p *enginetest.Provider, account, region, subnet, vpc string) {
	ts := p.World.Targets[account+"/"+region]
	for i := range ts {
		if ts[i].ID == subnet {
			ts[i].VPCID = vpc
		}
	}
}

func percent(c engine.AuditCounts) string {
	p, ok := c.CoveragePercent()
	if !ok {
		return "none"
	}
	return strconv.FormatFloat(p, 'f', 1, 64)
}

// checkCounts checks that every breakdown adds up to the units.
func checkCounts(t *testing.T, a *engine.Audit) {
	t.Helper()
	sum := func(c engine.AuditCounts) int { return c.Compliant + c.Noncompliant + c.Uncovered + c.Unknown }
	if s := a.Summary; sum(s) != s.Targets || s.Targets != len(a.Units) {
		t.Errorf("summary %+v does not add up to %d units", s, len(a.Units))
	}
	var scopes, accounts, rules int
	for _, c := range a.Scopes {
		if sum(c.AuditCounts) != c.Targets {
			t.Errorf("scope %s/%s: %+v does not add up", c.Account, c.Region, c.AuditCounts)
		}
		scopes += c.Targets
	}
	for _, c := range a.ByAccount {
		accounts += c.Targets
	}
	for _, c := range a.Rules {
		rules += c.Targets
	}
	if scopes != len(a.Units) || accounts != len(a.Units) || rules != len(a.Units) {
		t.Errorf("scopes count %d, accounts %d, rules %d units; there are %d", scopes, accounts, rules, len(a.Units))
	}
}

func TestAuditTargetTypo(t *testing.T) {
	p, s := fixture(false)
	sv, err := engine.MakeSurvey(context.Background(), p, s, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = engine.MakeAudit(s, sv, engine.AuditOptions{Targets: []string{acctA + "/us-east-2"}})
	var terr *engine.TargetError
	if !errors.As(err, &terr) || !strings.Contains(err.Error(), "--target "+acctA+"/us-east-2 matches no address of this audit; the nearest are "+acctA+"/us-east-1") {
		t.Fatalf("err = %v, want a TargetError naming the nearest address", err)
	}
}

func TestCoveragePercent(t *testing.T) {
	for _, tt := range []struct {
		compliant, targets int
		want               string
		below50            bool
	}{
		{0, 0, "none", true}, {1, 3, "33.3", true}, {2, 3, "66.7", false}, {1, 2, "50.0", false}, {999, 1000, "99.9", false}, {1999, 2000, "99.9", false}, {2000, 2000, "100.0", false}, {1, 20000, "0.0", true},
	} {
		c := engine.AuditCounts{Targets: tt.targets, Compliant: tt.compliant}
		if got := percent(c); got != tt.want {
			t.Errorf("%d of %d: %s%%, want %s%%", tt.compliant, tt.targets, got, tt.want)
		}
		if c.Below(50) != tt.below50 {
			t.Errorf("%d of %d: Below(50) = %v", tt.compliant, tt.targets, c.Below(50))
		}
	}
}

// fakeDeliveries answers ReadDeliveries from maps, recording each query.
type fakeDeliveries struct {
	streams map[string]map[string]time.Time // log group → stream → time
	objects map[string]map[string]time.Time // bucket → key → time
	fail    map[string]error                // log group or bucket → error
	queries []engine.DeliveryQuery
	mu      sync.Mutex
}

func (f *fakeDeliveries) ReadDeliveries(_ context.Context, q engine.DeliveryQuery) (*engine.Deliveries, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries = append(f.queries, q)
	if err := f.fail[q.LogGroup+q.Bucket]; err != nil {
		return nil, err
	}
	d := &engine.Deliveries{Calls: 1, Streams: map[string]time.Time{}, Objects: map[string]time.Time{}}
	for k, v := range f.streams[q.LogGroup] {
		d.Streams[k] = v
	}
	for k, v := range f.objects[q.Bucket] {
		if strings.HasPrefix(k, q.KeyPrefix) && k > q.StartAfter {
			d.Objects[k] = v
		}
	}
	return d, nil
}

// TestCollectEvidence ages each unit's newest record: fresh, stale (old
// records, or none), pending (a young flow log), unavailable (a failed
// read); and reads each destination once.
func TestCollectEvidence(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	p, s := fixture(false)
	p.World.AddTarget(acctA, "us-east-1", engine.Target{Kind: spec.TargetNetworkInterface, ID: "eni-0a1", VPCID: "vpc-a1", SubnetID: "subnet-a1"})
	p.World.AddTarget(acctB, "us-east-1", engine.Target{Kind: spec.TargetNetworkInterface, ID: "eni-0b1", VPCID: "vpc-b1", SubnetID: "subnet-b1"})
	apply(t, p, makePlan(t, p, s, engine.Options{}), engine.Options{})
	old := now.Add(-48 * time.Hour).Format(time.RFC3339)
	var subnetA1 string
	for _, f := range p.World.FlowLogs {
		f.FlowLog.Status = &engine.FlowLogStatus{FlowLogStatus: "ACTIVE", DeliverLogsStatus: "SUCCESS", CreationTime: old}
		switch f.FlowLog.ResourceID {
		case "subnet-a1":
			subnetA1 = f.ID
		case "subnet-b1":
			// Made ten minutes ago: too young to judge.
			f.FlowLog.Status.CreationTime = now.Add(-10 * time.Minute).Format(time.RFC3339)
		}
	}
	day := spec.S3DayFolder("subnets/", acctA, "us-east-1", false, now)
	r := &fakeDeliveries{
		streams: map[string]map[string]time.Time{
			// vpc-a1's interface delivered 5 minutes ago; a stream of an
			// interface elsewhere is not vpc-a1's.
			"/vpc-flow-logs/111111111111/us-east-1": {"eni-0a1-all": now.Add(-5 * time.Minute), "eni-0ff-all": now},
			// vpc-b1's delivered 3 hours ago.
			"/vpc-flow-logs/222222222222/us-east-1": {"eni-0b1-all": now.Add(-3 * time.Hour)},
		},
		objects: map[string]map[string]time.Time{"org-flow-logs": {
			day + acctA + "_vpcflowlogs_us-east-1_" + subnetA1 + "_20261203T1150Z_0123abcd.log.gz": now.Add(-4 * time.Minute),
		}},
		fail: map[string]error{"/vpc-flow-logs/111111111111/eu-west-1": errors.New("AccessDenied")},
	}
	sv, err := engine.MakeSurvey(context.Background(), p, s, engine.Options{AlsoRead: []spec.TargetKind{spec.TargetNetworkInterface}})
	if err != nil {
		t.Fatal(err)
	}
	a, err := engine.MakeAudit(s, sv, engine.AuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	engine.CollectEvidence(context.Background(), r, a, sv.Current, engine.EvidenceOptions{MaxAge: time.Hour, Now: now})
	got := map[string]string{}
	for _, u := range a.Units {
		line := string(u.Evidence.Status)
		if !u.Evidence.LastDelivery.IsZero() {
			line += " " + u.Evidence.LastDelivery.Format("15:04")
		}
		got[u.ResourceID] = line + " " + u.Evidence.Detail
	}
	want := map[string]string{
		"vpc-a1":    "fresh 11:55 ",
		"subnet-a1": "fresh 11:56 ",
		"vpc-a3":    "unavailable could not read log group /vpc-flow-logs/111111111111/eu-west-1 (111111111111/eu-west-1): AccessDenied",
		"vpc-b1":    "stale 09:00 newest record 3h old",
		"subnet-b1": "pending no records yet: the flow log is younger than 1h, and AWS takes minutes to deliver the first",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("evidence (-want +got):\n%s", diff)
	}
	if a.Summary.Stale != 1 || a.EvidenceCalls != 4 {
		t.Errorf("stale = %d, calls = %d; want 1 and 4", a.Summary.Stale, a.EvidenceCalls)
	}
	// One read per destination: three log groups and two account-region
	// folders of the bucket, read with the bucket owner's credentials.
	var reads []string
	for _, q := range r.queries {
		reads = append(reads, q.Account.ID+" "+q.LogGroup+q.Bucket+" "+q.KeyPrefix+" "+q.StartAfter)
	}
	sort.Strings(reads)
	wantReads := []string{
		"111111111111 /vpc-flow-logs/111111111111/eu-west-1  ",
		"111111111111 /vpc-flow-logs/111111111111/us-east-1  ",
		"222222222222 /vpc-flow-logs/222222222222/us-east-1  ",
		"999999999999 org-flow-logs subnets/AWSLogs/111111111111/vpcflowlogs/us-east-1/ subnets/AWSLogs/111111111111/vpcflowlogs/us-east-1/2026/12/03/",
		"999999999999 org-flow-logs subnets/AWSLogs/222222222222/vpcflowlogs/us-east-1/ subnets/AWSLogs/222222222222/vpcflowlogs/us-east-1/2026/12/03/",
	}
	if diff := cmp.Diff(wantReads, reads); diff != "" {
		t.Errorf("reads (-want +got):\n%s", diff)
	}
}

// TestEvidenceReadsBucketsAsTheirOwner: a bucket is read with its owner's
// credentials (the rule's bucket_account) for every unit delivering there,
// --all-vpcs units included, which have no rule of their own.
func TestEvidenceReadsBucketsAsTheirOwner(t *testing.T) {
	p, s := fixture(false)
	s.Rules[1].Targets = spec.Targets{VPCs: &spec.Selector{All: true}}
	apply(t, p, makePlan(t, p, s, engine.Options{}), engine.Options{})
	sv, err := engine.MakeSurvey(context.Background(), p, s, engine.Options{AlsoRead: []spec.TargetKind{spec.TargetVPC, spec.TargetNetworkInterface}})
	if err != nil {
		t.Fatal(err)
	}
	a, err := engine.MakeAudit(s, sv, engine.AuditOptions{AllVPCs: true})
	if err != nil {
		t.Fatal(err)
	}
	r := &fakeDeliveries{}
	engine.CollectEvidence(context.Background(), r, a, sv.Current, engine.EvidenceOptions{MaxAge: time.Hour, Now: time.Now()})
	buckets := 0
	for _, q := range r.queries {
		if q.Bucket == "" {
			continue
		}
		buckets++
		if q.Account.ID != bucketOwner {
			t.Errorf("s3://%s/%s read as %s, want the owner %s", q.Bucket, q.KeyPrefix, q.Account.ID, bucketOwner)
		}
	}
	if buckets == 0 {
		t.Fatal("no bucket was read")
	}
}
