package awsemu_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/flowplan/flowplan/providers/awsemu"
)

// scaleScopes are the account-regions of scaleWorld, in the order
// BenchmarkScopeScaling hands them to its workers.
var scaleScopes = []struct{ account, key, region string }{
	{"111111111111", "AKIABENCHACCOUNT0001", "us-east-1"},
	{"222222222222", "AKIABENCHACCOUNT0002", "us-east-1"},
	{"111111111111", "AKIABENCHACCOUNT0001", "eu-west-1"},
	{"222222222222", "AKIABENCHACCOUNT0002", "eu-west-1"},
}

// scaleWorld has two accounts in two regions each, with vpcs VPCs per
// account-region and a CloudWatch Logs delivery role in each account.
func scaleWorld(vpcs int) string {
	var b strings.Builder
	b.WriteString("credentials:\n")
	for _, acct := range []string{"111111111111", "222222222222"} {
		fmt.Fprintf(&b, "  - {access_key_id: AKIABENCHACCOUNT000%s, secret_access_key: bench-secret, account: %q}\n", acct[:1], acct)
	}
	b.WriteString("accounts:\n")
	for _, acct := range []string{"111111111111", "222222222222"} {
		fmt.Fprintf(&b, "  - id: %q\n    roles:\n      - name: fl-role\n", acct)
		b.WriteString("        trust_policy: {Version: \"2012-10-17\", Statement: [{Effect: Allow, Principal: {Service: vpc-flow-logs.amazonaws.com}, Action: \"sts:AssumeRole\"}]}\n")
		b.WriteString("    regions:\n")
		for _, region := range []string{"us-east-1", "eu-west-1"} {
			fmt.Fprintf(&b, "      %s:\n        vpcs:\n", region)
			for i := 0; i < vpcs; i++ {
				fmt.Fprintf(&b, "          - {name: v%d, cidr: 10.%d.%d.0/24}\n", i, i/256, i%256)
			}
		}
	}
	return b.String()
}

// BenchmarkScopeScaling runs four workers at once, each creating
// CloudWatch Logs flow logs for the 100 VPCs of an account-region in one
// call and deleting them in a second; an op is that pair. With scopes=1
// all four share one account-region, with scopes=4 each has its own, so
// the difference is what the emulator's locks let run in parallel (on
// GOMAXPROCS cores; the SDK's own work is in the figure too).
func BenchmarkScopeScaling(b *testing.B) {
	for _, scopes := range []int{1, 4} {
		b.Run(fmt.Sprintf("scopes=%d", scopes), func(b *testing.B) {
			emu := awsemu.New(awsemu.Options{})
			if err := emu.LoadWorld(strings.NewReader(scaleWorld(100))); err != nil {
				b.Fatal(err)
			}
			const workers = 4
			clients := make([]*ec2.Client, workers)
			vpcs := make([][]string, workers)
			for w := range clients {
				sc := scaleScopes[w%scopes]
				clients[w] = ec2.NewFromConfig(aws.Config{Region: sc.region, BaseEndpoint: aws.String("http://sandbox.awsemu"),
					Credentials: credentials.NewStaticCredentialsProvider(sc.key, "bench-secret", ""), HTTPClient: emu.HTTPClient(), RetryMaxAttempts: 1})
				out, err := clients[w].DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
				if err != nil || len(out.Vpcs) != 100 {
					b.Fatalf("DescribeVpcs: %v", err)
				}
				for _, v := range out.Vpcs {
					vpcs[w] = append(vpcs[w], aws.ToString(v.VpcId))
				}
			}
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ReportAllocs()
			b.ResetTimer()
			for w := range clients {
				sc := scaleScopes[w%scopes]
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					role := "arn:aws:iam::" + sc.account + ":role/fl-role"
					for next.Add(1) <= int64(b.N) {
						got, err := clients[w].CreateFlowLogs(ctx, &ec2.CreateFlowLogsInput{ResourceIds: vpcs[w], ResourceType: types.FlowLogsResourceTypeVpc,
							TrafficType: types.TrafficTypeAll, LogGroupName: aws.String(fmt.Sprintf("/bench/w%d", w)), DeliverLogsPermissionArn: aws.String(role)})
						if err != nil || len(got.FlowLogIds) != len(vpcs[w]) {
							b.Errorf("CreateFlowLogs: %v %+v", err, got)
							return
						}
						if _, err := clients[w].DeleteFlowLogs(ctx, &ec2.DeleteFlowLogsInput{FlowLogIds: got.FlowLogIds}); err != nil {
							b.Errorf("DeleteFlowLogs: %v", err)
							return
						}
					}
				}(w)
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
		})
	}
}

