package engine

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/flowplan/flowplan/spec"
	"github.com/flowplan/flowplan/spec/logformat"
)

// Audit is what `flowplan audit` reports: every target the spec's rules
// select, per rule, account and region (a unit), with whether a flow log
// satisfies the rule, why not, and, with evidence, when its records last
// arrived. MakeAudit works it out once, from the survey; renderers only
// format it.

// AuditStatus is a unit's standing.
type AuditStatus string

// The statuses. Compliant + noncompliant + uncovered + unknown = units.
const (
	// AuditCompliant: an ACTIVE flow log, whoever made it, satisfies the
	// rule, on the target itself or on its subnet or VPC.
	AuditCompliant AuditStatus = "compliant"
	// AuditNoncompliant: flow logs exist, and none satisfies the rule; the
	// unit's reasons say why.
	AuditNoncompliant AuditStatus = "noncompliant"
	// AuditUncovered: no flow log at all.
	AuditUncovered AuditStatus = "uncovered"
	// AuditUnknown: the scope could not be read. Never counted compliant.
	AuditUnknown AuditStatus = "unknown"
)

// AuditStatuses lists the statuses, worst first.
var AuditStatuses = []AuditStatus{AuditUnknown, AuditUncovered, AuditNoncompliant, AuditCompliant}

// BaselineRule is the rule of the units --all-vpcs adds: every VPC, held
// to what Security Hub's EC2.6 checks (an ACTIVE VPC flow log that
// records rejected traffic), and, stricter, one that is not failing. The
// parentheses keep it apart from spec rule names, which cannot have them.
const BaselineRule = "(all-vpcs)"

// Control is a control of a published standard that an audit finding
// bears on.
type Control struct {
	Standard string `json:"standard"`
	ID       string `json:"id"`
	Title    string `json:"title"`
	URL      string `json:"url,omitempty"`
}

// AuditControls are the controls every audit finding bears on: AWS
// Foundational Security Best Practices EC2.6, and the CIS AWS Foundations
// Benchmark requirements Security Hub's user guide lists as its related
// requirements (docs/audit.md says how they were checked).
var AuditControls = []Control{
	{Standard: "AWS Foundational Security Best Practices v1.0.0", ID: "EC2.6", Title: "VPC flow logging should be enabled in all VPCs",
		URL: "https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html#ec2-6"},
	{Standard: "CIS AWS Foundations Benchmark v1.2.0", ID: "2.9", Title: "Ensure VPC flow logging is enabled in all VPCs"},
	{Standard: "CIS AWS Foundations Benchmark v1.4.0", ID: "3.9", Title: "Ensure VPC flow logging is enabled in all VPCs"},
	{Standard: "CIS AWS Foundations Benchmark v3.0.0", ID: "3.7", Title: "Ensure VPC flow logging is enabled in all VPCs"},
	{Standard: "CIS AWS Foundations Benchmark v5.0.0", ID: "3.7", Title: "Ensure VPC flow logging is enabled in all VPCs"},
}

// AuditSeverity is the severity of a finding about a unit that is not
// compliant or whose records are stale: Security Hub rates EC2.6 medium.
const AuditSeverity = SeverityMedium

// EvidenceStatus says what the destination shows of a compliant unit.
type EvidenceStatus string

// The evidence statuses.
const (
	// EvidenceFresh: a record arrived within the maximum age.
	EvidenceFresh EvidenceStatus = "fresh"
	// EvidenceStale: the flow log is older than the maximum age, and no
	// record arrived within it.
	EvidenceStale EvidenceStatus = "stale"
	// EvidencePending: no record yet, but the flow log is younger than the
	// maximum age; AWS takes minutes to deliver the first.
	EvidencePending EvidenceStatus = "pending"
	// EvidenceUnavailable: flowplan cannot read this kind of destination
	// (Firehose), cannot tell whose records are whose, or the read failed.
	EvidenceUnavailable EvidenceStatus = "unavailable"
)

