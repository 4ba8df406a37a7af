package render

import (
	"fmt"
	"strings"
	"time"

	"github.com/flowplan/flowplan/engine"
)

// textHandler renders for people at a terminal or in a CI log,
// Terraform-like, with the summary line last.
type textHandler struct {
	out
	color bool
}

var _ handler = (*textHandler)(nil)

func (h *textHandler) flush() error { return h.err }

// blank separates two parts of the output with an empty line; it writes
// nothing before the first part.
func (h *textHandler) blank() {
	if h.n > 0 {
		h.print("\n")
	}
}

// paint colours s when colour is on.
func (h *textHandler) paint(color, s string) string {
	if !h.color || color == "" {
		return s
	}
	return color + s + ansiReset
}

// markColor is the colour of a body line's mark.
func markColor(mark string) string {
	switch mark {
	case "+":
		return ansiGreen
	case "-":
		return ansiRed
	case "~":
		return ansiYellow
	}
	return ""
}

func (h *textHandler) plan(p *engine.Plan) {
	h.planHeader(p)
	var pending []*engine.Change
	for _, c := range sortedChanges(p.Changes) {
		if c.Action != engine.NoOp {
			pending = append(pending, c)
		}
	}
	if len(pending) > 0 {
		h.legend(pending)
		h.blank()
		h.print("flowplan will perform the following actions:\n")
		for _, c := range pending {
			h.blank()
			h.change(c)
		}
	}
	h.notes(p.Notes)
	h.errors(p.Errors)
	h.blank()
	h.print(h.paint(ansiBold, planSummary(p)) + "\n")
}

// planHeader names the spec, the accounts and the targets.
func (h *textHandler) planHeader(p *engine.Plan) {
	if p.Spec.Name != "" {
		h.printf("Spec %q (%s): %s, %s.\n", p.Spec.Name, p.Spec.File,
			plural(len(p.Accounts), "account", "accounts"),
			plural(accountRegions(p.Accounts), "account-region", "account-regions"))
	}
	if len(p.Targets) > 0 {
		h.printf("Limited to --target %s.\n", strings.Join(p.Targets, ", "))
	}
	if w := engine.ShardWords(p.Shard, p.Merged); w != "" {
		h.printf("Covers %s.\n", w)
	}
}

// accountRegions counts the account-regions the accounts cover.
func accountRegions(accounts []engine.Account) int {
	n := 0
	for _, a := range accounts {
		n += len(a.Regions)
	}
	return n
}

// legend explains the symbols the plan uses, in summary order.
func (h *textHandler) legend(changes []*engine.Change) {
	actions := map[engine.Action]bool{}
	used := map[string]bool{}
	for _, c := range changes {
		actions[c.Action] = true
		used[styleOf(c.Action, c.Order).symbol] = true
	}
	h.blank()
	h.print("Actions are shown with these symbols:\n")
	for _, a := range orderedActions(actions) {
		// A replacement has two presentations: flow logs and the rest.
		for _, s := range []actionStyle{styleOf(a, engine.CreateBeforeDelete), styleOf(a, engine.DeleteBeforeCreate)} {
			if used[s.symbol] {
				h.printf("  %s %s\n", h.paint(s.color, fmt.Sprintf("%-3s", s.symbol)), s.legend)
				delete(used, s.symbol)
			}
		}
	}
}

// change renders one planned change: its header, reason, ID and body.
func (h *textHandler) change(c *engine.Change) {
	s := styleOf(c.Action, c.Order)
	h.printf("%s %s %s\n", h.paint(s.color, fmt.Sprintf("%-3s", s.symbol)), c.Addr, wording(c))
	if c.Reason != "" {
		h.printf("    reason: %s\n", oneLine(c.Reason))
	}
	if id := resourceID(c); id != "" {
		h.printf("    id: %s\n", id)
	}
	for _, l := range changeBody(c) {
		h.printf("    %s %s\n", h.paint(markColor(l.mark), l.mark), l.text)
	}
}

