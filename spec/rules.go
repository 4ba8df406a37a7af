package spec

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/flowplan/flowplan/spec/logformat"
)

var (
	ruleKeys     = []string{"name", "accounts", "regions", "targets", "traffic_type", "max_aggregation_interval", "log_format", "tag_field_specifications", "destination", "tags"}
	targetKeys   = []string{"vpcs", "subnets", "network_interfaces", "regional_nat_gateways", "transit_gateways", "transit_gateway_attachments"}
	selectorKeys = []string{"all", "ids", "tags", "exclude_ids", "exclude_tags"}
	tagSpecKeys  = []string{"resource_type", "tag_keys"}
	// TagFieldResourceTypes are the resource types of tag_field_specifications.
	TagFieldResourceTypes = []string{"network-interface", "instance", "auto-scaling-group"}
)

var ruleHints = map[string]string{
	"log_group":           "log_group belongs under destination.cloudwatch_logs",
	"delivery_role":       "delivery_role belongs under destination.cloudwatch_logs",
	"bucket_arn":          "bucket_arn belongs under destination.s3",
	"delivery_stream_arn": "delivery_stream_arn belongs under destination.firehose",
	"vpcs":                "vpcs belongs under targets",
	"subnets":             "subnets belongs under targets",
	"cloudwatch_logs":     "cloudwatch_logs belongs under destination",
	"s3":                  "s3 belongs under destination",
	"firehose":            "firehose belongs under destination",
}

// ruleSrc is a rule being built, with what cross-rule checks need.
type ruleSrc struct {
	Rule
	path     string
	node     *yaml.Node
	entries  entries
	explicit bool // the rule lists its accounts
	// family is the rule's target family; familyKnown is false when the
	// targets could not be read or mix families, so that family-specific
	// checks do not pile up errors on top of that one.
	family      logformat.Target
	familyKnown bool
	ids         map[TargetKind][]item
	scope       []scopeAccount
}

func (l *loader) readRules(n *yaml.Node) {
	elems, ok := l.list(n, "flow_logs")
	if !ok {
		return
	}
	if len(elems) == 0 {
		l.errorf(n, "flow_logs must list at least one rule")
		return
	}
	names := map[string]*yaml.Node{}
	for i, en := range elems {
		rs := l.readRule(en, fmt.Sprintf("flow_logs[%d]", i))
		if rs == nil {
			continue
		}
		if rs.Name != "" {
			if first, dup := names[rs.Name]; dup {
				l.errorf(rs.entries["name"].val, "%s.name: rule name %q is used twice (first at line %d)", rs.path, rs.Name, first.Line)
			} else {
				names[rs.Name] = rs.entries["name"].val
			}
		}
		l.rules = append(l.rules, rs)
	}
	l.checkDuplicates()
	for _, rs := range l.rules {
		l.spec.Rules = append(l.spec.Rules, rs.Rule)
	}
}

func (l *loader) readRule(n *yaml.Node, path string) *ruleSrc {
	e, ok := l.mapping(n, path, ruleKeys, ruleHints)
	if !ok {
		return nil
	}
	rs := &ruleSrc{path: path, node: resolve(n), entries: e, ids: map[TargetKind][]item{}}
	rs.Pos = l.pos(rs.node)
	if v, ok := e["name"]; !ok {
		l.missing(n, "name", "%s: name is required: it is recorded in the flowplan:rule ownership tag", path)
	} else if s, ok := l.checkedStr(v.val, path+".name", checkName); ok {
		rs.Name = s
	}
	l.readRuleAccounts(rs)
	if v, ok := e["regions"]; ok {
		items, _ := l.stringList(v.val, path+".regions", checkRegion)
		l.noteRegions(items)
		rs.Regions = values(items)
		rs.scope = l.scopeOf(rs)
		l.checkRuleRegions(rs, items)
	} else {
		rs.scope = l.scopeOf(rs)
	}
	if v, ok := e["targets"]; ok {
		l.readTargets(rs, v.val)
	} else {
		l.missing(n, "targets", "%s: targets is required: what gets a flow log (vpcs, subnets, network_interfaces, regional_nat_gateways, transit_gateways, transit_gateway_attachments)", path)
	}
	l.readTrafficType(rs)
	l.readRuleInterval(rs)
	l.readRuleFormat(rs)
	if v, ok := e["destination"]; ok {
		l.readDestination(rs, v.val)
	} else {
		l.missing(n, "destination", "%s: destination is required: one of cloudwatch_logs, s3, firehose", path)
	}
	l.readRuleTags(rs)
	return rs
}

