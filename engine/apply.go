package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-multierror"
)

// Apply carries out a plan's changes through the provider and returns what
// happened to each (no-ops left out), sorted by address.
//
// Changes are grouped into batches by account, region, kind and operation.
// Each account-region runs its batches one after another: replaced roles
// are deleted first, then creates, updates and adopts follow the kind order
// (role, role policy, log group, bucket statement, flow log), then deletes
// run in reverse. A batch also waits for the batches, in any account-region,
// holding the changes it depends on. Account-regions run concurrently, at
// most opts.Parallelism provider calls at a time. A change whose dependency
// failed is skipped, with why; everything else carries on.
//
// A flow log replacement creates the new flow log first and deletes the old
// one only once the new one exists and its delivery has not failed. When
// AWS refuses the new one as a duplicate, the old one is deleted first and
// the result says so.
//
// Batches use plan.Accounts for credentials; CheckStaleLive refreshes them
// for a saved plan, whose file holds no external IDs. opts.Targets is not
// used: filter a plan with FilterTargets (MakePlan does) before applying it.
//
// When ctx ends (the user pressed Ctrl-C, say), Apply is interrupted: no
// further batch starts, and each change it did not start ends
// StatusInterrupted. A batch already under way runs to completion with a
// context detached from ctx's cancellation, so that a change AWS made is
// never reported as failed; so do the remaining parts of a change already
// under way (the delete half of a replacement), so that none is left half
// made. Those calls get opts.InterruptGrace (DefaultInterruptGrace) after
// ctx ends; a call still running then is cut, and its change ends
// StatusInterrupted with its outcome unknown. Providers end waits that
// precede a write at once (see Interrupted).
//
// The error collects every failed change (go-multierror); an interrupted
// apply returns an *InterruptedError holding them. The Result is complete
// either way.
func Apply(ctx context.Context, p Provider, plan *Plan, opts Options) (*Result, error) {
	if plan == nil {
		return nil, errors.New("apply: no plan")
	}
	if plan.ID == "" {
		return nil, errors.New("apply: the plan has no id; make plans with MakePlan (or set Plan.ID with NewPlanID)")
	}
	if err := CheckApplicable(plan); err != nil {
		return nil, fmt.Errorf("apply: %w", err)
	}
	e := newExecutor(p, plan, opts)
	e.run(ctx)
	return e.result(ctx)
}

// DefaultInterruptGrace is how long, once an apply is interrupted, the
// provider calls already in flight may run on: longer than one call takes
// while the SDK retries it through throttling (ten attempts, backoff up to
// 20 s) and than the read-back of new flow logs (up to two minutes, as
// EC2's guide recommends), the longest steps of a batch. A call still
// running after it is cut. A second signal kills flowplan at once anyway
// (cmd/flowplan).
const DefaultInterruptGrace = 2 * time.Minute

// interruptKey carries, in the context of provider calls during Apply, the
// channel closed when the apply is interrupted.
type interruptKey struct{}

// Interrupted returns a channel that is closed once the apply a provider
// call belongs to is interrupted; nil (never closed) outside Apply.
// Provider.Apply gets a context that is not cancelled by the interrupt, so
// that a write in flight completes; a wait before a write (for IAM
// propagation, say) should select on this channel too, and on it end with
// an error wrapping ErrInterrupted.
func Interrupted(ctx context.Context) <-chan struct{} {
	ch, _ := ctx.Value(interruptKey{}).(<-chan struct{})
	return ch
}

// InterruptedError is Apply's error when it was interrupted and some
// changes were not made (StatusInterrupted).
type InterruptedError struct {
	// Applied is how many changes were applied, of Total (no-ops left out).
	Applied, Total int
	// Interrupted is how many ended StatusInterrupted.
	Interrupted int
	// Cause is why: context.Cause of Apply's context.
	Cause error
	// Failed collects the changes that failed, as Apply's error does when
	// it is not interrupted; nil when none did.
	Failed error
}

