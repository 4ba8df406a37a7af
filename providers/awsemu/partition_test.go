package awsemu_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/flowplan/flowplan/providers/awsemu"
	"github.com/flowplan/flowplan/providers/awsemu/emutest"
)

// partitionWorld is one account in the partition of region (inferred from
// it), with a delivery role, a bucket, a log group and a VPC.
func partitionWorld(region string) string {
	return fmt.Sprintf(`
credentials: [{access_key_id: AKIAPARTITIONTEST001, secret_access_key: secret-p, account: "111111111111"}]
accounts:
  - id: "111111111111"
    roles:
      - name: delivery
        path: /flowplan/
        trust_policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: vpc-flow-logs.amazonaws.com}, Action: sts:AssumeRole}]}
        policies:
          write: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: [logs:CreateLogStream, logs:PutLogEvents], Resource: "*"}]}
      - name: runner
        trust_policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {AWS: "111111111111"}, Action: sts:AssumeRole}]}
    buckets: [{name: partition-logs, region: %[1]s}]
    regions:
      %[1]s:
        vpcs: [{name: a, cidr: 10.0.0.0/16, subnets: [{name: a1, cidr: 10.0.1.0/24, az: %[1]sa}]}]
        log_groups: [{name: /fl/existing}]
`, region)
}

