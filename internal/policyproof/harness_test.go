package policyproof

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"text/template"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/engine/runnerpolicy"
	awsprovider "github.com/flowplan/flowplan/providers/aws"
	"github.com/flowplan/flowplan/providers/awsemu"
	"github.com/flowplan/flowplan/spec"
)

const (
	management = "900000000000"
	homeRegion = "us-east-1"
	endpoint   = "http://awsemu.policyproof"
	callerRole = "arn:aws:iam::900000000000:role/FlowplanCaller"
	// The accounts whose FlowplanRunner flowplan assumes.
	prod, staging, logArchive = "111111111111", "222222222222", "333333333333"
)

var runnerAccounts = []string{prod, staging, logArchive}

var logSteps = flag.Bool("log-steps", false, "log each step's plan")

// params are what the scenario steps change in the spec.
type params struct {
	Owner        string // the defaults' owner tag
	NatRule      string // the NAT gateway rule's name
	Retention    int    // the VPC rule's retention_days; 0 leaves it out
	NatKMS       string // the NAT rule's kms_key_arn
	Boundary     string // proof-cwl's permissions_boundary
	VPCRegions   string // the VPC rule's regions, as YAML
	SubnetTraffc string // the subnet rule's traffic type
	Firehose     bool   // the ENI rule to Firehose and its delivery role
	TGWTargets   string // the transit gateway rule's selector
	TGWAccounts  string // the transit gateway rule's accounts, as YAML; empty: every account
	IncludeOUs   string // the organization's include_ous, as YAML
	// OrgOnly leaves out the static account and the rules that need it
	// (the managed bucket policies): the apply lock is then the caller's.
	OrgOnly bool
}

func baseParams() params {
	return params{Owner: "netsec", NatRule: "nat-cwl", Retention: 30, SubnetTraffc: "ALL", Firehose: true, TGWTargets: "{all: true}"}
}

// specTemplate uses every destination, every target kind, managed bucket
// policies (one without bucket_account, whose owner discovery finds),
// delivery roles for CloudWatch Logs and for Firehose across accounts (one
// adopted), the organization, and prune.
var specTemplate = template.Must(template.New("spec").Parse(`version: 1
name: proof
prune: true
{{- if not .OrgOnly}}
accounts:
  - {id: "333333333333", alias: log-archive, assume_role: "arn:aws:iam::333333333333:role/FlowplanRunner", regions: [us-east-1]}
{{- end}}
organization:
  assume_role_name: FlowplanRunner
  regions: [us-east-1, eu-west-1]
  exclude_accounts: ["900000000000", "666666666666"]
{{- if .IncludeOUs}}
  include_ous: {{.IncludeOUs}}
{{- end}}
defaults: {traffic_type: ALL, max_aggregation_interval: 600, tags: {owner: {{.Owner}}}}
delivery_roles:
  proof-cwl: {path: /flowplan/, adopt: true{{if .Boundary}}, permissions_boundary: "{{.Boundary}}"{{end}}}
{{- if .Firehose}}
  proof-firehose: {path: /flowplan/}
{{- end}}
flow_logs:
  - name: vpcs-cwl
{{- if .VPCRegions}}
    regions: {{.VPCRegions}}
{{- end}}
    targets: {vpcs: {tags: {env: prod}}}
    destination: {cloudwatch_logs: {log_group: "/proof/{account_id}/{region}"{{if .Retention}}, retention_days: {{.Retention}}{{end}}, delivery_role: proof-cwl}}
  - name: {{.NatRule}}
    regions: [us-east-1]
    targets: {regional_nat_gateways: {all: true}}
    destination: {cloudwatch_logs: {log_group: /proof/nat{{if .NatKMS}}, kms_key_arn: "{{.NatKMS}}"{{end}}, delivery_role: proof-cwl}}
{{- if not .OrgOnly}}
  - name: subnets-s3
    traffic_type: {{.SubnetTraffc}}
    targets: {subnets: {tags: {tier: public}}}
    destination: {s3: {bucket_arn: "arn:aws:s3:::proof-archive", manage_bucket_policy: true, bucket_account: "333333333333"}}
{{- end}}
{{- if .Firehose}}
  - name: enis-firehose
    accounts: ["111111111111"]
    regions: [us-east-1]
    targets: {network_interfaces: {tags: {app: web}}}
    destination:
      firehose:
        delivery_stream_arn: arn:aws:firehose:us-east-1:666666666666:deliverystream/proof-stream
        delivery_role: proof-firehose
        cross_account_role: arn:aws:iam::666666666666:role/AWSLogDeliveryFirehoseCrossAccountRole
{{- end}}
{{- if not .OrgOnly}}
  - name: tgw-s3
    regions: [us-east-1]
{{- if .TGWAccounts}}
    accounts: {{.TGWAccounts}}
{{- end}}
    targets: {transit_gateways: {{.TGWTargets}}, transit_gateway_attachments: {{.TGWTargets}}}
    destination: {s3: {bucket_arn: "arn:aws:s3:::proof-tgw", manage_bucket_policy: true}}
{{- end}}
`))

