// Package render prints engine plans and apply results as text, JSON and Markdown; it formats what the engine decided and decides nothing.
package render

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/flowplan/flowplan/engine"
)

// Format is an output format of plans and results.
type Format string

// The output formats.
const (
	Text     Format = "text"
	JSON     Format = "json"
	Markdown Format = "markdown"
)

// Formats lists every format, in the order help text shows them.
var Formats = []Format{Text, JSON, Markdown}

// ParseFormat parses a --format value.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if s == string(f) {
			return f, nil
		}
	}
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return "", fmt.Errorf("unknown output format %q: use one of %s", s, strings.Join(names, ", "))
}

// String returns the format's name, so that Format works as a flag value.
func (f Format) String() string { return string(f) }

// GitHubCommentLimit is the size limit of a GitHub comment, in characters.
const GitHubCommentLimit = 65536

// DefaultMarkdownLimit is the size Markdown output keeps under unless
// Options.MarkdownLimit says otherwise: GitHubCommentLimit less a margin
// for what a CI step adds around the comment. Sizes are counted in bytes,
// which are never fewer than characters.
const DefaultMarkdownLimit = 65000

// MinMarkdownLimit is the smallest Options.MarkdownLimit the CLI accepts:
// room for the title, the note on what was cut and a folded summary table.
const MinMarkdownLimit = 2000

// The kinds of output a Markdown marker names (see Marker).
const (
	MarkerPlan  = "plan"
	MarkerApply = "apply"
	MarkerDrift = "drift"
)

// Options tune rendering. The zero value is plain output for a file or a
// pipe.
type Options struct {
	// Color adds ANSI colours to text output. The CLI decides it (a
	// terminal, and NO_COLOR unset); renderers only honour it.
	Color bool
	// PlanFile is the saved plan's path, named in the hint of Markdown
	// output that was cut ("run flowplan show PLANFILE"); empty when the
	// plan was not saved.
	PlanFile string
	// MarkdownLimit is the most bytes Markdown output may take; 0 means
	// DefaultMarkdownLimit. Details are cut to fit, never the summary.
	MarkdownLimit int
	// MarkerKind is the kind of output Markdown names in its title
	// ("flowplan drift") and hidden marker line (see Marker): MarkerPlan,
	// MarkerApply or MarkerDrift. Empty means MarkerPlan for a plan and
	// MarkerApply for a result.
	MarkerKind string
}

// markdownLimit is the effective Markdown size limit.
func (o Options) markdownLimit() int {
	if o.MarkdownLimit <= 0 {
		return DefaultMarkdownLimit
	}
	return o.MarkdownLimit
}

// markerKind is the kind of output, def when the caller did not say.
func (o Options) markerKind(def string) string {
	if o.MarkerKind == "" {
		return def
	}
	return o.MarkerKind
}

// Marker is the hidden line that opens Markdown output,
// "<!-- flowplan:KIND:SPEC -->", so that a CI job finds the comment it
// posted before for this kind of output and spec, and edits it in place
// (a sticky comment) instead of posting another. A character of spec other
// than a letter, digit, '.', '_' or '-' becomes '_', so that the comment
// cannot end early (spec names from a plan file are untrusted).
func Marker(kind, spec string) string {
	safe := func(s string) string {
		return strings.Map(func(r rune) rune {
			switch {
			case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
				return r
			}
			return '_'
		}, s)
	}
	if spec == "" {
		return "<!-- flowplan:" + safe(kind) + " -->"
	}
	return "<!-- flowplan:" + safe(kind) + ":" + safe(spec) + " -->"
}

// handler renders in one format. Each format has one implementation; Plan
// and Result pick it by Format.
type handler interface {
	// plan renders a plan.
	plan(p *engine.Plan)
	// result renders an apply result; p may be nil.
	result(r *engine.Result, p *engine.Plan)
	// drift renders a drift check made at the given time.
	drift(d *engine.Drift, at time.Time)
	// flush finishes the output and returns the first write error.
	flush() error
}

func newHandler(w io.Writer, f Format, opts Options) (handler, error) {
	switch f {
	case Text:
		return &textHandler{out: out{w: w}, color: opts.Color}, nil
	case JSON:
		return &jsonHandler{out: out{w: w}}, nil
	case Markdown:
		return &markdownHandler{out: out{w: w}, opts: opts}, nil
	}
	_, err := ParseFormat(string(f))
	return nil, err
}

// Plan renders a plan in the given format.
func Plan(w io.Writer, p *engine.Plan, f Format, opts Options) error {
	if p == nil {
		return fmt.Errorf("render plan: no plan")
	}
	h, err := newHandler(w, f, opts)
	if err != nil {
		return fmt.Errorf("render plan: %w", err)
	}
	h.plan(p)
	if err := h.flush(); err != nil {
		return fmt.Errorf("render plan: %w", err)
	}
	return nil
}

// Result renders the outcome of an apply in the given format. The plan it
// applied gives context (the spec, account aliases) and may be nil.
func Result(w io.Writer, r *engine.Result, p *engine.Plan, f Format, opts Options) error {
	if r == nil {
		return fmt.Errorf("render result: no result")
	}
	h, err := newHandler(w, f, opts)
	if err != nil {
		return fmt.Errorf("render result: %w", err)
	}
	h.result(r, p)
	if err := h.flush(); err != nil {
		return fmt.Errorf("render result: %w", err)
	}
	return nil
}

