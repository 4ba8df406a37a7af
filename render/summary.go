package render

import (
	"sort"

	"github.com/flowplan/flowplan/engine"
)

// Counts are how many changes have each action.
type Counts struct {
	Create  int `json:"create"`
	Update  int `json:"update"`
	Replace int `json:"replace"`
	Delete  int `json:"delete"`
	Adopt   int `json:"adopt"`
	NoOp    int `json:"no_op"`
}

// add counts one change.
func (n *Counts) add(a engine.Action) {
	switch a {
	case engine.Create:
		n.Create++
	case engine.Update:
		n.Update++
	case engine.Replace:
		n.Replace++
	case engine.Delete:
		n.Delete++
	case engine.Adopt:
		n.Adopt++
	case engine.NoOp:
		n.NoOp++
	}
}

// pending is how many changes do something.
func (n Counts) pending() int { return n.Create + n.Update + n.Replace + n.Delete + n.Adopt }

// plus adds two counts.
func (n Counts) plus(m Counts) Counts {
	return Counts{n.Create + m.Create, n.Update + m.Update, n.Replace + m.Replace,
		n.Delete + m.Delete, n.Adopt + m.Adopt, n.NoOp + m.NoOp}
}

// ScopeSummary counts the changes of one account-region; Region is
// "global" for IAM roles and bucket policies.
type ScopeSummary struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	Counts
	// DiscoveryFailed is true when a discovery error covers the scope, so
	// its counts say nothing about it.
	DiscoveryFailed bool `json:"discovery_failed,omitempty"`
}

// scopeSummaries counts changes per account-region: every account-region
// of the plan's accounts, and every scope a change is in (global scopes
// included), sorted by account then region.
func scopeSummaries(p *engine.Plan) []ScopeSummary {
	type key struct{ account, region string }
	rows := map[key]*ScopeSummary{}
	row := func(account, region string) *ScopeSummary {
		k := key{account, region}
		if rows[k] == nil {
			rows[k] = &ScopeSummary{Account: account, Region: region}
		}
		return rows[k]
	}
	for _, a := range p.Accounts {
		for _, r := range a.Regions {
			row(a.ID, r)
		}
	}
	for _, c := range p.Changes {
		if c != nil {
			row(c.Addr.Account, c.Addr.Region).add(c.Action)
		}
	}
	failed := map[string]bool{}
	for _, e := range p.Errors {
		if !e.Planning() {
			failed[e.Scope] = true
		}
	}
	out := make([]ScopeSummary, 0, len(rows))
	for _, r := range rows {
		r.DiscoveryFailed = failed[r.Account] || failed[r.Account+"/"+r.Region]
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Account != out[j].Account {
			return out[i].Account < out[j].Account
		}
		return out[i].Region < out[j].Region
	})
	return out
}

// NoteCounts are how many notes have each kind.
type NoteCounts struct {
	Unmanaged int `json:"unmanaged"`
	Orphan    int `json:"orphan"`
	Conflict  int `json:"conflict"`
	Warning   int `json:"warning"`
	// Info counts what discovery found (NoteInfo); left out when none.
	Info int `json:"info,omitempty"`
}

// PlanSummary is the "summary" object of the JSON plan output.
type PlanSummary struct {
	// Counts are over all changes.
	Counts
	// HasChanges is true when any change is not a no-op: what
	// --detailed-exitcode reports as exit 2.
	HasChanges bool       `json:"has_changes"`
	Notes      NoteCounts `json:"notes"`
	// Errors is the number of discovery errors.
	Errors int `json:"errors"`
	// Scopes count changes per account-region.
	Scopes []ScopeSummary `json:"scopes"`
}

// summarize counts a plan's changes, notes and errors.
func summarize(p *engine.Plan) PlanSummary {
	s := PlanSummary{Errors: len(p.Errors), Scopes: scopeSummaries(p)}
	for _, c := range p.Changes {
		if c != nil {
			s.add(c.Action)
		}
	}
	s.HasChanges = !p.Empty()
	for _, n := range p.Notes {
		switch n.Kind {
		case engine.NoteUnmanaged:
			s.Notes.Unmanaged++
		case engine.NoteOrphan:
			s.Notes.Orphan++
		case engine.NoteConflict:
			s.Notes.Conflict++
		case engine.NoteWarning:
			s.Notes.Warning++
		case engine.NoteInfo:
			s.Notes.Info++
		}
	}
	return s
}
