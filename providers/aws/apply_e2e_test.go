package aws

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/internal/arn"
)

const testRegion = "eu-west-1"

// flowLogChange is a create change for a flow log with the given
// destination settings, owned by spec "test".
func flowLogChange(account, rule, resource string, fl engine.FlowLog) *engine.Change {
	addr := engine.Addr{Account: account, Region: testRegion, Kind: engine.KindFlowLog, Name: rule + "/" + resource}
	fl.ResourceID = resource
	fl.ResourceType = engine.ResourceTypeOf(resource)
	return &engine.Change{Addr: addr, Action: engine.Create, After: &engine.Resource{
		Addr: addr, Tags: map[string]string{engine.TagSpec: "test", engine.TagRule: rule, "team": "net"}, FlowLog: &fl,
	}}
}

func batch(a engine.Account, region string, kind engine.Kind, op engine.Op, changes ...*engine.Change) *engine.Batch {
	return &engine.Batch{Account: a, Region: region, Kind: kind, Op: op, Changes: changes, ClientTokenSeed: "plan-" + string(kind)}
}

func mustApply(t testing.TB, p *Provider, b *engine.Batch) []engine.Outcome {
	t.Helper()
	out := p.Apply(context.Background(), b)
	if len(out) != len(b.Changes) {
		t.Fatalf("%d outcomes for %d changes", len(out), len(b.Changes))
	}
	for i, o := range out {
		if o.Change != b.Changes[i] {
			t.Fatalf("outcome %d is for another change", i)
		}
		if o.Err != nil {
			t.Fatalf("%s %s: %v", b.Op, o.Change.Addr, o.Err)
		}
	}
	return out
}

// discoverFlowLogs returns the region's flow logs by ID.
func discoverFlowLogs(t *testing.T, p *Provider, a engine.Account) map[string]*engine.Resource {
	t.Helper()
	st, err := p.DiscoverRegion(context.Background(), engine.RegionQuery{Account: a, Region: testRegion})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*engine.Resource{}
	for _, r := range st.FlowLogs {
		out[r.ID] = r
	}
	return out
}

