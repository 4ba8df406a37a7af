package engine

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/google/go-cmp/cmp"
)

// Diff compares the current state with the desired one and returns the
// plan: one Change per desired or deletable resource (no-ops included),
// sorted by address, with DependsOn and Fingerprint filled, and Notes for
// what it leaves alone. It is pure: both sides are normalised first, and
// nothing is read or written. The plan's ID is left empty (see NewPlanID).
func Diff(current, desired *State) *Plan {
	if current == nil {
		current = NewState()
	}
	if desired == nil {
		desired = NewState()
	}
	d := &differ{
		spec:    desired.Spec.Name,
		prune:   desired.Prune,
		adopt:   desired.AdoptRoles,
		changes: map[Addr]*Change{},
		taken:   map[Addr]bool{},
	}
	d.cur, d.des = d.wellFormed(normalizeAll(current.Resources)), d.wellFormed(normalizeAll(desired.Resources))
	d.curByKind, d.desByKind = byKind(d.cur), byKind(d.des)
	d.curFlowLogs = flowLogsByResource(d.curByKind[KindFlowLog])
	d.flowLogs()
	d.logGroups()
	d.bucketStatements()
	d.roles()
	d.bucketPolicySizes(current.Buckets)
	d.dependencies()
	d.pauses()
	idx := newCurrentIndex(d.cur, d.curFlowLogs, current.Targets)
	for _, c := range d.changes {
		c.Fingerprint = idx.fingerprint(c)
		c.Step = stepOf(c)
	}
	notes := append(append([]Note(nil), desired.Notes...), d.notes...)
	return &Plan{
		FormatVersion: PlanFormatVersion,
		Spec:          desired.Spec,
		Accounts:      append([]Account(nil), current.Accounts...),
		Changes:       sortedChanges(d.changes),
		Notes:         sortedNotes(notes),
		Errors:        sortedErrors(append(append([]ScopeError(nil), current.Errors...), d.errors...)),
	}
}

type differ struct {
	spec     string
	prune    bool
	adopt    map[Addr]bool // roles the spec may take over (State.AdoptRoles)
	cur, des map[Addr]*Resource
	changes  map[Addr]*Change
	notes    []Note
	// errors are problems found while planning that stop the plan from
	// being applied (StagePlan).
	errors []ScopeError
	// taken are the addresses changes and leftover flow logs already use.
	taken map[Addr]bool
	// curByKind and desByKind hold each side's resources by kind, in no
	// particular order: whatever needs an order sorts what it uses.
	curByKind, desByKind map[Kind][]*Resource
	// curFlowLogs are the current flow logs by resource (flowLogsByResource).
	curFlowLogs map[string][]*Resource
}

func normalizeAll(in map[Addr]*Resource) map[Addr]*Resource {
	out := make(map[Addr]*Resource, len(in))
	for a, r := range in {
		out[a] = Normalize(r)
	}
	return out
}

// wellFormed drops, with a warning, resources whose data does not match
// their address's kind (a provider bug), so that nothing downstream has to
// check for them.
func (d *differ) wellFormed(m map[Addr]*Resource) map[Addr]*Resource {
	for _, a := range dropMalformed(m) {
		d.note(NoteWarning, a, nil, "ignored: the resource has no %s data", a.Kind)
	}
	return m
}

// dropMalformed deletes from m the resources whose data does not match
// their address's kind, and returns their addresses.
func dropMalformed(m map[Addr]*Resource) []Addr {
	var out []Addr
	for a, r := range m {
		if !hasKindData(r, a.Kind) {
			out = append(out, a)
			delete(m, a)
		}
	}
	return out
}

func (d *differ) add(c *Change) {
	d.changes[c.Addr] = c
	d.taken[c.Addr] = true
}

func (d *differ) note(kind NoteKind, a Addr, r *Resource, format string, args ...any) {
	d.notes = append(d.notes, Note{Kind: kind, Addr: a, Message: fmt.Sprintf(format, args...), Resource: r})
}

// owns reports whether the spec manages r.
func (d *differ) owns(r *Resource) bool {
	if r.BucketPolicyStatement != nil {
		return OwnsSid(d.spec, r.BucketPolicyStatement.Sid)
	}
	return r.Tags[TagSpec] == d.spec
}