// out writes to a writer and keeps the first error, so that renderers need
// not check every write.
type out struct {
	w   io.Writer
	err error
	// n counts the bytes written.
	n int
}

func (o *out) printf(format string, args ...any) {
	o.print(fmt.Sprintf(format, args...))
}

func (o *out) print(s string) {
	if o.err != nil {
		return
	}
	var n int
	n, o.err = io.WriteString(o.w, s)
	o.n += n
}

// sortedChanges returns the plan's changes in apply's order
// (engine.ChangeLess), without touching the plan.
func sortedChanges(cs []*engine.Change) []*engine.Change {
	out := make([]*engine.Change, 0, len(cs))
	for _, c := range cs {
		if c != nil {
			out = append(out, c)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return engine.ChangeLess(out[i], out[j]) })
	return out
}

// sortedResults returns apply results sorted by address.
func sortedResults(rs []engine.ChangeResult) []engine.ChangeResult {
	out := append([]engine.ChangeResult(nil), rs...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Addr.Less(out[j].Addr) })
	return out
}

// noteKinds are the note kinds in the order outputs group them.
var noteKinds = []engine.NoteKind{engine.NoteUnmanaged, engine.NoteOrphan, engine.NoteConflict, engine.NoteWarning, engine.NoteInfo}

// noteHeading says what a kind of note means for the user.
func noteHeading(k engine.NoteKind) string {
	switch k {
	case engine.NoteUnmanaged:
		return "Unmanaged (kept, never touched)"
	case engine.NoteOrphan:
		return "Orphaned (no longer wanted, kept)"
	case engine.NoteConflict:
		return "Conflicts (unmanaged resources in the way)"
	case engine.NoteWarning:
		return "Warnings"
	case engine.NoteInfo:
		return "Found by discovery"
	}
	return "Other notes (" + string(k) + ")"
}

// notesByKind groups notes by kind, each group sorted by address; kinds this
// package does not know come last, by name.
func notesByKind(notes []engine.Note) (kinds []engine.NoteKind, groups map[engine.NoteKind][]engine.Note) {
	groups = map[engine.NoteKind][]engine.Note{}
	for _, n := range notes {
		groups[n.Kind] = append(groups[n.Kind], n)
	}
	var unknown []engine.NoteKind
	for k, ns := range groups {
		sort.SliceStable(ns, func(i, j int) bool { return ns[i].Addr.Less(ns[j].Addr) })
		if !knownNoteKind(k) {
			unknown = append(unknown, k)
		}
	}
	for _, k := range noteKinds {
		if len(groups[k]) > 0 {
			kinds = append(kinds, k)
		}
	}
	sort.Slice(unknown, func(i, j int) bool { return unknown[i] < unknown[j] })
	return append(kinds, unknown...), groups
}

func knownNoteKind(k engine.NoteKind) bool {
	for _, known := range noteKinds {
		if k == known {
			return true
		}
	}
	return false
}

// Headings of the two kinds of scope errors.
const (
	discoveryErrorsHeading = "Discovery errors (nothing is planned in these scopes)"
	planErrorsHeading      = "Plan errors (apply refuses this plan until they are fixed)"
)

// splitErrors sorts scope errors by scope and splits them into discovery
// and planning errors.
func splitErrors(errs []engine.ScopeError) (discovery, planning []engine.ScopeError) {
	for _, e := range sortedErrors(errs) {
		if e.Planning() {
			planning = append(planning, e)
		} else {
			discovery = append(discovery, e)
		}
	}
	return discovery, planning
}

// errorsSummary is the sentence the summary line ends with when a plan has
// scope errors.
func errorsSummary(errs []engine.ScopeError) string {
	discovery, planning := splitErrors(errs)
	var parts []string
	if len(discovery) > 0 {
		parts = append(parts, plural(len(discovery), "scope", "scopes")+" could not be discovered")
	}
	if len(planning) > 0 {
		parts = append(parts, plural(len(planning), "scope has a plan error", "scopes have plan errors"))
	}
	return strings.Join(parts, " and ") + "; see the errors above."
}

// sortedErrors returns scope errors sorted by scope.
func sortedErrors(errs []engine.ScopeError) []engine.ScopeError {
	out := append([]engine.ScopeError(nil), errs...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Scope < out[j].Scope })
	return out
}

// plural returns "1 scope" or "2 scopes".
func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// orderedActions returns the actions in the set in summary order, any the
// engine added since last, by name.
func orderedActions(set map[engine.Action]bool) []engine.Action {
	var out, unknown []engine.Action
	known := map[engine.Action]bool{}
	for _, a := range engine.Actions {
		known[a] = true
		if set[a] {
			out = append(out, a)
		}
	}
	for a := range set {
		if !known[a] {
			unknown = append(unknown, a)
		}
	}
	sort.Slice(unknown, func(i, j int) bool { return unknown[i] < unknown[j] })
	return append(out, unknown...)
}