// BenchmarkAutoSaveWrite is one CreateTags call on a sandbox that saves
// itself to a file, in a world of 1,000 VPCs with a flow log each: what a
// write costs with its save. every-call saves before each call returns
// (AutoSaveInterval 0, what 'sandbox serve' did); batched is 'sandbox
// serve' now, saving every 250 ms (the timer's saves run alongside, and
// the last one is in the figure through Close).
func BenchmarkAutoSaveWrite(b *testing.B) {
	for _, tc := range []struct {
		name     string
		interval time.Duration
	}{{"every-call", 0}, {"batched-250ms", 250 * time.Millisecond}} {
		b.Run(tc.name, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "sandbox.json")
			emu := awsemu.New(awsemu.Options{AutoSavePath: path, AutoSaveInterval: tc.interval})
			if err := emu.LoadWorld(strings.NewReader(benchWorld(1000))); err != nil {
				b.Fatal(err)
			}
			client := ec2.NewFromConfig(inProcessCfg(emu, 1))
			out, err := client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{MaxResults: aws.Int32(1000)})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				vpc := aws.ToString(out.Vpcs[i%len(out.Vpcs)].VpcId)
				i++
				if _, err := client.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{vpc},
					Tags: []types.Tag{{Key: aws.String("bench"), Value: aws.String(fmt.Sprint(i))}}}); err != nil {
					b.Fatal(err)
				}
			}
			if err := emu.Close(); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// BenchmarkScopeScalingHeld is BenchmarkScopeScaling with the CPU taken
// out: four workers each call CreateTags, and every CreateTags spends 2 ms
// in its handler, locks held, without using the CPU (as a handler of a
// slow backend would). One lock for the whole emulator caps it at 500
// calls a second whatever the scopes; per account-region locks let
// scopes=4 reach four times that.
func BenchmarkScopeScalingHeld(b *testing.B) {
	for _, scopes := range []int{1, 4} {
		b.Run(fmt.Sprintf("scopes=%d", scopes), func(b *testing.B) {
			emu := awsemu.New(awsemu.Options{})
			if err := emu.LoadWorld(strings.NewReader(scaleWorld(1))); err != nil {
				b.Fatal(err)
			}
			awsemu.SetHandlerHook(emu, func(_, _, action string) {
				if action == "CreateTags" {
					time.Sleep(2 * time.Millisecond)
				}
			})
			const workers = 4
			clients := make([]*ec2.Client, workers)
			vpcs := make([]string, workers)
			for w := range clients {
				sc := scaleScopes[w%scopes]
				clients[w] = scaleClient(emu, sc.key, sc.region)
				out, err := clients[w].DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
				if err != nil || len(out.Vpcs) != 1 {
					b.Fatalf("DescribeVpcs: %v", err)
				}
				vpcs[w] = aws.ToString(out.Vpcs[0].VpcId)
			}
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for w := range clients {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						if _, err := clients[w].CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{vpcs[w]},
							Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String(fmt.Sprint(w))}}}); err != nil {
							b.Errorf("CreateTags: %v", err)
							return
						}
					}
				}(w)
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
		})
	}
}
