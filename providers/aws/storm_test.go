package aws

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/internal/arn"
	"github.com/flowplan/flowplan/providers/awsemu"
	"github.com/flowplan/flowplan/spec"
)

// These tests use awsemu's fault injection, which moto does not have.

// TestIAMPropagationDelay applies a new delivery role, its policy and the
// flow logs that use it in one go, as the engine does, while the emulator
// keeps the role unusable for a while: CreateFlowLogs is refused with
// "Unable to assume given IAM role" until then, and the provider waits,
// reporting it, instead of failing. With a timeout shorter than the delay
// it gives up with AWS's error.
func TestIAMPropagationDelay(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration
		wantErr bool
	}{
		{name: "waits for the role", timeout: DefaultIAMPropagationTimeout},
		{name: "gives up after the timeout", timeout: 100 * time.Millisecond, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			be := emuBackend(t, awsemu.Options{IAMPropagationDelay: 600 * time.Millisecond})
			ev := &events{}
			p := newTestProvider(t, be, func(o *Options) { o.Reporter = ev; o.IAMPropagationTimeout = tt.timeout })
			acct := testAccount("111111111111", testRegion)
			ids := be.seed(t, p, (&seed{}).vpcs(acct.ID+"/"+testRegion, manyVPCs(3)...))

			owned := map[string]string{engine.TagSpec: "test", engine.TagRule: "prod"}
			role := roleResourceFor(acct.ID, "flowplan-flow-logs", "/", trustPolicy, "", owned)
			created := mustApply(t, p, batch(acct, engine.GlobalRegion, engine.KindRole, engine.OpCreate, &engine.Change{Addr: role.Addr, After: role}))
			pol := &engine.Resource{Addr: engine.Addr{Account: acct.ID, Region: engine.GlobalRegion, Kind: engine.KindRolePolicy, Name: "flowplan-flow-logs/flowplan-delivery"},
				RolePolicy: &engine.RolePolicy{RoleName: "flowplan-flow-logs", PolicyName: "flowplan-delivery", Document: deliveryPolicy}}
			mustApply(t, p, batch(acct, engine.GlobalRegion, engine.KindRolePolicy, engine.OpCreate, &engine.Change{Addr: pol.Addr, After: pol}))
			var changes []*engine.Change
			for i := range 3 {
				changes = append(changes, flowLogChange(acct.ID, "prod", ids[fmt.Sprint("vpc", i)], engine.FlowLog{TrafficType: "ALL",
					DestinationType: "cloud-watch-logs", Destination: arn.LogGroup(acct.ID, testRegion, "/vpc-flow-logs"),
					DeliverLogsPermissionARN: created[0].Resource.ID}))
			}
			start := time.Now()
			out := p.Apply(context.Background(), batch(acct, testRegion, engine.KindFlowLog, engine.OpCreate, changes...))
			waited := time.Since(start)

			for _, o := range out {
				switch {
				case tt.wantErr && (ErrorCode(o.Err) != "InvalidParameter" || o.Resource != nil):
					t.Errorf("%s: %v, want InvalidParameter (Unable to assume given IAM role)", o.Change.Addr, o.Err)
				case !tt.wantErr && (o.Err != nil || o.Resource == nil):
					t.Errorf("%s: %v", o.Change.Addr, o.Err)
				}
			}
			if n := ev.count(engine.EventIAMWait); n == 0 {
				t.Error("no IAM wait was reported")
			}
			if calls := be.emu.Count("ec2", "CreateFlowLogs"); calls < 2 {
				t.Errorf("CreateFlowLogs calls = %d, want retries", calls)
			}
			if !tt.wantErr && waited < 600*time.Millisecond {
				t.Errorf("finished after %s, before the role could have propagated", waited)
			}
		})
	}
}

// cancelOn is a Reporter that cancels an apply at the first event of a
// type.
type cancelOn struct {
	typ    engine.EventType
	cancel context.CancelCauseFunc
}

func (c cancelOn) Report(ev engine.Event) {
	if ev.Type == c.typ {
		c.cancel(errors.New("interrupted by SIGINT"))
	}
}

