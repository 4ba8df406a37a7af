package awsemu_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/flowplan/flowplan/providers/awsemu"
	"github.com/flowplan/flowplan/providers/awsemu/emutest"
)

// authzWorld adds to testWorld a role "runner" in each account that both
// accounts' keys may assume; tests give it policies.
var authzWorld = strings.Replace(strings.Replace(testWorld, `    roles:
      - name: delivery`, `    roles:
      - name: runner
        trust_policy: &runner-trust
          Version: "2012-10-17"
          Statement:
            - {Effect: Allow, Principal: {AWS: ["111111111111", "222222222222"]}, Action: sts:AssumeRole}
      - name: delivery`, 1), `    name: two
`, `    name: two
    roles:
      - {name: runner, trust_policy: *runner-trust}
`, 1)

const runnerOne = "arn:aws:iam::111111111111:role/runner"

// runnerSession sets the runner role's only inline policy in account one
// (none when policy is empty) and returns a configuration with a session of
// it.
func runnerSession(t *testing.T, s *emutest.Server, policy string) aws.Config {
	t.Helper()
	admin := iam.NewFromConfig(oneCfg(s))
	_, _ = admin.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("runner"), PolicyName: aws.String("p")})
	if policy != "" {
		_, err := admin.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("runner"), PolicyName: aws.String("p"), PolicyDocument: aws.String(policy)})
		must(t, err)
	}
	return emutest.AssumeRole(oneCfg(s), runnerOne)
}

