package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"maps"
	"slices"
	"sort"
	"strings"
)

// A change's fingerprint digests the discovered state it was planned from.
// A saved plan is applied only if re-discovery gives every change the same
// fingerprint (CheckStale).
//
//   - A flow log change depends on its target (ID, tags, state: the selector
//     chose it) and on every flow log on that resource, since any of them
//     can decide between create, adopt, replace and no-op.
//   - Any other change depends on the resource at its address, or on its
//     absence.
//
// Values are normalised first, and observed-only data (delivery status) is
// left out, so that a fingerprint changes only when the decision could.

type currentIndex struct {
	resources map[Addr]*Resource
	flowLogs  map[string][]*Resource // flowLogKey → flow logs sorted by ID
	targets   map[string]Target      // "<account>/<region>/<id>"
	// h and enc are reused by every fingerprint: an index is used by one
	// goroutine at a time.
	h   hash.Hash
	enc *json.Encoder
}

// newCurrentIndex indexes a current state whose resources are normalised
// and well formed (see normalizeAll and dropMalformed), with its flow logs
// grouped by flowLogsByResource.
func newCurrentIndex(normalized map[Addr]*Resource, flowLogs map[string][]*Resource, targets map[string][]Target) *currentIndex {
	idx := &currentIndex{resources: normalized, flowLogs: flowLogs, targets: map[string]Target{}, h: sha256.New()}
	idx.enc = json.NewEncoder(idx.h) // one JSON value per line
	for scope, ts := range targets {
		for _, t := range ts {
			idx.targets[scope+"/"+t.ID] = t
		}
	}
	return idx
}

func (idx *currentIndex) fingerprint(c *Change) string {
	h := idx.h
	h.Reset()
	write := func(v any) {
		if err := idx.enc.Encode(v); err != nil {
			// Resources are plain data; this cannot happen. Hash the
			// error text so that the fingerprint still differs.
			fmt.Fprintln(h, err)
		}
	}
	if id := changedResourceID(c); c.Addr.Kind == KindFlowLog && id != "" {
		write("flow_log " + c.Addr.Scope() + " " + id)
		key := c.Addr.Scope() + "/" + id // a flowLogKey, and a targets key
		if t, ok := idx.targets[key]; ok {
			write(t)
		} else {
			write("no target")
		}
		for _, r := range idx.flowLogs[key] {
			write(fingerprintView(r))
		}
	} else {
		write(c.Addr.String())
		if r := idx.resources[c.Addr]; r != nil {
			write(fingerprintView(r))
		} else {
			write("absent")
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// fingerprintView is the part of a resource that fingerprints cover: all of
// it but its address, which for discovered flow logs depends on their
// neighbours, and a flow log's observed delivery status.
func fingerprintView(r *Resource) any {
	c := *r
	c.Addr = Addr{}
	if r.FlowLog != nil {
		f := *r.FlowLog
		f.Status = nil
		c.FlowLog = &f
	}
	return &c
}

func changedResourceID(c *Change) string {
	for _, r := range [...]*Resource{c.After, c.Before} {
		if r != nil && r.FlowLog != nil {
			return r.FlowLog.ResourceID
		}
	}
	return ""
}

// StaleError lists the changes of a saved plan whose discovered state is no
// longer what the plan was made from.
type StaleError struct {
	// Changed are the addresses, sorted, with why for each.
	Changed []StaleChange
}

// StaleChange is one stale address.
type StaleChange struct {
	Addr Addr
	// Why is "changed since the plan was made" or the discovery failure.
	Why string
}

// Error lists every stale address with why.
func (e *StaleError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "plan is stale: %d of its changes depend on state that is no longer what the plan was made from; run plan again:", len(e.Changed))
	for _, c := range e.Changed {
		fmt.Fprintf(&b, "\n  %s: %s", c.Addr, c.Why)
	}
	return b.String()
}

// CheckStale re-checks a saved plan against freshly discovered state: every
// change that does something, and every no-op one of them needs in place
// (the delivery role, policy, log group or bucket statements of a flow log
// it creates), must have the fingerprint it was planned with, and its scope
// must have been discovered. It returns a *StaleError naming every address
// that fails, or nil.
func CheckStale(saved *Plan, current *State) error {
	cur := normalizeAll(current.Resources)
	dropMalformed(cur)
	idx := newCurrentIndex(cur, flowLogsByResource(slices.Collect(maps.Values(cur))), current.Targets)
	check := mustBeUnchanged(saved.Changes)
	var stale []StaleChange
	for _, c := range saved.Changes {
		if !check[c] {
			continue
		}
		if why := scopeFailure(c, current); why != "" {
			stale = append(stale, StaleChange{Addr: c.Addr, Why: why})
			continue
		}
		if idx.fingerprint(c) != c.Fingerprint {
			why := "changed since the plan was made"
			if c.Action == NoOp {
				why += "; the plan left it as it was, but other changes rely on it"
			}
			stale = append(stale, StaleChange{Addr: c.Addr, Why: why})
		}
	}
	if len(stale) == 0 {
		return nil
	}
	sort.Slice(stale, func(i, j int) bool { return stale[i].Addr.Less(stale[j].Addr) })
	return &StaleError{Changed: stale}
}

// mustBeUnchanged returns the changes whose discovered state a saved plan
// relies on: those that do something, and the no-ops they need in place. A
// no-op nothing relies on may drift without making the plan stale.
func mustBeUnchanged(changes []*Change) map[*Change]bool {
	byAddr := make(map[Addr]*Change, len(changes))
	for _, c := range changes {
		if c != nil {
			byAddr[c.Addr] = c
		}
	}
	ix := newChangeIndex(byAddr)
	out := map[*Change]bool{}
	for _, c := range changes {
		if c == nil || c.Action == NoOp {
			continue
		}
		out[c] = true
		for _, n := range ix.needs(c) {
			out[n] = true
		}
	}
	return out
}

// scopeFailure explains why a change's scope could not be re-discovered, or
// returns "".
func scopeFailure(c *Change, current *State) string {
	scopes := []string{c.Addr.Account, c.Addr.Scope()}
	if st := statementOf(c); c.Addr.Kind == KindBucketPolicyStatement && st != nil {
		scopes = append(scopes, BucketScope(c.Addr.Account, st.Bucket))
	}
	for _, e := range current.Errors {
		for _, s := range scopes {
			if e.Scope == s {
				return "could not be discovered again: " + e.Error()
			}
		}
	}
	if c.Addr.Region != GlobalRegion {
		if _, ok := current.Targets[c.Addr.Scope()]; !ok {
			return "its account-region was not discovered again"
		}
	}
	return ""
}
