package render

import (
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/flowplan/flowplan/engine"
)

// markdownHandler renders a PR comment. It opens with a hidden marker line
// (Marker) that CI jobs find the comment by. Tools such as Atlantis cut
// long comments from the top, so the summary comes last, and details are
// cut to fit Options.MarkdownLimit, never the summary.
type markdownHandler struct {
	out
	opts Options
}

var _ handler = (*markdownHandler)(nil)

func (h *markdownHandler) flush() error { return h.err }

// noticeReserve is room kept for the note saying what was cut.
const noticeReserve = 512

// section is a run of items with an opening and a closing written only when
// at least one item is kept.
type section struct {
	open, close string
	items       []string
	// what names the items in the truncation notice: "changes", "notes".
	what string
	kept int
}

// fit keeps as many items, in order, as the budget allows, and takes their
// cost from it.
func (s *section) fit(budget *int) {
	for _, it := range s.items {
		cost := len(it)
		if s.kept == 0 {
			cost += len(s.open) + len(s.close)
		}
		if cost > *budget {
			return
		}
		*budget -= cost
		s.kept++
	}
}

func (s *section) String() string {
	if s.kept == 0 {
		return ""
	}
	return s.open + strings.Join(s.items[:s.kept], "") + s.close
}

// omitted sums what the sections left out, by what they hold, in order.
func omitted(sections ...*section) string {
	type tally struct{ left, total int }
	var order []string
	byWhat := map[string]*tally{}
	for _, s := range sections {
		if byWhat[s.what] == nil {
			byWhat[s.what] = &tally{}
			order = append(order, s.what)
		}
		byWhat[s.what].left += len(s.items) - s.kept
		byWhat[s.what].total += len(s.items)
	}
	var parts []string
	for _, w := range order {
		if t := byWhat[w]; t.left > 0 {
			parts = append(parts, fmt.Sprintf("%d of %d %s", t.left, t.total, w))
		}
	}
	return strings.Join(parts, ", ")
}

// layout writes the sections in output order, after fitting them to the
// limit in priority order, then the notice of what was cut, then the
// summary.
func (h *markdownHandler) layout(header string, output, priority []*section, summary, seeAll string) {
	budget := h.opts.markdownLimit() - len(header) - len(summary) - noticeReserve
	for _, s := range priority {
		s.fit(&budget)
	}
	h.print(header)
	for _, s := range output {
		h.print(s.String())
	}
	if cut := omitted(output...); cut != "" {
		h.printf("> [!NOTE]\n> Not shown, to keep this comment under %d characters: %s. %s\n\n",
			h.opts.markdownLimit(), cut, seeAll)
	}
	h.print(summary)
}

// seeAllPlan says where to see a cut plan whole: the saved plan file, or
// the same command's text output.
func (h *markdownHandler) seeAllPlan() string {
	if h.opts.PlanFile != "" {
		return "Run " + mdCode("flowplan show "+h.opts.PlanFile, false) + " to see everything."
	}
	return "Run " + mdCode("flowplan "+h.opts.markerKind(MarkerPlan), false) + " again with " +
		mdCode("--format text", false) + " to see everything."
}

// seeAllResult says where to see a cut apply result whole.
func (h *markdownHandler) seeAllResult() string {
	s := "The text and JSON formats list every change."
	if h.opts.PlanFile != "" {
		s += " " + mdCode("flowplan show "+h.opts.PlanFile, false) + " shows the plan that was applied."
	}
	return s
}

func (h *markdownHandler) plan(p *engine.Plan) {
	aliases := accountAliases(p.Accounts)
	changes := h.changeSection(p, aliases)
	kinds, groups := notesByKind(p.Notes)
	var notes, urgentNotes []*section
	for _, k := range kinds {
		s := noteSection(k, groups[k])
		notes = append(notes, s)
		if k != engine.NoteUnmanaged && k != engine.NoteOrphan && k != engine.NoteInfo {
			urgentNotes = append(urgentNotes, s)
		}
	}
	discovery, planning := splitErrors(p.Errors)
	errs := []*section{errorSection("discovery errors", discoveryErrorsHeading, discovery), errorSection("plan errors", planErrorsHeading, planning)}

	output := append(append([]*section{changes}, notes...), errs...)
	priority := append(append(errs, urgentNotes...), changes)
	for _, s := range notes {
		if !contains(urgentNotes, s) {
			priority = append(priority, s)
		}
	}
	summary := "### Summary\n\n" + planTable(scopeSummaries(p), aliases, h.opts.markdownLimit()/2) +
		"\n**" + mdText(planSummary(p)) + "**\n"
	h.layout(planHeader(p, h.opts.markerKind(MarkerPlan)), output, priority, summary, h.seeAllPlan())
}