func (e *InterruptedError) Error() string {
	s := fmt.Sprintf("apply interrupted (%s): %d of %d changes applied, %d not made", interruptCause(e.Cause), e.Applied, e.Total, e.Interrupted)
	if e.Failed != nil {
		s += "; " + e.Failed.Error()
	}
	return s
}

// Unwrap returns the cause and the failures.
func (e *InterruptedError) Unwrap() []error { return []error{e.Cause, e.Failed} }

// interruptCause says why an apply was interrupted, for messages.
func interruptCause(cause error) string {
	if cause == nil || errors.Is(cause, context.Canceled) && cause.Error() == context.Canceled.Error() {
		return "cancelled"
	}
	return cause.Error()
}

// ScopeErrorsError refuses a plan that has scope errors. A plan made while
// a scope could not be discovered, or with a planning error, is never
// applied, not even in part: delivery roles and bucket policies are shared
// across scopes, and what the plan writes to them was planned without the
// scopes in error, so it could cut those scopes off.
type ScopeErrorsError struct {
	// Errors are the plan's scope errors.
	Errors []ScopeError
}

func (e *ScopeErrorsError) Error() string {
	discovery, planning := 0, 0
	for _, se := range e.Errors {
		if se.Planning() {
			planning++
		} else {
			discovery++
		}
	}
	var what []string
	if discovery > 0 {
		what = append(what, fmt.Sprintf("discovery failed in %d scope(s)", discovery))
	}
	if planning > 0 {
		what = append(what, fmt.Sprintf("%d scope(s) have plan errors", planning))
	}
	return strings.Join(what, " and ") + "; nothing is applied, because the roles and bucket policies the plan writes were planned without those scopes. " +
		"Fix them, or leave those scopes out of the spec, and plan again"
}

// CheckApplicable returns a *ScopeErrorsError when the plan has scope
// errors, ErrMergedPlan for a merged report of shard plans, and nil when
// it may be applied.
func CheckApplicable(plan *Plan) error {
	if plan.Merged != nil {
		return ErrMergedPlan
	}
	if len(plan.Errors) == 0 {
		return nil
	}
	return &ScopeErrorsError{Errors: append([]ScopeError(nil), plan.Errors...)}
}

// batch is one Provider.Apply call's worth of changes, waiting for the
// batches before it.
type batch struct {
	account, region string
	kind            Kind
	part            part
	changes         []*Change
	after           []*batch
	done            chan struct{}
}

func (b *batch) scope() string { return b.account + "/" + b.region }

func (b *batch) step() int { return b.part.step(b.kind) }

// run is the state of one change during apply.
type run struct {
	c      *Change
	status ChangeStatus // "" while in progress
	err    error
	detail string
	res    *Resource
	// started is set once a provider call with the change began: an
	// interrupt no longer stops its remaining parts.
	started bool
}

type executor struct {
	p        Provider
	plan     *Plan
	rep      Reporter
	accounts map[string]Account
	sem      chan struct{}
	grace    time.Duration
	// calls is the context of provider calls: not cancelled by an
	// interrupt, but InterruptGrace after it (see run).
	calls context.Context

	mu      sync.Mutex
	runs    map[Addr]*run
	batches []*batch
}

func newExecutor(p Provider, plan *Plan, opts Options) *executor {
	grace := opts.InterruptGrace
	if grace <= 0 {
		grace = DefaultInterruptGrace
	}
	e := &executor{p: p, plan: plan, rep: opts.Reporter, accounts: map[string]Account{},
		sem: make(chan struct{}, opts.parallelism()), runs: map[Addr]*run{}, grace: grace}
	for _, a := range plan.Accounts {
		e.accounts[a.ID] = a
	}
	e.makeBatches()
	return e
}