func (l *loader) readRuleAccounts(rs *ruleSrc) {
	v, ok := rs.entries["accounts"]
	if !ok {
		return
	}
	rs.explicit = true
	path := rs.path + ".accounts"
	elems, ok := l.list(v.val, path)
	if !ok {
		return
	}
	if len(elems) == 0 {
		l.errorf(v.val, "%s must list at least one account; remove the key to mean every account", path)
		return
	}
	seen := map[string]*yaml.Node{}
	for i, en := range elems {
		p := fmt.Sprintf("%s[%d]", path, i)
		ref, ok := l.accountRef(en, p)
		if !ok {
			continue
		}
		id, ok := l.resolveAccount(en, p, ref)
		if !ok {
			continue
		}
		if first, dup := seen[id]; dup {
			l.errorf(en, "%s: account %s is named twice (first at line %d)", p, id, first.Line)
			continue
		}
		seen[id] = en
		rs.Accounts = append(rs.Accounts, id)
	}
}

// resolveAccount turns a rule's account reference into an account ID: a
// static account's ID or alias, or the ID of an organization member.
func (l *loader) resolveAccount(n *yaml.Node, path, ref string) (string, bool) {
	if a, ok := l.spec.AccountByRef(ref); ok {
		return a.ID, a.ID != ""
	}
	org := l.spec.Organization
	if accountIDRe.MatchString(ref) {
		switch {
		case org == nil:
			l.errorf(n, "%s: account %s is not in accounts, and there is no organization to find it in", path, ref)
			return "", false
		case slices.Contains(org.ExcludeAccounts, ref):
			l.errorf(n, "%s: account %s is in organization.exclude_accounts, so flowplan never manages it", path, ref)
			return "", false
		}
		return ref, true
	}
	var known []string
	for _, a := range l.spec.Accounts {
		if a.Alias != "" {
			known = append(known, a.Alias)
		}
	}
	msg := fmt.Sprintf("%s: %q is neither an alias from accounts nor a 12-digit account ID", path, ref)
	if s := suggest(ref, known); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	} else if len(known) > 0 {
		msg += fmt.Sprintf(" (aliases: %s)", listClosest(ref, known))
	}
	l.errorf(n, "%s", msg)
	return "", false
}

func (l *loader) readTargets(rs *ruleSrc, n *yaml.Node) {
	path := rs.path + ".targets"
	e, ok := l.mapping(n, path, targetKeys, map[string]string{
		"vpc":             `did you mean "vpcs"?`,
		"enis":            `did you mean "network_interfaces"?`,
		"tgws":            `did you mean "transit_gateways"?`,
		"tgw_attachments": `did you mean "transit_gateway_attachments"?`,
		"nat_gateways":    `did you mean "regional_nat_gateways"? Only regional NAT gateways take flow logs; a zonal one is logged through its network interface`,
	})
	if !ok {
		return
	}
	if len(e) == 0 {
		if l.clean(n) {
			l.errorf(n, "%s must select at least one kind: %s", path, strings.Join(targetKeys, ", "))
		}
		return
	}
	var tgw, vpc []string
	for _, k := range TargetKinds {
		v, ok := e[string(k)]
		if !ok {
			continue
		}
		if k.IsTransitGateway() {
			tgw = append(tgw, string(k))
		} else {
			vpc = append(vpc, string(k))
		}
		if sel := l.readSelector(rs, v.val, path+"."+string(k), k); sel != nil {
			rs.Targets.set(k, sel)
		}
	}
	if len(tgw) > 0 && len(vpc) > 0 {
		l.errorf(n, "%s mixes transit gateway kinds (%s) with VPC kinds (%s): AWS takes different settings for them (no traffic_type, a 60-second interval, other log format fields); split them into two rules",
			path, strings.Join(tgw, ", "), strings.Join(vpc, ", "))
		return
	}
	rs.familyKnown = true
	if len(tgw) > 0 {
		rs.family = logformat.TargetTransitGateway
	}
}

