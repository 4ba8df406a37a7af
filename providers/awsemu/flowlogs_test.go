package awsemu_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/flowplan/flowplan/providers/awsemu"
	"github.com/flowplan/flowplan/providers/awsemu/emutest"
)

// ids looks up world names (Name tags) of the test world.
type ids struct {
	vpcA, vpcB, subnet, eni, tgw, attachment string
}

func lookupIDs(t *testing.T, client *ec2.Client) ids {
	t.Helper()
	var out ids
	vpcs, err := client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	must(t, err)
	for _, v := range vpcs.Vpcs {
		switch nameTag(v.Tags) {
		case "a":
			out.vpcA = aws.ToString(v.VpcId)
		case "b":
			out.vpcB = aws.ToString(v.VpcId)
		}
	}
	subnets, err := client.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{})
	must(t, err)
	out.subnet = aws.ToString(subnets.Subnets[0].SubnetId)
	enis, err := client.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{MaxResults: aws.Int32(5)})
	must(t, err)
	out.eni = aws.ToString(enis.NetworkInterfaces[0].NetworkInterfaceId)
	tgws, err := client.DescribeTransitGateways(ctx, &ec2.DescribeTransitGatewaysInput{})
	must(t, err)
	out.tgw = aws.ToString(tgws.TransitGateways[0].TransitGatewayId)
	atts, err := client.DescribeTransitGatewayAttachments(ctx, &ec2.DescribeTransitGatewayAttachmentsInput{})
	must(t, err)
	out.attachment = aws.ToString(atts.TransitGatewayAttachments[0].TransitGatewayAttachmentId)
	return out
}