// makeBatches groups the changes into batches and links them.
func (e *executor) makeBatches() {
	type key struct {
		account, region string
		kind            Kind
		part            part
	}
	byKey := map[key]*batch{}
	lastPart := map[Addr]*batch{}
	firstPart := map[Addr]*batch{}
	for _, c := range e.plan.Changes {
		if c == nil || c.Action == NoOp {
			continue
		}
		e.runs[c.Addr] = &run{c: c}
		if err := checkChange(c); err != nil {
			e.runs[c.Addr].status, e.runs[c.Addr].err = StatusFailed, changeError(c, err)
			continue
		}
		for i, pt := range partsOf(c) {
			k := key{c.Addr.Account, c.Addr.Region, c.Addr.Kind, pt}
			b := byKey[k]
			if b == nil {
				b = &batch{account: k.account, region: k.region, kind: k.kind, part: pt, done: make(chan struct{})}
				byKey[k] = b
				e.batches = append(e.batches, b)
			}
			b.changes = append(b.changes, c)
			if i == 0 {
				firstPart[c.Addr] = b
			}
			lastPart[c.Addr] = b
		}
	}
	sort.Slice(e.batches, func(i, j int) bool {
		a, b := e.batches[i], e.batches[j]
		if a.scope() != b.scope() {
			return a.scope() < b.scope()
		}
		return runsBefore(a, b)
	})
	// Within an account-region, one batch after another.
	for i := 1; i < len(e.batches); i++ {
		if e.batches[i].scope() == e.batches[i-1].scope() {
			e.batches[i].after = append(e.batches[i].after, e.batches[i-1])
		}
	}
	// Across account-regions, the batch holding a change's forward part (or
	// a delete) waits for the batches finishing what it depends on. Those
	// must come earlier in the batch order; a dependency that does not (a
	// plan edited by hand) fails the change, as waiting for it could
	// deadlock.
	for _, c := range e.plan.Changes {
		b := e.dependentPart(c, firstPart, lastPart)
		if b == nil {
			continue
		}
		for _, d := range c.DependsOn {
			db := lastPart[d]
			switch {
			case db == nil:
			case !runsBefore(db, b):
				r := e.runs[c.Addr]
				r.status, r.err = StatusFailed, changeErrorf(c, "malformed plan: it depends on %s, which apply runs after it", d)
			case db.scope() != b.scope():
				b.after = append(b.after, db)
			}
		}
	}
}

// runsBefore reports whether batch a comes before batch b in the order
// batches run in any account-region: by step.
func runsBefore(a, b *batch) bool { return a.step() < b.step() }

// checkChange refuses a change a provider could not carry out (a plan file
// edited by hand, say): each action needs Before, After or both, holding
// data of the address's kind.
func checkChange(c *Change) error {
	needBefore := c.Action == Update || c.Action == Replace || c.Action == Delete || c.Action == Adopt
	needAfter := c.Action == Create || c.Action == Update || c.Action == Replace || c.Action == Adopt
	switch {
	case partsOf(c) == nil:
		return fmt.Errorf("unknown action %q", c.Action)
	case needBefore && !hasKindData(c.Before, c.Addr.Kind):
		return fmt.Errorf("malformed plan: a %s needs the discovered %s (before)", c.Action, c.Addr.Kind)
	case needAfter && !hasKindData(c.After, c.Addr.Kind):
		return fmt.Errorf("malformed plan: a %s needs the desired %s (after)", c.Action, c.Addr.Kind)
	case c.Addr.Kind == KindFlowLog && needBefore && c.Before.ID == "":
		return fmt.Errorf("malformed plan: a %s needs the flow log's id", c.Action)
	}
	return nil
}

func hasKindData(r *Resource, k Kind) bool {
	if r == nil {
		return false
	}
	switch k {
	case KindFlowLog:
		return r.FlowLog != nil
	case KindRole:
		return r.Role != nil
	case KindRolePolicy:
		return r.RolePolicy != nil
	case KindLogGroup:
		return r.LogGroup != nil
	case KindBucketPolicyStatement:
		return r.BucketPolicyStatement != nil
	}
	return false
}