func contains(ss []*section, s *section) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// planHeader is the hidden marker, then a title naming the kind of output
// and the spec, then the spec file, the accounts and the targets.
func planHeader(p *engine.Plan, kind string) string {
	var b strings.Builder
	b.WriteString(Marker(kind, p.Spec.Name) + "\n")
	b.WriteString("### flowplan " + mdText(kind))
	if p.Spec.Name != "" {
		b.WriteString(" for spec " + mdCode(p.Spec.Name, false))
	}
	b.WriteString("\n\n")
	var facts []string
	if p.Spec.File != "" {
		facts = append(facts, "Spec file "+mdCode(p.Spec.File, false))
	}
	facts = append(facts, plural(len(p.Accounts), "account", "accounts"),
		plural(accountRegions(p.Accounts), "account-region", "account-regions"))
	if len(p.Targets) > 0 {
		var ts []string
		for _, t := range p.Targets {
			ts = append(ts, mdCode(t, false))
		}
		facts = append(facts, "limited to --target "+strings.Join(ts, ", "))
	}
	if w := engine.ShardWords(p.Shard, p.Merged); w != "" {
		facts = append(facts, "covers "+mdText(w))
	}
	b.WriteString(strings.Join(facts, " · ") + "\n\n")
	return b.String()
}

// accountAliases maps account IDs to their aliases.
func accountAliases(accounts []engine.Account) map[string]string {
	m := map[string]string{}
	for _, a := range accounts {
		if a.Alias != "" {
			m[a.ID] = a.Alias
		}
	}
	return m
}

// accountLabel is an account ID in code with its alias after it.
func accountLabel(id string, aliases map[string]string, inTable bool) string {
	s := mdCode(id, inTable)
	if a := aliases[id]; a != "" {
		s += " (" + mdText(a) + ")"
	}
	return s
}

// changeSection holds one <details> block per pending change, in apply's
// order, under a numbered heading for each step of it ("3. Create log
// groups").
func (h *markdownHandler) changeSection(p *engine.Plan, aliases map[string]string) *section {
	s := &section{what: "changes"}
	step, n := -1, 0
	for _, c := range sortedChanges(p.Changes) {
		if c.Action == engine.NoOp {
			continue
		}
		var b strings.Builder
		if c.Step != step {
			step, n = c.Step, n+1
			label := engine.StepLabel(c.Step)
			if label == "" {
				label = "other changes"
			}
			fmt.Fprintf(&b, "#### %d. %s\n\n", n, mdText(strings.ToUpper(label[:1])+label[1:]))
		}
		b.WriteString(changeDetails(c, aliases))
		s.items = append(s.items, b.String())
	}
	return s
}

// changeDetails is one change as a folded <details> block.
func changeDetails(c *engine.Change, aliases map[string]string) string {
	st := styleOf(c.Action, c.Order)
	var b strings.Builder
	alias := ""
	if a := aliases[c.Addr.Account]; a != "" {
		alias = " (" + htmlText(a) + ")"
	}
	fmt.Fprintf(&b, "<details><summary><code>%s</code> <code>%s</code>%s %s</summary>\n\n",
		htmlText(st.symbol), htmlText(c.Addr.String()), alias, htmlText(wording(c)))
	if c.Reason != "" {
		b.WriteString("Reason: " + mdText(c.Reason) + "\n\n")
	}
	if id := resourceID(c); id != "" {
		b.WriteString("ID: " + mdCode(id, false) + "\n\n")
	}
	if body := changeBody(c); len(body) > 0 {
		lines := make([]string, len(body))
		for i, l := range body {
			lines[i] = l.mark + " " + l.text
		}
		b.WriteString(mdFence("diff", lines))
	}
	b.WriteString("</details>\n\n")
	return b.String()
}

