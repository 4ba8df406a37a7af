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
)

// world creates state for integration tests through plain SDK calls that
// both backends serve, failing the test on any error. What only exists
// before flowplan runs (networks, buckets, the organisation) is a seed.
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

func (w *world) deleteRolePolicy(role, name string) {
	w.t.Helper()
	_, err := w.p.iam(w.s).DeleteRolePolicy(w.ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(name)})
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

// deliveryRole creates the role flow logs deliver to CloudWatch Logs with,
// trusted by the flow logs service, and returns its ARN.
func (w *world) deliveryRole() string {
	w.t.Helper()
	arn := w.role("flowplan-flow-logs", "/", trustPolicy, nil)
	w.rolePolicy("flowplan-flow-logs", "flowplan-delivery", deliveryPolicy)
	return arn
}

const trustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"vpc-flow-logs.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

const deliveryPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}`
