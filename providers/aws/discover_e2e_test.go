package aws

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/internal/arn"
	"github.com/flowplan/flowplan/providers/awsemu"
	"github.com/flowplan/flowplan/spec"
)

func TestDiscoverRegion(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be *backend) {
		ctx := context.Background()
		p := newTestProvider(t, be)
		acct := testAccount("111111111111", "eu-west-1")
		region := "eu-west-1"
		ids := be.seed(t, p, (&seed{buckets: []seedBucket{{"111111111111", region, "central-logs"}}}).vpcs("111111111111/"+region, seedVPC{
			name: "vpc", cidr: "10.1.0.0/16", tags: map[string]string{"env": "prod"},
			subnets: []seedSubnet{{name: "subnet", cidr: "10.1.1.0/24", tags: map[string]string{"tier": "app"}, enis: []string{"eni"}}},
		}))
		vpc, subnet, eni := ids["vpc"], ids["subnet"], ids["eni"]
		w := newWorld(t, p, testSession(t, p, acct))
		roleARN := w.deliveryRole()
		groupName := "/vpc-flow-logs/111111111111/eu-west-1"
		w.logGroup(region, groupName, 30, map[string]string{engine.TagSpec: "test", engine.TagRule: "prod"})
		w.logGroup(region, "/vpc-flow-logs/unrelated", 0, nil)
		w.logGroup(region, "/other/group", 0, nil)
		s3Dest := "arn:aws:s3:::central-logs/vpc/"
		if !be.s3Prefixes {
			s3Dest = "arn:aws:s3:::central-logs"
		}
		managed := w.flowLog(region, &ec2.CreateFlowLogsInput{
			ResourceIds: []string{vpc}, ResourceType: ec2types.FlowLogsResourceTypeVpc, TrafficType: ec2types.TrafficTypeAll,
			LogDestinationType: ec2types.LogDestinationTypeCloudWatchLogs, LogDestination: aws.String(arn.LogGroup("111111111111", region, groupName)),
			DeliverLogsPermissionArn: aws.String(roleARN), MaxAggregationInterval: aws.Int32(60),
			TagSpecifications: ec2TagSpec(ec2types.ResourceTypeVpcFlowLog, map[string]string{engine.TagSpec: "test", engine.TagRule: "prod"}),
		})
		unmanaged := w.flowLog(region, &ec2.CreateFlowLogsInput{
			ResourceIds: []string{subnet}, ResourceType: ec2types.FlowLogsResourceTypeSubnet, TrafficType: ec2types.TrafficTypeReject,
			LogDestinationType: ec2types.LogDestinationTypeS3, LogDestination: aws.String(s3Dest),
			LogFormat:          aws.String("${version} ${srcaddr}"),
			DestinationOptions: &ec2types.DestinationOptionsRequest{FileFormat: ec2types.DestinationFileFormatParquet, HiveCompatiblePartitions: aws.Bool(true), PerHourPartition: aws.Bool(true)},
		})
		p.Stats().Reset()

		st, err := p.DiscoverRegion(ctx, engine.RegionQuery{
			Account: acct, Region: region,
			TargetKinds:   []spec.TargetKind{spec.TargetVPC, spec.TargetSubnet, spec.TargetNetworkInterface},
			LogGroupNames: []string{groupName, "/vpc-flow-logs/111111111111/eu-central-1"},
		})
		if err != nil {
			t.Fatal(err)
		}

		wantTargets := []engine.Target{
			{Kind: spec.TargetVPC, ID: vpc, Tags: map[string]string{"env": "prod"}, OwnerID: "111111111111", State: "available"},
			{Kind: spec.TargetSubnet, ID: subnet, Tags: map[string]string{"tier": "app"}, VPCID: vpc, OwnerID: "111111111111", State: "available"},
			{Kind: spec.TargetNetworkInterface, ID: eni, VPCID: vpc, SubnetID: subnet, OwnerID: "111111111111", State: be.eniState},
		}
		var got []engine.Target
		for _, tg := range st.Targets {
			if slices.Contains([]string{vpc, subnet, eni}, tg.ID) {
				got = append(got, tg)
			}
		}
		if d := cmp.Diff(wantTargets, got); d != "" {
			t.Errorf("targets (-want +got):\n%s", d)
		}

		ignoreStatus := cmpopts.IgnoreFields(engine.FlowLog{}, "Status")
		wantS3 := &engine.FlowLog{
			ResourceID: subnet, ResourceType: "Subnet", TrafficType: "REJECT", DestinationType: "s3",
			Destination: s3Dest, LogFormat: "${version} ${srcaddr}", MaxAggregationInterval: 600,
		}
		if be.destinationOptions {
			wantS3.FileFormat, wantS3.HiveCompatiblePartitions, wantS3.PerHourPartition = "parquet", true, true
		}
		want := []*engine.Resource{
			{Addr: engine.Addr{Account: "111111111111", Region: region, Kind: engine.KindFlowLog}, ID: managed,
				Tags: map[string]string{engine.TagSpec: "test", engine.TagRule: "prod"},
				FlowLog: &engine.FlowLog{ResourceID: vpc, ResourceType: "VPC", TrafficType: "ALL", DestinationType: "cloud-watch-logs",
					Destination: arn.LogGroup("111111111111", region, groupName), DeliverLogsPermissionARN: roleARN,
					LogFormat: defaultFormat, MaxAggregationInterval: 60}},
			{Addr: engine.Addr{Account: "111111111111", Region: region, Kind: engine.KindFlowLog}, ID: unmanaged,
				FlowLog: wantS3},
		}
		slices.SortFunc(want, func(a, b *engine.Resource) int { return strings.Compare(a.ID, b.ID) })
		if d := cmp.Diff(want, st.FlowLogs, ignoreStatus); d != "" {
			t.Errorf("flow logs (-want +got):\n%s", d)
		}
		for _, f := range st.FlowLogs {
			if f.FlowLog.Status == nil || f.FlowLog.Status.FlowLogStatus != "ACTIVE" || f.FlowLog.Status.CreationTime == "" {
				t.Errorf("flow log %s status = %+v, want ACTIVE with a creation time", f.ID, f.FlowLog.Status)
			}
		}

		wantGroups := []*engine.Resource{{
			Addr:     engine.Addr{Account: "111111111111", Region: region, Kind: engine.KindLogGroup, Name: groupName},
			ID:       arn.LogGroup("111111111111", region, groupName),
			Tags:     map[string]string{engine.TagSpec: "test", engine.TagRule: "prod"},
			LogGroup: &engine.LogGroup{Name: groupName, RetentionDays: 30},
		}}
		if d := cmp.Diff(wantGroups, st.LogGroups); d != "" {
			t.Errorf("log groups (-want +got):\n%s", d)
		}

		calls := p.Stats().ScopeCalls("111111111111/" + region)
		wantCalls := map[string]int{
			"EC2:DescribeVpcs": 1, "EC2:DescribeSubnets": 1, "EC2:DescribeNetworkInterfaces": 1, "EC2:DescribeFlowLogs": 1,
			"CloudWatch Logs:DescribeLogGroups": 1, "CloudWatch Logs:ListTagsForResource": 1,
		}
		if d := cmp.Diff(wantCalls, calls); d != "" {
			t.Errorf("calls (-want +got):\n%s", d)
		}
	})
}

