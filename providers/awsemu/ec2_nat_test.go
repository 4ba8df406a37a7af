package awsemu_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/flowplan/flowplan/providers/awsemu"
)

// natWorld has a VPC with a subnet, a regional NAT gateway and a zonal one.
const natWorld = `
credentials: [{access_key_id: AKIATESTACCOUNT00001, secret_access_key: secret-one, account: "111111111111"}]
accounts:
  - id: "111111111111"
    roles:
      - name: delivery
        path: /flowplan/
        trust_policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: vpc-flow-logs.amazonaws.com}, Action: sts:AssumeRole}]}
        policies:
          write: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: [logs:CreateLogStream, logs:PutLogEvents], Resource: "*"}]}
    regions:
      us-east-1:
        vpcs:
          - name: a
            cidr: 10.0.0.0/16
            subnets: [{name: a1, cidr: 10.0.1.0/24, az: us-east-1a}]
        nat_gateways:
          - {name: egress, availability_mode: regional, vpc: a, tags: {env: prod}}
          - {name: zonal, subnet: a1}
        log_groups: [{name: /fl/existing}]
        flow_logs:
          - {resource: egress, traffic_type: ALL, log_group: /fl/existing, role: delivery}
`

func natByName(t *testing.T, client *ec2.Client, name string) types.NatGateway {
	t.Helper()
	out, err := client.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{Filter: []types.Filter{{Name: aws.String("tag:Name"), Values: []string{name}}}})
	must(t, err)
	if len(out.NatGateways) != 1 {
		t.Fatalf("NAT gateway %s: %d found", name, len(out.NatGateways))
	}
	return out.NatGateways[0]
}