// dependentPart returns the batch of c's lead part (see leadPart), which
// waits for c's dependencies.
func (e *executor) dependentPart(c *Change, first, last map[Addr]*batch) *batch {
	if c == nil || c.Action == NoOp {
		return nil
	}
	if c.Action == Replace && c.Addr.Kind != KindFlowLog {
		return last[c.Addr]
	}
	return first[c.Addr]
}

// errGraceOver cuts the provider calls still in flight when the grace
// period after an interrupt ends.
var errGraceOver = errors.New("the grace period after the interrupt ended")

func (e *executor) run(ctx context.Context) {
	// Provider calls run on a context that keeps ctx's values but not its
	// cancellation; it ends e.grace after ctx does, or when apply returns.
	calls, cut := context.WithCancelCause(context.WithoutCancel(ctx))
	e.calls = context.WithValue(calls, interruptKey{}, ctx.Done())
	finished := make(chan struct{})
	defer func() {
		close(finished)
		cut(nil)
	}()
	go func() {
		select {
		case <-ctx.Done():
		case <-finished:
			return
		}
		t := time.NewTimer(e.grace)
		defer t.Stop()
		select {
		case <-t.C:
			cut(errGraceOver)
		case <-finished:
		}
	}()
	if cap(e.sem) == 1 {
		e.runInOrder(ctx)
		return
	}
	var wg sync.WaitGroup
	for _, b := range e.batches {
		wg.Add(1)
		go func(b *batch) {
			defer wg.Done()
			defer close(b.done)
			for _, d := range b.after {
				<-d.done
			}
			e.runBatch(ctx, b)
		}(b)
	}
	wg.Wait()
}

// runInOrder runs the batches one after another, by step and then
// account-region: the order of the plan's changes. With parallelism 1 only
// one batch runs at a time anyway; running them in a fixed order, rather
// than as their goroutines happen to take the one slot, makes an apply
// repeatable: the same plan on the same state makes the same calls in the
// same order. Every batch a batch waits for (the one before it in its
// account-region, and those finishing its dependencies) has an earlier
// step, or the same step earlier in its account-region, so it has run.
func (e *executor) runInOrder(ctx context.Context) {
	order := slices.Clone(e.batches)
	slices.SortStableFunc(order, func(a, b *batch) int {
		return cmp.Or(cmp.Compare(a.step(), b.step()), cmp.Compare(a.scope(), b.scope()))
	})
	for _, b := range order {
		e.runBatch(ctx, b)
		close(b.done)
	}
}

func (e *executor) report(typ EventType, scope, msg string) {
	if e.rep != nil {
		e.rep.Report(Event{Type: typ, Scope: scope, Message: msg})
	}
}

// start takes a parallelism slot for the batch's first call and returns
// the changes that go ahead (see ready); it holds no slot when none does.
// Once ctx has ended, a batch waiting for a slot does not start, but the
// changes of it already under way still go ahead.
func (e *executor) start(ctx context.Context, b *batch) []*Change {
	select {
	case e.sem <- struct{}{}:
	case <-ctx.Done():
		todo := e.ready(ctx, b)
		if len(todo) > 0 {
			e.sem <- struct{}{}
		}
		return todo
	}
	todo := e.ready(ctx, b)
	if len(todo) == 0 {
		<-e.sem
	}
	return todo
}

// ready returns the batch's changes that can go ahead, marking the others
// skipped (a dependency failed) or interrupted (a dependency was not made,
// or ctx ended before the change started).
func (e *executor) ready(ctx context.Context, b *batch) []*Change {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []*Change
	for _, c := range b.changes {
		r := e.runs[c.Addr]
		if r.status != "" {
			continue
		}
		if status, why := e.blockedLocked(c); why != "" {
			r.status, r.err = status, errors.New(why)
			if status == StatusInterrupted {
				r.err = changeError(c, fmt.Errorf("not attempted: %s%s", why, e.halfDone(c, b)))
			}
			continue
		}
		if ctx.Err() != nil && !r.started {
			r.status, r.err = StatusInterrupted, changeErrorf(c, "not attempted: the apply was interrupted (%s)", interruptCause(context.Cause(ctx)))
			continue
		}
		r.started = true
		out = append(out, c)
	}
	return out
}

