package engine

import (
	"sort"
	"strings"

	"github.com/flowplan/flowplan/internal/arn"
)

// This file fills Change.DependsOn. Creates and updates follow the chain
// role → role policy → log group / bucket policy statement → flow log;
// deletes run the other way: a role goes only after the flow logs that used
// it and its policy, a statement only after the flow logs writing through it.

// writes reports whether a change leaves a resource in place that others
// may need: a create, an update, a replace or an adopt (an adopted role
// gets the trust its flow logs need).
func writes(c *Change) bool {
	return c != nil && (c.Action == Create || c.Action == Update || c.Action == Replace || c.Action == Adopt)
}

// removes reports whether a change takes away the resource in Before.
func removes(c *Change) bool {
	return c != nil && (c.Action == Delete || c.Action == Replace)
}

func (d *differ) dependencies() {
	ix := newChangeIndex(d.changes)
	for _, c := range d.changes {
		c.DependsOn = ix.dependsOn(c)
	}
}

// changeIndex finds a plan's changes by address and by kind.
type changeIndex struct {
	byAddr map[Addr]*Change
	byKind map[Kind][]*Change
}

func newChangeIndex(byAddr map[Addr]*Change) *changeIndex {
	ix := &changeIndex{byAddr: byAddr, byKind: map[Kind][]*Change{}}
	for _, c := range byAddr {
		ix.byKind[c.Addr.Kind] = append(ix.byKind[c.Addr.Kind], c)
	}
	return ix
}

// dependsOn returns the addresses of the changes c must wait for: the
// writes of what it needs in place, or, for a delete, the removals of what
// still uses the resource.
func (ix *changeIndex) dependsOn(c *Change) []Addr {
	deps := map[Addr]bool{}
	need := func(o *Change, ok bool) {
		if ok && o != nil && o.Addr != c.Addr {
			deps[o.Addr] = true
		}
	}
	for _, o := range ix.needs(c) {
		need(o, writes(o))
	}
	switch {
	case c.Action == Delete && c.Addr.Kind == KindRole:
		for _, o := range ix.byKind[KindRolePolicy] {
			need(o, o.Action == Delete && roleAddrOf(o.Addr) == c.Addr)
		}
		for _, o := range ix.byKind[KindFlowLog] {
			need(o, removes(o) && usesRole(o.Before, c.Addr))
		}
	case c.Action == Delete && c.Addr.Kind == KindRolePolicy:
		for _, o := range ix.byKind[KindFlowLog] {
			need(o, removes(o) && usesRole(o.Before, roleAddrOf(c.Addr)))
		}
	case c.Action == Delete && c.Addr.Kind == KindBucketPolicyStatement:
		bucket := c.Before.BucketPolicyStatement.Bucket
		for _, o := range ix.byKind[KindFlowLog] {
			if removes(o) {
				b, _, ok := s3BucketAndPrefix(o.Before.FlowLog)
				need(o, ok && b == bucket)
			}
		}
	}
	return sortedAddrs(deps)
}

// needs returns the changes, whatever their action, whose resources c
// needs in place: a role policy being written needs its role; a flow log
// being created needs its delivery role and the role's policy, its log
// group, and its bucket's statements.
func (ix *changeIndex) needs(c *Change) []*Change {
	switch {
	case c.Addr.Kind == KindRolePolicy && writes(c):
		if role := ix.byAddr[roleAddrOf(c.Addr)]; role != nil {
			return []*Change{role}
		}
	case c.Addr.Kind == KindFlowLog && (c.Action == Create || c.Action == Replace) && c.After != nil && c.After.FlowLog != nil:
		return ix.flowLogNeeds(c.Addr, c.After.FlowLog)
	}
	return nil
}

// flowLogNeeds returns the changes a new flow log f at address a needs.
func (ix *changeIndex) flowLogNeeds(a Addr, f *FlowLog) []*Change {
	var out []*Change
	add := func(at Addr) {
		if c := ix.byAddr[at]; c != nil {
			out = append(out, c)
		}
	}
	if role, ok := roleAddrFromARN(f.DeliverLogsPermissionARN); ok {
		add(role)
		add(RolePolicyAddr(role.Account, role.Name, DeliveryPolicyName))
	}
	switch f.DestinationType {
	case DestCloudWatchLogs:
		if name, ok := arn.ParseLogGroup(f.Destination); ok {
			add(LogGroupAddr(a.Account, a.Region, name))
		}
	case DestS3:
		bucket, prefix, ok := s3BucketAndPrefix(f)
		if !ok {
			break
		}
		for _, o := range ix.byKind[KindBucketPolicyStatement] {
			st := statementOf(o)
			if st != nil && st.Bucket == bucket && (strings.HasSuffix(st.Sid, "-aclcheck") || strings.HasSuffix(st.Sid, "-"+WriteStatementKind(prefix))) {
				out = append(out, o)
			}
		}
	}
	return out
}

// statementOf returns the bucket policy statement a change is about, or nil.
func statementOf(c *Change) *BucketPolicyStatement {
	for _, r := range [...]*Resource{c.After, c.Before} {
		if r != nil && r.BucketPolicyStatement != nil {
			return r.BucketPolicyStatement
		}
	}
	return nil
}

// usesRole reports whether flow log r delivers through the role at address
// role. A role's name is unique in its account whatever its path, so the
// ARN's account and name decide, in any partition.
func usesRole(r *Resource, role Addr) bool {
	if r == nil || r.FlowLog == nil {
		return false
	}
	for _, arn := range [...]string{r.FlowLog.DeliverLogsPermissionARN, r.FlowLog.DeliverCrossAccountRole} {
		if a, ok := roleAddrFromARN(arn); ok && a == role {
			return true
		}
	}
	return false
}

// roleAddrFromARN returns the address of the role an IAM role ARN names.
func roleAddrFromARN(s string) (Addr, bool) {
	account, name, ok := arn.ParseRole(s)
	return RoleAddr(account, name), ok
}

// s3BucketAndPrefix splits an S3 flow log's destination into the bucket
// name and the prefix ("" or ending in "/").
func s3BucketAndPrefix(f *FlowLog) (bucket, prefix string, ok bool) {
	if f == nil || f.DestinationType != DestS3 {
		return "", "", false
	}
	_, bucket, prefix, ok = arn.ParseBucket(NormalizeDestination(DestS3, f.Destination))
	return bucket, prefix, ok
}

func sortedAddrs(m map[Addr]bool) []Addr {
	if len(m) == 0 {
		return nil
	}
	out := make([]Addr, 0, len(m))
	for a := range m {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Less(out[j]) })
	return out
}
