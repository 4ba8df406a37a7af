package engine

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/flowplan/flowplan/internal/arn"
	"github.com/flowplan/flowplan/spec/logformat"
)

const (
	acct   = "111111111111"
	region = "us-east-1"
	spName = "org"
)

var roleARN = arn.Role("aws", acct, "/", "flowplan-flow-logs")

// want is a flow log configuration as Expand would build it for rule on vpc.
func wantFL(rule, vpc string, edit ...func(*FlowLog)) *Resource {
	f := with(cwl(), func(f *FlowLog) {
		f.ResourceID = vpc
		f.DeliverLogsPermissionARN = roleARN
		f.Destination = "arn:aws:logs:us-east-1:111111111111:log-group:/vpc/flow"
	})
	for _, e := range edit {
		e(f)
	}
	return &Resource{
		Addr:    Addr{Account: acct, Region: region, Kind: KindFlowLog, Name: rule + "/" + vpc},
		Tags:    map[string]string{TagSpec: spName, TagRule: rule},
		FlowLog: f,
	}
}

// have is a discovered flow log with the given tags, shaped as AWS returns
// it: ":*" on the log group ARN, no resource type, spelled-out format.
func haveFL(vpc, id string, tags map[string]string, edit ...func(*FlowLog)) *Resource {
	r := wantFL("x", vpc, edit...)
	r.FlowLog.Destination += ":*"
	r.FlowLog.ResourceType = ""
	if r.FlowLog.Status == nil {
		r.FlowLog.Status = &FlowLogStatus{FlowLogStatus: "ACTIVE", DeliverLogsStatus: "SUCCESS"}
	}
	r.ID = id
	r.Tags = tags
	r.Addr.Name = vpc + "/" + id
	return r
}

func ours(rule string, extra ...string) map[string]string {
	t := map[string]string{TagSpec: spName, TagRule: rule}
	for i := 0; i+1 < len(extra); i += 2 {
		t[extra[i]] = extra[i+1]
	}
	return t
}

func state(rs ...*Resource) *State {
	s := NewState()
	for _, r := range rs {
		s.Add(r)
	}
	return s
}

func desiredState(prune bool, rs ...*Resource) *State {
	s := state(rs...)
	s.Spec = SpecRef{Name: spName}
	s.Prune = prune
	return s
}

// summary renders a plan as "action addr" lines and "note kind addr" lines.
func summary(p *Plan) []string {
	var out []string
	for _, c := range p.Changes {
		out = append(out, string(c.Action)+" "+c.Addr.String())
	}
	for _, n := range p.Notes {
		out = append(out, "note "+string(n.Kind)+" "+n.Addr.String())
	}
	return out
}

func change(p *Plan, addr string) *Change {
	for _, c := range p.Changes {
		if c.Addr.String() == addr {
			return c
		}
	}
	return nil
}

const fl = acct + "/" + region + "/flow_log/"

// firehoseFL makes a flow log (from wantFL or haveFL) a cross-account
// Firehose one, with the given delivery role.
func firehoseFL(r *Resource, deliveryRole string) *Resource {
	r.FlowLog.DestinationType = DestFirehose
	r.FlowLog.Destination = "arn:aws:firehose:us-east-1:222222222222:deliverystream/flows"
	r.FlowLog.DeliverLogsPermissionARN = deliveryRole
	r.FlowLog.DeliverCrossAccountRole = "arn:aws:iam::222222222222:role/AWSLogDeliveryFirehoseCrossAccountRole"
	return r
}

