package engine

import (
	"cmp"
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/flowplan/flowplan/spec"
	"github.com/flowplan/flowplan/spec/logformat"
)

// DefaultParallelism is the --parallelism default: how many provider calls
// (discovery scopes or apply batches) run at once. Account-regions have
// EC2 and CloudWatch Logs buckets of their own, and the provider paces the
// calls in each at AWS's rates (APIRateOf), so many can be worked on at
// once: 32 plans 200 accounts × 4 regions at 20 ms a call in a few
// seconds (docs/bench.md), while AssumeRole has a bound of its own
// (MaxConcurrentAssumeRoles).
const DefaultParallelism = 32

// Options configure Discover, MakePlan and Apply.
type Options struct {
	// Parallelism bounds concurrent provider calls; 0 means
	// DefaultParallelism.
	Parallelism int
	// Reporter receives progress events; nil is allowed.
	Reporter Reporter
	// Targets limit a plan to addresses with these prefixes (--target). A
	// change kept brings along the changes it depends on, as Terraform does.
	Targets []string
	// AlsoRead are target kinds to read in every account-region besides
	// those the rules select: audit reads every VPC for --all-vpcs, and
	// every network interface to attribute log streams for --evidence.
	AlsoRead []spec.TargetKind
	// Shard limits discovery, and so the plan, to the accounts of one
	// shard (--shard K/N); nil means every account.
	Shard *Shard
	// InterruptGrace bounds how long Apply lets provider calls already in
	// flight run on once its context ends; 0 means DefaultInterruptGrace.
	InterruptGrace time.Duration
	// AdoptRoles (--adopt-roles) takes over, in this plan, every delivery
	// role of the spec that exists without any spec's ownership tags, as
	// if each delivery_roles entry had adopt: true. The plan records it
	// (Plan.AdoptRoles), so that a saved plan is applied as it was made.
	AdoptRoles bool
}

func (o Options) parallelism() int {
	if o.Parallelism <= 0 {
		return DefaultParallelism
	}
	return o.Parallelism
}

// Survey is what making a plan learns: the state discovered, the state
// the spec wants given it, and the plan between them. Plan, drift and
// audit are its readings.
type Survey struct {
	Current *State
	Desired *State
	Plan    *Plan
}

// MakeSurvey runs the plan pipeline, step by step:
//
//  1. Discover: resolve the accounts, derive from the spec what to read in
//     each account, account-region and bucket (Queries), and read it;
//  2. Expand: what the spec wants, given what exists (selectors resolve
//     against the discovered targets);
//  3. Diff: the changes, each with its dependencies, fingerprint and step
//     of apply's order (see order.go);
//  4. limit the plan to opts.Targets, if any.
//
// The plan gets a fresh ID. Discovery failures of single scopes are in
// Plan.Errors; the error is for failures that stop everything (listing
// accounts, a spec that cannot expand, a --target that matches nothing).
func MakeSurvey(ctx context.Context, p Provider, s *spec.Spec, opts Options) (*Survey, error) {
	current, err := Discover(ctx, p, s, opts)
	if err != nil {
		return nil, err
	}
	desired, err := Expand(s, current.Accounts, current)
	if err != nil {
		return nil, err
	}
	if opts.AdoptRoles {
		desired.adoptAllRoles()
	}
	plan := Diff(current, desired)
	plan.Shard = opts.Shard
	plan.AdoptRoles = opts.AdoptRoles
	if plan.ID, err = NewPlanID(); err != nil {
		return nil, err
	}
	if len(opts.Targets) > 0 {
		if plan, err = FilterTargets(plan, opts.Targets); err != nil {
			return nil, err
		}
	}
	return &Survey{Current: current, Desired: desired, Plan: plan}, nil
}

// MakePlan is MakeSurvey's plan: the whole of `flowplan plan`.
func MakePlan(ctx context.Context, p Provider, s *spec.Spec, opts Options) (*Plan, error) {
	sv, err := MakeSurvey(ctx, p, s, opts)
	if err != nil {
		return nil, err
	}
	return sv.Plan, nil
}

// TargetError refuses --target prefixes that match no address of the plan,
// so that a typo in CI cannot pass for "no changes".
type TargetError struct {
	// Of is what the prefixes were matched against: "plan" (when empty),
	// "audit" or "drift check".
	Of string
	// Unmatched are the prefixes that matched nothing, sorted.
	Unmatched []string
	// Nearest are, per unmatched prefix, the closest addresses (or
	// address prefixes of as many segments) that exist.
	Nearest map[string][]string
}

