package render

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/flowplan/flowplan/engine"
	awsprovider "github.com/flowplan/flowplan/providers/aws"
	"github.com/flowplan/flowplan/providers/awsemu"
	"github.com/flowplan/flowplan/spec"
)

// This file makes the plans and results the golden tests render the way
// `flowplan plan` and `flowplan apply` make them: the engine and the AWS
// provider, against our AWS emulator served in process, on the worlds of
// testdata/worlds. Nothing here is written by hand but the worlds and the
// specs.
//
// Everything runs one call at a time (engine parallelism and provider
// concurrency 1; with parallelism 1 apply runs its batches in the plan's
// order) on an emulator whose clock stands still, so that the IDs the
// emulator generates from its world's seed and a counter
// (providers/awsemu/ids.go), and so every address and ID in the goldens,
// are the same on every run.

// secretExternalID is the external ID of every account of the worlds'
// specs; no output may contain it.
const secretExternalID = "EXTERNAL-ID-must-never-be-printed-7f3a"

// goldenTime is the emulator's clock: flow logs' creation times.
var goldenTime = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// interruptCause is what the CLI's context ends with on SIGINT.
var interruptCause = errors.New("interrupted by SIGINT")

// emuWorld is an emulator holding a world, and the AWS provider on it.
type emuWorld struct {
	t   testing.TB
	emu *awsemu.Emulator
	p   engine.Provider
	// beforeApply, when set, runs before every Apply batch.
	beforeApply func(ctx context.Context, b *engine.Batch)
	// converges counts converge's plans, whose IDs must differ: a plan's
	// ID seeds its CreateFlowLogs client tokens, and EC2 refuses a token
	// reused with other arguments.
	converges int
}

