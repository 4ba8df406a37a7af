package engine

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/flowplan/flowplan/internal/arn"
	"github.com/flowplan/flowplan/spec"
)

// MaxTagValue is AWS's limit on a tag value's length.
const MaxTagValue = 256

// Expand turns a spec and the discovered state into the desired state.
// Selectors resolve against the discovered targets of each account-region,
// so a VPC that appeared yesterday gets a desired flow log today. An
// account-region whose discovery failed (absent from current.Targets)
// produces nothing, and so does a bucket whose discovery failed.
//
// It returns an error naming both rules when two rules send the same
// resource to the same destination, and when rules disagree about a log
// group they share; the state is then incomplete and must not be diffed.
func Expand(s *spec.Spec, accounts []Account, current *State) (*State, error) {
	if s == nil {
		return nil, errors.New("expand: no spec")
	}
	if current == nil {
		current = NewState()
	}
	e := &expander{
		s: s, cur: current, out: NewState(),
		pairs:     map[pairKey]string{},
		logGroups: map[Addr]*logGroupUse{},
		roles:     map[Addr]*roleUse{},
		buckets:   map[string]*bucketUse{},
	}
	e.out.Spec = SpecRef{Name: s.Name, File: s.File, SHA256: s.SHA256}
	e.out.Prune = s.Prune
	for i := range s.Rules {
		for _, a := range accounts {
			e.rule(&s.Rules[i], a)
		}
	}
	// A managed bucket policy lets write every account a rule applies to
	// in one of its regions, whether or not it has targets yet: the spec
	// alone and the accounts listed decide it, so that every shard of a
	// sharded run (which discovers only its own accounts) plans the same
	// statements, and a new VPC's flow logs deliver at once.
	listed := current.Listed
	if listed == nil {
		listed = accounts
	}
	for i := range s.Rules {
		r := &s.Rules[i]
		if b := r.Destination.S3; b != nil && b.ManageBucketPolicy {
			for _, a := range listed {
				if slices.ContainsFunc(a.Regions, func(region string) bool { return ruleApplies(r, a.ID, region) }) {
					e.bucketWriter(r, a.ID, b)
				}
			}
		}
	}
	e.addLogGroups()
	e.addRoles()
	e.addBuckets()
	if len(e.errs) > 0 {
		sort.Strings(e.errs)
		errs := make([]error, len(e.errs))
		for i, m := range e.errs {
			errs[i] = errors.New(m)
		}
		return nil, errors.Join(errs...)
	}
	return e.out, nil
}

type expander struct {
	s   *spec.Spec
	cur *State
	out *State
	// pairs maps a resource and a destination to the rule that sends that
	// resource there.
	pairs     map[pairKey]string
	logGroups map[Addr]*logGroupUse
	roles     map[Addr]*roleUse
	buckets   map[string]*bucketUse
	errs      []string
}

type logGroupUse struct {
	rules     map[string]*spec.Rule
	retention map[int][]string // retention days → rules
	kms       map[string][]string
}

type roleUse struct {
	role  spec.DeliveryRole
	rules map[string]bool
	needs RoleNeeds
	// logGroups are the (region, rule) pairs whose log groups needs lists
	// already: every flow log of a rule in a region adds the same one.
	logGroups map[regionRule]bool
}

type regionRule struct{ region, rule string }

// pairKey identifies a resource sent to a destination.
type pairKey struct{ account, region, resource, destType, destination string }

type bucketUse struct {
	owner   string
	arn     string
	writers []BucketWriter
	rules   map[string]bool
}

func (e *expander) errorf(format string, args ...any) {
	e.errs = append(e.errs, fmt.Sprintf(format, args...))
}

func (e *expander) rule(r *spec.Rule, a Account) {
	if len(r.Accounts) > 0 && !slices.Contains(r.Accounts, a.ID) {
		return
	}
	for _, region := range a.Regions {
		if len(r.Regions) > 0 && !slices.Contains(r.Regions, region) {
			continue
		}
		targets, discovered := e.cur.Targets[scopeKey(a.ID, region)]
		if !discovered {
			continue
		}
		for _, kind := range r.Targets.Kinds() {
			sel := r.Targets.Get(kind)
			for _, t := range targets {
				if t.Kind == kind && usable(t, a.ID) && sel.Matches(t.ID, t.Tags) {
					e.flowLog(r, a, region, kind, t)
				}
			}
		}
	}
}

