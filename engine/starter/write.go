package starter

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/spec"
	"github.com/flowplan/flowplan/spec/logformat"
)

// Options shape the written spec.
type Options struct {
	// Name is the spec's name, recorded in the flowplan:spec tag of what
	// it adopts.
	Name string
	// File is the name the spec will be saved as, for its messages.
	File string
	// Source says how the accounts were found, for the header comment:
	// "--account flags", "the organization", "the sandbox".
	Source string
}

// Result is a written spec and what it describes.
type Result struct {
	// YAML is the spec, with comments; it always passes spec.Parse.
	YAML []byte
	// Rules is how many rules it has.
	Rules int
	// Described is how many existing flow logs its rules describe (the
	// first plan adopts them).
	Described int
	// Left are the flow logs it does not describe, each with the reason.
	Left []string
}

// member is one existing flow log a rule describes.
type member struct {
	account, region string
	kind            spec.TargetKind
	target          string
	id              string
	literal         string // the destination as AWS has it
}

// group is a set of flow logs with the same configuration: one rule.
type group struct {
	key     configKey
	members []member
}

// configKey is a flow log's configuration with what differs by account,
// region and target turned into placeholders: flow logs with equal keys
// are one rule.
type configKey struct {
	tgw                      bool
	trafficType              string
	interval                 int
	logFormat                string
	tagFields                string
	destType                 string
	logGroup                 string // template
	retention                int
	kms                      string
	logGroupMissing          bool
	role                     string // ARN template, or "" for S3 and same-account Firehose
	roleManaged              string // the delivery_roles name when the role is this spec's
	rolePath                 string
	bucketARN, prefix        string
	fileFormat               string
	hive, perHour            bool
	stream, crossAccountRole string
}

// Write turns an inventory into a commented starter spec whose rules
// describe the unmanaged flow logs that exist: one rule per configuration,
// each selecting exactly the targets that have such a flow log (all of a
// kind, a tag that only they carry, or their IDs), so that the first plan
// adopts them and creates nothing.
func Write(inv *Inventory, opts Options) (*Result, error) {
	if opts.Name == "" {
		opts.Name = "flowplan"
	}
	res := &Result{}
	targets := map[string]map[string]engine.Target{} // scope → id → target
	logGroups := map[string]*engine.Resource{}       // scope/name → log group
	var scopes []string
	for key, st := range inv.Regions {
		scopes = append(scopes, key)
		targets[key] = map[string]engine.Target{}
		for _, t := range st.Targets {
			targets[key][t.ID] = t
		}
		for _, lg := range st.LogGroups {
			if lg.LogGroup != nil {
				logGroups[key+"/"+lg.LogGroup.Name] = lg
			}
		}
	}
	sort.Strings(scopes)
	accountOf := map[string]engine.Account{}
	for _, a := range inv.Accounts {
		accountOf[a.ID] = a
	}

	groups := map[configKey]*group{}
	var order []configKey
	for _, key := range scopes {
		account, region, _ := strings.Cut(key, "/")
		flowLogs := slices.Clone(inv.Regions[key].FlowLogs)
		sort.Slice(flowLogs, func(i, j int) bool { return flowLogs[i].ID < flowLogs[j].ID })
		for _, raw := range flowLogs {
			r := engine.Normalize(raw)
			fl := r.FlowLog
			where := fmt.Sprintf("%s %s on %s in %s", r.ID, strings.ToLower(fl.ResourceType), fl.ResourceID, key)
			if owner, _ := r.Owner(); owner != "" {
				res.Left = append(res.Left, fmt.Sprintf("%s: flowplan spec %q manages it", where, owner))
				continue
			}
			kind, ok := kindOf(fl.ResourceType)
			t, found := targets[key][fl.ResourceID]
			if !ok || !found || !engine.Usable(t, account) {
				res.Left = append(res.Left, fmt.Sprintf("%s: its target is not one flowplan manages here", where))
				continue
			}
			if fl.Status != nil && fl.Status.FlowLogStatus != "" && fl.Status.FlowLogStatus != "ACTIVE" {
				res.Left = append(res.Left, fmt.Sprintf("%s: its status is %s", where, fl.Status.FlowLogStatus))
				continue
			}
			ck, why := keyOf(fl, account, region, kind, logGroups, inv.Roles, opts.Name)
			if why != "" {
				res.Left = append(res.Left, where+": "+why)
				continue
			}
			g := groups[ck]
			if g == nil {
				g = &group{key: ck}
				groups[ck] = g
				order = append(order, ck)
			}
			g.members = append(g.members, member{account: account, region: region, kind: kind, target: fl.ResourceID, id: r.ID, literal: fl.Destination})
		}
	}
	// Templates only where they join flow logs of different accounts,
	// regions or targets; a rule of one account keeps literal names.
	var rules []*rule
	used := map[string]bool{}
	// A resource goes to a destination through one rule only: a second
	// configuration to the same destination on the same target is left out.
	pairs := map[string]string{}
	for _, ck := range order {
		g := groups[ck]
		var kept []member
		for _, m := range g.members {
			pair := m.account + "/" + m.region + "/" + m.target + " " + engine.NormalizeDestination(ck.destType, m.literal)
			if other, taken := pairs[pair]; taken {
				res.Left = append(res.Left, fmt.Sprintf("%s %s on %s in %s/%s: another flow log (%s) sends it to the same destination, and a spec sends a resource to a destination through one rule",
					m.id, strings.ToLower(m.kind.ResourceType()), m.target, m.account, m.region, other))
				continue
			}
			pairs[pair] = m.id
			kept = append(kept, m)
		}
		if len(kept) == 0 {
			continue
		}
		g.members = kept
		ru := newRule(g, targets, accountOf)
		base := ru.baseName()
		ru.name = base
		for n := 2; used[ru.name]; n++ {
			ru.name = fmt.Sprintf("%s-%d", strings.TrimSuffix(base[:min(len(base), 56)], "-"), n)
		}
		// A configuration the spec language cannot say (an S3 prefix it
		// refuses, say) is left out with the reason, not written wrong.
		if msg := ruleProblem(inv, opts, ru); msg != "" {
			for _, m := range ru.members {
				res.Left = append(res.Left, fmt.Sprintf("%s %s on %s in %s/%s: a spec cannot describe its configuration: %s",
					m.id, strings.ToLower(m.kind.ResourceType()), m.target, m.account, m.region, msg))
			}
			continue
		}
		used[ru.name] = true
		rules = append(rules, ru)
		res.Described += len(ru.members)
	}
	res.Rules = len(rules)
	if len(rules) == 0 {
		return res, &NothingError{Left: res.Left, Errors: inv.Errors, Accounts: len(inv.Accounts)}
	}
	var b bytes.Buffer
	writeSpec(&b, inv, opts, rules, res)
	res.YAML = b.Bytes()
	if _, err := spec.Parse(opts.File, res.YAML); err != nil {
		return nil, fmt.Errorf("the starter spec does not validate, which is a bug in flowplan init:\n%w", err)
	}
	return res, nil
}

