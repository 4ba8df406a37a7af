package engine

// The address of every kind is made here, and only here: providers return
// resources as AWS describes them, and the engine addresses them. A flow
// log's name depends on the spec that owns it, so only FlowLogAddrs and
// the differ name discovered flow logs.

// RoleAddr is the address of a delivery role.
func RoleAddr(account, name string) Addr {
	return Addr{Account: account, Region: GlobalRegion, Kind: KindRole, Name: name}
}

// RolePolicyAddr is the address of a role's inline policy.
func RolePolicyAddr(account, role, policy string) Addr {
	return Addr{Account: account, Region: GlobalRegion, Kind: KindRolePolicy, Name: role + "/" + policy}
}

// LogGroupAddr is the address of a log group.
func LogGroupAddr(account, region, name string) Addr {
	return Addr{Account: account, Region: region, Kind: KindLogGroup, Name: name}
}

// StatementAddr is the address of a bucket policy statement; account is the
// bucket's owner.
func StatementAddr(owner, bucket, sid string) Addr {
	return Addr{Account: owner, Region: GlobalRegion, Kind: KindBucketPolicyStatement, Name: bucket + "/" + sid}
}

// BucketAddr is the address notes and errors about a whole bucket policy
// use: the statement kind, named by the bucket alone.
func BucketAddr(owner, bucket string) Addr {
	return Addr{Account: owner, Region: GlobalRegion, Kind: KindBucketPolicyStatement, Name: bucket}
}

// ManagedFlowLogAddr is the address of the flow log a rule wants on a
// resource: <rule>/<resource id>.
func ManagedFlowLogAddr(account, region, rule, resourceID string) Addr {
	return Addr{Account: account, Region: region, Kind: KindFlowLog, Name: rule + "/" + resourceID}
}

// OtherFlowLogAddr is the address of a flow log no rule of the spec names:
// <resource id>/<flow log id>.
func OtherFlowLogAddr(account, region, resourceID, flowLogID string) Addr {
	return Addr{Account: account, Region: region, Kind: KindFlowLog, Name: resourceID + "/" + flowLogID}
}

// flowLogAddr addresses a discovered flow log: by its rule when the spec
// owns it and the address is free, else by its ID. taken records the names
// used so far in the account-region; a second flow log of one rule on one
// resource takes the ID form.
func flowLogAddr(account, region, specName string, f *Resource, taken map[Addr]bool) Addr {
	a := OtherFlowLogAddr(account, region, f.FlowLog.ResourceID, f.ID)
	if rule := f.Tags[TagRule]; f.Tags[TagSpec] == specName && rule != "" {
		if m := ManagedFlowLogAddr(account, region, rule, f.FlowLog.ResourceID); !taken[m] {
			a = m
		}
	}
	taken[a] = true
	return a
}
