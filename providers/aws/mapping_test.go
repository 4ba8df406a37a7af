package aws

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/spec"
)

func TestFlowLogResource(t *testing.T) {
	created := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		in   ec2types.FlowLog
		want *engine.Resource
	}{
		{
			name: "s3 with destination options, status and tags",
			in: ec2types.FlowLog{
				FlowLogId: aws.String("fl-1"), ResourceId: aws.String("subnet-1"), TrafficType: ec2types.TrafficTypeReject,
				LogDestinationType: ec2types.LogDestinationTypeS3, LogDestination: aws.String("arn:aws:s3:::b/p/"),
				LogFormat: aws.String("${srcaddr}"), MaxAggregationInterval: aws.Int32(60),
				DestinationOptions: &ec2types.DestinationOptionsResponse{FileFormat: ec2types.DestinationFileFormatParquet, HiveCompatiblePartitions: aws.Bool(true), PerHourPartition: aws.Bool(false)},
				FlowLogStatus:      aws.String("ACTIVE"), DeliverLogsStatus: aws.String("FAILED"), DeliverLogsErrorMessage: aws.String("Access error"),
				CreationTime: &created,
				Tags:         []ec2types.Tag{{Key: aws.String(engine.TagSpec), Value: aws.String("s")}},
			},
			want: &engine.Resource{
				Addr: engine.Addr{Account: "111111111111", Region: "us-east-1", Kind: engine.KindFlowLog}, ID: "fl-1",
				Tags: map[string]string{engine.TagSpec: "s"},
				FlowLog: &engine.FlowLog{ResourceID: "subnet-1", ResourceType: "Subnet", TrafficType: "REJECT", DestinationType: "s3",
					Destination: "arn:aws:s3:::b/p/", LogFormat: "${srcaddr}", MaxAggregationInterval: 60, FileFormat: "parquet", HiveCompatiblePartitions: true,
					Status: &engine.FlowLogStatus{FlowLogStatus: "ACTIVE", DeliverLogsStatus: "FAILED", DeliverLogsErrorMessage: "Access error", CreationTime: "2026-03-01T12:00:00Z"}},
			},
		},
		{
			name: "an old flow log with only a log group name",
			in: ec2types.FlowLog{
				FlowLogId: aws.String("fl-2"), ResourceId: aws.String("eni-1"), TrafficType: ec2types.TrafficTypeAll,
				LogGroupName: aws.String("legacy"), DeliverLogsPermissionArn: aws.String("arn:aws:iam::111111111111:role/r"),
			},
			want: &engine.Resource{
				Addr: engine.Addr{Account: "111111111111", Region: "us-east-1", Kind: engine.KindFlowLog}, ID: "fl-2",
				FlowLog: &engine.FlowLog{ResourceID: "eni-1", ResourceType: "NetworkInterface", TrafficType: "ALL", DestinationType: "cloud-watch-logs",
					Destination: "arn:aws:logs:us-east-1:111111111111:log-group:legacy", DeliverLogsPermissionARN: "arn:aws:iam::111111111111:role/r",
					Status: &engine.FlowLogStatus{}},
			},
		},
		{
			name: "transit gateway attachment to firehose with tag fields",
			in: ec2types.FlowLog{
				FlowLogId: aws.String("fl-3"), ResourceId: aws.String("tgw-attach-1"),
				LogDestinationType: ec2types.LogDestinationTypeKinesisDataFirehose, LogDestination: aws.String("arn:aws:firehose:us-east-1:2:deliverystream/s"),
				DeliverCrossAccountRole: aws.String("arn:aws:iam::111111111111:role/x"),
				TagFieldSpecifications:  []ec2types.TagFieldSpecificationResponse{{ResourceType: "network-interface", TagKeys: []string{"team"}}},
			},
			want: &engine.Resource{
				Addr: engine.Addr{Account: "111111111111", Region: "us-east-1", Kind: engine.KindFlowLog}, ID: "fl-3",
				FlowLog: &engine.FlowLog{ResourceID: "tgw-attach-1", ResourceType: "TransitGatewayAttachment", DestinationType: "kinesis-data-firehose",
					Destination: "arn:aws:firehose:us-east-1:2:deliverystream/s", DeliverCrossAccountRole: "arn:aws:iam::111111111111:role/x",
					TagFieldSpecifications: []spec.TagFieldSpecification{{ResourceType: "network-interface", TagKeys: []string{"team"}}},
					Status:                 &engine.FlowLogStatus{}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := cmp.Diff(tt.want, flowLogResource("111111111111", "us-east-1", tt.in)); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

// Discovered flow logs carry no name: the engine addresses them by the
// spec that owns them.
func TestFlowLogResourcesAreSortedAndUnnamed(t *testing.T) {
	fl := func(id, res, rule string) ec2types.FlowLog {
		f := ec2types.FlowLog{FlowLogId: aws.String(id), ResourceId: aws.String(res)}
		if rule != "" {
			f.Tags = []ec2types.Tag{{Key: aws.String(engine.TagRule), Value: aws.String(rule)}}
		}
		return f
	}
	got := flowLogResources("1", "r", []ec2types.FlowLog{fl("fl-3", "vpc-1", "prod"), fl("fl-2", "vpc-1", "prod"), fl("fl-1", "vpc-1", "")})
	var ids []string
	for _, r := range got {
		if r.Addr != (engine.Addr{Account: "1", Region: "r", Kind: engine.KindFlowLog}) {
			t.Errorf("%s has address %+v, want account, region and kind only", r.ID, r.Addr)
		}
		ids = append(ids, r.ID)
	}
	if d := cmp.Diff([]string{"fl-1", "fl-2", "fl-3"}, ids); d != "" {
		t.Errorf("order (-want +got):\n%s", d)
	}
}

func TestLogGroupResource(t *testing.T) {
	tests := []struct {
		name string
		in   logstypes.LogGroup
		id   string
	}{
		{"LogGroupArn", logstypes.LogGroup{LogGroupName: aws.String("g"), LogGroupArn: aws.String("arn:aws:logs:r:1:log-group:g"), Arn: aws.String("arn:aws:logs:r:1:log-group:g:*")}, "arn:aws:logs:r:1:log-group:g"},
		{"only Arn with :*", logstypes.LogGroup{LogGroupName: aws.String("g"), Arn: aws.String("arn:aws:logs:r:1:log-group:g:*")}, "arn:aws:logs:r:1:log-group:g"},
		{"no ARN at all", logstypes.LogGroup{LogGroupName: aws.String("g")}, "arn:aws-cn:logs:cn-north-1:1:log-group:g"},
	}
	for _, tt := range tests {
		got := logGroupResource("1", "cn-north-1", tt.in, map[string]string{})
		if got.ID != tt.id || got.Tags != nil || got.Addr.Name != "g" {
			t.Errorf("%s: got ID %q tags %v addr %v", tt.name, got.ID, got.Tags, got.Addr)
		}
	}
}

func TestLocationRegion(t *testing.T) {
	for lc, want := range map[string]string{"": "us-east-1", "EU": "eu-west-1", "eu-central-1": "eu-central-1"} {
		if got := locationRegion(lc); got != want {
			t.Errorf("locationRegion(%q) = %q, want %q", lc, got, want)
		}
	}
}
