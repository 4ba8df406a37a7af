package engine

import (
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/flowplan/flowplan/internal/arn"
	"github.com/flowplan/flowplan/spec"
	"github.com/flowplan/flowplan/spec/logformat"
)

const (
	a1 = "111111111111"
	a2 = "222222222222"
)

func testAccounts() []Account {
	return []Account{
		{ID: a1, Alias: "prod", Regions: []string{"us-east-1", "eu-west-1"}, Source: "accounts"},
		{ID: a2, Regions: []string{"us-east-1"}, Source: "organization"},
	}
}

func cwlRule(name, logGroup string, targets spec.Targets) spec.Rule {
	return spec.Rule{
		Name: name, Targets: targets, TrafficType: "ALL", MaxAggregationInterval: 600, LogFormat: logformat.DefaultVPC,
		Destination: spec.Destination{CloudWatchLogs: &spec.CloudWatchLogs{LogGroup: logGroup, RetentionDays: 30, DeliveryRole: "flowplan-flow-logs"}},
		Tags:        map[string]string{"owner": "net"},
	}
}

func testSpec(rules ...spec.Rule) *spec.Spec {
	return &spec.Spec{
		Name: "org", File: "org.yaml", SHA256: "abc", Version: 1,
		DeliveryRoles: []spec.DeliveryRole{{Name: "flowplan-flow-logs", Path: "/"}},
		Rules:         rules,
	}
}

func allVPCs() spec.Targets { return spec.Targets{VPCs: &spec.Selector{All: true}} }

// world is discovered targets: every account-region in accounts gets the
// targets listed for its scope (missing scopes failed discovery).
func world(targets map[string][]Target) *State {
	s := NewState()
	for scope, ts := range targets {
		s.Targets[scope] = ts
	}
	return s
}

func vpc(id string, tags ...string) Target {
	t := Target{Kind: spec.TargetVPC, ID: id, State: "available", Tags: map[string]string{}}
	for i := 0; i+1 < len(tags); i += 2 {
		t.Tags[tags[i]] = tags[i+1]
	}
	return t
}

func addrList(s *State) []string {
	var out []string
	for a := range s.Resources {
		out = append(out, a.String())
	}
	sort.Strings(out)
	return out
}