func TestDiffFlowLogs(t *testing.T) {
	rejectOnly := func(f *FlowLog) { f.TrafficType = "REJECT" }
	shortInterval := func(f *FlowLog) { f.MaxAggregationInterval = 60 }
	otherGroup := func(f *FlowLog) { f.Destination = "arn:aws:logs:us-east-1:111111111111:log-group:/other" }
	tests := []struct {
		name     string
		current  []*Resource
		desired  []*Resource
		prune    bool
		want     []string
		reason   map[string]string // addr → substring of Reason
		diffAttr map[string]string // addr → first Diffs attr
		note     map[string]string // addr → the Message of its note
	}{
		{
			name:    "create when nothing exists",
			desired: []*Resource{wantFL("prod", "vpc-1")},
			want:    []string{"create " + fl + "prod/vpc-1"},
		},
		{
			name:    "no-op against the shape AWS returns",
			current: []*Resource{haveFL("vpc-1", "fl-1", ours("prod"), func(f *FlowLog) { f.LogFormat = ""; f.MaxAggregationInterval = 0 })},
			desired: []*Resource{wantFL("prod", "vpc-1", func(f *FlowLog) { f.LogFormat = "default" })},
			want:    []string{"no-op " + fl + "prod/vpc-1"},
		},
		{
			name:     "tag update in place",
			current:  []*Resource{haveFL("vpc-1", "fl-1", ours("prod", "owner", "net"))},
			desired:  []*Resource{withTags(wantFL("prod", "vpc-1"), "owner", "sec")},
			want:     []string{"update " + fl + "prod/vpc-1"},
			reason:   map[string]string{fl + "prod/vpc-1": "tags.owner: net → sec in place"},
			diffAttr: map[string]string{fl + "prod/vpc-1": "tags.owner"},
		},
		{
			name:    "tags other tools added are left alone",
			current: []*Resource{haveFL("vpc-1", "fl-1", ours("prod", "cost-center", "42", "aws:createdBy", "x"))},
			desired: []*Resource{wantFL("prod", "vpc-1")},
			want:    []string{"no-op " + fl + "prod/vpc-1"},
		},
		{
			name:     "immutable attribute forces replacement",
			current:  []*Resource{haveFL("vpc-1", "fl-1", ours("prod"), rejectOnly)},
			desired:  []*Resource{wantFL("prod", "vpc-1")},
			want:     []string{"replace " + fl + "prod/vpc-1"},
			reason:   map[string]string{fl + "prod/vpc-1": "traffic_type: REJECT → ALL forces replacement"},
			diffAttr: map[string]string{fl + "prod/vpc-1": "traffic_type"},
		},
		{
			name:    "a replacement AWS would refuse as a duplicate deletes the old flow log first, and says so",
			current: []*Resource{haveFL("vpc-1", "fl-1", ours("prod"), func(f *FlowLog) { f.MaxAggregationInterval = 60 })},
			desired: []*Resource{wantFL("prod", "vpc-1")},
			want:    []string{"replace " + fl + "prod/vpc-1"},
			reason: map[string]string{fl + "prod/vpc-1": "max_aggregation_interval: 60 → 600 forces replacement; " +
				"AWS refuses a second flow log on vpc-1 with the same destination and traffic type, so fl-1 is deleted first"},
		},
		{
			name:    "a cross-account firehose flow log with its roles is a no-op",
			current: []*Resource{firehoseFL(haveFL("vpc-1", "fl-1", ours("prod")), roleARN)},
			desired: []*Resource{firehoseFL(wantFL("prod", "vpc-1"), roleARN)},
			want:    []string{"no-op " + fl + "prod/vpc-1"},
		},
		{
			name:     "a cross-account firehose flow log without its delivery role is replaced",
			current:  []*Resource{firehoseFL(haveFL("vpc-1", "fl-1", ours("prod")), "")},
			desired:  []*Resource{firehoseFL(wantFL("prod", "vpc-1"), roleARN)},
			want:     []string{"replace " + fl + "prod/vpc-1"},
			reason:   map[string]string{fl + "prod/vpc-1": "deliver_logs_permission_arn: (none) → " + roleARN + " forces replacement"},
			diffAttr: map[string]string{fl + "prod/vpc-1": "deliver_logs_permission_arn"},
		},
		{
			name:     "unmanaged flow log with the same configuration is adopted",
			current:  []*Resource{haveFL("vpc-1", "fl-1", map[string]string{"Name": "legacy"})},
			desired:  []*Resource{wantFL("prod", "vpc-1")},
			want:     []string{"adopt " + fl + "prod/vpc-1"},
			reason:   map[string]string{fl + "prod/vpc-1": "fl-1 already has this configuration"},
			diffAttr: map[string]string{fl + "prod/vpc-1": "tags.flowplan:rule"},
		},
		{
			name:    "another spec's flow log is never adopted",
			current: []*Resource{haveFL("vpc-1", "fl-1", map[string]string{TagSpec: "other", TagRule: "prod"})},
			desired: []*Resource{wantFL("prod", "vpc-1")},
			want:    []string{"create " + fl + "prod/vpc-1", "note conflict " + fl + "vpc-1/fl-1"},
			note:    map[string]string{fl + "vpc-1/fl-1": `flow log fl-1 on vpc-1 is managed by spec "other" and already has this configuration; flowplan never takes over another spec's flow log, and AWS will likely refuse ` + fl + "prod/vpc-1 as a duplicate"},
		},
		{
			name:     "rule rename is a tag update, not a replace",
			current:  []*Resource{haveFL("vpc-1", "fl-1", ours("old-name"))},
			desired:  []*Resource{wantFL("new-name", "vpc-1")},
			want:     []string{"update " + fl + "new-name/vpc-1"},
			reason:   map[string]string{fl + "new-name/vpc-1": `rule renamed: flow log fl-1 of rule "old-name" matches`},
			diffAttr: map[string]string{fl + "new-name/vpc-1": "tags.flowplan:rule"},
		},
		{
			name:    "rule rename with a new configuration creates and orphans without prune",
			current: []*Resource{haveFL("vpc-1", "fl-1", ours("old-name"), rejectOnly)},
			desired: []*Resource{wantFL("new-name", "vpc-1")},
			want:    []string{"create " + fl + "new-name/vpc-1", "note orphan " + fl + "old-name/vpc-1"},
		},
		{
			name:    "rule rename with a new configuration creates and deletes under prune",
			current: []*Resource{haveFL("vpc-1", "fl-1", ours("old-name"), rejectOnly)},
			desired: []*Resource{wantFL("new-name", "vpc-1")},
			prune:   true,
			want:    []string{"create " + fl + "new-name/vpc-1", "delete " + fl + "old-name/vpc-1"},
		},
		{
			name:    "prune deletes a managed flow log the spec no longer wants",
			current: []*Resource{haveFL("vpc-9", "fl-9", ours("prod"))},
			prune:   true,
			want:    []string{"delete " + fl + "prod/vpc-9"},
			reason:  map[string]string{fl + "prod/vpc-9": "no longer wanted by the spec (prune)"},
		},
		{
			name:    "without prune it is orphaned and kept",
			current: []*Resource{haveFL("vpc-9", "fl-9", ours("prod"))},
			want:    []string{"note orphan " + fl + "prod/vpc-9"},
		},
		{
			name:    "prune never deletes unmanaged or other specs' flow logs",
			current: []*Resource{haveFL("vpc-9", "fl-8", nil), haveFL("vpc-9", "fl-9", map[string]string{TagSpec: "other", TagRule: "prod"})},
			prune:   true,
			want:    nil,
		},
		{
			name:    "unmanaged flow logs on targets the spec manages are listed",
			current: []*Resource{haveFL("vpc-1", "fl-1", ours("prod")), haveFL("vpc-1", "fl-2", nil, otherGroup)},
			desired: []*Resource{wantFL("prod", "vpc-1")},
			want:    []string{"no-op " + fl + "prod/vpc-1", "note unmanaged " + fl + "vpc-1/fl-2"},
		},
		{
			name:    "unmanaged flow log of the same traffic to the same destination with another configuration is a conflict",
			current: []*Resource{haveFL("vpc-1", "fl-2", nil, shortInterval)},
			desired: []*Resource{wantFL("prod", "vpc-1")},
			want:    []string{"create " + fl + "prod/vpc-1", "note conflict " + fl + "vpc-1/fl-2"},
			note:    map[string]string{fl + "vpc-1/fl-2": "unmanaged flow log fl-2 on vpc-1 delivers the same traffic to the same destination with a different configuration (max_aggregation_interval: 60 → 600); AWS will likely refuse " + fl + "prod/vpc-1 as a duplicate"},
		},
		{
			name:    "another spec's flow log of the same traffic to the same destination with another configuration is a conflict",
			current: []*Resource{haveFL("vpc-1", "fl-2", map[string]string{TagSpec: "other"}, shortInterval)},
			desired: []*Resource{wantFL("prod", "vpc-1")},
			want:    []string{"create " + fl + "prod/vpc-1", "note conflict " + fl + "vpc-1/fl-2"},
			note:    map[string]string{fl + "vpc-1/fl-2": `flow log fl-2 on vpc-1 is managed by spec "other" and delivers the same traffic to the same destination with a different configuration (max_aggregation_interval: 60 → 600); AWS will likely refuse ` + fl + "prod/vpc-1 as a duplicate"},
		},
		{
			name:    "an unmanaged flow log of other traffic to the same destination is no conflict",
			current: []*Resource{haveFL("vpc-1", "fl-2", nil, rejectOnly)},
			desired: []*Resource{wantFL("prod", "vpc-1")},
			want:    []string{"create " + fl + "prod/vpc-1", "note unmanaged " + fl + "vpc-1/fl-2"},
		},
		{
			name:    "a duplicate managed flow log left by a failed replacement is deleted under prune",
			current: []*Resource{haveFL("vpc-1", "fl-1", ours("prod"), rejectOnly), haveFL("vpc-1", "fl-2", ours("prod"))},
			desired: []*Resource{wantFL("prod", "vpc-1")},
			prune:   true,
			want:    []string{"no-op " + fl + "prod/vpc-1", "delete " + fl + "vpc-1/fl-1"},
		},
		{
			name:    "an unmanaged twin of the new configuration is adopted, not duplicated by a replace",
			current: []*Resource{haveFL("vpc-1", "fl-1", ours("prod"), rejectOnly), haveFL("vpc-1", "fl-2", nil)},
			desired: []*Resource{wantFL("prod", "vpc-1")},
			want:    []string{"adopt " + fl + "prod/vpc-1", "note orphan " + fl + "vpc-1/fl-1"},
		},
		{
			name:    "an unmanaged twin of the new configuration is adopted, and the old flow log deleted under prune",
			current: []*Resource{haveFL("vpc-1", "fl-1", ours("prod"), rejectOnly), haveFL("vpc-1", "fl-2", nil)},
			desired: []*Resource{wantFL("prod", "vpc-1")},
			prune:   true,
			want:    []string{"adopt " + fl + "prod/vpc-1", "delete " + fl + "vpc-1/fl-1"},
		},
		{
			name:    "two rules on one resource each keep their own flow log",
			current: []*Resource{haveFL("vpc-1", "fl-1", ours("a")), haveFL("vpc-1", "fl-2", ours("b"), otherGroup)},
			desired: []*Resource{wantFL("a", "vpc-1"), wantFL("b", "vpc-1", otherGroup)},
			want:    []string{"no-op " + fl + "a/vpc-1", "no-op " + fl + "b/vpc-1"},
		},
		{
			name:    "two rules swapped configurations are re-tagged, not replaced",
			current: []*Resource{haveFL("vpc-1", "fl-1", ours("b")), haveFL("vpc-1", "fl-2", ours("a"), otherGroup)},
			desired: []*Resource{wantFL("a", "vpc-1"), wantFL("b", "vpc-1", otherGroup)},
			want:    []string{"update " + fl + "a/vpc-1", "update " + fl + "b/vpc-1"},
		},
		{
			name: "a matched flow log that cannot deliver is reported",
			current: []*Resource{haveFL("vpc-1", "fl-1", ours("prod"), func(f *FlowLog) {
				f.Status = &FlowLogStatus{DeliverLogsStatus: "FAILED", DeliverLogsErrorMessage: "Access error"}
			})},
			desired: []*Resource{wantFL("prod", "vpc-1")},
			want:    []string{"no-op " + fl + "prod/vpc-1", "note warning " + fl + "vpc-1/fl-1"},
		},
		{
			name:    "the same flow log in another account-region is another resource",
			current: []*Resource{moveFL(haveFL("vpc-1", "fl-1", ours("prod")), "us-west-2")},
			desired: []*Resource{wantFL("prod", "vpc-1")},
			prune:   true,
			want:    []string{"create " + fl + "prod/vpc-1", "delete " + acct + "/us-west-2/flow_log/prod/vpc-1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Diff(state(tt.current...), desiredState(tt.prune, tt.desired...))
			if d := cmp.Diff(tt.want, summary(p)); d != "" {
				t.Fatalf("plan (-want +got):\n%s", d)
			}
			for addr, sub := range tt.reason {
				if c := change(p, addr); c == nil || !strings.Contains(c.Reason, sub) {
					t.Errorf("reason of %s = %q, want it to contain %q", addr, reasonOf(c), sub)
				}
			}
			for addr, msg := range tt.note {
				if got := noteMessages(p, addr); !cmp.Equal(got, []string{msg}) {
					t.Errorf("notes of %s = %q, want %q", addr, got, msg)
				}
			}
			for addr, attr := range tt.diffAttr {
				if c := change(p, addr); c == nil || len(c.Diffs) == 0 || c.Diffs[0].Attr != attr {
					t.Errorf("diffs of %s = %+v, want first %s", addr, diffsOf(c), attr)
				}
			}
		})
	}
}