// Usable reports whether a flow log can be attached to t from account, as
// Expand decides: owned by the account and not on its way out.
func Usable(t Target, account string) bool { return usable(t, account) }

// usable reports whether a flow log can be attached to t from account: it
// must be owned by the account (subnets shared through RAM belong to their
// owner's flow logs) and not on its way out.
func usable(t Target, account string) bool {
	if t.OwnerID != "" && t.OwnerID != account {
		return false
	}
	switch t.State {
	case "deleting", "deleted", "failing", "failed", "rejected":
		return false
	}
	return true
}

func (e *expander) flowLog(r *spec.Rule, a Account, region string, kind spec.TargetKind, t Target) {
	fl := &FlowLog{
		ResourceID:             t.ID,
		ResourceType:           kind.ResourceType(),
		TrafficType:            r.TrafficType,
		DestinationType:        r.Destination.Type(),
		LogFormat:              r.LogFormat,
		MaxAggregationInterval: r.MaxAggregationInterval,
		TagFieldSpecifications: r.TagFieldSpecifications,
	}
	if kind.IsTransitGateway() {
		fl.TrafficType, fl.MaxAggregationInterval = "", spec.TransitGatewayInterval
	}
	switch d := r.Destination; {
	case d.CloudWatchLogs != nil:
		if !e.cloudWatch(fl, r, a, region, t.ID) {
			return
		}
	case d.S3 != nil:
		fl.Destination = d.S3.BucketARN + "/" + d.S3.Prefix
		fl.FileFormat, fl.HiveCompatiblePartitions, fl.PerHourPartition = d.S3.FileFormat, d.S3.HiveCompatiblePartitions, d.S3.PerHourPartition
	case d.Firehose != nil:
		if !e.firehose(fl, r, a) {
			return
		}
	default:
		e.errorf("rule %q: no destination", r.Name)
		return
	}
	pair := pairKey{a.ID, region, t.ID, fl.DestinationType, NormalizeDestination(fl.DestinationType, fl.Destination)}
	if other, ok := e.pairs[pair]; ok {
		if other != r.Name {
			e.errorf("rules %q and %q both send %s in %s/%s to %s; a resource may go to a destination through one rule only",
				other, r.Name, t.ID, a.ID, region, fl.Destination)
		}
		return
	}
	e.pairs[pair] = r.Name
	tags := make(map[string]string, len(r.Tags)+2)
	for k, v := range r.Tags {
		tags[k] = v
	}
	tags[TagSpec], tags[TagRule] = e.s.Name, r.Name
	e.out.Add(&Resource{
		Addr:    ManagedFlowLogAddr(a.ID, region, r.Name, t.ID),
		Tags:    tags,
		FlowLog: fl,
	})
}

// cloudWatch fills a CloudWatch Logs flow log's destination and role, and
// records the log group and delivery role it needs.
func (e *expander) cloudWatch(fl *FlowLog, r *spec.Rule, a Account, region, resourceID string) bool {
	c := r.Destination.CloudWatchLogs
	name := expandTemplate(c.LogGroup, a, region, r.Name, resourceID)
	fl.Destination = arn.LogGroup(a.ID, region, name)
	e.useLogGroup(LogGroupAddr(a.ID, region, name), r)
	if c.DeliveryRoleARN != "" {
		fl.DeliverLogsPermissionARN = strings.ReplaceAll(c.DeliveryRoleARN, "{account_id}", a.ID)
		return true
	}
	u, ok := e.useRole(r, a, c.DeliveryRole)
	if !ok {
		return false
	}
	fl.DeliverLogsPermissionARN = u.needs.ARN
	if k := (regionRule{region, r.Name}); !u.logGroups[k] {
		u.logGroups[k] = true
		u.needs.LogGroupRegions = append(u.needs.LogGroupRegions, region)
		u.needs.LogGroupARNs = append(u.needs.LogGroupARNs, LogGroupARN(a.ID, region, expandTemplate(c.LogGroup, a, region, r.Name, "{resource_id}")))
	}
	return true
}

