package aws

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// world builds emulator state for integration tests through plain SDK
// calls, failing the test on any error.
type world struct {
	t   testing.TB
	ctx context.Context
	p   *Provider
	s   *session
}

func newWorld(t testing.TB, p *Provider, s *session) *world {
	return &world{t: t, ctx: context.Background(), p: p, s: s}
}

func (w *world) must(err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
}

func ec2TagSpec(rt ec2types.ResourceType, tags map[string]string) []ec2types.TagSpecification {
	if len(tags) == 0 {
		return nil
	}
	return []ec2types.TagSpecification{{ResourceType: rt, Tags: toEC2Tags(tags)}}
}

func (w *world) vpc(region, cidr string, tags map[string]string) string {
	w.t.Helper()
	out, err := w.p.ec2(w.s, region).CreateVpc(w.ctx, &ec2.CreateVpcInput{
		CidrBlock: aws.String(cidr), TagSpecifications: ec2TagSpec(ec2types.ResourceTypeVpc, tags),
	})
	w.must(err)
	return aws.ToString(out.Vpc.VpcId)
}

func (w *world) subnet(region, vpc, cidr string, tags map[string]string) string {
	w.t.Helper()
	out, err := w.p.ec2(w.s, region).CreateSubnet(w.ctx, &ec2.CreateSubnetInput{
		VpcId: aws.String(vpc), CidrBlock: aws.String(cidr), TagSpecifications: ec2TagSpec(ec2types.ResourceTypeSubnet, tags),
	})
	w.must(err)
	return aws.ToString(out.Subnet.SubnetId)
}

func (w *world) eni(region, subnet string, tags map[string]string) string {
	w.t.Helper()
	out, err := w.p.ec2(w.s, region).CreateNetworkInterface(w.ctx, &ec2.CreateNetworkInterfaceInput{
		SubnetId: aws.String(subnet), TagSpecifications: ec2TagSpec(ec2types.ResourceTypeNetworkInterface, tags),
	})
	w.must(err)
	return aws.ToString(out.NetworkInterface.NetworkInterfaceId)
}

func (w *world) tgw(region string, tags map[string]string) string {
	w.t.Helper()
	out, err := w.p.ec2(w.s, region).CreateTransitGateway(w.ctx, &ec2.CreateTransitGatewayInput{
		TagSpecifications: ec2TagSpec(ec2types.ResourceTypeTransitGateway, tags),
	})
	w.must(err)
	return aws.ToString(out.TransitGateway.TransitGatewayId)
}

func (w *world) tgwAttachment(region, tgw, vpc, subnet string) string {
	w.t.Helper()
	out, err := w.p.ec2(w.s, region).CreateTransitGatewayVpcAttachment(w.ctx, &ec2.CreateTransitGatewayVpcAttachmentInput{
		TransitGatewayId: aws.String(tgw), VpcId: aws.String(vpc), SubnetIds: []string{subnet},
	})
	w.must(err)
	return aws.ToString(out.TransitGatewayVpcAttachment.TransitGatewayAttachmentId)
}

// flowLog creates a flow log directly (not through Apply) and returns its ID.
func (w *world) flowLog(region string, in *ec2.CreateFlowLogsInput) string {
	w.t.Helper()
	out, err := w.p.ec2(w.s, region).CreateFlowLogs(w.ctx, in)
	w.must(err)
	for _, u := range out.Unsuccessful {
		w.t.Fatalf("create flow log for %s: %v", aws.ToString(u.ResourceId), unsuccessfulError(u))
	}
	if len(out.FlowLogIds) != 1 {
		w.t.Fatalf("create flow log: ids %v", out.FlowLogIds)
	}
	return out.FlowLogIds[0]
}

func (w *world) logGroup(region, name string, retention int32, tags map[string]string) {
	w.t.Helper()
	c := w.p.logs(w.s, region)
	_, err := c.CreateLogGroup(w.ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(name), Tags: tags})
	w.must(err)
	if retention > 0 {
		_, err = c.PutRetentionPolicy(w.ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String(name), RetentionInDays: aws.Int32(retention)})
		w.must(err)
	}
}

func (w *world) role(name, path, trust string, tags map[string]string) string {
	w.t.Helper()
	out, err := w.p.iam(w.s).CreateRole(w.ctx, &iam.CreateRoleInput{
		RoleName: aws.String(name), Path: aws.String(path), AssumeRolePolicyDocument: aws.String(trust), Tags: toIAMTags(tags),
	})
	w.must(err)
	return aws.ToString(out.Role.Arn)
}

func (w *world) rolePolicy(role, name, doc string) {
	w.t.Helper()
	_, err := w.p.iam(w.s).PutRolePolicy(w.ctx, &iam.PutRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(name), PolicyDocument: aws.String(doc)})
	w.must(err)
}

func (w *world) bucket(region, name string) {
	w.t.Helper()
	in := &s3.CreateBucketInput{Bucket: aws.String(name)}
	if region != "us-east-1" {
		in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(region)}
	}
	_, err := w.p.s3(w.s, region).CreateBucket(w.ctx, in)
	w.must(err)
}

func (w *world) bucketPolicy(region, bucket, policy string) {
	w.t.Helper()
	_, err := w.p.s3(w.s, region).PutBucketPolicy(w.ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(policy)})
	w.must(err)
}

func (w *world) getBucketPolicy(region, bucket string) string {
	w.t.Helper()
	policy, _, err := getBucketPolicy(w.ctx, w.p.s3(w.s, region), bucket)
	w.must(err)
	return policy
}

const trustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"vpc-flow-logs.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

const deliveryPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}`