// blockedLocked says why c cannot go ahead: a dependency failed or was
// skipped (StatusSkipped), or was not made (StatusInterrupted).
func (e *executor) blockedLocked(c *Change) (ChangeStatus, string) {
	for _, d := range c.DependsOn {
		r := e.runs[d]
		switch {
		case r == nil:
		case r.status == StatusFailed || r.status == StatusSkipped:
			return StatusSkipped, fmt.Sprintf("depends on %s, which %s", d, r.status)
		case r.status == StatusInterrupted:
			return StatusInterrupted, fmt.Sprintf("depends on %s, which the interrupted apply did not make", d)
		}
	}
	return "", ""
}

// halfDone says what of c is done already when it stops at batch b's
// part: the first part of a replacement whose second part b is.
func (e *executor) halfDone(c *Change, b *batch) string {
	parts := partsOf(c)
	if c.Action != Replace || len(parts) < 2 || b.part != parts[1] {
		return ""
	}
	switch {
	case c.Addr.Kind == KindFlowLog && parts[0].op == OpDelete:
		return fmt.Sprintf("; the old flow log %s was deleted first, as planned, so %s has no flow log for this rule until the next apply", c.Before.ID, c.After.FlowLog.ResourceID)
	case c.Addr.Kind == KindFlowLog:
		return fmt.Sprintf("; the new flow log %s was created, and the old one %s is still there until the next apply", e.newIDLocked(c), c.Before.ID)
	default:
		return fmt.Sprintf("; the old %s was deleted first, as planned, and is missing until the next apply", KindWords(c.Addr.Kind))
	}
}

// interrupted records c as interrupted when its outcome o at batch b says
// so, and reports whether it did: the provider stopped before making it
// (ErrInterrupted), or the call failed after the grace period cut it, when
// its failure says nothing of what AWS did.
func (e *executor) interrupted(c *Change, b *batch, o Outcome) bool {
	var why string
	switch {
	case o.Err == nil:
		return false
	case errors.Is(o.Err, ErrInterrupted):
		why = fmt.Sprintf("stopped before it was made, because the apply was interrupted: %v", o.Err)
	case e.calls.Err() != nil:
		why = fmt.Sprintf("its call was still running when %s (%s), so whether AWS made it is unknown until the next plan: %v",
			errGraceOver, e.grace, o.Err)
	default:
		return false
	}
	e.mu.Lock()
	why += e.halfDone(c, b)
	e.mu.Unlock()
	e.finish(c, StatusInterrupted, changeError(c, errors.New(why)), "", nil)
	return true
}

// call runs one provider batch within the parallelism bound and pairs each
// change with its outcome. It is a follow-up call of a batch under way, so
// it runs even after an interrupt.
func (e *executor) call(account, region string, kind Kind, op Op, changes []*Change) map[*Change]Outcome {
	return e.callSeeded(e.plan.ID, account, region, kind, op, changes, false)
}

