package awsemu_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/flowplan/flowplan/internal/motoserver"
	"github.com/flowplan/flowplan/providers/awsemu"
	"github.com/flowplan/flowplan/providers/awsemu/emutest"
)

// This file runs the same scenarios against the emulator and against moto
// (an independent emulator) and checks each one's recorded behaviour. Where
// they differ, MOTO_DIFFERENCES.md says which matches AWS and why. If moto
// changes, this test fails and the document must be updated.

// diffTarget is one emulator with the resources the scenarios use.
type diffTarget struct {
	cfg                  aws.Config
	vpc, vpc2, vpc3, tgw string
	bucket, roleARN      string
}

const diffAccount = "123456789012"

const diffTrust = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "vpc-flow-logs.amazonaws.com"}, "Action": "sts:AssumeRole"}]}`

const diffRolePolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}`

// emulatorTarget builds the scenario resources in a world file.
func emulatorTarget(t *testing.T) diffTarget {
	var vpcs strings.Builder
	for i := 0; i < 6; i++ {
		fmt.Fprintf(&vpcs, "          - {name: v%d, cidr: 10.%d.0.0/16}\n", i, i)
	}
	world := `
credentials: [{access_key_id: AKIADIFFDIFFDIFF0001, secret_access_key: diff, account: "123456789012"}]
accounts:
  - id: "123456789012"
    roles:
      - name: delivery
        trust_policy: '` + diffTrust + `'
        policies: {write: '` + diffRolePolicy + `'}
    buckets: [{name: flowplan-diff-bucket}]
    regions:
      us-east-1:
        log_groups: [{name: /fl/existing}]
        transit_gateways: [{name: t}]
        vpcs:
` + vpcs.String()
	s := start(t, awsemu.Options{}, world)
	tg := diffTarget{cfg: noRetry(s.ConfigWith("us-east-1", "AKIADIFFDIFFDIFF0001", "diff", "")),
		bucket: "flowplan-diff-bucket", roleARN: "arn:aws:iam::123456789012:role/delivery"}
	client := ec2.NewFromConfig(tg.cfg)
	out, err := client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	must(t, err)
	tg.vpc, tg.vpc2, tg.vpc3 = aws.ToString(out.Vpcs[0].VpcId), aws.ToString(out.Vpcs[1].VpcId), aws.ToString(out.Vpcs[2].VpcId)
	tgws, err := client.DescribeTransitGateways(ctx, &ec2.DescribeTransitGatewaysInput{})
	must(t, err)
	tg.tgw = aws.ToString(tgws.TransitGateways[0].TransitGatewayId)
	return tg
}

// motoTarget starts moto and creates the same resources through its API.
func motoTarget(t *testing.T) diffTarget {
	endpoint := startMoto(t)
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIADIFFDIFFDIFF0001", "diff", ""),
		BaseEndpoint: aws.String(endpoint), HTTPClient: &http.Client{Transport: emutest.Transport(nil)}, RetryMaxAttempts: 1}
	tg := diffTarget{cfg: cfg, bucket: "flowplan-diff-bucket", roleARN: "arn:aws:iam::123456789012:role/delivery"}
	client := ec2.NewFromConfig(cfg)
	for i := 0; i < 6; i++ {
		out, err := client.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String(fmt.Sprintf("10.%d.0.0/16", i))})
		must(t, err)
		if i == 0 {
			tg.vpc = aws.ToString(out.Vpc.VpcId)
		}
		if i == 1 {
			tg.vpc2 = aws.ToString(out.Vpc.VpcId)
		}
		if i == 2 {
			tg.vpc3 = aws.ToString(out.Vpc.VpcId)
		}
	}
	tgw, err := client.CreateTransitGateway(ctx, &ec2.CreateTransitGatewayInput{})
	must(t, err)
	tg.tgw = aws.ToString(tgw.TransitGateway.TransitGatewayId)
	_, err = emutest.S3(cfg).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(tg.bucket)})
	must(t, err)
	iamc := iam.NewFromConfig(cfg)
	_, err = iamc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("delivery"), AssumeRolePolicyDocument: aws.String(diffTrust)})
	must(t, err)
	_, err = iamc.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("delivery"), PolicyName: aws.String("write"), PolicyDocument: aws.String(diffRolePolicy)})
	must(t, err)
	_, err = cloudwatchlogs.NewFromConfig(cfg).CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/fl/existing")})
	must(t, err)
	return tg
}

