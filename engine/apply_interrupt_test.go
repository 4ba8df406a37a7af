package engine_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowplan/flowplan/engine"
)

// interruptAt returns a BeforeApply hook that cancels the apply's context
// (with cause) when the first batch matching match starts, and records
// what the batch's own context looked like then.
type interruptAt struct {
	match  func(*engine.Batch) bool
	cancel context.CancelCauseFunc
	cause  error

	mu sync.Mutex
	// fired is set once the interrupt was sent.
	fired bool
	// inflightCtxErr is the in-flight batch's context error just after the
	// interrupt: nil, since it is detached from the apply's cancellation.
	inflightCtxErr error
	// signalled reports whether engine.Interrupted(ctx) was closed for it.
	signalled bool
	// after lists the batches that started after the interrupt.
	after []string
}

func (h *interruptAt) hook(ctx context.Context, b *engine.Batch) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fired {
		h.after = append(h.after, fmt.Sprintf("%s/%s %s %s", b.Account.ID, b.Region, b.Op, b.Kind))
		return
	}
	if !h.match(b) {
		return
	}
	h.fired = true
	h.cancel(h.cause)
	h.inflightCtxErr = ctx.Err()
	select {
	case <-engine.Interrupted(ctx):
		h.signalled = true
	case <-time.After(10 * time.Second):
	}
}

func statuses(res *engine.Result) map[engine.ChangeStatus]int {
	n := map[engine.ChangeStatus]int{}
	for _, c := range res.Changes {
		n[c.Status]++
	}
	return n
}

// An interrupt lets the batch in flight finish, and what it made is
// reported applied; batches not started are not attempted. A second apply
// finishes the job: every change reported applied is gone from its plan,
// every interrupted one is in it, and nothing is duplicated.
func TestInterruptLetsTheBatchInFlightFinish(t *testing.T) {
	p, s := fixture(false)
	plan := makePlan(t, p, s, engine.Options{})
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	h := &interruptAt{cause: errors.New("interrupted by SIGINT"), cancel: cancel, match: func(b *engine.Batch) bool {
		return b.Kind == engine.KindLogGroup && b.Account.ID == acctA && b.Region == "us-east-1"
	}}
	p.BeforeApply = h.hook
	res, err := engine.Apply(ctx, p, plan, engine.Options{Parallelism: 1})
	if !h.fired {
		t.Fatal("the interrupt was never sent")
	}
	if h.inflightCtxErr != nil || !h.signalled {
		t.Errorf("in-flight batch: ctx.Err() = %v (want nil: detached), Interrupted closed = %v (want true)", h.inflightCtxErr, h.signalled)
	}
	if len(h.after) != 0 {
		t.Errorf("batches started after the interrupt: %v", h.after)
	}
	var ie *engine.InterruptedError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v, want an *engine.InterruptedError", err)
	}
	n := statuses(res)
	if n[engine.StatusFailed] != 0 || n[engine.StatusSkipped] != 0 {
		t.Errorf("statuses = %v: an interrupt fails nothing", n)
	}
	if ie.Applied != n[engine.StatusApplied] || ie.Interrupted != n[engine.StatusInterrupted] || ie.Total != len(res.Changes) || ie.Applied == 0 || ie.Interrupted == 0 {
		t.Errorf("InterruptedError = %+v, statuses %v of %d", ie, n, len(res.Changes))
	}
	if !strings.Contains(err.Error(), "apply interrupted (interrupted by SIGINT)") {
		t.Errorf("error = %q, want the cause in it", err)
	}
	for _, c := range res.Changes {
		if c.Addr.String() == acctA+"/us-east-1/log_group//vpc-flow-logs/"+acctA+"/us-east-1" && c.Status != engine.StatusApplied {
			t.Errorf("the log group in flight at the interrupt: %s %s, want applied", c.Status, c.Error)
		}
		if c.Status == engine.StatusInterrupted && !strings.Contains(c.Error, "not attempted: the apply was interrupted (interrupted by SIGINT)") &&
			!strings.Contains(c.Error, "which the interrupted apply did not make") {
			t.Errorf("%s: error %q does not say it was not attempted", c.Addr, c.Error)
		}
	}

	again := makePlan(t, p, s, engine.Options{})
	pending := map[string]bool{}
	for _, c := range again.Changes {
		if c.Action != engine.NoOp {
			pending[c.Addr.String()] = true
		}
	}
	for _, c := range res.Changes {
		if (c.Status == engine.StatusApplied) == pending[c.Addr.String()] {
			t.Errorf("%s was reported %s, but the next plan has it pending = %v", c.Addr, c.Status, pending[c.Addr.String()])
		}
	}
	p.BeforeApply = nil
	apply(t, p, again, engine.Options{})
	if last := makePlan(t, p, s, engine.Options{}); !last.Empty() {
		t.Errorf("plan after the second apply is not empty:\n%s", strings.Join(actions(last), "\n"))
	}
	for _, id := range []string{"vpc-a1", "vpc-a3", "vpc-b1", "subnet-a1", "subnet-b1"} {
		if got := len(p.World.FlowLogsOn(id)); got != 1 {
			t.Errorf("%s has %d flow logs, want 1", id, got)
		}
	}
}