// callSeeded is call with an explicit client token seed. A second create of
// the same flow logs in one apply (the duplicate fallback) needs a seed of
// its own: with the first one EC2 would replay its first answer, the
// refusal, and create nothing. held says the caller holds a parallelism
// slot already (start took it); the call gives it back.
func (e *executor) callSeeded(seed, account, region string, kind Kind, op Op, changes []*Change, held bool) map[*Change]Outcome {
	acct, ok := e.accounts[account]
	if !ok {
		acct = Account{ID: account}
	}
	b := &Batch{Account: acct, Region: region, Kind: kind, Op: op, Changes: changes, Spec: e.plan.Spec.Name, ClientTokenSeed: seed}
	if !held {
		e.sem <- struct{}{}
	}
	e.report(EventScopeStarted, account+"/"+region, fmt.Sprintf("%s %s ×%d", op, kind, len(changes)))
	outcomes := e.p.Apply(e.calls, b)
	e.report(EventScopeDone, account+"/"+region, fmt.Sprintf("%s %s ×%d", op, kind, len(changes)))
	<-e.sem
	out := make(map[*Change]Outcome, len(changes))
	for i, o := range outcomes {
		c := o.Change
		if c == nil && i < len(changes) {
			c = changes[i]
		}
		if c != nil {
			out[c] = o
		}
	}
	for _, c := range changes {
		if _, ok := out[c]; !ok {
			out[c] = Outcome{Change: c, Err: errors.New("the provider returned no outcome for this change")}
		}
	}
	return out
}

func (e *executor) runBatch(ctx context.Context, b *batch) {
	todo := e.start(ctx, b)
	if len(todo) == 0 {
		return
	}
	outcomes := e.callSeeded(e.plan.ID, b.account, b.region, b.kind, b.part.op, todo, true)
	var duplicates, failedNew []*Change
	for _, c := range todo {
		o := outcomes[c]
		if e.interrupted(c, b, o) {
			continue
		}
		switch {
		case c.Action == Replace && c.Addr.Kind == KindFlowLog && c.Order == DeleteBeforeCreate && b.part.op == OpCreate:
			e.recreated(c, o)
		case c.Action == Replace && c.Addr.Kind == KindFlowLog && b.part.op == OpCreate:
			switch {
			case errors.Is(o.Err, ErrAlreadyExists):
				duplicates = append(duplicates, c)
			case o.Err != nil:
				e.finish(c, StatusFailed, changeError(c, o.Err), "", nil)
			case deliveryFailed(o.Resource):
				e.setResource(c, o.Resource)
				failedNew = append(failedNew, c)
			default:
				// The old one is deleted by the delete batch that follows.
				e.setResource(c, o.Resource)
			}
		case b.part.op == OpDelete:
			e.deleted(c, o)
		default:
			e.written(c, o)
		}
	}
	if len(failedNew) > 0 {
		e.undoFailedDelivery(b, failedNew)
	}
	if len(duplicates) > 0 {
		e.fallBack(b, duplicates)
	}
}

func deliveryFailed(r *Resource) bool {
	return r != nil && r.FlowLog != nil && r.FlowLog.Status != nil && r.FlowLog.Status.DeliverLogsStatus == "FAILED"
}

// written records the outcome of a create, update or adopt.
func (e *executor) written(c *Change, o Outcome) {
	if o.Err != nil {
		e.finish(c, StatusFailed, changeError(c, o.Err), "", nil)
		return
	}
	detail := ""
	if deliveryFailed(o.Resource) {
		st := o.Resource.FlowLog.Status
		done := map[Action]string{Create: "created", Update: "updated", Replace: "replaced", Adopt: "adopted"}[c.Action]
		detail = done + ", but AWS reports DeliverLogsStatus FAILED: " + display(st.DeliverLogsErrorMessage)
	}
	e.finish(c, StatusApplied, nil, detail, o.Resource)
}

