package aws

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/spec"
)

func TestGroupCreates(t *testing.T) {
	cwl := engine.FlowLog{ResourceType: "VPC", TrafficType: "ALL", DestinationType: "cloud-watch-logs", Destination: "arn:g"}
	s3 := engine.FlowLog{ResourceType: "VPC", TrafficType: "ALL", DestinationType: "s3", Destination: "arn:aws:s3:::b"}
	tgw := engine.FlowLog{ResourceType: "TransitGateway", DestinationType: "s3", Destination: "arn:aws:s3:::b"}
	ch := func(res string, fl engine.FlowLog, tags map[string]string) *engine.Change {
		fl.ResourceID = res
		return &engine.Change{After: &engine.Resource{FlowLog: &fl, Tags: tags}}
	}
	many := func(n int, fl engine.FlowLog) []*engine.Change {
		var out []*engine.Change
		for i := range n {
			out = append(out, ch(fmt.Sprintf("r-%04d", i), fl, nil))
		}
		return out
	}
	seq := func(from, to int) []int {
		var out []int
		for i := from; i < to; i++ {
			out = append(out, i)
		}
		return out
	}
	a := map[string]string{"rule": "a"}
	b := map[string]string{"rule": "b"}
	tests := []struct {
		name    string
		changes []*engine.Change
		want    [][]int
		errs    []int
	}{
		{"one configuration", []*engine.Change{ch("vpc-1", cwl, a), ch("vpc-2", cwl, a)}, [][]int{{0, 1}}, nil},
		{"configurations and tags split calls, in order of first change",
			[]*engine.Change{ch("vpc-1", s3, a), ch("vpc-1", cwl, a), ch("vpc-2", s3, a), ch("vpc-3", s3, b)},
			[][]int{{0, 2}, {1}, {3}}, nil},
		{"a repeated resource goes to a second call",
			[]*engine.Change{ch("vpc-1", cwl, a), ch("vpc-1", cwl, a), ch("vpc-2", cwl, a)},
			[][]int{{0, 2}, {1}}, nil},
		{"300 resources a call", many(601, cwl), [][]int{seq(0, 300), seq(300, 600), {600}}, nil},
		{"25 for transit gateways", many(30, tgw), [][]int{seq(0, 25), seq(25, 30)}, nil},
		{"a change without a flow log is an error", []*engine.Change{{}, ch("vpc-1", cwl, a)}, [][]int{{1}}, []int{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls, errs := groupCreates(tt.changes)
			var got [][]int
			for _, c := range calls {
				got = append(got, c.changes)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("calls (-want +got):\n%s", d)
			}
			var gotErrs []int
			for i := range errs {
				gotErrs = append(gotErrs, i)
			}
			if d := cmp.Diff(tt.errs, gotErrs); d != "" {
				t.Errorf("errors (-want +got):\n%s", d)
			}
		})
	}
}

func TestClientToken(t *testing.T) {
	base := clientToken("plan-1", []string{"a/x", "b/y"}, 0)
	if len(base) != 64 {
		t.Fatalf("token %q has %d characters, want 64 (EC2's maximum)", base, len(base))
	}
	if got := clientToken("plan-1", []string{"b/y", "a/x"}, 0); got != base {
		t.Errorf("token depends on address order")
	}
	for name, other := range map[string]string{
		"another plan":          clientToken("plan-2", []string{"a/x", "b/y"}, 0),
		"other addresses":       clientToken("plan-1", []string{"a/x"}, 0),
		"another retry round":   clientToken("plan-1", []string{"a/x", "b/y"}, 1),
		"ambiguous concatenate": clientToken("plan-1", []string{"a/xb/y"}, 0),
	} {
		if other == base {
			t.Errorf("%s gives the same token", name)
		}
	}
}

func TestCreateFlowLogsInput(t *testing.T) {
	tests := []struct {
		name string
		fl   engine.FlowLog
		tags map[string]string
		want ec2.CreateFlowLogsInput
	}{
		{
			name: "cloudwatch logs with a role",
			fl: engine.FlowLog{ResourceType: "VPC", TrafficType: "ALL", DestinationType: "cloud-watch-logs", Destination: "arn:g",
				DeliverLogsPermissionARN: "arn:role", LogFormat: "${srcaddr}", MaxAggregationInterval: 60},
			tags: map[string]string{"b": "2", "a": "1"},
			want: ec2.CreateFlowLogsInput{ResourceType: "VPC", TrafficType: "ALL", LogDestinationType: "cloud-watch-logs", LogDestination: aws.String("arn:g"),
				DeliverLogsPermissionArn: aws.String("arn:role"), LogFormat: aws.String("${srcaddr}"), MaxAggregationInterval: aws.Int32(60),
				TagSpecifications: []ec2types.TagSpecification{{ResourceType: "vpc-flow-log", Tags: []ec2types.Tag{
					{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("b"), Value: aws.String("2")}}}}},
		},
		{
			name: "s3 sends destination options and no role",
			fl:   engine.FlowLog{ResourceType: "Subnet", TrafficType: "REJECT", DestinationType: "s3", Destination: "arn:aws:s3:::b/p/", PerHourPartition: true},
			want: ec2.CreateFlowLogsInput{ResourceType: "Subnet", TrafficType: "REJECT", LogDestinationType: "s3", LogDestination: aws.String("arn:aws:s3:::b/p/"),
				DestinationOptions: &ec2types.DestinationOptionsRequest{HiveCompatiblePartitions: aws.Bool(false), PerHourPartition: aws.Bool(true)}},
		},
		{
			name: "transit gateway: no traffic type; firehose cross-account role; tag fields",
			fl: engine.FlowLog{ResourceType: "TransitGateway", TrafficType: "ALL", DestinationType: "kinesis-data-firehose", Destination: "arn:fh",
				DeliverCrossAccountRole: "arn:x", TagFieldSpecifications: []spec.TagFieldSpecification{{ResourceType: "instance", TagKeys: []string{"k"}}}},
			want: ec2.CreateFlowLogsInput{ResourceType: "TransitGateway", LogDestinationType: "kinesis-data-firehose", LogDestination: aws.String("arn:fh"),
				DeliverCrossAccountRole: aws.String("arn:x"), TagFieldSpecifications: []ec2types.TagFieldSpecificationRequest{{ResourceType: "instance", TagKeys: []string{"k"}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := createFlowLogsInput(&engine.Resource{FlowLog: &tt.fl, Tags: tt.tags}, []string{"r-1"}, "tok")
			tt.want.ResourceIds, tt.want.ClientToken = []string{"r-1"}, aws.String("tok")
			if d := cmp.Diff(&tt.want, got, cmpopts.IgnoreUnexported(ec2.CreateFlowLogsInput{}, ec2types.TagSpecification{}, ec2types.Tag{},
				ec2types.DestinationOptionsRequest{}, ec2types.TagFieldSpecificationRequest{})); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestTagsToSet(t *testing.T) {
	have := map[string]string{"keep": "1", "change": "old", "theirs": "x", "aws:cloudformation:stack": "s"}
	want := map[string]string{"keep": "1", "change": "new", "add": "y", "aws:cloudformation:stack": "other"}
	if d := cmp.Diff(map[string]string{"change": "new", "add": "y"}, tagsToSet(have, want)); d != "" {
		t.Errorf("set (-want +got):\n%s", d)
	}
	want = map[string]string{"keep": "1", "change": "new", "add": "y", "theirs": "x", "aws:cloudformation:stack": "s"}
	if d := cmp.Diff(want, resultTags(have, want)); d != "" {
		t.Errorf("resultTags (-want +got):\n%s", d)
	}
}
