package aws

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/flowplan/flowplan/engine"
)

// Apply carries out one batch and returns an outcome per change, in order.
// Errors are wrapped with the operation and the change's address.
func (p *Provider) Apply(ctx context.Context, b *engine.Batch) []engine.Outcome {
	out := make([]engine.Outcome, len(b.Changes))
	for i, c := range b.Changes {
		out[i].Change = c
	}
	s, err := p.session(ctx, b.Account)
	if err != nil {
		failAll(out, err)
		return out
	}
	a := &applier{p: p, s: s, b: b, out: out}
	switch b.Kind {
	case engine.KindFlowLog:
		a.flowLogs(ctx)
	case engine.KindRole:
		a.each(ctx, a.role)
	case engine.KindRolePolicy:
		a.each(ctx, a.rolePolicy)
	case engine.KindLogGroup:
		a.each(ctx, a.logGroup)
	case engine.KindBucketPolicyStatement:
		a.bucketStatements(ctx)
	default:
		failAll(out, fmt.Errorf("apply: unknown kind %q", b.Kind))
	}
	return out
}

// applier carries one batch through Apply.
type applier struct {
	p   *Provider
	s   *session
	b   *engine.Batch
	out []engine.Outcome
	// iamWaits are the batch's waits for IAM propagation, by what is
	// awaited (see waitIAM).
	iamWaits map[string]*backoff
}

// each applies the batch's changes one by one; for the kinds AWS has no
// batch calls for.
func (a *applier) each(ctx context.Context, fn func(context.Context, *engine.Change) (*engine.Resource, error)) {
	for i, c := range a.b.Changes {
		res, err := fn(ctx, c)
		a.out[i].Resource, a.out[i].Err = res, a.wrap(c, err)
	}
}

// wrap names the operation and address: "create flow log <addr>: ...",
// as an engine.ChangeError the engine keeps as it is. The cause reads as
// AWS's code and message, without the SDK's request details, and stays in
// the chain.
func (a *applier) wrap(c *engine.Change, err error) error {
	if err == nil {
		return nil
	}
	var ce *engine.ChangeError
	if errors.As(err, &ce) && ce.Addr == c.Addr {
		return err
	}
	return &engine.ChangeError{Op: string(a.b.Op) + " " + engine.KindWords(a.b.Kind), Addr: c.Addr, Err: &shortError{err}}
}

func failAll(out []engine.Outcome, err error) {
	for i := range out {
		out[i].Err = err
	}
}

// errNotManaged refuses to change a resource without this spec's
// ownership tag; the engine never plans that, so this is a last defence.
var errNotManaged = errors.New("refusing to change a resource flowplan does not manage (no flowplan:spec tag)")

// checkManaged verifies that live, the resource as AWS describes it just
// before the write, is managed by the spec applying the batch (and by the
// change's After's spec, when there is an After). It is never given the
// change's Before: a saved plan is untrusted, and its copy of a resource's
// tags proves nothing.
func (a *applier) checkManaged(c *engine.Change, live *engine.Resource) error {
	if live == nil {
		return errors.New("change has no resource to act on")
	}
	owner, _ := live.Owner()
	if owner == "" {
		return errNotManaged
	}
	if a.b.Spec != "" && owner != a.b.Spec {
		return fmt.Errorf("refusing to change a resource of spec %q for spec %q", owner, a.b.Spec)
	}
	if c.After != nil && c.After.Tags != nil {
		if want, _ := c.After.Owner(); want != owner {
			return fmt.Errorf("refusing to change a resource of spec %q for spec %q", owner, want)
		}
	}
	return nil
}

// tagsToSet returns the tags of want that have lacks or holds with another
// value. No tag is ever removed: the engine's desired tags carry every tag
// the resource has (engine.Batch), so a tag missing from want was added by
// someone else after discovery, or want is a bare desired resource (a
// create that found the resource already there); either way flowplan
// leaves it alone. Reserved aws: tags are never set.
func tagsToSet(have, want map[string]string) map[string]string {
	set := map[string]string{}
	for k, v := range want {
		if reservedTag(k) {
			continue
		}
		if old, ok := have[k]; !ok || old != v {
			set[k] = v
		}
	}
	return set
}

func reservedTag(k string) bool { return strings.HasPrefix(k, "aws:") }

// resultTags is have with want's tags set over it: the tags a resource has
// after tagsToSet's changes.
func resultTags(have, want map[string]string) map[string]string {
	out := maps.Clone(have)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, tagsToSet(have, want))
	return out
}

// waitIAM sleeps before another try while IAM propagates what (a role),
// reporting the wait, and reports whether it waited. The wait for one
// role spans the batch: it ends IAMPropagationTimeout after the batch first
// waited for it, so a role that never works costs that once, not once per
// CreateFlowLogs call. It ends at once when the apply is interrupted
// (engine.Interrupted): nothing is written yet, so nothing is left half
// made; the caller then returns its error through interruptedWait.
func (a *applier) waitIAM(ctx context.Context, what string) bool {
	stop := engine.Interrupted(ctx)
	select {
	case <-stop:
		return false
	default:
	}
	w := a.iamWaits[what]
	if w == nil {
		w = &backoff{deadline: time.Now().Add(a.p.opts.IAMPropagationTimeout), wait: a.p.firstWait}
		if a.iamWaits == nil {
			a.iamWaits = map[string]*backoff{}
		}
		a.iamWaits[what] = w
	}
	if !fits(w.deadline, w.wait) {
		return false
	}
	scope := scopeName(a.b.Account.ID, a.b.Region)
	// The message names only what is awaited; progress displays add the
	// elapsed time themselves.
	a.p.report(engine.EventIAMWait, scope, what)
	a.p.opts.Logger.InfoContext(ctx, "waiting for IAM propagation", "scope", scope, "wait", w.wait, "what", what)
	return sleep(ctx, stop, &w.wait)
}

// interruptedWait returns err, the refusal a wait for IAM propagation
// followed, as an engine.ErrInterrupted when the wait ended because the
// apply was interrupted: the change was not made, and the next apply makes
// it.
func interruptedWait(ctx context.Context, what string, err error) error {
	if err == nil {
		return nil
	}
	select {
	case <-engine.Interrupted(ctx):
		return fmt.Errorf("%w: stopped waiting for IAM to propagate the %s (%s)", engine.ErrInterrupted, what, short(err))
	default:
		return err
	}
}

// backoff is a wait that grows, and the deadline it ends at.
type backoff struct {
	deadline time.Time
	wait     time.Duration
}

// fits reports whether a wait ends before the deadline.
func fits(deadline time.Time, wait time.Duration) bool { return !time.Now().Add(wait).After(deadline) }

// sleep waits *wait unless ctx ends or stop is closed first (a nil stop
// never is), then doubles *wait up to 16 s. It reports whether it waited.
func sleep(ctx context.Context, stop <-chan struct{}, wait *time.Duration) bool {
	t := time.NewTimer(*wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-stop:
		return false
	case <-t.C:
	}
	*wait = min(*wait*2, 16*time.Second)
	return true
}