func withTags(r *Resource, kv ...string) *Resource {
	for i := 0; i+1 < len(kv); i += 2 {
		r.Tags[kv[i]] = kv[i+1]
	}
	return r
}

func moveFL(r *Resource, region string) *Resource {
	r.Addr.Region = region
	r.FlowLog.Destination = strings.Replace(r.FlowLog.Destination, "us-east-1", region, 1)
	return r
}

func noteMessages(p *Plan, addr string) []string {
	var out []string
	for _, n := range p.Notes {
		if n.Addr.String() == addr {
			out = append(out, n.Message)
		}
	}
	return out
}

func reasonOf(c *Change) string {
	if c == nil {
		return "<no change>"
	}
	return c.Reason
}

func diffsOf(c *Change) []AttrDiff {
	if c == nil {
		return nil
	}
	return c.Diffs
}

func TestDiffAdoptKeepsIDAndAddsTags(t *testing.T) {
	p := Diff(state(haveFL("vpc-1", "fl-1", map[string]string{"Name": "legacy"})), desiredState(false, withTags(wantFL("prod", "vpc-1"), "owner", "net")))
	c := change(p, fl+"prod/vpc-1")
	if c == nil || c.Action != Adopt {
		t.Fatalf("want adopt, got %+v", c)
	}
	if c.Before.ID != "fl-1" || c.After.ID != "fl-1" {
		t.Errorf("adopt Before/After IDs = %q/%q, want fl-1", c.Before.ID, c.After.ID)
	}
	// After keeps the tag only the flow log has: a provider diffing Before
	// and After tags must not remove it.
	wantTags := map[string]string{"Name": "legacy", "owner": "net", TagSpec: spName, TagRule: "prod"}
	if d := cmp.Diff(wantTags, c.After.Tags); d != "" {
		t.Errorf("After tags (-want +got):\n%s", d)
	}
	var attrs []string
	for _, d := range c.Diffs {
		attrs = append(attrs, d.Attr)
	}
	if d := cmp.Diff([]string{"tags.flowplan:rule", "tags.flowplan:spec", "tags.owner"}, attrs); d != "" {
		t.Errorf("adopt diffs (-want +got):\n%s", d)
	}
}

