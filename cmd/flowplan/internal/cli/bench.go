package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/flowplan/flowplan/engine"
	awsprovider "github.com/flowplan/flowplan/providers/aws"
	"github.com/flowplan/flowplan/providers/awsemu"
	"github.com/flowplan/flowplan/spec"
)

// The bench's organisation: what BenchWorld seeds and the spec names.
const (
	benchRunnerRole   = "FlowplanBench"
	benchBucket       = "flowplan-bench-logs"
	benchDeliveryRole = "flowplan-bench-delivery"
	benchSpecName     = "bench"
	// benchLogGroup is the CloudWatch Logs destination's template: one log
	// group per VPC, the case whose ownership reads grow with the org.
	benchLogGroup = "/flowplan-bench/{resource_id}"
	// Terraform's refresh cost as measured for hashicorp/aws 5.x: one read
	// per managed aws_flow_log, plus the provider's own calls per
	// account-region (credentials, region and partition lookups).
	terraformCallsPerFlowLog       = 1
	terraformCallsPerAccountRegion = 8
)

// BenchOptions are the inputs of one 'flowplan sandbox bench' run.
type BenchOptions struct {
	Accounts, Regions, VPCs, Subnets int
	// Destination is s3 or cloudwatch.
	Destination string
	// Latency is added to every emulator call.
	Latency time.Duration
	// Apply also applies the plan and plans again.
	Apply bool
	// Parallelism is the engine's --parallelism.
	Parallelism int
}

// BenchReport is what 'flowplan sandbox bench' measures; docs/bench.md
// describes every field.
type BenchReport struct {
	Accounts       int     `json:"accounts"`
	Regions        int     `json:"regions"`
	VPCs           int     `json:"vpcs_per_account_region"`
	Subnets        int     `json:"subnets_per_vpc"`
	AccountRegions int     `json:"account_regions"`
	TotalVPCs      int     `json:"total_vpcs"`
	Destination    string  `json:"destination"`
	LatencyMS      float64 `json:"latency_ms"`
	Parallelism    int     `json:"parallelism"`
	Cores          int     `json:"cores"`
	SeedSeconds    float64 `json:"seed_seconds"`

	PlanSeconds               float64        `json:"plan_seconds"`
	PlanCPUSeconds            float64        `json:"plan_cpu_seconds"`
	PlanCalls                 int            `json:"plan_calls"`
	PlanCallsPerAccountRegion float64        `json:"plan_calls_per_account_region"`
	CallsByOperation          map[string]int `json:"calls_by_operation"`
	LogGroupTagReads          int            `json:"log_group_tag_reads"`
	Changes                   int            `json:"changes"`
	TerraformEstimate         int            `json:"terraform_refresh_calls_estimate"`
	EmulatorCalls             int            `json:"emulator_calls"`
	EmulatorCallsPerSecond    float64        `json:"emulator_calls_per_second"`

	ApplySeconds              float64        `json:"apply_seconds,omitempty"`
	ApplyCalls                int            `json:"apply_calls,omitempty"`
	ApplyCallsByOperation     map[string]int `json:"apply_calls_by_operation,omitempty"`
	ApplyCreateFlowLogsCalls  int            `json:"apply_create_flow_logs_calls,omitempty"`
	ApplyFailed               int            `json:"apply_failed,omitempty"`
	ReplanSeconds             float64        `json:"replan_seconds,omitempty"`
	ReplanCalls               int            `json:"replan_calls,omitempty"`
	ReplanChanges             *int           `json:"replan_changes,omitempty"`
	ReplanLogGroupTagReads    *int           `json:"replan_log_group_tag_reads,omitempty"`
	ApplyEmulatorCallsPerSec  float64        `json:"apply_emulator_calls_per_second,omitempty"`
	ReplanEmulatorCallsPerSec float64        `json:"replan_emulator_calls_per_second,omitempty"`

	PeakRSSBytes uint64 `json:"peak_rss_bytes"`
}

// benchFlags are the flags of 'sandbox bench'.
type benchFlags struct {
	BenchOptions
	format string
}