// Evidence is proof of delivery for one unit.
type Evidence struct {
	Status EvidenceStatus
	// LastDelivery is the newest record's arrival (CloudWatch Logs
	// ingestion, S3 LastModified); zero when none was seen.
	LastDelivery time.Time
	// Source is where it was read: a log group, or an S3 folder.
	Source string
	// Detail explains a status other than fresh.
	Detail string
}

// AuditUnit is one target held to one rule.
type AuditUnit struct {
	// Addr orders and filters units (--target): the address the rule's
	// flow log has, <account>/<region>/flow_log/<rule>/<resource id>; an
	// unknown unit's name is the rule alone.
	Addr    Addr
	Account string
	Region  string
	// ResourceType is the flow log ResourceType of the target (VPC,
	// Subnet, ...); empty for an unknown unit.
	ResourceType string
	ResourceID   string
	// Name is the target's Name tag.
	Name   string
	Rule   string
	Status AuditStatus
	// Reasons say why a unit is not compliant: each way the nearest flow
	// log falls short, or what could not be read.
	Reasons []string
	// FlowLogs are the IDs of the ACTIVE flow logs on the target and on
	// the subnet and VPC that contain it, sorted.
	FlowLogs []string
	// Via is the subnet or VPC whose flow log covers the target; empty
	// when its own does, or none does.
	Via string
	// SatisfiedBy is the flow log that makes the unit compliant.
	SatisfiedBy string
	// ManagedBy is the spec whose ownership tag that flow log carries;
	// empty when no spec made it.
	ManagedBy string
	// Evidence is set for compliant units when evidence was asked for.
	Evidence *Evidence

	// satisfier is the flow log behind SatisfiedBy; desired is the rule's
	// flow log for the target (nil for baseline units).
	satisfier *FlowLog
	desired   *FlowLog
	// bucketOwner is the account that owns the rule's bucket: the
	// bucket_account it names, or the owner Discover found.
	bucketOwner string
}

// Stale reports whether the unit's records are stale.
func (u *AuditUnit) Stale() bool { return u.Evidence != nil && u.Evidence.Status == EvidenceStale }

// AuditCounts are the units of one status each, and how many of the
// compliant ones are stale.
type AuditCounts struct {
	Targets      int
	Compliant    int
	Noncompliant int
	Uncovered    int
	Unknown      int
	Stale        int
}

func (c *AuditCounts) add(u *AuditUnit) {
	c.Targets++
	switch u.Status {
	case AuditCompliant:
		c.Compliant++
	case AuditNoncompliant:
		c.Noncompliant++
	case AuditUncovered:
		c.Uncovered++
	default:
		c.Unknown++
	}
	if u.Stale() {
		c.Stale++
	}
}

// CoveragePercent is compliant / targets × 100, rounded to one decimal;
// false when there are no targets, whose coverage is not a number. It is
// 100.0 only when every unit is compliant: 1999 of 2000 is 99.9, not a
// rounded-up 100.0 that would hide the one left.
func (c AuditCounts) CoveragePercent() (float64, bool) {
	if c.Targets == 0 {
		return 0, false
	}
	p := math.Round(float64(c.Compliant)*1000/float64(c.Targets)) / 10
	if c.Compliant < c.Targets {
		p = min(p, 99.9)
	}
	return p, true
}

// Below reports whether coverage is under pct: --fail-under's test. No
// targets is below any mark: nothing was shown to be logged.
func (c AuditCounts) Below(pct float64) bool {
	p, ok := c.CoveragePercent()
	return !ok || p < pct
}

// ScopeCoverage is the coverage of one account-region.
type ScopeCoverage struct {
	Account string
	Alias   string
	Region  string
	AuditCounts
}

// AccountCoverage is the coverage of one account.
type AccountCoverage struct {
	Account Account
	AuditCounts
}

// RuleCoverage is the coverage of one rule.
type RuleCoverage struct {
	Rule string
	AuditCounts
}

