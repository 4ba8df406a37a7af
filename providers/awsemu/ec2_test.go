package awsemu_test

import (
	"maps"
	"sort"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/flowplan/flowplan/providers/awsemu"
)

func TestDescribeVpcsPagination(t *testing.T) {
	s := start(t, awsemu.Options{}, manyVPCsWorld(23))
	client := ec2.NewFromConfig(oneCfg(s))
	var ids []string
	pages := 0
	p := ec2.NewDescribeVpcsPaginator(client, &ec2.DescribeVpcsInput{MaxResults: aws.Int32(5)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		must(t, err)
		if len(out.Vpcs) > 5 {
			t.Fatalf("page has %d VPCs, want at most 5", len(out.Vpcs))
		}
		for _, v := range out.Vpcs {
			ids = append(ids, aws.ToString(v.VpcId))
		}
		pages++
	}
	if len(ids) != 23 || pages != 5 {
		t.Fatalf("got %d VPCs in %d pages, want 23 in 5", len(ids), pages)
	}
	if !sort.StringsAreSorted(ids) {
		t.Errorf("VPC IDs are not in a stable order: %v", ids)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("VPC %s returned twice", id)
		}
		seen[id] = true
	}
	all, err := client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	must(t, err)
	if len(all.Vpcs) != 23 || all.NextToken != nil {
		t.Fatalf("without MaxResults: %d VPCs, token %v; want all 23 and no token", len(all.Vpcs), all.NextToken)
	}
}

func TestDescribeVpcsErrors(t *testing.T) {
	s := start(t, awsemu.Options{}, manyVPCsWorld(12))
	client := ec2.NewFromConfig(oneCfg(s))
	first, err := client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{MaxResults: aws.Int32(5)})
	must(t, err)
	tests := []struct {
		name string
		in   *ec2.DescribeVpcsInput
		code string
		msg  string
	}{
		{"max results too small", &ec2.DescribeVpcsInput{MaxResults: aws.Int32(4)}, "InvalidParameterValue", "between 5 and 1000"},
		{"max results too large", &ec2.DescribeVpcsInput{MaxResults: aws.Int32(1001)}, "InvalidParameterValue", "between 5 and 1000"},
		{"garbage token", &ec2.DescribeVpcsInput{NextToken: aws.String("nope")}, "InvalidPaginationToken", "not valid"},
		{"token from another query", &ec2.DescribeVpcsInput{NextToken: first.NextToken, MaxResults: aws.Int32(5),
			Filters: []types.Filter{{Name: aws.String("tag:env"), Values: []string{"prod"}}}}, "InvalidPaginationToken", ""},
		{"unknown filter", &ec2.DescribeVpcsInput{Filters: []types.Filter{{Name: aws.String("colour"), Values: []string{"red"}}}}, "InvalidParameterValue", "The filter 'colour' is invalid"},
		{"unknown vpc", &ec2.DescribeVpcsInput{VpcIds: []string{"vpc-0123456789abcdef0"}}, "InvalidVpcID.NotFound", "The vpc ID 'vpc-0123456789abcdef0' does not exist"},
		{"malformed vpc id", &ec2.DescribeVpcsInput{VpcIds: []string{"subnet-0123456789abcdef0"}}, "InvalidVpcID.Malformed", "subnet-0123456789abcdef0"},
		{"dry run", &ec2.DescribeVpcsInput{DryRun: aws.Bool(true)}, "DryRunOperation", "Request would have succeeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := client.DescribeVpcs(ctx, tt.in)
			wantAPIError(t, err, tt.code, tt.msg)
		})
	}
}

