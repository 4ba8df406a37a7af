// Package enginetest provides an in-memory fake engine.Provider whose applies change what its next discovery sees.
package enginetest

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/spec"
)

// Provider is a fake engine.Provider over a World. Each func field, when
// set, replaces the default behaviour of its method; nil means the benign
// default, which reads and changes the World as AWS would. Every call is
// recorded. It is safe for concurrent use.
type Provider struct {
	World *World

	AccountsF        func(ctx context.Context, s *spec.Spec) ([]engine.Account, []engine.ScopeError, error)
	DiscoverAccountF func(ctx context.Context, q engine.AccountQuery) (*engine.AccountState, error)
	DiscoverRegionF  func(ctx context.Context, q engine.RegionQuery) (*engine.RegionState, error)
	DiscoverBucketF  func(ctx context.Context, q engine.BucketQuery) (*engine.BucketState, error)
	ListBucketsF     func(ctx context.Context, a engine.Account) ([]string, error)
	ApplyF           func(ctx context.Context, b *engine.Batch) []engine.Outcome
	// BeforeApply, when set, runs at the start of every Apply call, before
	// the batch is carried out (by ApplyF or the World); tests interrupt an
	// apply with it at a chosen batch.
	BeforeApply func(ctx context.Context, b *engine.Batch)

	// DiscoverErrors fail discovery of a scope: "<account>" (DiscoverAccount),
	// "<account>/<region>" (DiscoverRegion), "<account>/s3/<bucket>" or
	// "<account>/s3/*" (ListBuckets).
	DiscoverErrors map[string]error
	// ApplyErrors fail the changes at these addresses (String form), for
	// every operation.
	ApplyErrors map[string]error
	// DeliveryFailures make flow logs created at these addresses report
	// DeliverLogsStatus FAILED with the given message.
	DeliveryFailures map[string]string
	// ApplyDelay makes every Apply call last at least this long, so that
	// tests can see calls overlap.
	ApplyDelay time.Duration
	// LeaseErrors fail the lease methods named (ListLeases, CreateLease,
	// UpdateLease) with the error.
	LeaseErrors map[string]error
	// BeforeCreateLease, when set, runs at the start of every CreateLease;
	// tests make another run's move there.
	BeforeCreateLease func(q engine.LeaseQuery, l engine.Lease)

	mu          sync.Mutex
	calls       []Call
	inflight    map[string]int
	maxInflight map[string]int
	// tokens remembers flow log create batches by client token, as EC2
	// does: the same token again returns the first answer and does nothing.
	tokens map[string][]engine.Outcome
	// leases are the apply leases, by leaseKey and generation.
	leases map[string]map[int64]engine.Lease
}

var _ engine.Provider = (*Provider)(nil)

// New returns a Provider over a new, empty World.
func New() *Provider { return &Provider{World: NewWorld()} }

// Call is one recorded provider call.
type Call struct {
	// Method is Accounts, DiscoverAccount, DiscoverRegion, DiscoverBucket,
	// ListBuckets, Apply, or a lease method (ListLeases, CreateLease, ...).
	Method string
	// Scope is the account, account-region or bucket scope.
	Scope string
	// Kind and Op describe an Apply batch.
	Kind engine.Kind
	Op   engine.Op
	// Addrs are the addresses of an Apply batch's changes.
	Addrs []string
}

// String renders the call for test failure messages and order checks.
func (c Call) String() string {
	if c.Method == "Apply" {
		return fmt.Sprintf("Apply %s %s %s %v", c.Scope, c.Op, c.Kind, c.Addrs)
	}
	return c.Method + " " + c.Scope
}

// Calls returns the calls made so far, in the order they started.
func (p *Provider) Calls() []Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Call(nil), p.calls...)
}

// ApplyCalls returns the recorded Apply calls.
func (p *Provider) ApplyCalls() []Call {
	var out []Call
	for _, c := range p.Calls() {
		if c.Method == "Apply" {
			out = append(out, c)
		}
	}
	return out
}

// ResetCalls forgets the recorded calls and concurrency figures.
func (p *Provider) ResetCalls() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls, p.inflight, p.maxInflight = nil, nil, nil
}

// MaxConcurrent returns the most calls of a method that were in flight at
// once.
func (p *Provider) MaxConcurrent(method string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.maxInflight[method]
}

