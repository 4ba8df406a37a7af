package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/flowplan/flowplan/engine"
)

// actionStyle is how every output shows one action.
type actionStyle struct {
	// symbol heads the change, Terraform-like.
	symbol string
	// wording follows the address in a plan: "will be created".
	wording string
	// verb names the action in tables.
	verb string
	// legend explains the symbol.
	legend string
	// done is the past tense in apply results.
	done string
	// color is the ANSI colour of the symbol.
	color string
}

// ANSI colours.
const (
	ansiReset   = "\x1b[0m"
	ansiBold    = "\x1b[1m"
	ansiRed     = "\x1b[31m"
	ansiGreen   = "\x1b[32m"
	ansiYellow  = "\x1b[33m"
	ansiMagenta = "\x1b[35m"
	ansiCyan    = "\x1b[36m"
)

// styles maps each action to its presentation. Markdown and
// docs/plan-json.md use the same symbols.
var styles = map[engine.Action]actionStyle{
	engine.Create: {"+", "will be created", "create", "create", "created", ansiGreen},
	engine.Update: {"~", "will be updated in-place", "update", "update in-place", "updated", ansiYellow},
	engine.Replace: {"+/-", "must be replaced: the new one is created, then the old one deleted", "replace",
		"replace, creating the new one before deleting the old one (no gap; should AWS refuse the new flow log as a duplicate, flowplan deletes the old one first)",
		"replaced", ansiMagenta},
	engine.Delete: {"-", "will be deleted", "delete", "delete", "deleted", ansiRed},
	engine.Adopt: {"<=", "will be adopted: an existing flow log with the same configuration gets flowplan's ownership tags",
		"adopt", "adopt (an existing flow log gets flowplan's ownership tags)", "adopted", ansiCyan},
	engine.NoOp: {" ", "is unchanged", "unchanged", "unchanged", "unchanged", ""},
}

// roleAdoptWording follows the address of a delivery role being adopted
// (delivery_roles.<name>.adopt).
const roleAdoptWording = "will be adopted: the existing role gets flowplan's ownership tags, trust policy and boundary"

// replaceDeleteFirst presents a replacement the engine planned
// delete-before-create.
var replaceDeleteFirst = actionStyle{"-/+", "must be replaced: the old one is deleted first, then the new one created", "replace",
	"replace, deleting the old one before creating the new one", "replaced", ansiMagenta}

// styleOf returns the presentation of an action, a replacement's by the
// order the engine planned.
func styleOf(a engine.Action, order engine.ReplaceOrder) actionStyle {
	if a == engine.Replace && order == engine.DeleteBeforeCreate {
		return replaceDeleteFirst
	}
	return style(a)
}

// wording is what follows a change's address in a plan: the style's
// wording, and for a flow log left unlogged for a while, how long.
func wording(c *engine.Change) string {
	w := styleOf(c.Action, c.Order).wording
	if c.Action == engine.Adopt && c.Addr.Kind == engine.KindRole {
		w = roleAdoptWording
	}
	if c.PauseSeconds > 0 {
		w += fmt.Sprintf("; logging pauses for about %d seconds", c.PauseSeconds)
	}
	return w
}

// style returns an action's presentation, with a plain fallback for an
// action this package does not know.
func style(a engine.Action) actionStyle {
	if s, ok := styles[a]; ok {
		return s
	}
	return actionStyle{"?", "has unknown action " + strconv.Quote(string(a)), string(a), string(a), string(a), ""}
}

// line is one line of a change's body: a mark ("+", "-", "~" or " ") and
// the text after it.
type line struct {
	mark string
	text string
}

// attr is one attribute of a resource for display.
type attr struct {
	name string
	// value is the raw value; quoted says whether it is shown in quotes
	// (strings) or bare (numbers, booleans, lists).
	value  string
	quoted bool
}