// deleted records the outcome of a delete; a resource already gone counts
// as deleted.
func (e *executor) deleted(c *Change, o Outcome) {
	err := o.Err
	if errors.Is(err, ErrNotFound) {
		err = nil
	}
	switch {
	case c.Action == Replace && c.Addr.Kind == KindFlowLog && c.Order == DeleteBeforeCreate:
		// The old flow log goes first; the create comes next.
		if err != nil {
			e.finish(c, StatusFailed, changeErrorf(c, "deleting the old flow log %s first failed, so the new one was not created: %w", c.Before.ID, err), "", nil)
		}
	case c.Action == Replace && c.Addr.Kind == KindFlowLog:
		if err != nil {
			e.finish(c, StatusFailed, changeErrorf(c, "the new flow log %s was created, but deleting the old one failed: %w", e.newID(c), err), "", nil)
			return
		}
		e.finish(c, StatusApplied, nil, "", nil)
	case c.Action == Replace:
		// The early delete of a role or policy; its create comes next.
		if err != nil {
			e.finish(c, StatusFailed, changeError(c, err), "", nil)
		}
	default:
		if err != nil {
			e.finish(c, StatusFailed, changeError(c, err), "", nil)
			return
		}
		e.finish(c, StatusApplied, nil, "", nil)
	}
}

// recreated records the create of a flow log replaced delete-before-create,
// whose old flow log is already gone.
func (e *executor) recreated(c *Change, o Outcome) {
	if o.Err != nil {
		e.finish(c, StatusFailed, changeErrorf(c, "the old flow log %s was deleted first, as planned, but creating the new one failed; %s has no flow log for this rule until the next apply: %w",
			c.Before.ID, c.After.FlowLog.ResourceID, o.Err), "", nil)
		return
	}
	detail := "the old flow log " + c.Before.ID + " was deleted first, as planned, then this one created"
	if deliveryFailed(o.Resource) {
		detail += "; AWS reports DeliverLogsStatus FAILED: " + display(o.Resource.FlowLog.Status.DeliverLogsErrorMessage)
	}
	e.finish(c, StatusApplied, nil, detail, o.Resource)
}

// undoFailedDelivery handles replacements whose new flow log reports
// DeliverLogsStatus FAILED: the old flow log is kept, the new one deleted,
// and the change fails.
func (e *executor) undoFailedDelivery(b *batch, changes []*Change) {
	undo := make([]*Change, len(changes))
	for i, c := range changes {
		undo[i] = &Change{Addr: c.Addr, Action: Delete, Before: e.resource(c), Reason: "undo a replacement whose delivery failed"}
	}
	outcomes := e.call(b.account, b.region, b.kind, OpDelete, undo)
	for i, c := range changes {
		st := undo[i].Before.FlowLog.Status
		msg := fmt.Sprintf("the new flow log %s reports DeliverLogsStatus FAILED (%s); kept the old flow log %s",
			undo[i].Before.ID, display(st.DeliverLogsErrorMessage), c.Before.ID)
		if err := outcomes[undo[i]].Err; err != nil && !errors.Is(err, ErrNotFound) {
			msg += fmt.Sprintf("; deleting the new one failed too, delete it by hand: %v", err)
		} else {
			msg += " and deleted the new one"
		}
		e.finish(c, StatusFailed, changeError(c, errors.New(msg)), "", nil)
	}
}

// fallBack handles replacements AWS refused as duplicates: delete the old
// flow log, then create the new one.
func (e *executor) fallBack(b *batch, changes []*Change) {
	outcomes := e.call(b.account, b.region, b.kind, OpDelete, changes)
	var retry []*Change
	for _, c := range changes {
		if err := outcomes[c].Err; err != nil && !errors.Is(err, ErrNotFound) {
			if e.interrupted(c, b, outcomes[c]) {
				continue
			}
			e.finish(c, StatusFailed, changeErrorf(c, "AWS refused the new flow log as a duplicate, and deleting the old one %s first failed: %w",
				c.Before.ID, err), "", nil)
			continue
		}
		retry = append(retry, c)
	}
	if len(retry) == 0 {
		return
	}
	outcomes = e.callSeeded(e.plan.ID+"/fallback", b.account, b.region, b.kind, OpCreate, retry, false)
	for _, c := range retry {
		o := outcomes[c]
		if o.Err != nil && e.interrupted(c, b, o) {
			continue
		}
		if o.Err != nil {
			e.finish(c, StatusFailed, changeErrorf(c, "AWS refused the new flow log as a duplicate, so the old one %s was deleted first, but creating the new one then failed; %s has no flow log for this rule until the next apply: %w",
				c.Before.ID, c.After.FlowLog.ResourceID, o.Err), "", nil)
			continue
		}
		detail := "AWS refused the new flow log as a duplicate, so the old one " + c.Before.ID + " was deleted first, then the new one created (logging paused in between)"
		if deliveryFailed(o.Resource) {
			detail += "; AWS reports DeliverLogsStatus FAILED: " + display(o.Resource.FlowLog.Status.DeliverLogsErrorMessage)
		}
		e.finish(c, StatusApplied, nil, detail, o.Resource)
	}
}