func TestDiffReplaceListsEveryForcingAttribute(t *testing.T) {
	p := Diff(state(haveFL("vpc-1", "fl-1", ours("prod", "owner", "a"), func(f *FlowLog) {
		f.TrafficType = "REJECT"
		f.LogFormat = "${srcaddr} ${dstaddr}"
	})), desiredState(false, withTags(wantFL("prod", "vpc-1"), "owner", "b")))
	c := change(p, fl+"prod/vpc-1")
	want := []AttrDiff{
		{Attr: "log_format", Before: "${srcaddr} ${dstaddr}", After: logformat.DefaultVPC, ForcesReplacement: true},
		{Attr: "tags.owner", Before: "a", After: "b"},
		{Attr: "traffic_type", Before: "REJECT", After: "ALL", ForcesReplacement: true},
	}
	if d := cmp.Diff(want, c.Diffs); d != "" {
		t.Errorf("diffs (-want +got):\n%s", d)
	}
	if !strings.HasPrefix(c.Reason, "log_format changes; traffic_type: REJECT → ALL forces replacement") {
		t.Errorf("reason = %q", c.Reason)
	}
}

// --- roles, policies, log groups, statements ---

func roleRes(tags map[string]string, edit ...func(*Role)) *Resource {
	r := &Role{Name: "flowplan-flow-logs", Path: "/", AssumeRolePolicy: TrustPolicy(RoleNeeds{Account: acct, LogGroupRegions: []string{region}})}
	for _, e := range edit {
		e(r)
	}
	return &Resource{Addr: Addr{Account: acct, Region: GlobalRegion, Kind: KindRole, Name: r.Name}, Tags: tags, Role: r,
		ID: arn.Role("aws", acct, r.Path, r.Name)}
}

func withID(r *Resource, id string) *Resource {
	r.ID = id
	return r
}

func rolePolicyRes(doc string) *Resource {
	return &Resource{
		Addr:       Addr{Account: acct, Region: GlobalRegion, Kind: KindRolePolicy, Name: "flowplan-flow-logs/" + DeliveryPolicyName},
		RolePolicy: &RolePolicy{RoleName: "flowplan-flow-logs", PolicyName: DeliveryPolicyName, Document: doc},
	}
}

func logGroupRes(tags map[string]string, retention int) *Resource {
	return &Resource{Addr: Addr{Account: acct, Region: region, Kind: KindLogGroup, Name: "/vpc/flow"}, Tags: tags,
		LogGroup: &LogGroup{Name: "/vpc/flow", RetentionDays: retention}}
}

// unread marks a discovered log group as returned without its tags.
func unread(r *Resource) *Resource {
	r.LogGroup.TagsUnread = true
	return r
}

func statementRes(sid, stmt string) *Resource {
	return &Resource{Addr: Addr{Account: "999999999999", Region: GlobalRegion, Kind: KindBucketPolicyStatement, Name: "org-logs/" + sid},
		BucketPolicyStatement: &BucketPolicyStatement{Bucket: "org-logs", Sid: sid, Statement: stmt}}
}

var policyDocument = DeliveryPolicy(RoleNeeds{LogGroupARNs: []string{LogGroupARN(acct, region, "/vpc/flow")}})

// sharedNeeds are the needs of a role that a CloudWatch Logs rule and a
// cross-account Firehose rule share.
var sharedNeeds = RoleNeeds{Account: acct, ARN: roleARN, LogGroupRegions: []string{region},
	LogGroupARNs:      []string{LogGroupARN(acct, region, "/vpc/flow")},
	CrossAccountRoles: []string{"arn:aws:iam::222222222222:role/AWSLogDeliveryFirehoseCrossAccountRole"}}

const (
	roleAddr   = acct + "/global/iam_role/flowplan-flow-logs"
	policyAddr = acct + "/global/iam_role_policy/flowplan-flow-logs/flowplan-delivery"
	groupAddr  = acct + "/us-east-1/log_group//vpc/flow"
)

