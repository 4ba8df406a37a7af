package render

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/flowplan/flowplan/engine"
)

// DriftFormatVersion is the version of the JSON drift document
// (docs/drift-json.md).
const DriftFormatVersion = "1.1"

// Drift renders a drift check in the given format. The time is the check's,
// given by the caller, so that output stays deterministic.
func Drift(w io.Writer, d *engine.Drift, at time.Time, f Format, opts Options) error {
	if d == nil {
		return fmt.Errorf("render drift: no drift")
	}
	h, err := newHandler(w, f, opts)
	if err != nil {
		return fmt.Errorf("render drift: %w", err)
	}
	h.drift(d, at)
	if err := h.flush(); err != nil {
		return fmt.Errorf("render drift: %w", err)
	}
	return nil
}

// DriftJSON is the JSON drift document, documented in docs/drift-json.md.
// Lists are sorted and never null, so two nights' files diff cleanly.
type DriftJSON struct {
	FormatVersion string         `json:"format_version"`
	GeneratedAt   string         `json:"generated_at"`
	Spec          engine.SpecRef `json:"spec"`
	Targets       []string       `json:"targets"`
	// Shard is the --shard checked (format 1.1), left out when nil.
	Shard    *engine.Shard       `json:"shard,omitempty"`
	Findings []FindingJSON       `json:"findings"`
	Errors   []engine.ScopeError `json:"errors"`
	Summary  DriftSummary        `json:"summary"`
}

// FindingJSON is one finding of the drift document.
type FindingJSON struct {
	Kind       engine.DriftKind `json:"kind"`
	Severity   engine.Severity  `json:"severity"`
	Address    string           `json:"address"`
	ResourceID string           `json:"resource_id,omitempty"`
	Expected   string           `json:"expected,omitempty"`
	Actual     string           `json:"actual,omitempty"`
	Detail     string           `json:"detail"`
	Fix        string           `json:"fix"`
	// Drift is false for a finding that does not make drift exit 2
	// (unmanaged flow logs without --strict).
	Drift bool `json:"drift"`
}

// DriftSummary counts a drift check's findings.
type DriftSummary struct {
	// Drifted is true when any finding counts as drift: what exit code 2
	// reports.
	Drifted bool `json:"drifted"`
	// Findings is how many findings there are, drift or not.
	Findings int `json:"findings"`
	// Kinds counts findings per kind; every kind is present.
	Kinds map[engine.DriftKind]int `json:"kinds"`
	// Errors is how many scopes could not be read or planned.
	Errors int `json:"errors"`
	// Scopes count findings per account-region.
	Scopes []DriftScope `json:"scopes"`
}

// DriftScope counts the findings of one account-region ("global" for IAM
// and bucket policies).
type DriftScope struct {
	Account string                   `json:"account"`
	Region  string                   `json:"region"`
	Kinds   map[engine.DriftKind]int `json:"kinds"`
	// Unknown is true when the scope could not be discovered, so nothing
	// is known of its drift.
	Unknown bool `json:"unknown,omitempty"`
}

func kindCounts() map[engine.DriftKind]int {
	m := make(map[engine.DriftKind]int, len(engine.DriftKinds))
	for _, k := range engine.DriftKinds {
		m[k] = 0
	}
	return m
}

// driftJSON builds the drift document.
func driftJSON(d *engine.Drift, at time.Time) DriftJSON {
	doc := DriftJSON{
		FormatVersion: DriftFormatVersion,
		GeneratedAt:   at.UTC().Format(time.RFC3339),
		Spec:          d.Spec,
		Targets:       append([]string{}, d.Targets...),
		Shard:         d.Shard,
		Findings:      []FindingJSON{},
		Errors:        sortedErrors(d.Errors),
		Summary:       driftSummary(d),
	}
	if doc.Errors == nil {
		doc.Errors = []engine.ScopeError{}
	}
	for _, f := range d.Findings {
		doc.Findings = append(doc.Findings, FindingJSON{Kind: f.Kind, Severity: f.Severity, Address: f.Addr.String(), ResourceID: f.ResourceID,
			Expected: f.Expected, Actual: f.Actual, Detail: f.Detail, Fix: f.Fix, Drift: f.Drift})
	}
	return doc
}

