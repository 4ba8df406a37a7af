package render

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/flowplan/flowplan/engine"
)

// AuditFormatVersion is the version of the JSON audit document
// (docs/audit-json.md).
const AuditFormatVersion = "1.1"

// MarkerAudit is the kind of output audit Markdown names in its marker.
const MarkerAudit = "audit"

// AuditFormat is an output format of `flowplan audit`.
type AuditFormat string

// The audit formats.
const (
	AuditText     AuditFormat = "text"
	AuditJSONFmt  AuditFormat = "json"
	AuditCSV      AuditFormat = "csv"
	AuditMarkdown AuditFormat = "markdown"
	AuditHTML     AuditFormat = "html"
	AuditOCSF     AuditFormat = "ocsf"
)

// AuditFormats lists the audit formats in the order help shows them.
var AuditFormats = []AuditFormat{AuditText, AuditJSONFmt, AuditCSV, AuditMarkdown, AuditHTML, AuditOCSF}

// ParseAuditFormat parses audit's --format.
func ParseAuditFormat(s string) (AuditFormat, error) {
	names := make([]string, len(AuditFormats))
	for i, f := range AuditFormats {
		if s == string(f) {
			return f, nil
		}
		names[i] = string(f)
	}
	return "", fmt.Errorf("unknown audit format %q: use one of %s", s, strings.Join(names, ", "))
}

// AuditHeader is the evidence header: when, by whom and with what the
// audit was made. The CLI fills it; renderers print it.
type AuditHeader struct {
	GeneratedAt time.Time
	// Caller is the identity STS reports for the credentials used.
	Caller Caller
	// Version is flowplan's version.
	Version string
}

// Caller is an AWS caller identity.
type Caller struct {
	ARN     string `json:"arn"`
	Account string `json:"account"`
	UserID  string `json:"user_id,omitempty"`
}