func TestDiffSupportingResources(t *testing.T) {
	write := BucketStatements(spName, "arn:aws:s3:::org-logs", []BucketWriter{{Account: acct}})
	writeSid := BucketStatementSid(spName, WriteStatementKind(""))
	tests := []struct {
		name    string
		current []*Resource
		desired []*Resource
		prune   bool
		want    []string
		reason  map[string]string
		note    map[string]string // addr → the Message of its note
	}{
		{
			name:    "everything created",
			desired: []*Resource{roleRes(ours("prod")), rolePolicyRes(policyDocument), logGroupRes(ours("prod"), 30)},
			want:    []string{"create " + roleAddr, "create " + policyAddr, "create " + groupAddr},
		},
		{
			name: "IAM's url-encoded documents compare equal",
			current: []*Resource{roleRes(ours("prod"), func(r *Role) { r.AssumeRolePolicy = url.PathEscape(r.AssumeRolePolicy); r.Path = "" }),
				rolePolicyRes(url.PathEscape(policyDocument))},
			desired: []*Resource{roleRes(ours("prod")), rolePolicyRes(policyDocument)},
			want:    []string{"no-op " + roleAddr, "no-op " + policyAddr},
		},
		{
			name:    "trust policy, boundary and rule tag update in place",
			current: []*Resource{roleRes(ours("a")), rolePolicyRes(policyDocument)},
			desired: []*Resource{roleRes(ours("a,b"), func(r *Role) {
				r.AssumeRolePolicy = TrustPolicy(RoleNeeds{Account: acct, LogGroupRegions: []string{region, "eu-west-1"}})
				r.PermissionsBoundary = "arn:aws:iam::111111111111:policy/boundary"
			}), rolePolicyRes(DeliveryPolicy(RoleNeeds{LogGroupARNs: []string{"x"}}))},
			want:   []string{"update " + roleAddr, "update " + policyAddr},
			reason: map[string]string{roleAddr: "assume_role_policy changes; permissions_boundary: (none) → arn:aws:iam::111111111111:policy/boundary; tags.flowplan:rule: a → a,b in place"},
		},
		{
			name:    "a role that cross-account firehose rules start to use gains a trust statement in place",
			current: []*Resource{roleRes(ours("a")), rolePolicyRes(policyDocument)},
			desired: []*Resource{roleRes(ours("a fh"), func(r *Role) { r.AssumeRolePolicy = TrustPolicy(sharedNeeds) }), rolePolicyRes(DeliveryPolicy(sharedNeeds))},
			want:    []string{"update " + roleAddr, "update " + policyAddr},
			reason:  map[string]string{roleAddr: "assume_role_policy changes; tags.flowplan:rule: a → a fh in place"},
		},
		{
			name:    "a role still used by a cross-account firehose flow log that stays is kept",
			current: []*Resource{roleRes(ours("fh")), rolePolicyRes(policyDocument), firehoseFL(haveFL("vpc-1", "fl-1", nil), roleARN)},
			prune:   true,
			want:    []string{"note orphan " + roleAddr},
		},
		{
			name:    "role path forces replacement of the role and its policy",
			current: []*Resource{roleRes(ours("prod")), rolePolicyRes(policyDocument)},
			desired: []*Resource{roleRes(ours("prod"), func(r *Role) { r.Path = "/flowplan/" }), rolePolicyRes(policyDocument)},
			want:    []string{"replace " + roleAddr, "replace " + policyAddr},
			reason:  map[string]string{roleAddr: "path: / → /flowplan/ forces replacement", policyAddr: "its role is replaced"},
		},
		{
			name:    "prune deletes a role nothing uses, with its policy",
			current: []*Resource{roleRes(ours("prod")), rolePolicyRes(policyDocument)},
			prune:   true,
			// Apply's order: the policy goes before its role.
			want: []string{"delete " + policyAddr, "delete " + roleAddr},
		},
		{
			name:    "a role still used by a flow log that stays is kept",
			current: []*Resource{roleRes(ours("prod")), rolePolicyRes(policyDocument), haveFL("vpc-1", "fl-1", nil)},
			prune:   true,
			want:    []string{"note orphan " + roleAddr},
			reason:  nil,
		},
		{
			name: "a role in another partition still used by a flow log that stays is kept",
			current: []*Resource{
				withID(roleRes(ours("prod")), ""), rolePolicyRes(policyDocument),
				haveFL("vpc-1", "fl-1", nil, func(f *FlowLog) { f.DeliverLogsPermissionARN = "arn:aws-cn:iam::111111111111:role/flowplan-flow-logs" }),
			},
			prune: true,
			want:  []string{"note orphan " + roleAddr},
		},
		{
			name:    "without prune an unused role is orphaned",
			current: []*Resource{roleRes(ours("prod")), rolePolicyRes(policyDocument)},
			want:    []string{"note orphan " + roleAddr},
		},
		{
			name:    "another spec's role is never pruned",
			current: []*Resource{roleRes(map[string]string{TagSpec: "other"})},
			prune:   true,
			want:    nil,
		},
		{
			name:    "log group retention updated in place",
			current: []*Resource{logGroupRes(ours("prod"), 30)},
			desired: []*Resource{logGroupRes(ours("prod"), 90)},
			want:    []string{"update " + groupAddr},
			reason:  map[string]string{groupAddr: "retention_days: 30 → 90 in place"},
		},
		{
			name:    "a log group with our name but not our tags is used as it is",
			current: []*Resource{logGroupRes(nil, 0)},
			desired: []*Resource{logGroupRes(ours("prod"), 90)},
			want:    []string{"note conflict " + groupAddr},
		},
		{
			name:    "a log group without our tags that matches the spec is unmanaged, not a conflict",
			current: []*Resource{logGroupRes(map[string]string{"team": "net"}, 90)},
			desired: []*Resource{logGroupRes(ours("prod"), 90)},
			want:    []string{"note unmanaged " + groupAddr},
			note:    map[string]string{groupAddr: "log group exists without flowplan:spec=org; used as it is, never modified"},
		},
		{
			name:    "a log group without our tags that differs says how, ownership tags aside",
			current: []*Resource{logGroupRes(nil, 0)},
			desired: []*Resource{logGroupRes(ours("prod", "owner", "net"), 90)},
			want:    []string{"note conflict " + groupAddr},
			note:    map[string]string{groupAddr: "log group exists without flowplan:spec=org; used as it is, never modified; it differs from the spec: retention_days: never expire → 90; tags.owner: (none) → net"},
		},
		{
			name:    "a log group whose tags were not read and whose settings match changes nothing",
			current: []*Resource{unread(logGroupRes(nil, 90))},
			desired: []*Resource{logGroupRes(ours("prod", "owner", "net"), 90)},
			want:    []string{"no-op " + groupAddr},
			reason:  map[string]string{groupAddr: "matches the spec (retention and key as the spec says; its tags were not read, as nothing is to change)"},
		},
		{
			name:    "a log group whose tags were not read is never modified, even when it differs",
			current: []*Resource{unread(logGroupRes(nil, 30))},
			desired: []*Resource{logGroupRes(ours("prod"), 90)},
			want:    []string{"note conflict " + groupAddr},
			note:    map[string]string{groupAddr: "log group's tags were not read, so its owner is unknown; never modified; it differs from the spec: retention_days: 30 → 90"},
		},
		{
			name:    "a log group whose tags were not read is never an orphan",
			current: []*Resource{unread(logGroupRes(nil, 30))},
			prune:   true,
			want:    nil,
		},
		{
			name:    "log groups are never deleted, even under prune",
			current: []*Resource{logGroupRes(ours("prod"), 30)},
			prune:   true,
			want:    []string{"note orphan " + groupAddr},
		},
		{
			name:    "bucket statement created",
			desired: []*Resource{statementRes(writeSid, write[writeSid])},
			want:    []string{"create 999999999999/global/s3_bucket_policy_statement/org-logs/" + writeSid},
		},
		{
			name:    "bucket statement updated",
			current: []*Resource{statementRes(writeSid, strings.Replace(write[writeSid], acct, "222222222222", -1))},
			desired: []*Resource{statementRes(writeSid, write[writeSid])},
			want:    []string{"update 999999999999/global/s3_bucket_policy_statement/org-logs/" + writeSid},
		},
		{
			name:    "prune deletes our statements only",
			current: []*Resource{statementRes(writeSid, write[writeSid]), statementRes("flowplan-org-eu-aclcheck", `{"Sid":"flowplan-org-eu-aclcheck"}`)},
			prune:   true,
			want:    []string{"delete 999999999999/global/s3_bucket_policy_statement/org-logs/" + writeSid},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Diff(state(tt.current...), desiredState(tt.prune, tt.desired...))
			if d := cmp.Diff(tt.want, summary(p)); d != "" {
				t.Fatalf("plan (-want +got):\n%s", d)
			}
			for addr, sub := range tt.reason {
				if c := change(p, addr); c == nil || !strings.Contains(c.Reason, sub) {
					t.Errorf("reason of %s = %q, want it to contain %q", addr, reasonOf(c), sub)
				}
			}
			for addr, msg := range tt.note {
				if got := noteMessages(p, addr); !cmp.Equal(got, []string{msg}) {
					t.Errorf("notes of %s = %q, want %q", addr, got, msg)
				}
			}
		})
	}
}

