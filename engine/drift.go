package engine

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/flowplan/flowplan/internal/arn"
	"github.com/flowplan/flowplan/spec"
	"github.com/flowplan/flowplan/spec/logformat"
)

// Drift is what `flowplan drift` reports: each way AWS differs from the
// spec, as a typed finding with a severity and a fix. DetectDrift works it
// out once, from the survey; renderers only format it.

// DriftKind classifies a finding.
type DriftKind string

// The kinds of drift.
const (
	// DriftMissing: a target the spec selects has no flow log that
	// satisfies its rule (deleted out of band, or never made).
	DriftMissing DriftKind = "missing"
	// DriftUnhealthy: a flow log exists but cannot deliver: AWS reports
	// DeliverLogsStatus FAILED, or its destination or role is gone.
	DriftUnhealthy DriftKind = "unhealthy"
	// DriftModified: a managed resource differs from the spec.
	DriftModified DriftKind = "modified"
	// DriftConflict: something stands in the way of the spec (another
	// spec's flow log, a duplicate, a role of the spec's name that is not
	// the spec's).
	DriftConflict DriftKind = "conflict"
	// DriftOrphaned: managed, but no longer wanted.
	DriftOrphaned DriftKind = "orphaned"
	// DriftUnmanaged: a flow log without this spec's ownership on a target
	// in scope; drift only with DriftOptions.Strict.
	DriftUnmanaged DriftKind = "unmanaged"
)

// DriftKinds lists the kinds, worst first: the order outputs group them in.
var DriftKinds = []DriftKind{DriftMissing, DriftUnhealthy, DriftModified, DriftConflict, DriftOrphaned, DriftUnmanaged}

// Severity ranks findings.
type Severity string

// The severities.
const (
	SeverityHigh   Severity = "high"
	SeverityMedium Severity = "medium"
	SeverityLow    Severity = "low"
)

// Rank orders severities: high is 0, the worst.
func (s Severity) Rank() int {
	switch s {
	case SeverityHigh:
		return 0
	case SeverityMedium:
		return 1
	}
	return 2
}

// Finding is one way AWS differs from the spec.
type Finding struct {
	Kind     DriftKind
	Severity Severity
	// Addr is the resource the finding is about.
	Addr Addr
	// ResourceID is the AWS ID: the target of a missing flow log, the flow
	// log, role ARN, log group ARN, or bucket statement ID.
	ResourceID string
	// Expected and Actual say what the spec wants and what AWS has, for
	// people; "" when there is nothing to say.
	Expected string
	Actual   string
	// Detail explains the finding: how it differs, the likely cause.
	Detail string
	// Fix is what to do: a flowplan command, or what to change by hand.
	Fix string
	// Drift is true when the finding makes `flowplan drift` exit 2.
	Drift bool
}

// Drift is the result of a drift check.
type Drift struct {
	Spec     SpecRef
	Accounts []Account
	// Targets are the --target prefixes the check was limited to.
	Targets []string
	// Shard is the part of the organisation checked (--shard); nil for all
	// of it.
	Shard *Shard
	// Findings are sorted by address, then kind.
	Findings []Finding
	// Errors are the scopes that could not be read, whose drift is
	// unknown, and the plan's planning errors.
	Errors []ScopeError
}

// Drifted reports whether any finding counts as drift.
func (d *Drift) Drifted() bool {
	for _, f := range d.Findings {
		if f.Drift {
			return true
		}
	}
	return false
}

// Unknown returns the scopes whose discovery failed, so that nothing is
// known of their drift: what makes `flowplan drift` exit 1. Planning
// errors are not among them: they are reported as conflict findings.
func (d *Drift) Unknown() []ScopeError {
	var out []ScopeError
	for _, e := range d.Errors {
		if !e.Planning() {
			out = append(out, e)
		}
	}
	return out
}

// DriftOptions tune DetectDrift.
type DriftOptions struct {
	// Strict counts unmanaged flow logs as drift.
	Strict bool
	// Ignore drops findings of these kinds.
	Ignore []DriftKind
}

// ParseDriftKind parses a kind name, as --ignore takes it.
func ParseDriftKind(s string) (DriftKind, error) {
	for _, k := range DriftKinds {
		if string(k) == s {
			return k, nil
		}
	}
	names := make([]string, len(DriftKinds))
	for i, k := range DriftKinds {
		names[i] = string(k)
	}
	return "", fmt.Errorf("unknown drift kind %q: use %s", s, strings.Join(names, ", "))
}

