package spec

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/flowplan/flowplan/spec/logformat"
)

// Keys of each mapping, in documentation order (messages list them so).
var (
	topKeys          = []string{"version", "name", "prune", "accounts", "organization", "defaults", "delivery_roles", "flow_logs"}
	accountKeys      = []string{"id", "alias", "assume_role", "external_id", "regions"}
	organizationKeys = []string{"assume_role_name", "external_id", "include_ous", "exclude_accounts", "regions"}
	defaultsKeys     = []string{"traffic_type", "max_aggregation_interval", "log_format", "tags"}
	deliveryRoleKeys = []string{"path", "permissions_boundary", "adopt"}
)

var topHints = map[string]string{
	"rules":     `the rules go under flow_logs`,
	"flowlogs":  `did you mean "flow_logs"?`,
	"flow-logs": `did you mean "flow_logs"?`,
	"regions":   `regions belong to each account, to organization, or to a rule`,
	"targets":   `targets belong to a rule under flow_logs`,
}

// TrafficTypes are the values of traffic_type.
var TrafficTypes = []string{"ACCEPT", "REJECT", "ALL"}

// loader builds a Spec from a parsed document, collecting every problem.
type loader struct {
	*reporter
	spec Spec
	// accountNodes maps each static account ID to where it is declared.
	accountNodes map[string]*yaml.Node
	defaults     defaults
	rules        []*ruleSrc
}

// defaults holds the defaults block as read.
type defaults struct {
	node        *yaml.Node
	trafficType string
	interval    int
	format      *format // nil when not set
	tags        map[string]string
}

func (l *loader) load(doc *yaml.Node) *Spec {
	l.accountNodes = map[string]*yaml.Node{}
	e, ok := l.mapping(doc, "top level", topKeys, topHints)
	if !ok {
		return nil
	}
	l.readVersion(doc, e)
	l.readName(doc, e)
	if v, ok := e["prune"]; ok {
		l.spec.Prune, _ = l.boolean(v.val, "prune")
	}
	if v, ok := e["accounts"]; ok {
		l.readAccounts(v.val)
	}
	if v, ok := e["organization"]; ok {
		l.readOrganization(v.val)
	}
	if !e.has("accounts") && !e.has("organization") {
		l.errorf(doc, "the spec needs accounts, organization, or both: they say which AWS accounts flowplan manages")
	}
	if v, ok := e["delivery_roles"]; ok {
		l.readDeliveryRoles(v.val)
	}
	if v, ok := e["defaults"]; ok {
		l.readDefaults(v.val)
	}
	if v, ok := e["flow_logs"]; ok {
		l.readRules(v.val)
	} else {
		l.missing(doc, "flow_logs", "flow_logs is required: a list of rules saying which flow logs must exist")
	}
	return &l.spec
}

func (l *loader) pos(n *yaml.Node) Pos {
	return Pos{File: l.file, Line: n.Line, Column: n.Column}
}

func (l *loader) readVersion(doc *yaml.Node, e entries) {
	v, ok := e["version"]
	if !ok {
		l.missing(doc, "version", "version is required; write \"version: %d\" at the top", Version)
		return
	}
	n, ok := l.integer(v.val, "version")
	if !ok {
		return
	}
	if n != Version {
		l.errorf(v.val, "version %d is not supported; this flowplan reads version %d", n, Version)
		return
	}
	l.spec.Version = n
}

func (l *loader) readName(doc *yaml.Node, e entries) {
	v, ok := e["name"]
	if !ok {
		l.missing(doc, "name", "name is required: it identifies this spec in the flowplan:spec ownership tag")
		return
	}
	if s, ok := l.checkedStr(v.val, "name", checkName); ok {
		l.spec.Name = s
	}
}

// accountRef reads an account named by ID or alias. A YAML number gets the
// quoting hint: unquoted, 011111111111 would lose its leading zero.
func (l *loader) accountRef(n *yaml.Node, path string) (string, bool) {
	if rn := resolve(n); rn != nil && rn.Kind == yaml.ScalarNode && (rn.Tag == "!!int" || rn.Tag == "!!float") {
		l.errorf(n, "%s: account IDs must be quoted strings: write %q (unquoted, YAML reads a number and drops leading zeros)", path, rn.Value)
		return "", false
	}
	return l.str(n, path)
}

