// Package starter writes a starter spec that describes the flow logs an organisation already has, for 'flowplan init'.
package starter

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/internal/arn"
	"github.com/flowplan/flowplan/spec"
)

// Inventory is what Discover read: the accounts, each account-region's
// state, and the delivery roles the flow logs name. Write turns it into a
// spec; it is plain data, so tests build it by hand.
type Inventory struct {
	// Accounts are the accounts read, with the regions read in each.
	Accounts []engine.Account
	// Regions are the discovered states by "<account>/<region>": every
	// flow log, the targets of every kind some flow log is attached to, and
	// the log groups flow logs deliver to.
	Regions map[string]*engine.RegionState
	// Roles are the delivery roles flow logs name, by ARN, as discovered
	// (with their tags); a role that could not be read is absent.
	Roles map[string]*engine.Resource
	// Errors are the scopes that could not be read.
	Errors []engine.ScopeError
}

// Discover reads, through p, the accounts s names (its accounts, or its
// organization's members) and in each of their regions the flow logs, the
// targets of the kinds flow logs are attached to, the log groups they
// deliver to and the delivery roles they use. It only reads. Scopes that
// fail are recorded in Errors; err is for failures that stop everything.
func Discover(ctx context.Context, p engine.Provider, s *spec.Spec, parallelism int) (*Inventory, error) {
	accounts, problems, err := p.Accounts(ctx, s)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	inv := &Inventory{Accounts: accounts, Regions: map[string]*engine.RegionState{}, Roles: map[string]*engine.Resource{}, Errors: problems}
	type scope struct {
		account engine.Account
		region  string
	}
	var scopes []scope
	for _, a := range accounts {
		for _, r := range a.Regions {
			scopes = append(scopes, scope{a, r})
		}
	}
	var mu sync.Mutex
	fail := func(key string, err error) {
		mu.Lock()
		defer mu.Unlock()
		inv.Errors = append(inv.Errors, engine.ScopeError{Scope: key, Message: err.Error()})
	}
	// First the flow logs alone, to learn which target kinds and log
	// groups matter; then those, with the flow logs again.
	first := make([]*engine.RegionState, len(scopes))
	forEach(len(scopes), parallelism, func(i int) {
		sc := scopes[i]
		st, err := p.DiscoverRegion(ctx, engine.RegionQuery{Account: sc.account, Region: sc.region})
		if err != nil {
			fail(sc.account.ID+"/"+sc.region, err)
			return
		}
		first[i] = st
	})
	kinds := map[spec.TargetKind]bool{}
	for _, st := range first {
		if st == nil {
			continue
		}
		for _, fl := range st.FlowLogs {
			if k, ok := kindOf(engine.Normalize(fl).FlowLog.ResourceType); ok {
				kinds[k] = true
			}
		}
	}
	var kindList []spec.TargetKind
	for _, k := range spec.TargetKinds {
		if kinds[k] {
			kindList = append(kindList, k)
		}
	}
	forEach(len(scopes), parallelism, func(i int) {
		sc := scopes[i]
		if first[i] == nil {
			return
		}
		var groups []string
		for _, fl := range first[i].FlowLogs {
			n := engine.Normalize(fl).FlowLog
			if account, region, name, ok := logGroupOf(n); ok && account == sc.account.ID && region == sc.region && !slices.Contains(groups, name) {
				groups = append(groups, name)
			}
		}
		sort.Strings(groups)
		st, err := p.DiscoverRegion(ctx, engine.RegionQuery{Account: sc.account, Region: sc.region, TargetKinds: kindList, LogGroupNames: groups})
		if err != nil {
			fail(sc.account.ID+"/"+sc.region, err)
			return
		}
		mu.Lock()
		inv.Regions[sc.account.ID+"/"+sc.region] = st
		mu.Unlock()
	})
	// The delivery roles, each read in its own account when flowplan reads
	// that account.
	byAccount := map[string][]string{}
	for _, st := range inv.Regions {
		for _, fl := range st.FlowLogs {
			if account, name, ok := roleOf(engine.Normalize(fl).FlowLog.DeliverLogsPermissionARN); ok && !slices.Contains(byAccount[account], name) {
				byAccount[account] = append(byAccount[account], name)
			}
		}
	}
	var readable []engine.Account
	for _, a := range accounts {
		if len(byAccount[a.ID]) > 0 {
			readable = append(readable, a)
		}
	}
	forEach(len(readable), parallelism, func(i int) {
		a := readable[i]
		names := byAccount[a.ID]
		sort.Strings(names)
		st, err := p.DiscoverAccount(ctx, engine.AccountQuery{Account: a, RoleNames: names})
		if err != nil {
			fail(a.ID+"/"+engine.GlobalRegion, err)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		for _, r := range st.Roles {
			inv.Roles[r.ID] = r
		}
	})
	sort.Slice(inv.Errors, func(i, j int) bool { return inv.Errors[i].Scope < inv.Errors[j].Scope })
	return inv, nil
}

// forEach runs fn(0..n-1), at most parallelism at once.
func forEach(n, parallelism int, fn func(i int)) {
	sem := make(chan struct{}, max(parallelism, 1))
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			fn(i)
		})
	}
	wg.Wait()
}

// kindOf maps a flow log's ResourceType to the spec's target kind.
func kindOf(resourceType string) (spec.TargetKind, bool) {
	for _, k := range spec.TargetKinds {
		if k.ResourceType() == resourceType {
			return k, true
		}
	}
	return "", false
}

// logGroupOf splits a normalised CloudWatch Logs destination,
// arn:PARTITION:logs:REGION:ACCOUNT:log-group:NAME.
func logGroupOf(fl *engine.FlowLog) (account, region, name string, ok bool) {
	if fl.DestinationType != engine.DestCloudWatchLogs {
		return "", "", "", false
	}
	a, ok := arn.Parse(fl.Destination)
	if !ok {
		return "", "", "", false
	}
	name, ok = arn.ParseLogGroup(fl.Destination)
	return a.Account, a.Region, name, ok
}

// roleOf splits a role ARN, arn:PARTITION:iam::ACCOUNT:role/PATH/NAME.
func roleOf(s string) (account, name string, ok bool) { return arn.ParseRole(s) }