// AuditOptions tune MakeAudit.
type AuditOptions struct {
	// AllVPCs adds a BaselineRule unit for every VPC; the survey must
	// have read them (Options.AlsoRead).
	AllVPCs bool
	// Targets keep the units whose address has one of these prefixes.
	Targets []string
}

// Audit is the result of an audit.
type Audit struct {
	Spec     SpecRef
	Accounts []Account
	// Regions are every region of the accounts, sorted.
	Regions []string
	Options AuditOptions
	// Evidence is set when delivery was checked.
	Evidence *EvidenceOptions
	// Units are sorted by address.
	Units   []AuditUnit
	Summary AuditCounts
	// Scopes are every account-region, by account then region; Worst
	// orders them for display.
	Scopes    []ScopeCoverage
	ByAccount []AccountCoverage
	Rules     []RuleCoverage
	Controls  []Control
	Errors    []ScopeError
	// EvidenceCalls is how many API calls reading evidence took.
	EvidenceCalls int
	// Shard is the part of the organisation audited (--shard); nil for all
	// of it.
	Shard *Shard
	// Merged is set on an audit merged from shards' audits (MergeAudits).
	Merged *MergedShards
}

// scope is the key of the unit's account-region.
func (u *AuditUnit) scope() string { return scopeKey(u.Account, u.Region) }

// MakeAudit turns a survey into units, each with its status. It is pure:
// units come from the desired state (what the rules select, as Expand
// decided), the discovered flow logs and targets, and the discovery
// errors. Evidence is added afterwards by CollectEvidence.
func MakeAudit(s *spec.Spec, sv *Survey, opts AuditOptions) (*Audit, error) {
	a := &Audit{Spec: sv.Desired.Spec, Accounts: sv.Current.Accounts, Options: opts, Controls: AuditControls, Shard: sv.Plan.Shard}
	x := newAuditIndex(sv.Current, s.Name)
	for _, r := range sv.Desired.Sorted() {
		if r.Addr.Kind != KindFlowLog || r.FlowLog == nil {
			continue
		}
		d := Normalize(r).FlowLog
		t := x.target(r.Addr.Scope(), d.ResourceID)
		u := AuditUnit{
			Addr: r.Addr, Account: r.Addr.Account, Region: r.Addr.Region,
			ResourceType: d.ResourceType, ResourceID: d.ResourceID, Name: t.Tags["Name"],
			Rule: r.Tags[TagRule], desired: d,
		}
		if rule, ok := s.RuleByName(u.Rule); ok && rule.Destination.S3 != nil {
			u.bucketOwner = rule.Destination.S3.BucketAccount
			if _, bucket := splitBucketARN(rule.Destination.S3.BucketARN); u.bucketOwner == "" {
				u.bucketOwner = sv.Current.BucketOwners[bucket]
			}
		}
		x.judge(&u, t, d)
		a.Units = append(a.Units, u)
	}
	if opts.AllVPCs {
		for scope, targets := range sv.Current.Targets {
			account, region, _ := strings.Cut(scope, "/")
			for _, t := range targets {
				if t.Kind != spec.TargetVPC || !usable(t, account) {
					continue
				}
				u := AuditUnit{
					Addr: ManagedFlowLogAddr(account, region, BaselineRule, t.ID), Account: account, Region: region,
					ResourceType: spec.TargetVPC.ResourceType(), ResourceID: t.ID, Name: t.Tags["Name"], Rule: BaselineRule,
				}
				x.judgeBaseline(&u)
				a.Units = append(a.Units, u)
			}
		}
	}
	a.Units = append(a.Units, unknownUnits(s, sv.Current, opts.AllVPCs)...)
	for _, e := range sv.Current.Errors {
		a.Errors = append(a.Errors, e)
	}
	sort.SliceStable(a.Units, func(i, j int) bool { return a.Units[i].Addr.Less(a.Units[j].Addr) })
	if len(opts.Targets) > 0 {
		kept, err := filterUnits(a.Units, opts.Targets)
		if err != nil {
			return nil, err
		}
		a.Units = kept
	}
	regions := map[string]bool{}
	for _, acct := range a.Accounts {
		for _, r := range acct.Regions {
			regions[r] = true
		}
	}
	for r := range regions {
		a.Regions = append(a.Regions, r)
	}
	sort.Strings(a.Regions)
	a.Count()
	return a, nil
}