func (e *executor) setResource(c *Change, r *Resource) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.runs[c.Addr].res = r
}

func (e *executor) resource(c *Change) *Resource {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.runs[c.Addr].res
}

func (e *executor) newID(c *Change) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.newIDLocked(c)
}

func (e *executor) newIDLocked(c *Change) string {
	if r := e.runs[c.Addr].res; r != nil && r.ID != "" {
		return r.ID
	}
	return "(unknown id)"
}

// finish records a change's final status. A replaced flow log keeps the
// new resource it was created as.
func (e *executor) finish(c *Change, status ChangeStatus, err error, detail string, res *Resource) {
	e.mu.Lock()
	r := e.runs[c.Addr]
	r.status, r.err = status, err
	if detail != "" {
		r.detail = detail
	}
	if res != nil {
		r.res = res
	}
	e.mu.Unlock()
	msg := string(status)
	if err != nil {
		msg += ": " + err.Error()
	}
	e.report(EventChangeDone, c.Addr.Scope(), c.Addr.String()+": "+msg)
}

func (e *executor) result(ctx context.Context) (*Result, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	res := &Result{}
	var errs *multierror.Error
	skipped, applied, interrupted := 0, 0, 0
	addrs := make([]Addr, 0, len(e.runs))
	for a := range e.runs {
		addrs = append(addrs, a)
	}
	sort.Slice(addrs, func(i, j int) bool { return addrs[i].Less(addrs[j]) })
	for _, a := range addrs {
		r := e.runs[a]
		if r.status == "" {
			// Every part ran without a final word (cannot happen with a
			// well-formed plan); say so rather than claim success.
			r.status, r.err = StatusFailed, changeErrorf(r.c, "did not complete")
		}
		cr := ChangeResult{Addr: a, Action: r.c.Action, Order: r.c.Order, Status: r.status, Detail: r.detail, Resource: r.res}
		if r.err != nil {
			cr.Error = r.err.Error()
		}
		switch r.status {
		case StatusFailed:
			errs = multierror.Append(errs, r.err)
		case StatusSkipped:
			skipped++
		case StatusApplied:
			applied++
		case StatusInterrupted:
			interrupted++
		}
		res.Changes = append(res.Changes, cr)
	}
	if interrupted > 0 {
		ie := &InterruptedError{Applied: applied, Total: len(addrs), Interrupted: interrupted, Cause: context.Cause(ctx)}
		if errs != nil {
			errs.ErrorFormat = failureFormat(skipped)
			ie.Failed = errs
		}
		return res, ie
	}
	if errs == nil {
		return res, nil
	}
	errs.ErrorFormat = failureFormat(skipped)
	return res, errs
}

// failureFormat lists failed changes, one a line, under a head that counts
// them and the changes skipped because of them.
func failureFormat(skipped int) multierror.ErrorFormatFunc {
	return func(list []error) string {
		lines := make([]string, len(list))
		for i, err := range list {
			lines[i] = "\t* " + err.Error()
		}
		head := fmt.Sprintf("apply: %d change(s) failed", len(list))
		if skipped > 0 {
			head += fmt.Sprintf(", %d skipped because of them", skipped)
		}
		return head + ":\n" + strings.Join(lines, "\n")
	}
}
