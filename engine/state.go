package engine

import "sort"

// State is a set of resources keyed by address, with what was learnt while
// reading them. Discover builds the current State; Expand builds the desired
// one. Fields marked "current only" or "desired only" are empty on the other.
type State struct {
	// Resources are keyed by address.
	Resources map[Addr]*Resource

	// Accounts are the accounts covered (current only). Bucket owner accounts
	// that are not managed accounts appear with no regions.
	Accounts []Account
	// Listed are every account listed, of every shard, with the bucket
	// owners (current only): Accounts, unless the run is sharded. Expand
	// decides bucket policies from them; nil means Accounts.
	Listed []Account
	// Targets are the discovered targets per account-region scope
	// ("<account>/<region>"), current only. A scope is present, possibly with
	// no targets, exactly when its discovery succeeded; Expand produces
	// nothing in an absent scope.
	Targets map[string][]Target
	// Buckets are the managed buckets' discovered policies by bucket name,
	// current only; present exactly when the bucket's discovery succeeded.
	Buckets map[string]*BucketState
	// Errors are discovery failures (current only); their scopes have no
	// resources and no changes.
	Errors []ScopeError

	// Spec identifies the spec the state was expanded from (desired only).
	Spec SpecRef
	// Prune is the spec's prune setting (desired only).
	Prune bool
	// Notes are things Expand noticed (desired only); Diff copies them into
	// the plan.
	Notes []Note
	// AdoptRoles are the delivery roles the spec may take over (desired
	// only): those whose delivery_roles entry has adopt: true. Diff adopts
	// such a role when it exists without any spec's ownership tags.
	AdoptRoles map[Addr]bool
	// BucketOwners are the owners of the managed buckets by bucket name
	// (current only): the bucket_account the spec gives, or the account
	// discovery found owning the bucket. A bucket whose owner is unknown is
	// absent, and the plan has an error in its scope.
	BucketOwners map[string]string
}

// NewState returns an empty State ready to be filled.
func NewState() *State {
	return &State{
		Resources: map[Addr]*Resource{},
		Targets:   map[string][]Target{},
		Buckets:   map[string]*BucketState{},
	}
}

// adoptAllRoles records that Diff may adopt every desired role
// (--adopt-roles).
func (s *State) adoptAllRoles() {
	for a := range s.Resources {
		if a.Kind == KindRole {
			s.adoptRole(a)
		}
	}
}

// adoptRole records that Diff may adopt the role at a.
func (s *State) adoptRole(a Addr) {
	if s.AdoptRoles == nil {
		s.AdoptRoles = map[Addr]bool{}
	}
	s.AdoptRoles[a] = true
}

// Add stores r under its address, replacing any resource already there.
func (s *State) Add(r *Resource) {
	if s.Resources == nil {
		s.Resources = map[Addr]*Resource{}
	}
	s.Resources[r.Addr] = r
}

// Sorted returns the resources ordered by address.
func (s *State) Sorted() []*Resource {
	if s == nil {
		return nil
	}
	out := make([]*Resource, 0, len(s.Resources))
	for _, r := range s.Resources {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Addr.Less(out[j].Addr) })
	return out
}

// Scope returns the account-region scope key of an address:
// "<account>/<region>", with region "global" for global resources.
func (a Addr) Scope() string { return a.Account + "/" + a.Region }

// scopeKey joins an account and a region into a scope key.
func scopeKey(account, region string) string { return account + "/" + region }
