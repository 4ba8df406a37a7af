package awsemu_test

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/google/go-cmp/cmp"

	"github.com/flowplan/flowplan/providers/awsemu"
	"github.com/flowplan/flowplan/providers/awsemu/emutest"
)

func assertNoLogGroup(t *testing.T, s *emutest.Server, name string) {
	t.Helper()
	out, err := cloudwatchlogs.NewFromConfig(oneCfg(s)).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(name)})
	must(t, err)
	if len(out.LogGroups) != 0 {
		t.Fatalf("log group %s exists", name)
	}
}

func TestLogGroups(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	client := cloudwatchlogs.NewFromConfig(oneCfg(s))
	for i := 0; i < 7; i++ {
		_, err := client.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(fmt.Sprintf("/flowplan/g%d", i)),
			Tags: map[string]string{"flowplan:spec": "q"}})
		must(t, err)
	}
	_, err := client.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/flowplan/g0")})
	wantAPIError(t, err, "ResourceAlreadyExistsException", "The specified log group already exists")
	var names []string
	p := cloudwatchlogs.NewDescribeLogGroupsPaginator(client, &cloudwatchlogs.DescribeLogGroupsInput{
		LogGroupNamePrefix: aws.String("/flowplan/"), Limit: aws.Int32(3)})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		must(t, err)
		pages++
		for _, g := range out.LogGroups {
			names = append(names, aws.ToString(g.LogGroupName))
			if aws.ToString(g.Arn) != aws.ToString(g.LogGroupArn)+":*" || g.CreationTime == nil || g.RetentionInDays != nil {
				t.Errorf("log group fields = %+v", g)
			}
		}
	}
	if len(names) != 7 || pages != 3 {
		t.Fatalf("got %d groups in %d pages, want 7 in 3", len(names), pages)
	}
	for _, limit := range []int32{0, 51} {
		_, err = client.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{Limit: aws.Int32(limit)})
		wantAPIError(t, err, "InvalidParameterException", "limit")
	}
	_, err = client.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{NextToken: aws.String("bogus")})
	wantAPIError(t, err, "InvalidParameterException", "nextToken")

	_, err = client.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("/flowplan/g0"), RetentionInDays: aws.Int32(90)})
	must(t, err)
	_, err = client.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("/flowplan/g0"), RetentionInDays: aws.Int32(42)})
	wantAPIError(t, err, "InvalidParameterException", "retentionInDays")
	_, err = client.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("/nope"), RetentionInDays: aws.Int32(90)})
	wantAPIError(t, err, "ResourceNotFoundException", "The specified log group does not exist.")
	out, err := client.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePattern: aws.String("G0")})
	must(t, err)
	if len(out.LogGroups) != 1 || aws.ToInt32(out.LogGroups[0].RetentionInDays) != 90 {
		t.Fatalf("pattern G0: %+v", out.LogGroups)
	}

	arn := aws.ToString(out.LogGroups[0].LogGroupArn)
	// Tag values allow letters, digits, spaces and _.:/=+-@ only: no commas.
	_, err = client.TagResource(ctx, &cloudwatchlogs.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"flowplan:rule": "a,b"}})
	wantAPIError(t, err, "InvalidParameterException", "tags")
	_, err = client.TagResource(ctx, &cloudwatchlogs.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"flowplan:rule": "a+b"}})
	must(t, err)
	_, err = client.UntagResource(ctx, &cloudwatchlogs.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"flowplan:spec"}})
	must(t, err)
	tags, err := client.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	must(t, err)
	if diff := cmp.Diff(map[string]string{"flowplan:rule": "a+b"}, tags.Tags); diff != "" {
		t.Fatalf("tags (-want +got):\n%s", diff)
	}
	legacy, err := client.ListTagsLogGroup(ctx, &cloudwatchlogs.ListTagsLogGroupInput{LogGroupName: aws.String("/flowplan/g0")})
	must(t, err)
	if len(legacy.Tags) != 1 {
		t.Fatalf("ListTagsLogGroup = %v", legacy.Tags)
	}
	_, err = client.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String(arn + ":*")})
	wantAPIError(t, err, "InvalidParameterException", ":*")
	_, err = client.TagResource(ctx, &cloudwatchlogs.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"aws:x": "y"}})
	wantAPIError(t, err, "InvalidParameterException", "aws:")

	_, err = client.AssociateKmsKey(ctx, &cloudwatchlogs.AssociateKmsKeyInput{LogGroupName: aws.String("/flowplan/g0"), KmsKeyId: aws.String("alias/x")})
	wantAPIError(t, err, "InvalidParameterException", "KMS")
	_, err = client.AssociateKmsKey(ctx, &cloudwatchlogs.AssociateKmsKeyInput{LogGroupName: aws.String("/flowplan/g0"),
		KmsKeyId: aws.String("arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab")})
	must(t, err)
	_, err = client.DisassociateKmsKey(ctx, &cloudwatchlogs.DisassociateKmsKeyInput{LogGroupName: aws.String("/flowplan/g0")})
	must(t, err)

	_, err = client.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("/flowplan/g1")})
	must(t, err)
	_, err = client.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("/flowplan/g1")})
	wantAPIError(t, err, "ResourceNotFoundException", "")
	_, err = client.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("bad name!")})
	wantAPIError(t, err, "InvalidParameterException", "logGroupName")

	// Log groups are per region.
	eu := cloudwatchlogs.NewFromConfig(noRetry(s.ConfigWith("eu-west-1", "AKIATESTACCOUNT00001", "secret-one", "")))
	euOut, err := eu.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
	must(t, err)
	if len(euOut.LogGroups) != 0 {
		t.Fatalf("eu-west-1 sees %d log groups", len(euOut.LogGroups))
	}
}