// accountID reads a 12-digit account ID.
func (l *loader) accountID(n *yaml.Node, path string) (string, bool) {
	s, ok := l.accountRef(n, path)
	if !ok {
		return "", false
	}
	if msg := checkAccountID(s); msg != "" {
		l.errorf(n, "%s: %s", path, msg)
		return "", false
	}
	return s, true
}

func (l *loader) readAccounts(n *yaml.Node) {
	elems, ok := l.list(n, "accounts")
	if !ok {
		return
	}
	if len(elems) == 0 {
		l.errorf(n, "accounts must not be empty; remove the key if the organization block lists the accounts")
		return
	}
	aliases := map[string]*yaml.Node{}
	for i, en := range elems {
		path := fmt.Sprintf("accounts[%d]", i)
		e, ok := l.mapping(en, path, accountKeys, nil)
		if !ok {
			continue
		}
		a := Account{Pos: l.pos(resolve(en))}
		if v, ok := e["id"]; !ok {
			l.missing(en, "id", "%s: id is required: the 12-digit account ID, quoted", path)
		} else if id, ok := l.accountID(v.val, path+".id"); ok {
			if first, dup := l.accountNodes[id]; dup {
				l.errorf(v.val, "%s.id: account %s is listed twice (first at line %d)", path, id, first.Line)
				continue
			}
			l.accountNodes[id] = v.val
			a.ID = id
		}
		if v, ok := e["alias"]; ok {
			if s, ok := l.str(v.val, path+".alias"); ok {
				if msg := checkAlias(s); msg != "" {
					l.errorf(v.val, "%s.alias: %s", path, msg)
				} else if first, dup := aliases[s]; dup {
					l.errorf(v.val, "%s.alias: alias %q is used twice (first at line %d)", path, s, first.Line)
				} else {
					aliases[s] = v.val
					a.Alias = s
				}
			}
		}
		if v, ok := e["assume_role"]; ok {
			a.AssumeRole = l.readAssumeRole(v.val, path+".assume_role", a.ID)
		}
		if v, ok := e["external_id"]; ok {
			a.ExternalID = l.readExternalID(v.val, path+".external_id")
		}
		if v, ok := e["regions"]; ok {
			a.Regions = l.readRegions(v.val, path+".regions")
		} else {
			l.missing(en, "regions", "%s: regions is required: the regions flowplan manages in this account", path)
		}
		l.spec.Accounts = append(l.spec.Accounts, a)
	}
}

func (l *loader) readAssumeRole(n *yaml.Node, path, accountID string) string {
	s, ok := l.str(n, path)
	if !ok {
		return ""
	}
	arn, msg := parseRoleARN(s, false)
	if msg != "" {
		l.errorf(n, "%s: %s", path, msg)
		return ""
	}
	if accountID != "" && arn.Account != accountID {
		l.errorf(n, "%s: the role is in account %s, not %s: flowplan assumes it to act in the account it manages", path, arn.Account, accountID)
		return ""
	}
	return s
}

func (l *loader) readExternalID(n *yaml.Node, path string) string {
	s, _ := l.checkedStr(n, path, checkExternalID)
	return s
}

func (l *loader) readRegions(n *yaml.Node, path string) []string {
	items, _ := l.stringList(n, path, checkRegion)
	l.noteRegions(items)
	return values(items)
}

// noteRegions records where each region of a regions list is named
// (Spec.RegionRefs).
func (l *loader) noteRegions(items []item) {
	for _, it := range items {
		l.spec.RegionRefs = append(l.spec.RegionRefs, RegionRef{Region: it.val, Pos: l.pos(it.node)})
	}
}

func values(items []item) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.val)
	}
	return out
}