func TestApplyFlowLogs(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be *backend) {
		p := newTestProvider(t, be)
		acct := testAccount("111111111111", testRegion)
		ids := be.seed(t, p, (&seed{buckets: []seedBucket{{acct.ID, testRegion, "central-logs"}}}).vpcs(acct.ID+"/"+testRegion,
			seedVPC{name: "a", cidr: "10.0.0.0/16"}, seedVPC{name: "b", cidr: "10.1.0.0/16"}, seedVPC{name: "c", cidr: "10.2.0.0/16"}))
		vpcs := []string{ids["a"], ids["b"], ids["c"]}
		w := newWorld(t, p, testSession(t, p, acct))
		role := w.deliveryRole()
		group := arn.LogGroup(acct.ID, testRegion, "/vpc-flow-logs")
		cwl := engine.FlowLog{TrafficType: "ALL", DestinationType: "cloud-watch-logs", Destination: group,
			DeliverLogsPermissionARN: role, LogFormat: defaultFormat, MaxAggregationInterval: 60}
		s3 := engine.FlowLog{TrafficType: "REJECT", DestinationType: "s3", Destination: "arn:aws:s3:::central-logs",
			LogFormat: "${version} ${srcaddr} ${dstaddr}", MaxAggregationInterval: 600, FileFormat: "parquet", HiveCompatiblePartitions: true}

		// Create: three VPCs share one configuration, one S3 flow log has
		// its own: two CreateFlowLogs calls and one DescribeFlowLogs.
		create := batch(acct, testRegion, engine.KindFlowLog, engine.OpCreate,
			flowLogChange(acct.ID, "prod", vpcs[0], cwl), flowLogChange(acct.ID, "prod", vpcs[1], cwl),
			flowLogChange(acct.ID, "audit", vpcs[0], s3), flowLogChange(acct.ID, "prod", vpcs[2], cwl))
		p.Stats().Reset()
		created := mustApply(t, p, create)
		calls := p.Stats().ScopeCalls(acct.ID + "/" + testRegion)
		if calls["EC2:CreateFlowLogs"] != 2 || calls["EC2:DescribeFlowLogs"] != 1 {
			t.Errorf("calls = %v, want 2 CreateFlowLogs and 1 DescribeFlowLogs", calls)
		}
		live := discoverFlowLogs(t, p, acct)
		for _, o := range created {
			r := o.Resource
			if r == nil || !strings.HasPrefix(r.ID, "fl-") || r.Addr != o.Change.Addr || r.FlowLog.Status == nil {
				t.Fatalf("%s: resource %+v, want the created flow log with its status", o.Change.Addr, r)
			}
			want := *o.Change.After.FlowLog
			got := *live[r.ID].FlowLog
			got.Status = nil
			if !be.destinationOptions {
				got.FileFormat, got.HiveCompatiblePartitions, got.PerHourPartition = want.FileFormat, want.HiveCompatiblePartitions, want.PerHourPartition
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("%s as discovered (-want +got):\n%s", o.Change.Addr, d)
			}
			if d := cmp.Diff(o.Change.After.Tags, live[r.ID].Tags); d != "" {
				t.Errorf("%s tags (-want +got):\n%s", o.Change.Addr, d)
			}
		}

		// A duplicate is refused: engine.ErrAlreadyExists for it alone.
		dup := batch(acct, testRegion, engine.KindFlowLog, engine.OpCreate, flowLogChange(acct.ID, "again", vpcs[0], cwl))
		out := p.Apply(context.Background(), dup)
		if !errors.Is(out[0].Err, engine.ErrAlreadyExists) || ErrorCode(out[0].Err) != "FlowLogAlreadyExists" {
			t.Errorf("duplicate: err = %v, want ErrAlreadyExists with code FlowLogAlreadyExists", out[0].Err)
		}

		// Update: the rule tag changes, "owner" comes; "team", which After
		// lacks, stays: flowplan never removes a tag.
		fl0 := created[0].Resource
		after := *fl0
		after.Tags = map[string]string{engine.TagSpec: "test", engine.TagRule: "prod-renamed", "owner": "me"}
		mustApply(t, p, batch(acct, testRegion, engine.KindFlowLog, engine.OpUpdate,
			&engine.Change{Addr: fl0.Addr, Action: engine.Update, Before: fl0, After: &after}))
		wantTags := map[string]string{engine.TagSpec: "test", engine.TagRule: "prod-renamed", "owner": "me", "team": "net"}
		if d := cmp.Diff(wantTags, discoverFlowLogs(t, p, acct)[fl0.ID].Tags); d != "" {
			t.Errorf("tags after update (-want +got):\n%s", d)
		}

		// Adopt: an unmanaged flow log gains the desired tags, keeps its own.
		unmanagedID := w.flowLog(testRegion, &ec2.CreateFlowLogsInput{
			ResourceIds: []string{vpcs[2]}, ResourceType: ec2types.FlowLogsResourceTypeVpc, TrafficType: ec2types.TrafficTypeAccept,
			LogDestinationType: ec2types.LogDestinationTypeS3, LogDestination: aws.String("arn:aws:s3:::central-logs"),
			TagSpecifications: ec2TagSpec(ec2types.ResourceTypeVpcFlowLog, map[string]string{"Name": "legacy"}),
		})
		unmanaged := discoverFlowLogs(t, p, acct)[unmanagedID]
		adopted := *unmanaged
		adopted.Addr.Name = "legacy/" + vpcs[2]
		adopted.Tags = map[string]string{engine.TagSpec: "test", engine.TagRule: "legacy"}
		mustApply(t, p, batch(acct, testRegion, engine.KindFlowLog, engine.OpAdopt,
			&engine.Change{Addr: adopted.Addr, Action: engine.Adopt, Before: unmanaged, After: &adopted}))
		wantTags = map[string]string{engine.TagSpec: "test", engine.TagRule: "legacy", "Name": "legacy"}
		if d := cmp.Diff(wantTags, discoverFlowLogs(t, p, acct)[unmanagedID].Tags); d != "" {
			t.Errorf("tags after adopt (-want +got):\n%s", d)
		}

		// Delete: the managed flow logs go in one call; deleting one that is
		// already gone is engine.ErrNotFound.
		var deletes []*engine.Change
		for _, o := range created {
			deletes = append(deletes, &engine.Change{Addr: o.Change.Addr, Action: engine.Delete, Before: o.Resource})
		}
		mustApply(t, p, batch(acct, testRegion, engine.KindFlowLog, engine.OpDelete, deletes...))
		left := slices.Collect(maps.Keys(discoverFlowLogs(t, p, acct)))
		if d := cmp.Diff([]string{unmanagedID}, left); d != "" {
			t.Errorf("flow logs left (-want +got):\n%s", d)
		}
		out = p.Apply(context.Background(), batch(acct, testRegion, engine.KindFlowLog, engine.OpDelete, deletes[0]))
		if !errors.Is(out[0].Err, engine.ErrNotFound) {
			t.Errorf("second delete: err = %v, want ErrNotFound", out[0].Err)
		}
	})
}