func TestNatGateways(t *testing.T) {
	clock := newClock()
	s := start(t, awsemu.Options{Clock: clock.Now}, natWorld)
	client := ec2.NewFromConfig(oneCfg(s))
	egress, zonal := natByName(t, client, "egress"), natByName(t, client, "zonal")
	if egress.AvailabilityMode != types.AvailabilityModeRegional || aws.ToString(egress.SubnetId) != "" ||
		egress.State != types.NatGatewayStateAvailable || egress.ConnectivityType != types.ConnectivityTypePublic {
		t.Fatalf("regional NAT gateway = %+v", egress)
	}
	if zonal.AvailabilityMode != types.AvailabilityModeZonal || aws.ToString(zonal.SubnetId) == "" || len(zonal.NatGatewayAddresses) != 1 {
		t.Fatalf("zonal NAT gateway = %+v", zonal)
	}
	// The zonal one's interface is requester-managed and cannot be deleted.
	eniID := aws.ToString(zonal.NatGatewayAddresses[0].NetworkInterfaceId)
	_, err := client.DeleteNetworkInterface(ctx, &ec2.DeleteNetworkInterfaceInput{NetworkInterfaceId: aws.String(eniID)})
	wantAPIError(t, err, "InvalidNetworkInterface.InUse", "")

	// The world's flow log on the regional NAT gateway.
	fls, err := client.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{Filter: []types.Filter{{Name: aws.String("resource-id"), Values: []string{aws.ToString(egress.NatGatewayId)}}}})
	must(t, err)
	if len(fls.FlowLogs) != 1 || aws.ToString(fls.FlowLogs[0].DeliverLogsStatus) != "SUCCESS" || fls.FlowLogs[0].TrafficType != types.TrafficTypeAll {
		t.Fatalf("flow logs of the regional NAT gateway = %+v", fls.FlowLogs)
	}

	// CreateNatGateway, regional.
	vpcs, err := client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	must(t, err)
	vpcID := aws.ToString(vpcs.Vpcs[0].VpcId)
	created, err := client.CreateNatGateway(ctx, &ec2.CreateNatGatewayInput{AvailabilityMode: types.AvailabilityModeRegional,
		VpcId: aws.String(vpcID), ClientToken: aws.String("nat-1"),
		TagSpecifications: tagSpec(types.ResourceTypeNatgateway, "Name", "second")})
	must(t, err)
	natID := aws.ToString(created.NatGateway.NatGatewayId)
	if !strings.HasPrefix(natID, "nat-0") || len(natID) != 21 || created.NatGateway.State != types.NatGatewayStatePending ||
		aws.ToString(created.ClientToken) != "nat-1" {
		t.Fatalf("CreateNatGateway = %+v", created.NatGateway)
	}
	again, err := client.CreateNatGateway(ctx, &ec2.CreateNatGatewayInput{AvailabilityMode: types.AvailabilityModeRegional,
		VpcId: aws.String(vpcID), ClientToken: aws.String("nat-1"),
		TagSpecifications: tagSpec(types.ResourceTypeNatgateway, "Name", "second")})
	must(t, err)
	if aws.ToString(again.NatGateway.NatGatewayId) != natID {
		t.Fatal("the same ClientToken made a second NAT gateway")
	}

	// Flow logs: regional ones only, with a traffic type.
	in := cwlInput(natID)
	in.ResourceType = types.FlowLogsResourceTypeRegionalNatGateway
	out, err := client.CreateFlowLogs(ctx, in)
	must(t, err)
	if len(out.FlowLogIds) != 1 {
		t.Fatalf("CreateFlowLogs on a regional NAT gateway: %+v", out.Unsuccessful)
	}
	in = cwlInput(aws.ToString(zonal.NatGatewayId))
	in.ResourceType = types.FlowLogsResourceTypeRegionalNatGateway
	out, err = client.CreateFlowLogs(ctx, in)
	must(t, err)
	if len(out.Unsuccessful) != 1 || aws.ToString(out.Unsuccessful[0].Error.Code) != "InvalidParameterValue" ||
		!strings.Contains(aws.ToString(out.Unsuccessful[0].Error.Message), "is zonal") {
		t.Fatalf("CreateFlowLogs on a zonal NAT gateway: %+v", out.Unsuccessful)
	}
	in = cwlInput("nat-0123456789abcdef0")
	in.ResourceType = types.FlowLogsResourceTypeRegionalNatGateway
	out, err = client.CreateFlowLogs(ctx, in)
	must(t, err)
	if len(out.Unsuccessful) != 1 || aws.ToString(out.Unsuccessful[0].Error.Code) != "NatGatewayNotFound" {
		t.Fatalf("CreateFlowLogs on a missing NAT gateway: %+v", out.Unsuccessful)
	}
	in = cwlInput(natID)
	in.ResourceType, in.TrafficType = types.FlowLogsResourceTypeRegionalNatGateway, ""
	_, err = client.CreateFlowLogs(ctx, in)
	wantAPIError(t, err, "InvalidParameter", "traffic-type is required")

	// The VPC cannot go while its NAT gateways are there.
	_, err = client.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(vpcID)})
	wantAPIError(t, err, "DependencyViolation", "")

	// DeleteNatGateway: deleted, still listed for a while, then gone.
	del, err := client.DeleteNatGateway(ctx, &ec2.DeleteNatGatewayInput{NatGatewayId: aws.String(natID)})
	must(t, err)
	if aws.ToString(del.NatGatewayId) != natID {
		t.Fatalf("DeleteNatGateway = %+v", del)
	}
	got, err := client.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{NatGatewayIds: []string{natID}})
	must(t, err)
	if got.NatGateways[0].State != types.NatGatewayStateDeleted || got.NatGateways[0].DeleteTime == nil {
		t.Fatalf("after DeleteNatGateway: %+v", got.NatGateways[0])
	}
	_, err = client.DeleteNatGateway(ctx, &ec2.DeleteNatGatewayInput{NatGatewayId: aws.String(natID)})
	wantAPIError(t, err, "NatGatewayNotFound", natID)
	in = cwlInput(natID)
	in.ResourceType = types.FlowLogsResourceTypeRegionalNatGateway
	out, err = client.CreateFlowLogs(ctx, in)
	must(t, err)
	if len(out.Unsuccessful) != 1 || aws.ToString(out.Unsuccessful[0].Error.Code) != "NatGatewayNotFound" {
		t.Fatalf("CreateFlowLogs on a deleted NAT gateway: %+v", out.Unsuccessful)
	}
	clock.Advance(time.Hour)
	late := ec2.NewFromConfig(s.ConfigWith("us-east-1", "AKIATESTACCOUNT00001", "secret-one", ""))
	_, err = late.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{NatGatewayIds: []string{natID}})
	wantAPIError(t, err, "NatGatewayNotFound", "NAT gateway "+natID+" was not found")
}