func nameTag(tags []types.Tag) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == "Name" {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

// cwlInput is a valid CloudWatch Logs flow log request for resource.
func cwlInput(resource string) *ec2.CreateFlowLogsInput {
	return &ec2.CreateFlowLogsInput{
		ResourceIds: []string{resource}, ResourceType: types.FlowLogsResourceTypeVpc, TrafficType: types.TrafficTypeReject,
		LogDestinationType: types.LogDestinationTypeCloudWatchLogs, LogGroupName: aws.String("/fl/existing"),
		DeliverLogsPermissionArn: aws.String(deliveryRole), MaxAggregationInterval: aws.Int32(60),
	}
}

func s3Input(resource, bucketARN string) *ec2.CreateFlowLogsInput {
	return &ec2.CreateFlowLogsInput{
		ResourceIds: []string{resource}, ResourceType: types.FlowLogsResourceTypeVpc, TrafficType: types.TrafficTypeAll,
		LogDestinationType: types.LogDestinationTypeS3, LogDestination: aws.String(bucketARN),
	}
}

func TestCreateFlowLogsValidation(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	client := ec2.NewFromConfig(oneCfg(s))
	id := lookupIDs(t, client)
	edit := func(base *ec2.CreateFlowLogsInput, fn func(*ec2.CreateFlowLogsInput)) *ec2.CreateFlowLogsInput {
		fn(base)
		return base
	}
	many := func(n int, id string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = id
		}
		return out
	}
	tests := []struct {
		name string
		in   *ec2.CreateFlowLogsInput
		code string
		msg  string
	}{
		{"cloudwatch without role", edit(cwlInput(id.vpcA), func(in *ec2.CreateFlowLogsInput) { in.DeliverLogsPermissionArn = nil }),
			"InvalidParameter", "DeliverLogsPermissionArn can't be empty if LogDestinationType is cloud-watch-logs"},
		{"s3 with role", edit(s3Input(id.vpcA, "arn:aws:s3:::central-bucket"), func(in *ec2.CreateFlowLogsInput) { in.DeliverLogsPermissionArn = aws.String(deliveryRole) }),
			"InvalidParameter", "DeliverLogsPermissionArn is not applicable for s3 delivery"},
		{"firehose same account with role", &ec2.CreateFlowLogsInput{ResourceIds: []string{id.vpcA}, ResourceType: types.FlowLogsResourceTypeVpc,
			TrafficType: types.TrafficTypeAll, LogDestinationType: types.LogDestinationTypeKinesisDataFirehose,
			LogDestination:           aws.String("arn:aws:firehose:us-east-1:111111111111:deliverystream/s"),
			DeliverLogsPermissionArn: aws.String(deliveryRole)}, "InvalidParameter", "DeliverLogsPermissionArn is not applicable"},
		{"interval 300", edit(cwlInput(id.vpcA), func(in *ec2.CreateFlowLogsInput) { in.MaxAggregationInterval = aws.Int32(300) }),
			"InvalidParameter", "Invalid Flow Log Max Aggregation Interval"},
		{"no traffic type for a vpc", edit(cwlInput(id.vpcA), func(in *ec2.CreateFlowLogsInput) { in.TrafficType = "" }),
			"InvalidParameter", "traffic-type is required"},
		{"transit gateway with traffic type", edit(cwlInput(id.tgw), func(in *ec2.CreateFlowLogsInput) {
			in.ResourceType, in.MaxAggregationInterval = types.FlowLogsResourceTypeTransitGateway, nil
		}), "InvalidParameter", "traffic-type is not supported"},
		{"transit gateway with 600 s", edit(cwlInput(id.tgw), func(in *ec2.CreateFlowLogsInput) {
			in.ResourceType, in.TrafficType, in.MaxAggregationInterval = types.FlowLogsResourceTypeTransitGateway, "", aws.Int32(600)
		}), "InvalidParameter", "max-aggregation-interval other than 60 sec / 1 min is not supported"},
		{"26 transit gateways", edit(cwlInput(id.tgw), func(in *ec2.CreateFlowLogsInput) {
			in.ResourceType, in.TrafficType, in.ResourceIds = types.FlowLogsResourceTypeTransitGateway, "", many(26, id.tgw)
		}), "InvalidParameter", "Maximum of 25"},
		{"301 vpcs", edit(cwlInput(id.vpcA), func(in *ec2.CreateFlowLogsInput) { in.ResourceIds = many(301, id.vpcA) }),
			"InvalidParameter", "Maximum of 300"},
		{"trailing space in format", edit(cwlInput(id.vpcA), func(in *ec2.CreateFlowLogsInput) { in.LogFormat = aws.String("${version} ${srcaddr} ") }),
			"InvalidParameter", "has an invalid format"},
		{"double space in format", edit(cwlInput(id.vpcA), func(in *ec2.CreateFlowLogsInput) { in.LogFormat = aws.String("${version}  ${srcaddr}") }),
			"InvalidParameter", "has an invalid format"},
		{"bare word in format", edit(cwlInput(id.vpcA), func(in *ec2.CreateFlowLogsInput) { in.LogFormat = aws.String("${version} srcaddr") }),
			"InvalidParameter", "has an invalid format"},
		{"unknown field", edit(cwlInput(id.vpcA), func(in *ec2.CreateFlowLogsInput) { in.LogFormat = aws.String("${version} ${colour}") }),
			"InvalidParameter", "${colour} is not a flow log field"},
		{"tgw field on a vpc", edit(cwlInput(id.vpcA), func(in *ec2.CreateFlowLogsInput) { in.LogFormat = aws.String("${version} ${tgw-id}") }),
			"InvalidParameter", "${tgw-id} is not supported for this resource type"},
		{"vpc field on a tgw", edit(cwlInput(id.tgw), func(in *ec2.CreateFlowLogsInput) {
			in.ResourceType, in.TrafficType, in.MaxAggregationInterval = types.FlowLogsResourceTypeTransitGateway, "", nil
			in.LogFormat = aws.String("${version} ${vpc-id}")
		}), "InvalidParameter", "${vpc-id} is not supported"},
		{"tag field without specification", edit(cwlInput(id.vpcA), func(in *ec2.CreateFlowLogsInput) { in.LogFormat = aws.String("${version} ${interface-tag}") }),
			"InvalidParameter", "The TagFieldSpecifications parameter must be set when including tag fields in the log format"},
		{"both group name and destination", edit(cwlInput(id.vpcA), func(in *ec2.CreateFlowLogsInput) {
			in.LogDestination = aws.String("arn:aws:logs:us-east-1:111111111111:log-group:/fl/existing")
		}), "InvalidParameter", "Please only provide LogGroupName or only provide LogDestination"},
		{"AWSLogs subfolder", s3Input(id.vpcA, "arn:aws:s3:::central-bucket/AWSLogs/"), "InvalidParameter", "AWSLogs"},
		{"options for cloudwatch", edit(cwlInput(id.vpcA), func(in *ec2.CreateFlowLogsInput) {
			in.DestinationOptions = &types.DestinationOptionsRequest{FileFormat: types.DestinationFileFormatParquet}
		}), "InvalidParameter", "DestinationOptions"},
		{"role in another account", edit(cwlInput(id.vpcA), func(in *ec2.CreateFlowLogsInput) {
			in.DeliverLogsPermissionArn = aws.String("arn:aws:iam::222222222222:role/flowplan/delivery")
		}), "InvalidParameter", "Unable to assume given IAM role: 'arn:aws:iam::222222222222:role/flowplan/delivery'"},
		{"role that does not exist", edit(cwlInput(id.vpcA), func(in *ec2.CreateFlowLogsInput) {
			in.DeliverLogsPermissionArn = aws.String("arn:aws:iam::111111111111:role/nope")
		}), "InvalidParameter", "Unable to assume given IAM role"},
		{"role with the wrong path", edit(cwlInput(id.vpcA), func(in *ec2.CreateFlowLogsInput) {
			in.DeliverLogsPermissionArn = aws.String("arn:aws:iam::111111111111:role/delivery")
		}), "InvalidParameter", "Unable to assume given IAM role"},
		{"bad tag specification type", edit(cwlInput(id.vpcA), func(in *ec2.CreateFlowLogsInput) {
			in.TagSpecifications = []types.TagSpecification{{ResourceType: types.ResourceTypeVpc, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}}
		}), "InvalidParameterValue", "'vpc' is not a valid taggable resource type"},
		{"dry run", edit(cwlInput(id.vpcA), func(in *ec2.CreateFlowLogsInput) { in.DryRun = aws.Bool(true) }), "DryRunOperation", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := client.CreateFlowLogs(ctx, tt.in)
			wantAPIError(t, err, tt.code, tt.msg)
		})
	}
	if got := len(s.Emu.FlowLogs(acctOne, "us-east-1")); got != 0 {
		t.Fatalf("refused requests created %d flow logs", got)
	}
}

