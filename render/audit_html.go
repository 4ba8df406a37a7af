package render

import (
	"embed"
	"html/template"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/flowplan/flowplan/engine"
)

// The HTML audit report: one self-contained file (inline CSS and JS,
// nothing fetched), rendered with html/template from the audit document
// alone. Every row of the units table is in the HTML, so it reads with
// JavaScript off; the script only filters rows.

//go:embed templates/audit.html.tmpl
var auditTemplates embed.FS

var auditHTMLTemplate = template.Must(template.New("audit.html.tmpl").
	Funcs(template.FuncMap{"percent": Percent, "join": strings.Join, "age": durationText, "evidenceCounts": evidenceCounts}).
	ParseFS(auditTemplates, "templates/audit.html.tmpl"))

// htmlReport is what the template shows: the document, and the document's
// figures arranged for display (heat map rows, units worst first).
type htmlReport struct {
	// Covers says which shards the audit covers; empty for all accounts.
	Covers  string
	Doc     AuditJSON
	Tone    string
	Regions []string
	Heat    []heatRow
	Rules   []htmlRule
	Units   []htmlUnit
}

type heatRow struct {
	Account, Alias string
	Cells          []heatCell
}

// heatCell is one account-region; Listed is false where the account does
// not cover the region.
type heatCell struct {
	Listed  bool
	Scope   string
	Region  string
	Percent string
	Tone    string
	Counts  AuditCountsJSON
}

type htmlRule struct {
	AuditRuleJSON
	Percent string
	Tone    string
}

type htmlUnit struct {
	AuditUnitJSON
	// Label is the status shown: the status, or "stale" for a compliant
	// unit whose records are stale.
	Label string
	Scope string
	// Search is what the search box matches: resource id, Name tag and
	// flow log ids, lower case.
	Search string
}

// tone is the colour class of a coverage figure; "na" without targets.
func tone(c AuditCountsJSON) string {
	p := c.CoveragePercent
	switch {
	case p == nil:
		return "na"
	case *p == 100:
		return "full"
	case *p >= 90:
		return "high"
	case *p >= 50:
		return "mid"
	}
	return "low"
}

// unitRank orders units worst first: unknown, uncovered, noncompliant,
// compliant with stale records, compliant.
func unitRank(u AuditUnitJSON) int {
	switch {
	case u.Status == engine.AuditCompliant && u.Stale:
		return len(engine.AuditStatuses) - 1
	case u.Status == engine.AuditCompliant:
		return len(engine.AuditStatuses)
	}
	if i := slices.Index(engine.AuditStatuses, u.Status); i >= 0 {
		return i
	}
	return 0
}

func htmlScope(account, region string) string { return account + "/" + region }

// auditHTML renders the report from the audit document.
func auditHTML(w io.Writer, doc AuditJSON) error {
	r := htmlReport{Doc: doc, Tone: tone(doc.Summary), Regions: slices.Clone(doc.Regions), Covers: engine.ShardWords(doc.Shard, doc.Merged)}
	scopes := map[string]AuditScopeJSON{}
	accounts := []AuditAccountJSON{}
	seen := map[string]bool{}
	for _, a := range doc.Accounts {
		accounts = append(accounts, a)
		seen[a.ID] = true
	}
	for _, s := range doc.Scopes {
		scopes[htmlScope(s.Account, s.Region)] = s
		// A scope outside the listed accounts and regions (an account
		// whose regions could not be read) still gets its cell.
		if !slices.Contains(r.Regions, s.Region) {
			r.Regions = append(r.Regions, s.Region)
		}
		if !seen[s.Account] {
			seen[s.Account] = true
			accounts = append(accounts, AuditAccountJSON{ID: s.Account, Alias: s.Alias})
		}
	}
	for _, a := range accounts {
		row := heatRow{Account: a.ID, Alias: a.Alias}
		for _, region := range r.Regions {
			key := htmlScope(a.ID, region)
			s, ok := scopes[key]
			cell := heatCell{Listed: ok, Scope: key, Region: region}
			if ok {
				cell.Percent, cell.Tone, cell.Counts = Percent(s.CoveragePercent), tone(s.AuditCountsJSON), s.AuditCountsJSON
			}
			row.Cells = append(row.Cells, cell)
		}
		r.Heat = append(r.Heat, row)
	}
	for _, rule := range doc.Rules {
		r.Rules = append(r.Rules, htmlRule{AuditRuleJSON: rule, Percent: Percent(rule.CoveragePercent), Tone: tone(rule.AuditCountsJSON)})
	}
	for _, u := range doc.Targets {
		label := string(u.Status)
		if u.Status == engine.AuditCompliant && u.Stale {
			label = "stale"
		}
		search := strings.ToLower(strings.Join(append([]string{u.ResourceID, u.Name}, u.FlowLogs...), " "))
		r.Units = append(r.Units, htmlUnit{AuditUnitJSON: u, Label: label, Scope: htmlScope(u.Account, u.Region), Search: search})
	}
	slices.SortStableFunc(r.Units, func(a, b htmlUnit) int { return unitRank(a.AuditUnitJSON) - unitRank(b.AuditUnitJSON) })
	return auditHTMLTemplate.Execute(w, r)
}

// durationText renders a Go duration string ("1h0m0s") as text and
// Markdown say it ("1h").
func durationText(s string) string {
	d, err := time.ParseDuration(s)
	if err != nil {
		return s
	}
	return engine.FormatAge(d)
}
