package awsemu_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/flowplan/flowplan/providers/awsemu"
	"github.com/flowplan/flowplan/providers/awsemu/emutest"
)

// TestSandboxWorld checks examples/sandbox/world.yaml against what the
// quickstart spec and README rely on.
func TestSandboxWorld(t *testing.T) {
	s := emutest.Start(t, awsemu.Options{}, "../../examples/sandbox/world.yaml")
	type scope struct{ account, region string }
	want := map[scope]int{
		{"111111111111", "us-east-1"}: 4, {"111111111111", "eu-west-1"}: 2,
		{"222222222222", "us-east-1"}: 3, {"222222222222", "eu-west-1"}: 2,
		{"333333333333", "us-east-1"}: 1,
	}
	total, prodUntagged := 0, 0
	for sc, n := range want {
		id, secret, err := s.Emu.AddCredentials(sc.account, "")
		must(t, err)
		client := ec2.NewFromConfig(noRetry(s.ConfigWith(sc.region, id, secret, "")))
		out, err := client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
		must(t, err)
		if len(out.Vpcs) != n {
			t.Errorf("%s/%s has %d VPCs, want %d", sc.account, sc.region, len(out.Vpcs), n)
		}
		total += len(out.Vpcs)
		for _, v := range out.Vpcs {
			env := tagValue(v.Tags, "env")
			switch sc.account {
			case "111111111111":
				if env != "prod" {
					prodUntagged++
				}
			case "222222222222":
				if env != "staging" {
					t.Errorf("staging VPC %s has env=%q", nameTag(v.Tags), env)
				}
			}
		}
		enis, err := client.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{MaxResults: aws.Int32(1000)})
		must(t, err)
		if len(enis.NetworkInterfaces) < n {
			t.Errorf("%s/%s has %d network interfaces for %d VPCs", sc.account, sc.region, len(enis.NetworkInterfaces), n)
		}
	}
	if total != 12 || prodUntagged != 1 {
		t.Fatalf("%d VPCs in all (want 12), %d prod VPCs without env=prod (want 1)", total, prodUntagged)
	}
	id, secret, err := s.Emu.AddCredentials("111111111111", "")
	must(t, err)
	prod := ec2.NewFromConfig(noRetry(s.ConfigWith("us-east-1", id, secret, "")))
	tgws, err := prod.DescribeTransitGateways(ctx, &ec2.DescribeTransitGatewaysInput{})
	must(t, err)
	atts, err := prod.DescribeTransitGatewayAttachments(ctx, &ec2.DescribeTransitGatewayAttachmentsInput{})
	must(t, err)
	if len(tgws.TransitGateways) != 1 || len(atts.TransitGatewayAttachments) != 2 {
		t.Fatalf("prod us-east-1: %d transit gateways, %d attachments", len(tgws.TransitGateways), len(atts.TransitGatewayAttachments))
	}
	policy, err := s.Emu.BucketPolicy("org-flow-logs-archive")
	must(t, err)
	// World policies keep the YAML's key order.
	if !strings.HasPrefix(policy, `{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecureTransport","Effect":"Deny"`) {
		t.Fatalf("archive bucket policy = %s", policy)
	}
}

func tagValue(tags []types.Tag, key string) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

func TestWorldIsDeterministic(t *testing.T) {
	save := func() string {
		emu := awsemu.New(awsemu.Options{})
		must(t, emu.LoadWorldFile("../../examples/sandbox/world.yaml"))
		var buf bytes.Buffer
		must(t, emu.Save(&buf))
		return buf.String()
	}
	if a, b := save(), save(); a != b {
		t.Fatal("loading the same world twice gave different states")
	}
}

func TestWorldErrors(t *testing.T) {
	account := func(body string) string {
		return "accounts:\n  - id: \"111111111111\"\n" + body
	}
	tests := []struct{ name, world, msg string }{
		{"empty", "", "world is empty"},
		{"unknown key", "acounts: []", "field acounts not found"},
		{"no accounts", "seed: 1", "at least one account"},
		{"bad account id", "accounts: [{id: \"123\"}]", "12 digits"},
		{"duplicate account", "accounts: [{id: \"111111111111\"}, {id: \"111111111111\"}]", "listed twice"},
		{"bad status", "accounts: [{id: \"111111111111\", status: CLOSED}]", "ACTIVE or SUSPENDED"},
		{"unknown region", account("    regions: {mars-east-1: {}}\n"), "mars-east-1"},
		{"opt-in region not enabled", account("    regions: {af-south-1: {}}\n"), "af-south-1"},
		{"bad cidr", account("    regions: {us-east-1: {vpcs: [{cidr: 10.0.0.0/8}]}}\n"), "between /16 and /28"},
		{"subnet outside the vpc", account("    regions: {us-east-1: {vpcs: [{cidr: 10.0.0.0/16, subnets: [{cidr: 10.1.0.0/24, az: us-east-1a}]}]}}\n"), "inside the VPC"},
		{"subnet in another region's az", account("    regions: {us-east-1: {vpcs: [{cidr: 10.0.0.0/16, subnets: [{cidr: 10.0.0.0/24, az: eu-west-1a}]}]}}\n"), "availability zone"},
		{"duplicate name", account("    regions: {us-east-1: {vpcs: [{name: a, cidr: 10.0.0.0/16}, {name: a, cidr: 10.1.0.0/16}]}}\n"), "used twice"},
		{"attachment to an unknown vpc", account("    regions: {us-east-1: {transit_gateways: [{attachments: [{vpc: nope}]}]}}\n"), "vpc \"nope\""},
		{"flow log on an unknown vpc", account("    regions: {us-east-1: {flow_logs: [{resource: vpc-0123456789abcdef0, traffic_type: ALL, destination_type: s3, destination: \"arn:aws:s3:::b\"}]}}\n"), "InvalidVpcID.NotFound"},
		{"invalid flow log", account("    regions: {us-east-1: {vpcs: [{name: a, cidr: 10.0.0.0/16}], flow_logs: [{resource: a, traffic_type: ALL, log_group: g}]}}\n"), "DeliverLogsPermissionArn can't be empty"},
		{"bad role id", account("    roles: [{id: AROA123, name: r, trust_policy: {Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: \"sts:AssumeRole\"}]}}]\n"), "not a role ID"},
		{"bad trust policy", account("    roles: [{name: r, trust_policy: {Statement: [{Effect: Allow, Action: \"sts:AssumeRole\"}]}}]\n"), "Missing required field Principal"},
		{"bad bucket policy", account("    buckets: [{name: bkt, policy: {Statement: [{Effect: Allow, Principal: \"*\", Action: \"s3:GetObject\", Resource: \"arn:aws:s3:::other/*\"}]}}]\n"), "Policy has invalid resource"},
		{"credentials for an unknown account", "credentials: [{account: \"222222222222\"}]\naccounts: [{id: \"111111111111\"}]", "not in accounts"},
		{"organisation account not in accounts", "organization: {management_account: \"111111111111\", root: {accounts: [\"111111111111\", \"222222222222\"]}}\naccounts: [{id: \"111111111111\"}]", "222222222222"},
		{"management account outside the tree", "organization: {management_account: \"111111111111\", root: {}}\naccounts: [{id: \"111111111111\"}]", "must be in the tree"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := awsemu.New(awsemu.Options{}).LoadWorld(strings.NewReader(tt.world))
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("LoadWorld error = %v, want one containing %q", err, tt.msg)
			}
		})
	}
}