func TestDescribeVpcsFilters(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	client := ec2.NewFromConfig(oneCfg(s))
	names := func(in *ec2.DescribeVpcsInput) []string {
		out, err := client.DescribeVpcs(ctx, in)
		must(t, err)
		var got []string
		for _, v := range out.Vpcs {
			for _, tag := range v.Tags {
				if aws.ToString(tag.Key) == "Name" {
					got = append(got, aws.ToString(tag.Value))
				}
			}
		}
		sort.Strings(got)
		return got
	}
	filter := func(name string, values ...string) *ec2.DescribeVpcsInput {
		return &ec2.DescribeVpcsInput{Filters: []types.Filter{{Name: aws.String(name), Values: values}}}
	}
	tests := []struct {
		name string
		in   *ec2.DescribeVpcsInput
		want []string
	}{
		{"all", &ec2.DescribeVpcsInput{}, []string{"a", "b"}},
		{"tag value", filter("tag:env", "prod"), []string{"a"}},
		{"tag value wildcard", filter("tag:env", "*ing"), []string{"b"}},
		{"tag value list is OR", filter("tag:env", "prod", "staging"), []string{"a", "b"}},
		{"tag key", filter("tag-key", "env"), []string{"a", "b"}},
		{"missing tag", filter("tag:team", "x"), nil},
		{"cidr", filter("cidr", "10.1.0.0/16"), []string{"b"}},
		{"owner", filter("owner-id", acctOne), []string{"a", "b"}},
		{"filters are AND", &ec2.DescribeVpcsInput{Filters: []types.Filter{
			{Name: aws.String("tag:env"), Values: []string{"prod"}},
			{Name: aws.String("cidr"), Values: []string{"10.1.0.0/16"}}}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, names(tt.in)); diff != "" {
				t.Fatalf("VPC names (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDescribeVpcsShape(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	out, err := ec2.NewFromConfig(oneCfg(s)).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{
		Filters: []types.Filter{{Name: aws.String("tag:Name"), Values: []string{"a"}}}})
	must(t, err)
	if len(out.Vpcs) != 1 {
		t.Fatalf("got %d VPCs", len(out.Vpcs))
	}
	v := out.Vpcs[0]
	if aws.ToString(v.OwnerId) != acctOne || aws.ToString(v.CidrBlock) != "10.0.0.0/16" || v.State != types.VpcStateAvailable ||
		len(v.CidrBlockAssociationSet) != 1 || aws.ToString(v.DhcpOptionsId) == "" || v.InstanceTenancy != types.TenancyDefault {
		t.Fatalf("VPC fields are incomplete: %+v", v)
	}
	if id := aws.ToString(v.VpcId); len(id) != len("vpc-")+17 {
		t.Errorf("VPC ID %q is not vpc- and 17 hex digits", id)
	}
}

func TestDescribeOtherEC2Resources(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	client := ec2.NewFromConfig(oneCfg(s))
	vpcs, err := client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []types.Filter{{Name: aws.String("tag:Name"), Values: []string{"a"}}}})
	must(t, err)
	vpcA := aws.ToString(vpcs.Vpcs[0].VpcId)

	subnets, err := client.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{MaxResults: aws.Int32(5),
		Filters: []types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcA}}}})
	must(t, err)
	if len(subnets.Subnets) != 1 || aws.ToString(subnets.Subnets[0].AvailabilityZone) != "us-east-1a" ||
		aws.ToInt32(subnets.Subnets[0].AvailableIpAddressCount) != 250 {
		t.Fatalf("subnets = %+v; want one in us-east-1a with 256-5-1 free addresses", subnets.Subnets)
	}

	enis, err := client.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{MaxResults: aws.Int32(5)})
	must(t, err)
	if len(enis.NetworkInterfaces) != 1 || aws.ToString(enis.NetworkInterfaces[0].VpcId) != vpcA ||
		aws.ToString(enis.NetworkInterfaces[0].PrivateIpAddress) != "10.0.1.10" {
		t.Fatalf("network interfaces = %+v", enis.NetworkInterfaces)
	}
	// AWS refuses (or heavily throttles) unpaginated, unfiltered calls.
	_, err = client.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{})
	wantAPIError(t, err, "InvalidParameterCombination", "paginated")
	filtered, err := client.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{
		Filters: []types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcA}}}})
	must(t, err)
	if len(filtered.NetworkInterfaces) != 1 {
		t.Fatalf("filtered by vpc-id: %d interfaces, want 1", len(filtered.NetworkInterfaces))
	}
	_, err = client.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{MaxResults: aws.Int32(5),
		NetworkInterfaceIds: []string{aws.ToString(enis.NetworkInterfaces[0].NetworkInterfaceId)}})
	wantAPIError(t, err, "InvalidParameterCombination", "MaxResults")

	tgws, err := client.DescribeTransitGateways(ctx, &ec2.DescribeTransitGatewaysInput{})
	must(t, err)
	if len(tgws.TransitGateways) != 1 || tgws.TransitGateways[0].Options == nil || aws.ToString(tgws.TransitGateways[0].TransitGatewayArn) == "" {
		t.Fatalf("transit gateways = %+v", tgws.TransitGateways)
	}
	atts, err := client.DescribeTransitGatewayAttachments(ctx, &ec2.DescribeTransitGatewayAttachmentsInput{
		Filters: []types.Filter{{Name: aws.String("transit-gateway-id"), Values: []string{aws.ToString(tgws.TransitGateways[0].TransitGatewayId)}}}})
	must(t, err)
	if len(atts.TransitGatewayAttachments) != 1 || aws.ToString(atts.TransitGatewayAttachments[0].ResourceId) != vpcA ||
		atts.TransitGatewayAttachments[0].ResourceType != types.TransitGatewayAttachmentResourceTypeVpc {
		t.Fatalf("attachments = %+v", atts.TransitGatewayAttachments)
	}
	_, err = client.DescribeTransitGateways(ctx, &ec2.DescribeTransitGatewaysInput{TransitGatewayIds: []string{"tgw-0123456789abcdef0"}})
	wantAPIError(t, err, "InvalidTransitGatewayID.NotFound", "tgw-0123456789abcdef0")
}