// noteSection lists one kind of note. Unmanaged and orphaned resources,
// which can be many, and what discovery found are folded; conflicts and
// warnings are not.
func noteSection(k engine.NoteKind, notes []engine.Note) *section {
	s := &section{what: "notes"}
	heading := fmt.Sprintf("%s: %d", noteHeading(k), len(notes))
	if k == engine.NoteUnmanaged || k == engine.NoteOrphan || k == engine.NoteInfo {
		s.open = "<details><summary>" + htmlText(heading) + "</summary>\n\n"
		s.close = "\n</details>\n\n"
	} else {
		s.open = "**" + mdText(heading) + "**\n\n"
		s.close = "\n"
	}
	for _, n := range notes {
		s.items = append(s.items, "- "+mdCode(n.Addr.String(), false)+": "+mdText(n.Message)+"\n")
	}
	return s
}

// errorSection lists scope errors under a heading ("Discovery errors (…)"),
// its first words in bold.
func errorSection(what, heading string, errs []engine.ScopeError) *section {
	title, rest, _ := strings.Cut(heading, " (")
	s := &section{
		what:  what,
		open:  "**" + mdText(title) + "** (" + mdText(rest) + "\n\n",
		close: "\n",
	}
	for _, e := range errs {
		msg := e.Message
		if e.Code != "" {
			msg = e.Code + ": " + msg
		}
		s.items = append(s.items, "- "+mdCode(e.Scope, false)+": "+mdText(msg)+"\n")
	}
	return s
}

// planTable is the per account × region summary table with a total row.
func planTable(rows []ScopeSummary, aliases map[string]string, limit int) string {
	head := "| account | region | create | update | replace | delete | adopt | unchanged |\n" +
		"|---|---|--:|--:|--:|--:|--:|--:|\n"
	cells := make([]string, len(rows))
	quiet := make([]bool, len(rows))
	var total Counts
	for i, r := range rows {
		cells[i] = scopeRow(r, aliases)
		quiet[i] = r.pending() == 0 && !r.DiscoveryFailed
		total = total.plus(r.Counts)
	}
	fold := func(idx []int) string {
		var n Counts
		for _, i := range idx {
			n = n.plus(rows[i].Counts)
		}
		return countRow(moreRows(len(idx)), "", n)
	}
	return fitTable(head, cells, quiet, fold, countRow("**total**", "", total), limit)
}

// moreRows labels a row that stands for folded rows.
func moreRows(n int) string {
	return "_" + plural(n, "more account-region", "more account-regions") + "_"
}

// fitTable writes a table in at most limit bytes: when the rows do not
// fit, the quiet ones are folded into one row made by fold, then, if need
// be, the last ones. The head and the total row are always written.
func fitTable(head string, rows []string, quiet []bool, fold func(idx []int) string, total string, limit int) string {
	size := len(head) + len(total)
	for _, r := range rows {
		size += len(r)
	}
	keep := make([]bool, len(rows))
	for i := range rows {
		keep[i] = size <= limit || !quiet[i]
	}
	all := make([]int, len(rows))
	for i := range all {
		all[i] = i
	}
	budget := limit - len(head) - len(total) - len(fold(all))
	for i, r := range rows {
		if keep[i] {
			keep[i] = len(r) <= budget
			budget -= len(r)
		}
	}
	var b strings.Builder
	b.WriteString(head)
	var folded []int
	for i, r := range rows {
		if keep[i] {
			b.WriteString(r)
		} else {
			folded = append(folded, i)
		}
	}
	if len(folded) > 0 {
		b.WriteString(fold(folded))
	}
	b.WriteString(total)
	return b.String()
}

// scopeRow is one account-region's row.
func scopeRow(r ScopeSummary, aliases map[string]string) string {
	region := mdCode(r.Region, true)
	if r.DiscoveryFailed {
		region += " (discovery failed)"
	}
	return countRow(accountLabel(r.Account, aliases, true), region, r.Counts)
}

func countRow(account, region string, n Counts) string {
	return fmt.Sprintf("| %s | %s | %d | %d | %d | %d | %d | %d |\n",
		account, region, n.Create, n.Update, n.Replace, n.Delete, n.Adopt, n.NoOp)
}