// startMoto returns this test binary's moto (or the one at
// FLOWPLAN_MOTO_URL), held for the test and emptied.
func startMoto(t *testing.T) string {
	t.Helper()
	return motoserver.Use(t).URL
}

func TestMain(m *testing.M) {
	code := m.Run()
	motoserver.StopShared()
	os.Exit(code)
}

// outcome reduces a call's result to a comparable string.
func outcome(err error, unsuccessful []types.UnsuccessfulItem) string {
	var ae smithy.APIError
	switch {
	case errors.As(err, &ae):
		return "error:" + ae.ErrorCode()
	case err != nil:
		return "transport:" + err.Error()
	case len(unsuccessful) > 0:
		return "unsuccessful:" + aws.ToString(unsuccessful[0].Error.Code)
	}
	return "ok"
}

type diffScenario struct {
	name string
	run  func(t *testing.T, tg diffTarget) string
	// emulator and moto are the recorded outcomes.
	emulator, moto string
}

func cwlFlowLog(tg diffTarget, resource string) *ec2.CreateFlowLogsInput {
	return &ec2.CreateFlowLogsInput{ResourceIds: []string{resource}, ResourceType: types.FlowLogsResourceTypeVpc,
		TrafficType: types.TrafficTypeAll, LogGroupName: aws.String("/fl/existing"), DeliverLogsPermissionArn: aws.String(tg.roleARN)}
}