func TestExpandCloudWatch(t *testing.T) {
	s := testSpec(cwlRule("prod-vpcs", "/vpc/{account_alias}/{region}", allVPCs()))
	cur := world(map[string][]Target{
		a1 + "/us-east-1": {vpc("vpc-1"), vpc("vpc-2")},
		a1 + "/eu-west-1": {vpc("vpc-3")},
		a2 + "/us-east-1": {vpc("vpc-4"), {Kind: spec.TargetSubnet, ID: "subnet-1"}},
	})
	got, err := Expand(s, testAccounts(), cur)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		a1 + "/eu-west-1/flow_log/prod-vpcs/vpc-3",
		a1 + "/eu-west-1/log_group//vpc/prod/eu-west-1",
		a1 + "/global/iam_role/flowplan-flow-logs",
		a1 + "/global/iam_role_policy/flowplan-flow-logs/flowplan-delivery",
		a1 + "/us-east-1/flow_log/prod-vpcs/vpc-1",
		a1 + "/us-east-1/flow_log/prod-vpcs/vpc-2",
		a1 + "/us-east-1/log_group//vpc/prod/us-east-1",
		a2 + "/global/iam_role/flowplan-flow-logs",
		a2 + "/global/iam_role_policy/flowplan-flow-logs/flowplan-delivery",
		a2 + "/us-east-1/flow_log/prod-vpcs/vpc-4",
		// {account_alias} falls back to the account ID.
		a2 + "/us-east-1/log_group//vpc/222222222222/us-east-1",
	}
	if d := cmp.Diff(want, addrList(got)); d != "" {
		t.Fatalf("addresses (-want +got):\n%s", d)
	}
	f := got.Resources[mustAddr(t, a1+"/us-east-1/flow_log/prod-vpcs/vpc-1")]
	wantFL := &FlowLog{
		ResourceID: "vpc-1", ResourceType: "VPC", TrafficType: "ALL", DestinationType: DestCloudWatchLogs,
		Destination:              "arn:aws:logs:us-east-1:111111111111:log-group:/vpc/prod/us-east-1",
		DeliverLogsPermissionARN: "arn:aws:iam::111111111111:role/flowplan-flow-logs",
		LogFormat:                logformat.DefaultVPC, MaxAggregationInterval: 600,
	}
	if d := cmp.Diff(wantFL, f.FlowLog); d != "" {
		t.Errorf("flow log (-want +got):\n%s", d)
	}
	if d := cmp.Diff(map[string]string{"owner": "net", TagSpec: "org", TagRule: "prod-vpcs"}, f.Tags); d != "" {
		t.Errorf("flow log tags (-want +got):\n%s", d)
	}
	role := got.Resources[mustAddr(t, a1+"/global/iam_role/flowplan-flow-logs")]
	if role.Role.AssumeRolePolicy != TrustPolicy(RoleNeeds{Account: a1, LogGroupRegions: []string{"eu-west-1", "us-east-1"}}) {
		t.Errorf("trust policy = %s", role.Role.AssumeRolePolicy)
	}
	if d := cmp.Diff(map[string]string{TagSpec: "org", TagRule: "prod-vpcs"}, role.Tags); d != "" {
		t.Errorf("role tags (-want +got):\n%s", d)
	}
	pol := got.Resources[mustAddr(t, a1+"/global/iam_role_policy/flowplan-flow-logs/flowplan-delivery")]
	wantDoc := DeliveryPolicy(RoleNeeds{LogGroupARNs: []string{LogGroupARN(a1, "us-east-1", "/vpc/prod/us-east-1"), LogGroupARN(a1, "eu-west-1", "/vpc/prod/eu-west-1")}})
	if pol.RolePolicy.Document != wantDoc {
		t.Errorf("delivery policy = %s\nwant %s", pol.RolePolicy.Document, wantDoc)
	}
	lg := got.Resources[mustAddr(t, a1+"/us-east-1/log_group//vpc/prod/us-east-1")]
	if lg.LogGroup.RetentionDays != 30 || lg.Tags[TagRule] != "prod-vpcs" || lg.Tags["owner"] != "net" {
		t.Errorf("log group = %+v tags %v", lg.LogGroup, lg.Tags)
	}
	if got.Spec != (SpecRef{Name: "org", File: "org.yaml", SHA256: "abc"}) {
		t.Errorf("spec ref = %+v", got.Spec)
	}
}