// A change whose first part ran before the interrupt gets its second part
// too: a replaced flow log is not left with both the old and the new one.
func TestInterruptFinishesAReplacementUnderWay(t *testing.T) {
	p, s := fixture(false)
	apply(t, p, makePlan(t, p, s, engine.Options{}), engine.Options{})
	old := p.World.FlowLogsOn("vpc-a1")[0].ID
	s.Rules[0].TrafficType = "REJECT"
	plan := makePlan(t, p, s, engine.Options{Targets: []string{acctA + "/us-east-1/flow_log/prod-vpcs/vpc-a1"}})
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	h := &interruptAt{cause: errors.New("interrupted by SIGTERM"), cancel: cancel, match: func(b *engine.Batch) bool {
		return b.Kind == engine.KindFlowLog && b.Op == engine.OpCreate
	}}
	p.BeforeApply = h.hook
	res, err := engine.Apply(ctx, p, plan, engine.Options{})
	if err != nil {
		t.Fatalf("Apply: %v (nothing was left undone, so it is no error)", err)
	}
	if len(h.after) != 1 || h.after[0] != acctA+"/us-east-1 delete flow_log" {
		t.Errorf("after the interrupt: %v, want the replacement's delete only", h.after)
	}
	fls := p.World.FlowLogsOn("vpc-a1")
	if len(fls) != 1 || fls[0].ID == old {
		t.Errorf("flow logs on vpc-a1 = %d (old %s still there?)", len(fls), old)
	}
	if r := res.Changes[0]; r.Status != engine.StatusApplied {
		t.Errorf("replacement: %s %s", r.Status, r.Error)
	}
}

// A provider that stops before making a change (ErrInterrupted) reports
// it interrupted, not failed; the changes that depend on it are not
// attempted, not skipped.
func TestProviderStoppedByTheInterrupt(t *testing.T) {
	p, s := fixture(false)
	plan := makePlan(t, p, s, engine.Options{Targets: []string{acctB}})
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	p.ApplyF = func(ctx context.Context, b *engine.Batch) []engine.Outcome {
		out := make([]engine.Outcome, len(b.Changes))
		for i, c := range b.Changes {
			out[i].Change = c
			switch b.Kind {
			case engine.KindRole:
				cancel(errors.New("interrupted by SIGINT"))
				<-engine.Interrupted(ctx)
				out[i].Err = fmt.Errorf("%w: stopped waiting for IAM propagation", engine.ErrInterrupted)
			case engine.KindBucketPolicyStatement, engine.KindLogGroup:
				// These need no role: their account-regions may have gone
				// first.
				out[i].Resource = c.After
			default:
				out[i].Err = errors.New("called although the role it needs was not made")
			}
		}
		return out
	}
	// One call at a time: none starts alongside the role's.
	res, err := engine.Apply(ctx, p, plan, engine.Options{Parallelism: 1})
	var ie *engine.InterruptedError
	if !errors.As(err, &ie) || ie.Failed != nil {
		t.Fatalf("err = %v, want an interrupt and no failure", err)
	}
	for _, c := range res.Changes {
		switch {
		case c.Addr.Kind == engine.KindBucketPolicyStatement || c.Addr.Kind == engine.KindLogGroup:
		case c.Status != engine.StatusInterrupted:
			t.Errorf("%s: %s %s", c.Addr, c.Status, c.Error)
		case c.Addr.Kind == engine.KindRole && !strings.Contains(c.Error, "stopped before it was made"):
			t.Errorf("role: %q", c.Error)
		case c.Addr.Kind != engine.KindRole && !strings.Contains(c.Error, "which the interrupted apply did not make") && !strings.Contains(c.Error, "not attempted"):
			t.Errorf("%s: %q", c.Addr, c.Error)
		}
	}
}

// A call still running when the grace period ends is cut; its outcome is
// unknown, and the change is reported interrupted, saying so.
func TestGracePeriodCutsCallsInFlight(t *testing.T) {
	p, s := fixture(false)
	plan := makePlan(t, p, s, engine.Options{Targets: []string{acctB}})
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	var cutAddrs []string
	p.ApplyF = func(callCtx context.Context, b *engine.Batch) []engine.Outcome {
		for _, c := range b.Changes {
			cutAddrs = append(cutAddrs, c.Addr.String())
		}
		cancel(errors.New("interrupted by SIGINT"))
		<-callCtx.Done()
		out := make([]engine.Outcome, len(b.Changes))
		for i, c := range b.Changes {
			out[i] = engine.Outcome{Change: c, Err: fmt.Errorf("operation error IAM: CreateRole: %w", callCtx.Err())}
		}
		return out
	}
	res, err := engine.Apply(ctx, p, plan, engine.Options{InterruptGrace: time.Millisecond, Parallelism: 1})
	var ie *engine.InterruptedError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v", err)
	}
	if len(p.ApplyCalls()) != 1 || len(cutAddrs) == 0 {
		t.Fatalf("calls = %v, want the one cut", p.ApplyCalls())
	}
	for _, c := range res.Changes {
		if c.Status != engine.StatusInterrupted {
			t.Errorf("%s: %s", c.Addr, c.Status)
		}
		cut := slices.Contains(cutAddrs, c.Addr.String())
		if unknown := strings.Contains(c.Error, "whether AWS made it is unknown until the next plan"); unknown != cut {
			t.Errorf("%s (cut: %v): %q", c.Addr, cut, c.Error)
		}
	}
}
