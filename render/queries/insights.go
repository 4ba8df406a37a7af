package queries

import (
	"fmt"
	"slices"
	"strings"

	"github.com/flowplan/flowplan/spec"
	"github.com/flowplan/flowplan/spec/logformat"
)

// discovered are the names Logs Insights gives the fields of a flow log in
// AWS's default format, which it discovers by itself (CloudWatch Logs
// guide, "Supported logs and discovered fields"). Records in any other
// format are parsed from @message into the fields' column names.
var discovered = map[string]string{
	"version": "version", "account-id": "accountId", "interface-id": "interfaceId", "srcaddr": "srcAddr",
	"dstaddr": "dstAddr", "srcport": "srcPort", "dstport": "dstPort", "protocol": "protocol", "packets": "packets",
	"bytes": "bytes", "start": "startTime", "end": "endTime", "action": "action", "log-status": "logStatus",
}

// Insights prints Logs Insights queries for each rule that delivers to
// CloudWatch Logs: the log groups its template names in each account and
// region the spec covers, and the starter queries in the rule's own
// fields (with a parse of @message for formats other than AWS's default).
// It reads nothing but the spec.
func Insights(s *spec.Spec, o Options) (string, error) {
	var rules []*spec.Rule
	for i := range s.Rules {
		r := &s.Rules[i]
		if r.Destination.CloudWatchLogs != nil && (o.Rule == "" || r.Name == o.Rule) {
			rules = append(rules, r)
		}
	}
	if o.Rule != "" && len(rules) == 0 {
		r, err := findRule(s, o.Rule)
		if err != nil {
			return "", err
		}
		return "", fmt.Errorf("%w: rule %s delivers to %s, not to CloudWatch Logs (flowplan athena covers S3)", ErrNothingToQuery, r.Name, r.Destination.Type())
	}
	if len(rules) == 0 {
		return "", fmt.Errorf("%w: spec %s has no rule that delivers to CloudWatch Logs (flowplan athena covers S3)", ErrNothingToQuery, s.Name)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# CloudWatch Logs Insights queries for the flow logs of spec %s, written by flowplan insights from the spec alone.\n", s.Name)
	b.WriteString("# A query runs in one account and region: select the rule's log groups there, then paste the query.\n")
	for _, r := range rules {
		b.WriteString("\n")
		writeInsights(&b, s, r)
	}
	return b.String(), nil
}

func writeInsights(b *strings.Builder, s *spec.Spec, r *spec.Rule) {
	fields, _ := logformat.Parse(r.LogFormat)
	isDefault := r.LogFormat == logformat.DefaultVPC
	traffic := "all traffic"
	if r.TrafficType != "" && r.TrafficType != "ALL" {
		traffic = r.TrafficType + " traffic"
	}
	if isDefault {
		fmt.Fprintf(b, "# Rule %s: %s, AWS's default record format, whose fields Logs Insights discovers.\n", r.Name, traffic)
	} else {
		fmt.Fprintf(b, "# Rule %s: %s, a custom record format: each query parses @message into its fields.\n", r.Name, traffic)
	}
	tmpl := r.Destination.CloudWatchLogs.LogGroup
	b.WriteString("# Log groups:\n")
	for _, a := range s.Scope(r) {
		id, label := a.ID, a.ID
		if a.Alias != "" {
			label += " (" + a.Alias + ")"
		}
		if a.Organization {
			id, label = "{account_id}", "each organization account"
		}
		for _, region := range a.Regions {
			name := spec.Expand(tmpl, spec.Placeholders{AccountID: id, AccountAlias: a.Alias, Region: region, Rule: r.Name, ResourceID: "{resource_id}"})
			fmt.Fprintf(b, "#   %s, %s: %s\n", label, region, name)
		}
	}
	if spec.UsesPlaceholder(tmpl, spec.PlaceholderResourceID) {
		b.WriteString("#   ({resource_id} is each flow log's VPC, subnet or interface: one log group per resource.)\n")
	}
	has := func(f string) bool { return slices.Contains(fields, f) }
	name := func(f string) string {
		if isDefault {
			return discovered[f]
		}
		return columnName(f)
	}
	var head []string
	if !isDefault {
		globs := strings.TrimSpace(strings.Repeat("* ", len(fields)))
		names := make([]string, len(fields))
		for i, f := range fields {
			names[i] = columnName(f)
		}
		head = append(head, fmt.Sprintf("parse @message %q as %s", globs, strings.Join(names, ", ")))
	}
	sum := func(f, as string) string {
		if has(f) {
			return fmt.Sprintf(", sum(%s) as %s", name(f), as)
		}
		return ""
	}
	write := func(title, missing string, lines ...string) {
		b.WriteString("\n")
		if missing != "" {
			fmt.Fprintf(b, "# %s: not available, %s.\n", title, missing)
			return
		}
		fmt.Fprintf(b, "# %s\n", title)
		all := append(slices.Clone(head), lines...)
		for i, l := range all {
			if i > 0 {
				b.WriteString("| ")
			}
			b.WriteString(l + "\n")
		}
	}
	switch {
	case r.TrafficType == "ACCEPT":
		write("Top rejected sources", "the rule records accepted traffic only")
	case !has("action"):
		write("Top rejected sources", "the format has no action field")
	case !has("srcaddr"):
		write("Top rejected sources", "the format has no srcaddr field")
	default:
		write("Top rejected sources (run it over the last day)",
			"", fmt.Sprintf("filter %s = \"REJECT\"", name("action")),
			fmt.Sprintf("stats count(*) as flows%s by %s", sum("packets", "packets"), name("srcaddr")),
			"sort flows desc", "limit 20")
	}
	if !has("dstport") {
		write("Traffic by destination port", "the format has no dstport field")
	} else {
		by := name("dstport")
		if has("protocol") {
			by += ", " + name("protocol")
		}
		order := "flows"
		if has("bytes") {
			order = "bytes"
		}
		write("Traffic by destination port (run it over the last day)", "",
			fmt.Sprintf("stats count(*) as flows%s by %s", sum("bytes", "bytes"), by), "sort "+order+" desc", "limit 20")
	}
	switch {
	case has("interface-id"):
		write("Flows per ENI (run it over the last hour)", "",
			fmt.Sprintf("stats count(*) as flows%s by %s", sum("bytes", "bytes"), name("interface-id")), "sort flows desc")
	case r.Family() == logformat.TargetVPC:
		// Each interface writes its own stream, "<eni-id>-all".
		write("Flows per ENI (run it over the last hour; each interface has its own log stream)", "",
			fmt.Sprintf("stats count(*) as flows%s by @logStream", sum("bytes", "bytes")), "sort flows desc")
	case has("tgw-attachment-id"):
		write("Flows per transit gateway attachment (run it over the last hour)", "",
			fmt.Sprintf("stats count(*) as flows%s by %s", sum("bytes", "bytes"), name("tgw-attachment-id")), "sort flows desc")
	default:
		write("Flows per ENI", "the format has no interface-id field")
	}
}
