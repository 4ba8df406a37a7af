package awsemu_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/flowplan/flowplan/providers/awsemu"
	"github.com/flowplan/flowplan/providers/awsemu/emutest"
)

// TestConcurrentAccountRegions runs writers and readers in several
// account-regions at once, as flowplan's apply does; run it with -race.
func TestConcurrentAccountRegions(t *testing.T) {
	s := emutest.Start(t, awsemu.Options{}, "../../examples/sandbox/world.yaml")
	base := s.Config("us-east-1")
	type scope struct{ account, region string }
	scopes := []scope{{"111111111111", "us-east-1"}, {"111111111111", "eu-west-1"}, {"222222222222", "us-east-1"}, {"222222222222", "eu-west-1"}}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for _, sc := range scopes {
		cfg := emutest.AssumeRole(base, "arn:aws:iam::"+sc.account+":role/FlowplanRunner")
		cfg.Region = sc.region
		for w := 0; w < 2; w++ {
			wg.Add(1)
			go func(cfg aws.Config, w int) {
				defer wg.Done()
				client := ec2.NewFromConfig(cfg)
				vpcs, err := client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
				if err != nil {
					errs <- err
					return
				}
				for i, v := range vpcs.Vpcs {
					group := fmt.Sprintf("/race/%d/%d", w, i)
					if _, err := cloudwatchlogs.NewFromConfig(cfg).CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)}); err != nil {
						errs <- err
						return
					}
					_, err := client.CreateFlowLogs(ctx, &ec2.CreateFlowLogsInput{ResourceIds: []string{aws.ToString(v.VpcId)},
						ResourceType: types.FlowLogsResourceTypeVpc, TrafficType: types.TrafficTypeAll,
						LogDestinationType: types.LogDestinationTypeS3, LogDestination: aws.String(fmt.Sprintf("arn:aws:s3:::org-flow-logs-archive/w%d/", w))})
					if err != nil {
						errs <- err
						return
					}
					if _, err := client.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{}); err != nil {
						errs <- err
						return
					}
				}
			}(cfg, w)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	total := 0
	for _, sc := range scopes {
		total += len(s.Emu.FlowLogs(sc.account, sc.region))
	}
	// 11 VPCs in these scopes, two writers each, plus the two world flow logs.
	if total != 11*2+2 {
		t.Fatalf("%d flow logs, want %d", total, 11*2+2)
	}
}
