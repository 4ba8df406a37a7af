package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// flowLogID matches a flow log ID.
var flowLogID = regexp.MustCompile(`\bfl-[0-9a-f]{8,17}\b`)

// planDoc is the part of a JSON plan (docs/plan-json.md) that plansum reads.
type planDoc struct {
	FormatVersion string `json:"format_version"`
	Changes       []struct {
		Address planAddr `json:"address"`
		Action  string   `json:"action"`
		Reason  string   `json:"reason"`
		Order   string   `json:"replace_order"`
		Pause   int      `json:"logging_pause_seconds"`
		Diffs   []struct {
			Attr string `json:"attr"`
		} `json:"diffs"`
	} `json:"changes"`
	Notes []struct {
		Kind    string   `json:"kind"`
		Address planAddr `json:"address"`
	} `json:"notes"`
	Errors []struct {
		Scope string `json:"scope"`
		Code  string `json:"code"`
	} `json:"errors"`
	Summary *struct {
		Create     int  `json:"create"`
		Update     int  `json:"update"`
		Replace    int  `json:"replace"`
		Delete     int  `json:"delete"`
		Adopt      int  `json:"adopt"`
		NoOp       int  `json:"no_op"`
		HasChanges bool `json:"has_changes"`
	} `json:"summary"`
}

type planAddr struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	Kind    string `json:"kind"`
	Name    string `json:"name"`
}

func (a planAddr) String() string {
	return a.Account + "/" + a.Region + "/" + a.Kind + "/" + a.Name
}

// cmdPlanSum prints a JSON plan (a saved plan file, or "stdout" after
// plan --format json) as one line per change that is not a no-op, note and
// error, sorted, with seeded IDs replaced by their variable names so that
// a golden holds on every backend (flow log IDs the world did not make
// show as fl-new):
//
//	<action> <address> [<diff attributes>]: <reason, for replace only>
//	note <kind> <address>
//	error <scope> <code>
//	summary: create=N update=N replace=N delete=N adopt=N no_op=N has_changes=B
//
// The summary line comes last and is present only when the document has one.
//
//	plansum FILE
func cmdPlanSum(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: plansum FILE")
	}
	var doc planDoc
	if err := json.Unmarshal([]byte(ts.ReadFile(args[0])), &doc); err != nil {
		ts.Fatalf("plansum: %s is not a JSON plan: %v", args[0], err)
	}
	if doc.FormatVersion == "" {
		ts.Fatalf("plansum: %s has no format_version", args[0])
	}
	var lines []string
	for _, c := range doc.Changes {
		if c.Action == "no-op" {
			continue
		}
		line := c.Action + " " + c.Address.String()
		var attrs []string
		for _, d := range c.Diffs {
			attrs = append(attrs, d.Attr)
		}
		if len(attrs) > 0 && c.Action != "create" {
			line += " [" + strings.Join(attrs, ",") + "]"
		}
		if c.Action == "replace" {
			line += " " + c.Order
			if c.Pause > 0 {
				line += fmt.Sprintf(" (pause %ds)", c.Pause)
			}
			line += ": " + c.Reason
		}
		lines = append(lines, line)
	}
	for _, n := range doc.Notes {
		lines = append(lines, "note "+n.Kind+" "+n.Address.String())
	}
	for _, e := range doc.Errors {
		lines = append(lines, "error "+e.Scope+" "+e.Code)
	}
	st := state(ts)
	for i, l := range lines {
		if st.seeded != nil {
			l = st.seeded.Names(l)
		}
		lines[i] = flowLogID.ReplaceAllString(l, "fl-new")
	}
	sort.Strings(lines)
	out := ts.Stdout()
	for _, l := range lines {
		fmt.Fprintln(out, l)
	}
	if s := doc.Summary; s != nil {
		fmt.Fprintf(out, "summary: create=%d update=%d replace=%d delete=%d adopt=%d no_op=%d has_changes=%t\n",
			s.Create, s.Update, s.Replace, s.Delete, s.Adopt, s.NoOp, s.HasChanges)
	}
}