func TestCreateFlowLogsValidFormats(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	client := ec2.NewFromConfig(oneCfg(s))
	id := lookupIDs(t, client)
	tests := []struct {
		name   string
		in     *ec2.CreateFlowLogsInput
		format string
	}{
		{"v2 to v8 fields", cwlInput(id.vpcA), "${version} ${vpc-id} ${az-id} ${flow-direction} ${ecs-task-id} ${reject-reason}"},
		{"tag fields with specifications", func() *ec2.CreateFlowLogsInput {
			in := cwlInput(id.vpcB)
			in.TagFieldSpecifications = []types.TagFieldSpecificationRequest{{ResourceType: types.TaggableResourceTypeNetworkInterface, TagKeys: []string{"team", "env"}}}
			return in
		}(), "${version} ${interface-tag} ${interface-tag-2}"},
		{"transit gateway fields", func() *ec2.CreateFlowLogsInput {
			in := cwlInput(id.tgw)
			in.ResourceType, in.TrafficType, in.MaxAggregationInterval = types.FlowLogsResourceTypeTransitGateway, "", nil
			return in
		}(), "${version} ${tgw-id} ${packets-lost-no-route} ${srcaddr}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.LogFormat = aws.String(tt.format)
			out, err := client.CreateFlowLogs(ctx, tt.in)
			must(t, err)
			if len(out.FlowLogIds) != 1 || len(out.Unsuccessful) != 0 {
				t.Fatalf("created %v, unsuccessful %+v", out.FlowLogIds, out.Unsuccessful)
			}
			got, err := client.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{FlowLogIds: out.FlowLogIds})
			must(t, err)
			if aws.ToString(got.FlowLogs[0].LogFormat) != tt.format {
				t.Fatalf("LogFormat = %q, want %q", aws.ToString(got.FlowLogs[0].LogFormat), tt.format)
			}
			if specs := got.FlowLogs[0].TagFieldSpecifications; len(specs) != len(tt.in.TagFieldSpecifications) ||
				(len(specs) == 1 && len(specs[0].TagKeys) != 2) {
				t.Fatalf("TagFieldSpecifications = %+v", specs)
			}
		})
	}
}

func TestCreateFlowLogsPerResourceFailures(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	client := ec2.NewFromConfig(oneCfg(s))
	id := lookupIDs(t, client)
	in := cwlInput(id.vpcA)
	in.ResourceIds = []string{id.vpcA, "vpc-0000000000000000a", "subnet-0000000000000000a", id.vpcB}
	out, err := client.CreateFlowLogs(ctx, in)
	must(t, err)
	if len(out.FlowLogIds) != 2 {
		t.Fatalf("created %v, want 2 flow logs", out.FlowLogIds)
	}
	codes := map[string]string{}
	for _, u := range out.Unsuccessful {
		codes[aws.ToString(u.ResourceId)] = aws.ToString(u.Error.Code) + ": " + aws.ToString(u.Error.Message)
	}
	want := map[string]string{
		"vpc-0000000000000000a":    "InvalidVpcID.NotFound: The vpc ID 'vpc-0000000000000000a' does not exist",
		"subnet-0000000000000000a": "InvalidVpcID.Malformed: Invalid id: \"subnet-0000000000000000a\" (expecting \"vpc-...\")",
	}
	for k, v := range want {
		if codes[k] != v {
			t.Errorf("unsuccessful[%s] = %q, want %q", k, codes[k], v)
		}
	}
	// The same resource, destination and traffic type again:
	// FlowLogAlreadyExists, per resource, even with another format.
	again := cwlInput(id.vpcA)
	again.LogFormat = aws.String("${version} ${srcaddr}")
	dup, err := client.CreateFlowLogs(ctx, again)
	must(t, err)
	if len(dup.FlowLogIds) != 0 || len(dup.Unsuccessful) != 1 || aws.ToString(dup.Unsuccessful[0].Error.Code) != "FlowLogAlreadyExists" {
		t.Fatalf("duplicate: created %v, unsuccessful %+v", dup.FlowLogIds, dup.Unsuccessful)
	}
	// The same group named by ARN (with ":*") is the same destination.
	byARN := cwlInput(id.vpcA)
	byARN.LogGroupName = nil
	byARN.LogDestination = aws.String("arn:aws:logs:us-east-1:111111111111:log-group:/fl/existing:*")
	dup, err = client.CreateFlowLogs(ctx, byARN)
	must(t, err)
	if len(dup.Unsuccessful) != 1 || aws.ToString(dup.Unsuccessful[0].Error.Code) != "FlowLogAlreadyExists" {
		t.Fatalf("duplicate by ARN: unsuccessful %+v", dup.Unsuccessful)
	}
	// Another traffic type to the same group is not a duplicate: the
	// CloudWatch Logs guide has one flow log capture accepted and another
	// rejected traffic of a network interface into one log group.
	accepted := cwlInput(id.vpcA)
	accepted.TrafficType = types.TrafficTypeAccept
	created, err := client.CreateFlowLogs(ctx, accepted)
	must(t, err)
	if len(created.FlowLogIds) != 1 {
		t.Fatalf("another traffic type, same group: unsuccessful %+v", created.Unsuccessful)
	}
	// Another destination on the same resource is fine.
	other := cwlInput(id.vpcA)
	other.LogGroupName = aws.String("/fl/other")
	created, err = client.CreateFlowLogs(ctx, other)
	must(t, err)
	if len(created.FlowLogIds) != 1 {
		t.Fatalf("second destination: unsuccessful %+v", created.Unsuccessful)
	}
	// A missing bucket fails per resource with AWS's "400".
	missing, err := client.CreateFlowLogs(ctx, s3Input(id.vpcA, "arn:aws:s3:::no-such-bucket/prefix/"))
	must(t, err)
	if len(missing.Unsuccessful) != 1 || aws.ToString(missing.Unsuccessful[0].Error.Code) != "400" ||
		aws.ToString(missing.Unsuccessful[0].Error.Message) != "LogDestination: no-such-bucket does not exist." {
		t.Fatalf("missing bucket: %+v", missing.Unsuccessful)
	}
}