func (l *loader) readOrganization(n *yaml.Node) {
	const path = "organization"
	e, ok := l.mapping(n, path, organizationKeys, map[string]string{
		"assume_role": "organization takes assume_role_name, a role name assumed in every member account",
	})
	if !ok {
		return
	}
	o := &Organization{Pos: l.pos(resolve(n))}
	if v, ok := e["assume_role_name"]; !ok {
		l.missing(n, "assume_role_name", "%s: assume_role_name is required: the role flowplan assumes in each member account, like FlowplanRunner", path)
	} else if s, ok := l.checkedStr(v.val, path+".assume_role_name", checkIAMName); ok {
		o.AssumeRoleName = s
	}
	if v, ok := e["external_id"]; ok {
		o.ExternalID = l.readExternalID(v.val, path+".external_id")
	}
	if v, ok := e["include_ous"]; ok {
		items, _ := l.stringList(v.val, path+".include_ous", checkOU)
		o.IncludeOUs = values(items)
	}
	if v, ok := e["exclude_accounts"]; ok {
		o.ExcludeAccounts = l.readAccountIDs(v.val, path+".exclude_accounts")
	}
	if v, ok := e["regions"]; ok {
		o.Regions = l.readRegions(v.val, path+".regions")
	} else {
		l.missing(n, "regions", "%s: regions is required: the regions flowplan manages in every member account", path)
	}
	l.spec.Organization = o
}

func (l *loader) readAccountIDs(n *yaml.Node, path string) []string {
	elems, ok := l.list(n, path)
	if !ok {
		return nil
	}
	if len(elems) == 0 {
		l.errorf(n, "%s must not be empty; remove the key instead", path)
		return nil
	}
	var out []string
	for i, en := range elems {
		p := fmt.Sprintf("%s[%d]", path, i)
		id, ok := l.accountID(en, p)
		if !ok {
			continue
		}
		if slices.Contains(out, id) {
			l.errorf(en, "%s: %s is listed twice", p, id)
			continue
		}
		out = append(out, id)
	}
	return out
}

func (l *loader) readDeliveryRoles(n *yaml.Node) {
	const path = "delivery_roles"
	rn := resolve(n)
	if rn == nil || rn.Kind != yaml.MappingNode {
		l.errorf(n, "%s must be a mapping of role names to their settings, got %s", path, describe(rn))
		return
	}
	if len(rn.Content) == 0 {
		l.errorf(n, "%s must not be empty; remove the key instead", path)
		return
	}
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(rn.Content); i += 2 {
		k, v := rn.Content[i], rn.Content[i+1]
		name, ok := l.key(k, path)
		if !ok {
			continue
		}
		p := child(path, name)
		if first, dup := seen[name]; dup {
			l.errorf(k, "%s: role %q appears twice (first at line %d)", path, name, first.Line)
			continue
		}
		seen[name] = k
		if msg := checkIAMName(name); msg != "" {
			l.errorf(k, "%s: %s", path, msg)
			continue
		}
		role := DeliveryRole{Name: name, Path: "/", Pos: l.pos(k)}
		if rv := resolve(v); rv == nil || rv.Kind != yaml.ScalarNode || rv.Tag != "!!null" {
			l.readDeliveryRole(v, p, &role)
		}
		l.spec.DeliveryRoles = append(l.spec.DeliveryRoles, role)
	}
	slices.SortFunc(l.spec.DeliveryRoles, func(a, b DeliveryRole) int { return strings.Compare(a.Name, b.Name) })
}

func (l *loader) readDeliveryRole(n *yaml.Node, path string, role *DeliveryRole) {
	e, ok := l.mapping(n, path, deliveryRoleKeys, map[string]string{
		"name": "the role's name is its key under delivery_roles",
	})
	if !ok {
		return
	}
	if v, ok := e["path"]; ok {
		if s, ok := l.checkedStr(v.val, path+".path", checkIAMPath); ok {
			role.Path = s
		}
	}
	if v, ok := e["permissions_boundary"]; ok {
		if s, ok := l.checkedStr(v.val, path+".permissions_boundary", checkPolicyARN); ok {
			role.PermissionsBoundary = s
		}
	}
	if v, ok := e["adopt"]; ok {
		role.Adopt, _ = l.boolean(v.val, path+".adopt")
	}
}

func (l *loader) readDefaults(n *yaml.Node) {
	const path = "defaults"
	e, ok := l.mapping(n, path, defaultsKeys, map[string]string{
		"destination": "each rule names its own destination",
		"regions":     "regions belong to accounts, organization or a rule",
	})
	if !ok {
		return
	}
	l.defaults.node = resolve(n)
	if v, ok := e["traffic_type"]; ok {
		l.defaults.trafficType, _ = l.enum(v.val, path+".traffic_type", TrafficTypes)
	}
	if v, ok := e["max_aggregation_interval"]; ok {
		l.defaults.interval = l.readInterval(v.val, path+".max_aggregation_interval")
	}
	if v, ok := e["log_format"]; ok {
		l.defaults.format = l.readFormat(v.val, path+".log_format")
	}
	if v, ok := e["tags"]; ok {
		l.defaults.tags = l.readTags(v.val, path+".tags")
	}
}