// firehose fills a Firehose flow log's destination and, when the stream is
// in another account, its two roles, recording what the delivery role
// needs. AWS takes neither role for delivery within the stream's account.
func (e *expander) firehose(fl *FlowLog, r *spec.Rule, a Account) bool {
	f := r.Destination.Firehose
	fl.Destination = f.DeliveryStreamARN
	if !f.CrossAccount(a.ID) {
		return true
	}
	if f.DeliveryRole == "" || f.CrossAccountRole == "" {
		e.errorf("rule %q: flow logs in account %s deliver to stream %s of account %s, which needs delivery_role and cross_account_role",
			r.Name, a.ID, f.DeliveryStreamARN, f.StreamAccount())
		return false
	}
	fl.DeliverCrossAccountRole = f.CrossAccountRole
	if f.DeliveryRoleARN != "" {
		fl.DeliverLogsPermissionARN = strings.ReplaceAll(f.DeliveryRoleARN, "{account_id}", a.ID)
		return true
	}
	u, ok := e.useRole(r, a, f.DeliveryRole)
	if !ok {
		return false
	}
	fl.DeliverLogsPermissionARN = u.needs.ARN
	u.needs.CrossAccountRoles = append(u.needs.CrossAccountRoles, f.CrossAccountRole)
	return true
}

// useRole records that rule r uses the delivery role name in account a.
func (e *expander) useRole(r *spec.Rule, a Account, name string) (*roleUse, bool) {
	role, ok := e.s.DeliveryRoleByName(name)
	if !ok {
		e.errorf("rule %q: delivery role %q is not declared in delivery_roles", r.Name, name)
		return nil, false
	}
	addr := RoleAddr(a.ID, role.Name)
	u := e.roles[addr]
	if u == nil {
		roleARN := arn.Role(a.partition(), a.ID, role.Path, role.Name)
		if have := e.cur.Resources[addr]; have != nil && have.Role != nil && have.Tags[TagSpec] != e.s.Name && strings.HasPrefix(have.ID, "arn:") {
			// A role of that name exists and is not ours: it is used as it
			// is, so its real ARN (whatever its path) is the one to use.
			roleARN = have.ID
		}
		u = &roleUse{role: role, rules: map[string]bool{}, needs: RoleNeeds{Account: a.ID, ARN: roleARN}, logGroups: map[regionRule]bool{}}
		e.roles[addr] = u
	}
	u.rules[r.Name] = true
	return u, true
}

func (e *expander) useLogGroup(addr Addr, r *spec.Rule) {
	u := e.logGroups[addr]
	if u == nil {
		u = &logGroupUse{rules: map[string]*spec.Rule{}, retention: map[int][]string{}, kms: map[string][]string{}}
		e.logGroups[addr] = u
	}
	if u.rules[r.Name] != nil {
		return
	}
	u.rules[r.Name] = r
	c := r.Destination.CloudWatchLogs
	u.retention[c.RetentionDays] = append(u.retention[c.RetentionDays], r.Name)
	u.kms[c.KMSKeyARN] = append(u.kms[c.KMSKeyARN], r.Name)
}

func (e *expander) bucketWriter(r *spec.Rule, account string, s3 *spec.S3) {
	_, bucket := splitBucketARN(s3.BucketARN)
	owner := s3.BucketAccount
	if owner == "" {
		owner = e.cur.BucketOwners[bucket]
	}
	if owner == "" {
		return // Discover found no owner; the plan lists the error
	}
	u := e.buckets[bucket]
	if u == nil {
		u = &bucketUse{owner: owner, arn: s3.BucketARN, rules: map[string]bool{}}
		e.buckets[bucket] = u
	}
	if u.owner != owner {
		e.errorf("bucket %s: rules disagree about its bucket_account (%s and %s)", bucket, u.owner, owner)
		return
	}
	u.rules[r.Name] = true
	u.writers = append(u.writers, BucketWriter{Account: account, Prefix: s3.Prefix, Hive: s3.HiveCompatiblePartitions})
}

func (e *expander) addLogGroups() {
	for addr, u := range e.logGroups {
		if len(u.retention) > 1 {
			e.errorf("log group %s: rules disagree about retention_days (%s)", addr, describeSplit(u.retention, retention))
			continue
		}
		if len(u.kms) > 1 {
			e.errorf("log group %s: rules disagree about kms_key_arn (%s)", addr, describeSplit(u.kms, display))
			continue
		}
		rules := slices.Sorted(maps.Keys(u.rules))
		tags := map[string]string{}
		for _, name := range rules {
			for k, v := range u.rules[name].Tags {
				tags[k] = v
			}
		}
		tags[TagSpec], tags[TagRule] = e.s.Name, JoinRules(rules)
		c := u.rules[rules[0]].Destination.CloudWatchLogs
		e.out.Add(&Resource{Addr: addr, Tags: tags, LogGroup: &LogGroup{Name: addr.Name, RetentionDays: c.RetentionDays, KMSKeyARN: c.KMSKeyARN}})
	}
}