func (p params) spec() (*spec.Spec, error) {
	var b bytes.Buffer
	if err := specTemplate.Execute(&b, p); err != nil {
		return nil, err
	}
	return spec.Parse("proof.yaml", b.Bytes())
}

// step is one scenario: the spec it applies, what changes out of band
// before it, and whether drift must be found before apply.
type step struct {
	name   string
	params params
	before func(w *world) error
	drift  bool
	// audit runs `flowplan audit --evidence --all-vpcs`'s calls after
	// apply, with the audit policy.
	audit bool
	// want are the actions the step's plan must have, so that it shows
	// what it is for.
	want []engine.Action
}

// scenario is the steps, in order, each building on the last: create
// (with an adoption), update in place (tags, a rule renamed, retention, a
// key, a boundary), take settings away (retention, key, boundary, a region),
// replace, prune (a rule and its delivery role; a bucket's last
// statements), and drift put right.
func scenario() []step {
	p := baseParams()
	var steps []step
	add := func(name string, change func(*params), before func(*world) error, drift bool, want ...engine.Action) {
		if change != nil {
			change(&p)
		}
		steps = append(steps, step{name: name, params: p, before: before, drift: drift, want: want})
	}
	add("create and adopt", nil, nil, false, engine.Create, engine.Adopt)
	add("update in place", func(p *params) {
		p.Owner, p.NatRule, p.Retention = "secops", "nat-gateways-cwl", 90
		p.NatKMS = "arn:aws:kms:us-east-1:111111111111:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
		p.Boundary = "arn:aws:iam::aws:policy/PowerUserAccess"
	}, nil, false, engine.Update)
	add("take settings away", func(p *params) {
		p.Retention, p.NatKMS, p.Boundary, p.VPCRegions = 0, "", "", "[us-east-1]"
	}, nil, false, engine.Update, engine.Delete)
	add("replace", func(p *params) { p.SubnetTraffc = "REJECT" }, nil, false, engine.Replace)
	// The transit gateway rule now names only an account that has left
	// the organization: it applies to no account, so its flow logs are
	// pruned, and with them its bucket's statements, the policy's last
	// (a bucket's statements stay while a rule sending there applies to
	// an account, whether or not it has targets).
	add("prune", func(p *params) { p.Firehose, p.TGWAccounts = false, `["777777777777"]` }, nil, false, engine.Delete)
	add("drift", nil, func(w *world) error { return w.deleteManagedFlowLog(staging, homeRegion) }, true, engine.Create)
	// The audit runs with the transit gateway rule applying again (its
	// flow logs and statements are made again first), so that it reads
	// every kind of target.
	audited := p
	audited.TGWAccounts = ""
	steps = append(steps, step{name: "audit with evidence", params: audited, audit: true})
	return steps
}

// world is one emulator with the proof world, and the harness's own keys.
type world struct {
	t      testing.TB
	emu    *awsemu.Emulator
	admin  map[string]aws.Credentials // a full-access key per account
	caller aws.CredentialsProvider
	// calls collects, when not nil, the operations flowplan made in each
	// step, per principal (the caller's are those in the management
	// account), with the step's spec.
	calls []stepCalls
	// warnings are the warnings the provider logged in the current phase:
	// a call refused where flowplan goes on without its answer (the region
	// check's DescribeRegions) is logged, not returned.
	warnings *warnings
}