func TestDiffDependencies(t *testing.T) {
	write := BucketStatements(spName, "arn:aws:s3:::org-logs", []BucketWriter{{Account: acct, Prefix: "vpc/"}})
	s3want := func(f *FlowLog) {
		f.DestinationType = DestS3
		f.Destination = "arn:aws:s3:::org-logs/vpc/"
		f.DeliverLogsPermissionARN = ""
		f.FileFormat = "plain-text"
	}
	var stmts []*Resource
	for sid, st := range write {
		stmts = append(stmts, statementRes(sid, st))
	}
	aclAddr := "999999999999/global/s3_bucket_policy_statement/org-logs/flowplan-org-aclcheck"
	writeAddr := "999999999999/global/s3_bucket_policy_statement/org-logs/" + BucketStatementSid(spName, WriteStatementKind("vpc/"))

	t.Run("creates follow the chain", func(t *testing.T) {
		desired := addAll(desiredState(false, roleRes(ours("prod")), rolePolicyRes(policyDocument), logGroupRes(ours("prod"), 0),
			wantFL("prod", "vpc-1"), wantFL("s3", "vpc-2", s3want)), stmts...)
		p := Diff(state(), desired)
		wantDeps := map[string][]string{
			policyAddr:        {roleAddr},
			fl + "prod/vpc-1": {roleAddr, policyAddr, groupAddr},
			fl + "s3/vpc-2":   {aclAddr, writeAddr},
			roleAddr:          nil,
			groupAddr:         nil,
		}
		checkDeps(t, p, wantDeps)
	})
	t.Run("no-op resources are not dependencies", func(t *testing.T) {
		p := Diff(state(roleRes(ours("prod")), rolePolicyRes(policyDocument), logGroupRes(ours("prod"), 0)),
			desiredState(false, roleRes(ours("prod")), rolePolicyRes(policyDocument), logGroupRes(ours("prod"), 0), wantFL("prod", "vpc-1")))
		checkDeps(t, p, map[string][]string{fl + "prod/vpc-1": nil})
	})
	t.Run("deletes run in reverse", func(t *testing.T) {
		current := addAll(state(roleRes(ours("prod")), rolePolicyRes(policyDocument),
			haveFL("vpc-1", "fl-1", ours("prod")), haveFL("vpc-2", "fl-2", ours("s3"), s3want)), stmts...)
		p := Diff(current, desiredState(true))
		checkDeps(t, p, map[string][]string{
			roleAddr:          {policyAddr, fl + "prod/vpc-1"},
			policyAddr:        {fl + "prod/vpc-1"},
			aclAddr:           {fl + "s3/vpc-2"},
			writeAddr:         {fl + "s3/vpc-2"},
			fl + "prod/vpc-1": nil,
		})
	})
	t.Run("a role is deleted only after the flow log replaced away from it", func(t *testing.T) {
		p := Diff(state(roleRes(ours("prod")), rolePolicyRes(policyDocument), haveFL("vpc-1", "fl-1", ours("prod"))),
			addAll(desiredState(true, wantFL("prod", "vpc-1", s3want)), stmts...))
		if c := change(p, fl+"prod/vpc-1"); c == nil || c.Action != Replace {
			t.Fatalf("want a replace, got %+v", c)
		}
		checkDeps(t, p, map[string][]string{roleAddr: {policyAddr, fl + "prod/vpc-1"}})
	})
}

// addAll adds resources to a state.
func addAll(s *State, rs ...*Resource) *State {
	for _, r := range rs {
		s.Add(r)
	}
	return s
}

func checkDeps(t *testing.T, p *Plan, want map[string][]string) {
	t.Helper()
	for addr, deps := range want {
		c := change(p, addr)
		if c == nil {
			t.Errorf("no change at %s; plan: %v", addr, summary(p))
			continue
		}
		var got []string
		for _, a := range c.DependsOn {
			got = append(got, a.String())
		}
		sort.Strings(deps)
		if d := cmp.Diff(deps, got); d != "" {
			t.Errorf("DependsOn of %s (-want +got):\n%s", addr, d)
		}
	}
}

func TestDiffFingerprints(t *testing.T) {
	target := Target{Kind: "vpcs", ID: "vpc-1", Tags: map[string]string{"env": "prod"}}
	base := func() *State {
		s := state(haveFL("vpc-1", "fl-1", nil, func(f *FlowLog) { f.TrafficType = "REJECT" }), logGroupRes(ours("prod"), 30))
		s.Targets[acct+"/"+region] = []Target{target}
		return s
	}
	desired := desiredState(false, wantFL("prod", "vpc-1"), logGroupRes(ours("prod"), 90))
	fp := func(s *State) map[string]string {
		out := map[string]string{}
		for _, c := range Diff(s, desired).Changes {
			out[c.Addr.String()] = c.Fingerprint
		}
		return out
	}
	want := fp(base())
	if len(want) != 2 || want[fl+"prod/vpc-1"] == "" || want[groupAddr] == "" {
		t.Fatalf("fingerprints = %v, want one per change", want)
	}
	tests := []struct {
		name    string
		edit    func(*State)
		changed []string
	}{
		{"same state, same fingerprints", func(*State) {}, nil},
		{"delivery status is not part of it", func(s *State) {
			for _, r := range s.Resources {
				if r.FlowLog != nil {
					r.FlowLog.Status = &FlowLogStatus{DeliverLogsStatus: "FAILED"}
				}
			}
		}, nil},
		{"shape AWS returns does not matter", func(s *State) {
			for _, r := range s.Resources {
				if r.FlowLog != nil {
					r.FlowLog.Destination = strings.TrimSuffix(r.FlowLog.Destination, ":*")
				}
			}
		}, nil},
		{"a new flow log on the target", func(s *State) { s.Add(haveFL("vpc-1", "fl-2", nil)) }, []string{fl + "prod/vpc-1"}},
		{"the target's tags changed", func(s *State) { s.Targets[acct+"/"+region][0].Tags = map[string]string{"env": "dev"} }, []string{fl + "prod/vpc-1"}},
		{"the target is gone", func(s *State) { s.Targets[acct+"/"+region] = nil }, []string{fl + "prod/vpc-1"}},
		{"the log group changed", func(s *State) { s.Resources[logGroupRes(nil, 0).Addr].LogGroup.RetentionDays = 60 }, []string{groupAddr}},
		{"a flow log elsewhere does not matter", func(s *State) { s.Add(haveFL("vpc-2", "fl-3", nil)) }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base()
			tt.edit(s)
			got := fp(s)
			var changed []string
			for addr, f := range want {
				if got[addr] != f {
					changed = append(changed, addr)
				}
			}
			sort.Strings(changed)
			if d := cmp.Diff(tt.changed, changed); d != "" {
				t.Errorf("changed fingerprints (-want +got):\n%s", d)
			}
		})
	}
}

