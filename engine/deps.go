package engine

import (
	"sort"
	"strings"
)

// This file fills Change.DependsOn. Creates and updates follow the chain
// role → role policy → log group / bucket policy statement → flow log;
// deletes run the other way: a role goes only after the flow logs that used
// it and its policy, a statement only after the flow logs writing through it.

// writes reports whether a change leaves a resource in place that others
// may need: a create, an update or a replace.
func writes(c *Change) bool {
	return c != nil && (c.Action == Create || c.Action == Update || c.Action == Replace)
}

// removes reports whether a change takes away the resource in Before.
func removes(c *Change) bool {
	return c != nil && (c.Action == Delete || c.Action == Replace)
}

func (d *differ) dependencies() {
	byKind := map[Kind][]*Change{}
	for _, c := range sortedChanges(d.changes) {
		byKind[c.Addr.Kind] = append(byKind[c.Addr.Kind], c)
	}
	for _, c := range d.changes {
		deps := map[Addr]bool{}
		need := func(o *Change, ok bool) {
			if ok && o != nil && o.Addr != c.Addr {
				deps[o.Addr] = true
			}
		}
		switch {
		case c.Addr.Kind == KindRolePolicy && writes(c):
			need(d.changes[roleAddrOf(c.Addr)], writes(d.changes[roleAddrOf(c.Addr)]))
		case c.Addr.Kind == KindFlowLog && (c.Action == Create || c.Action == Replace):
			for _, o := range d.flowLogNeeds(c, byKind) {
				need(o, writes(o))
			}
		case c.Action == Delete && c.Addr.Kind == KindRole:
			for _, o := range byKind[KindRolePolicy] {
				need(o, o.Action == Delete && roleAddrOf(o.Addr) == c.Addr)
			}
			for _, o := range byKind[KindFlowLog] {
				need(o, removes(o) && usesRole(o.Before, c.Addr))
			}
		case c.Action == Delete && c.Addr.Kind == KindRolePolicy:
			for _, o := range byKind[KindFlowLog] {
				need(o, removes(o) && usesRole(o.Before, roleAddrOf(c.Addr)))
			}
		case c.Action == Delete && c.Addr.Kind == KindBucketPolicyStatement:
			bucket := c.Before.BucketPolicyStatement.Bucket
			for _, o := range byKind[KindFlowLog] {
				if removes(o) {
					b, _, ok := s3BucketAndPrefix(o.Before.FlowLog)
					need(o, ok && b == bucket)
				}
			}
		}
		c.DependsOn = sortedAddrs(deps)
	}
}

// flowLogNeeds returns the changes a new flow log needs: its delivery role
// and the role's policy, its log group, and its bucket's statements.
func (d *differ) flowLogNeeds(c *Change, byKind map[Kind][]*Change) []*Change {
	f := c.After.FlowLog
	var out []*Change
	if role, ok := roleAddrFromARN(f.DeliverLogsPermissionARN); ok {
		out = append(out, d.changes[role])
		out = append(out, d.changes[Addr{Account: role.Account, Region: GlobalRegion, Kind: KindRolePolicy, Name: role.Name + "/" + DeliveryPolicyName}])
	}
	switch f.DestinationType {
	case DestCloudWatchLogs:
		if name, ok := logGroupNameFromARN(f.Destination); ok {
			out = append(out, d.changes[Addr{Account: c.Addr.Account, Region: c.Addr.Region, Kind: KindLogGroup, Name: name}])
		}
	case DestS3:
		bucket, prefix, ok := s3BucketAndPrefix(f)
		if !ok {
			break
		}
		for _, o := range byKind[KindBucketPolicyStatement] {
			st := statementOf(o)
			if st != nil && st.Bucket == bucket && (strings.HasSuffix(st.Sid, "-aclcheck") || strings.HasSuffix(st.Sid, "-"+WriteStatementKind(prefix))) {
				out = append(out, o)
			}
		}
	}
	return out
}

func statementOf(c *Change) *BucketPolicyStatement {
	if c.After != nil {
		return c.After.BucketPolicyStatement
	}
	return c.Before.BucketPolicyStatement
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
func roleAddrFromARN(arn string) (Addr, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[2] != "iam" || !strings.HasPrefix(parts[5], "role/") {
		return Addr{}, false
	}
	path := parts[5]
	return Addr{Account: parts[4], Region: GlobalRegion, Kind: KindRole, Name: path[strings.LastIndex(path, "/")+1:]}, true
}

// logGroupNameFromARN returns the log group name in a CloudWatch Logs ARN.
func logGroupNameFromARN(arn string) (string, bool) {
	_, name, ok := strings.Cut(strings.TrimSuffix(arn, ":*"), ":log-group:")
	return name, ok && name != ""
}

// s3BucketAndPrefix splits an S3 flow log's destination into the bucket
// name and the prefix ("" or ending in "/").
func s3BucketAndPrefix(f *FlowLog) (bucket, prefix string, ok bool) {
	if f == nil || f.DestinationType != DestS3 {
		return "", "", false
	}
	_, rest, found := strings.Cut(NormalizeDestination(DestS3, f.Destination), ":::")
	if !found || rest == "" {
		return "", "", false
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	return bucket, prefix, true
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