func (p *Provider) start(c Call) func() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.inflight == nil {
		p.inflight, p.maxInflight = map[string]int{}, map[string]int{}
	}
	p.calls = append(p.calls, c)
	p.inflight[c.Method]++
	if p.inflight[c.Method] > p.maxInflight[c.Method] {
		p.maxInflight[c.Method] = p.inflight[c.Method]
	}
	return func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.inflight[c.Method]--
	}
}

// Accounts returns World.Accounts, or the spec's static accounts when the
// World has none.
func (p *Provider) Accounts(ctx context.Context, s *spec.Spec) ([]engine.Account, []engine.ScopeError, error) {
	defer p.start(Call{Method: "Accounts"})()
	if p.AccountsF != nil {
		return p.AccountsF(ctx, s)
	}
	p.World.mu.Lock()
	accounts := append([]engine.Account(nil), p.World.Accounts...)
	p.World.mu.Unlock()
	if len(accounts) > 0 {
		return accounts, nil, nil
	}
	for _, a := range s.Accounts {
		accounts = append(accounts, engine.Account{ID: a.ID, Alias: a.Alias, Regions: a.Regions, AssumeRole: a.AssumeRole, ExternalID: a.ExternalID, Source: "accounts"})
	}
	return accounts, nil, nil
}

// DiscoverAccount returns the named roles, the roles under the listed
// paths, and their inline policies among PolicyNames, with documents
// URL-encoded as IAM returns them.
func (p *Provider) DiscoverAccount(ctx context.Context, q engine.AccountQuery) (*engine.AccountState, error) {
	defer p.start(Call{Method: "DiscoverAccount", Scope: q.Account.ID})()
	if err := p.DiscoverErrors[q.Account.ID]; err != nil {
		return nil, err
	}
	if p.DiscoverAccountF != nil {
		return p.DiscoverAccountF(ctx, q)
	}
	w := p.World
	w.mu.Lock()
	defer w.mu.Unlock()
	st := &engine.AccountState{}
	for _, key := range slices.Sorted(maps.Keys(w.Roles)) {
		r := w.Roles[key]
		if r.Addr.Account != q.Account.ID {
			continue
		}
		named := slices.Contains(q.RoleNames, r.Role.Name)
		for _, prefix := range q.ListPathPrefixes {
			named = named || strings.HasPrefix(r.Role.Path, prefix)
		}
		if !named {
			continue
		}
		c := clone(r)
		c.Role.AssumeRolePolicy = url.PathEscape(c.Role.AssumeRolePolicy)
		st.Roles = append(st.Roles, c)
		for _, name := range q.PolicyNames {
			if pol := w.RolePolicies[policyKey(q.Account.ID, r.Role.Name, name)]; pol != nil {
				c := clone(pol)
				c.RolePolicy.Document = url.PathEscape(c.RolePolicy.Document)
				st.RolePolicies = append(st.RolePolicies, c)
			}
		}
	}
	return st, nil
}

// DiscoverRegion returns the targets of the kinds asked for, every flow log
// (shaped as DescribeFlowLogs returns them: no resource type, ":*" on log
// group ARNs) and the log groups asked for.
func (p *Provider) DiscoverRegion(ctx context.Context, q engine.RegionQuery) (*engine.RegionState, error) {
	scope := q.Account.ID + "/" + q.Region
	defer p.start(Call{Method: "DiscoverRegion", Scope: scope})()
	if err := p.DiscoverErrors[scope]; err != nil {
		return nil, err
	}
	if p.DiscoverRegionF != nil {
		return p.DiscoverRegionF(ctx, q)
	}
	w := p.World
	w.mu.Lock()
	defer w.mu.Unlock()
	st := &engine.RegionState{}
	for _, t := range w.Targets[scope] {
		for _, k := range q.TargetKinds {
			if t.Kind == k {
				st.Targets = append(st.Targets, cloneTarget(t))
			}
		}
	}
	for _, id := range slices.Sorted(maps.Keys(w.FlowLogs)) {
		f := w.FlowLogs[id]
		if f.Addr.Scope() != scope {
			continue
		}
		c := clone(f)
		c.FlowLog.ResourceType = ""
		if c.FlowLog.DestinationType == engine.DestCloudWatchLogs {
			c.FlowLog.Destination += ":*"
		}
		st.FlowLogs = append(st.FlowLogs, c)
	}
	for _, key := range slices.Sorted(maps.Keys(w.LogGroups)) {
		lg := w.LogGroups[key]
		if lg.Addr.Scope() != scope {
			continue
		}
		wanted := slices.Contains(q.LogGroupNames, lg.LogGroup.Name)
		for _, prefix := range q.LogGroupPrefixes {
			wanted = wanted || strings.HasPrefix(lg.LogGroup.Name, prefix)
		}
		if wanted {
			st.LogGroups = append(st.LogGroups, clone(lg))
		}
	}
	return st, nil
}