// warnings is a slog.Handler that keeps the text of each warning.
type warnings struct {
	mu   sync.Mutex
	list []string
}

func (h *warnings) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h *warnings) Handle(_ context.Context, r slog.Record) error {
	msg := r.Message
	r.Attrs(func(a slog.Attr) bool {
		msg += " " + a.Key + "=" + a.Value.String()
		return true
	})
	h.mu.Lock()
	h.list = append(h.list, msg)
	h.mu.Unlock()
	return nil
}

func (h *warnings) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *warnings) WithGroup(string) slog.Handler      { return h }

// take returns the warnings logged since the last take.
func (h *warnings) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.list
	h.list = nil
	return out
}

// stepCalls are the operations one step made.
type stepCalls struct {
	spec  *spec.Spec
	mode  runnerpolicy.Mode
	calls map[runnerpolicy.Principal]map[string]bool
}

func newWorld(t testing.TB) *world {
	t.Helper()
	emu := awsemu.New(awsemu.Options{EnforceIAM: true})
	if err := emu.LoadWorldFile("testdata/world.yaml"); err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, emu: emu, admin: map[string]aws.Credentials{}, warnings: &warnings{}}
	for _, acct := range append([]string{management}, runnerAccounts...) {
		id, secret, err := emu.AddCredentials(acct, "")
		if err != nil {
			t.Fatal(err)
		}
		w.admin[acct] = aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}
	}
	base := credentials.NewStaticCredentialsProvider("AKIAPOLICYPROOFMGMT0", "policy-proof-management-secret", "")
	w.caller = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(w.config(base)), callerRole,
		func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = "ci" }))
	if _, err := w.caller.Retrieve(context.Background()); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) config(creds aws.CredentialsProvider) aws.Config {
	return aws.Config{Region: homeRegion, Credentials: creds, BaseEndpoint: aws.String(endpoint), HTTPClient: w.emu.HTTPClient(), RetryMaxAttempts: 1}
}

// policies are the documents installed on the roles.
type policies struct {
	runner, caller *runnerpolicy.Policy
}

func generate(s *spec.Spec, m runnerpolicy.Mode) policies {
	return policies{runner: runnerpolicy.Generate(s, m, runnerpolicy.Runner), caller: runnerpolicy.Generate(s, m, runnerpolicy.Caller)}
}

// install puts the runner policy on every FlowplanRunner and the caller
// policy on FlowplanCaller, as their only inline policies, with the
// accounts' own keys (uncounted: counters are reset before flowplan runs).
func (w *world) install(ctx context.Context, p policies) error {
	put := func(acct, role string, pol *runnerpolicy.Policy) error {
		c := iam.NewFromConfig(w.config(credentials.StaticCredentialsProvider{Value: w.admin[acct]}))
		_, _ = c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String("flowplan")})
		if len(pol.Statements) == 0 {
			return nil
		}
		doc, err := pol.JSON()
		if err != nil {
			return err
		}
		_, err = c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String("flowplan"), PolicyDocument: aws.String(string(doc))})
		return err
	}
	for _, acct := range runnerAccounts {
		if err := put(acct, "FlowplanRunner", p.runner); err != nil {
			return fmt.Errorf("install the runner policy in %s: %w", acct, err)
		}
	}
	if err := put(management, "FlowplanCaller", p.caller); err != nil {
		return fmt.Errorf("install the caller policy: %w", err)
	}
	return nil
}

func (w *world) provider(ctx context.Context) (*awsprovider.Provider, error) {
	return awsprovider.New(ctx, awsprovider.Options{
		Region: homeRegion, EndpointURL: endpoint, HTTPClient: w.emu.HTTPClient(), Credentials: w.caller,
		SessionName: awsprovider.SessionName("proof"), MaxAttempts: 1,
		Logger: slog.New(w.warnings),
	})
}