// driftSummary counts findings overall and per account-region: every
// account-region of the accounts, and every scope a finding is in.
func driftSummary(d *engine.Drift) DriftSummary {
	s := DriftSummary{Drifted: d.Drifted(), Findings: len(d.Findings), Kinds: kindCounts(), Errors: len(d.Errors)}
	type key struct{ account, region string }
	rows := map[key]*DriftScope{}
	row := func(account, region string) *DriftScope {
		k := key{account, region}
		if rows[k] == nil {
			rows[k] = &DriftScope{Account: account, Region: region, Kinds: kindCounts()}
		}
		return rows[k]
	}
	for _, a := range d.Accounts {
		for _, r := range a.Regions {
			row(a.ID, r)
		}
	}
	for _, f := range d.Findings {
		s.Kinds[f.Kind]++
		row(f.Addr.Account, f.Addr.Region).Kinds[f.Kind]++
	}
	for _, e := range d.Unknown() {
		for k, r := range rows {
			if e.LeavesUnknown(k.account, k.region) {
				r.Unknown = true
			}
		}
		if account, region, bucket := e.Where(); region != "" && bucket == "" {
			row(account, region).Unknown = true
		}
	}
	for _, r := range rows {
		s.Scopes = append(s.Scopes, *r)
	}
	sort.Slice(s.Scopes, func(i, j int) bool {
		if s.Scopes[i].Account != s.Scopes[j].Account {
			return s.Scopes[i].Account < s.Scopes[j].Account
		}
		return s.Scopes[i].Region < s.Scopes[j].Region
	})
	if s.Scopes == nil {
		s.Scopes = []DriftScope{}
	}
	return s
}

// findingsByScope groups findings by account-region, each group worst
// first (severity, then kind, then address), groups in account then
// region order.
func findingsByScope(d *engine.Drift) (scopes []string, groups map[string][]engine.Finding) {
	groups = map[string][]engine.Finding{}
	for _, f := range d.Findings {
		sc := f.Addr.Scope()
		if groups[sc] == nil {
			scopes = append(scopes, sc)
		}
		groups[sc] = append(groups[sc], f)
	}
	sort.Strings(scopes)
	for _, fs := range groups {
		sort.SliceStable(fs, func(i, j int) bool {
			a, b := fs[i], fs[j]
			if a.Severity.Rank() != b.Severity.Rank() {
				return a.Severity.Rank() < b.Severity.Rank()
			}
			if ka, kb := slices.Index(engine.DriftKinds, a.Kind), slices.Index(engine.DriftKinds, b.Kind); ka != kb {
				return ka < kb
			}
			return a.Addr.Less(b.Addr)
		})
	}
	return scopes, groups
}

// driftLine is the summary line that ends text and Markdown drift output.
func driftLine(d *engine.Drift) string {
	s := driftSummary(d)
	var parts []string
	notDrift := 0
	for _, k := range engine.DriftKinds {
		if n := s.Kinds[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, k))
		}
	}
	for _, f := range d.Findings {
		if !f.Drift {
			notDrift++
		}
	}
	var line string
	switch {
	case s.Drifted:
		line = fmt.Sprintf("Drifted: %s (%s).", plural(s.Findings, "finding", "findings"), strings.Join(parts, ", "))
		if notDrift > 0 {
			line += fmt.Sprintf(" %d of them not counted as drift (unmanaged; --strict counts them).", notDrift)
		}
	case s.Findings > 0:
		line = fmt.Sprintf("In sync, with %s not counted as drift (%s; --strict counts them).", plural(s.Findings, "finding", "findings"), strings.Join(parts, ", "))
	default:
		line = "In sync: AWS matches the spec."
	}
	if len(d.Errors) > 0 {
		line += " " + errorsSummary(d.Errors)
	}
	return line
}