// kindSeverity is each kind's severity: one definition.
var kindSeverity = map[DriftKind]Severity{
	DriftMissing:   SeverityHigh,
	DriftUnhealthy: SeverityHigh,
	DriftModified:  SeverityMedium,
	DriftConflict:  SeverityMedium,
	DriftOrphaned:  SeverityLow,
	DriftUnmanaged: SeverityLow,
}

// FixCommand is the command that applies the plan's change at addr.
func FixCommand(specFile string, addr Addr) string {
	if specFile == "" {
		specFile = "SPEC"
	}
	return "flowplan apply -f " + specFile + " --target " + addr.String()
}

// DetectDrift turns a survey into findings. It is pure: every finding
// comes from the plan's changes, notes and errors, and from the discovered
// state they were made from.
func DetectDrift(sv *Survey, opts DriftOptions) *Drift {
	plan := sv.Plan
	d := &drifter{sv: sv, plan: plan, byAddr: map[Addr]*Change{}, usedBy: map[string][]*Resource{}, fixers: map[string]Addr{}}
	for _, c := range plan.Changes {
		d.byAddr[c.Addr] = c
	}
	d.indexFlowLogs()
	for _, c := range plan.Changes {
		d.change(c)
	}
	for _, n := range plan.Notes {
		d.note(n)
	}
	d.health()
	for _, e := range plan.Errors {
		if e.Planning() {
			d.add(Finding{Kind: DriftConflict, Addr: scopeAddr(e.Scope), Detail: e.Error(), Fix: "fix what the error says, then plan again"})
		}
	}
	out := &Drift{Spec: plan.Spec, Accounts: plan.Accounts, Targets: plan.Targets, Shard: plan.Shard, Errors: plan.Errors}
	unknown := out.Unknown()
	for _, f := range d.findings {
		if scopes := sharedWithUnknown(f, d.byAddr[f.Addr], unknown); len(scopes) > 0 {
			f.Detail += "; this may not be drift: what the spec wants of it depends on " + strings.Join(scopes, ", ") +
				", which could not be read"
		}
		if slices.Contains(opts.Ignore, f.Kind) {
			continue
		}
		f.Severity = kindSeverity[f.Kind]
		if f.Kind == DriftModified && f.Severity == SeverityMedium && d.tagsOnly[f.Addr] {
			f.Severity = SeverityLow
		}
		f.Drift = f.Kind != DriftUnmanaged || opts.Strict
		out.Findings = append(out.Findings, f)
	}
	sort.SliceStable(out.Findings, func(i, j int) bool {
		a, b := out.Findings[i], out.Findings[j]
		if a.Addr != b.Addr {
			return a.Addr.Less(b.Addr)
		}
		return slices.Index(DriftKinds, a.Kind) < slices.Index(DriftKinds, b.Kind)
	})
	return out
}

// sharedWithUnknown returns the unreadable scopes that a finding's change
// of a shared resource may come from. A delivery role and its policy are
// built from the log groups and regions of their account's flow logs; with
// a scope of the account unread, the plan wants them as if it had no flow
// logs, so an update or replacement there may be the plan's gap, not AWS's
// drift. Creates (the resource is gone) are facts all the same. flowplan's
// bucket statements depend on no discovery (the spec and the account
// listing decide them, see Expand), so an unread scope never excuses them.
func sharedWithUnknown(f Finding, c *Change, unknown []ScopeError) []string {
	if f.Kind != DriftModified || c == nil || (c.Action != Update && c.Action != Replace) {
		return nil
	}
	var out []string
	for _, e := range unknown {
		account, _, _ := e.Where()
		if (c.Addr.Kind == KindRole || c.Addr.Kind == KindRolePolicy) && account == c.Addr.Account {
			out = append(out, e.Scope)
		}
	}
	return out
}

// scopeAddr is the address a scope error is reported at.
func scopeAddr(scope string) Addr {
	parts := strings.SplitN(scope, "/", 3)
	switch {
	case len(parts) == 2 && parts[0] == "s3":
		return BucketAddr("", parts[1])
	case len(parts) == 3 && parts[1] == "s3":
		return BucketAddr(parts[0], parts[2])
	case len(parts) == 2:
		return Addr{Account: parts[0], Region: parts[1]}
	}
	return Addr{Account: scope, Region: GlobalRegion}
}