func TestNatGatewayValidation(t *testing.T) {
	s := start(t, awsemu.Options{}, natWorld)
	client := ec2.NewFromConfig(oneCfg(s))
	vpcs, err := client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	must(t, err)
	vpcID := aws.ToString(vpcs.Vpcs[0].VpcId)
	subnets, err := client.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{})
	must(t, err)
	subnetID := aws.ToString(subnets.Subnets[0].SubnetId)
	for _, tt := range []struct {
		name      string
		in        *ec2.CreateNatGatewayInput
		code, msg string
	}{
		{"regional without a VPC", &ec2.CreateNatGatewayInput{AvailabilityMode: types.AvailabilityModeRegional}, "MissingParameter", "vpcId"},
		{"regional in a subnet", &ec2.CreateNatGatewayInput{AvailabilityMode: types.AvailabilityModeRegional, VpcId: aws.String(vpcID), SubnetId: aws.String(subnetID)},
			"InvalidParameterCombination", "SubnetId"},
		{"regional and private", &ec2.CreateNatGatewayInput{AvailabilityMode: types.AvailabilityModeRegional, VpcId: aws.String(vpcID), ConnectivityType: types.ConnectivityTypePrivate},
			"InvalidParameterCombination", "public connectivity only"},
		{"regional in a missing VPC", &ec2.CreateNatGatewayInput{AvailabilityMode: types.AvailabilityModeRegional, VpcId: aws.String("vpc-0123456789abcdef0")},
			"InvalidVpcID.NotFound", "vpc-0123456789abcdef0"},
		{"unknown mode", &ec2.CreateNatGatewayInput{AvailabilityMode: "global", VpcId: aws.String(vpcID)}, "InvalidParameterValue", "availabilityMode"},
		{"zonal without a subnet", &ec2.CreateNatGatewayInput{}, "MissingParameter", "subnetId"},
		{"zonal public without an Elastic IP", &ec2.CreateNatGatewayInput{SubnetId: aws.String(subnetID)}, "MissingParameter", "allocationId"},
		{"zonal with an unknown Elastic IP", &ec2.CreateNatGatewayInput{SubnetId: aws.String(subnetID), AllocationId: aws.String("eipalloc-0123456789abcdef0")},
			"InvalidAllocationID.NotFound", "eipalloc-0123456789abcdef0"},
		{"tagged as a VPC", &ec2.CreateNatGatewayInput{SubnetId: aws.String(subnetID), ConnectivityType: types.ConnectivityTypePrivate,
			TagSpecifications: tagSpec(types.ResourceTypeVpc, "a", "b")}, "InvalidParameterValue", "'vpc' is not a valid taggable resource type"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := client.CreateNatGateway(ctx, tt.in)
			wantAPIError(t, err, tt.code, tt.msg)
		})
	}
	private, err := client.CreateNatGateway(ctx, &ec2.CreateNatGatewayInput{SubnetId: aws.String(subnetID), ConnectivityType: types.ConnectivityTypePrivate})
	must(t, err)
	if private.NatGateway.AvailabilityMode != types.AvailabilityModeZonal || aws.ToString(private.NatGateway.NatGatewayAddresses[0].PrivateIp) == "" {
		t.Fatalf("private zonal NAT gateway = %+v", private.NatGateway)
	}
	_, err = client.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{NatGatewayIds: []string{"nat-xyz"}})
	wantAPIError(t, err, "NatGatewayMalformed", "nat-xyz")
	_, err = client.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{MaxResults: aws.Int32(4)})
	wantAPIError(t, err, "InvalidParameterValue", "between 5 and 1000")
	// Pagination, as the provider reads them.
	p := ec2.NewDescribeNatGatewaysPaginator(client, &ec2.DescribeNatGatewaysInput{MaxResults: aws.Int32(5)})
	n := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		must(t, err)
		n += len(page.NatGateways)
	}
	if n != 3 {
		t.Fatalf("%d NAT gateways over the pages, want 3", n)
	}
}

// TestCreateFlowLogsResourceLimits: at most 300 resources of the VPC
// kinds (regional NAT gateways included) and 25 of transit gateway ones.
func TestCreateFlowLogsResourceLimits(t *testing.T) {
	s := start(t, awsemu.Options{}, natWorld)
	client := ec2.NewFromConfig(oneCfg(s))
	egress := natByName(t, client, "egress")
	in := cwlInput(aws.ToString(egress.NatGatewayId))
	in.ResourceType = types.FlowLogsResourceTypeRegionalNatGateway
	in.ResourceIds = repeated(301, aws.ToString(egress.NatGatewayId))
	_, err := client.CreateFlowLogs(ctx, in)
	wantAPIError(t, err, "InvalidParameter", "Maximum of 300 resource IDs allowed, got 301")
	in.ResourceIds = repeated(300, aws.ToString(egress.NatGatewayId))
	out, err := client.CreateFlowLogs(ctx, in)
	must(t, err)
	if len(out.FlowLogIds)+len(out.Unsuccessful) != 300 {
		t.Fatalf("300 resources: %d created, %d unsuccessful", len(out.FlowLogIds), len(out.Unsuccessful))
	}
}

// repeated is n copies of id.
func repeated(n int, id string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = id
	}
	return out
}
