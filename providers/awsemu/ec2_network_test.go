package awsemu_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/flowplan/flowplan/providers/awsemu"
	"github.com/flowplan/flowplan/providers/awsemu/emutest"
)

func tagSpec(rt types.ResourceType, kv ...string) []types.TagSpecification {
	var list []types.Tag
	for i := 0; i+1 < len(kv); i += 2 {
		list = append(list, types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return []types.TagSpecification{{ResourceType: rt, Tags: list}}
}

// TestCreateVpcSubnetAndInterface makes a VPC appear through the API, as
// someone outside flowplan would, and checks what Describe then shows.
func TestCreateVpcSubnetAndInterface(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	client := ec2.NewFromConfig(oneCfg(s))

	v, err := client.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.50.3.7/16"),
		TagSpecifications: tagSpec(types.ResourceTypeVpc, "Name", "new", "env", "prod")})
	must(t, err)
	vpcID := aws.ToString(v.Vpc.VpcId)
	if !strings.HasPrefix(vpcID, "vpc-0") || len(vpcID) != 21 || aws.ToString(v.Vpc.CidrBlock) != "10.50.0.0/16" ||
		v.Vpc.State != types.VpcStatePending || v.Vpc.InstanceTenancy != types.TenancyDefault || aws.ToString(v.Vpc.OwnerId) != acctOne {
		t.Fatalf("CreateVpc = %+v", v.Vpc)
	}
	prod, err := client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []types.Filter{{Name: aws.String("tag:env"), Values: []string{"prod"}}}})
	must(t, err)
	found := false
	for _, got := range prod.Vpcs {
		if aws.ToString(got.VpcId) == vpcID {
			found = got.State == types.VpcStateAvailable && nameTag(got.Tags) == "new"
		}
	}
	if !found {
		t.Fatalf("the new VPC is not listed as available and tagged env=prod: %+v", prod.Vpcs)
	}

	sn, err := client.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(vpcID), CidrBlock: aws.String("10.50.1.0/24"),
		AvailabilityZone: aws.String("us-east-1b"), TagSpecifications: tagSpec(types.ResourceTypeSubnet, "Name", "new-b")})
	must(t, err)
	subnetID := aws.ToString(sn.Subnet.SubnetId)
	if aws.ToString(sn.Subnet.VpcId) != vpcID || aws.ToInt32(sn.Subnet.AvailableIpAddressCount) != 251 ||
		aws.ToString(sn.Subnet.AvailabilityZoneId) != "use1-az2" || aws.ToString(sn.Subnet.SubnetArn) != "arn:aws:ec2:us-east-1:111111111111:subnet/"+subnetID {
		t.Fatalf("CreateSubnet = %+v", sn.Subnet)
	}
	dflt, err := client.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(vpcID), CidrBlock: aws.String("10.50.2.0/28")})
	must(t, err)
	if aws.ToString(dflt.Subnet.AvailabilityZone) != "us-east-1a" {
		t.Fatalf("a subnet without a zone is in %s", aws.ToString(dflt.Subnet.AvailabilityZone))
	}

	first, err := client.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{SubnetId: aws.String(subnetID),
		Description: aws.String("new web"), ClientToken: aws.String("eni-1"),
		TagSpecifications: tagSpec(types.ResourceTypeNetworkInterface, "role", "web")})
	must(t, err)
	eni := first.NetworkInterface
	if aws.ToString(eni.PrivateIpAddress) != "10.50.1.4" || eni.Status != types.NetworkInterfaceStatusAvailable ||
		aws.ToString(eni.VpcId) != vpcID || aws.ToString(eni.AvailabilityZone) != "us-east-1b" || eni.InterfaceType != types.NetworkInterfaceTypeInterface {
		t.Fatalf("CreateNetworkInterface = %+v", eni)
	}
	again, err := client.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{SubnetId: aws.String(subnetID),
		Description: aws.String("new web"), ClientToken: aws.String("eni-1"),
		TagSpecifications: tagSpec(types.ResourceTypeNetworkInterface, "role", "web")})
	must(t, err)
	if aws.ToString(again.NetworkInterface.NetworkInterfaceId) != aws.ToString(eni.NetworkInterfaceId) {
		t.Fatalf("the same ClientToken made a second interface")
	}
	_, err = client.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{SubnetId: aws.String(subnetID), ClientToken: aws.String("eni-1")})
	wantAPIError(t, err, "IdempotentParameterMismatch", "inconsistent")
	second, err := client.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{SubnetId: aws.String(subnetID), PrivateIpAddress: aws.String("10.50.1.77")})
	must(t, err)
	if aws.ToString(second.NetworkInterface.PrivateIpAddress) != "10.50.1.77" {
		t.Fatalf("PrivateIpAddress = %s", aws.ToString(second.NetworkInterface.PrivateIpAddress))
	}
	listed, err := client.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{Filters: []types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{vpcID}}}})
	must(t, err)
	if len(listed.NetworkInterfaces) != 2 || listed.NetworkInterfaces[0].Status != types.NetworkInterfaceStatusAvailable {
		t.Fatalf("interfaces of the new VPC = %+v", listed.NetworkInterfaces)
	}
	subnets, err := client.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{subnetID}})
	must(t, err)
	if n := aws.ToInt32(subnets.Subnets[0].AvailableIpAddressCount); n != 249 {
		t.Fatalf("AvailableIpAddressCount with two interfaces = %d, want 249", n)
	}

	// A flow log on the new VPC is created like one on a world VPC.
	fl, err := client.CreateFlowLogs(ctx, cwlInput(vpcID))
	must(t, err)
	if len(fl.FlowLogIds) != 1 {
		t.Fatalf("CreateFlowLogs on the new VPC: %+v", fl.Unsuccessful)
	}
}