func (l *loader) readInterval(n *yaml.Node, path string) int {
	v, ok := l.integer(n, path)
	if !ok {
		return 0
	}
	if v != ShortInterval && v != DefaultInterval {
		l.errorf(n, "%s: %d is not allowed; use %d or %d (seconds)", path, v, ShortInterval, DefaultInterval)
		return 0
	}
	return v
}

// readTags reads tags flowplan will apply, at most maxUserTags of them.
func (l *loader) readTags(n *yaml.Node, path string) map[string]string {
	tags, _, ok := l.stringMap(n, path, checkTagKey, checkTagValue)
	if !ok {
		return nil
	}
	if len(tags) > maxUserTags {
		l.errorf(n, "%s: %d tags is too many: AWS allows %d per resource and flowplan adds %d ownership tags, so at most %d",
			path, len(tags), maxTags, ownershipTags, maxUserTags)
	}
	return tags
}

// format is a log_format as written: the default, or field names with the
// nodes they were read from (one node per name for the list form; the
// string's node for every name in the string form).
type format struct {
	node      *yaml.Node
	path      string
	isDefault bool
	names     []string
	nodes     []*yaml.Node
	paths     []string // the key path of each name, for messages
	valid     bool
}

// readFormat reads a log_format and reports what is wrong with it whatever
// the target: syntax, unknown fields, repeats. Fields that do not fit a
// rule's target are reported per rule.
func (l *loader) readFormat(n *yaml.Node, path string) *format {
	f := &format{node: n, path: path}
	rn := resolve(n)
	switch {
	case rn != nil && rn.Kind == yaml.ScalarNode && rn.Tag == "!!str":
		if strings.TrimSpace(rn.Value) == "default" {
			f.isDefault, f.valid = true, true
			return f
		}
		names, err := logformat.Parse(rn.Value)
		if err != nil {
			l.errorf(n, "%s: %v", path, err)
			return f
		}
		f.names, f.valid = names, true
		for range names {
			f.nodes = append(f.nodes, n)
			f.paths = append(f.paths, path)
		}
	case rn != nil && rn.Kind == yaml.SequenceNode:
		if len(rn.Content) == 0 {
			l.errorf(n, "%s must list at least one field, or be \"default\"", path)
			return f
		}
		f.valid = l.readFormatList(rn, path, f)
	default:
		l.errorf(n, "%s must be \"default\", a \"${field} ${field}\" string, or a list of field names, got %s", path, describe(rn))
		return f
	}
	if len(f.names) == 0 {
		return f
	}
	_, errs := logformat.Check(f.names, logformat.TargetVPC)
	for _, err := range errs {
		i := -1
		if fe, _ := err.(*logformat.Error); fe != nil {
			if fe.Kind == logformat.ErrTarget {
				continue
			}
			i = fe.Index
		}
		f.valid = false
		n, p := f.at(i)
		l.errorf(n, "%s: %v", p, err)
	}
	return f
}

// readFormatList reads the list form; it reports whether every element was
// a usable field name.
func (l *loader) readFormatList(rn *yaml.Node, path string, f *format) bool {
	ok := true
	for i, en := range rn.Content {
		p := fmt.Sprintf("%s[%d]", path, i)
		s, good := l.str(en, p)
		if !good {
			ok = false
			continue
		}
		if inner, found := strings.CutPrefix(s, "${"); found && strings.HasSuffix(inner, "}") {
			l.errorf(en, "%s: in the list form write the bare field name: %s, not %s", p, strings.TrimSuffix(inner, "}"), s)
			ok = false
			continue
		}
		f.names = append(f.names, s)
		f.nodes = append(f.nodes, en)
		f.paths = append(f.paths, p)
	}
	return ok
}

// at returns the node and key path of field i, or of the whole format.
func (f *format) at(i int) (*yaml.Node, string) {
	if i >= 0 && i < len(f.nodes) {
		return f.nodes[i], f.paths[i]
	}
	return f.node, f.path
}
