package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/flowplan/flowplan/internal/arn"
	"github.com/flowplan/flowplan/spec"
)

// Discover reads the current state the spec needs: the accounts, then per
// account its delivery roles, per account-region its targets, flow logs and
// wanted log groups, and per managed bucket its policy, with its owner's
// credentials (found first, with locateBuckets, when no rule gives its
// bucket_account), concurrently (bounded by opts.Parallelism). A scope whose read fails is recorded in
// State.Errors and contributes nothing; when an account's own read fails,
// none of its regions contribute either, so that nothing there is planned
// from half a picture. The error is for failures that stop everything.
func Discover(ctx context.Context, p Provider, s *spec.Spec, opts Options) (*State, error) {
	if opts.Shard != nil {
		if err := opts.Shard.Validate(); err != nil {
			return nil, err
		}
	}
	accounts, problems, err := p.Accounts(ctx, s)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	st := NewState()
	// The owners of managed buckets without bucket_account are looked for
	// among every listed account, whatever the shard.
	st.Accounts = sortedAccounts(accounts)
	st.BucketOwners = locateBuckets(ctx, p, s, st, opts)
	// Every shard lists the whole organisation, then keeps its part: the
	// accounts of its shard, and the buckets whose owner is one of them.
	st.Listed = withBucketOwners(s, st.Accounts, st.BucketOwners)
	st.Accounts, problems = inShard(opts.Shard, st.Listed, problems)
	for _, e := range problems {
		e.Stage = StageDiscover
		st.Errors = append(st.Errors, e)
	}
	q := Queries(s, st.Accounts, st.BucketOwners)
	q.Buckets = slices.DeleteFunc(q.Buckets, func(b BucketQuery) bool { return !opts.Shard.Has(b.Account.ID) })
	if len(opts.AlsoRead) > 0 {
		for i := range q.Regions {
			q.Regions[i].TargetKinds = withKinds(q.Regions[i].TargetKinds, opts.AlsoRead)
		}
	}
	r := &discovery{st: st, failedAccounts: map[string]bool{}, regions: map[string]*RegionState{}}
	run := newRunner(opts.parallelism())
	for _, aq := range q.Accounts {
		run.do(func() { r.account(ctx, p, opts.Reporter, aq) })
	}
	for _, rq := range q.Regions {
		run.do(func() { r.region(ctx, p, opts.Reporter, rq) })
	}
	for _, bq := range q.Buckets {
		run.do(func() { r.bucket(ctx, p, opts.Reporter, bq) })
	}
	run.wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("discover: %w", err)
	}
	r.addRegions(s.Name)
	st.Errors = sortedErrors(st.Errors)
	return st, nil
}

// DiscoveryQueries are the reads Discover makes for a spec.
type DiscoveryQueries struct {
	Accounts []AccountQuery
	Regions  []RegionQuery
	Buckets  []BucketQuery
}