// TestPartitions creates and describes resources of accounts in aws-cn and
// aws-us-gov: every ARN the emulator builds is in the account's partition,
// and ARNs of another partition are refused where AWS would refuse them.
func TestPartitions(t *testing.T) {
	for _, tt := range []struct{ partition, region, other string }{
		{"aws-cn", "cn-north-1", "cn-northwest-1"},
		{"aws-us-gov", "us-gov-west-1", "us-gov-east-1"},
		{"aws", "us-east-1", "us-west-2"},
	} {
		t.Run(tt.partition, func(t *testing.T) {
			s := start(t, awsemu.Options{}, partitionWorld(tt.region))
			cfg := noRetry(s.ConfigWith(tt.region, "AKIAPARTITIONTEST001", "secret-p", ""))
			arn := func(service, region, resource string) string {
				return "arn:" + tt.partition + ":" + service + ":" + region + ":111111111111:" + resource
			}

			who, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			must(t, err)
			if got := aws.ToString(who.Arn); got != arn("iam", "", "user/sandbox") {
				t.Errorf("GetCallerIdentity Arn = %s", got)
			}
			assumed, err := sts.NewFromConfig(cfg).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(arn("iam", "", "role/runner")), RoleSessionName: aws.String("sess")})
			must(t, err)
			if got := aws.ToString(assumed.AssumedRoleUser.Arn); got != arn("sts", "", "assumed-role/runner/sess") {
				t.Errorf("AssumeRole Arn = %s", got)
			}
			_, err = sts.NewFromConfig(cfg).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws-iso:iam::111111111111:role/runner"), RoleSessionName: aws.String("sess")})
			wantAPIError(t, err, "ValidationError", "is invalid")

			iamc := iam.NewFromConfig(cfg)
			role, err := iamc.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("runner")})
			must(t, err)
			trust, _ := url.QueryUnescape(aws.ToString(role.Role.AssumeRolePolicyDocument))
			if aws.ToString(role.Role.Arn) != arn("iam", "", "role/runner") || !strings.Contains(trust, `"`+arn("iam", "", "root")+`"`) {
				t.Errorf("GetRole: Arn %s, trust %s", aws.ToString(role.Role.Arn), trust)
			}
			created, err := iamc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("new"), Path: aws.String("/x/"),
				AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + arn("iam", "", "role/runner") + `"},"Action":"sts:AssumeRole"}]}`)})
			must(t, err)
			if aws.ToString(created.Role.Arn) != arn("iam", "", "role/x/new") {
				t.Errorf("CreateRole Arn = %s", aws.ToString(created.Role.Arn))
			}
			if tt.partition != "aws" {
				_, err = iamc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("cross"),
					AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/runner"},"Action":"sts:AssumeRole"}]}`)})
				wantAPIError(t, err, "MalformedPolicyDocument", "Invalid principal in policy")
			}

			groups, err := cloudwatchlogs.NewFromConfig(cfg).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
			must(t, err)
			if got := aws.ToString(groups.LogGroups[0].LogGroupArn); got != arn("logs", tt.region, "log-group:/fl/existing") {
				t.Errorf("log group ARN = %s", got)
			}

			client := ec2.NewFromConfig(cfg)
			subnets, err := client.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{})
			must(t, err)
			if got := aws.ToString(subnets.Subnets[0].SubnetArn); got != arn("ec2", tt.region, "subnet/"+aws.ToString(subnets.Subnets[0].SubnetId)) {
				t.Errorf("subnet ARN = %s", got)
			}
			regions, err := client.DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
			must(t, err)
			var names []string
			for _, r := range regions.Regions {
				names = append(names, aws.ToString(r.RegionName))
			}
			if !strings.Contains(strings.Join(names, " "), tt.other) || (tt.partition != "aws" && len(names) != 2) {
				t.Errorf("DescribeRegions = %v", names)
			}
			vpcID := aws.ToString(subnets.Subnets[0].VpcId)

			// A CloudWatch Logs flow log, by ARN of the partition.
			deliveryRole := arn("iam", "", "role/flowplan/delivery")
			in := &ec2.CreateFlowLogsInput{ResourceIds: []string{vpcID}, ResourceType: types.FlowLogsResourceTypeVpc,
				TrafficType: types.TrafficTypeAll, LogDestinationType: types.LogDestinationTypeCloudWatchLogs,
				LogDestination: aws.String(arn("logs", tt.region, "log-group:/fl/existing")), DeliverLogsPermissionArn: aws.String(deliveryRole)}
			out, err := client.CreateFlowLogs(ctx, in)
			must(t, err)
			if len(out.FlowLogIds) != 1 {
				t.Fatalf("CreateFlowLogs: %+v", out.Unsuccessful)
			}
			fls, err := client.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{FlowLogIds: out.FlowLogIds})
			must(t, err)
			if fl := fls.FlowLogs[0]; aws.ToString(fl.DeliverLogsStatus) != "SUCCESS" || aws.ToString(fl.DeliverLogsPermissionArn) != deliveryRole {
				t.Errorf("flow log = status %s role %s", aws.ToString(fl.DeliverLogsStatus), aws.ToString(fl.DeliverLogsPermissionArn))
			}
			if tt.partition != "aws" {
				wrong := *in
				wrong.LogDestination = aws.String("arn:aws:logs:" + tt.region + ":111111111111:log-group:/fl/existing")
				_, err = client.CreateFlowLogs(ctx, &wrong)
				wantAPIError(t, err, "InvalidParameter", "is not a valid CloudWatch Logs log group ARN")
				wrong = *in
				wrong.DeliverLogsPermissionArn = aws.String("arn:aws:iam::111111111111:role/flowplan/delivery")
				_, err = client.CreateFlowLogs(ctx, &wrong)
				wantAPIError(t, err, "InvalidParameter", "Unable to assume given IAM role")
			}

			// An S3 flow log: the bucket policy names the partition's ARNs.
			s3c := emutest.S3(cfg)
			bucket := "arn:" + tt.partition + ":s3:::partition-logs"
			policy := `{"Version":"2012-10-17","Statement":[` +
				`{"Sid":"acl","Effect":"Allow","Principal":{"Service":"delivery.logs.amazonaws.com"},"Action":"s3:GetBucketAcl","Resource":"` + bucket + `"},` +
				`{"Sid":"write","Effect":"Allow","Principal":{"Service":"delivery.logs.amazonaws.com"},"Action":"s3:PutObject","Resource":"` + bucket + `/AWSLogs/111111111111/*",` +
				`"Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"},"ArnLike":{"aws:SourceArn":"` + arn("logs", tt.region, "*") + `"}}}]}`
			_, err = s3c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("partition-logs"), Policy: aws.String(policy)})
			must(t, err)
			s3in := &ec2.CreateFlowLogsInput{ResourceIds: []string{vpcID}, ResourceType: types.FlowLogsResourceTypeVpc,
				TrafficType: types.TrafficTypeReject, LogDestinationType: types.LogDestinationTypeS3, LogDestination: aws.String(bucket)}
			out, err = client.CreateFlowLogs(ctx, s3in)
			must(t, err)
			fls, err = client.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{FlowLogIds: out.FlowLogIds})
			must(t, err)
			if got := aws.ToString(fls.FlowLogs[0].DeliverLogsStatus); got != "SUCCESS" {
				t.Errorf("S3 flow log status = %s", got)
			}
			if tt.partition != "aws" {
				_, err = s3c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("partition-logs"),
					Policy: aws.String(strings.ReplaceAll(policy, bucket, "arn:aws:s3:::partition-logs"))})
				wantAPIError(t, err, "MalformedPolicy", "Policy has invalid resource")
				s3in.LogDestination = aws.String("arn:aws:s3:::partition-logs/other/")
				_, err = client.CreateFlowLogs(ctx, s3in)
				wantAPIError(t, err, "InvalidParameter", "is not a valid S3 ARN")
			}

			// The account's key is unknown in another partition.
			elsewhere := map[string]string{"aws-cn": "us-east-1", "aws-us-gov": "cn-north-1", "aws": "us-gov-west-1"}[tt.partition]
			_, err = ec2.NewFromConfig(noRetry(s.ConfigWith(elsewhere, "AKIAPARTITIONTEST001", "secret-p", ""))).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
			wantAPIError(t, err, "AuthFailure", "")
			_, err = iam.NewFromConfig(noRetry(s.ConfigWith(elsewhere, "AKIAPARTITIONTEST001", "secret-p", ""))).ListRoles(ctx, &iam.ListRolesInput{})
			wantAPIError(t, err, "InvalidClientTokenId", "")
		})
	}
}

func TestPartitionWorldErrors(t *testing.T) {
	for _, tt := range []struct{ name, world, want string }{
		{"regions of two partitions", `
accounts:
  - id: "111111111111"
    regions: {cn-north-1: {}, us-east-1: {}}`, `region "us-east-1" is not a known region enabled for the account (partition aws-cn)`},
		{"unknown partition", `
accounts:
  - {id: "111111111111", partition: aws-mars}`, `partition "aws-mars" must be aws, aws-cn or aws-us-gov`},
		{"bucket in another partition", `
accounts:
  - id: "111111111111"
    partition: aws-us-gov
    buckets: [{name: b-in-cn, region: cn-north-1}]`, `region "cn-north-1" is not a known region of the owner's partition aws-us-gov`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := awsemu.New(awsemu.Options{}).LoadWorld(strings.NewReader(tt.world))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("LoadWorld = %v, want %q", err, tt.want)
			}
		})
	}
}