// OwnsSid reports whether a bucket policy statement Sid is one spec specName
// writes: exactly "flowplan-<spec>-aclcheck" or "flowplan-<spec>-write-<8
// hex>". A prefix test alone would let spec "prod" claim spec "prod-eu"'s
// statements.
func OwnsSid(specName, sid string) bool {
	rest, ok := strings.CutPrefix(sid, "flowplan-"+specName+"-")
	if !ok {
		return false
	}
	if rest == "aclcheck" {
		return true
	}
	h, ok := strings.CutPrefix(rest, "write-")
	if !ok || len(h) != 8 {
		return false
	}
	for _, c := range h {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}

// byKind groups resources by kind. Sorting them all would cost a plan with
// tens of thousands of flow logs more than the diff needs: it sorts only
// the small sets whose order shows (a resource's flow logs, say).
func byKind(m map[Addr]*Resource) map[Kind][]*Resource {
	out := map[Kind][]*Resource{}
	for a, r := range m {
		out[a.Kind] = append(out[a.Kind], r)
	}
	return out
}

// --- flow logs ---

func flowLogKey(a Addr, f *FlowLog) string { return a.Account + "/" + a.Region + "/" + f.ResourceID }

// flowLogsByResource groups flow logs by account, region and resource
// (flowLogKey), each group sorted by flow log ID. Other resources are left
// out.
func flowLogsByResource(resources []*Resource) map[string][]*Resource {
	out := map[string][]*Resource{}
	for _, r := range resources {
		if r.Addr.Kind == KindFlowLog && r.FlowLog != nil {
			k := flowLogKey(r.Addr, r.FlowLog)
			out[k] = append(out[k], r)
		}
	}
	for _, list := range out {
		slices.SortFunc(list, func(a, b *Resource) int { return strings.Compare(a.ID, b.ID) })
	}
	return out
}

// byAddr orders resources by address (Addr.Less), for slices.SortFunc.
func byAddr(a, b *Resource) int {
	switch {
	case a.Addr.Less(b.Addr):
		return -1
	case b.Addr.Less(a.Addr):
		return 1
	}
	return 0
}

func (d *differ) flowLogs() {
	desired := map[string][]*Resource{}
	for _, r := range d.desByKind[KindFlowLog] {
		k := flowLogKey(r.Addr, r.FlowLog)
		desired[k] = append(desired[k], r)
	}
	keys := make([]string, 0, len(desired)+len(d.curFlowLogs))
	for k, list := range desired {
		slices.SortFunc(list, byAddr)
		keys = append(keys, k)
	}
	for k := range d.curFlowLogs {
		if desired[k] == nil {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		d.flowLogGroup(desired[k], d.curFlowLogs[k])
	}
}

// flowLogGroup matches the desired flow logs on one resource with the
// current ones, in passes from the closest match to the loosest, so that a
// flow log is never replaced or duplicated when one that would do exists:
//  1. managed, same rule, same configuration: no-op (or a tag update);
//  2. managed, other rule, same configuration: a rule rename, updated in place;
//  3. unmanaged (and not another spec's), same configuration: adopt;
//  4. managed, same rule, other configuration: replace;
//  5. otherwise create.
//
// Adoption comes before replacement: AWS refuses a new flow log that
// duplicates an existing one, so replacing a managed flow log while an
// unmanaged one already has the wanted configuration could only fail, after
// deleting the managed one in the duplicate fallback.
//
// Managed flow logs left over are deleted under prune, orphaned otherwise;
// unmanaged ones left over are reported.
func (d *differ) flowLogGroup(desired, current []*Resource) {
	used := map[*Resource]bool{}
	matched := map[*Resource]bool{}
	var managed, unmanaged []*Resource
	for _, c := range current {
		if d.owns(c) {
			managed = append(managed, c)
		} else {
			unmanaged = append(unmanaged, c)
		}
	}
	pass := func(pool []*Resource, match func(want, have *Resource) bool, act func(want, have *Resource)) {
		for _, want := range desired {
			if matched[want] {
				continue
			}
			for _, have := range pool {
				if !used[have] && match(want, have) {
					used[have], matched[want] = true, true
					act(want, have)
					break
				}
			}
		}
	}
	sameRule := func(want, have *Resource) bool { return have.Tags[TagRule] == want.Tags[TagRule] }
	sameConfig := func(want, have *Resource) bool { return len(flowLogDiffs(have.FlowLog, want.FlowLog)) == 0 }

	pass(managed, func(w, h *Resource) bool { return sameRule(w, h) && sameConfig(w, h) }, d.flowLogInPlace)
	pass(managed, sameConfig, d.flowLogInPlace)
	pass(unmanaged, func(w, h *Resource) bool { return h.Tags[TagSpec] == "" && sameConfig(w, h) }, d.flowLogAdopt)
	pass(managed, sameRule, d.flowLogReplace)

	for _, have := range current {
		if used[have] && have.FlowLog.Status != nil && have.FlowLog.Status.DeliverLogsStatus == "FAILED" {
			d.note(NoteWarning, have.Addr, have, "flow log %s on %s reports DeliverLogsStatus FAILED (%s): it exists but delivers nothing",
				have.ID, have.FlowLog.ResourceID, display(have.FlowLog.Status.DeliverLogsErrorMessage))
		}
	}
	conflicted := map[*Resource]bool{}
	for _, want := range desired {
		if matched[want] {
			continue
		}
		d.add(&Change{Addr: want.Addr, Action: Create, After: want, Reason: "no flow log with this configuration on " + want.FlowLog.ResourceID})
		for _, u := range unmanaged {
			if !used[u] && duplicates(u.FlowLog, want.FlowLog) {
				conflicted[u] = true
				d.conflict(u, want)
			}
		}
	}
	for _, m := range managed {
		if !used[m] {
			d.leftoverFlowLog(m)
		}
	}
	if len(desired) == 0 {
		return
	}
	for _, u := range unmanaged {
		if used[u] || conflicted[u] {
			continue
		}
		owner := "no flowplan ownership tags"
		if s := u.Tags[TagSpec]; s != "" {
			owner = "managed by spec " + strconv.Quote(s)
		}
		d.note(NoteUnmanaged, u.Addr, u, "flow log %s on %s is not managed by this spec (%s); never modified", u.ID, u.FlowLog.ResourceID, owner)
	}
}

// conflict notes an unmanaged flow log u that AWS will refuse want as a
// duplicate of (see duplicates). When u has want's very configuration it
// belongs to another spec (an unowned one is adopted).
func (d *differ) conflict(u, want *Resource) {
	diffs := flowLogDiffs(u.FlowLog, want.FlowLog)
	other := u.Tags[TagSpec]
	switch {
	case len(diffs) == 0:
		d.note(NoteConflict, u.Addr, u, "flow log %s on %s is managed by spec %q and already has this configuration; flowplan never takes over another spec's flow log, and AWS will likely refuse %s as a duplicate",
			u.ID, u.FlowLog.ResourceID, other, want.Addr)
	case other != "":
		d.note(NoteConflict, u.Addr, u, "flow log %s on %s is managed by spec %q and delivers the same traffic to the same destination with a different configuration (%s); AWS will likely refuse %s as a duplicate",
			u.ID, u.FlowLog.ResourceID, other, summarize(diffs), want.Addr)
	default:
		d.note(NoteConflict, u.Addr, u, "unmanaged flow log %s on %s delivers the same traffic to the same destination with a different configuration (%s); AWS will likely refuse %s as a duplicate",
			u.ID, u.FlowLog.ResourceID, summarize(diffs), want.Addr)
	}
}

// upToDate is the Reason of a no-op.
const upToDate = "matches the spec"

// flowLogInPlace handles a managed flow log whose configuration is already
// the desired one: nothing to do, or a tag update (which also renames the
// rule it belongs to).
func (d *differ) flowLogInPlace(want, have *Resource) {
	diffs := tagDiffs(have.Tags, want.Tags)
	c := &Change{Addr: want.Addr, Action: NoOp, Before: have, After: keepAs(want, have), Diffs: diffs, Reason: upToDate}
	if len(diffs) > 0 {
		c.Action = Update
		c.Reason = summarize(diffs) + " in place"
		if old := have.Tags[TagRule]; old != want.Tags[TagRule] {
			c.Reason = fmt.Sprintf("rule renamed: flow log %s of rule %q matches; %s", have.ID, old, c.Reason)
		}
	}
	d.add(c)
}

// flowLogReplace replaces a managed flow log whose configuration changed:
// the new one first when AWS lets both exist, else the old one first, with
// the pause in logging that takes (see duplicates and CallPause).
func (d *differ) flowLogReplace(want, have *Resource) {
	diffs := append(flowLogDiffs(have.FlowLog, want.FlowLog), tagDiffs(have.Tags, want.Tags)...)
	sortDiffs(diffs)
	c := &Change{Addr: want.Addr, Action: Replace, Before: have, After: want, Diffs: diffs,
		Order: CreateBeforeDelete, Reason: summarize(forcing(diffs)) + " forces replacement"}
	if duplicates(have.FlowLog, want.FlowLog) {
		c.Order, c.PauseSeconds = DeleteBeforeCreate, CallPause
		c.Reason += "; AWS refuses a second flow log on " + want.FlowLog.ResourceID + " with the same destination and traffic type, so " + have.ID + " is deleted first"
	}
	d.add(c)
}

func (d *differ) flowLogAdopt(want, have *Resource) {
	d.add(&Change{
		Addr: want.Addr, Action: Adopt, Before: have, After: keepAs(want, have), Diffs: tagDiffs(have.Tags, want.Tags),
		Reason: "unmanaged flow log " + have.ID + " already has this configuration; adding ownership tags instead of creating a duplicate",
	})
}

// leftoverFlowLog handles a managed flow log no desired one matched.
func (d *differ) leftoverFlowLog(m *Resource) {
	a := flowLogAddr(m.Addr.Account, m.Addr.Region, d.spec, m, d.taken)
	if !d.prune {
		d.note(NoteOrphan, a, m, "flow log %s is no longer wanted by the spec; orphaned, kept (prune is off)", m.ID)
		return
	}
	d.add(&Change{Addr: a, Action: Delete, Before: m, Reason: "flow log " + m.ID + " is no longer wanted by the spec (prune)"})
}

// keepAs returns the desired resource as the existing one will be once
// changed in place: with its ID, and with the tags only it has (other
// tools' tags, which flowplan leaves alone) alongside the desired ones. A
// provider diffing Before and After tags thus never removes a tag.
func keepAs(want, have *Resource) *Resource {
	c := *want
	c.ID = have.ID
	if hasOtherTags(have.Tags, want.Tags) {
		c.Tags = make(map[string]string, len(have.Tags)+len(want.Tags))
		for k, v := range have.Tags {
			c.Tags[k] = v
		}
		for k, v := range want.Tags {
			c.Tags[k] = v
		}
	}
	return &c
}

// hasOtherTags reports whether have holds a tag key that want lacks.
func hasOtherTags(have, want map[string]string) bool {
	for k := range have {
		if _, ok := want[k]; !ok {
			return true
		}
	}
	return false
}

// flowLogDiffs compares two normalised flow logs' immutable attributes.
// Every difference forces replacement.
func flowLogDiffs(before, after *FlowLog) []AttrDiff {
	var out []AttrDiff
	str := func(attr, b, a string) {
		if b != a {
			out = append(out, AttrDiff{Attr: attr, Before: b, After: a, ForcesReplacement: true})
		}
	}
	boolean := func(attr string, b, a bool) {
		if b != a {
			str(attr, strconv.FormatBool(b), strconv.FormatBool(a))
		}
	}
	str("deliver_cross_account_role", before.DeliverCrossAccountRole, after.DeliverCrossAccountRole)
	str("deliver_logs_permission_arn", before.DeliverLogsPermissionARN, after.DeliverLogsPermissionARN)
	str("destination", before.Destination, after.Destination)
	str("destination_type", before.DestinationType, after.DestinationType)
	str("file_format", before.FileFormat, after.FileFormat)
	boolean("hive_compatible_partitions", before.HiveCompatiblePartitions, after.HiveCompatiblePartitions)
	str("log_format", before.LogFormat, after.LogFormat)
	if before.MaxAggregationInterval != after.MaxAggregationInterval {
		str("max_aggregation_interval", strconv.Itoa(before.MaxAggregationInterval), strconv.Itoa(after.MaxAggregationInterval))
	}
	boolean("per_hour_partition", before.PerHourPartition, after.PerHourPartition)
	str("resource_id", before.ResourceID, after.ResourceID)
	str("resource_type", before.ResourceType, after.ResourceType)
	// Most flow logs have no tag fields; go-cmp allocates even for two nils.
	if len(before.TagFieldSpecifications)+len(after.TagFieldSpecifications) > 0 && !cmp.Equal(before.TagFieldSpecifications, after.TagFieldSpecifications) {
		str("tag_field_specifications", tagFieldString(before), tagFieldString(after))
	}
	str("traffic_type", before.TrafficType, after.TrafficType)
	return out
}

func tagFieldString(f *FlowLog) string {
	var parts []string
	for _, t := range f.TagFieldSpecifications {
		parts = append(parts, t.ResourceType+"="+strings.Join(t.TagKeys, ","))
	}
	return strings.Join(parts, "; ")
}

// tagDiffs lists the desired tags whose value differs. Tags present only on
// the current resource are left alone: other tools (cost allocation, tag
// policies) add tags, and fighting them would be a perpetual diff.
func tagDiffs(current, desired map[string]string) []AttrDiff {
	var out []AttrDiff
	for k, v := range desired {
		if got, ok := current[k]; !ok || got != v {
			out = append(out, AttrDiff{Attr: "tags." + k, Before: got, After: v})
		}
	}
	sortDiffs(out)
	return out
}

func sortDiffs(ds []AttrDiff) { sort.Slice(ds, func(i, j int) bool { return ds[i].Attr < ds[j].Attr }) }

func forcing(ds []AttrDiff) []AttrDiff {
	var out []AttrDiff
	for _, d := range ds {
		if d.ForcesReplacement {
			out = append(out, d)
		}
	}
	return out
}

// summarize renders diffs for a Reason: "traffic_type: REJECT → ALL; ...".
// Documents and formats are named without their values, which the Diffs
// carry in full.
func summarize(ds []AttrDiff) string {
	parts := make([]string, 0, len(ds))
	for _, d := range ds {
		if bulky(d.Before) || bulky(d.After) {
			parts = append(parts, d.Attr+" changes")
			continue
		}
		parts = append(parts, fmt.Sprintf("%s: %s → %s", d.Attr, display(d.Before), display(d.After)))
	}
	return strings.Join(parts, "; ")
}

func bulky(s string) bool {
	return len(s) > 120 || strings.ContainsAny(s, "{}")
}

func display(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// --- log groups ---

func (d *differ) logGroups() {
	for _, want := range d.desByKind[KindLogGroup] {
		have := d.cur[want.Addr]
		switch {
		case have == nil:
			d.add(&Change{Addr: want.Addr, Action: Create, After: want, Reason: "log group does not exist"})
		case have.LogGroup.TagsUnread:
			d.unreadLogGroup(want, have)
		case !d.owns(have):
			d.usedAsItIs(want, have, "log group exists without flowplan:spec="+d.spec+"; used as it is, never modified", logGroupDiffs(have, want))
		default:
			d.inPlace(want, have, logGroupDiffs(have, want))
		}
	}
	for _, have := range d.curByKind[KindLogGroup] {
		if d.des[have.Addr] == nil && d.owns(have) {
			d.note(NoteOrphan, have.Addr, have, "log group is no longer used by the spec; kept: flowplan never deletes log groups")
		}
	}
}

// unreadLogGroup plans a log group whose tags were not read: its settings
// are as the spec wants (the provider reads the tags of every other one),
// so nothing changes, whoever owns it. Should its settings differ after
// all, it is a conflict: nothing is changed whose ownership was not read
// from AWS.
func (d *differ) unreadLogGroup(want, have *Resource) {
	var diffs []AttrDiff
	for _, a := range logGroupDiffs(have, want) {
		if !strings.HasPrefix(a.Attr, "tags.") {
			diffs = append(diffs, a)
		}
	}
	if len(diffs) > 0 {
		d.note(NoteConflict, want.Addr, have, "log group's tags were not read, so its owner is unknown; never modified; it differs from the spec: %s", summarize(diffs))
		return
	}
	c := keepAs(want, have)
	c.Tags = want.Tags
	d.add(&Change{Addr: want.Addr, Action: NoOp, Before: have, After: c, Reason: upToDate + " (retention and key as the spec says; its tags were not read, as nothing is to change)"})
}

// usedAsItIs notes an existing resource without this spec's ownership that
// takes the place of a desired one. It is unmanaged when it is as the spec
// would have it, and a conflict (with how it differs) otherwise; its lack
// of ownership tags goes without saying.
func (d *differ) usedAsItIs(want, have *Resource, msg string, diffs []AttrDiff) {
	diffs = slices.DeleteFunc(diffs, func(a AttrDiff) bool { return a.Attr == "tags."+TagSpec || a.Attr == "tags."+TagRule })
	if len(diffs) == 0 {
		d.note(NoteUnmanaged, want.Addr, have, "%s", msg)
		return
	}
	d.note(NoteConflict, want.Addr, have, "%s; it differs from the spec: %s", msg, summarize(diffs))
}

func logGroupDiffs(have, want *Resource) []AttrDiff {
	var out []AttrDiff
	b, a := have.LogGroup, want.LogGroup
	if b.KMSKeyARN != a.KMSKeyARN {
		out = append(out, AttrDiff{Attr: "kms_key_arn", Before: b.KMSKeyARN, After: a.KMSKeyARN})
	}
	if b.RetentionDays != a.RetentionDays {
		out = append(out, AttrDiff{Attr: "retention_days", Before: retention(b.RetentionDays), After: retention(a.RetentionDays)})
	}
	out = append(out, tagDiffs(have.Tags, want.Tags)...)
	sortDiffs(out)
	return out
}

func retention(days int) string {
	if days == 0 {
		return "never expire"
	}
	return strconv.Itoa(days)
}

// inPlace records a no-op or an in-place update of a managed resource.
func (d *differ) inPlace(want, have *Resource, diffs []AttrDiff) {
	c := &Change{Addr: want.Addr, Action: NoOp, Before: have, After: keepAs(want, have), Diffs: diffs, Reason: upToDate}
	if len(diffs) > 0 {
		c.Action = Update
		c.Reason = summarize(diffs) + " in place"
	}
	d.add(c)
}

// --- bucket policy statements ---

func (d *differ) bucketStatements() {
	for _, want := range d.desByKind[KindBucketPolicyStatement] {
		have := d.cur[want.Addr]
		if have == nil {
			d.add(&Change{Addr: want.Addr, Action: Create, After: want, Reason: "statement " + want.BucketPolicyStatement.Sid + " is not in the bucket policy"})
			continue
		}
		var diffs []AttrDiff
		if have.BucketPolicyStatement.Statement != want.BucketPolicyStatement.Statement {
			diffs = []AttrDiff{{Attr: "statement", Before: have.BucketPolicyStatement.Statement, After: want.BucketPolicyStatement.Statement}}
		}
		d.inPlace(want, have, diffs)
	}
	for _, have := range d.curByKind[KindBucketPolicyStatement] {
		if d.des[have.Addr] != nil || !d.owns(have) {
			continue
		}
		if !d.prune {
			d.note(NoteOrphan, have.Addr, have, "bucket policy statement is no longer wanted by the spec; orphaned, kept (prune is off)")
			continue
		}
		d.add(&Change{Addr: have.Addr, Action: Delete, Before: have, Reason: "statement is no longer wanted by the spec (prune)"})
	}
}

// bucketPolicySizes estimates each managed bucket's policy once this
// plan's statements are written: past BucketPolicyWarnBytes it warns, and
// past BucketPolicyMaxBytes, which S3 refuses, the plan has an error in the
// bucket's scope, so that nothing is applied rather than a part.
func (d *differ) bucketPolicySizes(buckets map[string]*BucketState) {
	type acc struct {
		owner string
		size  int
		ours  bool
	}
	sizes := map[string]*acc{}
	for name, b := range buckets {
		if b != nil && b.Exists {
			sizes[name] = &acc{size: len(b.Policy)}
		}
	}
	adjust := func(r *Resource, sign int) {
		a := sizes[r.BucketPolicyStatement.Bucket]
		if a == nil {
			return
		}
		a.owner, a.ours = r.Addr.Account, true
		a.size += sign * (len(r.BucketPolicyStatement.Statement) + 1)
	}
	for _, r := range d.cur {
		if r.BucketPolicyStatement != nil && d.owns(r) {
			adjust(r, -1)
		}
	}
	for _, r := range d.des {
		if r.BucketPolicyStatement != nil {
			adjust(r, +1)
		}
	}
	for name, a := range sizes {
		switch {
		case !a.ours:
		case a.size > BucketPolicyMaxBytes:
			d.errors = append(d.errors, ScopeError{Scope: BucketScope(a.owner, name), Code: CodeBucketPolicyTooLarge, Stage: StagePlan,
				Message: fmt.Sprintf("the policy of bucket %s would be about %d bytes after this plan, and S3 refuses bucket policies over %d bytes; "+
					"use fewer prefixes (one write statement each), or remove statements no longer used", name, a.size, BucketPolicyMaxBytes)})
		case a.size > BucketPolicyWarnBytes:
			d.note(NoteWarning, BucketAddr(a.owner, name),
				nil, "the policy of bucket %s would be about %d bytes after this plan; S3 refuses bucket policies over %d bytes", name, a.size, BucketPolicyMaxBytes)
		}
	}
}

// --- roles and their policies ---

func (d *differ) roles() {
	replaced := map[Addr]bool{}
	unowned := map[Addr]bool{}
	for _, want := range d.desByKind[KindRole] {
		have := d.cur[want.Addr]
		switch {
		case have == nil:
			d.add(&Change{Addr: want.Addr, Action: Create, After: want, Reason: "delivery role does not exist"})
		case !d.owns(have) && d.adoptable(want, have):
			d.add(d.roleAdopt(want, have))
		case !d.owns(have):
			unowned[want.Addr] = true
			d.roleConflict(want, have)
		default:
			diffs := roleDiffs(have, want)
			if len(forcing(diffs)) > 0 {
				replaced[want.Addr] = true
				d.add(&Change{Addr: want.Addr, Action: Replace, Before: have, After: want, Diffs: diffs, Order: DeleteBeforeCreate,
					Reason: summarize(forcing(diffs)) + " forces replacement"})
				continue
			}
			d.inPlace(want, have, diffs)
		}
	}
	for _, want := range d.desByKind[KindRolePolicy] {
		role := roleAddrOf(want.Addr)
		have := d.cur[want.Addr]
		switch {
		case unowned[role]:
			// Reported with the role.
		case have == nil:
			d.add(&Change{Addr: want.Addr, Action: Create, After: want, Reason: "inline policy does not exist"})
		case replaced[role]:
			d.add(&Change{Addr: want.Addr, Action: Replace, Before: have, After: want, Order: DeleteBeforeCreate,
				Reason: "its role is replaced; the policy is written again on the new role"})
		default:
			var diffs []AttrDiff
			if have.RolePolicy.Document != want.RolePolicy.Document {
				diffs = []AttrDiff{{Attr: "document", Before: have.RolePolicy.Document, After: want.RolePolicy.Document}}
			}
			d.inPlace(want, have, diffs)
		}
	}
	d.leftoverRoles()
}

// adoptable reports whether the existing role have, which this spec does
// not own, may be adopted as want: the spec says so (adopt: true), no
// other spec owns it, and its path is want's, which IAM cannot change.
func (d *differ) adoptable(want, have *Resource) bool {
	return d.adopt[want.Addr] && have.Tags[TagSpec] == "" && have.Role.Path == want.Role.Path
}

// roleAdopt takes over an existing role the spec says to adopt: it gets
// this spec's ownership tags, trust policy and boundary in place; its
// flowplan-delivery policy is then planned as for a role of the spec's own.
func (d *differ) roleAdopt(want, have *Resource) *Change {
	diffs := roleDiffs(have, want)
	reason := "role " + have.Role.Name + " exists without flowplan's ownership tags and delivery_roles." + have.Role.Name +
		".adopt is true: it gets this spec's tags"
	var other []AttrDiff
	for _, df := range diffs {
		if !strings.HasPrefix(df.Attr, "tags.") {
			other = append(other, df)
		}
	}
	if len(other) > 0 {
		reason += ", and " + summarize(other)
	}
	return &Change{Addr: want.Addr, Action: Adopt, Before: have, After: keepAs(want, have), Diffs: diffs,
		Reason: reason + "; policies flowplan does not manage stay as they are"}
}

// roleConflict is the plan error of a role with the spec's delivery role
// name that this spec does not own and may not adopt: flowplan never
// modifies it, and flow logs using it as it is would fail delivery unless
// it happens to fit. The message names what it lacks.
func (d *differ) roleConflict(want, have *Resource) {
	name := have.Role.Name
	var lacks []string
	why := "it has no flowplan ownership tags"
	if other := have.Tags[TagSpec]; other != "" {
		why = fmt.Sprintf("it is managed by spec %q, and flowplan never takes over another spec's role", other)
	}
	lacks = append(lacks, "this spec's ownership tags ("+TagSpec+"="+d.spec+")")
	trusted := trustedServices(have.Role.AssumeRolePolicy)
	for _, svc := range slices.Sorted(maps.Keys(trustedServices(want.Role.AssumeRolePolicy))) {
		if !trusted[svc] {
			lacks = append(lacks, "a trust policy that lets "+svc+" assume it")
		}
	}
	pa := RolePolicyAddr(want.Addr.Account, name, DeliveryPolicyName)
	switch hp, wp := d.cur[pa], d.des[pa]; {
	case wp == nil:
	case hp == nil:
		lacks = append(lacks, "the permissions the rules need (it has no inline policy "+DeliveryPolicyName+"; other policies on it were not read)")
	case hp.RolePolicy.Document != wp.RolePolicy.Document:
		lacks = append(lacks, "the permissions the rules need (its inline policy "+DeliveryPolicyName+" differs from what they need; other policies on it were not read)")
	}
	fix := "rename the role in delivery_roles, or name an existing role by ARN in the rules' delivery_role to use it as it is"
	switch {
	case have.Tags[TagSpec] != "":
	case d.adopt[want.Addr]:
		why += fmt.Sprintf("; delivery_roles.%s.adopt is true, but its path is %s, not %s, and IAM cannot change a role's path", name, have.Role.Path, want.Role.Path)
		fix = fmt.Sprintf("set delivery_roles.%s.path to %s to adopt it, or %s", name, have.Role.Path, fix)
	default:
		fix = fmt.Sprintf("set delivery_roles.%s.adopt: true to take it over, or %s", name, fix)
	}
	d.errors = append(d.errors, ScopeError{Scope: want.Addr.Account, Code: CodeRoleConflict, Stage: StagePlan, Message: fmt.Sprintf(
		"delivery role %s (%s) exists, but %s; flowplan never modifies a role it did not create, and flow logs using it as it is fail delivery unless it fits. It lacks %s. To go on, %s",
		name, have.ID, why, strings.Join(lacks, "; "), fix)})
}

// trustedServices returns the service principals a trust policy lets
// assume the role: those of its Allow statements whose actions include
// sts:AssumeRole. Conditions are not evaluated, and a policy that cannot
// be read trusts nothing.
func trustedServices(doc string) map[string]bool {
	out := map[string]bool{}
	v, err := decodePolicyJSON(doc)
	if err != nil {
		return out
	}
	obj, _ := v.(map[string]any)
	var stmts []any
	switch st := obj["Statement"].(type) {
	case []any:
		stmts = st
	case map[string]any:
		stmts = []any{st}
	}
	for _, item := range stmts {
		st, _ := item.(map[string]any)
		if st == nil || st["Effect"] != "Allow" {
			continue
		}
		if !slices.ContainsFunc(stringList(st["Action"]), func(a string) bool {
			return strings.EqualFold(a, "sts:AssumeRole") || strings.EqualFold(a, "sts:*") || a == "*"
		}) {
			continue
		}
		principal, _ := st["Principal"].(map[string]any)
		for _, svc := range stringList(principal["Service"]) {
			out[svc] = true
		}
	}
	return out
}

// stringList reads a policy value that is a string or a list of strings.
func stringList(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func roleDiffs(have, want *Resource) []AttrDiff {
	var out []AttrDiff
	b, a := have.Role, want.Role
	if b.Path != a.Path {
		out = append(out, AttrDiff{Attr: "path", Before: b.Path, After: a.Path, ForcesReplacement: true})
	}
	if b.AssumeRolePolicy != a.AssumeRolePolicy {
		out = append(out, AttrDiff{Attr: "assume_role_policy", Before: b.AssumeRolePolicy, After: a.AssumeRolePolicy})
	}
	if b.PermissionsBoundary != a.PermissionsBoundary {
		out = append(out, AttrDiff{Attr: "permissions_boundary", Before: b.PermissionsBoundary, After: a.PermissionsBoundary})
	}
	out = append(out, tagDiffs(have.Tags, want.Tags)...)
	sortDiffs(out)
	return out
}

// roleAddrOf returns the role address of a role policy address.
func roleAddrOf(a Addr) Addr {
	name, _, _ := strings.Cut(a.Name, "/")
	return RoleAddr(a.Account, name)
}

// leftoverRoles deletes (under prune) managed roles the spec no longer
// wants, with their policies, unless a flow log that stays still uses them.
func (d *differ) leftoverRoles() {
	stays := d.flowLogsThatStay()
	for _, have := range d.curByKind[KindRole] {
		if d.des[have.Addr] != nil || !d.owns(have) {
			continue
		}
		var users []string
		for _, f := range stays {
			if usesRole(f, have.Addr) {
				users = append(users, f.ID)
			}
		}
		sort.Strings(users)
		policies := d.policiesOf(have.Addr)
		switch {
		case !d.prune:
			d.note(NoteOrphan, have.Addr, have, "delivery role is no longer wanted by the spec; orphaned, kept (prune is off)")
		case len(users) > 0:
			d.note(NoteOrphan, have.Addr, have, "delivery role is no longer wanted by the spec but flow logs still use it (%s); kept", strings.Join(users, ", "))
		default:
			d.add(&Change{Addr: have.Addr, Action: Delete, Before: have, Reason: "no flow log uses this delivery role any more (prune)"})
			for _, p := range policies {
				d.add(&Change{Addr: p.Addr, Action: Delete, Before: p, Reason: "its role is deleted (prune)"})
			}
		}
	}
}

// flowLogsThatStay are the current flow logs this plan neither deletes nor
// replaces.
func (d *differ) flowLogsThatStay() []*Resource {
	gone := map[string]bool{}
	for _, c := range d.changes {
		if c.Before != nil && c.Before.FlowLog != nil && (c.Action == Delete || c.Action == Replace) {
			gone[c.Before.ID] = true
		}
	}
	var out []*Resource
	for _, r := range d.curByKind[KindFlowLog] {
		if !gone[r.ID] {
			out = append(out, r)
		}
	}
	return out
}

func (d *differ) policiesOf(role Addr) []*Resource {
	var out []*Resource
	for _, p := range d.curByKind[KindRolePolicy] {
		if roleAddrOf(p.Addr) == role && p.RolePolicy.PolicyName == DeliveryPolicyName {
			out = append(out, p)
		}
	}
	return out
}

// pauses raises the pause estimate of a flow log replaced
// delete-before-create when its delivery role is created or changed in
// this plan: CreateFlowLogs then waits for IAM to propagate the role while
// the resource has no flow log.
func (d *differ) pauses() {
	for _, c := range d.changes {
		if c.Order != DeleteBeforeCreate || c.Addr.Kind != KindFlowLog {
			continue
		}
		for _, dep := range c.DependsOn {
			if o := d.changes[dep]; o != nil && dep.Kind == KindRole && o.Action != NoOp {
				c.PauseSeconds = IAMPropagationPause
			}
		}
	}
}

// --- output order ---

// sortedChanges lists changes in apply's order (changeLess).
func sortedChanges(m map[Addr]*Change) []*Change {
	out := make([]*Change, 0, len(m))
	for _, c := range m {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return changeLess(out[i], out[j]) })
	return out
}

func sortedNotes(ns []Note) []Note {
	out := append([]Note(nil), ns...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Addr != out[j].Addr {
			return out[i].Addr.Less(out[j].Addr)
		}
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Message < out[j].Message
	})
	return out
}

func sortedErrors(es []ScopeError) []ScopeError {
	out := append([]ScopeError(nil), es...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Scope < out[j].Scope })
	return out
}
