package awsemu

import (
	"fmt"
	"maps"
	"slices"
)

// SandboxCredentials returns the access key ID and secret of the world's
// sandbox credentials (the one marked sandbox, else the first by key ID).
// Both are empty when no world or state is loaded.
func (e *Emulator) SandboxCredentials() (accessKeyID, secretAccessKey string) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	var first *accessKey
	for _, id := range slices.Sorted(maps.Keys(e.st.Keys)) {
		k := e.st.Keys[id]
		if !k.Expires.IsZero() {
			continue
		}
		if k.Sandbox {
			return k.AccessKeyID, k.SecretAccessKey
		}
		if first == nil {
			first = k
		}
	}
	if first == nil {
		return "", ""
	}
	return first.AccessKeyID, first.SecretAccessKey
}

// AddCredentials mints long-lived credentials for a principal of a known
// account; arn defaults to arn:PARTITION:iam::<account>:user/test. Tests use it
// to act directly in an account.
func (e *Emulator) AddCredentials(accountID, arn string) (accessKeyID, secretAccessKey string, err error) {
	err = e.withState(func(st *state) error {
		if st.Accounts[accountID] == nil {
			return fmt.Errorf("add credentials: account %s is not in the world", accountID)
		}
		if arn == "" {
			arn = iamARN(st.Accounts[accountID].partition(), accountID, "user/test")
		}
		k := &accessKey{AccessKeyID: st.accessKeyID(false), SecretAccessKey: st.secret(), Account: accountID, ARN: arn}
		k.UserID = userIDFor(st, arn, accountID)
		st.Keys[k.AccessKeyID] = k
		accessKeyID, secretAccessKey = k.AccessKeyID, k.SecretAccessKey
		return nil
	})
	return accessKeyID, secretAccessKey, err
}

// FlowLog summarises a flow log for tests and out-of-band checks.
type FlowLog struct {
	ID, ResourceID, DestinationType, Destination string
	Tags                                         map[string]string
}

// FlowLogs lists an account-region's flow logs, sorted by ID.
func (e *Emulator) FlowLogs(accountID, region string) []FlowLog {
	var out []FlowLog
	e.readState(func(st *state) {
		a := st.Accounts[accountID]
		if a == nil || a.Regions[region] == nil {
			return
		}
		now := e.now()
		for _, id := range slices.Sorted(maps.Keys(a.Regions[region].FlowLogs)) {
			fl := a.Regions[region].FlowLogs[id]
			if fl.gone(now) {
				continue
			}
			out = append(out, FlowLog{ID: fl.ID, ResourceID: fl.ResourceID, DestinationType: fl.DestinationType,
				Destination: fl.Destination, Tags: copyTags(fl.Tags)})
		}
	})
	return out
}

// DeleteFlowLog deletes a flow log out of band, as someone using the
// console would; drift tests use it.
func (e *Emulator) DeleteFlowLog(accountID, region, flowLogID string) error {
	return e.changeState(func(st *state) error {
		r, err := regionFor(st, accountID, region)
		if err != nil {
			return err
		}
		if r.FlowLogs[flowLogID] == nil {
			return fmt.Errorf("delete flow log %s/%s/%s: no such flow log", accountID, region, flowLogID)
		}
		delete(r.FlowLogs, flowLogID)
		return nil
	})
}

// SetTags changes the tags of an EC2 resource (VPC, subnet, ENI, transit
// gateway, attachment or flow log) out of band: set adds or replaces tags,
// remove deletes keys.
func (e *Emulator) SetTags(accountID, region, resourceID string, set map[string]string, remove []string) error {
	return e.changeState(func(st *state) error {
		r, err := regionFor(st, accountID, region)
		if err != nil {
			return err
		}
		t, _, aerr := taggable(r, resourceID)
		if aerr != nil {
			return fmt.Errorf("set tags %s/%s/%s: %s", accountID, region, resourceID, aerr.Message)
		}
		if *t == nil {
			*t = tags{}
		}
		for k, v := range set {
			(*t)[k] = v
		}
		for _, k := range remove {
			delete(*t, k)
		}
		return nil
	})
}

// SetBucketPolicy replaces (or, with an empty policy, deletes) a bucket
// policy out of band, validated as PutBucketPolicy validates it.
func (e *Emulator) SetBucketPolicy(bucketName, policy string) error {
	return e.changeState(func(st *state) error {
		b := st.Buckets[bucketName]
		if b == nil {
			return fmt.Errorf("set bucket policy %s: no such bucket", bucketName)
		}
		if policy == "" {
			b.Policy = ""
			return nil
		}
		stored, aerr := checkBucketPolicy(st, b, policy)
		if aerr != nil {
			return fmt.Errorf("set bucket policy %s: %s: %s", bucketName, aerr.Code, aerr.Message)
		}
		b.Policy = stored
		return nil
	})
}

// BucketPolicy returns a bucket's stored policy ("" when none).
func (e *Emulator) BucketPolicy(bucketName string) (string, error) {
	var out string
	var err error
	e.readGlobal(func(st *state) {
		b := st.Buckets[bucketName]
		if b == nil {
			err = fmt.Errorf("bucket policy %s: no such bucket", bucketName)
			return
		}
		out = b.Policy
	})
	return out, err
}

func regionFor(st *state, accountID, region string) (*region, error) {
	a := st.Accounts[accountID]
	if a == nil {
		return nil, fmt.Errorf("account %s is not in the world", accountID)
	}
	if !a.regionEnabled(region) {
		return nil, fmt.Errorf("region %s is not enabled in account %s", region, accountID)
	}
	return a.regionOf(region), nil
}

// Accounts lists the world's account IDs, sorted.
func (e *Emulator) Accounts() []string {
	var out []string
	e.readGlobal(func(st *state) { out = slices.Sorted(maps.Keys(st.Accounts)) })
	return out
}