// notes lists notes grouped by kind.
func (h *textHandler) notes(notes []engine.Note) {
	if len(notes) == 0 {
		return
	}
	h.blank()
	h.print("Notes:\n")
	kinds, groups := notesByKind(notes)
	for _, k := range kinds {
		color := ""
		if k == engine.NoteConflict || k == engine.NoteWarning {
			color = ansiYellow
		}
		h.printf("  %s:\n", h.paint(color, noteHeading(k)))
		for _, n := range groups[k] {
			h.printf("    %s: %s\n", n.Addr, oneLine(n.Message))
		}
	}
}

// errors lists discovery errors by scope.
func (h *textHandler) errors(errs []engine.ScopeError) {
	if len(errs) == 0 {
		return
	}
	discovery, planning := splitErrors(errs)
	for _, group := range []struct {
		heading string
		errs    []engine.ScopeError
	}{{discoveryErrorsHeading, discovery}, {planErrorsHeading, planning}} {
		if len(group.errs) == 0 {
			continue
		}
		h.blank()
		h.print(h.paint(ansiRed, group.heading+":") + "\n")
		for _, e := range group.errs {
			h.printf("  %s\n", oneLine(e.Error()))
		}
	}
}

// planSummary is the last line of a plan in text and Markdown.
func planSummary(p *engine.Plan) string {
	var s string
	if p.Empty() {
		s = "No changes. Your flow logs match the spec."
		if len(p.Errors) > 0 {
			s = "No changes in the scopes flowplan could discover."
		}
	} else {
		n := p.Counts()
		s = fmt.Sprintf("Plan: %d to create, %d to update, %d to replace, %d to delete, %d to adopt, %d unchanged.",
			n[engine.Create], n[engine.Update], n[engine.Replace], n[engine.Delete], n[engine.Adopt], n[engine.NoOp])
	}
	if len(p.Errors) > 0 {
		s += " " + errorsSummary(p.Errors)
	}
	return s
}

func (h *textHandler) result(r *engine.Result, p *engine.Plan) {
	if p != nil && p.Spec.Name != "" {
		h.printf("Apply of spec %q (%s):\n", p.Spec.Name, p.Spec.File)
	}
	first := true
	for _, cr := range sortedResults(r.Changes) {
		if cr.Action == engine.NoOp {
			continue
		}
		if first {
			h.blank()
			first = false
		}
		s := styleOf(cr.Action, cr.Order)
		h.printf("%s %s: %s\n", h.paint(s.color, fmt.Sprintf("%-3s", s.symbol)), cr.Addr, h.paint(statusColor(cr.Status), statusText(cr)))
		if cr.Detail != "" {
			h.printf("    %s\n", oneLine(cr.Detail))
		}
	}
	h.blank()
	h.print(h.paint(ansiBold, resultSummary(r)) + "\n")
}

// statusColor colours a change's status.
func statusColor(s engine.ChangeStatus) string {
	switch s {
	case engine.StatusApplied:
		return ansiGreen
	case engine.StatusFailed:
		return ansiRed
	case engine.StatusSkipped, engine.StatusInterrupted:
		return ansiYellow
	}
	return ""
}

// statusText says what happened to a change and why: "applied (created
// fl-0abc)", "failed: <error>", "skipped: <why>", "interrupted: <why>".
func statusText(cr engine.ChangeResult) string {
	switch cr.Status {
	case engine.StatusApplied:
		s := "applied (" + style(cr.Action).done
		if cr.Resource != nil && cr.Resource.ID != "" && cr.Action != engine.Delete {
			s += " " + cr.Resource.ID
		}
		return s + ")"
	default:
		if cr.Error != "" {
			return string(cr.Status) + ": " + oneLine(cr.Error)
		}
		return string(cr.Status)
	}
}

// resultCounts counts the changes of each status, no-ops left out.
func resultCounts(r *engine.Result) map[engine.ChangeStatus]int {
	n := map[engine.ChangeStatus]int{}
	for _, cr := range r.Changes {
		if cr.Action != engine.NoOp {
			n[cr.Status]++
		}
	}
	return n
}