// defaultFormat is the default VPC flow log format as AWS spells it out.
const defaultFormat = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"

func TestDiscoverAccount(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be *backend) {
		ctx := context.Background()
		p := newTestProvider(t, be)
		acct := testAccount("111111111111", "us-east-1")
		w := newWorld(t, p, testSession(t, p, acct))
		owned := map[string]string{engine.TagSpec: "test", engine.TagRule: "a b"}
		named := w.role("flowplan-flow-logs", "/flowplan/", trustPolicy, owned)
		w.rolePolicy("flowplan-flow-logs", "flowplan-delivery", deliveryPolicy)
		w.rolePolicy("flowplan-flow-logs", "someone-elses", deliveryPolicy)
		// An old delivery role the spec no longer names, found by path.
		_, err := p.iam(w.s).CreateRole(ctx, &iam.CreateRoleInput{
			RoleName: aws.String("flowplan-old"), Path: aws.String("/flowplan/"), AssumeRolePolicyDocument: aws.String(trustPolicy),
			Description: aws.String(roleDescription), Tags: toIAMTags(owned),
		})
		if err != nil {
			t.Fatal(err)
		}
		// Listed by path, but neither described nor tagged as flowplan's.
		w.role("unrelated", "/flowplan/", trustPolicy, nil)
		p.Stats().Reset()

		st, err := p.DiscoverAccount(ctx, engine.AccountQuery{
			Account: acct, RoleNames: []string{"flowplan-flow-logs", "flowplan-missing"},
			PolicyNames: []string{"flowplan-delivery"}, ListPathPrefixes: []string{"/flowplan/"},
		})
		if err != nil {
			t.Fatal(err)
		}
		var roles []string
		for _, r := range st.Roles {
			roles = append(roles, r.Addr.String()+" "+r.ID+" "+r.Role.Path)
			if r.Tags[engine.TagSpec] != "test" || r.Role.AssumeRolePolicy == "" {
				t.Errorf("role %s: tags %v, trust %q", r.Addr, r.Tags, r.Role.AssumeRolePolicy)
			}
		}
		wantRoles := []string{
			"111111111111/global/iam_role/flowplan-flow-logs " + named + " /flowplan/",
			"111111111111/global/iam_role/flowplan-old arn:aws:iam::111111111111:role/flowplan/flowplan-old /flowplan/",
		}
		if d := cmp.Diff(wantRoles, roles); d != "" {
			t.Errorf("roles (-want +got):\n%s", d)
		}
		if len(st.RolePolicies) != 1 || st.RolePolicies[0].Addr.Name != "flowplan-flow-logs/flowplan-delivery" ||
			!sameJSON(st.RolePolicies[0].RolePolicy.Document, deliveryPolicy) {
			t.Errorf("role policies = %+v, want flowplan-flow-logs/flowplan-delivery", st.RolePolicies)
		}
		wantCalls := map[string]int{"IAM:GetRole": 3, "IAM:GetRolePolicy": 2, "IAM:ListRoles": 1}
		if d := cmp.Diff(wantCalls, p.Stats().ScopeCalls("111111111111/global")); d != "" {
			t.Errorf("calls (-want +got):\n%s", d)
		}
	})
}