// TestIAMWaitEndsOnInterrupt interrupts an apply while CreateFlowLogs
// waits for a new delivery role to propagate: the wait ends at once,
// without another CreateFlowLogs, and the flow logs are reported
// interrupted (not made), not failed. Were the wait to go on, it would end
// with AWS's refusal after IAMPropagationTimeout, a failure.
func TestIAMWaitEndsOnInterrupt(t *testing.T) {
	be := emuBackend(t, awsemu.Options{IAMPropagationDelay: time.Hour})
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	p := newTestProvider(t, be, func(o *Options) {
		o.Reporter = cancelOn{typ: engine.EventIAMWait, cancel: cancel}
		o.IAMPropagationTimeout = 30 * time.Second
	})
	acct := testAccount("111111111111", testRegion)
	ids := be.seed(t, p, (&seed{}).vpcs(acct.ID+"/"+testRegion, manyVPCs(2)...))
	role := roleResourceFor(acct.ID, "flowplan-flow-logs", "/", trustPolicy, "", map[string]string{engine.TagSpec: "test", engine.TagRule: "prod"})
	created := mustApply(t, p, batch(acct, engine.GlobalRegion, engine.KindRole, engine.OpCreate, &engine.Change{Addr: role.Addr, After: role}))
	plan := &engine.Plan{ID: "plan-interrupt", Spec: engine.SpecRef{Name: "test"}, Accounts: []engine.Account{acct}}
	for i := range 2 {
		plan.Changes = append(plan.Changes, flowLogChange(acct.ID, "prod", ids[fmt.Sprint("vpc", i)], engine.FlowLog{TrafficType: "ALL",
			DestinationType: "cloud-watch-logs", Destination: arn.LogGroup(acct.ID, testRegion, "/vpc-flow-logs"),
			DeliverLogsPermissionARN: created[0].Resource.ID}))
	}
	be.emu.ResetCounts()
	res, err := engine.Apply(ctx, p, plan, engine.Options{})
	var ie *engine.InterruptedError
	if !errors.As(err, &ie) || ie.Failed != nil {
		t.Fatalf("err = %v, want an interrupt and no failure", err)
	}
	for _, c := range res.Changes {
		if c.Status != engine.StatusInterrupted || !strings.Contains(c.Error, "stopped waiting for IAM to propagate the delivery role") {
			t.Errorf("%s: %s: %s", c.Addr, c.Status, c.Error)
		}
	}
	if n := be.emu.Count("ec2", "CreateFlowLogs"); n != 1 {
		t.Errorf("CreateFlowLogs calls = %d, want 1 (no retry after the interrupt)", n)
	}
}

// scaledBackoff is the SDK's backoff shape (exponential, full jitter, 20 s
// cap, 1 s base for throttles) divided by scale, for an emulator whose
// clock runs scale times faster.
func scaledBackoff(scale float64) retry.BackoffDelayer {
	throttle := retry.IsErrorThrottles(retry.DefaultThrottles)
	return retry.BackoffDelayerFunc(func(attempt int, err error) (time.Duration, error) {
		base := 50 * time.Millisecond
		if throttle.IsErrorThrottle(err).Bool() {
			base = time.Second
		}
		d := min(base*time.Duration(1<<min(attempt, 10)), 20*time.Second)
		return time.Duration(rand.Float64() * float64(d) / scale), nil
	})
}

// fastClock runs scale times faster than the wall clock, so that AWS's
// token buckets refill within a test's time.
func fastClock(scale float64) func() time.Time {
	start := time.Now()
	return func() time.Time { return start.Add(time.Duration(float64(time.Since(start)) * scale)) }
}

// TestThrottlingStorm runs a plan's discovery and an apply against an
// account whose calls exceed AWS's token buckets (CloudWatch Logs allows 5
// ListTagsForResource and PutRetentionPolicy a second; EC2's describe bucket
// is shared by four concurrent discoveries). Everything finishes, slower,
// with no error, and the throttles are counted and reported. The
// emulator's clock and the provider's backoff are both scaled by 50.
func TestThrottlingStorm(t *testing.T) {
	const scale = 50
	be := emuBackend(t, awsemu.Options{Clock: fastClock(scale)})
	ev := &events{}
	// Unpaced: this test is of the retries of throttled calls, which
	// pacing (TestProviderPacesCallsAtAWSRates) exists to avoid.
	p := newTestProvider(t, be, func(o *Options) { o.Reporter = ev; o.NoRateLimits = true })
	p.retryBackoff = scaledBackoff(scale)
	acct := testAccount("111111111111", testRegion)
	be.seed(t, p, (&seed{}).vpcs(acct.ID+"/"+testRegion, manyVPCs(40)...))
	be.emu.SetThrottling(true)

	// Apply: 40 log groups, each CreateLogGroup and PutRetentionPolicy.
	var names []string
	var changes []*engine.Change
	for i := range 40 {
		name := fmt.Sprintf("/vpc-flow-logs/%02d", i)
		names = append(names, name)
		lg := logGroupChange(acct.ID, name, 30, "", map[string]string{engine.TagSpec: "test", engine.TagRule: "prod"})
		changes = append(changes, &engine.Change{Addr: lg.Addr, After: lg})
	}
	mustApply(t, p, batch(acct, testRegion, engine.KindLogGroup, engine.OpCreate, changes...))

	// Discovery: four plans at once over the same account-region, each
	// reading every VPC kind and the 40 log groups with their tags.
	q := engine.RegionQuery{Account: acct, Region: testRegion, LogGroupNames: names,
		TargetKinds: []spec.TargetKind{spec.TargetVPC, spec.TargetSubnet, spec.TargetNetworkInterface, spec.TargetTransitGateway, spec.TargetTransitGatewayAttachment}}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			st, err := p.DiscoverRegion(context.Background(), q)
			if err == nil && len(st.LogGroups) != 40 {
				err = fmt.Errorf("found %d log groups, want 40", len(st.LogGroups))
			}
			for _, g := range st.LogGroups {
				if err == nil && g.Tags[engine.TagSpec] != "test" {
					err = fmt.Errorf("log group %s lost its tags", g.Addr)
				}
			}
			errs[i] = err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	throttles := p.Stats().Throttles()
	if throttles < 40 {
		t.Errorf("throttles retried = %d, want the storm to have throttled many calls", throttles)
	}
	if n := ev.count(engine.EventThrottled); n != throttles {
		t.Errorf("throttle events = %d, want %d", n, throttles)
	}
	t.Logf("%d calls, %d throttled and retried", p.Stats().Calls(), throttles)
}