// record runs fn with the call counters reset, adding what flowplan called
// to w.calls when that is being collected.
func (w *world) record(s *spec.Spec, m runnerpolicy.Mode, fn func() error) error {
	w.emu.ResetCounts()
	w.warnings.take()
	err := fn()
	if err == nil {
		// A refusal flowplan works around is still a refusal: the policy
		// lacks what the run needed.
		for _, msg := range w.warnings.take() {
			if denied.MatchString(msg) {
				err = fmt.Errorf("warning: %s", msg)
				break
			}
		}
	}
	if w.calls != nil {
		sc := stepCalls{spec: s, mode: m, calls: map[runnerpolicy.Principal]map[string]bool{runnerpolicy.Runner: {}, runnerpolicy.Caller: {}}}
		for k := range w.emu.Counts() {
			p := runnerpolicy.Runner
			if k.Account == management {
				p = runnerpolicy.Caller
			}
			sc.calls[p][k.Service+":"+k.Action] = true
		}
		w.calls = append(w.calls, sc)
	}
	return err
}

// stepFailure is a failed scenario step, with why.
type stepFailure struct {
	step, phase string
	err         error
}

func (f *stepFailure) Error() string { return fmt.Sprintf("step %q, %s: %v", f.step, f.phase, f.err) }

// run runs one step as flowplan would: plan with the plan policy (drift
// with the drift policy when the step expects drift), then apply with the
// apply policy, then plan again, which must be empty. mutate, if set,
// changes each generated policy before it is installed.
func (w *world) run(ctx context.Context, st step, mutate func(runnerpolicy.Mode, policies) policies) error {
	s, err := st.params.spec()
	if err != nil {
		return fmt.Errorf("step %q: spec: %w", st.name, err)
	}
	if st.before != nil {
		if err := st.before(w); err != nil {
			return fmt.Errorf("step %q: %w", st.name, err)
		}
	}
	fail := func(phase string, err error) error { return &stepFailure{step: st.name, phase: phase, err: err} }
	install := func(m runnerpolicy.Mode) error {
		p := generate(s, m)
		if mutate != nil {
			p = mutate(m, p)
		}
		return w.install(ctx, p)
	}
	readMode := runnerpolicy.Plan
	if st.drift {
		readMode = runnerpolicy.Drift
	}
	if err := install(readMode); err != nil {
		return err
	}
	err = w.record(s, readMode, func() error {
		p, err := w.provider(ctx)
		if err != nil {
			return err
		}
		sv, err := engine.MakeSurvey(ctx, p, s, engine.Options{})
		if err != nil {
			return err
		}
		if err := planErrors(sv.Plan); err != nil {
			return err
		}
		if st.drift && !engine.DetectDrift(sv, engine.DriftOptions{}).Drifted() {
			return errors.New("no drift found")
		}
		counts := sv.Plan.Counts()
		for _, a := range st.want {
			if counts[a] == 0 {
				return fmt.Errorf("the plan has no %s change: %v", a, counts)
			}
		}
		if *logSteps {
			var changes []string
			for _, c := range sv.Plan.Changes {
				if c.Action != engine.NoOp {
					changes = append(changes, string(c.Action)+" "+c.Addr.String())
				}
			}
			w.t.Logf("step %q plans: %s", st.name, strings.Join(changes, "\n  "))
		}
		return nil
	})
	if err != nil {
		return fail(string(readMode), err)
	}
	if err := install(runnerpolicy.Apply); err != nil {
		return err
	}
	err = w.record(s, runnerpolicy.Apply, func() error {
		p, err := w.provider(ctx)
		if err != nil {
			return err
		}
		plan, err := engine.MakePlan(ctx, p, s, engine.Options{})
		if err != nil {
			return err
		}
		if err := planErrors(plan); err != nil {
			return err
		}
		// As `flowplan apply` does: take the spec's apply lock, apply,
		// release it.
		lock, err := engine.AcquireLock(ctx, p, engine.LockScope(s), engine.LockOptions{Holder: "policyproof"})
		if err != nil {
			return err
		}
		_, err = engine.Apply(ctx, p, plan, engine.Options{})
		if rerr := lock.Release(ctx); err == nil {
			err = rerr
		}
		if err != nil {
			return err
		}
		again, err := engine.MakePlan(ctx, p, s, engine.Options{})
		if err != nil {
			return err
		}
		if err := planErrors(again); err != nil {
			return err
		}
		if !again.Empty() {
			var left []string
			for _, c := range again.Changes {
				if c.Action != engine.NoOp {
					left = append(left, string(c.Action)+" "+c.Addr.String())
				}
			}
			return fmt.Errorf("the plan after apply is not empty: %s", strings.Join(left, "; "))
		}
		return nil
	})
	if err != nil {
		return fail("apply", err)
	}
	if !st.audit {
		return nil
	}
	if err := install(runnerpolicy.Audit); err != nil {
		return err
	}
	err = w.record(s, runnerpolicy.Audit, func() error { return w.audit(ctx, s) })
	if err != nil {
		return fail(string(runnerpolicy.Audit), err)
	}
	return nil
}