func (e *TargetError) Error() string {
	var b strings.Builder
	for i, t := range e.Unmatched {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "--target %s matches no address of this %s", t, cmp.Or(e.Of, "plan"))
		if n := e.Nearest[t]; len(n) > 0 {
			fmt.Fprintf(&b, "; the nearest are %s", strings.Join(n, ", "))
		}
	}
	return b.String()
}

// FilterTargets returns a copy of plan limited to changes and notes whose
// address has one of the prefixes (see Addr.HasPrefix), plus every change a
// kept change depends on, transitively: applying a flow log also applies
// the role it needs. A kept replacement of a role or role policy, which
// deletes the old one first, also keeps the changes that depend on it (the
// role's policy, the flow logs naming the old role), since the replacement
// takes their resource away. Discovery errors are all kept. A prefix that
// matches no change and no note is a *TargetError, so that a typo does not
// pass for an empty plan.
func FilterTargets(plan *Plan, prefixes []string) (*Plan, error) {
	byAddr := make(map[Addr]*Change, len(plan.Changes))
	dependents := map[Addr][]Addr{}
	for _, c := range plan.Changes {
		byAddr[c.Addr] = c
		for _, d := range c.DependsOn {
			dependents[d] = append(dependents[d], c.Addr)
		}
	}
	keep := map[Addr]bool{}
	var visit func(a Addr)
	visit = func(a Addr) {
		c := byAddr[a]
		if keep[a] || c == nil {
			return
		}
		keep[a] = true
		for _, d := range c.DependsOn {
			visit(d)
		}
		if c.Action == Replace && (a.Kind == KindRole || a.Kind == KindRolePolicy) {
			for _, d := range dependents[a] {
				visit(d)
			}
		}
	}
	matched := map[string]bool{}
	for _, c := range plan.Changes {
		if matchesAny(c.Addr, prefixes, matched) {
			visit(c.Addr)
		}
	}
	out := *plan
	out.Targets = append([]string(nil), prefixes...)
	out.Changes = nil
	for _, c := range plan.Changes {
		if keep[c.Addr] {
			out.Changes = append(out.Changes, c)
		}
	}
	out.Notes = nil
	for _, n := range plan.Notes {
		if matchesAny(n.Addr, prefixes, matched) {
			out.Notes = append(out.Notes, n)
		}
	}
	var terr *TargetError
	for _, p := range sortedUnique(prefixes) {
		if matched[p] {
			continue
		}
		if terr == nil {
			terr = &TargetError{Nearest: map[string][]string{}}
		}
		terr.Unmatched = append(terr.Unmatched, p)
		terr.Nearest[p] = nearestAddrs(planAddrs(plan), p)
	}
	if terr != nil {
		return nil, terr
	}
	out.Notes = sortedNotes(out.Notes)
	return &out, nil
}

// planAddrs are the addresses of the plan's changes and notes.
func planAddrs(plan *Plan) []Addr {
	out := make([]Addr, 0, len(plan.Changes)+len(plan.Notes))
	for _, c := range plan.Changes {
		out = append(out, c.Addr)
	}
	for _, n := range plan.Notes {
		out = append(out, n.Addr)
	}
	return out
}

// nearestAddrs returns the addresses, cut to as many segments as prefix
// has, that are closest to it. A prefix of four segments is also matched
// against the first segment of each name: a rule's flow logs are
// "…/flow_log/RULE/ID", so "…/flow_log/al" is nearest to "…/flow_log/all".
func nearestAddrs(addrs []Addr, prefix string) []string {
	segs := len(strings.Split(strings.TrimSuffix(prefix, "/"), "/"))
	seen := map[string]bool{}
	var candidates []string
	add := func(c string) {
		if !seen[c] {
			seen[c] = true
			candidates = append(candidates, c)
		}
	}
	for _, a := range addrs {
		parts := strings.SplitN(a.String(), "/", 4)
		add(strings.Join(parts[:min(segs, len(parts))], "/"))
		if first, _, ok := strings.Cut(a.Name, "/"); segs == 4 && ok && first != "" {
			add(strings.Join(parts[:3], "/") + "/" + first)
		}
	}
	sort.Strings(candidates)
	return logformat.Nearest(prefix, candidates, 3)
}

// matchesAny reports whether a has one of the prefixes, recording in
// matched every prefix it has.
func matchesAny(a Addr, prefixes []string, matched map[string]bool) bool {
	found := false
	for _, p := range prefixes {
		if a.HasPrefix(p) {
			matched[p], found = true, true
		}
	}
	return found
}