func TestCreateFlowLogsClientToken(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	client := ec2.NewFromConfig(oneCfg(s))
	id := lookupIDs(t, client)
	in := cwlInput(id.vpcA)
	in.ResourceIds = []string{id.vpcA, id.vpcB}
	in.ClientToken = aws.String("plan-123-batch-1")
	first, err := client.CreateFlowLogs(ctx, in)
	must(t, err)
	second, err := client.CreateFlowLogs(ctx, in)
	must(t, err)
	if strings.Join(first.FlowLogIds, ",") != strings.Join(second.FlowLogIds, ",") || len(first.FlowLogIds) != 2 {
		t.Fatalf("retry with the same token: %v then %v", first.FlowLogIds, second.FlowLogIds)
	}
	if len(second.Unsuccessful) != 0 || aws.ToString(second.ClientToken) != "plan-123-batch-1" {
		t.Fatalf("retry: unsuccessful %+v, token %v", second.Unsuccessful, second.ClientToken)
	}
	if got := len(s.Emu.FlowLogs(acctOne, "us-east-1")); got != 2 {
		t.Fatalf("%d flow logs exist after a retried create, want 2", got)
	}
	changed := cwlInput(id.vpcA)
	changed.ResourceIds = []string{id.vpcA, id.vpcB}
	changed.ClientToken = aws.String("plan-123-batch-1")
	changed.TrafficType = types.TrafficTypeAll
	_, err = client.CreateFlowLogs(ctx, changed)
	wantAPIError(t, err, "IdempotentParameterMismatch", "inconsistent")
	// Without a token a repeat is a duplicate, not a replay.
	in.ClientToken = nil
	dup, err := client.CreateFlowLogs(ctx, in)
	must(t, err)
	if len(dup.Unsuccessful) != 2 {
		t.Fatalf("repeat without token: unsuccessful %+v", dup.Unsuccessful)
	}
}

func TestDescribeFlowLogsFieldsAndDefaults(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	client := ec2.NewFromConfig(oneCfg(s))
	id := lookupIDs(t, client)
	in := s3Input(id.vpcA, "arn:aws:s3:::central-bucket")
	in.TagSpecifications = []types.TagSpecification{{ResourceType: types.ResourceTypeVpcFlowLog,
		Tags: []types.Tag{{Key: aws.String("flowplan:spec"), Value: aws.String("q")}}}}
	s3out, err := client.CreateFlowLogs(ctx, in)
	must(t, err)
	tgwIn := cwlInput(id.tgw)
	tgwIn.ResourceType, tgwIn.TrafficType, tgwIn.MaxAggregationInterval = types.FlowLogsResourceTypeTransitGateway, "", nil
	tgwOut, err := client.CreateFlowLogs(ctx, tgwIn)
	must(t, err)
	out, err := client.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{FlowLogIds: append(s3out.FlowLogIds, tgwOut.FlowLogIds...)})
	must(t, err)
	byID := map[string]types.FlowLog{}
	for _, fl := range out.FlowLogs {
		byID[aws.ToString(fl.FlowLogId)] = fl
	}
	fl := byID[s3out.FlowLogIds[0]]
	if fl.DestinationOptions == nil || fl.DestinationOptions.FileFormat != types.DestinationFileFormatPlainText ||
		aws.ToBool(fl.DestinationOptions.HiveCompatiblePartitions) || aws.ToBool(fl.DestinationOptions.PerHourPartition) {
		t.Errorf("S3 DestinationOptions = %+v, want plain-text/false/false", fl.DestinationOptions)
	}
	if aws.ToInt32(fl.MaxAggregationInterval) != 600 || fl.TrafficType != types.TrafficTypeAll ||
		aws.ToString(fl.LogDestination) != "arn:aws:s3:::central-bucket" || fl.LogGroupName != nil ||
		aws.ToString(fl.FlowLogStatus) != "ACTIVE" || fl.CreationTime == nil || len(fl.Tags) != 1 ||
		!strings.HasPrefix(aws.ToString(fl.LogFormat), "${version} ${account-id} ${interface-id}") {
		t.Errorf("S3 flow log = %+v", fl)
	}
	tgw := byID[tgwOut.FlowLogIds[0]]
	if aws.ToInt32(tgw.MaxAggregationInterval) != 60 || tgw.TrafficType != "" || tgw.DestinationOptions != nil ||
		aws.ToString(tgw.LogGroupName) != "/fl/existing" ||
		aws.ToString(tgw.LogDestination) != "arn:aws:logs:us-east-1:111111111111:log-group:/fl/existing" ||
		!strings.Contains(aws.ToString(tgw.LogFormat), "${tgw-id}") || aws.ToString(tgw.DeliverLogsPermissionArn) != deliveryRole {
		t.Errorf("transit gateway flow log = %+v", tgw)
	}
}