func TestDiscoverBucket(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be *backend) {
		ctx := context.Background()
		p := newTestProvider(t, be)
		owner := testAccount("222222222222")
		be.seed(t, p, &seed{buckets: []seedBucket{{owner.ID, "eu-west-1", "with-policy"}, {owner.ID, "us-east-1", "without-policy"}}})
		w := newWorld(t, p, testSession(t, p, owner))
		policy := `{"Version":"2012-10-17","Statement":[{"Sid":"Other","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::with-policy/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`
		w.bucketPolicy("eu-west-1", "with-policy", policy)
		tests := []struct {
			bucket string
			want   engine.BucketState
		}{
			{"with-policy", engine.BucketState{Exists: true, Policy: policy}},
			{"without-policy", engine.BucketState{Exists: true}},
			{"no-such-bucket-here", engine.BucketState{}},
		}
		for _, tt := range tests {
			got, err := p.DiscoverBucket(ctx, engine.BucketQuery{Account: owner, Bucket: tt.bucket})
			if err != nil {
				t.Fatalf("%s: %v", tt.bucket, err)
			}
			if got.Exists != tt.want.Exists || (tt.want.Policy == "") != (got.Policy == "") || (got.Policy != "" && !sameJSON(got.Policy, tt.want.Policy)) {
				t.Errorf("%s: got %+v, want %+v", tt.bucket, got, tt.want)
			}
		}
	})
}

// Log groups named after their targets ({resource_id}) cannot be asked for
// by exact name before discovery; the engine asks for their prefix.
func TestDiscoverLogGroupsByPrefix(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be *backend) {
		p := newTestProvider(t, be)
		acct := testAccount("111111111111", testRegion)
		w := newWorld(t, p, testSession(t, p, acct))
		for _, name := range []string{"/per-vpc/vpc-1", "/per-vpc/vpc-2", "/per-vpcs-not-ours/x", "/exact/one"} {
			w.logGroup(testRegion, name, 0, nil)
		}
		st, err := p.DiscoverRegion(context.Background(), engine.RegionQuery{
			Account: acct, Region: testRegion,
			LogGroupNames:    []string{"/exact/one", "/exact/missing"},
			LogGroupPrefixes: []string{"/per-vpc/"},
		})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, g := range st.LogGroups {
			got = append(got, g.LogGroup.Name)
		}
		if d := cmp.Diff([]string{"/exact/one", "/per-vpc/vpc-1", "/per-vpc/vpc-2"}, got); d != "" {
			t.Errorf("log groups (-want +got):\n%s", d)
		}
	})
}