// resultSummary is the last line of an apply result; an interrupted apply
// says so, and how many changes it did not make.
func resultSummary(r *engine.Result) string {
	n := resultCounts(r)
	if k := n[engine.StatusInterrupted]; k > 0 {
		return fmt.Sprintf("Apply interrupted: %d applied, %d failed, %d skipped, %d not made (interrupted).",
			n[engine.StatusApplied], n[engine.StatusFailed], n[engine.StatusSkipped], k)
	}
	return fmt.Sprintf("Apply complete: %d applied, %d failed, %d skipped.",
		n[engine.StatusApplied], n[engine.StatusFailed], n[engine.StatusSkipped])
}

// oneLine folds a message onto one line, so that a stray newline cannot
// break the layout, and replaces other control characters with U+FFFD, so
// that a tag or an AWS message cannot drive the terminal (an ANSI escape
// in a Name tag) or hide text.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if strings.ContainsAny(s, "\r\n") {
		s = strings.Join(strings.Fields(s), " ")
	}
	if strings.IndexFunc(s, isControl) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == '\t' {
			return ' '
		}
		if isControl(r) {
			return '\uFFFD'
		}
		return r
	}, s)
}

// isControl reports whether r is a C0 or C1 control character or DEL.
func isControl(r rune) bool { return r < 0x20 || (r >= 0x7f && r < 0xa0) }

// drift renders a drift check: findings grouped by account × region, worst
// first, then the scopes that could not be read, then the summary line.
func (h *textHandler) drift(d *engine.Drift, at time.Time) {
	if d.Spec.Name != "" {
		h.printf("Drift of spec %q (%s) at %s: %s, %s.\n", d.Spec.Name, d.Spec.File, at.UTC().Format(time.RFC3339),
			plural(len(d.Accounts), "account", "accounts"), plural(accountRegions(d.Accounts), "account-region", "account-regions"))
	}
	if len(d.Targets) > 0 {
		h.printf("Limited to --target %s.\n", strings.Join(d.Targets, ", "))
	}
	if w := engine.ShardWords(d.Shard, nil); w != "" {
		h.printf("Covers %s.\n", w)
	}
	aliases := accountAliases(d.Accounts)
	scopes, groups := findingsByScope(d)
	for _, sc := range scopes {
		account, region, _ := strings.Cut(sc, "/")
		h.blank()
		label := account
		if a := aliases[account]; a != "" {
			label += " (" + a + ")"
		}
		h.printf("%s\n", h.paint(ansiBold, label+" · "+region))
		for _, f := range groups[sc] {
			sev := strings.ToUpper(string(f.Severity))
			h.printf("  %s %-9s %s\n", h.paint(severityColor(f.Severity), fmt.Sprintf("%-6s", sev)), f.Kind, f.Addr)
			h.printf("         %s\n", oneLine(f.Detail))
			if f.Expected != "" || f.Actual != "" {
				h.printf("         expected: %s\n", shortValue(f.Expected))
				h.printf("         actual:   %s\n", shortValue(f.Actual))
			}
			h.printf("         fix:      %s\n", oneLine(f.Fix))
			if !f.Drift {
				h.print("         (not counted as drift; --strict counts it)\n")
			}
		}
	}
	if discovery, _ := splitErrors(d.Errors); len(discovery) > 0 {
		h.blank()
		h.print(h.paint(ansiRed, "Unknown (discovery failed, so drift there is not known):") + "\n")
		for _, e := range discovery {
			h.printf("  %s\n", oneLine(e.Error()))
		}
	}
	h.blank()
	h.print(h.paint(ansiBold, driftLine(d)) + "\n")
}

// severityColor colours a finding's severity.
func severityColor(s engine.Severity) string {
	switch s {
	case engine.SeverityHigh:
		return ansiRed
	case engine.SeverityMedium:
		return ansiYellow
	}
	return ""
}

// shortValue shows a value on one line, cut to fit a terminal line.
func shortValue(s string) string {
	s = oneLine(s)
	if s == "" {
		return "(none)"
	}
	const max = 160
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}