func (l *loader) readSelector(rs *ruleSrc, n *yaml.Node, path string, k TargetKind) *Selector {
	e, ok := l.mapping(n, path, selectorKeys, map[string]string{
		"id":      `did you mean "ids"?`,
		"tag":     `did you mean "tags"?`,
		"exclude": "use exclude_ids or exclude_tags",
	})
	if !ok {
		return nil
	}
	sel := &Selector{Pos: l.pos(resolve(n))}
	var chosen []string
	for _, c := range []string{"all", "ids", "tags"} {
		if e.has(c) {
			chosen = append(chosen, c)
		}
	}
	switch {
	case len(chosen) == 0:
		if l.clean(n) {
			l.errorf(n, "%s needs one of all: true, ids or tags", path)
		}
		return nil
	case len(chosen) > 1:
		l.errorf(e[chosen[1]].key, "%s: use one of all, ids or tags, not %s; narrow all or tags with exclude_ids or exclude_tags", path, strings.Join(chosen, " and "))
		return nil
	}
	if v, ok := e["all"]; ok {
		if b, ok := l.boolean(v.val, path+".all"); ok && !b {
			l.errorf(v.val, "%s.all: false selects nothing; write all: true, or remove %s", path, k)
		}
		sel.All = true
	}
	if v, ok := e["ids"]; ok {
		items, _ := l.stringList(v.val, path+".ids", checkResourceID(k))
		sel.IDs = values(items)
		rs.ids[k] = items
	}
	if v, ok := e["tags"]; ok {
		sel.Tags = l.readSelectorTags(v.val, path+".tags")
	}
	for _, x := range []string{"exclude_ids", "exclude_tags"} {
		if v, ok := e[x]; ok && e.has("ids") {
			l.errorf(v.key, "%s.%s narrows all or tags; with ids, leave the ID out instead", path, x)
			return sel
		}
	}
	if v, ok := e["exclude_ids"]; ok {
		items, _ := l.stringList(v.val, path+".exclude_ids", checkResourceID(k))
		sel.ExcludeIDs = values(items)
	}
	if v, ok := e["exclude_tags"]; ok {
		sel.ExcludeTags = l.readSelectorTags(v.val, path+".exclude_tags")
	}
	return sel
}

func (l *loader) readSelectorTags(n *yaml.Node, path string) map[string]string {
	tags, _, ok := l.stringMap(n, path, checkSelectorTagKey, checkSelectorTagValue)
	if ok && len(tags) == 0 && len(resolve(n).Content) == 0 {
		l.errorf(n, "%s must name at least one tag (a value of \"*\" matches any value)", path)
	}
	return tags
}

func (l *loader) readTrafficType(rs *ruleSrc) {
	path := rs.path + ".traffic_type"
	v, set := rs.entries["traffic_type"]
	tgw := rs.familyKnown && rs.family == logformat.TargetTransitGateway
	switch {
	case set && tgw:
		l.errorf(v.key, "%s must not be set on a transit gateway rule: AWS refuses a traffic type for transit gateway flow logs, which record all traffic", path)
	case set:
		rs.TrafficType, _ = l.enum(v.val, path, TrafficTypes)
	case tgw:
		// A default traffic type does not apply to transit gateways.
	case l.defaults.trafficType != "":
		rs.TrafficType = l.defaults.trafficType
	default:
		rs.TrafficType = "ALL"
	}
}