// Ownership is read where it matters: a group under a template's prefix
// whose retention and key are as the spec wants costs no
// ListTagsForResource and comes back marked TagsUnread; one that differs,
// and every group asked for by its exact name, is read with its tags.
func TestDiscoverReadsTagsOnlyWhereTheyMatter(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be *backend) {
		p := newTestProvider(t, be)
		acct := testAccount("111111111111", testRegion)
		w := newWorld(t, p, testSession(t, p, acct))
		ours := map[string]string{engine.TagSpec: "test"}
		w.logGroup(testRegion, "/per-vpc/vpc-1", 30, ours) // settled
		w.logGroup(testRegion, "/per-vpc/vpc-2", 30, nil)  // settled, whoever owns it
		w.logGroup(testRegion, "/per-vpc/vpc-3", 90, ours) // retention differs
		w.logGroup(testRegion, "/exact/one", 30, ours)     // by name
		p.Stats().Reset()
		st, err := p.DiscoverRegion(context.Background(), engine.RegionQuery{
			Account: acct, Region: testRegion,
			LogGroupNames:          []string{"/exact/one"},
			LogGroupPrefixes:       []string{"/per-vpc/"},
			LogGroupPrefixSettings: map[string][]engine.LogGroupSettings{"/per-vpc/": {{RetentionDays: 30}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, g := range st.LogGroups {
			got = append(got, fmt.Sprintf("%s unread=%t spec=%q", g.LogGroup.Name, g.LogGroup.TagsUnread, g.Tags[engine.TagSpec]))
		}
		want := []string{`/exact/one unread=false spec="test"`, `/per-vpc/vpc-1 unread=true spec=""`,
			`/per-vpc/vpc-2 unread=true spec=""`, `/per-vpc/vpc-3 unread=false spec="test"`}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("log groups (-want +got):\n%s", d)
		}
		if n := p.Stats().ScopeCalls(acct.ID + "/" + testRegion)["CloudWatch Logs:ListTagsForResource"]; n != 2 {
			t.Errorf("ListTagsForResource calls = %d, want 2 (the exact name and the group that differs)", n)
		}
	})
}

// TestDiscoverRegionalNatGateways reads NAT gateways for the
// regional_nat_gateways kind: the regional ones only, with their state
// (a deleted one is still listed by AWS for a while; the engine skips it),
// in one paginated DescribeNatGateways. Emulator only: moto 5.2.1 has no
// regional NAT gateways (CreateNatGateway ignores AvailabilityMode).
func TestDiscoverRegionalNatGateways(t *testing.T) {
	be := emuBackend(t, awsemu.Options{})
	ctx := context.Background()
	p := newTestProvider(t, be)
	acct := testAccount("111111111111", testRegion)
	ids := be.seed(t, p, (&seed{}).vpcs("111111111111/"+testRegion, seedVPC{name: "vpc", cidr: "10.1.0.0/16",
		subnets: []seedSubnet{{name: "subnet", cidr: "10.1.1.0/24"}}}))
	c := p.ec2(testSession(t, p, acct), testRegion)
	create := func(in *ec2.CreateNatGatewayInput) string {
		t.Helper()
		out, err := c.CreateNatGateway(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.NatGateway.NatGatewayId)
	}
	regional := create(&ec2.CreateNatGatewayInput{AvailabilityMode: ec2types.AvailabilityModeRegional, VpcId: aws.String(ids["vpc"]),
		TagSpecifications: ec2TagSpec(ec2types.ResourceTypeNatgateway, map[string]string{"env": "prod"})})
	gone := create(&ec2.CreateNatGatewayInput{AvailabilityMode: ec2types.AvailabilityModeRegional, VpcId: aws.String(ids["vpc"])})
	create(&ec2.CreateNatGatewayInput{SubnetId: aws.String(ids["subnet"]), ConnectivityType: ec2types.ConnectivityTypePrivate})
	if _, err := c.DeleteNatGateway(ctx, &ec2.DeleteNatGatewayInput{NatGatewayId: aws.String(gone)}); err != nil {
		t.Fatal(err)
	}
	be.emu.ResetCounts()

	st, err := p.DiscoverRegion(ctx, engine.RegionQuery{Account: acct, Region: testRegion, TargetKinds: []spec.TargetKind{spec.TargetRegionalNatGateway}})
	if err != nil {
		t.Fatal(err)
	}
	want := []engine.Target{
		{Kind: spec.TargetRegionalNatGateway, ID: regional, Tags: map[string]string{"env": "prod"}, VPCID: ids["vpc"], State: "available"},
		{Kind: spec.TargetRegionalNatGateway, ID: gone, VPCID: ids["vpc"], State: "deleted"},
	}
	sortTargets := cmpopts.SortSlices(func(a, b engine.Target) bool { return a.ID < b.ID })
	if d := cmp.Diff(want, st.Targets, sortTargets); d != "" {
		t.Errorf("targets (-want +got):\n%s", d)
	}
	if n := be.emu.Count("ec2", "DescribeNatGateways"); n != 1 {
		t.Errorf("DescribeNatGateways called %d times, want 1", n)
	}
}
