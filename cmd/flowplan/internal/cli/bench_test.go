package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/flowplan/flowplan/engine"
)

// A small bench with --apply: the counts it reports are the world's, the
// plan after apply is empty, and Terraform's estimate follows its model.
func TestBenchReportsWhatItMeasured(t *testing.T) {
	r, err := RunBench(context.Background(), BenchOptions{Accounts: 3, Regions: 2, VPCs: 4, Destination: "s3", Apply: true, Parallelism: engine.DefaultParallelism})
	if err != nil {
		t.Fatal(err)
	}
	if r.AccountRegions != 6 || r.TotalVPCs != 24 {
		t.Errorf("world: %d account-regions, %d VPCs; want 6 and 24", r.AccountRegions, r.TotalVPCs)
	}
	if r.Changes != 24 {
		t.Errorf("changes = %d, want one flow log per VPC (24)", r.Changes)
	}
	if want := 24*terraformCallsPerFlowLog + 6*terraformCallsPerAccountRegion; r.TerraformEstimate != want {
		t.Errorf("terraform estimate = %d, want %d", r.TerraformEstimate, want)
	}
	// One configuration: one CreateFlowLogs per account-region.
	if r.ApplyCreateFlowLogsCalls != 6 {
		t.Errorf("CreateFlowLogs calls = %d, want 6", r.ApplyCreateFlowLogsCalls)
	}
	if r.ReplanChanges == nil || *r.ReplanChanges != 0 || r.ApplyFailed != 0 {
		t.Errorf("after apply: %v changes, %d failed; want an empty plan", r.ReplanChanges, r.ApplyFailed)
	}
	sum := 0
	for _, n := range r.CallsByOperation {
		sum += n
	}
	if sum != r.PlanCalls || r.CallsByOperation["EC2:DescribeVpcs"] != 6 || r.EmulatorCalls != r.PlanCalls {
		t.Errorf("plan calls %d, by operation %v (sum %d), emulator %d", r.PlanCalls, r.CallsByOperation, sum, r.EmulatorCalls)
	}
	if r.PeakRSSBytes == 0 || r.PlanSeconds <= 0 {
		t.Errorf("peak %d bytes, plan %g s", r.PeakRSSBytes, r.PlanSeconds)
	}
}

// docs/bench.md documents every field of the JSON report.
func TestBenchDocDescribesEveryField(t *testing.T) {
	doc, err := os.ReadFile("../../../../docs/bench.md")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	b, _ := json.Marshal(&BenchReport{ReplanChanges: &n, ApplySeconds: 1, ApplyCalls: 1, ApplyCallsByOperation: map[string]int{"x": 1},
		ApplyCreateFlowLogsCalls: 1, ApplyFailed: 1, ReplanSeconds: 1, ReplanCalls: 1, ReplanLogGroupTagReads: &n,
		ApplyEmulatorCallsPerSec: 1, ReplanEmulatorCallsPerSec: 1})
	var fields map[string]any
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	for f := range fields {
		if !strings.Contains(string(doc), "`"+f+"`") {
			t.Errorf("docs/bench.md does not describe `%s`", f)
		}
	}
}

// Bad sizes are usage errors naming the flag.
func TestBenchRefusesBadSizes(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--accounts", "0"}, "--accounts must be at least 1"},
		{[]string{"--regions", "40"}, "--regions must be between 1 and 17"},
		{[]string{"--subnets", "17"}, "--subnets must be between 0 and 16"},
		{[]string{"--destination", "firehose"}, `--destination "firehose": use s3 or cloudwatch`},
		{[]string{"--parallelism", "0"}, "--parallelism must be at least 1"},
	} {
		code, _, stderr := runEnv(t, nil, append([]string{"sandbox", "bench"}, c.args...)...)
		if code != ExitError || !strings.Contains(stderr, c.want) {
			t.Errorf("sandbox bench %v: exit %d, stderr %q; want exit 1 and %q", c.args, code, stderr, c.want)
		}
	}
}