// Count works out the summary and the coverage of each scope, account and
// rule from the units.
func (a *Audit) Count() {
	a.Summary = AuditCounts{}
	scopes := map[string]*ScopeCoverage{}
	accounts := map[string]*AccountCoverage{}
	rules := map[string]*RuleCoverage{}
	a.Scopes, a.ByAccount, a.Rules = nil, nil, nil
	for _, acct := range a.Accounts {
		if acct.Source == "bucket_owner" && len(acct.Regions) == 0 {
			continue
		}
		accounts[acct.ID] = &AccountCoverage{Account: acct}
		for _, r := range acct.Regions {
			scopes[scopeKey(acct.ID, r)] = &ScopeCoverage{Account: acct.ID, Alias: acct.Alias, Region: r}
		}
	}
	for i := range a.Units {
		u := &a.Units[i]
		a.Summary.add(u)
		if accounts[u.Account] == nil {
			accounts[u.Account] = &AccountCoverage{Account: Account{ID: u.Account}}
		}
		accounts[u.Account].add(u)
		if scopes[u.scope()] == nil {
			scopes[u.scope()] = &ScopeCoverage{Account: u.Account, Alias: accounts[u.Account].Account.Alias, Region: u.Region}
		}
		scopes[u.scope()].add(u)
		if rules[u.Rule] == nil {
			rules[u.Rule] = &RuleCoverage{Rule: u.Rule}
		}
		rules[u.Rule].add(u)
	}
	for _, s := range scopes {
		a.Scopes = append(a.Scopes, *s)
	}
	sort.Slice(a.Scopes, func(i, j int) bool {
		x, y := a.Scopes[i], a.Scopes[j]
		return cmp.Or(cmp.Compare(x.Account, y.Account), cmp.Compare(x.Region, y.Region)) < 0
	})
	for _, c := range accounts {
		a.ByAccount = append(a.ByAccount, *c)
	}
	sort.Slice(a.ByAccount, func(i, j int) bool { return a.ByAccount[i].Account.ID < a.ByAccount[j].Account.ID })
	for _, c := range rules {
		a.Rules = append(a.Rules, *c)
	}
	sort.Slice(a.Rules, func(i, j int) bool { return a.Rules[i].Rule < a.Rules[j].Rule })
}

// WorstScopes returns the scopes worst first: by coverage (scopes without
// targets last), then by how many units are not compliant, then by
// account and region.
func (a *Audit) WorstScopes() []ScopeCoverage {
	out := slices.Clone(a.Scopes)
	sort.SliceStable(out, func(i, j int) bool {
		x, y := out[i], out[j]
		px, okx := x.CoveragePercent()
		py, oky := y.CoveragePercent()
		if okx != oky {
			return okx
		}
		if px != py {
			return px < py
		}
		if bx, by := x.Targets-x.Compliant, y.Targets-y.Compliant; bx != by {
			return bx > by
		}
		return cmp.Or(cmp.Compare(x.Account, y.Account), cmp.Compare(x.Region, y.Region)) < 0
	})
	return out
}

// EvidenceStatuses lists the evidence statuses in the order reports show
// them.
var EvidenceStatuses = []EvidenceStatus{EvidenceFresh, EvidenceStale, EvidencePending, EvidenceUnavailable}

// EvidenceCounts counts the units of each evidence status (every status
// present); nil when evidence was not read.
func (a *Audit) EvidenceCounts() map[EvidenceStatus]int {
	if a.Evidence == nil {
		return nil
	}
	out := make(map[EvidenceStatus]int, len(EvidenceStatuses))
	for _, st := range EvidenceStatuses {
		out[st] = 0
	}
	for i := range a.Units {
		if e := a.Units[i].Evidence; e != nil {
			out[e.Status]++
		}
	}
	return out
}