type drifter struct {
	sv       *Survey
	plan     *Plan
	byAddr   map[Addr]*Change
	findings []Finding
	// usedBy are the flow logs that stay and deliver through each
	// destination or role, by its ARN (log group without ":*").
	usedBy map[string][]*Resource
	// fixers maps what a change puts back (a log group, role or bucket
	// statement ARN, a bucket name) to the change's address.
	fixers map[string]Addr
	// tagsOnly marks modified findings that concern tags alone.
	tagsOnly map[Addr]bool
}

func (d *drifter) add(f Finding) { d.findings = append(d.findings, f) }

// fix is the command that applies the change at a, for the spec checked.
func (d *drifter) fix(a Addr) string { return FixCommand(d.plan.Spec.File, a) }

// indexFlowLogs records, for the flow logs the plan keeps (no-op, update,
// adopt), the destinations and roles they deliver through.
func (d *drifter) indexFlowLogs() {
	for _, c := range d.plan.Changes {
		if c.Addr.Kind != KindFlowLog || c.Before == nil || c.Before.FlowLog == nil {
			continue
		}
		if c.Action == Delete || c.Action == Replace {
			continue
		}
		f := c.Before.FlowLog
		for _, key := range []string{NormalizeDestination(f.DestinationType, f.Destination), f.DeliverLogsPermissionARN} {
			if key != "" {
				d.usedBy[key] = append(d.usedBy[key], c.Before)
			}
		}
		if bucket, _, ok := s3BucketAndPrefix(f); ok {
			d.usedBy["s3:"+bucket] = append(d.usedBy["s3:"+bucket], c.Before)
		}
	}
}

func (d *drifter) change(c *Change) {
	switch c.Addr.Kind {
	case KindFlowLog:
		d.flowLogChange(c)
	default:
		d.supportChange(c)
	}
}

func (d *drifter) flowLogChange(c *Change) {
	switch c.Action {
	case Create:
		f := c.After.FlowLog
		others := d.flowLogsOn(c.Addr, f.ResourceID)
		detail := f.ResourceID + " has no flow log at all: it is unlogged"
		actual := "no flow log"
		if len(others) > 0 {
			ids := make([]string, len(others))
			descs := make([]string, len(others))
			for i, o := range others {
				ids[i] = o.ID
				descs[i] = o.ID + ": " + FlowLogSummary(o.FlowLog)
			}
			detail = fmt.Sprintf("%s has %s (%s), but none is this rule's", f.ResourceID, plural(len(others), "other flow log", "other flow logs"), strings.Join(ids, ", "))
			actual = strings.Join(descs, "; ")
		}
		d.add(Finding{Kind: DriftMissing, Addr: c.Addr, ResourceID: f.ResourceID, Expected: FlowLogSummary(f), Actual: actual, Detail: detail, Fix: d.fix(c.Addr)})
	case Replace:
		expected, actual := diffSides(forcing(c.Diffs))
		d.add(Finding{Kind: DriftModified, Addr: c.Addr, ResourceID: c.Before.ID, Expected: expected, Actual: actual,
			Detail: "flow log " + c.Before.ID + " differs in what AWS cannot change in place: " + summarize(forcing(c.Diffs)), Fix: d.fix(c.Addr)})
	case Update:
		expected, actual := diffSides(c.Diffs)
		d.markTagsOnly(c.Addr)
		d.add(Finding{Kind: DriftModified, Addr: c.Addr, ResourceID: c.Before.ID, Expected: expected, Actual: actual,
			Detail: "flow log " + c.Before.ID + " has other tags: " + summarize(c.Diffs), Fix: d.fix(c.Addr)})
	case Adopt:
		d.markTagsOnly(c.Addr)
		d.add(Finding{Kind: DriftModified, Addr: c.Addr, ResourceID: c.Before.ID, Expected: "this spec's ownership tags", Actual: "none",
			Detail: "flow log " + c.Before.ID + " has the rule's configuration but not this spec's ownership tags", Fix: d.fix(c.Addr)})
	case Delete:
		d.add(Finding{Kind: DriftOrphaned, Addr: c.Addr, ResourceID: c.Before.ID, Actual: FlowLogSummary(c.Before.FlowLog),
			Detail: "flow log " + c.Before.ID + " is managed by this spec but no longer wanted; apply deletes it (prune)", Fix: d.fix(c.Addr)})
	}
}

func (d *drifter) markTagsOnly(a Addr) {
	if d.tagsOnly == nil {
		d.tagsOnly = map[Addr]bool{}
	}
	d.tagsOnly[a] = true
}