// newEmuWorld seeds an emulator from a world file's text.
func newEmuWorld(t testing.TB, world []byte) *emuWorld {
	t.Helper()
	// AssumeRole is permissive, so that the worlds need no runner roles;
	// everything else is checked as AWS checks it.
	emu := awsemu.New(awsemu.Options{
		Clock:                func() time.Time { return goldenTime },
		SigningClock:         time.Now,
		PermissiveAssumeRole: true,
	})
	if err := emu.LoadWorld(bytes.NewReader(world)); err != nil {
		t.Fatalf("load world: %v", err)
	}
	akid, secret := emu.SandboxCredentials()
	p, err := awsprovider.New(context.Background(), awsprovider.Options{
		EndpointURL: "http://golden.awsemu.internal",
		HTTPClient:  emu.HTTPClient(),
		Credentials: credentials.NewStaticCredentialsProvider(akid, secret, ""),
		Region:      "us-east-1",
		SessionName: awsprovider.SessionName("golden"),
		Concurrency: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	w := &emuWorld{t: t, emu: emu}
	w.p = &hookedProvider{Provider: p, w: w}
	return w
}

// hookedProvider runs the world's beforeApply hook.
type hookedProvider struct {
	engine.Provider
	w *emuWorld
}

func (h *hookedProvider) Apply(ctx context.Context, b *engine.Batch) []engine.Outcome {
	if h.w.beforeApply != nil {
		h.w.beforeApply(ctx, b)
	}
	return h.Provider.Apply(ctx, b)
}

// goldenOptions are the engine options of every golden run.
func goldenOptions() engine.Options {
	return engine.Options{Parallelism: 1, InterruptGrace: time.Minute}
}

// parseSpec parses a spec's text as if loaded from file.
func parseSpec(t testing.TB, file string, data []byte) *spec.Spec {
	t.Helper()
	s, err := spec.Parse(file, data)
	if err != nil {
		t.Fatalf("spec %s: %v", file, err)
	}
	return s
}

// plan makes the spec's plan, with a fixed ID (plans get random ones).
func (w *emuWorld) plan(s *spec.Spec, id string) *engine.Plan {
	w.t.Helper()
	p, err := engine.MakePlan(context.Background(), w.p, s, goldenOptions())
	if err != nil {
		w.t.Fatalf("plan %s: %v", s.File, err)
	}
	p.ID = id
	return p
}

// apply applies plan and returns the result and the error Apply returned.
func (w *emuWorld) apply(ctx context.Context, plan *engine.Plan) (*engine.Result, error) {
	w.t.Helper()
	return engine.Apply(ctx, w.p, plan, goldenOptions())
}

// converge applies the spec's plan until it is empty, at most three
// times, and fails the test if it never is: every apply scenario ends in a
// plan with nothing to do.
func (w *emuWorld) converge(s *spec.Spec) {
	w.t.Helper()
	for range 3 {
		w.converges++
		p := w.plan(s, fmt.Sprintf("converge-%d", w.converges))
		if len(p.Errors) > 0 {
			w.t.Fatalf("plan %s has errors: %+v", s.File, p.Errors)
		}
		if p.Empty() {
			return
		}
		if res, err := w.apply(context.Background(), p); err != nil {
			w.t.Fatalf("apply %s: %v\n%+v", s.File, err, res)
		}
	}
	w.t.Fatalf("plan of %s is not empty after three applies", s.File)
}

// worldCase is a testdata/worlds archive: world.yaml, an optional
// before.yaml applied first, spec.yaml, the spec planned, and an optional
// converge.yaml, the spec that converges after spec.yaml is applied when
// spec.yaml itself cannot.
type worldCase struct {
	world, before, spec, converge []byte
}

func loadWorldCase(t testing.TB, name string) worldCase {
	t.Helper()
	a, err := txtar.ParseFile(filepath.Join("testdata", "worlds", name+".txtar"))
	if err != nil {
		t.Fatal(err)
	}
	var c worldCase
	for _, f := range a.Files {
		switch f.Name {
		case "world.yaml":
			c.world = f.Data
		case "before.yaml":
			c.before = f.Data
		case "spec.yaml":
			c.spec = f.Data
		case "converge.yaml":
			c.converge = f.Data
		default:
			t.Fatalf("%s: unknown file %s", name, f.Name)
		}
	}
	if c.world == nil || c.spec == nil {
		t.Fatalf("%s: needs world.yaml and spec.yaml", name)
	}
	return c
}

// realWorld is a case's world with its before.yaml applied (to an empty
// plan), ready to plan spec.yaml, which it returns with the spec that
// converges after it (spec.yaml itself unless the case has converge.yaml).
func realWorld(t testing.TB, name string) (w *emuWorld, s, converge *spec.Spec) {
	t.Helper()
	c := loadWorldCase(t, name)
	w = newEmuWorld(t, c.world)
	if c.before != nil {
		w.converge(parseSpec(t, "specs/"+name+".before.yaml", c.before))
	}
	s = parseSpec(t, "specs/"+name+".yaml", c.spec)
	converge = s
	if c.converge != nil {
		converge = parseSpec(t, "specs/"+name+".converge.yaml", c.converge)
	}
	return w, s, converge
}

// cached real plans: making one takes a world, and several tests render
// the same.
var (
	plansMu sync.Mutex
	plans   = map[string]*engine.Plan{}
)

// realCase is how a plan golden is made: the world archive, the faults
// scripted after before.yaml is applied, --target prefixes and the plan's
// ID.
type realCase struct {
	world   string
	faults  func(w *emuWorld)
	targets []string
	// id is the plan's ID; "golden-<name>" when empty.
	id string
}

// realCases are the plans of the goldens, by golden name.
var realCases = map[string]realCase{
	"full": {world: "full", faults: func(w *emuWorld) {
		// 222222222222 may not describe flow logs in eu-west-1.
		w.emu.FailNext(awsemu.Failure{Service: "ec2", Action: "DescribeFlowLogs", Account: "222222222222", Region: "eu-west-1",
			Times: 100, Status: 403, Code: "UnauthorizedOperation", Message: "You are not authorized to perform this operation."})
	}},
	// A replacement and a create in another account, with what they need.
	"targeted":  {world: "full", targets: []string{"111111111111/us-east-1/flow_log/rejects", "222222222222"}},
	"unchanged": {world: "unchanged"},
	// docs/plan-json.md's example.
	"doc": {world: "doc", id: "7d1c2f0a9b8e4d6c", faults: func(w *emuWorld) {
		w.emu.FailNext(awsemu.Failure{Service: "ec2", Action: "DescribeFlowLogs", Account: "222222222222", Region: "us-east-1",
			Times: 100, Status: 403, Code: "UnauthorizedOperation", Message: "You are not authorized to perform this operation."})
	}},
	"empty": {world: "empty"},
	"escaping": {world: "escaping", faults: func(w *emuWorld) {
		w.emu.FailNext(awsemu.Failure{Service: "ec2", Action: "DescribeFlowLogs", Account: "111111111111", Region: "eu-west-1",
			Times: 100, Status: 403, Code: "UnauthorizedOperation", Message: "<error> | `bad` **not bold** [x](y)"})
	}},
}

// realPlan returns the plan of the golden case name (realCases), made once
// per test binary.
func realPlan(t testing.TB, name string) *engine.Plan {
	t.Helper()
	plansMu.Lock()
	defer plansMu.Unlock()
	if p, ok := plans[name]; ok {
		return p
	}
	c, ok := realCases[name]
	if !ok {
		t.Fatalf("no real case %q", name)
	}
	w, s, _ := realWorld(t, c.world)
	if c.faults != nil {
		c.faults(w)
	}
	opts := goldenOptions()
	opts.Targets = c.targets
	p, err := engine.MakePlan(context.Background(), w.p, s, opts)
	if err != nil {
		t.Fatalf("plan %s: %v", name, err)
	}
	p.ID = cmp.Or(c.id, "golden-"+name)
	plans[name] = p
	return p
}

// manyRegions are the regions of the generated organisation.
var manyRegions = []string{"ap-northeast-1", "ap-southeast-2", "ca-central-1", "eu-central-1", "eu-north-1",
	"eu-west-1", "eu-west-2", "sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2"}

// manyWorld generates a world of nAccounts accounts with perScope VPCs in
// each of their first nRegions regions, and a spec sending every VPC's
// flow logs to a log group per account-region with a delivery role per
// account. The spec was already applied to the last account (before), so
// that account has nothing left to do.
func manyWorld(t testing.TB, nAccounts, nRegions, perScope int) (*emuWorld, *spec.Spec) {
	t.Helper()
	var world, accounts strings.Builder
	fmt.Fprintf(&world, "seed: %d\ncredentials:\n  - {account: \"999999999999\", sandbox: true}\naccounts:\n  - id: \"999999999999\"\n", 1800+nAccounts)
	for i := range nAccounts {
		id := fmt.Sprintf("%012d", 100000000000+i*1111)
		fmt.Fprintf(&world, "  - id: %q\n    regions:\n", id)
		for _, r := range manyRegions[:nRegions] {
			fmt.Fprintf(&world, "      %s:\n        vpcs:\n", r)
			for k := range perScope {
				fmt.Fprintf(&world, "          - {name: vpc-%d, cidr: 10.%d.0.0/16}\n", k, k)
			}
		}
		alias := ""
		if i%2 == 0 {
			alias = fmt.Sprintf(", alias: team-%02d", i)
		}
		fmt.Fprintf(&accounts, "  - {id: %q%s, assume_role: \"arn:aws:iam::%s:role/flowplan-exec\", external_id: %s, regions: [%s]}\n",
			id, alias, id, secretExternalID, strings.Join(manyRegions[:nRegions], ", "))
	}
	specText := func(accounts string) []byte {
		return []byte("version: 1\nname: org\naccounts:\n" + accounts + `delivery_roles:
  flowplan-flow-logs: {}
flow_logs:
  - name: all-vpcs
    targets: {vpcs: {all: true}}
    traffic_type: ALL
    destination: {cloudwatch_logs: {log_group: "/vpc-flow-logs/{account_id}/{region}", retention_days: 90, delivery_role: flowplan-flow-logs}}
`)
	}
	w := newEmuWorld(t, []byte(world.String()))
	lines := strings.Split(strings.TrimSuffix(accounts.String(), "\n"), "\n")
	w.converge(parseSpec(t, "specs/org.yaml", specText(lines[len(lines)-1]+"\n")))
	return w, parseSpec(t, "specs/org.yaml", specText(accounts.String()))
}

// manyPlan is manyWorld's plan.
func manyPlan(t testing.TB, nAccounts, nRegions, perScope int) *engine.Plan {
	t.Helper()
	key := fmt.Sprintf("many-%d-%d-%d", nAccounts, nRegions, perScope)
	plansMu.Lock()
	defer plansMu.Unlock()
	if p, ok := plans[key]; ok {
		return p
	}
	w, s := manyWorld(t, nAccounts, nRegions, perScope)
	p := w.plan(s, "golden-many")
	plans[key] = p
	return p
}

// cached real results, by kind, with the plans applied.
var results = map[string]struct {
	res  *engine.Result
	plan *engine.Plan
}{}

// realResult applies a real plan and returns the result, made once per
// test binary:
//
//   - failed: the full world's spec.yaml, with CreateLogGroup in
//     111111111111's eu-west-1 denied, so the flow logs into those log
//     groups are skipped, and the flow log into a bucket that does not
//     exist refused by EC2;
//   - interrupted: the same, interrupted (as by SIGINT) when the first
//     flow log batch starts: what was under way finishes, the rest is not
//     attempted;
//   - empty: the empty world's plan, which has nothing to do;
//   - doc: the doc world's plan (docs/plan-json.md), with CreateFlowLogs
//     failing.
//
// Each then applies again, without the failure, until the plan is empty.
func realResult(t testing.TB, kind string) (*engine.Result, *engine.Plan) {
	t.Helper()
	plansMu.Lock()
	defer plansMu.Unlock()
	if r, ok := results[kind]; ok {
		return r.res, r.plan
	}
	world := map[string]string{"failed": "full", "interrupted": "full", "empty": "empty", "doc": "doc"}[kind]
	if world == "" {
		t.Fatalf("no real result %q", kind)
	}
	w, s, converge := realWorld(t, world)
	plan := w.plan(s, map[string]string{"doc": "3e5a90c1d2b84f67"}[kind])
	if plan.ID == "" {
		plan.ID = "golden-" + kind
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	switch kind {
	case "failed":
		w.emu.FailNext(awsemu.Failure{Service: "logs", Action: "CreateLogGroup", Account: "111111111111", Region: "eu-west-1",
			Times: 10, Status: 400, Code: "AccessDeniedException",
			Message: "User: arn:aws:sts::111111111111:assumed-role/flowplan-exec/flowplan-golden is not authorized to perform: logs:CreateLogGroup with an explicit deny"})
	case "doc":
		w.emu.FailNext(awsemu.Failure{Service: "ec2", Action: "CreateFlowLogs", Account: "111111111111", Region: "us-east-1",
			Times: 10, Status: 400, Code: "FlowLogsLimitExceeded", Message: "You've reached the limit on the number of flow logs that you can create."})
	case "interrupted":
		var once sync.Once
		w.beforeApply = func(_ context.Context, b *engine.Batch) {
			if b.Kind == engine.KindFlowLog {
				once.Do(func() { cancel(interruptCause) })
			}
		}
	}
	res, err := w.apply(ctx, plan)
	var ie *engine.InterruptedError
	switch {
	case res == nil:
		t.Fatalf("apply %s: no result: %v", kind, err)
	case kind == "empty" && err != nil:
		t.Fatalf("apply %s: %v", kind, err)
	case (kind == "failed" || kind == "doc") && err == nil:
		t.Fatalf("apply %s: no error", kind)
	case kind == "interrupted" && !errors.As(err, &ie):
		t.Fatalf("apply %s: error %v, want an *engine.InterruptedError", kind, err)
	}
	w.emu.ClearFailures()
	w.beforeApply = nil
	w.converge(converge)
	results[kind] = struct {
		res  *engine.Result
		plan *engine.Plan
	}{res, plan}
	return res, plan
}