func setupSandboxBench(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	a := &benchFlags{}
	fs.IntVar(&a.Accounts, "accounts", 10, "`number` of accounts in the generated organisation, its management account included")
	fs.IntVar(&a.Regions, "regions", 4, "`number` of regions in every account (us-east-1, us-west-2, eu-west-1, ap-southeast-2, ...)")
	fs.IntVar(&a.VPCs, "vpcs", 50, "`number` of VPCs in every account-region")
	fs.IntVar(&a.Subnets, "subnets", 0, "`number` of subnets in every VPC (at most 16)")
	choiceVar(fs, &a.Destination, "destination", "s3", "where the spec's flow logs deliver: one S3 bucket, or a CloudWatch Logs group per VPC ("+benchLogGroup+")", "s3", "cloudwatch")
	fs.DurationVar(&a.Latency, "latency", 0, "add this `duration` to every emulator call, standing in for AWS's round trip (20ms is typical)")
	fs.BoolVar(&a.Apply, "apply", false, "also apply the plan, then plan again (which must be empty)")
	choiceVar(fs, &a.format, "format", "text", "report `format`", "text", "json")
	fs.IntVar(&a.Parallelism, "parallelism", engine.DefaultParallelism, "how many account-regions to work on at once")
	return func(ctx context.Context, e *env, rest []string) error {
		if len(rest) > 0 {
			return &usageError{cmd: "sandbox bench", msg: fmt.Sprintf("unexpected argument %q", rest[0])}
		}
		if a.format != "text" && a.format != "json" {
			return &usageError{cmd: "sandbox bench", msg: fmt.Sprintf("--format %q: use text or json", a.format)}
		}
		if a.Destination != "s3" && a.Destination != "cloudwatch" {
			return &usageError{cmd: "sandbox bench", msg: fmt.Sprintf("--destination %q: use s3 or cloudwatch", a.Destination)}
		}
		if a.Parallelism < 1 {
			return &usageError{cmd: "sandbox bench", msg: fmt.Sprintf("--parallelism must be at least 1, got %d", a.Parallelism)}
		}
		if a.Latency < 0 {
			return &usageError{cmd: "sandbox bench", msg: fmt.Sprintf("--latency must not be negative, got %s", a.Latency)}
		}
		fmt.Fprintf(e.Stderr, "Benchmarking %d accounts × %d regions × %d VPCs on the in-process sandbox...\n", a.Accounts, a.Regions, a.VPCs)
		r, err := RunBench(ctx, a.BenchOptions)
		if err != nil {
			return err
		}
		if a.format == "json" {
			enc := json.NewEncoder(e.Stdout)
			enc.SetIndent("", "  ")
			if err := enc.Encode(r); err != nil {
				return err
			}
		} else {
			writeBenchText(e.Stdout, r)
		}
		if r.ReplanChanges != nil && *r.ReplanChanges != 0 {
			return &exitError{code: ExitError, err: fmt.Errorf("the plan after apply has %d changes; it must be empty", *r.ReplanChanges)}
		}
		return nil
	}
}

// benchSpec is the spec of the bench: every VPC of every member account,
// to the bucket or to a log group per VPC.
func benchSpec(regions []string, destination string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "version: 1\nname: %s\norganization:\n  assume_role_name: %s\n  regions: [%s]\n", benchSpecName, benchRunnerRole, strings.Join(regions, ", "))
	if destination == "cloudwatch" {
		fmt.Fprintf(&b, "delivery_roles:\n  %s:\n", benchDeliveryRole)
	}
	b.WriteString("flow_logs:\n  - name: all-vpcs\n    targets: {vpcs: {all: true}}\n    tags: {owner: bench}\n")
	if destination == "cloudwatch" {
		fmt.Fprintf(&b, "    destination: {cloudwatch_logs: {log_group: %q, retention_days: 30, delivery_role: %s}}\n", benchLogGroup, benchDeliveryRole)
	} else {
		fmt.Fprintf(&b, "    destination: {s3: {bucket_arn: \"arn:aws:s3:::%s\"}}\n", benchBucket)
	}
	return b.String()
}

