package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

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
// The error collects every failed change (go-multierror); the Result is
// complete either way.
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
	return e.result()
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
// errors, and nil when it may be applied.
func CheckApplicable(plan *Plan) error {
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
}

type executor struct {
	p        Provider
	plan     *Plan
	rep      Reporter
	accounts map[string]Account
	sem      chan struct{}

	mu      sync.Mutex
	runs    map[Addr]*run
	batches []*batch
}

func newExecutor(p Provider, plan *Plan, opts Options) *executor {
	e := &executor{p: p, plan: plan, rep: opts.Reporter, accounts: map[string]Account{},
		sem: make(chan struct{}, opts.parallelism()), runs: map[Addr]*run{}}
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

func (e *executor) run(ctx context.Context) {
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

func (e *executor) report(typ EventType, scope, msg string) {
	if e.rep != nil {
		e.rep.Report(Event{Type: typ, Scope: scope, Message: msg})
	}
}

// ready returns the batch's changes that can go ahead, marking the others
// skipped (a dependency failed) or failed (the context ended).
func (e *executor) ready(ctx context.Context, b *batch) []*Change {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []*Change
	for _, c := range b.changes {
		r := e.runs[c.Addr]
		if r.status != "" {
			continue
		}
		if why := e.blockedLocked(c); why != "" {
			r.status, r.err = StatusSkipped, errors.New(why)
			continue
		}
		if err := ctx.Err(); err != nil {
			r.status, r.err = StatusFailed, changeErrorf(c, "not attempted: %w", err)
			continue
		}
		out = append(out, c)
	}
	return out
}

func (e *executor) blockedLocked(c *Change) string {
	for _, d := range c.DependsOn {
		if r := e.runs[d]; r != nil && (r.status == StatusFailed || r.status == StatusSkipped) {
			return fmt.Sprintf("depends on %s, which %s", d, r.status)
		}
	}
	return ""
}

// call runs one provider batch within the parallelism bound and pairs each
// change with its outcome.
func (e *executor) call(ctx context.Context, account, region string, kind Kind, op Op, changes []*Change) map[*Change]Outcome {
	return e.callSeeded(ctx, e.plan.ID, account, region, kind, op, changes)
}

// callSeeded is call with an explicit client token seed. A second create of
// the same flow logs in one apply (the duplicate fallback) needs a seed of
// its own: with the first one EC2 would replay its first answer, the
// refusal, and create nothing.
func (e *executor) callSeeded(ctx context.Context, seed, account, region string, kind Kind, op Op, changes []*Change) map[*Change]Outcome {
	acct, ok := e.accounts[account]
	if !ok {
		acct = Account{ID: account}
	}
	b := &Batch{Account: acct, Region: region, Kind: kind, Op: op, Changes: changes, Spec: e.plan.Spec.Name, ClientTokenSeed: seed}
	e.sem <- struct{}{}
	e.report(EventScopeStarted, account+"/"+region, fmt.Sprintf("%s %s ×%d", op, kind, len(changes)))
	outcomes := e.p.Apply(ctx, b)
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
	todo := e.ready(ctx, b)
	if len(todo) == 0 {
		return
	}
	outcomes := e.call(ctx, b.account, b.region, b.kind, b.part.op, todo)
	var duplicates, failedNew []*Change
	for _, c := range todo {
		o := outcomes[c]
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
		e.undoFailedDelivery(ctx, b, failedNew)
	}
	if len(duplicates) > 0 {
		e.fallBack(ctx, b, duplicates)
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
func (e *executor) undoFailedDelivery(ctx context.Context, b *batch, changes []*Change) {
	undo := make([]*Change, len(changes))
	for i, c := range changes {
		undo[i] = &Change{Addr: c.Addr, Action: Delete, Before: e.resource(c), Reason: "undo a replacement whose delivery failed"}
	}
	outcomes := e.call(ctx, b.account, b.region, b.kind, OpDelete, undo)
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
func (e *executor) fallBack(ctx context.Context, b *batch, changes []*Change) {
	outcomes := e.call(ctx, b.account, b.region, b.kind, OpDelete, changes)
	var retry []*Change
	for _, c := range changes {
		if err := outcomes[c].Err; err != nil && !errors.Is(err, ErrNotFound) {
			e.finish(c, StatusFailed, changeErrorf(c, "AWS refused the new flow log as a duplicate, and deleting the old one %s first failed: %w",
				c.Before.ID, err), "", nil)
			continue
		}
		retry = append(retry, c)
	}
	if len(retry) == 0 {
		return
	}
	outcomes = e.callSeeded(ctx, e.plan.ID+"/fallback", b.account, b.region, b.kind, OpCreate, retry)
	for _, c := range retry {
		o := outcomes[c]
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
	if r := e.resource(c); r != nil {
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

func (e *executor) result() (*Result, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	res := &Result{}
	var errs *multierror.Error
	skipped := 0
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
		}
		res.Changes = append(res.Changes, cr)
	}
	if errs == nil {
		return res, nil
	}
	errs.ErrorFormat = func(list []error) string {
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
	return res, errs
}