func TestDescribeFlowLogsFiltersAndPages(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	client := ec2.NewFromConfig(oneCfg(s))
	id := lookupIDs(t, client)
	for _, r := range []string{id.vpcA, id.vpcB} {
		_, err := client.CreateFlowLogs(ctx, cwlInput(r))
		must(t, err)
		in := s3Input(r, "arn:aws:s3:::central-bucket/"+r+"/")
		in.TagSpecifications = []types.TagSpecification{{ResourceType: types.ResourceTypeVpcFlowLog,
			Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("net")}}}}
		_, err = client.CreateFlowLogs(ctx, in)
		must(t, err)
	}
	subnetIn := cwlInput(id.subnet)
	subnetIn.ResourceType = types.FlowLogsResourceTypeSubnet
	_, err := client.CreateFlowLogs(ctx, subnetIn)
	must(t, err)
	count := func(filters ...types.Filter) int {
		n := 0
		p := ec2.NewDescribeFlowLogsPaginator(client, &ec2.DescribeFlowLogsInput{Filter: filters, MaxResults: aws.Int32(5)})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			must(t, err)
			n += len(out.FlowLogs)
		}
		return n
	}
	f := func(name string, values ...string) types.Filter {
		return types.Filter{Name: aws.String(name), Values: values}
	}
	tests := []struct {
		name    string
		filters []types.Filter
		want    int
	}{
		{"all", nil, 5},
		{"resource-id", []types.Filter{f("resource-id", id.vpcA)}, 2},
		{"log-destination-type", []types.Filter{f("log-destination-type", "s3")}, 2},
		{"traffic-type", []types.Filter{f("traffic-type", "REJECT")}, 3},
		{"log-group-name", []types.Filter{f("log-group-name", "/fl/existing")}, 3},
		{"tag", []types.Filter{f("tag:team", "net")}, 2},
		{"tag-key", []types.Filter{f("tag-key", "team")}, 2},
		// central-bucket has no policy yet, so S3 delivery fails.
		{"deliver-log-status FAILED", []types.Filter{f("deliver-log-status", "FAILED")}, 2},
		{"deliver-log-status SUCCESS", []types.Filter{f("deliver-log-status", "SUCCESS")}, 3},
		{"combined", []types.Filter{f("resource-id", id.vpcB), f("log-destination-type", "cloud-watch-logs")}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := count(tt.filters...); got != tt.want {
				t.Fatalf("got %d flow logs, want %d", got, tt.want)
			}
		})
	}
	_, err = client.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{Filter: []types.Filter{f("tag-value", "net")}})
	wantAPIError(t, err, "InvalidParameterValue", "The filter 'tag-value' is invalid")
	_, err = client.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{MaxResults: aws.Int32(4)})
	wantAPIError(t, err, "InvalidParameterValue", "between 5 and 1000")
	big, err := client.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{MaxResults: aws.Int32(5000)})
	must(t, err)
	if len(big.FlowLogs) != 5 {
		t.Fatalf("MaxResults above 1000 is read as 1000: got %d", len(big.FlowLogs))
	}
	none, err := client.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{FlowLogIds: []string{"fl-0123456789abcdef0"}})
	must(t, err)
	if len(none.FlowLogs) != 0 {
		t.Fatalf("unknown flow log ID returned %d flow logs", len(none.FlowLogs))
	}
}

func TestDeleteFlowLogsAndTags(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	client := ec2.NewFromConfig(oneCfg(s))
	id := lookupIDs(t, client)
	out, err := client.CreateFlowLogs(ctx, cwlInput(id.vpcA))
	must(t, err)
	flID := out.FlowLogIds[0]
	_, err = client.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{flID}, Tags: []types.Tag{{Key: aws.String("flowplan:rule"), Value: aws.String("r")}}})
	must(t, err)
	got, err := client.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{Filter: []types.Filter{{Name: aws.String("tag:flowplan:rule"), Values: []string{"r"}}}})
	must(t, err)
	if len(got.FlowLogs) != 1 {
		t.Fatalf("tag:flowplan:rule found %d flow logs", len(got.FlowLogs))
	}
	_, err = client.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{flID}, Tags: []types.Tag{{Key: aws.String("flowplan:rule")}}})
	must(t, err)
	del, err := client.DeleteFlowLogs(ctx, &ec2.DeleteFlowLogsInput{FlowLogIds: []string{flID, "fl-0123456789abcdef0", "vpc-1"}})
	must(t, err)
	if len(del.Unsuccessful) != 2 {
		t.Fatalf("unsuccessful = %+v, want the unknown and the malformed ID", del.Unsuccessful)
	}
	codes := []string{aws.ToString(del.Unsuccessful[0].Error.Code), aws.ToString(del.Unsuccessful[1].Error.Code)}
	if codes[0] != "InvalidFlowLogId.NotFound" || codes[1] != "InvalidFlowLogId.Malformed" {
		t.Fatalf("codes = %v", codes)
	}
	if n := len(s.Emu.FlowLogs(acctOne, "us-east-1")); n != 0 {
		t.Fatalf("%d flow logs left", n)
	}
	again, err := client.DeleteFlowLogs(ctx, &ec2.DeleteFlowLogsInput{FlowLogIds: []string{flID}})
	must(t, err)
	if len(again.Unsuccessful) != 1 || aws.ToString(again.Unsuccessful[0].Error.Code) != "InvalidFlowLogId.NotFound" {
		t.Fatalf("deleting twice: %+v", again.Unsuccessful)
	}
}