func mustAddr(t *testing.T, s string) Addr {
	t.Helper()
	a, err := ParseAddr(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestExpandSelection(t *testing.T) {
	targets := map[string][]Target{
		a1 + "/us-east-1": {
			vpc("vpc-1", "env", "prod"), vpc("vpc-2", "env", "dev"), vpc("vpc-3", "env", "prod", "skip", "yes"),
			{Kind: spec.TargetVPC, ID: "vpc-4", State: "deleting", Tags: map[string]string{"env": "prod"}},
			{Kind: spec.TargetSubnet, ID: "subnet-1", VPCID: "vpc-1", OwnerID: a2},
			{Kind: spec.TargetSubnet, ID: "subnet-2", VPCID: "vpc-1", OwnerID: a1},
			{Kind: spec.TargetTransitGateway, ID: "tgw-1"},
		},
		a1 + "/eu-west-1": {vpc("vpc-5", "env", "prod")},
		a2 + "/us-east-1": {vpc("vpc-6", "env", "prod")},
	}
	tests := []struct {
		name  string
		rule  func(*spec.Rule)
		flows []string
	}{
		{"tag selector with exclusion; deleting VPCs are skipped", func(r *spec.Rule) {
			r.Targets = spec.Targets{VPCs: &spec.Selector{Tags: map[string]string{"env": "prod"}, ExcludeTags: map[string]string{"skip": "yes"}}}
		}, []string{a1 + "/eu-west-1/vpc-5", a1 + "/us-east-1/vpc-1", a2 + "/us-east-1/vpc-6"}},
		{"explicit IDs", func(r *spec.Rule) {
			r.Targets = spec.Targets{VPCs: &spec.Selector{IDs: []string{"vpc-2", "vpc-6"}}}
		}, []string{a1 + "/us-east-1/vpc-2", a2 + "/us-east-1/vpc-6"}},
		{"rule limited to an account", func(r *spec.Rule) { r.Accounts = []string{a2} }, []string{a2 + "/us-east-1/vpc-6"}},
		{"rule limited to a region", func(r *spec.Rule) { r.Regions = []string{"eu-west-1"} }, []string{a1 + "/eu-west-1/vpc-5"}},
		{"subnets shared through RAM belong to their owner", func(r *spec.Rule) {
			r.Targets = spec.Targets{Subnets: &spec.Selector{All: true}}
		}, []string{a1 + "/us-east-1/subnet-2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := cwlRule("r", "/vpc/{region}", spec.Targets{VPCs: &spec.Selector{Tags: map[string]string{"env": "*"}}})
			tt.rule(&r)
			got, err := Expand(testSpec(r), testAccounts(), world(targets))
			if err != nil {
				t.Fatal(err)
			}
			var flows []string
			for _, res := range got.Sorted() {
				if res.FlowLog != nil {
					flows = append(flows, res.Addr.Scope()+"/"+res.FlowLog.ResourceID)
				}
			}
			if d := cmp.Diff(tt.flows, flows); d != "" {
				t.Errorf("flow logs (-want +got):\n%s", d)
			}
		})
	}
}

func TestExpandFailedDiscoveryProducesNothing(t *testing.T) {
	s := testSpec(cwlRule("r", "/vpc/{region}", allVPCs()))
	// eu-west-1 of a1 and all of a2 failed discovery: they are absent.
	got, err := Expand(s, testAccounts(), world(map[string][]Target{a1 + "/us-east-1": {vpc("vpc-1")}}))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrList(got) {
		if strings.Contains(a, "eu-west-1") || strings.HasPrefix(a, a2) {
			t.Errorf("resource %s in a scope whose discovery failed", a)
		}
	}
	role := got.Resources[mustAddr(t, a1+"/global/iam_role/flowplan-flow-logs")]
	if role == nil || role.Role.AssumeRolePolicy != TrustPolicy(RoleNeeds{Account: a1, LogGroupRegions: []string{"us-east-1"}}) {
		t.Errorf("role = %+v, want one trusting us-east-1 only", role)
	}
}

func TestExpandResourceIDTemplate(t *testing.T) {
	s := testSpec(cwlRule("per-vpc", "/vpc/{rule}/{resource_id}", allVPCs()))
	got, err := Expand(s, testAccounts()[:1], world(map[string][]Target{a1 + "/us-east-1": {vpc("vpc-1"), vpc("vpc-2")}}))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"/vpc/per-vpc/vpc-1", "/vpc/per-vpc/vpc-2"} {
		if got.Resources[Addr{Account: a1, Region: "us-east-1", Kind: KindLogGroup, Name: name}] == nil {
			t.Errorf("no log group %s; have %v", name, addrList(got))
		}
	}
	pol := got.Resources[mustAddr(t, a1+"/global/iam_role_policy/flowplan-flow-logs/flowplan-delivery")]
	if want := DeliveryPolicy(RoleNeeds{LogGroupARNs: []string{"arn:aws:logs:us-east-1:111111111111:log-group:/vpc/per-vpc/*:*"}}); pol.RolePolicy.Document != want {
		t.Errorf("policy = %s\nwant %s", pol.RolePolicy.Document, want)
	}
}

func TestExpandErrors(t *testing.T) {
	targets := world(map[string][]Target{a1 + "/us-east-1": {vpc("vpc-1"), {Kind: spec.TargetSubnet, ID: "subnet-1"}}})
	tests := []struct {
		name  string
		rules []spec.Rule
		want  []string
	}{
		{"two rules send a resource to one destination", []spec.Rule{
			cwlRule("first", "/vpc/shared", allVPCs()), cwlRule("second", "/vpc/shared", allVPCs()),
		}, []string{`rules "first" and "second" both send vpc-1 in 111111111111/us-east-1 to arn:aws:logs:us-east-1:111111111111:log-group:/vpc/shared`}},
		{"rules disagree about a shared log group", []spec.Rule{
			cwlRule("a", "/vpc/shared", allVPCs()),
			func() spec.Rule {
				r := cwlRule("b", "/vpc/shared", spec.Targets{Subnets: &spec.Selector{All: true}})
				r.Destination.CloudWatchLogs.RetentionDays = 90
				return r
			}(),
		}, []string{"log group 111111111111/us-east-1/log_group//vpc/shared: rules disagree about retention_days (30 for a vs 90 for b)"}},
		{"undeclared delivery role", []spec.Rule{func() spec.Rule {
			r := cwlRule("a", "/vpc", allVPCs())
			r.Destination.CloudWatchLogs.DeliveryRole = "nope"
			return r
		}()}, []string{`rule "a": delivery role "nope" is not declared in delivery_roles`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Expand(testSpec(tt.rules...), testAccounts()[:1], targets)
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
	ok := []spec.Rule{cwlRule("a", "/vpc/one", allVPCs()), cwlRule("b", "/vpc/two", allVPCs())}
	if _, err := Expand(testSpec(ok...), testAccounts()[:1], targets); err != nil {
		t.Errorf("two rules to two destinations: %v", err)
	}
}

func TestExpandS3AndBucketStatements(t *testing.T) {
	r := spec.Rule{
		Name: "central", Targets: allVPCs(), TrafficType: "REJECT", MaxAggregationInterval: 60, LogFormat: logformat.DefaultVPC,
		Destination: spec.Destination{S3: &spec.S3{BucketARN: "arn:aws:s3:::org-logs", Prefix: "vpc/", FileFormat: "parquet",
			HiveCompatiblePartitions: true, ManageBucketPolicy: true, BucketAccount: "999999999999"}},
	}
	targets := map[string][]Target{a1 + "/us-east-1": {vpc("vpc-1")}, a2 + "/us-east-1": {vpc("vpc-2")}}
	tests := []struct {
		name    string
		bucket  *BucketState
		want    []string
		warning bool
	}{
		{"bucket discovered", &BucketState{Exists: true}, []string{
			"999999999999/global/s3_bucket_policy_statement/org-logs/flowplan-org-aclcheck",
			"999999999999/global/s3_bucket_policy_statement/org-logs/flowplan-org-" + WriteStatementKind("vpc/"),
		}, false},
		{"bucket discovery failed", nil, nil, false},
		{"bucket missing", &BucketState{Exists: false}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur := world(targets)
			if tt.bucket != nil {
				cur.Buckets["org-logs"] = tt.bucket
			}
			got, err := Expand(testSpec(r), testAccounts(), cur)
			if err != nil {
				t.Fatal(err)
			}
			var stmts []string
			for _, res := range got.Sorted() {
				if res.BucketPolicyStatement != nil {
					stmts = append(stmts, res.Addr.String())
				}
				if res.Role != nil || res.LogGroup != nil {
					t.Errorf("S3 rule made %s", res.Addr)
				}
			}
			if d := cmp.Diff(tt.want, stmts); d != "" {
				t.Errorf("statements (-want +got):\n%s", d)
			}
			if (len(got.Notes) > 0) != tt.warning {
				t.Errorf("notes = %+v, want warning %v", got.Notes, tt.warning)
			}
			f := got.Resources[mustAddr(t, a2+"/us-east-1/flow_log/central/vpc-2")].FlowLog
			if f.Destination != "arn:aws:s3:::org-logs/vpc/" || f.FileFormat != "parquet" || !f.HiveCompatiblePartitions || f.DeliverLogsPermissionARN != "" {
				t.Errorf("s3 flow log = %+v", f)
			}
		})
	}
	cur := world(targets)
	cur.Buckets["org-logs"] = &BucketState{Exists: true}
	got, _ := Expand(testSpec(r), testAccounts(), cur)
	write := got.Resources[mustAddr(t, "999999999999/global/s3_bucket_policy_statement/org-logs/flowplan-org-"+WriteStatementKind("vpc/"))]
	for _, want := range []string{"arn:aws:s3:::org-logs/vpc/AWSLogs/aws-account-id=111111111111/*", "arn:aws:s3:::org-logs/vpc/AWSLogs/aws-account-id=222222222222/*"} {
		if !strings.Contains(write.BucketPolicyStatement.Statement, want) {
			t.Errorf("write statement lacks %s: %s", want, write.BucketPolicyStatement.Statement)
		}
	}
}

func TestExpandRoles(t *testing.T) {
	targets := map[string][]Target{a1 + "/us-east-1": {vpc("vpc-1")}}
	t.Run("existing role ARN: no managed role", func(t *testing.T) {
		r := cwlRule("a", "/vpc", allVPCs())
		r.Destination.CloudWatchLogs.DeliveryRole = ""
		r.Destination.CloudWatchLogs.DeliveryRoleARN = "arn:aws:iam::{account_id}:role/existing"
		got, err := Expand(testSpec(r), testAccounts()[:1], world(targets))
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff([]string{a1 + "/us-east-1/flow_log/a/vpc-1", a1 + "/us-east-1/log_group//vpc"}, addrList(got)); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
		if f := got.Resources[mustAddr(t, a1+"/us-east-1/flow_log/a/vpc-1")].FlowLog; f.DeliverLogsPermissionARN != "arn:aws:iam::111111111111:role/existing" {
			t.Errorf("role ARN = %s", f.DeliverLogsPermissionARN)
		}
	})
	t.Run("role path in the ARN", func(t *testing.T) {
		s := testSpec(cwlRule("a", "/vpc", allVPCs()))
		s.DeliveryRoles[0].Path = "/flowplan/"
		got, _ := Expand(s, testAccounts()[:1], world(targets))
		if f := got.Resources[mustAddr(t, a1+"/us-east-1/flow_log/a/vpc-1")].FlowLog; f.DeliverLogsPermissionARN != "arn:aws:iam::111111111111:role/flowplan/flowplan-flow-logs" {
			t.Errorf("role ARN = %s", f.DeliverLogsPermissionARN)
		}
	})
	t.Run("an unmanaged role of that name is used with its real ARN", func(t *testing.T) {
		cur := world(targets)
		cur.Add(&Resource{Addr: mustAddr(t, a1+"/global/iam_role/flowplan-flow-logs"), ID: "arn:aws:iam::111111111111:role/legacy/flowplan-flow-logs",
			Role: &Role{Name: "flowplan-flow-logs", Path: "/legacy/"}})
		got, _ := Expand(testSpec(cwlRule("a", "/vpc", allVPCs())), testAccounts()[:1], cur)
		if f := got.Resources[mustAddr(t, a1+"/us-east-1/flow_log/a/vpc-1")].FlowLog; f.DeliverLogsPermissionARN != "arn:aws:iam::111111111111:role/legacy/flowplan-flow-logs" {
			t.Errorf("role ARN = %s", f.DeliverLogsPermissionARN)
		}
	})
	t.Run("shared role names every rule using it", func(t *testing.T) {
		got, _ := Expand(testSpec(cwlRule("b", "/vpc/b", allVPCs()), cwlRule("a", "/vpc/a", allVPCs())), testAccounts()[:1], world(targets))
		if role := got.Resources[mustAddr(t, a1+"/global/iam_role/flowplan-flow-logs")]; role.Tags[TagRule] != "a b" {
			t.Errorf("rule tag = %q", role.Tags[TagRule])
		}
	})
}

// firehoseRule delivers every VPC and transit gateway to a stream in
// account a2, through the given delivery role for flow logs of other
// accounts.
func firehoseRule(name string, targets spec.Targets, role, roleARN string) spec.Rule {
	r := spec.Rule{
		Name: name, Targets: targets, TrafficType: "ALL", MaxAggregationInterval: 600, LogFormat: logformat.DefaultVPC,
		Destination: spec.Destination{Firehose: &spec.Firehose{
			DeliveryStreamARN: "arn:aws:firehose:us-east-1:" + a2 + ":deliverystream/flows",
			DeliveryRole:      role, DeliveryRoleARN: roleARN,
			CrossAccountRole: "arn:aws:iam::" + a2 + ":role/AWSLogDeliveryFirehoseCrossAccountRole",
		}},
	}
	if targets.TransitGateways != nil {
		r.TrafficType, r.MaxAggregationInterval, r.LogFormat = "", 60, logformat.DefaultTransitGateway
	}
	return r
}

func TestExpandFirehose(t *testing.T) {
	const (
		stream    = "arn:aws:firehose:us-east-1:" + a2 + ":deliverystream/flows"
		crossRole = "arn:aws:iam::" + a2 + ":role/AWSLogDeliveryFirehoseCrossAccountRole"
		ownRole   = "arn:aws:iam::" + a1 + ":role/flowplan-flow-logs"
	)
	targets := map[string][]Target{
		a1 + "/us-east-1": {vpc("vpc-1"), {Kind: spec.TargetTransitGateway, ID: "tgw-1"}},
		a2 + "/us-east-1": {vpc("vpc-2")},
	}
	vpcLog := func(id, role, cross string) *FlowLog {
		return &FlowLog{ResourceID: id, ResourceType: "VPC", TrafficType: "ALL", DestinationType: DestFirehose, Destination: stream,
			DeliverLogsPermissionARN: role, DeliverCrossAccountRole: cross, LogFormat: logformat.DefaultVPC, MaxAggregationInterval: 600}
	}
	tests := []struct {
		name  string
		rule  spec.Rule
		want  map[string]*FlowLog
		roles []string
	}{
		{
			name:  "a managed delivery role, in the accounts outside the stream's only",
			rule:  firehoseRule("fh", allVPCs(), "flowplan-flow-logs", ""),
			want:  map[string]*FlowLog{a1 + "/us-east-1/flow_log/fh/vpc-1": vpcLog("vpc-1", ownRole, crossRole), a2 + "/us-east-1/flow_log/fh/vpc-2": vpcLog("vpc-2", "", "")},
			roles: []string{a1 + "/global/iam_role/flowplan-flow-logs", a1 + "/global/iam_role_policy/flowplan-flow-logs/flowplan-delivery"},
		},
		{
			name: "an existing role's ARN, with the flow log's account",
			rule: firehoseRule("fh", allVPCs(), "arn:aws:iam::{account_id}:role/Source", "arn:aws:iam::{account_id}:role/Source"),
			want: map[string]*FlowLog{a1 + "/us-east-1/flow_log/fh/vpc-1": vpcLog("vpc-1", "arn:aws:iam::"+a1+":role/Source", crossRole), a2 + "/us-east-1/flow_log/fh/vpc-2": vpcLog("vpc-2", "", "")},
		},
		{
			name: "transit gateways",
			rule: firehoseRule("tgw", spec.Targets{TransitGateways: &spec.Selector{All: true}}, "flowplan-flow-logs", ""),
			want: map[string]*FlowLog{a1 + "/us-east-1/flow_log/tgw/tgw-1": {ResourceID: "tgw-1", ResourceType: "TransitGateway", DestinationType: DestFirehose,
				Destination: stream, DeliverLogsPermissionARN: ownRole, DeliverCrossAccountRole: crossRole, LogFormat: logformat.DefaultTransitGateway, MaxAggregationInterval: 60}},
			roles: []string{a1 + "/global/iam_role/flowplan-flow-logs", a1 + "/global/iam_role_policy/flowplan-flow-logs/flowplan-delivery"},
		},
	}
	accounts := []Account{{ID: a1, Regions: []string{"us-east-1"}}, {ID: a2, Regions: []string{"us-east-1"}}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Expand(testSpec(tt.rule), accounts, world(targets))
			if err != nil {
				t.Fatal(err)
			}
			have := map[string]*FlowLog{}
			var roles []string
			for _, r := range got.Resources {
				if r.FlowLog != nil {
					have[r.Addr.String()] = r.FlowLog
				} else {
					roles = append(roles, r.Addr.String())
				}
			}
			sort.Strings(roles)
			if d := cmp.Diff(tt.want, have); d != "" {
				t.Errorf("flow logs (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.roles, roles); d != "" {
				t.Errorf("other resources (-want +got):\n%s", d)
			}
		})
	}
}

// TestExpandFirehoseRoleNeeds checks what a delivery role is granted: only
// delivery.logs.amazonaws.com and the rule's cross-account role for
// Firehose alone; both trusts and the union of permissions for a role that
// CloudWatch Logs rules share.
func TestExpandFirehoseRoleNeeds(t *testing.T) {
	const crossRole = "arn:aws:iam::" + a2 + ":role/AWSLogDeliveryFirehoseCrossAccountRole"
	targets := map[string][]Target{a1 + "/us-east-1": {vpc("vpc-1")}, a1 + "/eu-west-1": {vpc("vpc-3")}, a2 + "/us-east-1": {vpc("vpc-2")}}
	accounts := []Account{{ID: a1, Regions: []string{"us-east-1", "eu-west-1"}}, {ID: a2, Regions: []string{"us-east-1"}}}
	ownRole := "arn:aws:iam::" + a1 + ":role/flowplan-flow-logs"
	tests := []struct {
		name  string
		rules []spec.Rule
		want  RoleNeeds
		tag   string
	}{
		{
			name:  "firehose only",
			rules: []spec.Rule{firehoseRule("fh", allVPCs(), "flowplan-flow-logs", "")},
			want:  RoleNeeds{Account: a1, ARN: ownRole, CrossAccountRoles: []string{crossRole}},
			tag:   "fh",
		},
		{
			name:  "shared with a cloudwatch logs rule",
			rules: []spec.Rule{firehoseRule("fh", allVPCs(), "flowplan-flow-logs", ""), cwlRule("cw", "/vpc/{region}", allVPCs())},
			want: RoleNeeds{Account: a1, ARN: ownRole, CrossAccountRoles: []string{crossRole},
				LogGroupRegions: []string{"eu-west-1", "us-east-1"},
				LogGroupARNs:    []string{LogGroupARN(a1, "us-east-1", "/vpc/us-east-1"), LogGroupARN(a1, "eu-west-1", "/vpc/eu-west-1")}},
			tag: "cw fh",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Expand(testSpec(tt.rules...), accounts, world(targets))
			if err != nil {
				t.Fatal(err)
			}
			role := got.Resources[mustAddr(t, a1+"/global/iam_role/flowplan-flow-logs")]
			pol := got.Resources[mustAddr(t, a1+"/global/iam_role_policy/flowplan-flow-logs/flowplan-delivery")]
			if role == nil || pol == nil {
				t.Fatalf("no role or policy in %v", addrList(got))
			}
			if d := cmp.Diff(TrustPolicy(tt.want), role.Role.AssumeRolePolicy); d != "" {
				t.Errorf("trust policy (-want +got):\n%s", d)
			}
			if d := cmp.Diff(DeliveryPolicy(tt.want), pol.RolePolicy.Document); d != "" {
				t.Errorf("delivery policy (-want +got):\n%s", d)
			}
			if role.Tags[TagRule] != tt.tag {
				t.Errorf("rule tag = %q, want %q", role.Tags[TagRule], tt.tag)
			}
			if got.Resources[mustAddr(t, a2+"/global/iam_role/flowplan-flow-logs")] != nil && len(tt.rules) == 1 {
				t.Error("a role was planned in the stream's own account")
			}
		})
	}
}

func TestExpandFirehoseMissingRoles(t *testing.T) {
	r := firehoseRule("fh", allVPCs(), "", "")
	_, err := Expand(testSpec(r), []Account{{ID: a1, Regions: []string{"us-east-1"}}}, world(map[string][]Target{a1 + "/us-east-1": {vpc("vpc-1")}}))
	if err == nil || !strings.Contains(err.Error(), `rule "fh": flow logs in account 111111111111 deliver to stream`) {
		t.Errorf("err = %v, want one naming the rule and the accounts", err)
	}
}

func TestJoinRules(t *testing.T) {
	long := func(n int, prefix string) []string {
		var out []string
		for i := 0; i < n; i++ {
			out = append(out, prefix+strings.Repeat("x", 20)+string(rune('a'+i%26))+string(rune('a'+i/26)))
		}
		return out
	}
	tests := []struct {
		name  string
		rules []string
		check func(string) bool
	}{
		{"sorted and unique", []string{"b", "a", "b"}, func(s string) bool { return s == "a b" }},
		{"fits as it is", long(10, "r"), func(s string) bool { return len(s) <= 256 && !strings.Contains(s, "+") }},
		{"cut with +N", long(40, "r"), func(s string) bool { return len(s) <= 256 && strings.HasSuffix(s, " +30") }},
		{"a single huge name", []string{strings.Repeat("x", 300)}, func(s string) bool { return s == "+1" }},
	}
	for _, tt := range tests {
		if got := JoinRules(tt.rules); !tt.check(got) {
			t.Errorf("%s: JoinRules = %q (%d chars)", tt.name, got, len(got))
		}
	}
}

// TestExpandPartitions: in China, GovCloud and the isolated regions every
// ARN starts with that partition. DescribeFlowLogs, GetRole and
// GetBucketPolicy report it so; an "arn:aws:" built here would never
// compare equal (a perpetual replace) and would not work on create.
func TestExpandPartitions(t *testing.T) {
	cn := []Account{{ID: a1, Regions: []string{"cn-north-1"}, Source: "accounts"}}
	s3Rule := spec.Rule{
		Name: "central", Targets: allVPCs(), TrafficType: "REJECT", MaxAggregationInterval: 600, LogFormat: logformat.DefaultVPC,
		Destination: spec.Destination{S3: &spec.S3{BucketARN: "arn:aws-cn:s3:::cn-logs", Prefix: "vpc/", FileFormat: "plain-text",
			ManageBucketPolicy: true, BucketAccount: a2}},
	}
	s := testSpec(cwlRule("prod-vpcs", "/vpc/{region}", allVPCs()), s3Rule)
	cur := world(map[string][]Target{a1 + "/cn-north-1": {vpc("vpc-1")}})
	cur.Buckets["cn-logs"] = &BucketState{Exists: true}
	got, err := Expand(s, cn, cur)
	if err != nil {
		t.Fatal(err)
	}
	cwl := got.Resources[mustAddr(t, a1+"/cn-north-1/flow_log/prod-vpcs/vpc-1")]
	if cwl == nil {
		t.Fatalf("no CloudWatch Logs flow log in %v", addrList(got))
	}
	if want := "arn:aws-cn:logs:cn-north-1:111111111111:log-group:/vpc/cn-north-1"; cwl.FlowLog.Destination != want {
		t.Errorf("destination = %s, want %s", cwl.FlowLog.Destination, want)
	}
	if want := "arn:aws-cn:iam::111111111111:role/flowplan-flow-logs"; cwl.FlowLog.DeliverLogsPermissionARN != want {
		t.Errorf("delivery role = %s, want %s", cwl.FlowLog.DeliverLogsPermissionARN, want)
	}
	if got := got.Resources[mustAddr(t, a1+"/cn-north-1/flow_log/central/vpc-1")]; got == nil || got.FlowLog.Destination != "arn:aws-cn:s3:::cn-logs/vpc/" {
		t.Errorf("S3 flow log = %+v, want destination arn:aws-cn:s3:::cn-logs/vpc/", got)
	}
	var docs []string
	for a, r := range got.Resources {
		switch {
		case r.Role != nil:
			docs = append(docs, r.Role.AssumeRolePolicy)
		case r.RolePolicy != nil:
			docs = append(docs, r.RolePolicy.Document)
		case r.BucketPolicyStatement != nil:
			if want := "cn-logs"; r.BucketPolicyStatement.Bucket != want || !strings.HasPrefix(a.Name, want+"/") {
				t.Errorf("bucket statement %s names bucket %q, want %q", a, r.BucketPolicyStatement.Bucket, want)
			}
			docs = append(docs, r.BucketPolicyStatement.Statement)
		}
	}
	if len(docs) != 4 {
		t.Fatalf("want a trust policy, a delivery policy and two bucket statements, got %d documents in %v", len(docs), addrList(got))
	}
	for _, doc := range docs {
		if strings.Contains(doc, "arn:aws:") || !strings.Contains(doc, "arn:aws-cn:") {
			t.Errorf("document does not use the aws-cn partition: %s", doc)
		}
	}
}

func TestPartition(t *testing.T) {
	for region, want := range map[string]string{
		"us-east-1": "aws", "eu-west-1": "aws", "cn-north-1": "aws-cn", "cn-northwest-1": "aws-cn",
		"us-gov-west-1": "aws-us-gov", "us-iso-east-1": "aws-iso", "us-isob-east-1": "aws-iso-b",
		"eu-isoe-west-1": "aws-iso-e", "us-isof-south-1": "aws-iso-f",
	} {
		if got := arn.Partition(region); got != want {
			t.Errorf("arn.Partition(%s) = %s, want %s", region, got, want)
		}
	}
}