// flowLogsOn returns the current flow logs on a resource, by ID.
func (d *drifter) flowLogsOn(a Addr, resourceID string) []*Resource {
	var out []*Resource
	for _, r := range d.sv.Current.Resources {
		if r.FlowLog != nil && r.Addr.Account == a.Account && r.Addr.Region == a.Region && r.FlowLog.ResourceID == resourceID {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b *Resource) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// supportChange reports a role, role policy, log group or bucket statement
// that is not as the spec wants it.
func (d *drifter) supportChange(c *Change) {
	what := KindWords(c.Addr.Kind)
	id := idOf(c.Before)
	switch c.Action {
	case Create:
		key := d.recordFixer(c)
		users := d.usedBy[key]
		detail := what + " " + c.Addr.Name + " does not exist"
		if len(users) > 0 {
			detail += fmt.Sprintf(", and %s deliver through it", plural(len(users), "flow log", "flow logs"))
		}
		d.add(Finding{Kind: DriftModified, Addr: c.Addr, Expected: "exists", Actual: "missing", Detail: detail, Fix: d.fix(c.Addr)})
	case Update, Replace:
		d.recordFixer(c)
		expected, actual := diffSides(c.Diffs)
		if c.Addr.Kind == KindRolePolicy || c.Addr.Kind == KindBucketPolicyStatement {
			expected, actual = "as the spec builds it", "changed"
		}
		tagsOnly := len(c.Diffs) > 0
		for _, df := range c.Diffs {
			if !strings.HasPrefix(df.Attr, "tags.") {
				tagsOnly = false
			}
		}
		if tagsOnly {
			d.markTagsOnly(c.Addr)
		}
		detail := what + " differs from the spec: " + summarize(c.Diffs)
		if len(c.Diffs) == 0 {
			detail = what + " differs from the spec"
		}
		d.add(Finding{Kind: DriftModified, Addr: c.Addr, ResourceID: id, Expected: expected, Actual: actual, Detail: detail, Fix: d.fix(c.Addr)})
	case Delete:
		d.add(Finding{Kind: DriftOrphaned, Addr: c.Addr, ResourceID: id,
			Detail: what + " is managed by this spec but no longer wanted; apply deletes it (prune)", Fix: d.fix(c.Addr)})
	case Adopt:
		d.recordFixer(c)
		d.add(Finding{Kind: DriftModified, Addr: c.Addr, ResourceID: id, Expected: "this spec's ownership tags", Actual: "none",
			Detail: what + " " + c.Addr.Name + " exists without flowplan's ownership tags; the spec adopts it (adopt: true)", Fix: d.fix(c.Addr)})
	}
}

// recordFixer notes what a change of a supporting resource puts back, so
// that an unhealthy flow log's fix names it, and returns that key.
func (d *drifter) recordFixer(c *Change) string {
	key := ""
	r := c.After
	switch {
	case r == nil:
	case r.LogGroup != nil:
		key = NormalizeDestination(DestCloudWatchLogs, logGroupARN(c.Addr))
	case r.Role != nil:
		key = roleARNOf(c, d.sv)
	case r.RolePolicy != nil:
		key = "policy:" + c.Addr.Account + "/" + r.RolePolicy.RoleName
	case r.BucketPolicyStatement != nil:
		key = "s3:" + r.BucketPolicyStatement.Bucket
	}
	if key != "" {
		if _, ok := d.fixers[key]; !ok {
			d.fixers[key] = c.Addr
		}
	}
	return key
}

func (d *drifter) note(n Note) {
	switch n.Kind {
	case NoteOrphan:
		fix := "set prune: true in the spec and apply, or delete it yourself"
		if n.Addr.Kind == KindLogGroup {
			fix = "delete it yourself if its logs are no longer needed: flowplan never deletes log groups"
		}
		d.add(Finding{Kind: DriftOrphaned, Addr: n.Addr, ResourceID: idOf(n.Resource), Detail: n.Message, Fix: fix})
	case NoteUnmanaged:
		if n.Addr.Kind != KindFlowLog || n.Resource == nil || n.Resource.FlowLog == nil {
			return // a role or log group used as it is, as the spec wants it
		}
		d.add(Finding{Kind: DriftUnmanaged, Addr: n.Addr, ResourceID: n.Resource.ID, Actual: FlowLogSummary(n.Resource.FlowLog), Detail: n.Message,
			Fix: "none needed; flowplan never touches it"})
	case NoteConflict:
		d.add(Finding{Kind: DriftConflict, Addr: n.Addr, ResourceID: idOf(n.Resource), Detail: n.Message,
			Fix: "remove it, or change the spec so that it is not in the way: flowplan never modifies it"})
	}
}

// health reports the flow logs the plan keeps that cannot deliver: AWS
// reports DeliverLogsStatus FAILED, or their log group, bucket or delivery
// role is gone.
func (d *drifter) health() {
	seen := map[string]bool{}
	for _, c := range d.plan.Changes {
		if c.Addr.Kind != KindFlowLog || c.Before == nil || c.Before.FlowLog == nil || c.Action == Delete || c.Action == Replace || seen[c.Before.ID] {
			continue
		}
		seen[c.Before.ID] = true
		f := c.Before.FlowLog
		var causes []string
		fix := ""
		failed := f.Status != nil && f.Status.DeliverLogsStatus == "FAILED"
		if failed {
			causes = append(causes, "AWS reports DeliverLogsStatus FAILED ("+display(f.Status.DeliverLogsErrorMessage)+")")
		}
		for _, g := range d.goneThrough(c.Addr, f) {
			causes = append(causes, g.what)
			if fix == "" && g.fixer != (Addr{}) {
				fix = d.fix(g.fixer)
			}
		}
		if len(causes) == 0 {
			continue
		}
		if failed && len(causes) == 1 {
			if hint, fixer := d.likelyCause(c.Addr, f); hint != "" {
				causes = append(causes, "likely cause: "+hint)
				if fix == "" && fixer != (Addr{}) {
					fix = d.fix(fixer)
				} else if fix == "" {
					fix = hint
				}
			}
		}
		if fix == "" {
			fix = "fix the delivery role, destination or key the flow log uses: " + f.Destination
		}
		d.add(Finding{Kind: DriftUnhealthy, Addr: c.Addr, ResourceID: c.Before.ID, Expected: "delivers", Actual: "cannot deliver",
			Detail: "flow log " + c.Before.ID + " on " + f.ResourceID + " exists but delivers nothing: " + strings.Join(causes, "; "), Fix: fix})
	}
}

type gone struct {
	what  string
	fixer Addr
}

// goneThrough lists what the flow log delivers through that is gone, with
// the change that puts each back, if any.
func (d *drifter) goneThrough(a Addr, f *FlowLog) []gone {
	var out []gone
	switch f.DestinationType {
	case DestCloudWatchLogs:
		if name, ok := parseLogGroupName(f.Destination); ok {
			la := LogGroupAddr(a.Account, a.Region, name)
			if c := d.byAddr[la]; c != nil && c.Action == Create {
				out = append(out, gone{"its log group " + name + " was deleted, and flowplan's role may not logs:CreateLogGroup, on purpose", la})
			}
		}
	case DestS3:
		if bucket, _, ok := s3BucketAndPrefix(f); ok {
			if b, known := d.sv.Current.Buckets[bucket]; known && !b.Exists {
				out = append(out, gone{"its bucket " + bucket + " is gone", Addr{}})
			}
		}
	}
	if ra, ok := roleAddrFromARN(f.DeliverLogsPermissionARN); ok {
		if c := d.byAddr[ra]; c != nil && c.Action == Create {
			out = append(out, gone{"its delivery role " + ra.Name + " was deleted", ra})
		}
	}
	return out
}

// likelyCause guesses why a flow log reports FAILED from what discovery
// saw, and names the change that fixes it, if any.
func (d *drifter) likelyCause(a Addr, f *FlowLog) (string, Addr) {
	if ra, ok := roleAddrFromARN(f.DeliverLogsPermissionARN); ok {
		if c := d.byAddr[ra]; c != nil && (c.Action == Update || c.Action == Replace) {
			return "the trust policy of its delivery role " + ra.Name + " was changed", ra
		}
		pa := RolePolicyAddr(ra.Account, ra.Name, DeliveryPolicyName)
		if c := d.byAddr[pa]; c != nil && c.Action != NoOp {
			return "the permissions of its delivery role " + ra.Name + " were changed", pa
		}
	}
	if bucket, _, ok := s3BucketAndPrefix(f); ok {
		for _, c := range d.plan.Changes {
			if st := statementOf(c); st != nil && st.Bucket == bucket && (c.Action == Create || c.Action == Update) {
				return "flowplan's statement " + st.Sid + " in the policy of bucket " + bucket + " was removed or changed", c.Addr
			}
		}
		if b := d.sv.Current.Buckets[bucket]; b != nil {
			if sid := denyingStatement(b.Policy); sid != "" {
				return "statement " + strconv.Quote(sid) + " of the policy of bucket " + bucket + " denies the log delivery service; remove or narrow it (flowplan never changes statements it did not write)", Addr{}
			}
		}
	}
	if f.DestinationType == DestCloudWatchLogs {
		if name, ok := parseLogGroupName(f.Destination); ok {
			if lg := d.sv.Current.Resources[LogGroupAddr(a.Account, a.Region, name)]; lg != nil && lg.LogGroup != nil && lg.LogGroup.KMSKeyARN != "" {
				return "log group " + name + " is encrypted with " + lg.LogGroup.KMSKeyARN + ", whose key policy must let logs." + a.Region + ".amazonaws.com use it", Addr{}
			}
		}
		return "the delivery role " + f.DeliverLogsPermissionARN + " cannot be assumed by vpc-flow-logs.amazonaws.com or may not write to the log group", Addr{}
	}
	return "", Addr{}
}

// denyingStatement returns the Sid (or "(no Sid)") of a bucket policy
// statement that denies the log delivery service, or "".
func denyingStatement(policy string) string {
	v, err := decodePolicyJSON(policy)
	if err != nil {
		return ""
	}
	obj, _ := v.(map[string]any)
	var list []any
	switch st := obj["Statement"].(type) {
	case []any:
		list = st
	case map[string]any:
		list = []any{st}
	}
	for _, item := range list {
		s, _ := item.(map[string]any)
		if s == nil || s["Effect"] != "Deny" {
			continue
		}
		if principalCovers(s["Principal"], logDeliveryService) {
			if sid, _ := s["Sid"].(string); sid != "" {
				return sid
			}
			return "(no Sid)"
		}
	}
	return ""
}

// principalCovers reports whether a policy Principal names service, or
// everyone.
func principalCovers(p any, service string) bool {
	switch x := p.(type) {
	case string:
		return x == "*"
	case map[string]any:
		return slices.Contains(stringList(x["Service"]), service) || slices.Contains(stringList(x["AWS"]), "*")
	}
	return false
}

// diffSides renders diffs as what the spec wants and what AWS has:
// "traffic_type ALL; max_aggregation_interval 60".
func diffSides(ds []AttrDiff) (expected, actual string) {
	var e, a []string
	for _, d := range ds {
		if bulky(d.Before) || bulky(d.After) {
			e, a = append(e, d.Attr+" as the spec builds it"), append(a, d.Attr+" changed")
			continue
		}
		e, a = append(e, d.Attr+" "+display(d.After)), append(a, d.Attr+" "+display(d.Before))
	}
	return strings.Join(e, "; "), strings.Join(a, "; ")
}

// FlowLogSummary describes a flow log in one line: "ALL to s3
// arn:aws:s3:::logs/prod/, default format, 600 s".
func FlowLogSummary(f *FlowLog) string {
	if f == nil {
		return ""
	}
	traffic := f.TrafficType
	if traffic == "" {
		traffic = "all traffic"
	}
	format := "custom format"
	if f.LogFormat == "" || isDefaultFormat(f) {
		format = "default format"
	}
	interval := f.MaxAggregationInterval
	s := fmt.Sprintf("%s to %s %s, %s, %d s", traffic, f.DestinationType, f.Destination, format, interval)
	if f.DestinationType == DestS3 && f.FileFormat != "" && f.FileFormat != DefaultFileFormat {
		s += ", " + f.FileFormat
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// parseLogGroupName is the log group name of a CloudWatch Logs ARN.
func parseLogGroupName(s string) (string, bool) { return arn.ParseLogGroup(s) }

// logGroupARN is the destination ARN of the log group at a.
func logGroupARN(a Addr) string { return arn.LogGroup(a.Account, a.Region, a.Name) }

// roleARNOf is the ARN of the role a role change creates, as flow logs
// name it.
func roleARNOf(c *Change, sv *Survey) string {
	partition := "aws"
	for _, a := range sv.Plan.Accounts {
		if a.ID == c.Addr.Account {
			partition = a.partition()
		}
	}
	return arn.Role(partition, c.Addr.Account, c.After.Role.Path, c.After.Role.Name)
}

// isDefaultFormat reports whether a normalised flow log has its family's
// default format.
func isDefaultFormat(f *FlowLog) bool {
	family := logformat.TargetVPC
	if spec.IsTransitGatewayResourceType(f.ResourceType) {
		family = logformat.TargetTransitGateway
	}
	return f.LogFormat == logformat.Default(family)
}