func TestCreateNetworkResourcesValidation(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	client := ec2.NewFromConfig(oneCfg(s))
	id := lookupIDs(t, client)
	for _, tt := range []struct {
		name      string
		call      func() error
		code, msg string
	}{
		{"vpc without a block", func() error { _, err := client.CreateVpc(ctx, &ec2.CreateVpcInput{}); return err },
			"MissingParameter", "Either 'cidrBlock' or 'ipv4IpamPoolId' should be provided."},
		{"vpc block not a CIDR", func() error {
			_, err := client.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/33")})
			return err
		}, "InvalidParameterValue", "Value (10.0.0.0/33) for parameter cidrBlock is invalid. This is not a valid CIDR block."},
		{"vpc larger than /16", func() error {
			_, err := client.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/8")})
			return err
		}, "InvalidVpc.Range", "The CIDR '10.0.0.0/8' is invalid."},
		{"vpc smaller than /28", func() error {
			_, err := client.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/29")})
			return err
		}, "InvalidVpc.Range", "The CIDR '10.0.0.0/29' is invalid."},
		{"vpc in link-local space", func() error {
			_, err := client.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("169.254.0.0/16")})
			return err
		}, "InvalidVpc.Range", "169.254.0.0/16"},
		{"vpc host tenancy", func() error {
			_, err := client.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.9.0.0/16"), InstanceTenancy: types.TenancyHost})
			return err
		}, "InvalidParameterValue", "instanceTenancy"},
		{"vpc tagged as a subnet", func() error {
			_, err := client.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.9.0.0/16"), TagSpecifications: tagSpec(types.ResourceTypeSubnet, "a", "b")})
			return err
		}, "InvalidParameterValue", "'subnet' is not a valid taggable resource type for this operation."},
		{"vpc with an aws: tag", func() error {
			_, err := client.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.9.0.0/16"), TagSpecifications: tagSpec(types.ResourceTypeVpc, "aws:x", "b")})
			return err
		}, "InvalidParameterValue", "reserved"},
		{"vpc with IPv6", func() error {
			_, err := client.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.9.0.0/16"), AmazonProvidedIpv6CidrBlock: aws.Bool(true)})
			return err
		}, "UnsupportedOperation", "AmazonProvidedIpv6CidrBlock"},
		{"subnet without a VPC", func() error {
			_, err := client.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String("vpc-0123456789abcdef0"), CidrBlock: aws.String("10.0.9.0/24")})
			return err
		}, "InvalidVpcID.NotFound", "The vpc ID 'vpc-0123456789abcdef0' does not exist"},
		{"subnet with a malformed VPC ID", func() error {
			_, err := client.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String("vpc-xyz"), CidrBlock: aws.String("10.0.9.0/24")})
			return err
		}, "InvalidVpcID.Malformed", "vpc-xyz"},
		{"subnet outside its VPC", func() error {
			_, err := client.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(id.vpcA), CidrBlock: aws.String("10.1.9.0/24")})
			return err
		}, "InvalidSubnet.Range", "The CIDR '10.1.9.0/24' is invalid."},
		{"subnet larger than its VPC", func() error {
			_, err := client.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(id.vpcA), CidrBlock: aws.String("10.0.0.0/15")})
			return err
		}, "InvalidSubnet.Range", "10.0.0.0/15"},
		{"subnet overlapping another", func() error {
			_, err := client.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(id.vpcA), CidrBlock: aws.String("10.0.1.128/25")})
			return err
		}, "InvalidSubnet.Conflict", "The CIDR '10.0.1.128/25' conflicts with another subnet"},
		{"subnet in an unknown zone", func() error {
			_, err := client.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(id.vpcA), CidrBlock: aws.String("10.0.9.0/24"), AvailabilityZone: aws.String("us-east-1z")})
			return err
		}, "InvalidParameterValue", "Subnets can currently only be created in the following availability zones: us-east-1a, us-east-1b, us-east-1c, us-east-1d, us-east-1e, us-east-1f."},
		{"interface without a subnet", func() error {
			_, err := client.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{SubnetId: aws.String("subnet-0123456789abcdef0")})
			return err
		}, "InvalidSubnetID.NotFound", "subnet-0123456789abcdef0"},
		{"interface address outside the subnet", func() error {
			_, err := client.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{SubnetId: aws.String(id.subnet), PrivateIpAddress: aws.String("10.0.2.9")})
			return err
		}, "InvalidParameterValue", "does not fall within the subnet's address range"},
		{"interface address reserved", func() error {
			_, err := client.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{SubnetId: aws.String(id.subnet), PrivateIpAddress: aws.String("10.0.1.1")})
			return err
		}, "InvalidParameterValue", "does not fall within the subnet's address range"},
		{"interface address in use", func() error {
			_, err := client.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{SubnetId: aws.String(id.subnet), PrivateIpAddress: aws.String("10.0.1.10")})
			return err
		}, "InvalidIPAddress.InUse", "The specified address is already in use."},
		{"interface with a security group", func() error {
			_, err := client.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{SubnetId: aws.String(id.subnet), Groups: []string{"sg-0123456789abcdef0"}})
			return err
		}, "InvalidGroup.NotFound", "sg-0123456789abcdef0"},
	} {
		t.Run(tt.name, func(t *testing.T) { wantAPIError(t, tt.call(), tt.code, tt.msg) })
	}
}

