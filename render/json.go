package render

import (
	"encoding/json"
	"sort"
	"time"

	"github.com/flowplan/flowplan/engine"
)

// PlanJSON is the JSON plan output, documented in docs/plan-json.md. It has
// the fields of a saved plan (engine.Plan), so a saved-plan reader accepts
// it, plus a summary; lists are sorted and never null.
type PlanJSON struct {
	FormatVersion string           `json:"format_version"`
	ID            string           `json:"id"`
	Spec          engine.SpecRef   `json:"spec"`
	Accounts      []engine.Account `json:"accounts"`
	Targets       []string         `json:"targets"`
	// Shard and Merged are the plan's (format 1.3), left out when nil.
	Shard   *engine.Shard        `json:"shard,omitempty"`
	Merged  *engine.MergedShards `json:"merged,omitempty"`
	Changes []*engine.Change     `json:"changes"`
	Notes   []engine.Note        `json:"notes"`
	Errors  []engine.ScopeError  `json:"errors"`
	Summary PlanSummary          `json:"summary"`
}

// ResultJSON is the JSON apply-result output, documented in
// docs/plan-json.md.
type ResultJSON struct {
	FormatVersion string `json:"format_version"`
	// PlanID is the ID of the plan applied, when known.
	PlanID  string                `json:"plan_id,omitempty"`
	Changes []engine.ChangeResult `json:"changes"`
	Summary ResultSummary         `json:"summary"`
}

// ResultSummary counts apply outcomes, no-ops left out.
type ResultSummary struct {
	Applied int `json:"applied"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
	// Interrupted counts the changes an interrupted apply did not make
	// (format 1.2).
	Interrupted int `json:"interrupted"`
}

// jsonHandler writes one indented JSON document.
type jsonHandler struct {
	out
}

var _ handler = (*jsonHandler)(nil)

func (h *jsonHandler) flush() error { return h.err }

// planJSON builds the JSON document of a plan. The format version is the
// plan's, or the current one when the plan has none.
func planJSON(p *engine.Plan) PlanJSON {
	doc := PlanJSON{
		FormatVersion: p.FormatVersion,
		ID:            p.ID,
		Spec:          p.Spec,
		Accounts:      append([]engine.Account{}, p.Accounts...),
		Targets:       append([]string{}, p.Targets...),
		Shard:         p.Shard,
		Merged:        p.Merged,
		Changes:       sortedChanges(p.Changes),
		Notes:         append([]engine.Note{}, p.Notes...),
		Errors:        sortedErrors(p.Errors),
		Summary:       summarize(p),
	}
	if doc.FormatVersion == "" {
		doc.FormatVersion = engine.PlanFormatVersion
	}
	if doc.Errors == nil {
		doc.Errors = []engine.ScopeError{}
	}
	sort.SliceStable(doc.Accounts, func(i, j int) bool { return doc.Accounts[i].ID < doc.Accounts[j].ID })
	sort.SliceStable(doc.Notes, func(i, j int) bool { return doc.Notes[i].Addr.Less(doc.Notes[j].Addr) })
	return doc
}

func (h *jsonHandler) plan(p *engine.Plan) {
	h.encode(planJSON(p))
}

func (h *jsonHandler) result(r *engine.Result, p *engine.Plan) {
	doc := ResultJSON{FormatVersion: engine.PlanFormatVersion, Changes: sortedResults(r.Changes)}
	if doc.Changes == nil {
		doc.Changes = []engine.ChangeResult{}
	}
	if p != nil {
		doc.PlanID = p.ID
	}
	n := resultCounts(r)
	doc.Summary = ResultSummary{Applied: n[engine.StatusApplied], Failed: n[engine.StatusFailed], Skipped: n[engine.StatusSkipped],
		Interrupted: n[engine.StatusInterrupted]}
	h.encode(doc)
}

// encode writes v indented by two spaces, with <, > and & as they are.
// Map keys come out sorted, so the output is deterministic.
func (h *jsonHandler) encode(v any) {
	if h.err != nil {
		return
	}
	enc := json.NewEncoder(h.w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	h.err = enc.Encode(v)
}

func (h *jsonHandler) drift(d *engine.Drift, at time.Time) {
	h.encode(driftJSON(d, at))
}
