package policyproof

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/engine/runnerpolicy"
)

// TestGeneratedPoliciesAreEnough runs the whole scenario with the roles
// limited to the generated policies: every step must pass.
func TestGeneratedPoliciesAreEnough(t *testing.T) {
	start := time.Now()
	if _, err := runAll(context.Background(), t, nil, false); err != nil {
		t.Fatal(err)
	}
	t.Logf("scenario: %d steps in %s", len(scenario()), time.Since(start).Round(time.Millisecond))
}

// removal is one statement, or one action of a statement, taken out of a
// mode's policy for a principal.
type removal struct {
	mode      runnerpolicy.Mode
	principal runnerpolicy.Principal
	sid       string
	action    string // empty: the whole statement
}

func (r removal) String() string {
	what := "statement " + r.sid
	if r.action != "" {
		what = r.action + " of " + r.sid
	}
	return fmt.Sprintf("%s %s policy without %s", r.mode, r.principal, what)
}

// removals lists every statement and every action of the plan and apply
// policies of the scenario's specs, and of the audit policy of the steps
// that audit, for both principals. (The drift policy is the plan policy.)
func removals(t *testing.T) []removal {
	seen := map[removal]bool{}
	var out []removal
	for _, st := range scenario() {
		s, err := st.params.spec()
		if err != nil {
			t.Fatal(err)
		}
		modes := []runnerpolicy.Mode{runnerpolicy.Plan, runnerpolicy.Apply}
		if st.audit {
			modes = append(modes, runnerpolicy.Audit)
		}
		for _, m := range modes {
			for _, pr := range []runnerpolicy.Principal{runnerpolicy.Runner, runnerpolicy.Caller} {
				for _, stmt := range runnerpolicy.Generate(s, m, pr).Statements {
					for _, a := range append([]string{""}, stmt.Actions...) {
						r := removal{mode: m, principal: pr, sid: stmt.Sid, action: a}
						if !seen[r] {
							seen[r] = true
							out = append(out, r)
						}
					}
				}
			}
		}
	}
	return out
}

func (r removal) apply(m runnerpolicy.Mode, p policies) policies {
	if m != r.mode && !(r.mode == runnerpolicy.Plan && m == runnerpolicy.Drift) {
		return p
	}
	take := func(pol *runnerpolicy.Policy) *runnerpolicy.Policy {
		if r.action != "" {
			return without(pol, r.sid, r.action)
		}
		out := *pol
		out.Statements = slices.DeleteFunc(slices.Clone(pol.Statements), func(s runnerpolicy.Statement) bool { return s.Sid == r.sid })
		return &out
	}
	if r.principal == runnerpolicy.Runner {
		p.runner = take(p.runner)
	} else {
		p.caller = take(p.caller)
	}
	return p
}

var denied = regexp.MustCompile(`UnauthorizedOperation|AccessDenied`)