// cmdNamed prints FILE (a saved output, or "stdout" after a command) with
// the seeded IDs replaced by their variable names ($VPC_prod_a) and flow
// log IDs the world did not make by fl-new, as plansum does, so that a
// whole text plan or apply result compares with cmp against one golden on
// every backend. Rewrite the goldens with go test ./cmd/flowplan -update.
//
//	named FILE
func cmdNamed(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: named FILE")
	}
	text := ts.ReadFile(args[0])
	if st := state(ts); st.seeded != nil {
		text = st.seeded.Names(text)
	}
	fmt.Fprint(ts.Stdout(), flowLogID.ReplaceAllString(text, "fl-new"))
}

// driftDoc is what driftsum reads of a JSON drift report.
type driftDoc struct {
	FormatVersion string `json:"format_version"`
	Findings      []struct {
		Kind     string `json:"kind"`
		Severity string `json:"severity"`
		Address  string `json:"address"`
		Drift    bool   `json:"drift"`
		Detail   string `json:"detail"`
		Fix      string `json:"fix"`
	} `json:"findings"`
	Errors []struct {
		Scope string `json:"scope"`
	} `json:"errors"`
	Summary struct {
		Drifted  bool           `json:"drifted"`
		Findings int            `json:"findings"`
		Kinds    map[string]int `json:"kinds"`
	} `json:"summary"`
}

// cmdDriftSum prints a JSON drift report as one line per finding, "KIND
// SEVERITY ADDRESS" (with " (not drift)" when it does not count), then
// the unknown scopes and the summary, with seeded IDs as their variable
// names and flow log IDs as fl-new, findings sorted by that line. With -v
// each finding is followed by its detail and fix, indented.
//
//	driftsum [-v] FILE
func cmdDriftSum(ts *testscript.TestScript, neg bool, args []string) {
	verbose := len(args) > 0 && args[0] == "-v"
	if verbose {
		args = args[1:]
	}
	if neg || len(args) != 1 {
		ts.Fatalf("usage: driftsum [-v] FILE")
	}
	var doc driftDoc
	if err := json.Unmarshal([]byte(ts.ReadFile(args[0])), &doc); err != nil {
		ts.Fatalf("driftsum: %s is not a JSON drift report: %v", args[0], err)
	}
	if doc.FormatVersion == "" {
		ts.Fatalf("driftsum: %s has no format_version", args[0])
	}
	// Findings are sorted by their named line, so that backends whose IDs
	// sort differently compare equal; the order of the output itself is
	// checked by the format goldens.
	var findings []string
	for _, f := range doc.Findings {
		line := f.Kind + " " + f.Severity + " " + f.Address
		if !f.Drift {
			line += " (not drift)"
		}
		if verbose {
			line += "\n  detail: " + f.Detail + "\n  fix: " + f.Fix
		}
		findings = append(findings, withNames(ts, line))
	}
	sort.Strings(findings)
	lines := findings
	for _, e := range doc.Errors {
		lines = append(lines, withNames(ts, "unknown "+e.Scope))
	}
	var kinds []string
	for k, n := range doc.Summary.Kinds {
		if n > 0 {
			kinds = append(kinds, fmt.Sprintf("%s=%d", k, n))
		}
	}
	sort.Strings(kinds)
	lines = append(lines, fmt.Sprintf("summary: drifted=%v findings=%d %s", doc.Summary.Drifted, doc.Summary.Findings, strings.Join(kinds, " ")))
	fmt.Fprintln(ts.Stdout(), strings.Join(lines, "\n"))
}

// withNames replaces the seeded IDs in text by their variable names and
// flow log IDs by fl-new, so that output compares equal on every backend
// and from run to run.
func withNames(ts *testscript.TestScript, text string) string {
	if st := state(ts); st.seeded != nil {
		text = st.seeded.Names(text)
	}
	return flowLogID.ReplaceAllString(text, "fl-new")
}