// RunBench seeds the bench world in an in-process emulator and runs plan
// (and with o.Apply, apply and a second plan) through the AWS provider, as
// --sandbox does, measuring each.
func RunBench(ctx context.Context, o BenchOptions) (*BenchReport, error) {
	regions, err := awsemu.BenchRegions(o.Regions)
	if err != nil {
		return nil, &usageError{cmd: "sandbox bench", msg: "--" + err.Error()}
	}
	s, err := spec.Parse("bench.yaml", []byte(benchSpec(regions, o.Destination)))
	if err != nil {
		return nil, fmt.Errorf("bench spec: %w", err)
	}
	start := time.Now()
	w, err := awsemu.BenchWorld(awsemu.BenchWorldOptions{Accounts: o.Accounts, Regions: regions, VPCs: o.VPCs, Subnets: o.Subnets,
		RunnerRole: benchRunnerRole, Bucket: benchBucket, Seed: 1})
	if err != nil {
		return nil, &usageError{cmd: "sandbox bench", msg: "--" + err.Error()}
	}
	emu := awsemu.New(awsemu.Options{Latency: o.Latency})
	if err := emu.ApplyWorld(w); err != nil {
		return nil, fmt.Errorf("seed the bench world: %w", err)
	}
	w = nil
	r := &BenchReport{Accounts: o.Accounts, Regions: o.Regions, VPCs: o.VPCs, Subnets: o.Subnets,
		AccountRegions: o.Accounts * o.Regions, TotalVPCs: o.Accounts * o.Regions * o.VPCs, Destination: o.Destination,
		LatencyMS: float64(o.Latency) / float64(time.Millisecond), Parallelism: o.Parallelism, Cores: runtime.NumCPU(),
		SeedSeconds: time.Since(start).Seconds()}
	sb := &sandbox{emu: emu, url: sandboxEndpoint, inProcess: true}
	sb.akid, sb.secret = emu.SandboxCredentials()
	popts := awsprovider.Options{SessionName: awsprovider.SessionName(s.Name)}
	sb.configure(&popts)
	p, err := awsprovider.New(ctx, popts)
	if err != nil {
		return nil, err
	}
	eopts := engine.Options{Parallelism: o.Parallelism}

	plan, phase, err := benchPhase(ctx, emu, p, func() (*engine.Plan, error) { return engine.MakePlan(ctx, p, s, eopts) })
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	if len(plan.Errors) > 0 {
		return nil, fmt.Errorf("plan: %d scope(s) have errors, the first: %s", len(plan.Errors), plan.Errors[0].Error())
	}
	r.PlanSeconds, r.PlanCPUSeconds, r.PlanCalls, r.CallsByOperation = phase.seconds, phase.cpuSeconds, phase.calls, phase.byOperation
	r.PlanCallsPerAccountRegion = float64(phase.calls) / float64(r.AccountRegions)
	r.LogGroupTagReads = phase.byOperation["CloudWatch Logs:ListTagsForResource"]
	r.EmulatorCalls, r.EmulatorCallsPerSecond = phase.emulatorCalls, phase.emulatorRate()
	r.Changes = changeCount(plan)
	managed := 0
	for _, c := range plan.Changes {
		if c.Addr.Kind == engine.KindFlowLog {
			managed++
		}
	}
	r.TerraformEstimate = terraformCallsPerFlowLog*managed + terraformCallsPerAccountRegion*r.AccountRegions

	if o.Apply {
		var result *engine.Result
		_, phase, err := benchPhase(ctx, emu, p, func() (*engine.Plan, error) {
			var err error
			result, err = engine.Apply(ctx, p, plan, eopts)
			return nil, err
		})
		if result != nil {
			for _, c := range result.Changes {
				if c.Status != engine.StatusApplied {
					r.ApplyFailed++
				}
			}
		}
		if err != nil && result == nil {
			return nil, fmt.Errorf("apply: %w", err)
		}
		r.ApplySeconds, r.ApplyCalls, r.ApplyCallsByOperation = phase.seconds, phase.calls, phase.byOperation
		r.ApplyCreateFlowLogsCalls = phase.byOperation["EC2:CreateFlowLogs"]
		r.ApplyEmulatorCallsPerSec = phase.emulatorRate()
		replan, phase, err := benchPhase(ctx, emu, p, func() (*engine.Plan, error) { return engine.MakePlan(ctx, p, s, eopts) })
		if err != nil {
			return nil, fmt.Errorf("plan after apply: %w", err)
		}
		n := changeCount(replan) + len(replan.Errors)
		r.ReplanSeconds, r.ReplanCalls, r.ReplanChanges = phase.seconds, phase.calls, &n
		tagReads := phase.byOperation["CloudWatch Logs:ListTagsForResource"]
		r.ReplanLogGroupTagReads = &tagReads
		r.ReplanEmulatorCallsPerSec = phase.emulatorRate()
	}
	r.PeakRSSBytes = peakRSS()
	return r, nil
}