func (h *markdownHandler) result(r *engine.Result, p *engine.Plan) {
	var aliases map[string]string
	kind, specName := h.opts.markerKind(MarkerApply), ""
	if p != nil {
		aliases = accountAliases(p.Accounts)
		specName = p.Spec.Name
	}
	header := Marker(kind, specName) + "\n### flowplan " + mdText(kind)
	if specName != "" {
		header += " for spec " + mdCode(specName, false)
	}
	header += "\n"
	s := &section{what: "changes", close: "\n"}
	scope := ""
	type key struct{ account, region string }
	var order []key
	rows := map[key]*[4]int{}
	for _, cr := range sortedResults(r.Changes) {
		if cr.Action == engine.NoOp {
			continue
		}
		k := key{cr.Addr.Account, cr.Addr.Region}
		if rows[k] == nil {
			rows[k] = &[4]int{}
			order = append(order, k)
		}
		switch cr.Status {
		case engine.StatusApplied:
			rows[k][0]++
		case engine.StatusFailed:
			rows[k][1]++
		case engine.StatusSkipped:
			rows[k][2]++
		case engine.StatusInterrupted:
			rows[k][3]++
		}
		var b strings.Builder
		if sc := k.account + "/" + k.region; sc != scope {
			scope = sc
			fmt.Fprintf(&b, "\n#### %s · %s\n\n", accountLabel(k.account, aliases, false), mdCode(k.region, false))
		}
		b.WriteString(resultItem(cr))
		s.items = append(s.items, b.String())
	}
	var total [4]int
	for _, k := range order {
		for j := range total {
			total[j] += rows[k][j]
		}
	}
	// The interrupted column is there only when an interrupt left changes
	// undone.
	interrupted := total[3] > 0
	head := "| account | region | applied | failed | skipped |\n|---|---|--:|--:|--:|\n"
	if interrupted {
		head = "| account | region | applied | failed | skipped | interrupted |\n|---|---|--:|--:|--:|--:|\n"
	}
	cells := make([]string, len(order))
	quiet := make([]bool, len(order))
	for i, k := range order {
		n := rows[k]
		cells[i] = resultRow(accountLabel(k.account, aliases, true), mdCode(k.region, true), *n, interrupted)
		quiet[i] = n[1] == 0 && n[2] == 0 && n[3] == 0
	}
	fold := func(idx []int) string {
		var n [4]int
		for _, i := range idx {
			for j := range n {
				n[j] += rows[order[i]][j]
			}
		}
		return resultRow(moreRows(len(idx)), "", n, interrupted)
	}
	table := fitTable(head, cells, quiet, fold, resultRow("**total**", "", total, interrupted), h.opts.markdownLimit()/2)
	summary := "\n### Summary\n\n" + table + "\n**" + mdText(resultSummary(r)) + "**\n"
	h.layout(header, []*section{s}, []*section{s}, summary, h.seeAllResult())
}

// resultRow is one row of the apply summary table: applied, failed,
// skipped, and with interrupted, the interrupted count.
func resultRow(account, region string, n [4]int, interrupted bool) string {
	if interrupted {
		return fmt.Sprintf("| %s | %s | %d | %d | %d | %d |\n", account, region, n[0], n[1], n[2], n[3])
	}
	return fmt.Sprintf("| %s | %s | %d | %d | %d |\n", account, region, n[0], n[1], n[2])
}

// resultItem is one change's outcome as a list item, its detail indented
// under it.
func resultItem(cr engine.ChangeResult) string {
	st := styleOf(cr.Action, cr.Order)
	s := fmt.Sprintf("- **%s** %s %s", mdText(string(cr.Status)), mdText(st.verb), mdCode(cr.Addr.String(), false))
	switch {
	case cr.Status == engine.StatusApplied && cr.Resource != nil && cr.Resource.ID != "" && cr.Action != engine.Delete:
		s += " (" + mdCode(cr.Resource.ID, false) + ")"
	case cr.Error != "":
		s += ": " + mdText(cr.Error)
	}
	if cr.Detail != "" {
		s += "\n  " + mdText(cr.Detail)
	}
	return s + "\n"
}

// htmlText escapes s for an HTML block, such as a <summary>, where
// Markdown is not parsed.
func htmlText(s string) string { return html.EscapeString(oneLine(s)) }

// mdCode is s as an inline code span. In a table cell, pipes are escaped
// too: GitHub splits cells before it parses code spans.
func mdCode(s string, inTable bool) string {
	s = oneLine(s)
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	pad := ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") || s == "" {
		pad = " "
	}
	out := fence + pad + s + pad + fence
	if inTable {
		out = strings.ReplaceAll(out, "|", `\|`)
	}
	return out
}