func TestIAMPropagationDelay(t *testing.T) {
	clock := newClock()
	s := start(t, awsemu.Options{Clock: clock.Now, IAMPropagationDelay: 10 * time.Second}, testWorld)
	cfg := oneCfg(s)
	client := ec2.NewFromConfig(cfg)
	id := lookupIDs(t, client)
	_, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("fresh"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"vpc-flow-logs.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	must(t, err)
	in := cwlInput(id.vpcA)
	in.DeliverLogsPermissionArn = aws.String("arn:aws:iam::111111111111:role/fresh")
	_, err = client.CreateFlowLogs(ctx, in)
	wantAPIError(t, err, "InvalidParameter", "Unable to assume given IAM role: 'arn:aws:iam::111111111111:role/fresh'")
	clock.Advance(9 * time.Second)
	_, err = client.CreateFlowLogs(ctx, in)
	wantAPIError(t, err, "InvalidParameter", "Unable to assume given IAM role")
	clock.Advance(time.Second)
	out, err := client.CreateFlowLogs(ctx, in)
	must(t, err)
	if len(out.FlowLogIds) != 1 {
		t.Fatalf("after the delay: unsuccessful %+v", out.Unsuccessful)
	}
	// A changed trust policy takes the same time to reach the service.
	_, err = iam.NewFromConfig(cfg).UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("fresh"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"vpc-flow-logs.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"111111111111"}}}]}`)})
	must(t, err)
	in.ResourceIds = []string{id.vpcB}
	_, err = client.CreateFlowLogs(ctx, in)
	wantAPIError(t, err, "InvalidParameter", "Unable to assume given IAM role")
	clock.Advance(10 * time.Second)
	_, err = client.CreateFlowLogs(ctx, in)
	must(t, err)
}

func TestFirehoseFlowLogs(t *testing.T) {
	world := strings.Replace(testWorld, "        log_groups:\n", "        delivery_streams: [{name: flow-logs}]\n        log_groups:\n", 1)
	world = strings.Replace(world, "  - id: \"222222222222\"\n    name: two\n", `  - id: "222222222222"
    name: two
    roles:
      - name: AWSLogDeliveryFirehoseCrossAccountRole
        trust_policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {AWS: "111111111111"}, Action: "sts:AssumeRole"}]}
    regions:
      us-east-1:
        delivery_streams: [{name: central}]
`, 1)
	world = strings.Replace(world, "    roles:\n      - name: delivery\n", `    roles:
      - name: firehose-source
        trust_policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: delivery.logs.amazonaws.com}, Action: "sts:AssumeRole", Condition: {StringEquals: {"aws:SourceAccount": "111111111111"}}}]}
        policies:
          assume-cross: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "sts:AssumeRole", Resource: "arn:aws:iam::222222222222:role/AWSLogDeliveryFirehoseCrossAccountRole"}]}
      - name: firehose-source-no-assume
        trust_policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: delivery.logs.amazonaws.com}, Action: "sts:AssumeRole"}]}
      - name: delivery
`, 1)
	s := start(t, awsemu.Options{}, world)
	client := ec2.NewFromConfig(oneCfg(s))
	id := lookupIDs(t, client)
	firehose := func(dest, role, cross string) *ec2.CreateFlowLogsInput {
		in := &ec2.CreateFlowLogsInput{ResourceIds: []string{id.vpcA}, ResourceType: types.FlowLogsResourceTypeVpc,
			TrafficType: types.TrafficTypeAll, LogDestinationType: types.LogDestinationTypeKinesisDataFirehose, LogDestination: aws.String(dest)}
		if role != "" {
			in.DeliverLogsPermissionArn = aws.String(role)
		}
		if cross != "" {
			in.DeliverCrossAccountRole = aws.String(cross)
		}
		return in
	}
	const local = "arn:aws:firehose:us-east-1:111111111111:deliverystream/flow-logs"
	const central = "arn:aws:firehose:us-east-1:222222222222:deliverystream/central"
	const source = "arn:aws:iam::111111111111:role/firehose-source"
	const cross = "arn:aws:iam::222222222222:role/AWSLogDeliveryFirehoseCrossAccountRole"
	out, err := client.CreateFlowLogs(ctx, firehose(local, "", ""))
	must(t, err)
	_, err = client.CreateFlowLogs(ctx, firehose(central, source, ""))
	wantAPIError(t, err, "InvalidParameter", "required for cross-account")
	crossOut, err := client.CreateFlowLogs(ctx, firehose(central, source, cross))
	must(t, err)
	missing, err := client.CreateFlowLogs(ctx, firehose("arn:aws:firehose:us-east-1:111111111111:deliverystream/nope", "", ""))
	must(t, err)
	if len(missing.Unsuccessful) != 1 || aws.ToString(missing.Unsuccessful[0].Error.Code) != "400" {
		t.Fatalf("missing stream: %+v", missing.Unsuccessful)
	}
	// A source role that may not assume the stream account's role cannot
	// deliver: the flow log is created, and reports FAILED.
	in := firehose(central, "arn:aws:iam::111111111111:role/firehose-source-no-assume", cross)
	in.ResourceIds = []string{id.vpcB}
	noAssume, err := client.CreateFlowLogs(ctx, in)
	must(t, err)
	if len(noAssume.FlowLogIds) != 1 {
		t.Fatalf("CreateFlowLogs with a source role that may not assume: %+v", noAssume.Unsuccessful)
	}
	failed, err := client.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{FlowLogIds: noAssume.FlowLogIds})
	must(t, err)
	if len(failed.FlowLogs) != 1 || aws.ToString(failed.FlowLogs[0].DeliverLogsStatus) != "FAILED" {
		t.Errorf("source role without sts:AssumeRole on the cross-account role: %+v", failed.FlowLogs)
	}
	got, err := client.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{FlowLogIds: append(out.FlowLogIds, crossOut.FlowLogIds...)})
	must(t, err)
	if len(got.FlowLogs) != 2 {
		t.Fatalf("created %d Firehose flow logs, want 2", len(got.FlowLogs))
	}
	for _, fl := range got.FlowLogs {
		if aws.ToString(fl.DeliverLogsStatus) != "SUCCESS" {
			t.Errorf("%s to %s: %s", aws.ToString(fl.FlowLogId), aws.ToString(fl.LogDestination), aws.ToString(fl.DeliverLogsStatus))
		}
		if aws.ToString(fl.LogDestination) == central && aws.ToString(fl.DeliverCrossAccountRole) != cross {
			t.Errorf("cross-account flow log lost its DeliverCrossAccountRole: %+v", fl)
		}
	}
}