// Queries computes what to read: per account the delivery roles its rules
// use, for CloudWatch Logs and for Firehose streams in other accounts, and
// a listing of every role, so that delivery roles nothing uses any more are
// found even after the spec stopped naming them (pruned, or reported as
// orphans); per account-region only the target kinds its rules select and
// exactly the log groups they want; and the buckets whose policy flowplan
// manages, each with its owner's credentials (owners, by bucket name, as
// State.BucketOwners: a bucket without a known owner is not read). Every
// region of every account is read, even one no rule targets, so that
// prune finds flow logs there.
func Queries(s *spec.Spec, accounts []Account, owners map[string]string) DiscoveryQueries {
	var q DiscoveryQueries
	// ListRoles returns no tags; providers read only the roles described
	// as flowplan's, so listing every path costs about one call per
	// account. A narrower path would miss a role whose delivery_roles entry
	// (and so its path) was removed from the spec.
	paths := []string{"/"}
	for _, a := range accounts {
		var roles []string
		for _, region := range a.Regions {
			rq := RegionQuery{Account: a, Region: region}
			kinds := map[spec.TargetKind]bool{}
			var names, prefixes []string
			settings := map[string][]LogGroupSettings{}
			for i := range s.Rules {
				r := &s.Rules[i]
				if !ruleApplies(r, a.ID, region) {
					continue
				}
				for _, k := range r.Targets.Kinds() {
					kinds[k] = true
				}
				if f := r.Destination.Firehose; f != nil && f.CrossAccount(a.ID) && f.DeliveryRoleARN == "" && f.DeliveryRole != "" {
					roles = append(roles, f.DeliveryRole)
				}
				c := r.Destination.CloudWatchLogs
				if c == nil {
					continue
				}
				if c.DeliveryRoleARN == "" && c.DeliveryRole != "" {
					roles = append(roles, c.DeliveryRole)
				}
				name := expandTemplate(c.LogGroup, a, region, r.Name, "{resource_id}")
				if before, _, found := strings.Cut(name, "{resource_id}"); found {
					prefixes = append(prefixes, before)
					ls := LogGroupSettings{RetentionDays: c.RetentionDays, KMSKeyARN: c.KMSKeyARN}
					if !slices.Contains(settings[before], ls) {
						settings[before] = append(settings[before], ls)
					}
				} else {
					names = append(names, name)
				}
			}
			for _, k := range spec.TargetKinds {
				if kinds[k] {
					rq.TargetKinds = append(rq.TargetKinds, k)
				}
			}
			rq.LogGroupNames, rq.LogGroupPrefixes = sortedUnique(names), sortedUnique(prefixes)
			if len(settings) > 0 {
				rq.LogGroupPrefixSettings = settings
			}
			q.Regions = append(q.Regions, rq)
		}
		q.Accounts = append(q.Accounts, AccountQuery{Account: a, RoleNames: sortedUnique(roles),
			PolicyNames: []string{DeliveryPolicyName}, ListPathPrefixes: paths})
	}
	for _, b := range managedBuckets(s) {
		if owners[b.name] == "" {
			continue
		}
		owner, _ := findAccount(accounts, owners[b.name])
		q.Buckets = append(q.Buckets, BucketQuery{Account: owner, Bucket: b.name, Partition: b.partition})
	}
	return q
}

// withKinds adds the kinds in more to kinds, keeping spec.TargetKinds'
// order.
func withKinds(kinds, more []spec.TargetKind) []spec.TargetKind {
	var out []spec.TargetKind
	for _, k := range spec.TargetKinds {
		if slices.Contains(kinds, k) || slices.Contains(more, k) {
			out = append(out, k)
		}
	}
	return out
}

func ruleApplies(r *spec.Rule, account, region string) bool {
	return (len(r.Accounts) == 0 || slices.Contains(r.Accounts, account)) && (len(r.Regions) == 0 || slices.Contains(r.Regions, region))
}

// managedBucket is a bucket whose policy the spec manages: its name, the
// bucket_account its rules give ("" when none does), and its partition.
type managedBucket struct{ name, owner, partition string }