// BenchmarkScaleBudgets holds flowplan to its scale budgets (docs/bench.md)
// and fails when one is broken. Call counts are deterministic and checked
// exactly; times and memory are reported as metrics, and the 200 × 4 × 50
// world's plan is held to 10 s and 512 MiB.
//
// Run: go test ./cmd/flowplan/internal/cli -run '^$' -bench ScaleBudgets -benchtime 1x
func BenchmarkScaleBudgets(b *testing.B) {
	ctx := context.Background()
	run := func(b *testing.B, o BenchOptions) *BenchReport {
		b.Helper()
		var r *BenchReport
		for i := 0; i < b.N; i++ {
			var err error
			if r, err = RunBench(ctx, o); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(r.PlanSeconds, "plan-s")
		b.ReportMetric(float64(r.PlanCalls), "plan-calls")
		b.ReportMetric(r.PlanCallsPerAccountRegion, "calls/account-region")
		return r
	}
	// Calls per account-region do not grow with the VPCs in it: every EC2
	// describe asks for pages of 1,000, so 1,000 VPCs are one page too.
	b.Run("calls-per-account-region", func(b *testing.B) {
		var first *BenchReport
		for _, v := range []int{10, 100, 1000} {
			var r *BenchReport
			b.Run(fmt.Sprintf("vpcs=%d", v), func(b *testing.B) {
				r = run(b, BenchOptions{Accounts: 3, Regions: 2, VPCs: v, Destination: "s3", Parallelism: engine.DefaultParallelism})
			})
			if r == nil {
				return
			}
			if first == nil {
				first = r
				continue
			}
			if r.PlanCalls != first.PlanCalls {
				b.Errorf("budget broken: %d VPCs per account-region cost %.2f calls per account-region (%v), %d VPCs %.2f (%v); they must be equal",
					v, r.PlanCallsPerAccountRegion, r.CallsByOperation, first.VPCs, first.PlanCallsPerAccountRegion, first.CallsByOperation)
			}
		}
	})
	// Apply makes one CreateFlowLogs call per distinct (account, region,
	// configuration) batch of at most 300 resources.
	b.Run("create-flow-logs-batches", func(b *testing.B) {
		for _, c := range []struct {
			dest    string
			vpcs    int
			batches int // per account-region
		}{
			{"s3", 650, 3},       // one configuration: 300 + 300 + 50
			{"cloudwatch", 3, 3}, // a log group per VPC: a configuration each
		} {
			b.Run(fmt.Sprintf("%s/vpcs=%d", c.dest, c.vpcs), func(b *testing.B) {
				r := run(b, BenchOptions{Accounts: 2, Regions: 2, VPCs: c.vpcs, Destination: c.dest, Apply: true, Parallelism: engine.DefaultParallelism})
				b.ReportMetric(r.ApplySeconds, "apply-s")
				if want := c.batches * r.AccountRegions; r.ApplyCreateFlowLogsCalls != want {
					b.Errorf("budget broken: apply made %d CreateFlowLogs calls, want %d (%d batches in each of %d account-regions)",
						r.ApplyCreateFlowLogsCalls, want, c.batches, r.AccountRegions)
				}
				if r.ReplanChanges == nil || *r.ReplanChanges != 0 || r.ApplyFailed != 0 {
					b.Errorf("after apply: %v changes, %d failed; the plan must be empty", r.ReplanChanges, r.ApplyFailed)
				}
				// Every log group is as the spec wants after apply: none
				// needs its ownership read.
				if r.ReplanLogGroupTagReads == nil {
					b.Error("the bench reported no replan_log_group_tag_reads after apply")
				} else if n := *r.ReplanLogGroupTagReads; n != 0 {
					b.Errorf("budget broken: the plan after apply read %d log groups' tags; groups whose settings are right need none", n)
				}
			})
		}
	})
	// The organisation of the budget: 200 × 4 × 50 = 40,000 VPCs at 20 ms a
	// call, planned in at most 10 s and 512 MiB.
	b.Run("org=200x4x50/latency=20ms", func(b *testing.B) {
		r := run(b, BenchOptions{Accounts: 200, Regions: 4, VPCs: 50, Destination: "s3", Latency: 20 * time.Millisecond, Parallelism: engine.DefaultParallelism})
		mib := float64(r.PeakRSSBytes) / (1 << 20)
		b.ReportMetric(mib, "peak-MiB")
		b.ReportMetric(r.EmulatorCallsPerSecond, "emulator-calls/s")
		if r.PlanSeconds > 10 {
			b.Errorf("budget broken: planning 200 accounts × 4 regions × 50 VPCs at 20 ms a call took %.2f s on %d cores; the budget is 10 s", r.PlanSeconds, r.Cores)
		}
		if mib > 512 {
			b.Errorf("budget broken: planning 200 accounts × 4 regions × 50 VPCs peaked at %.0f MiB; the budget is 512 MiB", mib)
		}
	})
}