// TestDeleteNetworkResources deletes in the order AWS requires: a VPC with
// subnets, a subnet with interfaces and an attached interface are refused.
func TestDeleteNetworkResources(t *testing.T) {
	clock := newClock()
	s := start(t, awsemu.Options{Clock: clock.Now}, testWorld)
	client := ec2.NewFromConfig(oneCfg(s))
	id := lookupIDs(t, client)

	_, err := client.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(id.vpcA)})
	wantAPIError(t, err, "DependencyViolation", "The vpc '"+id.vpcA+"' has dependencies and cannot be deleted.")
	_, err = client.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: aws.String(id.subnet)})
	wantAPIError(t, err, "DependencyViolation", "The subnet '"+id.subnet+"' has dependencies and cannot be deleted.")
	_, err = client.DeleteNetworkInterface(ctx, &ec2.DeleteNetworkInterfaceInput{NetworkInterfaceId: aws.String(id.eni)})
	wantAPIError(t, err, "InvalidNetworkInterface.InUse", "is currently in use")
	_, err = client.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String("vpc-0123456789abcdef0")})
	wantAPIError(t, err, "InvalidVpcID.NotFound", "The vpc ID 'vpc-0123456789abcdef0' does not exist")
	_, err = client.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: aws.String("subnet-bad")})
	wantAPIError(t, err, "InvalidSubnetID.Malformed", "subnet-bad")
	_, err = client.DeleteNetworkInterface(ctx, &ec2.DeleteNetworkInterfaceInput{NetworkInterfaceId: aws.String("eni-0123456789abcdef0")})
	wantAPIError(t, err, "InvalidNetworkInterfaceID.NotFound", "eni-0123456789abcdef0")
	// A VPC attached to a transit gateway has a dependency too.
	_, err = client.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(id.vpcA)})
	wantAPIError(t, err, "DependencyViolation", "")

	// A VPC of one's own, with a subnet, an interface and flow logs on each.
	v, err := client.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.60.0.0/16")})
	must(t, err)
	vpcID := aws.ToString(v.Vpc.VpcId)
	sn, err := client.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(vpcID), CidrBlock: aws.String("10.60.1.0/24")})
	must(t, err)
	subnetID := aws.ToString(sn.Subnet.SubnetId)
	n, err := client.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{SubnetId: aws.String(subnetID)})
	must(t, err)
	eniID := aws.ToString(n.NetworkInterface.NetworkInterfaceId)
	var flowLogs []string
	for _, rt := range []struct {
		id  string
		typ types.FlowLogsResourceType
	}{{vpcID, types.FlowLogsResourceTypeVpc}, {subnetID, types.FlowLogsResourceTypeSubnet}, {eniID, types.FlowLogsResourceTypeNetworkInterface}} {
		in := cwlInput(rt.id)
		in.ResourceType = rt.typ
		out, err := client.CreateFlowLogs(ctx, in)
		must(t, err)
		flowLogs = append(flowLogs, out.FlowLogIds...)
	}

	_, err = client.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(vpcID)})
	wantAPIError(t, err, "DependencyViolation", "")
	_, err = client.DeleteNetworkInterface(ctx, &ec2.DeleteNetworkInterfaceInput{NetworkInterfaceId: aws.String(eniID)})
	must(t, err)
	_, err = client.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: aws.String(subnetID)})
	must(t, err)
	_, err = client.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(vpcID)})
	must(t, err)
	_, err = client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{vpcID}})
	wantAPIError(t, err, "InvalidVpcID.NotFound", vpcID)

	// Their flow logs linger: listed, deletable, not re-creatable...
	listed, err := client.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{FlowLogIds: flowLogs})
	must(t, err)
	if len(listed.FlowLogs) != 3 {
		t.Fatalf("right after the deletes, %d of the 3 flow logs are listed", len(listed.FlowLogs))
	}
	del, err := client.DeleteFlowLogs(ctx, &ec2.DeleteFlowLogsInput{FlowLogIds: flowLogs[:1]})
	must(t, err)
	if len(del.Unsuccessful) != 0 {
		t.Fatalf("deleting a lingering flow log: %+v", del.Unsuccessful)
	}
	again, err := client.CreateFlowLogs(ctx, cwlInput(vpcID))
	must(t, err)
	if len(again.Unsuccessful) != 1 || aws.ToString(again.Unsuccessful[0].Error.Code) != "InvalidVpcID.NotFound" {
		t.Fatalf("CreateFlowLogs on a deleted VPC: %+v", again.Unsuccessful)
	}
	// ...then disappear. (A client with retries corrects its clock skew
	// from the emulator's Date header after the clock jumps.)
	clock.Advance(time.Hour)
	client = ec2.NewFromConfig(s.ConfigWith("us-east-1", "AKIATESTACCOUNT00001", "secret-one", ""))
	listed, err = client.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{FlowLogIds: flowLogs})
	must(t, err)
	if len(listed.FlowLogs) != 0 {
		t.Fatalf("an hour after the deletes, %d flow logs are still listed", len(listed.FlowLogs))
	}
	del, err = client.DeleteFlowLogs(ctx, &ec2.DeleteFlowLogsInput{FlowLogIds: flowLogs[1:2]})
	must(t, err)
	if len(del.Unsuccessful) != 1 || aws.ToString(del.Unsuccessful[0].Error.Code) != "InvalidFlowLogId.NotFound" {
		t.Fatalf("deleting a removed flow log: %+v", del.Unsuccessful)
	}
}

