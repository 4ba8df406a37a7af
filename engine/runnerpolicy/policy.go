package runnerpolicy

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/internal/arn"
	"github.com/flowplan/flowplan/spec"
)

// Service principals delivery roles are passed to: vpc-flow-logs for
// CloudWatch Logs (it assumes the role), delivery.logs for Firehose across
// accounts (the source account role trusts it).
const (
	flowLogsService    = "vpc-flow-logs.amazonaws.com"
	logDeliveryService = "delivery.logs.amazonaws.com"
)

// Policy is one generated IAM policy document and what it is for.
type Policy struct {
	// Principal is whose policy it is.
	Principal Principal
	// Mode is the command it is for.
	Mode Mode
	// Spec is the spec's name.
	Spec string
	// Description says where to attach it, in sentences.
	Description []string
	// Statements are in a fixed order, each with sorted actions and
	// resources.
	Statements []Statement
}

// Statement is one Allow statement.
type Statement struct {
	Sid       string
	Actions   []string
	Resources []string
	// Conditions are operator → key → values.
	Conditions map[string]map[string][]string
}

// Actions returns every action of the policy, sorted and unique.
func (p *Policy) Actions() []string {
	var out []string
	for _, s := range p.Statements {
		out = append(out, s.Actions...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// ParseMode reads a --for value.
func ParseMode(s string) (Mode, error) {
	for _, m := range Modes {
		if string(m) == s {
			return m, nil
		}
	}
	return "", fmt.Errorf("unknown mode %q: use plan, apply, drift or audit", s)
}

// OperationsFor returns the operations a mode makes for a spec, as the
// table lists them.
func OperationsFor(s *spec.Spec, m Mode) []Operation {
	f := newFacts(s)
	var out []Operation
	for _, op := range Operations {
		if slices.Contains(m.Phases(), op.Phase) && f.has(op.Need) {
			out = append(out, op)
		}
	}
	return out
}

// ActionsFor returns the IAM actions a principal needs for the given
// operations (Key values), sorted: the grants of each, as the spec's facts
// select them. Unknown keys are returned in unknown.
func ActionsFor(s *spec.Spec, m Mode, p Principal, keys []string) (actions, unknown []string) {
	f := newFacts(s)
	for _, k := range keys {
		found := false
		for _, op := range Operations {
			if op.Key() != k || !slices.Contains(m.Phases(), op.Phase) {
				continue
			}
			found = true
			if op.Principal != p || !f.has(op.Need) {
				continue
			}
			for _, gr := range op.Grants {
				if gr.When == "" || f.has(gr.When) {
					actions = append(actions, gr.Action)
				}
			}
		}
		if !found {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(actions)
	return slices.Compact(actions), unknown
}

// Generate returns the policy a principal needs to run mode for spec s.
// Statements that would have no action or no resource are left out.
func Generate(s *spec.Spec, m Mode, p Principal) *Policy {
	f := newFacts(s)
	actions := map[string][]string{}
	for _, op := range Operations {
		if op.Principal != p || !slices.Contains(m.Phases(), op.Phase) || !f.has(op.Need) {
			continue
		}
		for _, gr := range op.Grants {
			if gr.When == "" || f.has(gr.When) {
				actions[gr.Statement] = append(actions[gr.Statement], gr.Action)
			}
		}
	}
	out := &Policy{Principal: p, Mode: m, Spec: s.Name, Description: f.describe(p, m)}
	for _, sid := range statementOrder {
		if len(actions[sid]) == 0 {
			continue
		}
		st := f.statement(sid)
		st.Sid = sid
		st.Actions = sortedUnique(actions[sid])
		st.Resources = sortedUnique(st.Resources)
		if len(st.Resources) == 0 {
			continue
		}
		out.Statements = append(out.Statements, st)
	}
	return out
}

// facts is what the policies need to know about a spec.
type facts struct {
	s          *spec.Spec
	partitions []string
	// regions are every region a rule may create flow logs in; kinds the
	// regions each target kind is targeted in.
	regions []string
	kinds   map[spec.TargetKind][]string
	// logGroups are the ARNs of the log groups rules want, placeholders
	// other than {region} and {rule} as "*", with and without ":*".
	logGroups  []string
	cwlRegions []string
	// managedRoles are the ARNs of the delivery_roles entries rules use.
	managedRoles     []spec.DeliveryRole
	managedRoleARNs  []string
	passed           []string
	passedToServices []string
	logDelivery      bool
	managedBuckets   []string
	// ownerless are the managed buckets no rule gives a bucket_account.
	ownerless   []string
	s3Buckets   []string
	assumeRoles []string
	direct      []string
}

func newFacts(s *spec.Spec) *facts {
	f := &facts{s: s, kinds: map[spec.TargetKind][]string{}}
	parts := map[string]bool{}
	roles := map[string]spec.DeliveryRole{}
	for i := range s.Rules {
		r := &s.Rules[i]
		var regions []string
		for _, a := range s.Scope(r) {
			regions = append(regions, a.Regions...)
		}
		regions = sortedUnique(regions)
		f.regions = append(f.regions, regions...)
		for _, k := range r.Targets.Kinds() {
			f.kinds[k] = append(f.kinds[k], regions...)
		}
		for _, region := range regions {
			parts[arn.Partition(region)] = true
		}
		d := r.Destination
		switch {
		case d.CloudWatchLogs != nil:
			c := d.CloudWatchLogs
			for _, region := range regions {
				f.cwlRegions = append(f.cwlRegions, region)
				name := spec.Expand(c.LogGroup, spec.Placeholders{AccountID: "*", AccountAlias: "*", Region: region, Rule: r.Name, ResourceID: "*"})
				group := arn.LogGroup("*", region, name)
				f.logGroups = append(f.logGroups, group)
				if !strings.HasSuffix(group, "*") {
					f.logGroups = append(f.logGroups, group+":*")
				}
			}
			f.rolePassed(s, c.DeliveryRole, c.DeliveryRoleARN, flowLogsService, roles)
		case d.S3 != nil:
			f.logDelivery = true
			f.s3Buckets = append(f.s3Buckets, d.S3.BucketARN)
			if d.S3.ManageBucketPolicy {
				f.managedBuckets = append(f.managedBuckets, d.S3.BucketARN)
				// Without bucket_account, engine.Discover finds the owner
				// among the spec's accounts (LocateBucketOwners).
				if _, static := s.AccountByRef(d.S3.BucketAccount); d.S3.BucketAccount != "" && !static && s.Organization == nil {
					// engine.Discover reaches such an owner with the
					// credentials flowplan starts with.
					f.direct = append(f.direct, d.S3.BucketAccount)
				}
			}
		case d.Firehose != nil:
			f.logDelivery = true
			if d.Firehose.CrossAccountRole != "" {
				f.rolePassed(s, d.Firehose.DeliveryRole, d.Firehose.DeliveryRoleARN, logDeliveryService, roles)
			}
		}
	}
	f.regions = sortedUnique(f.regions)
	f.cwlRegions = sortedUnique(f.cwlRegions)
	for k := range f.kinds {
		f.kinds[k] = sortedUnique(f.kinds[k])
	}
	if len(parts) == 0 {
		parts["aws"] = true
	}
	f.partitions = slices.Sorted(maps.Keys(parts))
	for _, name := range slices.Sorted(maps.Keys(roles)) {
		role := roles[name]
		f.managedRoles = append(f.managedRoles, role)
		for _, p := range f.partitions {
			f.managedRoleARNs = append(f.managedRoleARNs, arn.Role(p, "*", role.Path, role.Name))
		}
	}
	f.passed = sortedUnique(append(f.passed, f.managedRoleARNs...))
	f.passedToServices = sortedUnique(f.passedToServices)
	for _, a := range s.Accounts {
		if a.AssumeRole != "" {
			f.assumeRoles = append(f.assumeRoles, a.AssumeRole)
		} else {
			f.direct = append(f.direct, a.ID)
		}
	}
	if o := s.Organization; o != nil {
		for _, p := range f.partitions {
			f.assumeRoles = append(f.assumeRoles, arn.Role(p, "*", "/", o.AssumeRoleName))
		}
	}
	f.assumeRoles = sortedUnique(f.assumeRoles)
	f.direct = sortedUnique(f.direct)
	return f
}

// rolePassed records a delivery role flow logs are created with: a
// delivery_roles entry by name, or an existing role by ARN.
func (f *facts) rolePassed(s *spec.Spec, name, roleARN, service string, managed map[string]spec.DeliveryRole) {
	f.passedToServices = append(f.passedToServices, service)
	if roleARN != "" {
		f.passed = append(f.passed, strings.ReplaceAll(roleARN, "{account_id}", "*"))
		return
	}
	if role, ok := s.DeliveryRoleByName(name); ok {
		managed[role.Name] = role
	}
}

func (f *facts) has(n Need) bool {
	switch n {
	case Always:
		return true
	case TargetVPCs:
		return len(f.kinds[spec.TargetVPC]) > 0
	case TargetSubnets:
		return len(f.kinds[spec.TargetSubnet]) > 0
	case TargetNetworkInterfaces:
		return len(f.kinds[spec.TargetNetworkInterface]) > 0
	case TargetRegionalNatGateways:
		return len(f.kinds[spec.TargetRegionalNatGateway]) > 0
	case TargetTransitGateways:
		return len(f.kinds[spec.TargetTransitGateway]) > 0
	case TargetTransitGatewayAttachments:
		return len(f.kinds[spec.TargetTransitGatewayAttachment]) > 0
	case FlowLogTargets:
		return len(f.targetARNs()) > 0
	case CloudWatchLogs:
		return len(f.cwlRegions) > 0
	case ManagedRoles:
		return len(f.managedRoles) > 0
	case RoleDeletes:
		return len(f.managedRoles) > 0 || f.s.Prune
	case PassedRoles:
		return len(f.passed) > 0
	case LogDelivery:
		return f.logDelivery
	case ManagedBuckets:
		return len(f.managedBuckets) > 0
	case LocateBucketOwners:
		return len(engine.OwnerlessBuckets(f.s)) > 0
	case S3Destinations:
		return len(f.s3Buckets) > 0
	case UnmanagedS3Destinations:
		return len(f.unmanagedBuckets()) > 0
	case Organization:
		return f.s.Organization != nil
	case WholeOrganization:
		return f.s.Organization != nil && len(f.s.Organization.IncludeOUs) == 0
	case OrganizationOUs:
		return f.s.Organization != nil && len(f.s.Organization.IncludeOUs) > 0
	case StartingAccount:
		if f.s.Organization != nil {
			return true
		}
		return slices.ContainsFunc(f.s.Accounts, func(a spec.Account) bool { return a.AssumeRole == "" })
	case AssumesRoles:
		return len(f.assumeRoles) > 0
	case LockByRunner, LockByCaller:
		q := engine.LockScope(f.s)
		if q.Region == "" {
			return false
		}
		byRunner := q.Account.ID != ""
		return byRunner == (n == LockByRunner)
	}
	return false
}

// unmanagedBuckets are the ARNs of destination buckets whose policy no
// rule manages.
func (f *facts) unmanagedBuckets() []string {
	managed := map[string]bool{}
	for _, b := range f.managedBuckets {
		if _, name, _, ok := arn.ParseBucket(b); ok {
			managed[name] = true
		}
	}
	seen := map[string]bool{}
	var out []string
	for _, b := range f.s3Buckets {
		partition, name, _, ok := arn.ParseBucket(b)
		if ok && !managed[name] && !seen[name] {
			seen[name] = true
			out = append(out, arn.Bucket(partition, name))
		}
	}
	return out
}

// flowLogResourceTypes are the Service Authorization Reference's EC2
// resource types CreateFlowLogs is authorized on for each target kind;
// regional NAT gateways have none.
var flowLogResourceTypes = map[spec.TargetKind]string{
	spec.TargetVPC:                      "vpc",
	spec.TargetSubnet:                   "subnet",
	spec.TargetNetworkInterface:         "network-interface",
	spec.TargetTransitGateway:           "transit-gateway",
	spec.TargetTransitGatewayAttachment: "transit-gateway-attachment",
}

func ec2ARN(region, resource string) string {
	return arn.ARN{Partition: arn.Partition(region), Service: "ec2", Region: region, Account: "*", Resource: resource}.String()
}

func (f *facts) targetARNs() []string {
	var out []string
	for _, k := range spec.TargetKinds {
		typ := flowLogResourceTypes[k]
		if typ == "" {
			continue
		}
		for _, region := range f.kinds[k] {
			out = append(out, ec2ARN(region, typ+"/*"))
		}
	}
	return out
}

func (f *facts) flowLogARNs() []string {
	var out []string
	for _, region := range f.regions {
		out = append(out, ec2ARN(region, "vpc-flow-log/*"))
	}
	return out
}

func (f *facts) allRoles() []string {
	var out []string
	for _, p := range f.partitions {
		out = append(out, arn.ARN{Partition: p, Service: "iam", Account: "*", Resource: "role/*"}.String())
	}
	return out
}

func condition(op, key string, values ...string) map[string]map[string][]string {
	return map[string]map[string][]string{op: {key: values}}
}

// statement returns a statement's resources and conditions.
func (f *facts) statement(sid string) Statement {
	ownTag := "aws:ResourceTag/" + engine.TagSpec
	requestTag := "aws:RequestTag/" + engine.TagSpec
	switch sid {
	case sidDescribeNetwork, sidListRoles, sidLogDeliveries, sidListOrganization, sidFindBucketOwners:
		return Statement{Resources: []string{"*"}}
	case sidReadRoles:
		return Statement{Resources: f.allRoles()}
	case sidCreateRoles:
		return Statement{Resources: f.managedRoleARNs, Conditions: condition("StringEquals", requestTag, f.s.Name)}
	case sidUpdateRoles:
		return Statement{Resources: f.managedRoleARNs, Conditions: condition("StringEquals", ownTag, f.s.Name)}
	case sidDeleteRoles:
		// prune deletes roles the spec no longer names; without it, only a
		// managed role replaced for a new path is deleted: any path, its name.
		res := f.allRoles()
		if !f.s.Prune {
			res = nil
			for _, role := range f.managedRoles {
				for _, p := range f.partitions {
					res = append(res, arn.Role(p, "*", "/", role.Name), arn.Role(p, "*", "/*/", role.Name))
				}
			}
		}
		return Statement{Resources: res, Conditions: condition("StringEquals", ownTag, f.s.Name)}
	case sidPassRoles:
		return Statement{Resources: f.passed, Conditions: condition("StringEquals", "iam:PassedToService", f.passedToServices...)}
	case sidDescribeLogGroups:
		var res []string
		for _, region := range f.cwlRegions {
			res = append(res, arn.LogGroup("*", region, "*"))
		}
		return Statement{Resources: res}
	case sidReadLogGroups, sidWriteLogGroups:
		return Statement{Resources: f.logGroups}
	case sidCreateFlowLogs:
		return Statement{Resources: f.flowLogARNs(), Conditions: condition("StringEquals", requestTag, f.s.Name)}
	case sidCreateFlowLogsOnTargets:
		return Statement{Resources: f.targetARNs()}
	case sidTagOnCreate:
		return Statement{Resources: f.flowLogARNs(), Conditions: map[string]map[string][]string{
			"StringEquals": {"ec2:CreateAction": {"CreateFlowLogs"}, requestTag: {f.s.Name}}}}
	case sidRetag, sidDeleteFlowLogs:
		return Statement{Resources: f.flowLogARNs(), Conditions: condition("StringEquals", ownTag, f.s.Name)}
	case sidAdopt:
		// Flow logs that exist (not tagging on create, which the statement
		// above covers) and carry no spec's tag, given this spec's.
		return Statement{Resources: f.flowLogARNs(), Conditions: map[string]map[string][]string{
			"Null": {ownTag: {"true"}, "ec2:CreateAction": {"true"}}, "StringEquals": {requestTag: {f.s.Name}}}}
	case sidBucketPolicies:
		return Statement{Resources: f.managedBuckets}
	case sidReadBuckets:
		var res []string
		for _, b := range f.s3Buckets {
			partition, name, _, ok := arn.ParseBucket(b)
			if ok {
				res = append(res, arn.Bucket(partition, name))
			}
		}
		return Statement{Resources: res}
	case sidLocateBuckets:
		return Statement{Resources: f.unmanagedBuckets()}
	case sidAssumeRunner:
		return Statement{Resources: f.assumeRoles}
	case sidFindApplyLocks:
		// Not in the runner's policy when its DescribeLogGroups statement
		// already covers the lock's region.
		if q := engine.LockScope(f.s); q.Region != "" && !(f.has(LockByRunner) && slices.Contains(f.cwlRegions, q.Region)) {
			return Statement{Resources: []string{arn.LogGroup("*", q.Region, "*")}}
		}
	case sidApplyLock:
		if q := engine.LockScope(f.s); q.Region != "" {
			return Statement{Resources: []string{arn.LogGroup("*", q.Region, engine.LeasePrefix(f.s.Name)+"*")}}
		}
	}
	return Statement{}
}

// describe says where a policy goes.
func (f *facts) describe(p Principal, m Mode) []string {
	var out []string
	switch p {
	case Runner:
		out = append(out, fmt.Sprintf("Runner policy of spec %q for flowplan %s.", f.s.Name, m))
		var where []string
		for _, a := range f.s.Accounts {
			if a.AssumeRole != "" {
				where = append(where, a.AssumeRole)
			}
		}
		if o := f.s.Organization; o != nil {
			where = append(where, "the role "+o.AssumeRoleName+" in every account of the organization")
		}
		if len(where) > 0 {
			out = append(out, "Attach it to the role flowplan assumes in each account: "+strings.Join(sortedUnique(where), ", ")+".")
		}
		if len(f.direct) > 0 || f.s.Organization != nil {
			var direct []string
			if len(f.direct) > 0 {
				direct = append(direct, "in "+strings.Join(f.direct, ", ")+" (no assume_role)")
			}
			if f.s.Organization != nil {
				direct = append(direct, "in the organization account it runs in")
			}
			out = append(out, "flowplan works with the credentials it starts with "+strings.Join(direct, " and ")+": attach it to them too.")
		}
		out = append(out, "One document serves every account: an identity policy acts only in its own account, so account IDs are \"*\".")
	case Caller:
		out = append(out, fmt.Sprintf("Caller policy of spec %q for flowplan %s.", f.s.Name, m))
		out = append(out, "Attach it to the credentials flowplan starts with (the CI role or user): they assume the runner role of each account.")
		if f.s.Organization != nil {
			out = append(out, "Organizations answers only the management account or a delegated administrator: run flowplan with credentials of one.")
		}
		out = append(out, "sts:GetCallerIdentity needs no permission, so it is not listed.")
	}
	return out
}

func sortedUnique(in []string) []string {
	out := slices.Clone(in)
	sort.Strings(out)
	return slices.Compact(out)
}