// mdText escapes s as Markdown text, on one line.
func mdText(s string) string {
	var b strings.Builder
	for _, r := range oneLine(s) {
		switch r {
		case '\\', '`', '*', '_', '[', ']', '|', '~', '#', '!':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdFence is a fenced code block whose fence is longer than any run of
// backticks inside it.
func mdFence(lang string, lines []string) string {
	n := 2
	for _, l := range lines {
		n = max(n, longestRun(l, '`'))
	}
	fence := strings.Repeat("`", n+1)
	return fence + lang + "\n" + strings.Join(lines, "\n") + "\n" + fence + "\n\n"
}

// longestRun is the length of the longest run of c in s.
func longestRun(s string, c byte) int {
	best, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return best
}

// drift renders a drift check for an issue body: per account × region, a
// table of findings worst first; the summary table and line last.
func (h *markdownHandler) drift(d *engine.Drift, at time.Time) {
	aliases := accountAliases(d.Accounts)
	kind := h.opts.markerKind(MarkerDrift)
	var hb strings.Builder
	hb.WriteString(Marker(kind, d.Spec.Name) + "\n### flowplan " + mdText(kind))
	if d.Spec.Name != "" {
		hb.WriteString(" for spec " + mdCode(d.Spec.Name, false))
	}
	hb.WriteString("\n\n")
	facts := []string{"Checked " + mdText(at.UTC().Format(time.RFC3339))}
	if d.Spec.File != "" {
		facts = append(facts, "spec file "+mdCode(d.Spec.File, false))
	}
	facts = append(facts, plural(len(d.Accounts), "account", "accounts"), plural(accountRegions(d.Accounts), "account-region", "account-regions"))
	if len(d.Targets) > 0 {
		facts = append(facts, "limited to --target "+mdCode(strings.Join(d.Targets, ", "), false))
	}
	if w := engine.ShardWords(d.Shard, nil); w != "" {
		facts = append(facts, "covers "+mdText(w))
	}
	hb.WriteString(strings.Join(facts, " · ") + "\n\n")

	s := &section{what: "findings"}
	scopes, groups := findingsByScope(d)
	for _, sc := range scopes {
		account, region, _ := strings.Cut(sc, "/")
		for i, f := range groups[sc] {
			var b strings.Builder
			if i == 0 {
				fmt.Fprintf(&b, "#### %s · %s\n\n| severity | kind | address | detail | fix |\n|---|---|---|---|---|\n",
					accountLabel(account, aliases, false), mdCode(region, false))
			}
			kindCell := mdText(string(f.Kind))
			if !f.Drift {
				kindCell += " (not drift)"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", mdText(string(f.Severity)), kindCell, mdCode(f.Addr.String(), true),
				mdText(f.Detail), mdCode(f.Fix, true))
			if i == len(groups[sc])-1 {
				b.WriteString("\n")
			}
			s.items = append(s.items, b.String())
		}
	}
	discovery, _ := splitErrors(d.Errors)
	errs := errorSection("unknown scopes", "Unknown (discovery failed, so drift there is not known)", discovery)

	sum := driftSummary(d)
	head := "| account | region |"
	sep := "|---|---|"
	for _, k := range engine.DriftKinds {
		head += " " + string(k) + " |"
		sep += "--:|"
	}
	head += "\n" + sep + "\n"
	row := func(account, region string, n map[engine.DriftKind]int) string {
		r := "| " + account + " | " + region + " |"
		for _, k := range engine.DriftKinds {
			r += fmt.Sprintf(" %d |", n[k])
		}
		return r + "\n"
	}
	cells := make([]string, len(sum.Scopes))
	quiet := make([]bool, len(sum.Scopes))
	for i, sc := range sum.Scopes {
		region := mdCode(sc.Region, true)
		if sc.Unknown {
			region += " (unknown)"
		}
		cells[i] = row(accountLabel(sc.Account, aliases, true), region, sc.Kinds)
		quiet[i] = !sc.Unknown
		for _, n := range sc.Kinds {
			if n > 0 {
				quiet[i] = false
			}
		}
	}
	fold := func(idx []int) string {
		n := kindCounts()
		for _, i := range idx {
			for k, v := range sum.Scopes[i].Kinds {
				n[k] += v
			}
		}
		return row(moreRows(len(idx)), "", n)
	}
	table := fitTable(head, cells, quiet, fold, row("**total**", "", sum.Kinds), h.opts.markdownLimit()/2)
	summary := "### Summary\n\n" + table + "\n**" + mdText(driftLine(d)) + "**\n"
	see := "Run " + mdCode("flowplan drift --format text", false) + " to see everything."
	h.layout(hb.String(), []*section{s, errs}, []*section{errs, s}, summary, see)
}