// The provider checks ownership on what AWS says just before it writes,
// never on the change's copy of the resource: a plan file is untrusted, and
// one that gives an unmanaged flow log, or another spec's, this spec's tags
// still gets a refusal, with only DescribeFlowLogs made.
func TestApplyRefusesUnmanagedFlowLogs(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be *backend) {
		p := newTestProvider(t, be)
		acct := testAccount("111111111111", testRegion)
		ids := be.seed(t, p, (&seed{buckets: []seedBucket{{acct.ID, testRegion, "refuse-a"}, {acct.ID, testRegion, "refuse-b"}}}).vpcs(acct.ID+"/"+testRegion, seedVPC{name: "a", cidr: "10.0.0.0/16"}))
		w := newWorld(t, p, testSession(t, p, acct))
		make := func(bucket string, tags map[string]string) *engine.Resource {
			id := w.flowLog(testRegion, &ec2.CreateFlowLogsInput{
				ResourceIds: []string{ids["a"]}, ResourceType: ec2types.FlowLogsResourceTypeVpc, TrafficType: ec2types.TrafficTypeAll,
				LogDestinationType: ec2types.LogDestinationTypeS3, LogDestination: aws.String("arn:aws:s3:::" + bucket),
				TagSpecifications: ec2TagSpec(ec2types.ResourceTypeVpcFlowLog, tags),
			})
			return discoverFlowLogs(t, p, acct)[id]
		}
		theirs := make("refuse-a", map[string]string{"Name": "theirs"})
		otherSpec := make("refuse-b", map[string]string{engine.TagSpec: "other", engine.TagRule: "r"})
		// What an edited plan file claims: this spec's tags on both.
		lie := func(r *engine.Resource) *engine.Resource {
			c := *r
			c.Tags = map[string]string{engine.TagSpec: "test", engine.TagRule: "r"}
			return &c
		}
		mine := func(r *engine.Resource) *engine.Resource {
			c := lie(r)
			c.Tags["owner"] = "attacker"
			return c
		}
		tests := []struct {
			op     engine.Op
			change *engine.Change
		}{
			{engine.OpDelete, &engine.Change{Addr: theirs.Addr, Before: lie(theirs)}},
			{engine.OpDelete, &engine.Change{Addr: otherSpec.Addr, Before: lie(otherSpec)}},
			{engine.OpUpdate, &engine.Change{Addr: theirs.Addr, Before: lie(theirs), After: mine(theirs)}},
			{engine.OpUpdate, &engine.Change{Addr: otherSpec.Addr, Before: lie(otherSpec), After: mine(otherSpec)}},
			{engine.OpAdopt, &engine.Change{Addr: otherSpec.Addr, Before: &engine.Resource{ID: otherSpec.ID, FlowLog: otherSpec.FlowLog}, After: mine(otherSpec)}},
		}
		p.Stats().Reset()
		for _, tt := range tests {
			b := batch(acct, testRegion, engine.KindFlowLog, tt.op, tt.change)
			b.Spec = "test"
			out := p.Apply(context.Background(), b)
			if out[0].Err == nil || !strings.Contains(out[0].Err.Error(), "refusing") {
				t.Errorf("%s of %s: err = %v, want a refusal", tt.op, tt.change.Before.ID, out[0].Err)
			}
		}
		for call := range p.Stats().ScopeCalls(acct.ID + "/" + testRegion) {
			if call != "EC2:DescribeFlowLogs" {
				t.Errorf("made %s; want only DescribeFlowLogs", call)
			}
		}
		after := discoverFlowLogs(t, p, acct)
		if d := cmp.Diff(theirs.Tags, after[theirs.ID].Tags); after[theirs.ID] == nil || d != "" {
			t.Errorf("their flow log changed (-want +got):\n%s", d)
		}
		if d := cmp.Diff(otherSpec.Tags, after[otherSpec.ID].Tags); after[otherSpec.ID] == nil || d != "" {
			t.Errorf("the other spec's flow log changed (-want +got):\n%s", d)
		}
	})
}

func TestApplyRefusesOtherInlinePolicies(t *testing.T) {
	// The refusal comes before any IAM call: the fake answers only STS's
	// GetCallerIdentity (the account has no assume_role).
	_, endpoint := newFakeEC2(t, func(action string, _ url.Values, _ int) (int, string) {
		t.Errorf("unexpected %s", action)
		return http.StatusBadRequest, ec2Error("InvalidAction", action)
	})
	p, _ := newFakeProvider(t, endpoint)
	a := engine.Account{ID: "123456789012"}
	theirs := &engine.Resource{Addr: engine.Addr{Account: a.ID, Region: engine.GlobalRegion, Kind: engine.KindRolePolicy, Name: "flowplan-flow-logs/theirs"},
		RolePolicy: &engine.RolePolicy{RoleName: "flowplan-flow-logs", PolicyName: "theirs", Document: deliveryPolicy}}
	for _, tt := range []struct {
		op            engine.Op
		before, after *engine.Resource
	}{
		{engine.OpCreate, nil, theirs},
		{engine.OpUpdate, theirs, theirs},
		{engine.OpDelete, theirs, nil},
	} {
		out := p.Apply(context.Background(), batch(a, engine.GlobalRegion, engine.KindRolePolicy, tt.op, &engine.Change{Addr: theirs.Addr, Before: tt.before, After: tt.after}))
		if out[0].Err == nil || !strings.Contains(out[0].Err.Error(), "refusing") {
			t.Errorf("%s of inline policy %q: err = %v, want a refusal", tt.op, theirs.RolePolicy.PolicyName, out[0].Err)
		}
	}
	if n := p.Stats().Calls(); n != 1 {
		t.Errorf("made %d AWS calls, want only the one GetCallerIdentity", n)
	}
}