// Findings are the units that are not compliant, and the compliant ones
// whose records are stale: what a report lists and OCSF exports.
func (a *Audit) Findings() []*AuditUnit {
	var out []*AuditUnit
	for i := range a.Units {
		if u := &a.Units[i]; u.Status != AuditCompliant || u.Stale() {
			out = append(out, u)
		}
	}
	return out
}

// unknownUnits are one unit per rule and account-region that could not be
// read where the rule applies (and one for the baseline with allVPCs): how
// many targets are there is unknown, so each counts once.
func unknownUnits(s *spec.Spec, cur *State, allVPCs bool) []AuditUnit {
	type failure struct{ account, region, reason string }
	var failures []failure
	for _, e := range cur.Errors {
		if e.Planning() {
			continue
		}
		account, region, bucket := e.Where()
		switch {
		case bucket != "":
		case region != "":
			failures = append(failures, failure{account, region, e.Error()})
		default:
			// The account's own read failed: none of its regions counts.
			acct, ok := findAccount(cur.Accounts, account)
			if !ok || len(acct.Regions) == 0 {
				failures = append(failures, failure{account, "", e.Error()})
				continue
			}
			for _, r := range acct.Regions {
				failures = append(failures, failure{account, r, e.Error()})
			}
		}
	}
	seen := map[Addr]bool{}
	var out []AuditUnit
	add := func(f failure, rule string) {
		u := AuditUnit{Addr: Addr{Account: f.account, Region: cmp.Or(f.region, "*"), Kind: KindFlowLog, Name: rule},
			Account: f.account, Region: f.region, Rule: rule, Status: AuditUnknown,
			Reasons: []string{"could not be read: " + f.reason}}
		if !seen[u.Addr] {
			seen[u.Addr] = true
			out = append(out, u)
		}
	}
	for _, f := range failures {
		for _, r := range s.Rules {
			if (len(r.Accounts) == 0 || slices.Contains(r.Accounts, f.account)) && (f.region == "" || len(r.Regions) == 0 || slices.Contains(r.Regions, f.region)) {
				add(f, r.Name)
			}
		}
		if allVPCs {
			add(f, BaselineRule)
		}
	}
	return out
}

// filterUnits keeps the units with one of the prefixes; a prefix that
// matches none is a *TargetError.
func filterUnits(units []AuditUnit, prefixes []string) ([]AuditUnit, error) {
	matched := map[string]bool{}
	var out []AuditUnit
	addrs := make([]Addr, len(units))
	for i, u := range units {
		addrs[i] = u.Addr
		if matchesAny(u.Addr, prefixes, matched) {
			out = append(out, u)
		}
	}
	var terr *TargetError
	for _, p := range sortedUnique(prefixes) {
		if !matched[p] {
			if terr == nil {
				terr = &TargetError{Of: "audit", Nearest: map[string][]string{}}
			}
			terr.Unmatched = append(terr.Unmatched, p)
			terr.Nearest[p] = nearestAddrs(addrs, p)
		}
	}
	if terr != nil {
		return nil, terr
	}
	return out, nil
}

// auditIndex finds flow logs and targets by account-region and resource.
type auditIndex struct {
	spec     string
	flowLogs map[string][]*Resource // scope + " " + resource ID → ACTIVE flow logs
	targets  map[string]map[string]Target
}

func newAuditIndex(cur *State, specName string) *auditIndex {
	x := &auditIndex{spec: specName, flowLogs: map[string][]*Resource{}, targets: map[string]map[string]Target{}}
	for _, r := range cur.Sorted() {
		if r.Addr.Kind != KindFlowLog || r.FlowLog == nil {
			continue
		}
		if st := r.FlowLog.Status; st != nil && st.FlowLogStatus != "" && st.FlowLogStatus != "ACTIVE" {
			continue
		}
		k := r.Addr.Scope() + " " + r.FlowLog.ResourceID
		x.flowLogs[k] = append(x.flowLogs[k], Normalize(r))
	}
	for scope, ts := range cur.Targets {
		m := make(map[string]Target, len(ts))
		for _, t := range ts {
			m[t.ID] = t
		}
		x.targets[scope] = m
	}
	return x
}