// describeSplit renders "30 (rules a, b) vs 90 (rule c)".
func describeSplit[K comparable](m map[K][]string, show func(K) string) string {
	var parts []string
	for v, rules := range m {
		parts = append(parts, show(v)+" for "+strings.Join(sortedUnique(rules), ", "))
	}
	sort.Strings(parts)
	return strings.Join(parts, " vs ")
}

func (e *expander) addRoles() {
	for addr, u := range e.roles {
		tags := map[string]string{TagSpec: e.s.Name, TagRule: JoinRules(slices.Sorted(maps.Keys(u.rules)))}
		e.out.Add(&Resource{Addr: addr, Tags: tags, Role: &Role{
			Name:                u.role.Name,
			Path:                u.role.Path,
			AssumeRolePolicy:    TrustPolicy(u.needs),
			PermissionsBoundary: u.role.PermissionsBoundary,
		}})
		if u.role.Adopt {
			e.out.adoptRole(addr)
		}
		e.out.Add(&Resource{
			Addr:       RolePolicyAddr(addr.Account, u.role.Name, DeliveryPolicyName),
			RolePolicy: &RolePolicy{RoleName: u.role.Name, PolicyName: DeliveryPolicyName, Document: DeliveryPolicy(u.needs)},
		})
	}
}

func (e *expander) addBuckets() {
	for _, bucket := range slices.Sorted(maps.Keys(e.buckets)) {
		u := e.buckets[bucket]
		b, discovered := e.cur.Buckets[bucket]
		if !discovered {
			continue // its discovery failed; the plan lists the error
		}
		if slices.Contains(OwnerlessBuckets(e.s), bucket) {
			e.out.Notes = append(e.out.Notes, Note{Kind: NoteInfo, Addr: BucketAddr(u.owner, bucket), Message: fmt.Sprintf(
				"bucket %s is owned by account %s, found with S3 ListBuckets (rules %s give no bucket_account); its policy is managed with that account's credentials",
				bucket, u.owner, strings.Join(slices.Sorted(maps.Keys(u.rules)), ", "))})
		}
		if !b.Exists {
			e.out.Notes = append(e.out.Notes, Note{Kind: NoteWarning, Addr: BucketAddr(u.owner, bucket), Message: fmt.Sprintf(
				"bucket %s does not exist or cannot be seen from account %s; its policy is not planned and flow logs to it will fail (rules %s)",
				bucket, u.owner, strings.Join(slices.Sorted(maps.Keys(u.rules)), ", "))})
			continue
		}
		for sid, stmt := range BucketStatements(e.s.Name, u.arn, u.writers) {
			e.out.Add(&Resource{Addr: StatementAddr(u.owner, bucket, sid), BucketPolicyStatement: &BucketPolicyStatement{Bucket: bucket, Sid: sid, Statement: stmt}})
		}
	}
}

// expandTemplate fills a log group name template's placeholders for one
// account, region, rule and resource (spec.Expand does the work).
func expandTemplate(tmpl string, a Account, region, rule, resourceID string) string {
	return spec.Expand(tmpl, spec.Placeholders{AccountID: a.ID, AccountAlias: a.Alias, Region: region, Rule: rule, ResourceID: resourceID})
}

// JoinRules renders the flowplan:rule tag of a resource several rules use:
// the names sorted and space-joined, cut with " +N" (N names left out) to
// fit AWS's 256-character tag values. Not commas: IAM and CloudWatch Logs
// allow only letters, digits, spaces and _.:/=+-@ in tag values.
func JoinRules(rules []string) string {
	rules = sortedUnique(rules)
	full := strings.Join(rules, " ")
	if len(full) <= MaxTagValue {
		return full
	}
	for n := len(rules) - 1; n > 0; n-- {
		s := strings.Join(rules[:n], " ") + " +" + strconv.Itoa(len(rules)-n)
		if len(s) <= MaxTagValue {
			return s
		}
	}
	return "+" + strconv.Itoa(len(rules))
}