// attrs lists a resource's attributes in a fixed order per kind, the ones
// without a value left out, then its tags sorted by key.
func attrs(r *engine.Resource) []attr {
	if r == nil {
		return nil
	}
	var as []attr
	add := func(name, value string) {
		if value != "" {
			as = append(as, attr{name, value, true})
		}
	}
	addBare := func(name, value string) {
		if value != "" {
			as = append(as, attr{name, value, false})
		}
	}
	if f := r.FlowLog; f != nil {
		add("resource_id", f.ResourceID)
		add("resource_type", f.ResourceType)
		add("traffic_type", f.TrafficType)
		add("destination_type", f.DestinationType)
		add("destination", f.Destination)
		add("deliver_logs_permission_arn", f.DeliverLogsPermissionARN)
		add("deliver_cross_account_role", f.DeliverCrossAccountRole)
		add("log_format", f.LogFormat)
		if f.MaxAggregationInterval != 0 {
			addBare("max_aggregation_interval", strconv.Itoa(f.MaxAggregationInterval))
		}
		add("file_format", f.FileFormat)
		if f.HiveCompatiblePartitions {
			addBare("hive_compatible_partitions", "true")
		}
		if f.PerHourPartition {
			addBare("per_hour_partition", "true")
		}
		var specs []string
		for _, t := range f.TagFieldSpecifications {
			specs = append(specs, t.ResourceType+": "+strings.Join(t.TagKeys, ", "))
		}
		addBare("tag_field_specifications", strings.Join(specs, "; "))
	}
	if ro := r.Role; ro != nil {
		add("path", ro.Path)
		add("assume_role_policy", ro.AssumeRolePolicy)
		add("permissions_boundary", ro.PermissionsBoundary)
	}
	if rp := r.RolePolicy; rp != nil {
		add("document", rp.Document)
	}
	if lg := r.LogGroup; lg != nil {
		if lg.RetentionDays != 0 {
			addBare("retention_days", strconv.Itoa(lg.RetentionDays))
		}
		add("kms_key_arn", lg.KMSKeyARN)
	}
	if st := r.BucketPolicyStatement; st != nil {
		add("statement", st.Statement)
	}
	keys := make([]string, 0, len(r.Tags))
	for k := range r.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		as = append(as, attr{"tags." + k, r.Tags[k], true})
	}
	return as
}

// changeBody lists what a change does to each attribute: every attribute of
// a created or deleted resource, the diffs of the others. No-ops have none.
func changeBody(c *engine.Change) []line {
	switch c.Action {
	case engine.Create:
		return attrLines("+", attrs(c.After))
	case engine.Delete:
		return attrLines("-", attrs(c.Before))
	case engine.NoOp:
		return nil
	}
	return diffLines(c.Diffs)
}

// resourceID is the AWS identifier of the resource a change acts on, if it
// exists already.
func resourceID(c *engine.Change) string {
	if c.Action == engine.Create || c.Before == nil {
		return ""
	}
	return c.Before.ID
}

// attrLines shows attributes with one mark, names aligned.
func attrLines(mark string, as []attr) []line {
	width := 0
	for _, a := range as {
		if _, multi := prettyJSON(a.value); !multi && len(a.name) > width {
			width = len(a.name)
		}
	}
	var ls []line
	for _, a := range as {
		if doc, ok := prettyJSON(a.value); ok {
			ls = append(ls, line{mark, a.name + ":"})
			for _, d := range doc {
				ls = append(ls, line{mark, "    " + d})
			}
			continue
		}
		ls = append(ls, line{mark, fmt.Sprintf("%-*s %s", width+1, a.name+":", display(a.value, a.quoted))})
	}
	return ls
}

// diffLines shows attribute diffs: "~ name: before → after", "+ name:
// after" when it was absent, "- name: before" when it goes away. JSON
// documents get a line diff under the name.
func diffLines(ds []engine.AttrDiff) []line {
	ds = append([]engine.AttrDiff(nil), ds...)
	sort.SliceStable(ds, func(i, j int) bool { return ds[i].Attr < ds[j].Attr })
	var ls []line
	for _, d := range ds {
		mark := "~"
		switch {
		case d.Before == "" && d.After != "":
			mark = "+"
		case d.After == "" && d.Before != "":
			mark = "-"
		}
		comment := ""
		if d.ForcesReplacement {
			comment = "  # forces replacement"
		}
		if doc := jsonDiff(d.Before, d.After); doc != nil {
			ls = append(ls, line{mark, d.Attr + ":" + comment})
			ls = append(ls, doc...)
			continue
		}
		before, after := displayGuess(d.Before), displayGuess(d.After)
		switch {
		case mark == "+":
			ls = append(ls, line{mark, d.Attr + ": " + after + comment})
		case mark == "-":
			ls = append(ls, line{mark, d.Attr + ": " + before + comment})
		case len(before)+len(after) > longDiff:
			ls = append(ls, line{mark, d.Attr + ":" + comment},
				line{"-", "    " + before}, line{"+", "    " + after})
		default:
			ls = append(ls, line{mark, d.Attr + ": " + before + " → " + after + comment})
		}
	}
	return ls
}