// TestDeliveryStatus checks DeliverLogsStatus against the role and bucket
// policies: each case starts from the test world and changes one thing.
func TestDeliveryStatus(t *testing.T) {
	trust := func(cond string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"vpc-flow-logs.amazonaws.com"},"Action":"sts:AssumeRole"` + cond + `}]}`
	}
	allowLogs := func(resource string, actions ...string) string {
		return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["%s"],"Resource":"%s"}]}`, strings.Join(actions, `","`), resource)
	}
	tests := []struct {
		name      string
		trust     string // replaces the delivery role's trust policy when set
		policy    string // replaces its inline policy when set
		logGroup  string
		want      string
		wantError string
	}{
		{name: "correct role", want: "SUCCESS"},
		{name: "trust admits another service", trust: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, want: "FAILED", wantError: "Access error"},
		{name: "trust for another account", trust: trust(`,"Condition":{"StringEquals":{"aws:SourceAccount":"999999999999"}}`), want: "FAILED", wantError: "Access error"},
		{name: "trust for another region", trust: trust(`,"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:ec2:eu-west-1:111111111111:vpc-flow-log/*"}}`), want: "FAILED", wantError: "Access error"},
		{name: "trust without conditions", trust: trust(""), want: "SUCCESS"},
		{name: "policy without PutLogEvents", policy: allowLogs("*", "logs:CreateLogStream"), want: "FAILED", wantError: "Access error"},
		{name: "policy on the group ARN without :*", policy: allowLogs("arn:aws:logs:us-east-1:111111111111:log-group:/fl/existing", "logs:CreateLogStream", "logs:PutLogEvents"), want: "FAILED", wantError: "Access error"},
		{name: "policy on the group ARN with :*", policy: allowLogs("arn:aws:logs:us-east-1:111111111111:log-group:/fl/existing:*", "logs:CreateLogStream", "logs:PutLogEvents"), want: "SUCCESS"},
		{name: "explicit deny wins", policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*"},{"Effect":"Deny","Action":"logs:PutLogEvents","Resource":"*"}]}`, want: "FAILED", wantError: "Access error"},
		{name: "missing group, no CreateLogGroup", logGroup: "/fl/missing", want: "FAILED", wantError: "Access error"},
		{name: "missing group, CreateLogGroup allowed", logGroup: "/fl/missing", policy: allowLogs("*", "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"), want: "SUCCESS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, awsemu.Options{}, testWorld)
			cfg := oneCfg(s)
			client := ec2.NewFromConfig(cfg)
			id := lookupIDs(t, client)
			iamc := iam.NewFromConfig(cfg)
			if tt.trust != "" {
				_, err := iamc.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("delivery"), PolicyDocument: aws.String(tt.trust)})
				must(t, err)
			}
			if tt.policy != "" {
				_, err := iamc.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("delivery"), PolicyName: aws.String("flowplan-delivery"), PolicyDocument: aws.String(tt.policy)})
				must(t, err)
			}
			in := cwlInput(id.vpcA)
			if tt.logGroup != "" {
				in.LogGroupName = aws.String(tt.logGroup)
			}
			out, err := client.CreateFlowLogs(ctx, in)
			must(t, err)
			got, err := client.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{FlowLogIds: out.FlowLogIds})
			must(t, err)
			fl := got.FlowLogs[0]
			if aws.ToString(fl.DeliverLogsStatus) != tt.want || aws.ToString(fl.DeliverLogsErrorMessage) != tt.wantError {
				t.Fatalf("status = %s %q, want %s %q", aws.ToString(fl.DeliverLogsStatus), aws.ToString(fl.DeliverLogsErrorMessage), tt.want, tt.wantError)
			}
			if tt.logGroup != "" && len(s.Emu.FlowLogs(acctOne, "us-east-1")) == 1 {
				// The emulator never creates the missing group itself.
				assertNoLogGroup(t, s, tt.logGroup)
			}
		})
	}
}

// flowplanBucketPolicy is a bucket policy of the shape flowplan writes:
// a foreign statement plus the acl-check and write statements for account
// one.
const flowplanBucketPolicy = `{"Version":"2012-10-17","Statement":[
 {"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::central-bucket","arn:aws:s3:::central-bucket/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}},
 {"Sid":"flowplan-q-aclcheck","Effect":"Allow","Principal":{"Service":"delivery.logs.amazonaws.com"},"Action":["s3:GetBucketAcl","s3:ListBucket"],"Resource":"arn:aws:s3:::central-bucket",
  "Condition":{"StringEquals":{"aws:SourceAccount":["111111111111"]},"ArnLike":{"aws:SourceArn":["arn:aws:logs:*:111111111111:*"]}}},
 {"Sid":"flowplan-q-write-00000000","Effect":"Allow","Principal":{"Service":"delivery.logs.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::central-bucket/AWSLogs/111111111111/*",
  "Condition":{"StringEquals":{"aws:SourceAccount":["111111111111"],"s3:x-amz-acl":"bucket-owner-full-control"},"ArnLike":{"aws:SourceArn":["arn:aws:logs:*:111111111111:*"]}}}]}`