func allow(statements ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`
}

func TestEnforceIAMIsOffByDefault(t *testing.T) {
	s := start(t, awsemu.Options{}, authzWorld)
	cfg := runnerSession(t, s, "")
	if _, err := ec2.NewFromConfig(cfg).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}); err != nil {
		t.Fatalf("a role without policies is refused without EnforceIAM: %v", err)
	}
}

func TestEnforceIAMDeniesWithEachServicesError(t *testing.T) {
	s := start(t, awsemu.Options{EnforceIAM: true}, authzWorld)
	cfg := runnerSession(t, s, allow(`{"Effect":"Deny","Action":"sts:GetCallerIdentity","Resource":"*"}`))
	_, err := ec2.NewFromConfig(cfg).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	wantAPIError(t, err, "UnauthorizedOperation", "not authorized to perform: ec2:DescribeVpcs on resource: *")
	_, err = iam.NewFromConfig(cfg).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("delivery")})
	wantAPIError(t, err, "AccessDenied", "iam:GetRole on resource: arn:aws:iam::111111111111:role/flowplan/delivery")
	_, err = cloudwatchlogs.NewFromConfig(cfg).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
	wantAPIError(t, err, "AccessDeniedException", "logs:DescribeLogGroups on resource: arn:aws:logs:us-east-1:111111111111:log-group:*")
	_, err = emutest.S3(cfg).GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("own-bucket")})
	wantAPIError(t, err, "AccessDenied", "s3:GetBucketPolicy")
	// GetCallerIdentity needs no permission and cannot be denied.
	if _, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("GetCallerIdentity refused: %v", err)
	}
	// The account's own key keeps full access.
	if _, err := ec2.NewFromConfig(oneCfg(s)).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}); err != nil {
		t.Errorf("the account's key is refused: %v", err)
	}
}

func TestEnforceIAMExplicitDenyWins(t *testing.T) {
	s := start(t, awsemu.Options{EnforceIAM: true}, authzWorld)
	cfg := runnerSession(t, s, allow(`{"Effect":"Allow","Action":"ec2:Describe*","Resource":"*"}`,
		`{"Effect":"Deny","Action":"ec2:DescribeSubnets","Resource":"*"}`))
	c := ec2.NewFromConfig(cfg)
	if _, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}); err != nil {
		t.Errorf("DescribeVpcs: %v", err)
	}
	_, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{})
	wantAPIError(t, err, "UnauthorizedOperation", "explicit deny")
}

// TestEnforceIAMCreateFlowLogs walks CreateFlowLogs through what it needs:
// the flow log and its target, tagging on create, and passing the role.
func TestEnforceIAMCreateFlowLogs(t *testing.T) {
	s := start(t, awsemu.Options{EnforceIAM: true}, authzWorld)
	vpc := lookupIDs(t, ec2.NewFromConfig(oneCfg(s))).vpcA
	in := &ec2.CreateFlowLogsInput{
		ResourceIds: []string{vpc}, ResourceType: ec2types.FlowLogsResourceTypeVpc, TrafficType: ec2types.TrafficTypeAll,
		LogGroupName: aws.String("/fl/a"), DeliverLogsPermissionArn: aws.String(deliveryRole),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVpcFlowLog,
			Tags: []ec2types.Tag{{Key: aws.String("flowplan:spec"), Value: aws.String("s")}}}},
	}
	create := `{"Effect":"Allow","Action":"ec2:CreateFlowLogs","Resource":"arn:aws:ec2:us-east-1:*:vpc-flow-log/*",
		"Condition":{"StringEquals":{"aws:RequestTag/flowplan:spec":"s"}}}`
	target := `{"Effect":"Allow","Action":"ec2:CreateFlowLogs","Resource":"arn:aws:ec2:us-east-1:*:vpc/*"}`
	tagOnCreate := `{"Effect":"Allow","Action":"ec2:CreateTags","Resource":"arn:aws:ec2:us-east-1:*:vpc-flow-log/*",
		"Condition":{"StringEquals":{"ec2:CreateAction":"CreateFlowLogs"}}}`
	pass := func(service string) string {
		return `{"Effect":"Allow","Action":"iam:PassRole","Resource":"` + deliveryRole + `",
			"Condition":{"StringEquals":{"iam:PassedToService":"` + service + `"}}}`
	}
	for _, tt := range []struct {
		name, policy, missing string
	}{
		{"without the flow log", allow(target, tagOnCreate, pass("vpc-flow-logs.amazonaws.com")), "ec2:CreateFlowLogs on resource: arn:aws:ec2:us-east-1:111111111111:vpc-flow-log/*"},
		{"without the target", allow(create, tagOnCreate, pass("vpc-flow-logs.amazonaws.com")), "ec2:CreateFlowLogs on resource: arn:aws:ec2:us-east-1:111111111111:vpc/" + vpc},
		{"without tagging on create", allow(create, target, pass("vpc-flow-logs.amazonaws.com")), "ec2:CreateTags"},
		{"passing the role to another service", allow(create, target, tagOnCreate, pass("ec2.amazonaws.com")), "iam:PassRole on resource: " + deliveryRole},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ec2.NewFromConfig(runnerSession(t, s, tt.policy)).CreateFlowLogs(ctx, in)
			wantAPIError(t, err, "UnauthorizedOperation", tt.missing)
			if n := len(s.Emu.FlowLogs(acctOne, "us-east-1")); n != 0 {
				t.Fatalf("a refused CreateFlowLogs made %d flow logs", n)
			}
		})
	}
	// A flow log without the spec's tag is refused by the first statement's condition.
	untagged := *in
	untagged.TagSpecifications = nil
	_, err := ec2.NewFromConfig(runnerSession(t, s, allow(create, target, tagOnCreate, pass("vpc-flow-logs.amazonaws.com")))).CreateFlowLogs(ctx, &untagged)
	wantAPIError(t, err, "UnauthorizedOperation", "vpc-flow-log/*")
	out, err := ec2.NewFromConfig(runnerSession(t, s, allow(create, target, tagOnCreate, pass("vpc-flow-logs.amazonaws.com")))).CreateFlowLogs(ctx, in)
	if err != nil || len(out.FlowLogIds) != 1 || len(out.Unsuccessful) != 0 {
		t.Fatalf("CreateFlowLogs with everything allowed = %+v, %v", out, err)
	}
}

func TestEnforceIAMS3FlowLogsNeedLogDelivery(t *testing.T) {
	s := start(t, awsemu.Options{EnforceIAM: true}, authzWorld)
	vpc := lookupIDs(t, ec2.NewFromConfig(oneCfg(s))).vpcB
	base := `{"Effect":"Allow","Action":"ec2:CreateFlowLogs","Resource":"*"}`
	in := &ec2.CreateFlowLogsInput{ResourceIds: []string{vpc}, ResourceType: ec2types.FlowLogsResourceTypeVpc,
		TrafficType: ec2types.TrafficTypeAll, LogDestinationType: ec2types.LogDestinationTypeS3,
		LogDestination: aws.String("arn:aws:s3:::central-bucket")}
	_, err := ec2.NewFromConfig(runnerSession(t, s, allow(base))).CreateFlowLogs(ctx, in)
	wantAPIError(t, err, "UnauthorizedOperation", "logs:CreateLogDelivery")
	c := ec2.NewFromConfig(runnerSession(t, s, allow(base, `{"Effect":"Allow","Action":["logs:CreateLogDelivery","ec2:DeleteFlowLogs"],"Resource":"*"}`)))
	out, err := c.CreateFlowLogs(ctx, in)
	must(t, err)
	_, err = c.DeleteFlowLogs(ctx, &ec2.DeleteFlowLogsInput{FlowLogIds: out.FlowLogIds})
	wantAPIError(t, err, "UnauthorizedOperation", "logs:DeleteLogDelivery")
}

// TestEnforceIAMResourceTags shows aws:ResourceTag conditions on flow logs:
// DeleteFlowLogs and CreateTags act only on flow logs carrying the tag.
func TestEnforceIAMResourceTags(t *testing.T) {
	s := start(t, awsemu.Options{EnforceIAM: true}, authzWorld)
	root := ec2.NewFromConfig(oneCfg(s))
	vpcs := lookupIDs(t, root)
	make := func(vpcName string, tags map[string]string) string {
		vpc := map[string]string{"a": vpcs.vpcA, "b": vpcs.vpcB}[vpcName]
		in := &ec2.CreateFlowLogsInput{ResourceIds: []string{vpc}, ResourceType: ec2types.FlowLogsResourceTypeVpc,
			TrafficType: ec2types.TrafficTypeAll, LogGroupName: aws.String("/fl/" + vpcName), DeliverLogsPermissionArn: aws.String(deliveryRole)}
		for k, v := range tags {
			in.TagSpecifications = []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVpcFlowLog,
				Tags: []ec2types.Tag{{Key: aws.String(k), Value: aws.String(v)}}}}
		}
		out, err := root.CreateFlowLogs(ctx, in)
		must(t, err)
		return out.FlowLogIds[0]
	}
	ours, theirs := make("a", map[string]string{"flowplan:spec": "s"}), make("b", nil)
	c := ec2.NewFromConfig(runnerSession(t, s, allow(
		`{"Effect":"Allow","Action":["ec2:DeleteFlowLogs","ec2:CreateTags"],"Resource":"arn:aws:ec2:us-east-1:*:vpc-flow-log/*","Condition":{"StringEquals":{"aws:ResourceTag/flowplan:spec":"s"}}}`,
		`{"Effect":"Allow","Action":"ec2:CreateTags","Resource":"*","Condition":{"Null":{"aws:ResourceTag/flowplan:spec":"true"},"ForAllValues:StringEquals":{"aws:TagKeys":["flowplan:spec","flowplan:rule"]}}}`)))
	tag := func(id, key string) error {
		_, err := c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: []ec2types.Tag{{Key: aws.String(key), Value: aws.String("x")}}})
		return err
	}
	must(t, tag(ours, "owner"))
	must(t, tag(theirs, "flowplan:rule"))
	wantAPIError(t, tag(theirs, "owner"), "UnauthorizedOperation", "ec2:CreateTags on resource: arn:aws:ec2:us-east-1:111111111111:vpc-flow-log/"+theirs)
	_, err := c.DeleteFlowLogs(ctx, &ec2.DeleteFlowLogsInput{FlowLogIds: []string{ours, theirs}})
	wantAPIError(t, err, "UnauthorizedOperation", "vpc-flow-log/"+theirs)
	if n := len(s.Emu.FlowLogs(acctOne, "us-east-1")); n != 2 {
		t.Fatalf("a refused DeleteFlowLogs deleted something: %d flow logs left", n)
	}
	_, err = c.DeleteFlowLogs(ctx, &ec2.DeleteFlowLogsInput{FlowLogIds: []string{ours}})
	must(t, err)
}

func TestEnforceIAMLogGroupTagsOnCreate(t *testing.T) {
	s := start(t, awsemu.Options{EnforceIAM: true}, authzWorld)
	in := &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/fl/new"), Tags: map[string]string{"flowplan:spec": "s"}}
	create := `{"Effect":"Allow","Action":"logs:CreateLogGroup","Resource":"arn:aws:logs:us-east-1:111111111111:log-group:/fl/*"}`
	_, err := cloudwatchlogs.NewFromConfig(runnerSession(t, s, allow(create))).CreateLogGroup(ctx, in)
	wantAPIError(t, err, "AccessDeniedException", "logs:TagResource")
	_, err = cloudwatchlogs.NewFromConfig(runnerSession(t, s, allow(create,
		`{"Effect":"Allow","Action":"logs:TagLogGroup","Resource":"arn:aws:logs:us-east-1:111111111111:log-group:/fl/*"}`))).CreateLogGroup(ctx, in)
	must(t, err)
}

func TestEnforceIAMRoleTags(t *testing.T) {
	s := start(t, awsemu.Options{EnforceIAM: true}, authzWorld)
	in := &iam.CreateRoleInput{RoleName: aws.String("new"), Path: aws.String("/flowplan/"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"vpc-flow-logs.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
		Tags:                     []iamtypes.Tag{{Key: aws.String("flowplan:spec"), Value: aws.String("s")}}}
	create := `{"Effect":"Allow","Action":"iam:CreateRole","Resource":"arn:aws:iam::*:role/flowplan/new","Condition":{"StringEquals":{"aws:RequestTag/flowplan:spec":"s"}}}`
	_, err := iam.NewFromConfig(runnerSession(t, s, allow(create))).CreateRole(ctx, in)
	wantAPIError(t, err, "AccessDenied", "iam:TagRole")
	c := iam.NewFromConfig(runnerSession(t, s, allow(create,
		`{"Effect":"Allow","Action":"iam:TagRole","Resource":"arn:aws:iam::*:role/flowplan/new","Condition":{"StringEquals":{"aws:RequestTag/flowplan:spec":"s"}}}`,
		`{"Effect":"Allow","Action":"iam:DeleteRole","Resource":"arn:aws:iam::*:role/*","Condition":{"StringEquals":{"aws:ResourceTag/flowplan:spec":"s"}}}`)))
	_, err = c.CreateRole(ctx, in)
	must(t, err)
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("delivery")})
	wantAPIError(t, err, "AccessDenied", "iam:DeleteRole on resource: "+deliveryRole)
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("new")})
	must(t, err)
}

// TestEnforceIAMS3AcrossAccounts: within the bucket owner's account the
// identity policy or the bucket policy suffices; across accounts both must
// allow.
func TestEnforceIAMS3AcrossAccounts(t *testing.T) {
	s := start(t, awsemu.Options{EnforceIAM: true}, authzWorld)
	list := func(cfg aws.Config, bucket string) error {
		_, err := emutest.S3(cfg).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
		return err
	}
	identity := allow(`{"Effect":"Allow","Action":"s3:ListBucket","Resource":["arn:aws:s3:::own-bucket","arn:aws:s3:::central-bucket"]}`)
	cfg := runnerSession(t, s, identity)
	must(t, list(cfg, "own-bucket"))
	wantAPIError(t, list(cfg, "central-bucket"), "AccessDenied", "")
	must(t, s.Emu.SetBucketPolicy("central-bucket", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+runnerOne+`"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::central-bucket"}]}`))
	must(t, list(cfg, "central-bucket"))
	wantAPIError(t, list(runnerSession(t, s, allow(`{"Effect":"Allow","Action":"ec2:DescribeVpcs","Resource":"*"}`)), "central-bucket"), "AccessDenied", "s3:ListBucket")
	must(t, s.Emu.SetBucketPolicy("own-bucket", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+runnerOne+`"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::own-bucket"}]}`))
	must(t, list(runnerSession(t, s, ""), "own-bucket"))
}

func TestEnforceIAMAssumeRoleNeedsIdentityPolicy(t *testing.T) {
	s := start(t, awsemu.Options{EnforceIAM: true}, authzWorld)
	chained := func(policy string) error {
		cfg := emutest.AssumeRole(runnerSession(t, s, policy), "arn:aws:iam::222222222222:role/runner")
		_, err := ec2.NewFromConfig(cfg).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
		return err
	}
	if err := chained(""); err == nil || !strings.Contains(err.Error(), "sts:AssumeRole") {
		t.Fatalf("role chaining without sts:AssumeRole: %v, want AccessDenied for sts:AssumeRole", err)
	}
	// The second runner has no policies either: it gets in, and is refused there.
	err := chained(allow(`{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::*:role/runner"}`))
	wantAPIError(t, err, "UnauthorizedOperation", "ec2:DescribeVpcs")
}