// DiscoverBucket returns a bucket's policy.
func (p *Provider) DiscoverBucket(ctx context.Context, q engine.BucketQuery) (*engine.BucketState, error) {
	scope := engine.BucketScope(q.Account.ID, q.Bucket)
	defer p.start(Call{Method: "DiscoverBucket", Scope: scope})()
	if err := p.DiscoverErrors[scope]; err != nil {
		return nil, err
	}
	if p.DiscoverBucketF != nil {
		return p.DiscoverBucketF(ctx, q)
	}
	w := p.World
	w.mu.Lock()
	defer w.mu.Unlock()
	b := w.Buckets[q.Bucket]
	if b == nil || b.Owner != q.Account.ID {
		return &engine.BucketState{}, nil
	}
	return &engine.BucketState{Exists: true, Policy: b.Policy}, nil
}

// ListBuckets returns the names of the buckets the account owns, sorted.
func (p *Provider) ListBuckets(ctx context.Context, a engine.Account) ([]string, error) {
	scope := engine.BucketScope(a.ID, "*")
	defer p.start(Call{Method: "ListBuckets", Scope: scope})()
	if err := p.DiscoverErrors[scope]; err != nil {
		return nil, err
	}
	if p.ListBucketsF != nil {
		return p.ListBucketsF(ctx, a)
	}
	w := p.World
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for name, b := range w.Buckets {
		if b.Owner == a.ID {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Apply carries out a batch against the World, one outcome per change. A
// flow log create batch with a client token seen before returns the earlier
// answer without acting, as EC2's idempotent CreateFlowLogs does.
func (p *Provider) Apply(ctx context.Context, b *engine.Batch) []engine.Outcome {
	addrs := make([]string, len(b.Changes))
	for i, c := range b.Changes {
		addrs[i] = c.Addr.String()
	}
	defer p.start(Call{Method: "Apply", Scope: b.Account.ID + "/" + b.Region, Kind: b.Kind, Op: b.Op, Addrs: addrs})()
	if p.ApplyDelay > 0 {
		time.Sleep(p.ApplyDelay)
	}
	if p.BeforeApply != nil {
		p.BeforeApply(ctx, b)
	}
	if p.ApplyF != nil {
		return p.ApplyF(ctx, b)
	}
	token := ""
	if b.Kind == engine.KindFlowLog && b.Op == engine.OpCreate {
		token = b.ClientTokenSeed + "\n" + strings.Join(addrs, "\n")
		if cached, ok := p.cachedOutcomes(token, b.Changes); ok {
			return cached
		}
	}
	out := make([]engine.Outcome, len(b.Changes))
	for i, c := range b.Changes {
		out[i] = engine.Outcome{Change: c}
		if err := p.ApplyErrors[c.Addr.String()]; err != nil {
			out[i].Err = err
			continue
		}
		out[i].Resource, out[i].Err = p.World.apply(b, c, p.DeliveryFailures[c.Addr.String()])
	}
	if token != "" {
		p.mu.Lock()
		if p.tokens == nil {
			p.tokens = map[string][]engine.Outcome{}
		}
		p.tokens[token] = out
		p.mu.Unlock()
	}
	return out
}

// cachedOutcomes returns the answer to an earlier create with the same
// client token, re-addressed to this batch's changes.
func (p *Provider) cachedOutcomes(token string, changes []*engine.Change) ([]engine.Outcome, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	cached, ok := p.tokens[token]
	if !ok {
		return nil, false
	}
	out := make([]engine.Outcome, len(changes))
	for i, c := range changes {
		out[i] = cached[i]
		out[i].Change = c
	}
	return out, true
}