// TestEveryStatementAndActionIsNeeded takes each statement, and each action
// of each statement, out of the generated policy in turn: the scenario must
// then fail, and fail on AWS refusing a call.
func TestEveryStatementAndActionIsNeeded(t *testing.T) {
	start := time.Now()
	list := removals(t)
	for _, r := range list {
		_, err := runAll(context.Background(), t, r.apply, false)
		switch {
		case err == nil:
			t.Errorf("%s: every step still passes, so it is not needed", r)
		case !denied.MatchString(err.Error()):
			t.Errorf("%s: the scenario fails, but not on an access denial: %v", r, err)
		default:
			t.Logf("%s: %s", r, firstLine(err.Error()))
		}
	}
	t.Logf("%d removals in %s", len(list), time.Since(start).Round(time.Millisecond))
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// TestPoliciesMatchTheCalls compares, from the emulator's call counters,
// the operations flowplan made in the scenario with the operation table
// (runnerpolicy.Operations): in each step and mode the calls are the
// table's operations for the step's spec, and over the scenario they are
// all of them; and the actions those calls need are exactly the generated
// policies' actions.
func TestPoliciesMatchTheCalls(t *testing.T) {
	w, err := runAll(context.Background(), t, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range []runnerpolicy.Principal{runnerpolicy.Runner, runnerpolicy.Caller} {
		called, table := map[string]bool{}, map[string]bool{}
		granted, needed := map[string]bool{}, map[string]bool{}
		for i, sc := range w.calls {
			keys := slices.Sorted(maps.Keys(sc.calls[pr]))
			ops := map[string]bool{}
			for _, op := range runnerpolicy.OperationsFor(sc.spec, sc.mode) {
				if op.Principal == pr {
					ops[op.Key()] = true
				}
			}
			for _, k := range keys {
				called[k] = true
				if !ops[k] {
					t.Errorf("call %d (%s): the %s called %s, which the table does not list for this spec and mode", i, sc.mode, pr, k)
				}
			}
			for k := range ops {
				table[k] = true
			}
			actions, unknown := runnerpolicy.ActionsFor(sc.spec, sc.mode, pr, keys)
			if len(unknown) > 0 {
				t.Errorf("operations missing from the table: %v", unknown)
			}
			policy := runnerpolicy.Generate(sc.spec, sc.mode, pr).Actions()
			for _, a := range actions {
				needed[a] = true
				if !slices.Contains(policy, a) {
					t.Errorf("call %d (%s): %s is needed but not in the %s policy", i, sc.mode, a, pr)
				}
			}
			for _, a := range policy {
				granted[a] = true
			}
		}
		if d := cmp.Diff(slices.Sorted(maps.Keys(table)), slices.Sorted(maps.Keys(called))); d != "" {
			t.Errorf("%s: the table's operations (-) and the calls flowplan made (+) differ:\n%s", pr, d)
		}
		if d := cmp.Diff(slices.Sorted(maps.Keys(granted)), slices.Sorted(maps.Keys(needed))); d != "" {
			t.Errorf("%s: the policies' actions (-) and the actions of the calls made (+) differ:\n%s", pr, d)
		}
		t.Logf("%s: %d operations, %d actions", pr, len(called), len(needed))
	}
}

// TestIncludeOUs: with include_ous the caller walks the OUs instead of
// listing the organization, and needs exactly those two actions.
func TestIncludeOUs(t *testing.T) {
	st := scenario()[0]
	st.params.IncludeOUs = "[r-pr00f]"
	ctx := context.Background()
	w, err := runSteps(ctx, t, []step{st}, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	called := map[string]bool{}
	for _, sc := range w.calls {
		maps.Copy(called, sc.calls[runnerpolicy.Caller])
	}
	want := []string{"organizations:ListAccountsForParent", "organizations:ListOrganizationalUnitsForParent", "sts:AssumeRole", "sts:GetCallerIdentity"}
	if d := cmp.Diff(want, slices.Sorted(maps.Keys(called))); d != "" {
		t.Errorf("the caller's calls (-want +got):\n%s", d)
	}
	s, err := st.params.spec()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []runnerpolicy.Mode{runnerpolicy.Plan, runnerpolicy.Apply} {
		for _, stmt := range runnerpolicy.Generate(s, m, runnerpolicy.Caller).Statements {
			for _, a := range stmt.Actions {
				r := removal{mode: m, principal: runnerpolicy.Caller, sid: stmt.Sid, action: a}
				_, err := runSteps(ctx, t, []step{st}, r.apply, false)
				if err == nil || !denied.MatchString(err.Error()) {
					t.Errorf("%s: %v, want a failure on an access denial", r, err)
				}
			}
		}
	}
}

// TestOrganizationOnlyLock: a spec with only an organization block keeps
// its apply lock in the account flowplan runs in, with the starting
// credentials. The caller's apply policy then holds the lock's actions,
// and each of them is needed.
func TestOrganizationOnlyLock(t *testing.T) {
	p := baseParams()
	p.OrgOnly, p.Firehose = true, false
	st := step{name: "organization only", params: p, want: []engine.Action{engine.Create}}
	// A second apply deletes the first run's ended lease.
	again := st
	again.name, again.params.Owner, again.want = "organization only, again", "secops", []engine.Action{engine.Update}
	steps := []step{st, again}
	ctx := context.Background()
	w, err := runSteps(ctx, t, steps, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	s, err := st.params.spec()
	if err != nil {
		t.Fatal(err)
	}
	if q := engine.LockScope(s); q.Account.ID != "" || q.Region != homeRegion {
		t.Fatalf("lock scope = %+v, want the caller's account in %s", q, homeRegion)
	}
	applied := map[string]bool{}
	for _, sc := range w.calls {
		if sc.mode == runnerpolicy.Apply {
			maps.Copy(applied, sc.calls[runnerpolicy.Caller])
		}
	}
	for _, op := range []string{"logs:DescribeLogGroups", "logs:ListTagsForResource", "logs:CreateLogGroup", "logs:TagResource", "logs:DescribeLogStreams", "logs:DeleteLogGroup"} {
		if !applied[op] {
			t.Errorf("the caller did not call %s during apply: %v", op, slices.Sorted(maps.Keys(applied)))
		}
	}
	var lockActions int
	for _, stmt := range runnerpolicy.Generate(s, runnerpolicy.Apply, runnerpolicy.Caller).Statements {
		if stmt.Sid != "FindApplyLocks" && stmt.Sid != "ApplyLock" {
			continue
		}
		for _, a := range stmt.Actions {
			lockActions++
			r := removal{mode: runnerpolicy.Apply, principal: runnerpolicy.Caller, sid: stmt.Sid, action: a}
			_, err := runSteps(ctx, t, steps, r.apply, false)
			if err == nil || !denied.MatchString(err.Error()) {
				t.Errorf("%s: %v, want a failure on an access denial", r, err)
			}
		}
	}
	if lockActions == 0 {
		t.Fatal("the caller's apply policy has no lock statement")
	}
}