var diffScenarios = []diffScenario{
	{"cloud-watch-logs without a role", func(t *testing.T, tg diffTarget) string {
		in := cwlFlowLog(tg, tg.vpc)
		in.DeliverLogsPermissionArn = nil
		out, err := ec2.NewFromConfig(tg.cfg).CreateFlowLogs(ctx, in)
		return outcome(err, unsuccessfulOf(out))
	}, "error:InvalidParameter", "error:InvalidParameter"},
	{"aggregation interval 300", func(t *testing.T, tg diffTarget) string {
		in := cwlFlowLog(tg, tg.vpc)
		in.MaxAggregationInterval = aws.Int32(300)
		out, err := ec2.NewFromConfig(tg.cfg).CreateFlowLogs(ctx, in)
		return outcome(err, unsuccessfulOf(out))
	}, "error:InvalidParameter", "error:InvalidParameter"},
	{"log format with a trailing space", func(t *testing.T, tg diffTarget) string {
		in := cwlFlowLog(tg, tg.vpc2)
		in.LogFormat = aws.String("${version} ${srcaddr} ")
		out, err := ec2.NewFromConfig(tg.cfg).CreateFlowLogs(ctx, in)
		return outcome(err, unsuccessfulOf(out))
	}, "error:InvalidParameter", "ok"},
	{"transit gateway with a traffic type", func(t *testing.T, tg diffTarget) string {
		in := cwlFlowLog(tg, tg.tgw)
		in.ResourceType = types.FlowLogsResourceTypeTransitGateway
		out, err := ec2.NewFromConfig(tg.cfg).CreateFlowLogs(ctx, in)
		return outcome(err, unsuccessfulOf(out))
	}, "error:InvalidParameter", "ok"},
	{"flow log on a VPC that does not exist", func(t *testing.T, tg diffTarget) string {
		out, err := ec2.NewFromConfig(tg.cfg).CreateFlowLogs(ctx, cwlFlowLog(tg, "vpc-0123456789abcdef0"))
		return outcome(err, unsuccessfulOf(out))
	}, "unsuccessful:InvalidVpcID.NotFound", "error:InvalidVpcID.NotFound"},
	{"duplicate flow log", func(t *testing.T, tg diffTarget) string {
		client := ec2.NewFromConfig(tg.cfg)
		in := cwlFlowLog(tg, tg.vpc)
		in.LogGroupName = aws.String("/fl/dup")
		_, err := client.CreateFlowLogs(ctx, in)
		must(t, err)
		out, err := client.CreateFlowLogs(ctx, in)
		return outcome(err, unsuccessfulOf(out))
	}, "unsuccessful:FlowLogAlreadyExists", "error:FlowLogAlreadyExists"},
	{"same group, other traffic type", func(t *testing.T, tg diffTarget) string {
		client := ec2.NewFromConfig(tg.cfg)
		in := cwlFlowLog(tg, tg.vpc)
		in.LogGroupName = aws.String("/fl/by-traffic")
		_, err := client.CreateFlowLogs(ctx, in)
		must(t, err)
		in.TrafficType = types.TrafficTypeReject
		out, err := client.CreateFlowLogs(ctx, in)
		return outcome(err, unsuccessfulOf(out))
	}, "ok", "error:FlowLogAlreadyExists"},
	{"duplicate among several resources", func(t *testing.T, tg diffTarget) string {
		client := ec2.NewFromConfig(tg.cfg)
		in := cwlFlowLog(tg, tg.vpc2)
		in.LogGroupName = aws.String("/fl/partial")
		_, err := client.CreateFlowLogs(ctx, in)
		must(t, err)
		in.ResourceIds = []string{tg.vpc3, tg.vpc2}
		out, err := client.CreateFlowLogs(ctx, in)
		got, derr := client.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{Filter: []types.Filter{
			{Name: aws.String("resource-id"), Values: []string{tg.vpc3}}, {Name: aws.String("log-group-name"), Values: []string{"/fl/partial"}}}})
		must(t, derr)
		return fmt.Sprintf("%s created:%d", outcome(err, unsuccessfulOf(out)), len(got.FlowLogs))
	}, "unsuccessful:FlowLogAlreadyExists created:1", "error:FlowLogAlreadyExists created:1"},
	{"S3 destination with a folder", func(t *testing.T, tg diffTarget) string {
		out, err := ec2.NewFromConfig(tg.cfg).CreateFlowLogs(ctx, &ec2.CreateFlowLogsInput{ResourceIds: []string{tg.vpc3}, ResourceType: types.FlowLogsResourceTypeVpc,
			TrafficType: types.TrafficTypeAll, LogDestinationType: types.LogDestinationTypeS3, LogDestination: aws.String("arn:aws:s3:::" + tg.bucket + "/folder/")})
		return outcome(err, unsuccessfulOf(out))
	}, "ok", "unsuccessful:400"},
	{"delete a flow log that does not exist", func(t *testing.T, tg diffTarget) string {
		out, err := ec2.NewFromConfig(tg.cfg).DeleteFlowLogs(ctx, &ec2.DeleteFlowLogsInput{FlowLogIds: []string{"fl-0123456789abcdef0"}})
		var u []types.UnsuccessfulItem
		if out != nil {
			u = out.Unsuccessful
		}
		return outcome(err, u)
	}, "unsuccessful:InvalidFlowLogId.NotFound", "error:InvalidFlowLogId.NotFound"},
	{"S3 flow log DestinationOptions", func(t *testing.T, tg diffTarget) string {
		client := ec2.NewFromConfig(tg.cfg)
		out, err := client.CreateFlowLogs(ctx, &ec2.CreateFlowLogsInput{ResourceIds: []string{tg.vpc2}, ResourceType: types.FlowLogsResourceTypeVpc,
			TrafficType: types.TrafficTypeAll, LogDestinationType: types.LogDestinationTypeS3, LogDestination: aws.String("arn:aws:s3:::" + tg.bucket)})
		must(t, err)
		got, err := client.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{FlowLogIds: out.FlowLogIds})
		must(t, err)
		if o := got.FlowLogs[0].DestinationOptions; o != nil {
			return "options:" + string(o.FileFormat)
		}
		return "options:absent"
	}, "options:plain-text", "options:absent"},
	{"DescribeFlowLogs with FlowLogIds and MaxResults", func(t *testing.T, tg diffTarget) string {
		_, err := ec2.NewFromConfig(tg.cfg).DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{
			FlowLogIds: []string{"fl-0123456789abcdef0"}, MaxResults: aws.Int32(5)})
		return outcome(err, nil)
	}, "error:InvalidParameterCombination", "ok"},
	{"DescribeVpcs MaxResults 4", func(t *testing.T, tg diffTarget) string {
		_, err := ec2.NewFromConfig(tg.cfg).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{MaxResults: aws.Int32(4)})
		return outcome(err, nil)
	}, "error:InvalidParameterValue", "ok"},
	{"DescribeVpcs MaxResults 5 pages", func(t *testing.T, tg diffTarget) string {
		out, err := ec2.NewFromConfig(tg.cfg).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{MaxResults: aws.Int32(5)})
		must(t, err)
		if len(out.Vpcs) <= 5 && out.NextToken != nil {
			return "paginated"
		}
		return fmt.Sprintf("unpaginated:%d", len(out.Vpcs))
	}, "paginated", "unpaginated:7"},
	{"trust policy account principal", func(t *testing.T, tg diffTarget) string {
		iamc := iam.NewFromConfig(tg.cfg)
		_, err := iamc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("runner"),
			AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"210987654321"},"Action":"sts:AssumeRole"}]}`)})
		must(t, err)
		got, err := iamc.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("runner")})
		must(t, err)
		doc, _ := url.QueryUnescape(aws.ToString(got.Role.AssumeRolePolicyDocument))
		encoded := strings.HasPrefix(aws.ToString(got.Role.AssumeRolePolicyDocument), "%7B")
		return fmt.Sprintf("urlencoded:%v root-arn:%v", encoded, strings.Contains(doc, "arn:aws:iam::210987654321:root"))
	}, "urlencoded:true root-arn:true", "urlencoded:true root-arn:false"},
	{"ListRoles returns tags", func(t *testing.T, tg diffTarget) string {
		iamc := iam.NewFromConfig(tg.cfg)
		_, err := iamc.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("delivery"), Tags: []iamtypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
		must(t, err)
		out, err := iamc.ListRoles(ctx, &iam.ListRolesInput{})
		must(t, err)
		for _, r := range out.Roles {
			if aws.ToString(r.RoleName) == "delivery" {
				return fmt.Sprintf("tags:%d", len(r.Tags))
			}
		}
		return "missing"
	}, "tags:0", "tags:0"},
	{"bucket policy as stored", func(t *testing.T, tg diffTarget) string {
		client := emutest.S3(tg.cfg)
		policy := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"" + diffAccount + "\"}, \"Action\": \"s3:ListBucket\", \"Resource\": \"arn:aws:s3:::" + tg.bucket + "\"}]\n}"
		_, err := client.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(tg.bucket), Policy: aws.String(policy)})
		must(t, err)
		got, err := client.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(tg.bucket)})
		must(t, err)
		p := aws.ToString(got.Policy)
		return fmt.Sprintf("compact:%v root-arn:%v", !strings.Contains(p, "\n"), strings.Contains(p, ":root"))
	}, "compact:true root-arn:true", "compact:false root-arn:false"},
	{"bucket policy for another bucket", func(t *testing.T, tg diffTarget) string {
		_, err := emutest.S3(tg.cfg).PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(tg.bucket),
			Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::not-this-bucket/*"}]}`)})
		return outcome(err, nil)
	}, "error:MalformedPolicy", "ok"},
	{"log groups limit 51", func(t *testing.T, tg diffTarget) string {
		_, err := cloudwatchlogs.NewFromConfig(tg.cfg).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{Limit: aws.Int32(51)})
		return outcome(err, nil)
	}, "error:InvalidParameterException", "error:InvalidParameterException"},
	{"CreateVpc 10.0.0.0/8", func(t *testing.T, tg diffTarget) string {
		_, err := ec2.NewFromConfig(tg.cfg).CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/8")})
		return outcome(err, nil)
	}, "error:InvalidVpc.Range", "error:InvalidVpc.Range"},
	{"CreateSubnet overlapping another, then DeleteVpc", func(t *testing.T, tg diffTarget) string {
		client := ec2.NewFromConfig(tg.cfg)
		v, err := client.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.98.0.0/16")})
		must(t, err)
		_, err = client.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: v.Vpc.VpcId, CidrBlock: aws.String("10.98.1.0/24")})
		must(t, err)
		_, err = client.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: v.Vpc.VpcId, CidrBlock: aws.String("10.98.1.128/25")})
		overlap := outcome(err, nil)
		_, err = client.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: v.Vpc.VpcId})
		return "overlap:" + overlap + " delete:" + outcome(err, nil)
	}, "overlap:error:InvalidSubnet.Conflict delete:error:DependencyViolation", "overlap:error:InvalidSubnet.Conflict delete:error:DependencyViolation"},
	{"flow log of a deleted VPC", func(t *testing.T, tg diffTarget) string {
		client := ec2.NewFromConfig(tg.cfg)
		v, err := client.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.99.0.0/16")})
		must(t, err)
		out, err := client.CreateFlowLogs(ctx, cwlFlowLog(tg, aws.ToString(v.Vpc.VpcId)))
		must(t, err)
		_, err = client.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: v.Vpc.VpcId})
		must(t, err)
		got, err := client.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{FlowLogIds: out.FlowLogIds})
		must(t, err)
		return fmt.Sprintf("listed:%d", len(got.FlowLogs))
	}, "listed:1", "listed:1"},
	{"CreateNatGateway regional, then a RegionalNatGateway flow log", func(t *testing.T, tg diffTarget) string {
		client := ec2.NewFromConfig(tg.cfg)
		out, err := client.CreateNatGateway(ctx, &ec2.CreateNatGatewayInput{AvailabilityMode: types.AvailabilityModeRegional, VpcId: aws.String(tg.vpc)})
		if err != nil {
			return "create:" + outcome(err, nil)
		}
		in := cwlFlowLog(tg, aws.ToString(out.NatGateway.NatGatewayId))
		in.ResourceType = types.FlowLogsResourceTypeRegionalNatGateway
		fl, err := client.CreateFlowLogs(ctx, in)
		return "mode:" + string(out.NatGateway.AvailabilityMode) + " flow-log:" + outcome(err, unsuccessfulOf(fl))
	}, "mode:regional flow-log:ok", "create:error:InvalidSubnetID.NotFound"},
	{"ListInstanceProfilesForRole of a role that does not exist", func(t *testing.T, tg diffTarget) string {
		_, err := iam.NewFromConfig(tg.cfg).ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: aws.String("no-such-role")})
		return outcome(err, nil)
	}, "error:NoSuchEntity", "ok"},
	{"DeleteRole of a role in an instance profile", func(t *testing.T, tg diffTarget) string {
		iamc := iam.NewFromConfig(tg.cfg)
		_, err := iamc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("in-profile"), AssumeRolePolicyDocument: aws.String(diffTrust)})
		must(t, err)
		_, err = iamc.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("holder")})
		must(t, err)
		_, err = iamc.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("holder"), RoleName: aws.String("in-profile")})
		must(t, err)
		_, err = iamc.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("in-profile")})
		return outcome(err, nil)
	}, "error:DeleteConflict", "error:DeleteConflict"},
	{"second role in an instance profile", func(t *testing.T, tg diffTarget) string {
		iamc := iam.NewFromConfig(tg.cfg)
		_, err := iamc.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("two-roles")})
		must(t, err)
		_, err = iamc.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("two-roles"), RoleName: aws.String("delivery")})
		must(t, err)
		_, err = iamc.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("two-roles"), RoleName: aws.String("runner")})
		return outcome(err, nil)
	}, "error:LimitExceeded", "error:LimitExceeded"},
	{"DeleteInstanceProfile that holds a role", func(t *testing.T, tg diffTarget) string {
		_, err := iam.NewFromConfig(tg.cfg).DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("two-roles")})
		return outcome(err, nil)
	}, "error:DeleteConflict", "error:DeleteConflict"},
	{"RemoveRoleFromInstanceProfile of a role not in it", func(t *testing.T, tg diffTarget) string {
		_, err := iam.NewFromConfig(tg.cfg).RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("two-roles"), RoleName: aws.String("runner")})
		var re *awshttp.ResponseError
		if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusInternalServerError {
			return "status:500"
		}
		return outcome(err, nil)
	}, "error:NoSuchEntity", "status:500"},
	{"delivery status, correct role", func(t *testing.T, tg diffTarget) string {
		client := ec2.NewFromConfig(tg.cfg)
		out, err := client.CreateFlowLogs(ctx, cwlFlowLog(tg, tg.vpc3))
		must(t, err)
		got, err := client.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{FlowLogIds: out.FlowLogIds})
		must(t, err)
		return aws.ToString(got.FlowLogs[0].DeliverLogsStatus)
	}, "SUCCESS", "SUCCESS"},
	{"delivery status, correct role, log group by ARN", func(t *testing.T, tg diffTarget) string {
		client := ec2.NewFromConfig(tg.cfg)
		in := cwlFlowLog(tg, tg.vpc2)
		in.LogGroupName = nil
		in.LogDestinationType = types.LogDestinationTypeCloudWatchLogs
		in.LogDestination = aws.String("arn:aws:logs:us-east-1:" + diffAccount + ":log-group:/fl/existing")
		out, err := client.CreateFlowLogs(ctx, in)
		must(t, err)
		got, err := client.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{FlowLogIds: out.FlowLogIds})
		must(t, err)
		return aws.ToString(got.FlowLogs[0].DeliverLogsStatus)
	}, "SUCCESS", "FAILED"},
	{"delivery status once the log group is deleted", func(t *testing.T, tg diffTarget) string {
		logs := cloudwatchlogs.NewFromConfig(tg.cfg)
		_, err := logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/fl/doomed")})
		must(t, err)
		client := ec2.NewFromConfig(tg.cfg)
		in := cwlFlowLog(tg, tg.vpc3)
		in.LogGroupName = aws.String("/fl/doomed")
		out, err := client.CreateFlowLogs(ctx, in)
		must(t, err)
		_, err = logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("/fl/doomed")})
		must(t, err)
		got, err := client.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{FlowLogIds: out.FlowLogIds})
		must(t, err)
		return aws.ToString(got.FlowLogs[0].DeliverLogsStatus)
	}, "FAILED", "SUCCESS"},
}

func unsuccessfulOf(out *ec2.CreateFlowLogsOutput) []types.UnsuccessfulItem {
	if out == nil {
		return nil
	}
	return out.Unsuccessful
}

func TestCompareWithMoto(t *testing.T) {
	targets := map[string]diffTarget{"emulator": emulatorTarget(t), "moto": motoTarget(t)}
	for _, sc := range diffScenarios {
		t.Run(sc.name, func(t *testing.T) {
			got := map[string]string{}
			for name, tg := range targets {
				got[name] = sc.run(t, tg)
			}
			if got["emulator"] != sc.emulator {
				t.Errorf("emulator: %s, want %s", got["emulator"], sc.emulator)
			}
			if got["moto"] != sc.moto {
				t.Errorf("moto: %s, recorded %s; moto changed: update this table and MOTO_DIFFERENCES.md", got["moto"], sc.moto)
			}
		})
	}
}
