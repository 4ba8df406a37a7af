package engine

import (
	"context"
	"strings"

	"github.com/flowplan/flowplan/spec"
)

// DefaultParallelism is the --parallelism default: how many provider calls
// (discovery scopes or apply batches) run at once.
const DefaultParallelism = 10

// Options configure Discover and MakePlan.
type Options struct {
	// Parallelism bounds concurrent provider calls; 0 means
	// DefaultParallelism.
	Parallelism int
	// Reporter receives progress events; nil is allowed.
	Reporter Reporter
	// Targets limit a plan to addresses with these prefixes (--target). A
	// change kept brings along the changes it depends on, as Terraform does.
	Targets []string
}

func (o Options) parallelism() int {
	if o.Parallelism <= 0 {
		return DefaultParallelism
	}
	return o.Parallelism
}

// MakePlan discovers the current state, expands the spec and diffs them:
// the whole of `flowplan plan`. The plan gets a fresh ID. Discovery failures
// of single scopes are in Plan.Errors; the error is for failures that stop
// everything (listing accounts, a spec that cannot expand).
func MakePlan(ctx context.Context, p Provider, s *spec.Spec, opts Options) (*Plan, error) {
	current, err := Discover(ctx, p, s, opts)
	if err != nil {
		return nil, err
	}
	desired, err := Expand(s, current.Accounts, current)
	if err != nil {
		return nil, err
	}
	plan := Diff(current, desired)
	if plan.ID, err = NewPlanID(); err != nil {
		return nil, err
	}
	if len(opts.Targets) > 0 {
		plan = FilterTargets(plan, opts.Targets)
	}
	return plan, nil
}

// FilterTargets returns a copy of plan limited to changes and notes whose
// address has one of the prefixes (see Addr.HasPrefix), plus every change a
// kept change depends on, transitively: applying a flow log also applies
// the role it needs. A kept replacement of a role or role policy, which
// deletes the old one first, also keeps the changes that depend on it (the
// role's policy, the flow logs naming the old role), since the replacement
// takes their resource away. Discovery errors are all kept. A prefix that
// matches no change and no note gets a warning Note, so that a typo does
// not pass for an empty plan.
func FilterTargets(plan *Plan, prefixes []string) *Plan {
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
	for _, p := range sortedUnique(prefixes) {
		if !matched[p] {
			out.Notes = append(out.Notes, Note{Kind: NoteWarning, Addr: prefixAddr(p), Message: "--target " + p + " matched nothing"})
		}
	}
	out.Notes = sortedNotes(out.Notes)
	return &out
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

// prefixAddr spreads a --target prefix over an address's fields, so that a
// note about it reads as the prefix and sorts where it would match.
func prefixAddr(prefix string) Addr {
	var parts [4]string
	copy(parts[:], strings.SplitN(strings.TrimSuffix(prefix, "/"), "/", 4))
	return Addr{Account: parts[0], Region: parts[1], Kind: Kind(parts[2]), Name: parts[3]}
}