// ruleProblem writes a spec holding ru alone and returns the first problem
// spec.Parse finds in it, or "".
func ruleProblem(inv *Inventory, opts Options, ru *rule) string {
	var b bytes.Buffer
	writeSpec(&b, inv, opts, []*rule{ru}, &Result{})
	_, err := spec.Parse(opts.File, b.Bytes())
	var es spec.Errors
	if errors.As(err, &es) && len(es) > 0 {
		return es[0].Message
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// NothingError is Write's error when no flow log is left to describe: a
// spec needs at least one rule.
type NothingError struct {
	Left     []string
	Errors   []engine.ScopeError
	Accounts int
}

func (e *NothingError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "no unmanaged flow log to describe in %d account(s), so there is no starter spec to write; write its rules by hand (docs/spec.md, examples/)", e.Accounts)
	reasons := make([]string, 0, len(e.Errors)+len(e.Left))
	for _, se := range e.Errors {
		reasons = append(reasons, se.Scope+" could not be read: "+oneLine(se.Message))
	}
	reasons = append(reasons, e.Left...)
	for i, r := range reasons {
		if i == maxListedMembers {
			fmt.Fprintf(&b, "\n  and %d more", len(reasons)-i)
			break
		}
		b.WriteString("\n  left out: " + r)
	}
	return b.String()
}

// keyOf is a flow log's configuration key, or why it cannot be described.
func keyOf(fl *engine.FlowLog, account, region string, kind spec.TargetKind, logGroups map[string]*engine.Resource, roles map[string]*engine.Resource, specName string) (configKey, string) {
	ck := configKey{
		tgw:         kind.IsTransitGateway(),
		trafficType: fl.TrafficType,
		interval:    fl.MaxAggregationInterval,
		logFormat:   fl.LogFormat,
		destType:    fl.DestinationType,
	}
	family := logformat.TargetVPC
	if ck.tgw {
		family = logformat.TargetTransitGateway
	}
	names, err := logformat.Parse(fl.LogFormat)
	if err != nil {
		return ck, fmt.Sprintf("its log format %q does not parse: %v", fl.LogFormat, err)
	}
	if _, errs := logformat.Check(names, family); len(errs) > 0 {
		return ck, fmt.Sprintf("its log format is not one this flowplan knows: %v", errs[0])
	}
	for _, t := range fl.TagFieldSpecifications {
		ck.tagFields += t.ResourceType + "=" + strings.Join(t.TagKeys, ",") + ";"
	}
	role := func(arn string) string {
		ck.role = arn
		if a, _, ok := roleOf(arn); ok && a == account {
			ck.role = strings.Replace(arn, ":"+account+":", ":{account_id}:", 1)
		}
		if r := roles[arn]; r != nil && r.Role != nil {
			if owner, _ := r.Owner(); owner == specName {
				ck.roleManaged, ck.rolePath = r.Role.Name, r.Role.Path
			}
		}
		return ""
	}
	switch fl.DestinationType {
	case engine.DestCloudWatchLogs:
		lgAccount, lgRegion, name, ok := logGroupOf(fl)
		if !ok || lgAccount != account || lgRegion != region {
			return ck, "it delivers to a log group in another account or region, which a spec cannot name"
		}
		if fl.DeliverLogsPermissionARN == "" {
			return ck, "it has no delivery role"
		}
		ck.logGroup = template(name, account, region, fl.ResourceID)
		if lg := logGroups[account+"/"+region+"/"+name]; lg != nil {
			ck.retention, ck.kms = lg.LogGroup.RetentionDays, lg.LogGroup.KMSKeyARN
		} else {
			ck.logGroupMissing = true
		}
		return ck, role(fl.DeliverLogsPermissionARN)
	case engine.DestS3:
		bucket, prefix, _ := strings.Cut(strings.TrimPrefix(fl.Destination, "arn:"), "/")
		ck.bucketARN, ck.prefix = "arn:"+bucket, prefix
		ck.fileFormat, ck.hive, ck.perHour = fl.FileFormat, fl.HiveCompatiblePartitions, fl.PerHourPartition
		return ck, ""
	case engine.DestFirehose:
		ck.stream, ck.crossAccountRole = fl.Destination, fl.DeliverCrossAccountRole
		if fl.DeliverLogsPermissionARN != "" {
			return ck, role(fl.DeliverLogsPermissionARN)
		}
		return ck, ""
	}
	return ck, fmt.Sprintf("its destination type %q is not one flowplan knows", fl.DestinationType)
}

// rule is one rule of the starter spec.
type rule struct {
	name     string
	key      configKey
	accounts []string
	regions  []string
	// allAccounts and allRegions are true when the rule covers every
	// account, or every region, the spec lists.
	allAccounts, allRegions bool
	selectors               []selector
	logGroup                string // the log group name or template
	role                    string // the delivery role ARN or template
	members                 []member
}

// selector is a rule's choice of targets of one kind.
type selector struct {
	kind spec.TargetKind
	all  bool
	tag  [2]string // key, value
	ids  []string
	// others is how many targets of the kind the rule's accounts and
	// regions have without such a flow log.
	others int
}

func newRule(g *group, targets map[string]map[string]engine.Target, accountOf map[string]engine.Account) *rule {
	ru := &rule{key: g.key, members: g.members}
	for _, m := range g.members {
		if !slices.Contains(ru.accounts, m.account) {
			ru.accounts = append(ru.accounts, m.account)
		}
		if !slices.Contains(ru.regions, m.region) {
			ru.regions = append(ru.regions, m.region)
		}
	}
	sort.Strings(ru.accounts)
	sort.Strings(ru.regions)
	ru.allAccounts = len(ru.accounts) == len(accountOf)
	var every []string
	for _, a := range accountOf {
		for _, r := range a.Regions {
			if !slices.Contains(every, r) {
				every = append(every, r)
			}
		}
	}
	ru.allRegions = len(ru.regions) == len(every)
	// The rule's scopes are its accounts × its regions, as the engine reads
	// them: every target there is selected or not.
	var scopes []string
	for _, a := range ru.accounts {
		for _, r := range ru.regions {
			if ru.allRegions || slices.Contains(accountOf[a].Regions, r) {
				scopes = append(scopes, a+"/"+r)
			}
		}
	}
	ru.logGroup, ru.role = g.key.logGroup, g.key.role
	if g.key.destType == engine.DestCloudWatchLogs {
		ru.logGroup = templated(g.members, g.key.logGroup, func(m member) string {
			_, _, n, _ := logGroupOf(&engine.FlowLog{DestinationType: engine.DestCloudWatchLogs, Destination: m.literal})
			return n
		})
	}
	// One account named on the rule keeps the role's own ARN; a rule
	// without accounts covers every account, so each uses its own.
	if len(ru.accounts) == 1 && !ru.allAccounts {
		ru.role = strings.ReplaceAll(ru.role, "{account_id}", ru.accounts[0])
	}
	for _, k := range spec.TargetKinds {
		chosen := map[string]bool{}
		var ids []string
		for _, m := range g.members {
			if m.kind == k && !chosen[m.account+"/"+m.region+"/"+m.target] {
				chosen[m.account+"/"+m.region+"/"+m.target] = true
				ids = append(ids, m.target)
			}
		}
		if len(ids) == 0 {
			continue
		}
		var in, out []engine.Target
		for _, sc := range scopes {
			account, _, _ := strings.Cut(sc, "/")
			for _, t := range targets[sc] {
				if t.Kind != k || !engine.Usable(t, account) {
					continue
				}
				if chosen[sc+"/"+t.ID] {
					in = append(in, t)
				} else {
					out = append(out, t)
				}
			}
		}
		sort.Strings(ids)
		ru.selectors = append(ru.selectors, choose(k, ids, in, out))
	}
	return ru
}

// template turns the account ID, region and target ID in a log group name
// into the spec's placeholders, so that flow logs of many accounts,
// regions or targets with one naming scheme are one rule.
func template(name, account, region, resourceID string) string {
	return strings.NewReplacer(account, "{account_id}", region, "{region}", resourceID, "{resource_id}").Replace(name)
}

// templated returns the log group name when every member's is the same,
// and otherwise the name with the members' account, region and target
// turned into placeholders, when that one template yields every name.
func templated(members []member, name string, literal func(member) string) string {
	first := literal(members[0])
	same := true
	for _, m := range members[1:] {
		if literal(m) != first {
			same = false
		}
	}
	if same {
		return first
	}
	return name
}

// choose picks the selector for targets ids (in) against the others of the
// rule's scopes (out): all when there are no others, else the first tag
// (by key, then value) that every chosen target carries and no other does,
// else the IDs. A "Name" tag names one resource, so it is never chosen.
func choose(k spec.TargetKind, ids []string, in, out []engine.Target) selector {
	sel := selector{kind: k, others: len(out)}
	if len(out) == 0 {
		sel.all = true
		return sel
	}
	common := map[[2]string]bool{}
	for tk, tv := range in[0].Tags {
		if tk != "Name" && !strings.HasPrefix(tk, "aws:") {
			common[[2]string{tk, tv}] = true
		}
	}
	for _, t := range in[1:] {
		for kv := range common {
			if t.Tags[kv[0]] != kv[1] {
				delete(common, kv)
			}
		}
	}
	var candidates [][2]string
	for kv := range common {
		shared := false
		for _, t := range out {
			if v, ok := t.Tags[kv[0]]; ok && v == kv[1] {
				shared = true
				break
			}
		}
		if !shared {
			candidates = append(candidates, kv)
		}
	}
	if len(candidates) > 0 {
		sort.Slice(candidates, func(i, j int) bool {
			if candidates[i][0] != candidates[j][0] {
				return candidates[i][0] < candidates[j][0]
			}
			return candidates[i][1] < candidates[j][1]
		})
		sel.tag = candidates[0]
		return sel
	}
	sel.ids = ids
	return sel
}

// baseName is a readable, valid rule name from the configuration:
// destination, then traffic.
func (ru *rule) baseName() string {
	k := ru.key
	var parts []string
	switch k.destType {
	case engine.DestCloudWatchLogs:
		parts = append(parts, "cloudwatch", lastSegment(k.logGroup))
	case engine.DestS3:
		_, bucket, _ := strings.Cut(k.bucketARN, ":::")
		parts = append(parts, "s3", bucket)
		if k.prefix != "" {
			parts = append(parts, lastSegment(k.prefix))
		}
	case engine.DestFirehose:
		parts = append(parts, "firehose", lastSegment(k.stream))
	}
	if k.tgw {
		parts = append(parts, "tgw")
	} else if k.trafficType != "" && k.trafficType != "ALL" {
		parts = append(parts, strings.ToLower(k.trafficType))
	}
	return ruleName(strings.Join(parts, "-"))
}

func lastSegment(s string) string {
	s = strings.Trim(s, "/")
	if i := strings.LastIndexAny(s, "/:"); i >= 0 {
		s = s[i+1:]
	}
	s = strings.NewReplacer("{account_id}", "", "{region}", "", "{resource_id}", "").Replace(s)
	return s
}

// ruleName makes s a valid rule name: 1-63 lowercase letters, digits and
// hyphens, starting and ending with a letter or digit.
func ruleName(s string) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(s) {
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		switch {
		case ok:
			b.WriteRune(c)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.Trim(b.String(), "-")
	if len(out) > 56 {
		out = strings.Trim(out[:56], "-")
	}
	if out == "" {
		out = "flow-logs"
	}
	return out
}

// q quotes a string for YAML: a double-quoted scalar, whose escapes Go's
// strconv.Quote writes.
func q(s string) string { return strconv.Quote(s) }

func writeSpec(b *bytes.Buffer, inv *Inventory, opts Options, rules []*rule, res *Result) {
	regions := map[string]bool{}
	for _, a := range inv.Accounts {
		for _, r := range a.Regions {
			regions[r] = true
		}
	}
	fmt.Fprintf(b, `# yaml-language-server: $schema=./schema.json
# (editors: 'flowplan schema > schema.json' puts the schema beside this file)
#
# A starter spec written by 'flowplan init' from the flow logs that exist in
# %d account(s) and %d region(s) (accounts from %s). It describes them as
# they are: %d existing flow log(s) in %d rule(s), one rule per configuration.
#
# Next, run 'flowplan plan -f %s'. It should show only adoptions (flowplan
# adds its ownership tags to the flow logs below) and nothing to create or
# replace. Before 'flowplan apply', review:
#   - name: it is recorded in the flowplan:spec tag of everything adopted;
#   - targets: a tag selector was chosen where every flow-logged resource
#     carries the tag and no other does, so a new resource with that tag
#     will get a flow log too; IDs were written where no tag tells them apart;
#   - delivery roles and log groups that exist are used as they are, by ARN
#     and name: flowplan never modifies what it did not create;
#   - S3 rules leave the bucket policy alone: set manage_bucket_policy (and
#     bucket_account) for flowplan to keep its delivery statements there.
`, len(inv.Accounts), len(regions), nonEmpty(opts.Source, "the command line"), res.Described, len(rules), nonEmpty(opts.File, "flowplan.yaml"))
	if len(res.Left) > 0 || len(inv.Errors) > 0 {
		b.WriteString("#\n# Not described here:\n")
		for _, e := range inv.Errors {
			fmt.Fprintf(b, "#   - %s could not be read: %s\n", e.Scope, oneLine(e.Message))
		}
		for _, l := range res.Left {
			fmt.Fprintf(b, "#   - %s\n", oneLine(l))
		}
	}
	fmt.Fprintf(b, "version: 1\nname: %s\n", q(opts.Name))
	b.WriteString("\naccounts:\n")
	for _, a := range inv.Accounts {
		fmt.Fprintf(b, "  - id: %s\n", q(a.ID))
		if a.Alias != "" {
			fmt.Fprintf(b, "    alias: %s\n", q(a.Alias))
		}
		if a.AssumeRole != "" {
			fmt.Fprintf(b, "    assume_role: %s\n", q(a.AssumeRole))
		}
		fmt.Fprintf(b, "    regions: [%s]\n", quotedList(a.Regions))
	}
	var managed [][2]string
	for _, ru := range rules {
		if ru.key.roleManaged != "" && !slices.Contains(managed, [2]string{ru.key.roleManaged, ru.key.rolePath}) {
			managed = append(managed, [2]string{ru.key.roleManaged, ru.key.rolePath})
		}
	}
	if len(managed) > 0 {
		b.WriteString("\n# Delivery roles this spec already manages (tagged flowplan:spec=" + opts.Name + ").\ndelivery_roles:\n")
		for _, r := range managed {
			fmt.Fprintf(b, "  %s: {path: %s}\n", q(r[0]), q(nonEmpty(r[1], "/")))
		}
	}
	b.WriteString("\nflow_logs:\n")
	for i, ru := range rules {
		if i > 0 {
			b.WriteString("\n")
		}
		writeRule(b, ru)
	}
}

// maxListedMembers is how many existing flow logs a rule's comment names.
const maxListedMembers = 10

func writeRule(b *bytes.Buffer, ru *rule) {
	k := ru.key
	fmt.Fprintf(b, "  # %d existing flow log(s):", len(ru.members))
	for i, m := range ru.members {
		if i == maxListedMembers {
			fmt.Fprintf(b, " and %d more", len(ru.members)-i)
			break
		}
		sep := ","
		if i == 0 {
			sep = ""
		}
		fmt.Fprintf(b, "%s %s (%s %s)", sep, m.id, m.target, m.account+"/"+m.region)
	}
	b.WriteString(".\n")
	fmt.Fprintf(b, "  - name: %s\n", ru.name)
	if !ru.allAccounts {
		fmt.Fprintf(b, "    accounts: [%s]\n", quotedList(ru.accounts))
	}
	if !ru.allRegions {
		fmt.Fprintf(b, "    regions: [%s]\n", quotedList(ru.regions))
	}
	b.WriteString("    targets:\n")
	for _, s := range ru.selectors {
		switch {
		case s.all:
			fmt.Fprintf(b, "      %s: {all: true}   # every one there has such a flow log\n", s.kind)
		case s.tag[0] != "":
			fmt.Fprintf(b, "      %s: {tags: {%s: %s}}   # only these carry this tag; %d other(s) do not\n", s.kind, q(s.tag[0]), q(s.tag[1]), s.others)
		default:
			fmt.Fprintf(b, "      %s:   # no tag tells these apart from the %d other(s)\n        ids: [%s]\n", s.kind, s.others, quotedList(s.ids))
		}
	}
	if !k.tgw {
		fmt.Fprintf(b, "    traffic_type: %s\n", k.trafficType)
		fmt.Fprintf(b, "    max_aggregation_interval: %d\n", k.interval)
	}
	family := logformat.TargetVPC
	if k.tgw {
		family = logformat.TargetTransitGateway
	}
	if k.logFormat == logformat.Default(family) {
		b.WriteString("    log_format: default\n")
	} else {
		names, _ := logformat.Parse(k.logFormat)
		fmt.Fprintf(b, "    log_format: [%s]\n", strings.Join(names, ", "))
	}
	if k.tagFields != "" {
		b.WriteString("    tag_field_specifications:\n")
		for _, part := range strings.Split(strings.TrimSuffix(k.tagFields, ";"), ";") {
			rt, keys, _ := strings.Cut(part, "=")
			fmt.Fprintf(b, "      - {resource_type: %s, tag_keys: [%s]}\n", q(rt), quotedList(strings.Split(keys, ",")))
		}
	}
	b.WriteString("    destination:\n")
	role := ru.role
	if k.roleManaged != "" {
		role = k.roleManaged
	}
	switch k.destType {
	case engine.DestCloudWatchLogs:
		b.WriteString("      cloudwatch_logs:\n")
		fmt.Fprintf(b, "        log_group: %s", q(ru.logGroup))
		if k.logGroupMissing {
			b.WriteString("   # does not exist today: the first plan creates it")
		}
		b.WriteString("\n")
		if k.retention != 0 {
			fmt.Fprintf(b, "        retention_days: %d\n", k.retention)
		}
		if k.kms != "" {
			fmt.Fprintf(b, "        kms_key_arn: %s\n", q(k.kms))
		}
		fmt.Fprintf(b, "        delivery_role: %s\n", q(role))
	case engine.DestS3:
		b.WriteString("      s3:\n")
		fmt.Fprintf(b, "        bucket_arn: %s\n", q(k.bucketARN))
		if k.prefix != "" {
			fmt.Fprintf(b, "        prefix: %s\n", q(k.prefix))
		}
		fmt.Fprintf(b, "        file_format: %s\n", q(k.fileFormat))
		if k.hive {
			b.WriteString("        hive_compatible_partitions: true\n")
		}
		if k.perHour {
			b.WriteString("        per_hour_partition: true\n")
		}
		b.WriteString("        manage_bucket_policy: false\n")
	case engine.DestFirehose:
		b.WriteString("      firehose:\n")
		fmt.Fprintf(b, "        delivery_stream_arn: %s\n", q(k.stream))
		if role != "" {
			fmt.Fprintf(b, "        delivery_role: %s\n", q(role))
		}
		if k.crossAccountRole != "" {
			fmt.Fprintf(b, "        cross_account_role: %s\n", q(k.crossAccountRole))
		}
	}
}

func quotedList(ss []string) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = q(s)
	}
	return strings.Join(out, ", ")
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// oneLine keeps a comment on one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