func (l *loader) readRuleInterval(rs *ruleSrc) {
	path := rs.path + ".max_aggregation_interval"
	v, set := rs.entries["max_aggregation_interval"]
	tgw := rs.familyKnown && rs.family == logformat.TargetTransitGateway
	value := 0
	if set {
		value = l.readInterval(v.val, path)
	}
	switch {
	case tgw && value != 0 && value != TransitGatewayInterval:
		l.errorf(v.val, "%s: transit gateway flow logs only accept %d; remove the key or write %d", path, TransitGatewayInterval, TransitGatewayInterval)
		rs.MaxAggregationInterval = TransitGatewayInterval
	case tgw:
		// The only interval AWS accepts; the default does not apply.
		rs.MaxAggregationInterval = TransitGatewayInterval
	case value != 0:
		rs.MaxAggregationInterval = value
	case l.defaults.interval != 0:
		rs.MaxAggregationInterval = l.defaults.interval
	default:
		rs.MaxAggregationInterval = DefaultInterval
	}
}

// tagFieldResource is the tag_field_specifications resource type whose tag
// keys each v11 tag field records.
var tagFieldResource = map[string]string{
	"instance-tag": "instance", "instance-tag-2": "instance",
	"interface-tag": "network-interface", "interface-tag-2": "network-interface",
	"asg-tag": "auto-scaling-group", "asg-tag-2": "auto-scaling-group",
}

func (l *loader) readRuleFormat(rs *ruleSrc) {
	path := rs.path + ".log_format"
	f, inherited := l.defaults.format, true
	if v, ok := rs.entries["log_format"]; ok {
		f, inherited = l.readFormat(v.val, path), false
	}
	specs, specNode := l.readTagFieldSpecs(rs)
	if f == nil || f.isDefault {
		rs.LogFormat = logformat.Default(rs.family)
		if specNode != nil {
			l.errorf(specNode, "%s.tag_field_specifications only apply with tag fields (instance-tag, interface-tag, asg-tag and their -2 forms) in log_format", rs.path)
		}
		return
	}
	// Fields that do not fit the rule's targets are reported even when the
	// format has other problems (an unknown or repeated field), so that one
	// run shows every problem.
	fm, errs := logformat.Check(f.names, rs.family)
	if rs.familyKnown && len(f.names) > 0 {
		for _, err := range errs {
			if fe, _ := err.(*logformat.Error); fe != nil && fe.Kind == logformat.ErrTarget {
				l.formatProblem(rs, f, inherited, fe.Index, "%v", err)
			}
		}
	}
	if !f.valid {
		return
	}
	rs.LogFormat = logformat.Join(f.names)
	switch {
	case fm.HasTagFields && specNode == nil:
		i := slices.IndexFunc(f.names, func(n string) bool { return tagFieldResource[n] != "" })
		l.formatProblem(rs, f, inherited, i, "log format field %q records a tag's value, so the rule needs tag_field_specifications naming the tag keys (AWS refuses tag fields without them)", f.names[i])
	case !fm.HasTagFields && specNode != nil:
		l.errorf(specNode, "%s.tag_field_specifications only apply with tag fields (instance-tag, interface-tag, asg-tag and their -2 forms) in log_format", rs.path)
	case fm.HasTagFields:
		l.checkTagFields(rs, f, inherited, specs)
	}
	rs.TagFieldSpecifications = specs
}

// formatProblem reports a problem with field i of a rule's log format: at the
// field itself, or at the rule when the format comes from defaults.
func (l *loader) formatProblem(rs *ruleSrc, f *format, inherited bool, i int, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if inherited {
		l.errorf(rs.node, "%s: the log_format from defaults (%s) does not suit this rule: %s; set log_format on the rule", rs.path, l.posOf(f.node), msg)
		return
	}
	n, p := f.at(i)
	l.errorf(n, "%s: %s", p, msg)
}

