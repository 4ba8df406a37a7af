package aws

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/spec"
)

func TestDiscoverRegion(t *testing.T) {
	forEachBackend(t, func(t *testing.T, be *backend) {
		ctx := context.Background()
		p := newTestProvider(t, be)
		acct := testAccount("111111111111", "eu-west-1")
		w := newWorld(t, p, testSession(t, p, acct))
		region := "eu-west-1"

		vpc := w.vpc(region, "10.1.0.0/16", map[string]string{"env": "prod"})
		subnet := w.subnet(region, vpc, "10.1.1.0/24", map[string]string{"tier": "app"})
		eni := w.eni(region, subnet, nil)
		roleARN := "arn:aws:iam::111111111111:role/flowplan-flow-logs"
		groupName := "/vpc-flow-logs/111111111111/eu-west-1"
		w.logGroup(region, groupName, 30, map[string]string{engine.TagSpec: "test", engine.TagRule: "prod"})
		w.logGroup(region, "/vpc-flow-logs/unrelated", 0, nil)
		w.logGroup(region, "/other/group", 0, nil)
		w.bucket(region, "central-logs")
		s3Dest := "arn:aws:s3:::central-logs/vpc/"
		if !be.s3Prefixes {
			s3Dest = "arn:aws:s3:::central-logs"
		}
		managed := w.flowLog(region, &ec2.CreateFlowLogsInput{
			ResourceIds: []string{vpc}, ResourceType: ec2types.FlowLogsResourceTypeVpc, TrafficType: ec2types.TrafficTypeAll,
			LogDestinationType: ec2types.LogDestinationTypeCloudWatchLogs, LogDestination: aws.String(logGroupARN("111111111111", region, groupName)),
			DeliverLogsPermissionArn: aws.String(roleARN), MaxAggregationInterval: aws.Int32(60),
			TagSpecifications: ec2TagSpec(ec2types.ResourceTypeVpcFlowLog, map[string]string{engine.TagSpec: "test", engine.TagRule: "prod"}),
		})
		unmanaged := w.flowLog(region, &ec2.CreateFlowLogsInput{
			ResourceIds: []string{subnet}, ResourceType: ec2types.FlowLogsResourceTypeSubnet, TrafficType: ec2types.TrafficTypeReject,
			LogDestinationType: ec2types.LogDestinationTypeS3, LogDestination: aws.String(s3Dest),
			LogFormat:          aws.String("${version} ${srcaddr}"),
			DestinationOptions: &ec2types.DestinationOptionsRequest{FileFormat: ec2types.DestinationFileFormatParquet, HiveCompatiblePartitions: aws.Bool(true), PerHourPartition: aws.Bool(true)},
		})
		p.Stats().Reset()

		st, err := p.DiscoverRegion(ctx, engine.RegionQuery{
			Account: acct, Region: region,
			TargetKinds:   []spec.TargetKind{spec.TargetVPC, spec.TargetSubnet, spec.TargetNetworkInterface},
			LogGroupNames: []string{groupName, "/vpc-flow-logs/111111111111/eu-central-1"},
		})
		if err != nil {
			t.Fatal(err)
		}

		wantTargets := []engine.Target{
			{Kind: spec.TargetVPC, ID: vpc, Tags: map[string]string{"env": "prod"}, OwnerID: "111111111111", State: "available"},
			{Kind: spec.TargetSubnet, ID: subnet, Tags: map[string]string{"tier": "app"}, VPCID: vpc, OwnerID: "111111111111", State: "available"},
			{Kind: spec.TargetNetworkInterface, ID: eni, VPCID: vpc, OwnerID: "111111111111", State: "available"},
		}
		var got []engine.Target
		for _, tg := range st.Targets {
			if slices.Contains([]string{vpc, subnet, eni}, tg.ID) {
				got = append(got, tg)
			}
		}
		if d := cmp.Diff(wantTargets, got); d != "" {
			t.Errorf("targets (-want +got):\n%s", d)
		}

		ignoreStatus := cmpopts.IgnoreFields(engine.FlowLog{}, "Status")
		wantS3 := &engine.FlowLog{
			ResourceID: subnet, ResourceType: "Subnet", TrafficType: "REJECT", DestinationType: "s3",
			Destination: s3Dest, LogFormat: "${version} ${srcaddr}", MaxAggregationInterval: 600,
		}
		if be.destinationOptions {
			wantS3.FileFormat, wantS3.HiveCompatiblePartitions, wantS3.PerHourPartition = "parquet", true, true
		}
		want := []*engine.Resource{
			{Addr: engine.Addr{Account: "111111111111", Region: region, Kind: engine.KindFlowLog, Name: "prod/" + vpc}, ID: managed,
				Tags: map[string]string{engine.TagSpec: "test", engine.TagRule: "prod"},
				FlowLog: &engine.FlowLog{ResourceID: vpc, ResourceType: "VPC", TrafficType: "ALL", DestinationType: "cloud-watch-logs",
					Destination: logGroupARN("111111111111", region, groupName), DeliverLogsPermissionARN: roleARN,
					LogFormat: defaultFormat, MaxAggregationInterval: 60}},
			{Addr: engine.Addr{Account: "111111111111", Region: region, Kind: engine.KindFlowLog, Name: subnet + "/" + unmanaged}, ID: unmanaged,
				FlowLog: wantS3},
		}
		if d := cmp.Diff(want, st.FlowLogs, ignoreStatus); d != "" {
			t.Errorf("flow logs (-want +got):\n%s", d)
		}
		for _, f := range st.FlowLogs {
			if f.FlowLog.Status == nil || f.FlowLog.Status.FlowLogStatus != "ACTIVE" || f.FlowLog.Status.CreationTime == "" {
				t.Errorf("flow log %s status = %+v, want ACTIVE with a creation time", f.ID, f.FlowLog.Status)
			}
		}

		wantGroups := []*engine.Resource{{
			Addr: engine.Addr{Account: "111111111111", Region: region, Kind: engine.KindLogGroup, Name: groupName},
			ID:   logGroupARN("111111111111", region, groupName),
			Tags: map[string]string{engine.TagSpec: "test", engine.TagRule: "prod"},
			LogGroup: &engine.LogGroup{Name: groupName, RetentionDays: 30},
		}}
		if d := cmp.Diff(wantGroups, st.LogGroups); d != "" {
			t.Errorf("log groups (-want +got):\n%s", d)
		}

		calls := p.Stats().ScopeCalls("111111111111/" + region)
		wantCalls := map[string]int{
			"EC2:DescribeVpcs": 1, "EC2:DescribeSubnets": 1, "EC2:DescribeNetworkInterfaces": 1, "EC2:DescribeFlowLogs": 1,
			"CloudWatch Logs:DescribeLogGroups": 1, "CloudWatch Logs:ListTagsForResource": 1,
		}
		if d := cmp.Diff(wantCalls, calls); d != "" {
			t.Errorf("calls (-want +got):\n%s", d)
		}
	})
}

// defaultFormat is the default VPC flow log format as AWS spells it out.
const defaultFormat = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"