func TestS3DeliveryStatus(t *testing.T) {
	tests := []struct {
		name, policy, destination string
		hive                      bool
		want                      string
	}{
		{"no bucket policy", "", "arn:aws:s3:::central-bucket", false, "FAILED"},
		{"flowplan's statements", flowplanBucketPolicy, "arn:aws:s3:::central-bucket", false, "SUCCESS"},
		{"write statement for another prefix", flowplanBucketPolicy, "arn:aws:s3:::central-bucket/prefix/", false, "FAILED"},
		{"hive paths need their own statement", flowplanBucketPolicy, "arn:aws:s3:::central-bucket", true, "FAILED"},
		{"write without acl check", strings.Replace(flowplanBucketPolicy, `"s3:GetBucketAcl",`, "", 1), "arn:aws:s3:::central-bucket", false, "FAILED"},
		{"write for another account", strings.ReplaceAll(flowplanBucketPolicy, `AWSLogs/111111111111`, `AWSLogs/333333333333`), "arn:aws:s3:::central-bucket", false, "FAILED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, awsemu.Options{}, testWorld)
			if tt.policy != "" {
				must(t, s.Emu.SetBucketPolicy("central-bucket", tt.policy))
			}
			client := ec2.NewFromConfig(oneCfg(s))
			id := lookupIDs(t, client)
			in := s3Input(id.vpcA, tt.destination)
			if tt.hive {
				in.DestinationOptions = &types.DestinationOptionsRequest{FileFormat: types.DestinationFileFormatParquet, HiveCompatiblePartitions: aws.Bool(true)}
			}
			out, err := client.CreateFlowLogs(ctx, in)
			must(t, err)
			got, err := client.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{FlowLogIds: out.FlowLogIds})
			must(t, err)
			if status := aws.ToString(got.FlowLogs[0].DeliverLogsStatus); status != tt.want {
				t.Fatalf("status = %s, want %s", status, tt.want)
			}
		})
	}
}

// TestS3AutoAttachOverwritesPolicy models the VPC guide: creating a flow log
// to a bucket of one's own account whose policy does not admit delivery
// replaces the bucket policy.
func TestS3AutoAttachOverwritesPolicy(t *testing.T) {
	s := start(t, awsemu.Options{}, testWorld)
	foreign := `{"Version":"2012-10-17","Statement":[{"Sid":"Foreign","Effect":"Deny","Principal":"*","Action":"s3:DeleteBucket","Resource":"arn:aws:s3:::own-bucket"}]}`
	must(t, s.Emu.SetBucketPolicy("own-bucket", foreign))
	client := ec2.NewFromConfig(oneCfg(s))
	id := lookupIDs(t, client)
	out, err := client.CreateFlowLogs(ctx, s3Input(id.vpcA, "arn:aws:s3:::own-bucket"))
	must(t, err)
	policy, err := s.Emu.BucketPolicy("own-bucket")
	must(t, err)
	if strings.Contains(policy, "Foreign") || !strings.Contains(policy, "AWSLogDeliveryWrite") {
		t.Fatalf("bucket policy after create = %s", policy)
	}
	got, err := client.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{FlowLogIds: out.FlowLogIds})
	must(t, err)
	if aws.ToString(got.FlowLogs[0].DeliverLogsStatus) != "SUCCESS" {
		t.Fatalf("status = %s", aws.ToString(got.FlowLogs[0].DeliverLogsStatus))
	}
}

func TestSandboxWorldFlowLogs(t *testing.T) {
	s := emutest.Start(t, awsemu.Options{}, "../../examples/sandbox/world.yaml")
	base := noRetry(s.Config("us-east-1"))
	prod := ec2.NewFromConfig(emutest.AssumeRole(base, "arn:aws:iam::111111111111:role/FlowplanRunner"))
	out, err := prod.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{})
	must(t, err)
	if len(out.FlowLogs) != 1 {
		t.Fatalf("prod has %d flow logs, want 1", len(out.FlowLogs))
	}
	fl := out.FlowLogs[0]
	if fl.LogDestinationType != types.LogDestinationTypeS3 || aws.ToString(fl.DeliverLogsStatus) != "FAILED" || len(fl.Tags) != 0 {
		t.Fatalf("prod's flow log = %+v; want S3, FAILED until flowplan's bucket statement exists, no tags", fl)
	}
	staging := ec2.NewFromConfig(emutest.AssumeRole(base, "arn:aws:iam::222222222222:role/FlowplanRunner"))
	out, err = staging.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{})
	must(t, err)
	if len(out.FlowLogs) != 1 || aws.ToString(out.FlowLogs[0].DeliverLogsStatus) != "SUCCESS" ||
		aws.ToString(out.FlowLogs[0].LogGroupName) != "legacy-vpc-logs" || out.FlowLogs[0].TrafficType != types.TrafficTypeAccept {
		t.Fatalf("staging's flow logs = %+v", out.FlowLogs)
	}
	// Once the bucket policy admits prod, prod's flow log delivers.
	policy := strings.ReplaceAll(flowplanBucketPolicy, "central-bucket", "org-flow-logs-archive")
	must(t, s.Emu.SetBucketPolicy("org-flow-logs-archive", policy))
	out, err = prod.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{})
	must(t, err)
	if aws.ToString(out.FlowLogs[0].DeliverLogsStatus) != "SUCCESS" {
		t.Fatalf("prod's flow log after the bucket statement: %s", aws.ToString(out.FlowLogs[0].DeliverLogsStatus))
	}
}