// longDiff is the combined length of two values above which a diff shows
// them on lines of their own, one under the other.
const longDiff = 80

// display quotes a string value, or shows it bare.
func display(v string, quoted bool) string {
	if quoted {
		return strconv.Quote(v)
	}
	return v
}

// displayGuess shows a diff value, which the engine gives as a string:
// integers and booleans bare, everything else quoted, absence as (none).
func displayGuess(v string) string {
	if v == "" {
		return "(none)"
	}
	if v == "true" || v == "false" {
		return v
	}
	if _, err := strconv.Atoi(v); err == nil {
		return v
	}
	return strconv.Quote(v)
}

// prettyJSON returns a JSON object or array (possibly URL-encoded, as IAM
// returns policies) as indented lines with sorted keys; ok is false for any
// other value.
func prettyJSON(v string) (lines []string, ok bool) {
	t := strings.TrimSpace(v)
	if strings.HasPrefix(t, "%7B") || strings.HasPrefix(t, "%7b") {
		if dec, err := url.QueryUnescape(t); err == nil {
			t = dec
		}
	}
	if !strings.HasPrefix(t, "{") && !strings.HasPrefix(t, "[") {
		return nil, false
	}
	dec := json.NewDecoder(strings.NewReader(t))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, false
	}
	return strings.Split(strings.TrimRight(b.String(), "\n"), "\n"), true
}

// jsonContext is how many unchanged lines a JSON diff shows around each
// changed line.
const jsonContext = 3

// jsonDiff returns a line diff of two JSON documents, indented under their
// attribute, or nil when either side is neither JSON nor absent.
func jsonDiff(before, after string) []line {
	b, bok := prettyJSON(before)
	a, aok := prettyJSON(after)
	if (before != "" && !bok) || (after != "" && !aok) || (!bok && !aok) {
		return nil
	}
	ops := diffStrings(b, a)
	// Keep changed lines and the unchanged lines near them.
	keep := make([]bool, len(ops))
	for i, op := range ops {
		if op.mark == " " {
			continue
		}
		for j := max(0, i-jsonContext); j <= min(len(ops)-1, i+jsonContext); j++ {
			keep[j] = true
		}
	}
	var ls []line
	for i := 0; i < len(ops); {
		if keep[i] {
			ls = append(ls, line{ops[i].mark, "    " + ops[i].text})
			i++
			continue
		}
		j := i
		for j < len(ops) && !keep[j] {
			j++
		}
		ls = append(ls, line{" ", "    " + hiddenLines(j-i)})
		i = j
	}
	return ls
}

func hiddenLines(n int) string {
	return "# (" + plural(n, "unchanged line", "unchanged lines") + " hidden)"
}

// diffOp is one line of a line diff.
type diffOp struct {
	mark string
	text string
}

// maxDiffCells bounds the longest-common-subsequence table; bigger inputs
// are shown as all removed, then all added.
const maxDiffCells = 4 << 20

// diffStrings is a longest-common-subsequence line diff.
func diffStrings(a, b []string) []diffOp {
	n, m := len(a), len(b)
	if (n+1)*(m+1) > maxDiffCells {
		var ops []diffOp
		for _, s := range a {
			ops = append(ops, diffOp{"-", s})
		}
		for _, s := range b {
			ops = append(ops, diffOp{"+", s})
		}
		return ops
	}
	// lcs[i][j] is the LCS length of a[i:] and b[j:].
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var ops []diffOp
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case a[i] == b[j]:
			ops = append(ops, diffOp{" ", a[i]})
			i++
			j++
		case lcs[i+1][j] >= lcs[i][j+1]:
			ops = append(ops, diffOp{"-", a[i]})
			i++
		default:
			ops = append(ops, diffOp{"+", b[j]})
			j++
		}
	}
	for ; i < n; i++ {
		ops = append(ops, diffOp{"-", a[i]})
	}
	for ; j < m; j++ {
		ops = append(ops, diffOp{"+", b[j]})
	}
	return ops
}