// TestDeliveryStatusFollowsOutOfBandChanges breaks a working flow log's
// delivery three ways through the API, as someone outside flowplan would:
// the role's trust, the log group, and a bucket policy Deny on the log
// delivery service. Each is read back as FAILED from its cause, and
// undoing the cause reads back SUCCESS.
func TestDeliveryStatusFollowsOutOfBandChanges(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	client := ec2.NewFromConfig(oneCfg(s))
	id := lookupIDs(t, client)
	status := func(flowLogID string) string {
		t.Helper()
		out, err := client.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{FlowLogIds: []string{flowLogID}})
		must(t, err)
		return aws.ToString(out.FlowLogs[0].DeliverLogsStatus) + " " + aws.ToString(out.FlowLogs[0].DeliverLogsErrorMessage)
	}
	cwl, err := client.CreateFlowLogs(ctx, cwlInput(id.vpcA))
	must(t, err)
	logsFL := cwl.FlowLogIds[0]
	must(t, s.Emu.SetBucketPolicy("central-bucket", flowplanBucketPolicy))
	s3fl, err := client.CreateFlowLogs(ctx, s3Input(id.vpcB, "arn:aws:s3:::central-bucket"))
	must(t, err)
	bucketFL := s3fl.FlowLogIds[0]
	if got := status(logsFL); got != "SUCCESS " {
		t.Fatalf("CloudWatch Logs flow log before: %s", got)
	}
	if got := status(bucketFL); got != "SUCCESS " {
		t.Fatalf("S3 flow log before: %s", got)
	}

	iamc := iam.NewFromConfig(oneCfg(s))
	role, err := iamc.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("delivery")})
	must(t, err)
	_, err = iamc.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("delivery"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	must(t, err)
	if got := status(logsFL); got != "FAILED Access error" {
		t.Fatalf("with the role's trust broken: %s", got)
	}
	trust, err := decodePolicy(aws.ToString(role.Role.AssumeRolePolicyDocument))
	must(t, err)
	_, err = iamc.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("delivery"), PolicyDocument: aws.String(trust)})
	must(t, err)
	if got := status(logsFL); got != "SUCCESS " {
		t.Fatalf("with the trust restored: %s", got)
	}

	logsc := cloudwatchlogs.NewFromConfig(oneCfg(s))
	_, err = logsc.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("/fl/existing")})
	must(t, err)
	if got := status(logsFL); got != "FAILED Access error" {
		t.Fatalf("with the log group deleted (the role may not create it): %s", got)
	}
	_, err = logsc.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/fl/existing")})
	must(t, err)
	if got := status(logsFL); got != "SUCCESS " {
		t.Fatalf("with the log group back: %s", got)
	}

	deny := strings.Replace(flowplanBucketPolicy, `"Statement":[`, `"Statement":[{"Sid":"NoLogDelivery","Effect":"Deny","Principal":{"Service":"delivery.logs.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::central-bucket/*"},`, 1)
	s3c := emutestS3(twoCfg(s))
	_, err = s3c.PutBucketPolicy(ctx, putPolicy("central-bucket", deny))
	must(t, err)
	if got := status(bucketFL); got != "FAILED Access error" {
		t.Fatalf("with a bucket policy Deny on delivery.logs.amazonaws.com: %s", got)
	}
	_, err = s3c.PutBucketPolicy(ctx, putPolicy("central-bucket", flowplanBucketPolicy))
	must(t, err)
	if got := status(bucketFL); got != "SUCCESS " {
		t.Fatalf("with the Deny removed: %s", got)
	}
}

// decodePolicy undoes IAM's URL-encoding of policy documents.
func decodePolicy(doc string) (string, error) { return url.QueryUnescape(doc) }

func emutestS3(cfg aws.Config) *s3.Client { return emutest.S3(cfg) }

func putPolicy(bucket, policy string) *s3.PutBucketPolicyInput {
	return &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(policy)}
}