// managedBuckets lists the spec's managed buckets by name. A bucket some
// rules give a bucket_account and others do not has the one given.
func managedBuckets(s *spec.Spec) []managedBucket {
	index := map[string]int{}
	var out []managedBucket
	for _, r := range s.Rules {
		b := r.Destination.S3
		if b == nil || !b.ManageBucketPolicy {
			continue
		}
		partition, name := splitBucketARN(b.BucketARN)
		if i, ok := index[name]; ok {
			if out[i].owner == "" {
				out[i].owner = b.BucketAccount
			}
			continue
		}
		index[name] = len(out)
		out = append(out, managedBucket{name: name, owner: b.BucketAccount, partition: partition})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// OwnerlessBuckets are the names of the managed buckets whose owner
// Discover looks up, sorted: no rule of theirs gives a bucket_account.
func OwnerlessBuckets(s *spec.Spec) []string {
	var out []string
	for _, b := range managedBuckets(s) {
		if b.owner == "" {
			out = append(out, b.name)
		}
	}
	return out
}

// locateBuckets returns the owner of each managed bucket: the
// bucket_account its rules give, or else the one account of the bucket's
// partition, among those discovered, whose S3 ListBuckets names it. Each
// account is listed at most once, and only when some bucket needs it.
// When no account, or more than one, owns a bucket, st gets a plan error
// (CodeBucketOwner) in the bucket's scope, naming the accounts that could
// not be listed and why, and the bucket has no owner.
func locateBuckets(ctx context.Context, p Provider, s *spec.Spec, st *State, opts Options) map[string]string {
	owners := map[string]string{}
	var lost []managedBucket
	partitions := map[string]bool{}
	for _, b := range managedBuckets(s) {
		if b.owner != "" {
			owners[b.name] = b.owner
			continue
		}
		lost = append(lost, b)
		partitions[b.partition] = true
	}
	if len(lost) == 0 {
		return owners
	}
	type listing struct {
		buckets map[string]bool
		err     error
	}
	var mu sync.Mutex
	lists := map[string]*listing{}
	run := newRunner(opts.parallelism())
	for _, a := range st.Accounts {
		if !partitions[a.partition()] {
			continue
		}
		run.do(func() {
			scope := BucketScope(a.ID, "*")
			report(opts.Reporter, EventScopeStarted, scope, "list buckets to find the owners of managed buckets")
			names, err := p.ListBuckets(ctx, a)
			report(opts.Reporter, EventScopeDone, scope, "list buckets to find the owners of managed buckets")
			l := &listing{buckets: map[string]bool{}, err: err}
			for _, n := range names {
				l.buckets[n] = true
			}
			mu.Lock()
			lists[a.ID] = l
			mu.Unlock()
		})
	}
	run.wait()
	for _, b := range lost {
		var found, failed []string
		listed := 0
		for _, a := range st.Accounts {
			l := lists[a.ID]
			if l == nil || a.partition() != b.partition {
				continue
			}
			switch {
			case l.err != nil:
				failed = append(failed, a.ID+" ("+oneLine(l.err.Error())+")")
			case l.buckets[b.name]:
				found = append(found, a.ID)
			default:
				listed++
			}
		}
		if len(found) == 1 {
			owners[b.name] = found[0]
			continue
		}
		msg := fmt.Sprintf("no rule gives bucket_account for bucket %s, and ", b.name)
		if len(found) > 1 {
			msg += fmt.Sprintf("accounts %s all list it as theirs", strings.Join(found, ", "))
		} else {
			msg += fmt.Sprintf("none of the %d accounts of partition %s whose buckets were listed owns it", listed, b.partition)
			if len(failed) > 0 {
				msg += "; the buckets of " + strings.Join(failed, ", ") + " could not be listed"
			}
		}
		msg += "; give bucket_account, the account that owns the bucket, in its rules"
		st.Errors = append(st.Errors, ScopeError{Scope: BucketScope("", b.name), Code: CodeBucketOwner, Stage: StagePlan, Message: msg})
	}
	return owners
}

// oneLine is the first line of s.
func oneLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

// withBucketOwners adds the owners of managed buckets (owners, by bucket
// name) that are not managed accounts, with no regions, so that their
// bucket policies can be read and written with the right credentials: the
// organization's assume-role name when the spec has one, the current
// credentials otherwise.
func withBucketOwners(s *spec.Spec, accounts []Account, owners map[string]string) []Account {
	for _, b := range managedBuckets(s) {
		owner := owners[b.name]
		if owner == "" {
			continue
		}
		if _, ok := findAccount(accounts, owner); ok {
			continue
		}
		a := Account{ID: owner, Source: "bucket_owner"}
		if sa, ok := s.AccountByRef(owner); ok {
			a.Alias, a.AssumeRole, a.ExternalID = sa.Alias, sa.AssumeRole, sa.ExternalID
		} else if o := s.Organization; o != nil && o.AssumeRoleName != "" {
			a.AssumeRole = arn.Role(b.partition, owner, "/", o.AssumeRoleName)
			a.ExternalID = o.ExternalID
		}
		accounts = append(accounts, a)
	}
	return sortedAccounts(accounts)
}

func findAccount(accounts []Account, id string) (Account, bool) {
	for _, a := range accounts {
		if a.ID == id {
			return a, true
		}
	}
	return Account{ID: id}, false
}

func sortedAccounts(in []Account) []Account {
	out := append([]Account(nil), in...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// runner runs functions concurrently, at most n at a time, starting them
// in the order they were given: do waits for a free slot before it starts
// f, so that a thousand scopes queue in order (the accounts, whose reads
// assume their roles, before their regions) instead of as a thousand
// goroutines racing for n slots.
type runner struct {
	sem chan struct{}
	wg  sync.WaitGroup
}

func newRunner(n int) *runner { return &runner{sem: make(chan struct{}, n)} }

func (r *runner) do(f func()) {
	r.sem <- struct{}{}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer func() { <-r.sem }()
		f()
	}()
}

func (r *runner) wait() { r.wg.Wait() }

// discovery collects scope results as they arrive.
type discovery struct {
	mu             sync.Mutex
	st             *State
	failedAccounts map[string]bool
	regions        map[string]*RegionState
}

func report(rep Reporter, typ EventType, scope, msg string) {
	if rep != nil {
		rep.Report(Event{Type: typ, Scope: scope, Message: msg})
	}
}

// scopeError turns a provider error into a ScopeError for scope, keeping the
// provider's code and message when it returned a ScopeError itself.
func scopeError(scope string, err error) ScopeError {
	var se ScopeError
	if errors.As(err, &se) {
		return ScopeError{Scope: scope, Code: se.Code, Message: se.Message, Stage: StageDiscover}
	}
	var sp *ScopeError
	if errors.As(err, &sp) {
		return ScopeError{Scope: scope, Code: sp.Code, Message: sp.Message, Stage: StageDiscover}
	}
	return ScopeError{Scope: scope, Message: err.Error(), Stage: StageDiscover}
}

func (r *discovery) fail(scope string, err error) {
	r.st.Errors = append(r.st.Errors, scopeError(scope, err))
}

func (r *discovery) account(ctx context.Context, p Provider, rep Reporter, q AccountQuery) {
	scope := q.Account.ID + "/" + GlobalRegion
	report(rep, EventScopeStarted, scope, "discover delivery roles")
	as, err := p.DiscoverAccount(ctx, q)
	report(rep, EventScopeDone, scope, "discover delivery roles")
	r.mu.Lock()
	defer r.mu.Unlock()
	if err == nil && as == nil {
		err = errors.New("provider returned no account state")
	}
	if err != nil {
		r.failedAccounts[q.Account.ID] = true
		r.fail(q.Account.ID, fmt.Errorf("discover account: %w", err))
		return
	}
	for _, role := range as.Roles {
		if role == nil || role.Role == nil {
			continue
		}
		r.st.Add(readdress(role, RoleAddr(q.Account.ID, role.Role.Name)))
	}
	for _, pol := range as.RolePolicies {
		if pol == nil || pol.RolePolicy == nil {
			continue
		}
		r.st.Add(readdress(pol, RolePolicyAddr(q.Account.ID, pol.RolePolicy.RoleName, pol.RolePolicy.PolicyName)))
	}
}

func (r *discovery) region(ctx context.Context, p Provider, rep Reporter, q RegionQuery) {
	scope := scopeKey(q.Account.ID, q.Region)
	report(rep, EventScopeStarted, scope, "discover targets, flow logs and log groups")
	rs, err := p.DiscoverRegion(ctx, q)
	report(rep, EventScopeDone, scope, "discover targets, flow logs and log groups")
	r.mu.Lock()
	defer r.mu.Unlock()
	if err == nil && rs == nil {
		err = errors.New("provider returned no region state")
	}
	if err != nil {
		r.fail(scope, fmt.Errorf("discover region: %w", err))
		return
	}
	r.regions[scope] = rs
}

func (r *discovery) bucket(ctx context.Context, p Provider, rep Reporter, q BucketQuery) {
	scope := BucketScope(q.Account.ID, q.Bucket)
	report(rep, EventScopeStarted, scope, "discover bucket policy")
	bs, err := p.DiscoverBucket(ctx, q)
	report(rep, EventScopeDone, scope, "discover bucket policy")
	var stmts []*Resource
	if err == nil && bs == nil {
		err = errors.New("provider returned no bucket state")
	}
	if err == nil && bs.Policy != "" {
		stmts, err = ParseBucketStatements(q.Account.ID, q.partition(), q.Bucket, bs.Policy)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.fail(scope, fmt.Errorf("discover bucket: %w", err))
		return
	}
	r.st.Buckets[q.Bucket] = bs
	for _, s := range stmts {
		r.st.Add(s)
	}
}

// addRegions adds the region results of accounts whose own discovery did
// not fail, giving flow logs their addresses.
func (r *discovery) addRegions(specName string) {
	for scope, rs := range r.regions {
		account, region, _ := strings.Cut(scope, "/")
		if r.failedAccounts[account] {
			continue
		}
		r.st.Targets[scope] = append([]Target{}, rs.Targets...)
		for _, lg := range rs.LogGroups {
			if lg != nil && lg.LogGroup != nil {
				r.st.Add(readdress(lg, LogGroupAddr(account, region, lg.LogGroup.Name)))
			}
		}
		for _, f := range FlowLogAddrs(account, region, specName, rs.FlowLogs) {
			r.st.Add(f)
		}
	}
}

// FlowLogAddrs returns copies of discovered flow logs with their addresses:
// <rule>/<resource> for this spec's flow logs, <resource>/<flow log id> for
// the others and for a second flow log of one rule on one resource.
func FlowLogAddrs(account, region, specName string, flowLogs []*Resource) []*Resource {
	var in []*Resource
	for _, f := range flowLogs {
		if f != nil && f.FlowLog != nil {
			in = append(in, f)
		}
	}
	sort.Slice(in, func(i, j int) bool { return in[i].ID < in[j].ID })
	taken := map[Addr]bool{}
	out := make([]*Resource, 0, len(in))
	for _, f := range in {
		out = append(out, readdress(f, flowLogAddr(account, region, specName, f, taken)))
	}
	return out
}

func readdress(r *Resource, a Addr) *Resource {
	c := *r
	c.Addr = a
	return &c
}

// BucketStatementID is the ID of a bucket policy statement: the bucket's
// ARN, "#", and the statement's Sid.
func BucketStatementID(partition, bucket, sid string) string {
	return arn.Bucket(partition, bucket) + "#" + sid
}

// ParseBucketStatements returns the flowplan statements (Sid starting with
// "flowplan-") of a bucket policy as s3_bucket_policy_statement resources of
// the bucket's owner. Other statements are not flowplan's and are left out.
func ParseBucketStatements(owner, partition, bucket, policy string) ([]*Resource, error) {
	v, err := decodePolicyJSON(policy)
	if err != nil {
		return nil, fmt.Errorf("bucket policy of %s: %w", bucket, err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("bucket policy of %s is not a JSON object", bucket)
	}
	var list []any
	switch st := obj["Statement"].(type) {
	case nil:
	case []any:
		list = st
	case map[string]any:
		list = []any{st}
	default:
		return nil, fmt.Errorf("bucket policy of %s: Statement is neither an object nor a list", bucket)
	}
	var out []*Resource
	seen := map[string]bool{}
	for _, item := range list {
		stmt, ok := item.(map[string]any)
		if !ok {
			continue
		}
		sid, _ := stmt["Sid"].(string)
		if !strings.HasPrefix(sid, "flowplan-") || seen[sid] {
			continue
		}
		seen[sid] = true
		text, err := encodeJSON(stmt)
		if err != nil {
			return nil, fmt.Errorf("bucket policy of %s: statement %s: %w", bucket, sid, err)
		}
		out = append(out, &Resource{
			Addr:                  StatementAddr(owner, bucket, sid),
			ID:                    BucketStatementID(partition, bucket, sid),
			BucketPolicyStatement: &BucketPolicyStatement{Bucket: bucket, Sid: sid, Statement: text},
		})
	}
	return out, nil
}