func TestDiffBucketPolicySizeWarning(t *testing.T) {
	var writers []BucketWriter
	for i := 0; i < 120; i++ {
		writers = append(writers, BucketWriter{Account: fmt.Sprintf("%012d", i)})
	}
	desired := desiredState(false)
	for sid, st := range BucketStatements(spName, "arn:aws:s3:::org-logs", writers) {
		desired.Add(statementRes(sid, st))
	}
	tests := []struct {
		name     string
		existing int
		desired  *State
		warn     bool
		refuse   bool
	}{
		{"small policy", 100, desiredState(false, statementRes("flowplan-org-aclcheck", `{"Sid":"flowplan-org-aclcheck"}`)), false, false},
		{"120 writing accounts: about 17 KB", 100, desired, true, false},
		{"120 writing accounts next to 5 KB of others' statements", 5000, desired, false, true},
		{"large policy of others, nothing of ours", 19000, desiredState(false), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			current := state()
			current.Buckets["org-logs"] = &BucketState{Exists: true, Policy: strings.Repeat("x", tt.existing)}
			p := Diff(current, tt.desired)
			var warned, refused bool
			for _, n := range p.Notes {
				if n.Kind == NoteWarning && strings.Contains(n.Message, "S3 refuses bucket policies over 20480 bytes") {
					warned = true
				}
			}
			for _, e := range p.Errors {
				if e.Scope == BucketScope("999999999999", "org-logs") && e.Code == CodeBucketPolicyTooLarge && e.Planning() {
					refused = true
				}
			}
			if warned != tt.warn || refused != tt.refuse {
				t.Errorf("warned = %v, refused = %v, want %v and %v; notes: %+v; errors: %+v", warned, refused, tt.warn, tt.refuse, p.Notes, p.Errors)
			}
		})
	}
}

func TestDiffPlanMetadata(t *testing.T) {
	current := state(haveFL("vpc-9", "fl-9", ours("prod")))
	current.Accounts = []Account{{ID: acct, Regions: []string{region}, ExternalID: "secret"}}
	current.Errors = []ScopeError{{Scope: "222222222222/us-east-1", Message: "b"}, {Scope: "222222222222", Message: "a"}}
	desired := desiredState(false, wantFL("b", "vpc-1"), wantFL("a", "vpc-2"))
	desired.Spec = SpecRef{Name: spName, File: "org.yaml", SHA256: "abc"}
	desired.Notes = []Note{{Kind: NoteWarning, Addr: Addr{Account: "0", Region: GlobalRegion, Kind: KindRole, Name: "z"}, Message: "from expand"}}
	p := Diff(current, desired)
	if p.FormatVersion != PlanFormatVersion || p.Spec != desired.Spec || len(p.Accounts) != 1 {
		t.Errorf("plan header = %q %+v %+v", p.FormatVersion, p.Spec, p.Accounts)
	}
	if d := cmp.Diff([]string{"create " + fl + "a/vpc-2", "create " + fl + "b/vpc-1",
		"note warning 0/global/iam_role/z", "note orphan " + fl + "prod/vpc-9"}, summary(p)); d != "" {
		t.Errorf("order (-want +got):\n%s", d)
	}
	if p.Errors[0].Scope != "222222222222" {
		t.Errorf("errors not sorted: %+v", p.Errors)
	}
	if p.ID != "" {
		t.Errorf("Diff must not make up an ID; got %q", p.ID)
	}
}

func TestOwnsSid(t *testing.T) {
	tests := []struct {
		spec, sid string
		want      bool
	}{
		{"prod", "flowplan-prod-aclcheck", true},
		{"prod", "flowplan-prod-write-0a1b2c3d", true},
		{"prod", "flowplan-prod-eu-aclcheck", false},
		{"prod", "flowplan-prod-write-0a1b2c3", false},
		{"prod", "flowplan-prod-write-0A1B2C3D", false},
		{"prod", "AWSLogDeliveryWrite", false},
		{"prod-eu", "flowplan-prod-eu-write-0a1b2c3d", true},
	}
	for _, tt := range tests {
		if got := OwnsSid(tt.spec, tt.sid); got != tt.want {
			t.Errorf("OwnsSid(%q, %q) = %v, want %v", tt.spec, tt.sid, got, tt.want)
		}
	}
}