// Audit renders an audit in the given format.
func Audit(w io.Writer, a *engine.Audit, h AuditHeader, f AuditFormat, opts Options) error {
	if a == nil {
		return fmt.Errorf("render audit: no audit")
	}
	doc := auditJSON(a, h)
	var err error
	switch f {
	case AuditText:
		err = auditText(w, a, doc, opts)
	case AuditJSONFmt:
		err = writeJSON(w, doc)
	case AuditCSV:
		err = auditCSV(w, doc)
	case AuditMarkdown:
		err = auditMarkdown(w, a, doc, opts)
	case AuditHTML:
		err = auditHTML(w, doc)
	case AuditOCSF:
		err = writeJSON(w, auditOCSF(a, doc))
	default:
		_, err = ParseAuditFormat(string(f))
	}
	if err != nil {
		return fmt.Errorf("render audit: %w", err)
	}
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// AuditJSON is the JSON audit document, documented in docs/audit-json.md.
// Lists are sorted and never null.
type AuditJSON struct {
	FormatVersion   string         `json:"format_version"`
	GeneratedAt     string         `json:"generated_at"`
	FlowplanVersion string         `json:"flowplan_version"`
	Caller          Caller         `json:"caller"`
	Spec            engine.SpecRef `json:"spec"`
	// Shard is the --shard audited (format 1.1); Merged the shards a
	// merged audit combines. Both are left out when nil.
	Shard    *engine.Shard        `json:"shard,omitempty"`
	Merged   *engine.MergedShards `json:"merged,omitempty"`
	Options  AuditOptionsJSON     `json:"options"`
	Regions  []string             `json:"regions"`
	Controls []engine.Control     `json:"controls"`
	Summary  AuditCountsJSON      `json:"summary"`
	Accounts []AuditAccountJSON   `json:"accounts"`
	Scopes   []AuditScopeJSON     `json:"scopes"`
	Rules    []AuditRuleJSON      `json:"rules"`
	Targets  []AuditUnitJSON      `json:"targets"`
	Errors   []engine.ScopeError  `json:"errors"`
	// Evidence counts the compliant units by evidence status; null
	// without --evidence.
	Evidence map[engine.EvidenceStatus]int `json:"evidence"`
}

// AuditOptionsJSON records how the audit was asked for.
type AuditOptionsJSON struct {
	AllVPCs  bool     `json:"all_vpcs"`
	Evidence bool     `json:"evidence"`
	MaxAge   string   `json:"max_age,omitempty"`
	Targets  []string `json:"targets"`
	// EvidenceCalls is how many API calls reading evidence took.
	EvidenceCalls int `json:"evidence_calls"`
}

// AuditCountsJSON are the counts of a set of units.
type AuditCountsJSON struct {
	Targets      int `json:"targets"`
	Compliant    int `json:"compliant"`
	Noncompliant int `json:"noncompliant"`
	Uncovered    int `json:"uncovered"`
	Unknown      int `json:"unknown"`
	Stale        int `json:"stale"`
	// CoveragePercent is null when there are no targets.
	CoveragePercent *float64 `json:"coverage_percent"`
}

// AuditAccountJSON is one account with its coverage.
type AuditAccountJSON struct {
	ID      string   `json:"id"`
	Alias   string   `json:"alias,omitempty"`
	Regions []string `json:"regions"`
	AuditCountsJSON
}

// AuditScopeJSON is one account-region with its coverage.
type AuditScopeJSON struct {
	Account string `json:"account"`
	Alias   string `json:"alias,omitempty"`
	Region  string `json:"region"`
	AuditCountsJSON
}

// AuditRuleJSON is one rule with its coverage.
type AuditRuleJSON struct {
	Name string `json:"name"`
	AuditCountsJSON
}

// AuditUnitJSON is one unit: a target held to a rule.
type AuditUnitJSON struct {
	Address      string             `json:"address"`
	Account      string             `json:"account"`
	Region       string             `json:"region"`
	ResourceType string             `json:"resource_type"`
	ResourceID   string             `json:"resource_id"`
	Name         string             `json:"name"`
	Rule         string             `json:"rule"`
	Status       engine.AuditStatus `json:"status"`
	Reasons      []string           `json:"reasons"`
	FlowLogs     []string           `json:"flow_logs"`
	Via          string             `json:"via"`
	SatisfiedBy  string             `json:"satisfied_by"`
	ManagedBy    string             `json:"managed_by"`
	// LastDelivery is RFC 3339, null when unknown or not asked for.
	LastDelivery *string `json:"last_delivery"`
	// Stale is true when the newest record is older than --max-age.
	Stale bool `json:"stale"`
	// Evidence is fresh, stale, pending or unavailable; empty without
	// --evidence and for units that are not compliant.
	Evidence       engine.EvidenceStatus `json:"evidence"`
	EvidenceSource string                `json:"evidence_source,omitempty"`
	EvidenceDetail string                `json:"evidence_detail,omitempty"`
}

func countsJSON(c engine.AuditCounts) AuditCountsJSON {
	out := AuditCountsJSON{Targets: c.Targets, Compliant: c.Compliant, Noncompliant: c.Noncompliant, Uncovered: c.Uncovered, Unknown: c.Unknown, Stale: c.Stale}
	if p, ok := c.CoveragePercent(); ok {
		out.CoveragePercent = &p
	}
	return out
}

// auditJSON builds the audit document; every other format renders from
// it or from the audit it came from.
func auditJSON(a *engine.Audit, h AuditHeader) AuditJSON {
	doc := AuditJSON{
		FormatVersion:   AuditFormatVersion,
		GeneratedAt:     h.GeneratedAt.UTC().Format(time.RFC3339),
		FlowplanVersion: h.Version,
		Caller:          h.Caller,
		Spec:            a.Spec,
		Shard:           a.Shard,
		Merged:          a.Merged,
		Options: AuditOptionsJSON{AllVPCs: a.Options.AllVPCs, Evidence: a.Evidence != nil,
			Targets: append([]string{}, a.Options.Targets...), EvidenceCalls: a.EvidenceCalls},
		Regions:  append([]string{}, a.Regions...),
		Controls: append([]engine.Control{}, a.Controls...),
		Summary:  countsJSON(a.Summary),
		Accounts: []AuditAccountJSON{},
		Scopes:   []AuditScopeJSON{},
		Rules:    []AuditRuleJSON{},
		Targets:  []AuditUnitJSON{},
		Errors:   sortedErrors(a.Errors),
	}
	if doc.Errors == nil {
		doc.Errors = []engine.ScopeError{}
	}
	if a.Evidence != nil {
		doc.Options.MaxAge = a.Evidence.MaxAge.String()
		doc.Evidence = a.EvidenceCounts()
	}
	for _, c := range a.ByAccount {
		doc.Accounts = append(doc.Accounts, AuditAccountJSON{ID: c.Account.ID, Alias: c.Account.Alias,
			Regions: append([]string{}, c.Account.Regions...), AuditCountsJSON: countsJSON(c.AuditCounts)})
	}
	for _, c := range a.Scopes {
		doc.Scopes = append(doc.Scopes, AuditScopeJSON{Account: c.Account, Alias: c.Alias, Region: c.Region, AuditCountsJSON: countsJSON(c.AuditCounts)})
	}
	for _, c := range a.Rules {
		doc.Rules = append(doc.Rules, AuditRuleJSON{Name: c.Rule, AuditCountsJSON: countsJSON(c.AuditCounts)})
	}
	for _, u := range a.Units {
		j := AuditUnitJSON{
			Address: u.Addr.String(), Account: u.Account, Region: u.Region, ResourceType: u.ResourceType, ResourceID: u.ResourceID,
			Name: u.Name, Rule: u.Rule, Status: u.Status, Reasons: append([]string{}, u.Reasons...),
			FlowLogs: append([]string{}, u.FlowLogs...), Via: u.Via, SatisfiedBy: u.SatisfiedBy, ManagedBy: u.ManagedBy, Stale: u.Stale(),
		}
		if e := u.Evidence; e != nil {
			j.Evidence, j.EvidenceSource, j.EvidenceDetail = e.Status, e.Source, e.Detail
			if !e.LastDelivery.IsZero() {
				t := e.LastDelivery.UTC().Format(time.RFC3339)
				j.LastDelivery = &t
			}
		}
		doc.Targets = append(doc.Targets, j)
	}
	return doc
}

// Percent renders a coverage figure: "87.5%", or "n/a" for no targets.
func Percent(p *float64) string {
	if p == nil {
		return "n/a"
	}
	return strconv.FormatFloat(*p, 'f', 1, 64) + "%"
}

// --- text ---

// auditText renders the header, the findings (units not compliant, and
// stale ones), the account × region table worst first, the rules, and
// the summary line last.
func auditText(w io.Writer, a *engine.Audit, doc AuditJSON, opts Options) error {
	h := &textHandler{out: out{w: w}, color: opts.Color}
	h.printf("flowplan audit of spec %s (sha256 %s), %s\n", oneLine(doc.Spec.Name), shortSHA(doc.Spec.SHA256), doc.GeneratedAt)
	h.printf("Caller: %s (flowplan %s)\n", oneLine(cmpOr(doc.Caller.ARN, "unknown")), oneLine(cmpOr(doc.FlowplanVersion, "devel")))
	h.printf("Covered: %s, regions %s", plural(len(doc.Accounts), "account", "accounts"), strings.Join(doc.Regions, ", "))
	if a.Evidence != nil {
		h.printf("; evidence: newest record within %s", engine.FormatAge(a.Evidence.MaxAge))
	}
	if len(doc.Options.Targets) > 0 {
		h.printf("; limited to --target %s", strings.Join(doc.Options.Targets, ", "))
	}
	if w := engine.ShardWords(a.Shard, a.Merged); w != "" {
		h.printf("; covers %s", w)
	}
	h.print("\n")
	if doc.Evidence != nil {
		h.printf("Evidence of delivery for the compliant targets: %s (%s)\n", evidenceCounts(doc.Evidence), plural(doc.Options.EvidenceCalls, "API call", "API calls"))
	}
	findings := a.Findings()
	if len(findings) > 0 {
		h.printf("\nFindings (%d):\n", len(findings))
		for _, u := range findings {
			status := string(u.Status)
			if u.Status == engine.AuditCompliant {
				status = "stale"
			}
			h.printf("  %s %s\n", h.paint(auditColor(status), fmt.Sprintf("%-12s", status)), oneLine(unitLabel(u)))
			for _, r := range u.Reasons {
				h.printf("      - %s\n", oneLine(r))
			}
			if u.Stale() {
				h.printf("      - %s in %s\n", oneLine(u.Evidence.Detail), oneLine(u.Evidence.Source))
			}
		}
	}
	if len(doc.Errors) > 0 {
		h.print("\n" + h.paint(ansiRed, "Could not be read (units there are unknown):") + "\n")
		for _, e := range doc.Errors {
			h.printf("  %s\n", oneLine(e.Error()))
		}
	}
	h.print("\nCoverage by account × region, worst first:\n")
	rows := [][]string{{"ACCOUNT", "REGION", "TARGETS", "COMPLIANT", "NONCOMPLIANT", "UNCOVERED", "UNKNOWN", "STALE", "COVERAGE"}}
	for _, s := range a.WorstScopes() {
		c := countsJSON(s.AuditCounts)
		rows = append(rows, []string{accountText(s.Account, s.Alias), s.Region, itoa(c.Targets), itoa(c.Compliant), itoa(c.Noncompliant),
			itoa(c.Uncovered), itoa(c.Unknown), itoa(c.Stale), Percent(c.CoveragePercent)})
	}
	h.table(rows)
	h.print("\nCoverage by rule:\n")
	rows = [][]string{{"RULE", "TARGETS", "COMPLIANT", "COVERAGE"}}
	for _, r := range doc.Rules {
		rows = append(rows, []string{r.Name, itoa(r.Targets), itoa(r.Compliant), Percent(r.CoveragePercent)})
	}
	h.table(rows)
	h.printf("\n%s\n", h.paint(ansiBold, auditSummaryLine(doc.Summary)))
	return h.err
}

// AuditSummaryLine is the line text output ends with.
func AuditSummaryLine(a *engine.Audit) string { return auditSummaryLine(countsJSON(a.Summary)) }

// evidenceCounts renders the evidence counts: "4 fresh, 1 stale, ...".
func evidenceCounts(n map[engine.EvidenceStatus]int) string {
	var parts []string
	for _, st := range engine.EvidenceStatuses {
		parts = append(parts, fmt.Sprintf("%d %s", n[st], st))
	}
	return strings.Join(parts, ", ")
}

// auditSummaryLine is the last line of text and Markdown output.
func auditSummaryLine(c AuditCountsJSON) string {
	if c.Targets == 0 {
		return "Coverage: n/a: the spec's rules select no targets"
	}
	line := fmt.Sprintf("Coverage: %s (%d of %d targets compliant", Percent(c.CoveragePercent), c.Compliant, c.Targets)
	var rest []string
	for _, p := range []struct {
		n    int
		what string
	}{{c.Noncompliant, "noncompliant"}, {c.Uncovered, "uncovered"}, {c.Unknown, "unknown"}, {c.Stale, "stale"}} {
		if p.n > 0 {
			rest = append(rest, fmt.Sprintf("%d %s", p.n, p.what))
		}
	}
	if len(rest) > 0 {
		line += "; " + strings.Join(rest, ", ")
	}
	return line + ")"
}

func auditColor(status string) string {
	switch status {
	case string(engine.AuditCompliant):
		return ansiGreen
	case "stale", string(engine.AuditNoncompliant):
		return ansiYellow
	}
	return ansiRed
}

// unitLabel names a unit for people: where, what and which rule.
func unitLabel(u *engine.AuditUnit) string {
	where := u.Account + "/" + cmpOr(u.Region, "*")
	what := u.ResourceID
	if what == "" {
		what = "(targets unknown)"
	}
	if u.Name != "" {
		what += " (" + u.Name + ")"
	}
	if u.Via != "" {
		what += " via " + u.Via
	}
	return where + " " + what + ", rule " + u.Rule
}

func accountText(id, alias string) string {
	if alias != "" {
		return id + " (" + oneLine(alias) + ")"
	}
	return id
}

func shortSHA(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return cmpOr(s, "unknown")
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func itoa(n int) string { return strconv.Itoa(n) }

// table prints rows in aligned columns, the first row as the header.
func (h *textHandler) table(rows [][]string) {
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		b.WriteString("  ")
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-len([]rune(c))+2))
			}
		}
		h.print(strings.TrimRight(b.String(), " ") + "\n")
	}
}