func (x *auditIndex) target(scope, id string) Target {
	if t, ok := x.targets[scope][id]; ok {
		return t
	}
	return Target{ID: id}
}

// candidate is a flow log that could satisfy a unit: on the target, or
// on the subnet or VPC containing it (via).
type candidate struct {
	r   *Resource
	via string
}

// candidates are the ACTIVE flow logs on the target, then on its subnet,
// then on its VPC.
func (x *auditIndex) candidates(scope string, t Target, kind spec.TargetKind) []candidate {
	var out []candidate
	add := func(id, via string) {
		for _, r := range x.flowLogs[scope+" "+id] {
			out = append(out, candidate{r, via})
		}
	}
	add(t.ID, "")
	if kind == spec.TargetNetworkInterface && t.SubnetID != "" {
		add(t.SubnetID, t.SubnetID)
	}
	if (kind == spec.TargetSubnet || kind == spec.TargetNetworkInterface) && t.VPCID != "" {
		add(t.VPCID, t.VPCID)
	}
	return out
}

// judge sets a rule unit's status from its candidates: compliant when one
// satisfies desired, preferring the target's own flow log, then the
// spec's; else noncompliant with the nearest one's reasons.
func (x *auditIndex) judge(u *AuditUnit, t Target, desired *FlowLog) {
	kind, _ := spec.KindOfResourceType(desired.ResourceType)
	cands := x.candidates(u.scope(), t, kind)
	x.settle(u, cands, func(f *FlowLog) []string { return shortfalls(f, desired) })
}

// judgeBaseline sets a baseline unit's status: only the VPC's own flow
// logs count, as EC2.6 counts them.
func (x *auditIndex) judgeBaseline(u *AuditUnit) {
	cands := x.candidates(u.scope(), Target{ID: u.ResourceID}, spec.TargetVPC)
	x.settle(u, cands, func(f *FlowLog) []string {
		var out []string
		if r := trafficShortfall(f.TrafficType, "REJECT"); r != "" {
			out = append(out, r)
		}
		return append(out, deliveryShortfall(f)...)
	})
}

func (x *auditIndex) settle(u *AuditUnit, cands []candidate, check func(*FlowLog) []string) {
	if len(cands) == 0 {
		u.Status, u.Reasons = AuditUncovered, []string{uncoveredReason(u)}
		return
	}
	type judged struct {
		candidate
		reasons []string
	}
	js := make([]judged, len(cands))
	for i, c := range cands {
		js[i] = judged{c, check(c.r.FlowLog)}
		u.FlowLogs = append(u.FlowLogs, c.r.ID)
	}
	slices.Sort(u.FlowLogs)
	u.FlowLogs = slices.Compact(u.FlowLogs)
	// The best: fewest reasons, the target's own before a parent's, this
	// spec's before others', then by ID.
	best := slices.MinFunc(js, func(a, b judged) int {
		as, _ := a.r.Owner()
		bs, _ := b.r.Owner()
		return cmp.Or(
			cmp.Compare(len(a.reasons), len(b.reasons)),
			cmp.Compare(boolRank(a.via != ""), boolRank(b.via != "")),
			cmp.Compare(boolRank(as != x.spec), boolRank(bs != x.spec)),
			cmp.Compare(a.r.ID, b.r.ID),
		)
	})
	if len(best.reasons) == 0 {
		u.Status, u.Via, u.SatisfiedBy, u.satisfier = AuditCompliant, best.via, best.r.ID, best.r.FlowLog
		u.ManagedBy, _ = best.r.Owner()
		return
	}
	u.Status, u.Via = AuditNoncompliant, best.via
	prefix := ""
	if len(cands) > 1 || best.via != "" {
		prefix = best.r.ID
		if best.via != "" {
			prefix += " (on " + best.via + ")"
		}
		prefix += ": "
	}
	for _, r := range best.reasons {
		u.Reasons = append(u.Reasons, prefix+r)
	}
}