func TestDiffIgnoresMalformedResources(t *testing.T) {
	bad := &Resource{Addr: Addr{Account: acct, Region: region, Kind: KindFlowLog, Name: "x/vpc-1"}}
	current := state(bad)
	current.Resources[Addr{Account: acct, Region: GlobalRegion, Kind: KindRole, Name: "nil"}] = nil
	p := Diff(current, desiredState(true, wantFL("prod", "vpc-1")))
	want := []string{
		"create " + fl + "prod/vpc-1",
		"note warning " + acct + "/global/iam_role/nil",
		"note warning " + fl + "x/vpc-1",
	}
	if d := cmp.Diff(want, summary(p)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// A saved plan checked against the very state it was made from is never
// stale, even when that state holds resources Diff ignores as malformed.
func TestCheckStaleIgnoresWhatDiffIgnores(t *testing.T) {
	current := state(&Resource{Addr: logGroupRes(nil, 0).Addr, FlowLog: cwl()})
	current.Targets[acct+"/"+region] = nil
	p := Diff(current, desiredState(false, logGroupRes(ours("prod"), 30)))
	if c := change(p, groupAddr); c == nil || c.Action != Create {
		t.Fatalf("plan = %v, want the log group created", summary(p))
	}
	if err := CheckStale(p, current); err != nil {
		t.Errorf("the state the plan was made from is stale: %v", err)
	}
}

// TestDiffIsDeterministic diffs a state full of ties (two rules and an
// unmanaged flow log per resource, shared roles, orphans) many times: Go
// randomises map order, so any order Diff forgets to fix shows here.
func TestDiffIsDeterministic(t *testing.T) {
	otherGroup := func(f *FlowLog) { f.Destination = "arn:aws:logs:us-east-1:111111111111:log-group:/other" }
	current, desired := state(roleRes(ours("a b")), rolePolicyRes(policyDocument)), desiredState(true)
	for i := 0; i < 20; i++ {
		vpc := fmt.Sprintf("vpc-%d", i)
		current.Add(haveFL(vpc, "fl-a"+vpc, ours("b")))
		current.Add(haveFL(vpc, "fl-b"+vpc, ours("a"), otherGroup))
		current.Add(haveFL(vpc, "fl-c"+vpc, ours("a"), func(f *FlowLog) { f.TrafficType = "REJECT" }))
		current.Add(haveFL(vpc, "fl-d"+vpc, nil, otherGroup, func(f *FlowLog) { f.TrafficType = "ACCEPT" }))
		desired.Add(wantFL("a", vpc))
		desired.Add(wantFL("b", vpc, otherGroup))
	}
	render := func() string {
		var b strings.Builder
		if err := WritePlan(&b, Diff(current, desired)); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	first := render()
	for i := 0; i < 20; i++ {
		if again := render(); again != first {
			t.Fatalf("Diff gave two plans for one input:\n%s", cmp.Diff(first, again))
		}
	}
}

// A role with the spec's delivery role name that the spec does not own is
// a plan error in its account naming what it lacks, unless the spec adopts
// it (delivery_roles.<name>.adopt); adopting never takes another spec's
// role, nor one whose path IAM would have to change.
func TestDiffRoleConflictAndAdopt(t *testing.T) {
	noTrust := func(r *Role) {
		r.AssumeRolePolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	}
	otherPath := func(r *Role) { r.Path = "/legacy/" }
	otherDoc := DeliveryPolicy(RoleNeeds{LogGroupARNs: []string{LogGroupARN(acct, region, "/elsewhere")}})
	tests := []struct {
		name    string
		current []*Resource
		adopt   bool
		want    []string
		// lacks are the parts the error must name; none means no error.
		lacks  []string
		absent []string
	}{
		{
			name:    "untagged, trusting another service, without our policy",
			current: []*Resource{roleRes(map[string]string{"team": "net"}, noTrust)},
			want:    []string{"create " + fl + "prod/vpc-1"},
			lacks: []string{"this spec's ownership tags (flowplan:spec=org)", "a trust policy that lets vpc-flow-logs.amazonaws.com assume it",
				"it has no inline policy flowplan-delivery", "set delivery_roles.flowplan-flow-logs.adopt: true to take it over"},
		},
		{
			name:    "untagged but otherwise fitting: still an error, lacking only the tags",
			current: []*Resource{roleRes(nil), rolePolicyRes(policyDocument)},
			want:    []string{"create " + fl + "prod/vpc-1"},
			lacks:   []string{"It lacks this spec's ownership tags (flowplan:spec=org). To go on"},
			absent:  []string{"trust policy that lets", "permissions the rules need"},
		},
		{
			name:    "untagged, with a flowplan-delivery policy of other permissions",
			current: []*Resource{roleRes(nil), rolePolicyRes(otherDoc)},
			want:    []string{"create " + fl + "prod/vpc-1"},
			lacks:   []string{"its inline policy flowplan-delivery differs from what they need"},
			absent:  []string{"trust policy that lets"},
		},
		{
			name:    "adopted: tagged, trust rewritten, its policy written",
			current: []*Resource{roleRes(map[string]string{"team": "net"}, noTrust)},
			adopt:   true,
			want:    []string{"adopt " + roleAddr, "create " + policyAddr, "create " + fl + "prod/vpc-1"},
		},
		{
			name:    "adopted with a policy of other permissions: the policy is updated",
			current: []*Resource{roleRes(nil), rolePolicyRes(otherDoc)},
			adopt:   true,
			want:    []string{"adopt " + roleAddr, "update " + policyAddr, "create " + fl + "prod/vpc-1"},
		},
		{
			name:    "another spec's role is never adopted",
			current: []*Resource{roleRes(map[string]string{TagSpec: "other", TagRule: "x"})},
			adopt:   true,
			want:    []string{"create " + fl + "prod/vpc-1"},
			lacks:   []string{`it is managed by spec "other", and flowplan never takes over another spec's role`},
			absent:  []string{"adopt: true to take it over"},
		},
		{
			name:    "a role whose path differs is not adopted",
			current: []*Resource{roleRes(nil, otherPath)},
			adopt:   true,
			want:    []string{"create " + fl + "prod/vpc-1"},
			lacks:   []string{"its path is /legacy/, not /, and IAM cannot change a role's path", "set delivery_roles.flowplan-flow-logs.path to /legacy/"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			desired := desiredState(false, roleRes(ours("prod")), rolePolicyRes(policyDocument), wantFL("prod", "vpc-1"))
			if tt.adopt {
				desired.adoptRole(RoleAddr(acct, "flowplan-flow-logs"))
			}
			p := Diff(state(tt.current...), desired)
			if d := cmp.Diff(tt.want, summary(p)); d != "" {
				t.Errorf("plan (-want +got):\n%s", d)
			}
			if len(tt.lacks) == 0 {
				if len(p.Errors) > 0 {
					t.Errorf("errors = %+v, want none", p.Errors)
				}
				if c := change(p, roleAddr); c != nil && c.Action == Adopt {
					if c.After.Tags[TagSpec] != spName || c.After.Role.AssumeRolePolicy != roleRes(nil).Role.AssumeRolePolicy {
						t.Errorf("adopted role after = %+v", c.After)
					}
					if fc := change(p, fl+"prod/vpc-1"); !slices.Contains(fc.DependsOn, c.Addr) {
						t.Errorf("the flow log depends on %v, not on the adopted role", fc.DependsOn)
					}
				}
				return
			}
			if len(p.Errors) != 1 {
				t.Fatalf("errors = %+v, want one", p.Errors)
			}
			e := p.Errors[0]
			if e.Scope != acct || e.Code != CodeRoleConflict || !e.Planning() {
				t.Errorf("error = %+v, want a plan error %s in scope %s", e, CodeRoleConflict, acct)
			}
			if !strings.Contains(e.Message, "delivery role flowplan-flow-logs (arn:aws:iam::111111111111:role/") {
				t.Errorf("message does not name the role: %s", e.Message)
			}
			for _, sub := range tt.lacks {
				if !strings.Contains(e.Message, sub) {
					t.Errorf("message lacks %q:\n%s", sub, e.Message)
				}
			}
			for _, sub := range tt.absent {
				if strings.Contains(e.Message, sub) {
					t.Errorf("message has %q:\n%s", sub, e.Message)
				}
			}
		})
	}
}