// audit makes the calls `flowplan audit --evidence --all-vpcs` makes:
// discovery reading every VPC and interface, the caller's identity, and
// each destination's newest records. An evidence read that AWS refuses
// shows as an unavailable unit, not an error, so it is one here.
func (w *world) audit(ctx context.Context, s *spec.Spec) error {
	p, err := w.provider(ctx)
	if err != nil {
		return err
	}
	sv, err := engine.MakeSurvey(ctx, p, s, engine.Options{AlsoRead: []spec.TargetKind{spec.TargetVPC, spec.TargetNetworkInterface}})
	if err != nil {
		return err
	}
	if err := planErrors(sv.Plan); err != nil {
		return err
	}
	a, err := engine.MakeAudit(s, sv, engine.AuditOptions{AllVPCs: true})
	if err != nil {
		return err
	}
	if _, _, _, err := p.CallerIdentity(ctx); err != nil {
		return err
	}
	engine.CollectEvidence(ctx, p, a, sv.Current, engine.EvidenceOptions{MaxAge: time.Hour, Now: time.Now()})
	read := 0
	for _, u := range a.Units {
		if e := u.Evidence; e != nil {
			if e.Status == engine.EvidenceUnavailable && strings.Contains(e.Detail, "could not read") {
				return errors.New(e.Detail)
			}
			read++
		}
	}
	if read == 0 {
		return errors.New("the audit read no evidence")
	}
	return nil
}

func planErrors(p *engine.Plan) error {
	if len(p.Errors) == 0 {
		return nil
	}
	var msgs []string
	for _, e := range p.Errors {
		msgs = append(msgs, e.Scope+": "+e.Code+": "+e.Message)
	}
	return errors.New(strings.Join(msgs, "; "))
}

// runAll runs the scenario in a fresh world and returns the first failure.
func runAll(ctx context.Context, t testing.TB, mutate func(runnerpolicy.Mode, policies) policies, collect bool) (*world, error) {
	return runSteps(ctx, t, scenario(), mutate, collect)
}

// runSteps runs steps in a fresh world and returns the first failure.
func runSteps(ctx context.Context, t testing.TB, steps []step, mutate func(runnerpolicy.Mode, policies) policies, collect bool) (*world, error) {
	w := newWorld(t)
	if collect {
		w.calls = []stepCalls{}
	}
	for _, st := range steps {
		if err := w.run(ctx, st, mutate); err != nil {
			return w, err
		}
	}
	return w, nil
}

// deleteManagedFlowLog deletes one of spec proof's flow logs out of band.
func (w *world) deleteManagedFlowLog(acct, region string) error {
	for _, fl := range w.emu.FlowLogs(acct, region) {
		if fl.Tags[engine.TagSpec] == "proof" {
			return w.emu.DeleteFlowLog(acct, region, fl.ID)
		}
	}
	return fmt.Errorf("no flow log of spec proof in %s/%s", acct, region)
}

// without returns p without action in statement sid (and without the
// statement when that was its only action).
func without(p *runnerpolicy.Policy, sid, action string) *runnerpolicy.Policy {
	out := *p
	out.Statements = nil
	for _, st := range p.Statements {
		if st.Sid == sid {
			st.Actions = slices.DeleteFunc(slices.Clone(st.Actions), func(a string) bool { return a == action })
			if len(st.Actions) == 0 {
				continue
			}
		}
		out.Statements = append(out.Statements, st)
	}
	return &out
}