// uncoveredReason says where no flow log was found.
func uncoveredReason(u *AuditUnit) string {
	switch u.ResourceType {
	case spec.TargetSubnet.ResourceType():
		return "no flow log on the subnet or its VPC"
	case spec.TargetNetworkInterface.ResourceType():
		return "no flow log on the network interface, its subnet or its VPC"
	}
	return "no flow log"
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// shortfalls lists how flow log f falls short of the rule's flow log
// want, in the words the report uses. Both are normalised.
func shortfalls(f, want *FlowLog) []string {
	var out []string
	if want.TrafficType != "" {
		if r := trafficShortfall(f.TrafficType, want.TrafficType); r != "" {
			out = append(out, r)
		}
	}
	if missing := missingFields(f.LogFormat, want.LogFormat); len(missing) > 0 {
		for _, m := range missing {
			out = append(out, "missing field "+m)
		}
	}
	have, wantInterval := intervalOf(f), intervalOf(want)
	if have > wantInterval {
		out = append(out, fmt.Sprintf("interval %d > %d", have, wantInterval))
	}
	if r := destinationShortfall(f, want); r != "" {
		out = append(out, r)
	}
	return append(out, deliveryShortfall(f)...)
}

// trafficShortfall says how traffic type have fails to cover want: ALL
// covers everything, ACCEPT and REJECT only themselves.
func trafficShortfall(have, want string) string {
	if have == want || have == "ALL" {
		return ""
	}
	if want == "ALL" {
		return "traffic_type " + display(have) + " does not cover ALL"
	}
	return "traffic_type " + display(have) + " does not cover " + want
}

// missingFields are the fields of format want that format have lacks, in
// want's order. An unparsable format lacks every field.
func missingFields(have, want string) []string {
	wantFields, err := logformat.Parse(want)
	if err != nil {
		return nil
	}
	haveFields, _ := logformat.Parse(have)
	var out []string
	for _, f := range wantFields {
		if !slices.Contains(haveFields, f) {
			out = append(out, f)
		}
	}
	return out
}

func intervalOf(f *FlowLog) int {
	if f.MaxAggregationInterval == 0 {
		return spec.DefaultInterval
	}
	return f.MaxAggregationInterval
}

// destinationShortfall says how f's destination differs from want's.
func destinationShortfall(f, want *FlowLog) string {
	if f.DestinationType != want.DestinationType {
		return "delivers to " + display(f.DestinationType) + ", not " + want.DestinationType
	}
	have, wantDest := NormalizeDestination(f.DestinationType, f.Destination), NormalizeDestination(want.DestinationType, want.Destination)
	if have == wantDest {
		return ""
	}
	switch f.DestinationType {
	case DestS3:
		hb, hp, _ := s3BucketAndPrefix(f)
		wb, _, _ := s3BucketAndPrefix(want)
		if hb != wb {
			return "delivers to another bucket: " + display(hb)
		}
		return "delivers to another prefix: " + display(hp)
	case DestCloudWatchLogs:
		return "delivers to another log group: " + display(have)
	}
	return "delivers to another stream: " + display(have)
}

// deliveryShortfall is the reason of a failing flow log.
func deliveryShortfall(f *FlowLog) []string {
	if st := f.Status; st != nil && st.DeliverLogsStatus == "FAILED" {
		return []string{"DeliverLogsStatus FAILED: " + display(st.DeliverLogsErrorMessage)}
	}
	return nil
}

// FormatAge renders a duration for people: "3h", "3h05m", "42m", "15s".
func FormatAge(d time.Duration) string { return formatAge(d) }

func formatAge(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d >= time.Hour && d%time.Hour < time.Minute:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	case d >= time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + "h" + fmt.Sprintf("%02dm", int(d%time.Hour/time.Minute))
	case d >= time.Minute:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	}
	return strconv.Itoa(int(d/time.Second)) + "s"
}
