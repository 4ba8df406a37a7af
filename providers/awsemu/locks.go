package awsemu

import (
	"sync"
)

// Locking. The emulator's state is split in two kinds of data, each with
// its own lock:
//
//   - Scope data: the contents of one account-region (its VPCs, subnets,
//     interfaces, transit gateways, NAT gateways, flow logs, log groups and
//     idempotency tokens), guarded by that account-region's scope lock
//     (scopeLock). EC2 and CloudWatch Logs calls read and write only their
//     own account-region's scope data, so calls in different
//     account-regions run in parallel.
//   - Global data: everything else: the accounts and which regions each
//     has, IAM (roles, instance profiles; IAM is a global service), S3
//     buckets and their objects (bucket names are global), access keys
//     (STS), the organisation, and the delivery streams (no API call
//     writes them; only world files do). It is guarded by e.mu.
//
// A call takes its locks in one fixed order, and never a second scope lock:
//
//	e.saves.fileMu (saves only) → e.mu → at most one scope lock → leaf locks
//
// The leaf locks (state.idMu for generated IDs, e.eventsMu, e.pumps.mu,
// e.saves.mu, e.scopeMu, e.policyMu and the fault, counter and throttle locks) are held
// only briefly and take nothing after them. So no two calls can wait on
// each other in a cycle.
//
// Calls take:
//
//   - lockScope: e.mu for reading and their account-region's scope lock,
//     for writing when the call changes state (EC2, CloudWatch Logs,
//     Firehose). They read global data freely: it cannot change while e.mu
//     is held for reading. That covers the cross-scope reads of
//     DescribeFlowLogs's DeliverLogsStatus (the delivery role in IAM, the
//     bucket's policy, another account's delivery stream).
//   - lockGlobalRead: e.mu for reading (reads of IAM, S3, Organizations,
//     STS). They read no scope data.
//   - lockExclusive: e.mu for writing, which excludes every other call
//     (writes of IAM, S3 and STS; CreateFlowLogs to S3, which may attach a
//     bucket policy, a write of global data; the delivery pump, which
//     writes log streams of many account-regions and objects of buckets;
//     saving and loading the state; out-of-band changes). Holding e.mu for
//     writing, a call may read and write any data.
type lockMode int

const (
	lockScope lockMode = iota + 1
	lockGlobalRead
	lockExclusive
)

// scopeKey names an account-region.
type scopeKey struct{ account, region string }

// scopeLock returns the lock of an account-region's scope data, making it
// on first use. Locks are never removed: there are as many as
// account-regions ever used.
func (e *Emulator) scopeLock(k scopeKey) *sync.RWMutex {
	e.scopeMu.Lock()
	defer e.scopeMu.Unlock()
	l := e.scopes[k]
	if l == nil {
		l = &sync.RWMutex{}
		e.scopes[k] = l
	}
	return l
}

// lockModeOf is the locking an action needs (see above).
func lockModeOf(c *call, act *action) lockMode {
	switch {
	case act.exclusive != nil && act.exclusive(c):
		return lockExclusive
	case !c.svc.scoped && act.mutating:
		return lockExclusive
	case !c.svc.scoped:
		return lockGlobalRead
	}
	return lockScope
}

// lockCall takes the locks of a call in mode and returns the function
// that releases them. For a call that writes in its account-region, the
// region is made first (with e.mu held for writing: which regions an
// account has is global data), so that the handler finds it.
func (e *Emulator) lockCall(c *call, mode lockMode) (unlock func()) {
	switch mode {
	case lockExclusive:
		e.mu.Lock()
		return e.mu.Unlock
	case lockGlobalRead:
		e.mu.RLock()
		return e.mu.RUnlock
	}
	k := scopeKey{c.key.Account, c.region}
	l := e.scopeLock(k)
	for {
		e.mu.RLock()
		a := e.st.Accounts[k.account]
		if !c.mutating || a == nil || a.Regions[k.region] != nil {
			break
		}
		// The region is missing: make it, then look again (a Load may
		// replace the state in between).
		e.mu.RUnlock()
		e.mu.Lock()
		if a := e.st.Accounts[k.account]; a != nil {
			a.regionOf(k.region)
		}
		e.mu.Unlock()
	}
	if c.mutating {
		l.Lock()
		return func() { l.Unlock(); e.mu.RUnlock() }
	}
	l.RLock()
	return func() { l.RUnlock(); e.mu.RUnlock() }
}