// benchMeasure is one phase's time and calls.
type benchMeasure struct {
	seconds       float64
	cpuSeconds    float64
	calls         int
	byOperation   map[string]int
	emulatorCalls int
}

func (m benchMeasure) emulatorRate() float64 {
	if m.seconds == 0 {
		return 0
	}
	return float64(m.emulatorCalls) / m.seconds
}

// benchPhase runs fn with fresh counters and measures it.
func benchPhase(ctx context.Context, emu *awsemu.Emulator, p *awsprovider.Provider, fn func() (*engine.Plan, error)) (*engine.Plan, benchMeasure, error) {
	p.Stats().Reset()
	emu.ResetCounts()
	start, cpu := time.Now(), cpuTime()
	plan, err := fn()
	m := benchMeasure{seconds: time.Since(start).Seconds(), cpuSeconds: (cpuTime() - cpu).Seconds(), calls: p.Stats().Calls(), byOperation: map[string]int{}}
	for _, scope := range p.Stats().Scopes() {
		for op, n := range p.Stats().ScopeCalls(scope) {
			m.byOperation[op] += n
		}
	}
	for _, n := range emu.Counts() {
		m.emulatorCalls += n
	}
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	return plan, m, err
}

// changeCount is the number of changes that are not no-ops.
func changeCount(p *engine.Plan) int {
	n := 0
	for _, c := range p.Changes {
		if c.Action != engine.NoOp {
			n++
		}
	}
	return n
}

// writeBenchText writes the report as a two-column table, operations
// sorted by name.
func writeBenchText(w io.Writer, r *BenchReport) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k string, v any) { fmt.Fprintf(tw, "%s\t%v\n", k, v) }
	row("world", fmt.Sprintf("%d accounts × %d regions × %d VPCs = %d VPCs (%d subnets each), destination %s", r.Accounts, r.Regions, r.VPCs, r.TotalVPCs, r.Subnets, r.Destination))
	row("latency per call", fmt.Sprintf("%gms", r.LatencyMS))
	row("parallelism", r.Parallelism)
	row("cores", r.Cores)
	row("seed_seconds", fmt.Sprintf("%.2f", r.SeedSeconds))
	row("plan_seconds", fmt.Sprintf("%.2f", r.PlanSeconds))
	row("plan_cpu_seconds", fmt.Sprintf("%.2f", r.PlanCPUSeconds))
	row("plan_calls", r.PlanCalls)
	row("plan_calls_per_account_region", fmt.Sprintf("%.2f", r.PlanCallsPerAccountRegion))
	row("log_group_tag_reads", r.LogGroupTagReads)
	row("changes", r.Changes)
	row("terraform_refresh_calls_estimate", r.TerraformEstimate)
	row("emulator_calls", r.EmulatorCalls)
	row("emulator_calls_per_second", fmt.Sprintf("%.0f", r.EmulatorCallsPerSecond))
	if r.ReplanChanges != nil {
		row("apply_seconds", fmt.Sprintf("%.2f", r.ApplySeconds))
		row("apply_calls", r.ApplyCalls)
		row("apply_create_flow_logs_calls", r.ApplyCreateFlowLogsCalls)
		row("apply_failed", r.ApplyFailed)
		row("apply_emulator_calls_per_second", fmt.Sprintf("%.0f", r.ApplyEmulatorCallsPerSec))
		row("replan_seconds", fmt.Sprintf("%.2f", r.ReplanSeconds))
		row("replan_calls", r.ReplanCalls)
		row("replan_log_group_tag_reads", *r.ReplanLogGroupTagReads)
		row("replan_changes", *r.ReplanChanges)
	}
	row("peak_rss_bytes", fmt.Sprintf("%d (%.0f MiB)", r.PeakRSSBytes, float64(r.PeakRSSBytes)/(1<<20)))
	tw.Flush()
	fmt.Fprintln(w, "\nplan calls by operation:")
	ops := make([]string, 0, len(r.CallsByOperation))
	for op := range r.CallsByOperation {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, op := range ops {
		fmt.Fprintf(tw, "  %s\t%d\n", op, r.CallsByOperation[op])
	}
	tw.Flush()
}

// peakRSS is the larger of the Go runtime's memory obtained from the OS
// and the process's peak resident set size (getrusage, where the OS has
// it).
func peakRSS() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return max(ms.Sys, maxRSS())
}
