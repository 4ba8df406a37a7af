package awsemu_test

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/flowplan/flowplan/providers/awsemu"
)

// benchWorld has n VPCs in one account-region, each with one flow log.
func benchWorld(n int) string {
	var b strings.Builder
	b.WriteString("credentials: [{access_key_id: AKIATESTACCOUNT00001, secret_access_key: secret-one, account: \"111111111111\"}]\n")
	b.WriteString("accounts:\n  - id: \"111111111111\"\n    buckets: [{name: bench-bucket}]\n    regions:\n      us-east-1:\n        vpcs:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "          - {name: v%d, cidr: 10.%d.%d.0/24}\n", i, i/256, i%256)
	}
	b.WriteString("        flow_logs:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "          - {resource: v%d, traffic_type: ALL, destination_type: s3, destination: \"arn:aws:s3:::bench-bucket\"}\n", i)
	}
	return b.String()
}

// BenchmarkDescribeFlowLogs pages through 1,000 flow logs (1,000 per page)
// with the SDK over HTTP; each op is one DescribeFlowLogs call.
func BenchmarkDescribeFlowLogs(b *testing.B) {
	for _, n := range []int{10, 1000} {
		b.Run(fmt.Sprintf("flowlogs=%d", n), func(b *testing.B) {
			s := start(b, awsemu.Options{}, benchWorld(n))
			client := ec2.NewFromConfig(oneCfg(s))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				out, err := client.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{MaxResults: aws.Int32(1000)})
				if err != nil || len(out.FlowLogs) != n {
					b.Fatalf("DescribeFlowLogs: %d flow logs, %v", len(out.FlowLogs), err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}

// BenchmarkDescribeFlowLogsPaged lists 5,000 flow logs in pages of 1,000,
// as discovery does, and reads 1,000 of them back by ID, as apply does
// after CreateFlowLogs; each op is the whole listing or the one read.
func BenchmarkDescribeFlowLogsPaged(b *testing.B) {
	const n = 5000
	emu := awsemu.New(awsemu.Options{})
	if err := emu.LoadWorld(strings.NewReader(benchWorld(n))); err != nil {
		b.Fatal(err)
	}
	client := ec2.NewFromConfig(inProcessCfg(emu, 1))
	var ids []string
	b.Run("list", func(b *testing.B) {
		for b.Loop() {
			ids = ids[:0]
			pg := ec2.NewDescribeFlowLogsPaginator(client, &ec2.DescribeFlowLogsInput{MaxResults: aws.Int32(1000)})
			for pg.HasMorePages() {
				page, err := pg.NextPage(ctx)
				if err != nil {
					b.Fatal(err)
				}
				for _, f := range page.FlowLogs {
					ids = append(ids, aws.ToString(f.FlowLogId))
				}
			}
			if len(ids) != n {
				b.Fatalf("listed %d flow logs, want %d", len(ids), n)
			}
		}
	})
	b.Run("by-id", func(b *testing.B) {
		for b.Loop() {
			out, err := client.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{FlowLogIds: ids[:1000]})
			if err != nil || len(out.FlowLogs) != 1000 {
				b.Fatalf("DescribeFlowLogs by ID: %d flow logs, %v", len(out.FlowLogs), err)
			}
		}
	})
}

// BenchmarkDescribeFlowLogsParallel is the same call from GOMAXPROCS
// goroutines, as flowplan's discovery runs it across account-regions.
func BenchmarkDescribeFlowLogsParallel(b *testing.B) {
	s := start(b, awsemu.Options{}, benchWorld(10))
	client := ec2.NewFromConfig(oneCfg(s))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := client.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkCreateFlowLogs creates one S3 flow log per call, round-robin
// over 1,000 VPCs that already have one flow log each, with a fresh
// destination prefix so that none is a duplicate.
func BenchmarkCreateFlowLogs(b *testing.B) {
	s := start(b, awsemu.Options{}, benchWorld(1000))
	client := ec2.NewFromConfig(oneCfg(s))
	out, err := client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		vpc := aws.ToString(out.Vpcs[i%len(out.Vpcs)].VpcId)
		dest := fmt.Sprintf("arn:aws:s3:::bench-bucket/p%d/", n.Add(1))
		got, err := client.CreateFlowLogs(ctx, &ec2.CreateFlowLogsInput{ResourceIds: []string{vpc}, ResourceType: types.FlowLogsResourceTypeVpc,
			TrafficType: types.TrafficTypeAll, LogDestinationType: types.LogDestinationTypeS3, LogDestination: aws.String(dest)})
		if err != nil || len(got.FlowLogIds) != 1 {
			b.Fatalf("CreateFlowLogs: %v %+v", err, got)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkCreateFlowLogsBatch creates 1,000 flow logs in one call (as
// flowplan batches them) in an account-region that already has 5,000; the
// created ones are deleted again outside the timer.
func BenchmarkCreateFlowLogsBatch(b *testing.B) {
	emu := awsemu.New(awsemu.Options{})
	if err := emu.LoadWorld(strings.NewReader(benchWorld(5000))); err != nil {
		b.Fatal(err)
	}
	client := ec2.NewFromConfig(inProcessCfg(emu, 1))
	out, err := client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{MaxResults: aws.Int32(1000)})
	if err != nil {
		b.Fatal(err)
	}
	var vpcs []string
	for _, v := range out.Vpcs {
		vpcs = append(vpcs, aws.ToString(v.VpcId))
	}
	for b.Loop() {
		got, err := client.CreateFlowLogs(ctx, &ec2.CreateFlowLogsInput{ResourceIds: vpcs, ResourceType: types.FlowLogsResourceTypeVpc,
			TrafficType: types.TrafficTypeAll, LogDestinationType: types.LogDestinationTypeS3, LogDestination: aws.String("arn:aws:s3:::bench-bucket/batch/")})
		if err != nil || len(got.FlowLogIds) != len(vpcs) {
			b.Fatalf("CreateFlowLogs: %v, %d created", err, len(got.FlowLogIds))
		}
		b.StopTimer()
		if _, err := client.DeleteFlowLogs(ctx, &ec2.DeleteFlowLogsInput{FlowLogIds: got.FlowLogIds}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// BenchmarkInProcessDescribeFlowLogs is DescribeFlowLogs through the
// in-process client --sandbox uses, without sockets.
func BenchmarkInProcessDescribeFlowLogs(b *testing.B) {
	emu := awsemu.New(awsemu.Options{})
	if err := emu.LoadWorld(strings.NewReader(benchWorld(10))); err != nil {
		b.Fatal(err)
	}
	client := ec2.NewFromConfig(inProcessCfg(emu, 1))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := client.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkDeliveryPump is DescribeFlowLogs when every one of n S3 flow
// logs has a 5-minute window to deliver: each op steps the clock by five
// minutes, so the call first writes one file per flow log (two busy
// interfaces each).
func BenchmarkDeliveryPump(b *testing.B) {
	for _, n := range []int{10, 100} {
		b.Run(fmt.Sprintf("flowlogs=%d", n), func(b *testing.B) {
			var w strings.Builder
			w.WriteString("credentials: [{access_key_id: AKIATESTACCOUNT00001, secret_access_key: secret-one, account: \"111111111111\"}]\n")
			w.WriteString("accounts:\n  - id: \"111111111111\"\n    buckets: [{name: bench-bucket}]\n    regions:\n      us-east-1:\n        vpcs:\n")
			for i := 0; i < n; i++ {
				fmt.Fprintf(&w, "          - {name: v%d, cidr: 10.%d.%d.0/24, subnets: [{cidr: 10.%d.%d.0/26, az: us-east-1a, enis: [{}, {}]}]}\n",
					i, i/256, i%256, i/256, i%256)
			}
			w.WriteString("        flow_logs:\n")
			for i := 0; i < n; i++ {
				fmt.Fprintf(&w, "          - {resource: v%d, traffic_type: ALL, destination_type: s3, destination: \"arn:aws:s3:::bench-bucket\"}\n", i)
			}
			clock := newClock()
			emu := awsemu.New(awsemu.Options{Clock: clock.Now})
			if err := emu.LoadWorld(strings.NewReader(w.String())); err != nil {
				b.Fatal(err)
			}
			client := ec2.NewFromConfig(inProcessCfg(emu, 1))
			if _, err := client.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{MaxResults: aws.Int32(1000)}); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				clock.Advance(5 * time.Minute)
				if _, err := client.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{MaxResults: aws.Int32(1000)}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