// --- CSV ---

// auditCSVHeader are the CSV columns: one row per unit.
var auditCSVHeader = []string{"account", "region", "resource_type", "resource_id", "name", "rule", "status", "reasons",
	"flow_logs", "via", "last_delivery", "stale", "evidence", "managed_by"}

// auditCSV writes one row per unit. Cells a spreadsheet would take for a
// formula (a Name tag starting with "=") are prefixed with a quote, as
// OWASP advises against CSV injection: tags are anyone's to write.
func auditCSV(w io.Writer, doc AuditJSON) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(auditCSVHeader); err != nil {
		return err
	}
	for _, u := range doc.Targets {
		last := ""
		if u.LastDelivery != nil {
			last = *u.LastDelivery
		}
		row := []string{u.Account, u.Region, u.ResourceType, u.ResourceID, u.Name, u.Rule, string(u.Status),
			strings.Join(u.Reasons, "; "), strings.Join(u.FlowLogs, " "), u.Via, last, strconv.FormatBool(u.Stale), string(u.Evidence), u.ManagedBy}
		for i := range row {
			row[i] = csvSafe(row[i])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe defuses a cell a spreadsheet would evaluate.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// --- Markdown ---

// auditMarkdown renders for a ticket: the header, the findings, the
// per-account table, and the summary last.
func auditMarkdown(w io.Writer, a *engine.Audit, doc AuditJSON, opts Options) error {
	o := &out{w: w}
	aliases := accountAliases(a.Accounts)
	o.print(Marker(MarkerAudit, doc.Spec.Name) + "\n### flowplan audit")
	if doc.Spec.Name != "" {
		o.print(" for spec " + mdCode(doc.Spec.Name, false))
	}
	o.print("\n\n")
	facts := []string{"Audited " + mdText(doc.GeneratedAt), "by " + mdCode(cmpOr(doc.Caller.ARN, "unknown"), false),
		"flowplan " + mdCode(cmpOr(doc.FlowplanVersion, "devel"), false)}
	if doc.Spec.SHA256 != "" {
		facts = append(facts, "spec sha256 "+mdCode(shortSHA(doc.Spec.SHA256), false))
	}
	if a.Evidence != nil {
		facts = append(facts, "evidence: newest record within "+mdText(engine.FormatAge(a.Evidence.MaxAge)))
	}
	if w := engine.ShardWords(a.Shard, a.Merged); w != "" {
		facts = append(facts, "covers "+mdText(w))
	}
	o.print(strings.Join(facts, " · ") + "\n\n")
	findings := a.Findings()
	limit := opts.markdownLimit()
	if len(findings) > 0 {
		o.print("#### Findings\n\n| status | account | region | target | rule | reasons |\n|---|---|---|---|---|---|\n")
		shown := 0
		for _, u := range findings {
			status, reasons := string(u.Status), u.Reasons
			if u.Status == engine.AuditCompliant {
				status, reasons = "stale", []string{u.Evidence.Detail}
			}
			target := mdCode(cmpOr(u.ResourceID, "(unknown)"), true)
			if u.Name != "" {
				target += " " + mdText(u.Name)
			}
			parts := make([]string, len(reasons))
			for i, r := range reasons {
				parts[i] = mdText(r)
			}
			row := fmt.Sprintf("| %s | %s | %s | %s | %s | %s |\n", mdText(status), accountLabel(u.Account, aliases, true),
				mdCode(cmpOr(u.Region, "*"), true), target, mdCode(u.Rule, true), strings.Join(parts, "<br>"))
			// Keep room for the tables and the summary, which are never cut.
			if o.n+len(row) > limit-4000 {
				o.printf("\n_%d more findings are not shown: see the JSON or HTML report._\n", len(findings)-shown)
				break
			}
			o.print(row)
			shown++
		}
		o.print("\n")
	}
	o.print("#### Coverage by account\n\n| account | targets | compliant | noncompliant | uncovered | unknown | stale | coverage |\n|---|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, c := range doc.Accounts {
		o.printf("| %s | %d | %d | %d | %d | %d | %d | %s |\n", accountLabel(c.ID, aliases, true), c.Targets, c.Compliant, c.Noncompliant,
			c.Uncovered, c.Unknown, c.Stale, Percent(c.CoveragePercent))
	}
	o.print("\n### Summary\n\n| rule | targets | compliant | coverage |\n|---|--:|--:|--:|\n")
	for _, r := range doc.Rules {
		o.printf("| %s | %d | %d | %s |\n", mdCode(r.Name, true), r.Targets, r.Compliant, Percent(r.CoveragePercent))
	}
	o.printf("\n**%s**\n", mdText(auditSummaryLine(doc.Summary)))
	return o.err
}
