package engine

// Action is what a Change does. Renderers map each to a symbol; the engine
// never decides anything from display text.
type Action string

// The actions. How a Replace runs is its Change's Order.
const (
	NoOp    Action = "no-op"
	Create  Action = "create"
	Update  Action = "update"
	Replace Action = "replace"
	Delete  Action = "delete"
	// Adopt tags an existing, unowned flow log whose configuration equals
	// the desired one, instead of creating a duplicate.
	Adopt Action = "adopt"
)

// Actions lists the actions in the order summaries show them.
var Actions = []Action{Create, Update, Replace, Delete, Adopt, NoOp}

// AttrDiff is one attribute that differs between Before and After.
type AttrDiff struct {
	// Attr is the attribute name as users know it: traffic_type, tags.owner,
	// log_format, ...
	Attr string `json:"attr"`
	// Before and After are display values; empty means absent.
	Before string `json:"before"`
	After  string `json:"after"`
	// ForcesReplacement is true when AWS cannot change the attribute in place.
	ForcesReplacement bool `json:"forces_replacement,omitempty"`
}

// Change is one planned operation on one address.
type Change struct {
	Addr   Addr   `json:"address"`
	Action Action `json:"action"`
	// Before is the resource as discovered; nil for Create.
	Before *Resource `json:"before,omitempty"`
	// After is the desired resource; nil for Delete.
	After *Resource `json:"after,omitempty"`
	// Diffs are the differing attributes, sorted by Attr.
	Diffs []AttrDiff `json:"diffs,omitempty"`
	// Reason explains the action for people: "traffic_type: REJECT → ALL
	// forces replacement". It is for display only and must never be used to
	// decide anything.
	Reason string `json:"reason,omitempty"`
	// DependsOn are addresses of changes in the same plan that must succeed
	// first.
	DependsOn []Addr `json:"depends_on,omitempty"`
	// Order is how a Replace runs; empty for other actions.
	Order ReplaceOrder `json:"replace_order,omitempty"`
	// PauseSeconds estimates how long a flow log replaced
	// delete-before-create leaves its resource unlogged (see CallPause).
	PauseSeconds int `json:"logging_pause_seconds,omitempty"`
	// Step is the change's place in apply's order within its
	// account-region; Plan.Changes are sorted by step, then address.
	Step int `json:"step"`
	// Fingerprint digests the discovered state this change depends on. Apply
	// of a saved plan re-discovers and refuses the plan when it differs.
	Fingerprint string `json:"fingerprint"`
}

// NoteKind classifies a Note.
type NoteKind string

// Note kinds.
const (
	// NoteUnmanaged lists a resource without this spec's ownership tags; it
	// is never modified or deleted.
	NoteUnmanaged NoteKind = "unmanaged"
	// NoteOrphan lists a managed resource the spec no longer wants, kept
	// because prune is off.
	NoteOrphan NoteKind = "orphan"
	// NoteConflict warns about an unmanaged resource that stands in the way
	// of a desired one.
	NoteConflict NoteKind = "conflict"
	// NoteWarning is any other warning (a bucket policy nearing 20 KB, ...).
	NoteWarning NoteKind = "warning"
	// NoteInfo tells what discovery found that the plan relies on: the
	// owner of a managed bucket the spec gives no bucket_account.
	NoteInfo NoteKind = "info"
)

// Note is something the plan reports without changing it.
type Note struct {
	Kind    NoteKind `json:"kind"`
	Addr    Addr     `json:"address"`
	Message string   `json:"message"`
	// Resource is the discovered resource the note is about, if any.
	Resource *Resource `json:"resource,omitempty"`
}

// SpecRef identifies the spec a plan was made from.
type SpecRef struct {
	Name   string `json:"name"`
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
}

// PlanFormatVersion is the version of the saved-plan and JSON output format.
// Bump the major part on incompatible changes.
const PlanFormatVersion = "1.3"

// Plan is the result of diffing current against desired state. Every output
// format renders from it, and `plan --out` saves it as JSON.
type Plan struct {
	FormatVersion string `json:"format_version"`
	// ID is a random identifier made when the plan is made. It seeds
	// CreateFlowLogs client tokens, so retries and re-runs of the same saved
	// plan are idempotent while a later plan never reuses a token.
	ID   string  `json:"id"`
	Spec SpecRef `json:"spec"`
	// Accounts are the accounts the plan covers (no external IDs).
	Accounts []Account `json:"accounts"`
	// Targets are the address prefixes (--target) the plan was limited to.
	Targets []string `json:"targets,omitempty"`
	// Shard is the part of the organisation the plan covers (--shard);
	// nil for all of it. A saved plan is applied within its shard.
	Shard *Shard `json:"shard,omitempty"`
	// Merged is set on a report merged from shard plans (MergePlans),
	// which is never applied.
	Merged *MergedShards `json:"merged,omitempty"`
	// AdoptRoles is set when the plan was made with --adopt-roles
	// (Options.AdoptRoles): applying it saved re-plans the same way.
	AdoptRoles bool `json:"adopt_roles,omitempty"`
	// Changes are in the order apply works (by Step, then address) and
	// include no-ops.
	Changes []*Change `json:"changes"`
	// Notes are sorted by Addr.
	Notes []Note `json:"notes,omitempty"`
	// Errors are discovery failures, whose scopes have no changes, and
	// planning errors. A plan with errors is never applied.
	Errors []ScopeError `json:"errors,omitempty"`
	// Signature is an HMAC-SHA256 of the rest of the plan (see Sign), set
	// when a plan key is configured.
	Signature string `json:"signature,omitempty"`
}

// Counts returns how many changes have each action.
func (p *Plan) Counts() map[Action]int {
	out := make(map[Action]int, len(Actions))
	for _, c := range p.Changes {
		out[c.Action]++
	}
	return out
}

// Empty reports whether the plan changes nothing.
func (p *Plan) Empty() bool {
	for _, c := range p.Changes {
		if c.Action != NoOp {
			return false
		}
	}
	return true
}

// ChangeStatus is what happened to a change during apply.
type ChangeStatus string

// Change statuses.
const (
	StatusApplied ChangeStatus = "applied"
	StatusFailed  ChangeStatus = "failed"
	// StatusSkipped means a change it depends on failed.
	StatusSkipped ChangeStatus = "skipped"
	// StatusInterrupted means the apply was interrupted (its context
	// ended) before the change was made: it was not attempted, or the
	// provider stopped before AWS made it (ErrInterrupted), or its call was
	// still running when the grace period ended, so that whether AWS made
	// it is unknown until the next plan. Either way, running apply again
	// finishes it. Error says which.
	StatusInterrupted ChangeStatus = "interrupted"
)

// ChangeResult is the outcome of one change.
type ChangeResult struct {
	Addr   Addr         `json:"address"`
	Action Action       `json:"action"`
	Status ChangeStatus `json:"status"`
	// Order is the change's Order, for replacements.
	Order ReplaceOrder `json:"replace_order,omitempty"`
	// Error is the wrapped error message for failed, skipped and interrupted
	// changes.
	Error string `json:"error,omitempty"`
	// Detail is display-only extra information, such as the delete-then-
	// create fallback of a replacement.
	Detail string `json:"detail,omitempty"`
	// Resource is the resource after the change, when it exists.
	Resource *Resource `json:"resource,omitempty"`
}

// Result is the outcome of an apply, sorted by Addr.
type Result struct {
	Changes []ChangeResult `json:"changes"`
}