func TestDescribeRegions(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	client := ec2.NewFromConfig(oneCfg(s))
	out, err := client.DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
	must(t, err)
	var names []string
	for _, r := range out.Regions {
		names = append(names, aws.ToString(r.RegionName))
	}
	if len(names) != 17 || !sort.StringsAreSorted(names) || names[len(names)-1] != "us-west-2" {
		t.Fatalf("enabled regions = %v", names)
	}
	all, err := client.DescribeRegions(ctx, &ec2.DescribeRegionsInput{AllRegions: aws.Bool(true),
		Filters: []types.Filter{{Name: aws.String("opt-in-status"), Values: []string{"not-opted-in"}}}})
	must(t, err)
	if len(all.Regions) == 0 {
		t.Fatal("AllRegions found no opt-in regions")
	}
	for _, r := range all.Regions {
		if aws.ToString(r.OptInStatus) != "not-opted-in" {
			t.Errorf("filtered by opt-in-status not-opted-in: %s is %s", aws.ToString(r.RegionName), aws.ToString(r.OptInStatus))
		}
	}
	// A region named is listed whether or not it is enabled, as AWS
	// documents for RegionName.
	named, err := client.DescribeRegions(ctx, &ec2.DescribeRegionsInput{RegionNames: []string{"af-south-1", "us-east-1"}})
	must(t, err)
	got := map[string]string{}
	for _, r := range named.Regions {
		got[aws.ToString(r.RegionName)] = aws.ToString(r.OptInStatus)
	}
	if want := map[string]string{"af-south-1": "not-opted-in", "us-east-1": "opt-in-not-required"}; !maps.Equal(got, want) {
		t.Errorf("named regions = %v, want %v", got, want)
	}
	_, err = client.DescribeRegions(ctx, &ec2.DescribeRegionsInput{RegionNames: []string{"us-east-9"}})
	wantAPIError(t, err, "InvalidParameterValue", "us-east-9")
}

func TestEC2Tags(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	client := ec2.NewFromConfig(oneCfg(s))
	vpcs, err := client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []types.Filter{{Name: aws.String("tag:Name"), Values: []string{"b"}}}})
	must(t, err)
	id := aws.ToString(vpcs.Vpcs[0].VpcId)
	_, err = client.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: []types.Tag{{Key: aws.String("owner"), Value: aws.String("x")}}})
	must(t, err)
	_, err = client.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{id}, Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("not-the-value")}}})
	must(t, err)
	tags, err := client.DescribeTags(ctx, &ec2.DescribeTagsInput{Filters: []types.Filter{{Name: aws.String("resource-id"), Values: []string{id}}}})
	must(t, err)
	got := map[string]string{}
	for _, tag := range tags.Tags {
		got[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
		if tag.ResourceType != types.ResourceTypeVpc {
			t.Errorf("resource type = %s, want vpc", tag.ResourceType)
		}
	}
	want := map[string]string{"Name": "b", "env": "staging", "owner": "x"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("tags (-want +got):\n%s", diff)
	}
	_, err = client.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("y")}}})
	wantAPIError(t, err, "InvalidParameterValue", "aws:")
	_, err = client.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{"vpc-0000000000000000f"}, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	wantAPIError(t, err, "InvalidVpcID.NotFound", "vpc-0000000000000000f")
	many := make([]types.Tag, 51)
	for i := range many {
		many[i] = types.Tag{Key: aws.String("k" + string(rune('A'+i%26)) + string(rune('a'+i/26))), Value: aws.String("v")}
	}
	_, err = client.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: many})
	wantAPIError(t, err, "TagLimitExceeded", "")
}