// cmdNames prints a file (or stdout after a command) with seeded IDs as
// their variable names and flow log IDs as fl-new, to compare a command's
// whole output with a golden file.
//
//	names FILE
func cmdNames(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: names FILE")
	}
	fmt.Fprint(ts.Stdout(), withNames(ts, ts.ReadFile(args[0])))
}

// auditDoc is the part of the JSON audit document auditsum reads, decoded
// independently of the render package.
type auditDoc struct {
	FormatVersion string `json:"format_version"`
	Targets       []struct {
		Address   string   `json:"address"`
		Status    string   `json:"status"`
		Reasons   []string `json:"reasons"`
		Via       string   `json:"via"`
		ManagedBy string   `json:"managed_by"`
		Evidence  string   `json:"evidence"`
		Stale     bool     `json:"stale"`
	} `json:"targets"`
	Summary struct {
		Targets         int      `json:"targets"`
		Compliant       int      `json:"compliant"`
		Noncompliant    int      `json:"noncompliant"`
		Uncovered       int      `json:"uncovered"`
		Unknown         int      `json:"unknown"`
		Stale           int      `json:"stale"`
		CoveragePercent *float64 `json:"coverage_percent"`
	} `json:"summary"`
}

// cmdAuditSum prints a JSON audit report as one line per unit, "STATUS
// ADDRESS [via ID] [unmanaged] [evidence E]: REASONS", sorted, then a
// summary line, with seeded IDs as their variable names and flow log IDs made
// later as fl-new. It checks that the counts add up.
//
//	auditsum FILE
func cmdAuditSum(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: auditsum FILE")
	}
	var doc auditDoc
	if err := json.Unmarshal([]byte(ts.ReadFile(args[0])), &doc); err != nil {
		ts.Fatalf("auditsum: %s is not a JSON audit report: %v", args[0], err)
	}
	if doc.FormatVersion == "" {
		ts.Fatalf("auditsum: %s has no format_version", args[0])
	}
	counts := map[string]int{}
	var lines []string
	for _, u := range doc.Targets {
		counts[u.Status]++
		line := u.Status + " " + u.Address
		if u.Via != "" {
			line += " via " + u.Via
		}
		if u.Status == "compliant" && u.ManagedBy == "" {
			line += " unmanaged"
		}
		if u.Evidence != "" {
			line += " evidence " + u.Evidence
		}
		if u.Stale != (u.Evidence == "stale") {
			ts.Fatalf("auditsum: %s: stale=%v with evidence %q", u.Address, u.Stale, u.Evidence)
		}
		if len(u.Reasons) > 0 {
			line += ": " + strings.Join(u.Reasons, "; ")
		}
		lines = append(lines, line)
	}
	s := doc.Summary
	if s.Targets != len(doc.Targets) || s.Compliant+s.Noncompliant+s.Uncovered+s.Unknown != s.Targets ||
		counts["compliant"] != s.Compliant || counts["noncompliant"] != s.Noncompliant || counts["uncovered"] != s.Uncovered || counts["unknown"] != s.Unknown {
		ts.Fatalf("auditsum: the summary %+v does not add up to the %d units %v", s, len(doc.Targets), counts)
	}
	pct := "n/a"
	if s.CoveragePercent != nil {
		pct = strconv.FormatFloat(*s.CoveragePercent, 'f', 1, 64)
	}
	lines = append(lines, fmt.Sprintf("summary: targets=%d compliant=%d noncompliant=%d uncovered=%d unknown=%d stale=%d coverage=%s",
		s.Targets, s.Compliant, s.Noncompliant, s.Uncovered, s.Unknown, s.Stale, pct))
	st := state(ts)
	for i, l := range lines {
		if st.seeded != nil {
			l = st.seeded.Names(l)
		}
		lines[i] = flowLogID.ReplaceAllString(l, "fl-new")
	}
	// Sorted once named: the report's own order is by resource ID, which
	// differs between backends.
	sort.Strings(lines[:len(lines)-1])
	fmt.Fprintln(ts.Stdout(), strings.Join(lines, "\n"))
}