// checkTagFields checks that each tag field has the specification it reads:
// instance-tag needs resource_type instance, and a -2 field a second key.
func (l *loader) checkTagFields(rs *ruleSrc, f *format, inherited bool, specs []TagFieldSpecification) {
	keys := map[string]int{}
	for _, s := range specs {
		keys[s.ResourceType] = len(s.TagKeys)
	}
	for i, name := range f.names {
		rt := tagFieldResource[name]
		if rt == "" {
			continue
		}
		n, ok := keys[rt]
		switch {
		case !ok:
			l.formatProblem(rs, f, inherited, i, "log format field %q records a tag of the %s, but tag_field_specifications has no entry with resource_type %s", name, rt, rt)
		case strings.HasSuffix(name, "-2") && n < 2:
			l.formatProblem(rs, f, inherited, i, "log format field %q records the second tag key, but the %s entry of tag_field_specifications has only one", name, rt)
		}
	}
}

// readTagFieldSpecs reads tag_field_specifications; an empty list is the
// same as none. It returns the key node when there are specifications.
func (l *loader) readTagFieldSpecs(rs *ruleSrc) ([]TagFieldSpecification, *yaml.Node) {
	v, ok := rs.entries["tag_field_specifications"]
	if !ok {
		return nil, nil
	}
	path := rs.path + ".tag_field_specifications"
	elems, ok := l.list(v.val, path)
	if !ok || len(elems) == 0 {
		return nil, nil
	}
	var out []TagFieldSpecification
	seen := map[string]*yaml.Node{}
	for i, en := range elems {
		p := fmt.Sprintf("%s[%d]", path, i)
		e, ok := l.mapping(en, p, tagSpecKeys, nil)
		if !ok {
			continue
		}
		var spec TagFieldSpecification
		if rv, ok := e["resource_type"]; !ok {
			l.missing(en, "resource_type", "%s: resource_type is required: one of %s", p, strings.Join(TagFieldResourceTypes, ", "))
		} else if s, ok := l.enum(rv.val, p+".resource_type", TagFieldResourceTypes); ok {
			if first, dup := seen[s]; dup {
				l.errorf(rv.val, "%s.resource_type: %s appears twice (first at line %d)", p, s, first.Line)
				continue
			}
			seen[s] = rv.val
			spec.ResourceType = s
		}
		if kv, ok := e["tag_keys"]; !ok {
			l.missing(en, "tag_keys", "%s: tag_keys is required: one or two tag keys whose values the tag fields record", p)
		} else {
			spec.TagKeys = l.readTagKeys(kv.val, p+".tag_keys")
		}
		out = append(out, spec)
	}
	return out, v.key
}

func (l *loader) readTagKeys(n *yaml.Node, path string) []string {
	if rn := resolve(n); rn != nil && rn.Kind == yaml.SequenceNode && len(rn.Content) == 0 {
		l.errorf(n, "%s must list one or two tag keys", path)
		return nil
	}
	items, ok := l.stringList(n, path, func(s string) string {
		if c := len([]rune(s)); c < 1 || c > maxTagKeyLen {
			return fmt.Sprintf("tag key %q must be 1-%d characters", s, maxTagKeyLen)
		}
		return ""
	})
	if ok && len(resolve(n).Content) > 2 {
		l.errorf(n, "%s: AWS records at most 2 tag keys per resource type", path)
	}
	return values(items)
}

func (l *loader) readRuleTags(rs *ruleSrc) {
	merged := maps.Clone(l.defaults.tags)
	v, ok := rs.entries["tags"]
	if !ok {
		rs.Tags = merged
		return
	}
	own := l.readTags(v.val, rs.path+".tags")
	if merged == nil && len(own) > 0 {
		merged = map[string]string{}
	}
	maps.Copy(merged, own)
	if len(own) <= maxUserTags && len(merged) > maxUserTags {
		l.errorf(v.val, "%s.tags: with the defaults' tags this rule has %d tags, too many: AWS allows %d per resource and flowplan adds %d ownership tags, so at most %d",
			rs.path, len(merged), maxTags, ownershipTags, maxUserTags)
	}
	rs.Tags = merged
}
