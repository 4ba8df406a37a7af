package enginetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/internal/arn"
)

// World is an in-memory AWS estate: what the fake Provider discovers and
// what its applies change. Tests fill it with the Add methods and inspect
// it with the accessors; all are safe for concurrent use.
type World struct {
	mu sync.Mutex
	// Accounts, when set, are what Provider.Accounts returns.
	Accounts []engine.Account
	// Targets by "<account>/<region>".
	Targets map[string][]engine.Target
	// FlowLogs by flow log ID; Addr.Account and Addr.Region place them.
	FlowLogs map[string]*engine.Resource
	// LogGroups by "<account>/<region>/<name>".
	LogGroups map[string]*engine.Resource
	// Roles by "<account>/<name>"; ID is the role ARN.
	Roles map[string]*engine.Resource
	// RolePolicies by "<account>/<role>/<policy>".
	RolePolicies map[string]*engine.Resource
	// Buckets by name.
	Buckets map[string]*Bucket
	// Duplicate, when set, replaces the fake's rule for
	// FlowLogAlreadyExists (see duplicate), to stand for a backend with
	// another rule, such as moto's.
	Duplicate func(a, b *engine.FlowLog) bool
	nextID    int
}

// Bucket is an S3 bucket with its policy JSON ("" for none).
type Bucket struct {
	Owner  string
	Policy string
}

// NewWorld returns an empty World.
func NewWorld() *World {
	return &World{
		Targets:      map[string][]engine.Target{},
		FlowLogs:     map[string]*engine.Resource{},
		LogGroups:    map[string]*engine.Resource{},
		Roles:        map[string]*engine.Resource{},
		RolePolicies: map[string]*engine.Resource{},
		Buckets:      map[string]*Bucket{},
	}
}

// AddTarget adds a target to an account-region.
func (w *World) AddTarget(account, region string, t engine.Target) {
	w.mu.Lock()
	defer w.mu.Unlock()
	key := account + "/" + region
	w.Targets[key] = append(w.Targets[key], t)
}

// SetTargetTags replaces a target's tags.
func (w *World) SetTargetTags(account, region, id string, tags map[string]string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, t := range w.Targets[account+"/"+region] {
		if t.ID == id {
			w.Targets[account+"/"+region][i].Tags = tags
		}
	}
}

// AddFlowLog adds a flow log as someone outside flowplan would; it gets an
// ID when it has none, and the ID is returned.
func (w *World) AddFlowLog(account, region string, r *engine.Resource) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := clone(r)
	c.Addr = engine.Addr{Account: account, Region: region, Kind: engine.KindFlowLog, Name: c.FlowLog.ResourceID}
	if c.ID == "" {
		c.ID = w.newID("fl")
	}
	w.FlowLogs[c.ID] = c
	return c.ID
}

// HasFlowLog reports whether the flow log exists.
func (w *World) HasFlowLog(id string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.FlowLogs[id] != nil
}

// DeleteFlowLog removes a flow log behind flowplan's back.
func (w *World) DeleteFlowLog(id string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.FlowLogs, id)
}

// AddLogGroup adds a log group.
func (w *World) AddLogGroup(account, region string, name string, retention int, tags map[string]string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.LogGroups[account+"/"+region+"/"+name] = &engine.Resource{
		Addr: engine.Addr{Account: account, Region: region, Kind: engine.KindLogGroup, Name: name},
		ID:   arn.LogGroup(account, region, name), Tags: copyTags(tags),
		LogGroup: &engine.LogGroup{Name: name, RetentionDays: retention},
	}
}

// AddRole adds an IAM role.
func (w *World) AddRole(account string, role engine.Role, tags map[string]string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.Roles[account+"/"+role.Name] = &engine.Resource{
		Addr: engine.Addr{Account: account, Region: engine.GlobalRegion, Kind: engine.KindRole, Name: role.Name},
		ID:   arn.Role("aws", account, role.Path, role.Name), Tags: copyTags(tags), Role: &role,
	}
}

// AddBucket adds an S3 bucket.
func (w *World) AddBucket(name, owner, policy string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.Buckets[name] = &Bucket{Owner: owner, Policy: policy}
}

// FlowLogsOn returns copies of the flow logs on a resource, sorted by ID.
func (w *World) FlowLogsOn(resourceID string) []*engine.Resource {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []*engine.Resource
	for _, id := range slices.Sorted(maps.Keys(w.FlowLogs)) {
		if f := w.FlowLogs[id]; f.FlowLog.ResourceID == resourceID {
			out = append(out, clone(f))
		}
	}
	return out
}

// FlowLogCount returns how many flow logs exist.
func (w *World) FlowLogCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.FlowLogs)
}

// HasRole reports whether a role exists.
func (w *World) HasRole(account, name string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.Roles[account+"/"+name] != nil
}

// HasLogGroup reports whether a log group exists.
func (w *World) HasLogGroup(account, region, name string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.LogGroups[account+"/"+region+"/"+name] != nil
}

// SetLogGroupRetention changes a log group's retention behind flowplan's back.
func (w *World) SetLogGroupRetention(account, region, name string, days int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if lg := w.LogGroups[account+"/"+region+"/"+name]; lg != nil {
		lg.LogGroup.RetentionDays = days
	}
}

// BucketPolicy returns a bucket's policy JSON.
func (w *World) BucketPolicy(name string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if b := w.Buckets[name]; b != nil {
		return b.Policy
	}
	return ""
}

func (w *World) newID(prefix string) string {
	w.nextID++
	return fmt.Sprintf("%s-%08x", prefix, w.nextID)
}

func policyKey(account, role, policy string) string { return account + "/" + role + "/" + policy }

// apply carries out one change. Errors mimic AWS's and wrap the engine's
// sentinels where AWS's meaning matches.
func (w *World) apply(b *engine.Batch, c *engine.Change, deliveryFailure string) (*engine.Resource, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch b.Kind {
	case engine.KindFlowLog:
		return w.applyFlowLog(b.Op, c, deliveryFailure)
	case engine.KindRole:
		return w.applyRole(b.Op, c)
	case engine.KindRolePolicy:
		return w.applyRolePolicy(b.Op, c)
	case engine.KindLogGroup:
		return w.applyLogGroup(b.Op, c)
	case engine.KindBucketPolicyStatement:
		return w.applyStatement(b.Op, c)
	}
	return nil, fmt.Errorf("enginetest: unknown kind %q", b.Kind)
}

func notFound(what string) error {
	return fmt.Errorf("%s does not exist: %w", what, engine.ErrNotFound)
}

func (w *World) applyFlowLog(op engine.Op, c *engine.Change, deliveryFailure string) (*engine.Resource, error) {
	switch op {
	case engine.OpCreate:
		f := c.After.FlowLog
		if err := w.checkRoles(c.Addr.Account, f); err != nil {
			return nil, err
		}
		for _, id := range slices.Sorted(maps.Keys(w.FlowLogs)) {
			if o := w.FlowLogs[id]; o.Addr.Scope() == c.Addr.Scope() && w.duplicate(o.FlowLog, f) {
				return nil, fmt.Errorf("FlowLogAlreadyExists: Error. There is an existing Flow Log with the same configuration and log destination (%s): %w", id, engine.ErrAlreadyExists)
			}
		}
		r := clone(c.After)
		r.ID = w.newID("fl")
		r.Addr = engine.Addr{Account: c.Addr.Account, Region: c.Addr.Region, Kind: engine.KindFlowLog, Name: f.ResourceID}
		r.FlowLog.Status = &engine.FlowLogStatus{FlowLogStatus: "ACTIVE", DeliverLogsStatus: "SUCCESS"}
		if deliveryFailure != "" {
			r.FlowLog.Status.DeliverLogsStatus, r.FlowLog.Status.DeliverLogsErrorMessage = "FAILED", deliveryFailure
		}
		w.FlowLogs[r.ID] = r
		return clone(r), nil
	case engine.OpUpdate, engine.OpAdopt:
		id := c.Before.ID
		f := w.FlowLogs[id]
		if f == nil {
			return nil, notFound("flow log " + id)
		}
		if f.Tags == nil {
			f.Tags = map[string]string{}
		}
		for k, v := range c.After.Tags {
			f.Tags[k] = v
		}
		return clone(f), nil
	case engine.OpDelete:
		if w.FlowLogs[c.Before.ID] == nil {
			return nil, notFound("flow log " + c.Before.ID)
		}
		delete(w.FlowLogs, c.Before.ID)
		return nil, nil
	}
	return nil, fmt.Errorf("enginetest: flow log op %q", op)
}

// duplicate is the fake's rule for FlowLogAlreadyExists: World.Duplicate,
// or the same resource, destination and traffic type (AWS does not
// document its exact rule; its CloudWatch Logs guide has two traffic types
// of one network interface publish to one log group).
func (w *World) duplicate(a, b *engine.FlowLog) bool {
	if w.Duplicate != nil {
		return w.Duplicate(a, b)
	}
	return a.ResourceID == b.ResourceID && a.DestinationType == b.DestinationType && a.TrafficType == b.TrafficType &&
		engine.NormalizeDestination(a.DestinationType, a.Destination) == engine.NormalizeDestination(b.DestinationType, b.Destination)
}

// checkRoles applies CreateFlowLogs' rules on a new flow log's roles, as
// AWS documents them: CloudWatch Logs needs DeliverLogsPermissionArn and S3
// refuses it; Firehose needs it and DeliverCrossAccountRole when the stream
// is in another account, and refuses both within the stream's account. The
// delivery role must exist and trust the service that assumes it.
func (w *World) checkRoles(account string, f *engine.FlowLog) error {
	role, cross := f.DeliverLogsPermissionARN, f.DeliverCrossAccountRole
	service := "vpc-flow-logs.amazonaws.com"
	switch f.DestinationType {
	case engine.DestCloudWatchLogs:
		if role == "" {
			return errors.New("InvalidParameter: DeliverLogsPermissionArn can't be empty if LogDestinationType is cloud-watch-logs")
		}
	case engine.DestS3:
		if role != "" {
			return errors.New("InvalidParameter: DeliverLogsPermissionArn is not applicable for s3 delivery")
		}
	case engine.DestFirehose:
		service = "delivery.logs.amazonaws.com"
		parts := strings.SplitN(f.Destination, ":", 6)
		switch sameAccount := len(parts) == 6 && parts[4] == account; {
		case sameAccount && (role != "" || cross != ""):
			return errors.New("InvalidParameter: DeliverLogsPermissionArn and DeliverCrossAccountRole are not applicable for kinesis-data-firehose delivery in the same account")
		case !sameAccount && (role == "" || cross == ""):
			return errors.New("InvalidParameter: DeliverLogsPermissionArn and DeliverCrossAccountRole are required for cross-account kinesis-data-firehose delivery")
		}
	}
	if cross != "" && f.DestinationType != engine.DestFirehose {
		return errors.New("InvalidParameter: DeliverCrossAccountRole is only applicable for kinesis-data-firehose delivery")
	}
	if role != "" && !w.roleTrusts(role, service) {
		return fmt.Errorf("InvalidParameter: Unable to assume given IAM role: '%s'", role)
	}
	return nil
}

// roleTrusts reports whether the role with ARN arn exists and lets service
// assume it.
func (w *World) roleTrusts(arn, service string) bool {
	for _, r := range w.Roles {
		if r.ID != arn {
			continue
		}
		var trust struct {
			Statement []struct {
				Effect    string
				Principal map[string][]string
				Action    []string
			}
		}
		doc, err := engine.NormalizePolicy(r.Role.AssumeRolePolicy)
		if err != nil || json.Unmarshal([]byte(doc), &trust) != nil {
			return false
		}
		for _, st := range trust.Statement {
			if st.Effect == "Allow" && slices.Contains(st.Principal["Service"], service) && slices.Contains(st.Action, "sts:AssumeRole") {
				return true
			}
		}
	}
	return false
}

func (w *World) applyRole(op engine.Op, c *engine.Change) (*engine.Resource, error) {
	switch op {
	case engine.OpCreate:
		key := c.Addr.Account + "/" + c.After.Role.Name
		if w.Roles[key] != nil {
			return nil, fmt.Errorf("EntityAlreadyExists: Role with name %s already exists: %w", c.After.Role.Name, engine.ErrAlreadyExists)
		}
		r := clone(c.After)
		r.ID = arn.Role("aws", c.Addr.Account, r.Role.Path, r.Role.Name)
		w.Roles[key] = r
		return clone(r), nil
	case engine.OpUpdate, engine.OpAdopt:
		r := w.Roles[c.Addr.Account+"/"+c.After.Role.Name]
		if r == nil {
			return nil, notFound("role " + c.After.Role.Name)
		}
		if owner := r.Tags[engine.TagSpec]; op == engine.OpAdopt && owner != "" && owner != c.After.Tags[engine.TagSpec] {
			return nil, fmt.Errorf("enginetest: refusing to adopt role %s of spec %q", c.After.Role.Name, owner)
		}
		r.Role.AssumeRolePolicy, r.Role.PermissionsBoundary = c.After.Role.AssumeRolePolicy, c.After.Role.PermissionsBoundary
		r.Tags = mergeTags(r.Tags, c.After.Tags)
		return clone(r), nil
	case engine.OpDelete:
		key := c.Addr.Account + "/" + c.Before.Role.Name
		if w.Roles[key] == nil {
			return nil, notFound("role " + c.Before.Role.Name)
		}
		for k := range w.RolePolicies {
			if strings.HasPrefix(k, key+"/") {
				return nil, errors.New("DeleteConflict: Cannot delete entity, must delete policies first")
			}
		}
		delete(w.Roles, key)
		return nil, nil
	}
	return nil, fmt.Errorf("enginetest: role op %q", op)
}

func (w *World) applyRolePolicy(op engine.Op, c *engine.Change) (*engine.Resource, error) {
	switch op {
	case engine.OpCreate, engine.OpUpdate:
		p := c.After.RolePolicy
		if w.Roles[c.Addr.Account+"/"+p.RoleName] == nil {
			return nil, fmt.Errorf("NoSuchEntity: The role with name %s cannot be found", p.RoleName)
		}
		r := clone(c.After)
		w.RolePolicies[policyKey(c.Addr.Account, p.RoleName, p.PolicyName)] = r
		return clone(r), nil
	case engine.OpDelete:
		p := c.Before.RolePolicy
		key := policyKey(c.Addr.Account, p.RoleName, p.PolicyName)
		if w.RolePolicies[key] == nil {
			return nil, notFound("role policy " + key)
		}
		delete(w.RolePolicies, key)
		return nil, nil
	}
	return nil, fmt.Errorf("enginetest: role policy op %q", op)
}

func (w *World) applyLogGroup(op engine.Op, c *engine.Change) (*engine.Resource, error) {
	switch op {
	case engine.OpCreate:
		key := c.Addr.Account + "/" + c.Addr.Region + "/" + c.After.LogGroup.Name
		if w.LogGroups[key] != nil {
			return nil, fmt.Errorf("ResourceAlreadyExistsException: %w", engine.ErrAlreadyExists)
		}
		r := clone(c.After)
		r.ID = arn.LogGroup(c.Addr.Account, c.Addr.Region, r.LogGroup.Name)
		w.LogGroups[key] = r
		return clone(r), nil
	case engine.OpUpdate:
		r := w.LogGroups[c.Addr.Account+"/"+c.Addr.Region+"/"+c.After.LogGroup.Name]
		if r == nil {
			return nil, notFound("log group " + c.After.LogGroup.Name)
		}
		r.LogGroup.RetentionDays, r.LogGroup.KMSKeyARN = c.After.LogGroup.RetentionDays, c.After.LogGroup.KMSKeyARN
		r.Tags = mergeTags(r.Tags, c.After.Tags)
		return clone(r), nil
	}
	return nil, fmt.Errorf("enginetest: log groups are never deleted by flowplan, yet got op %q", op)
}

// applyStatement merges or removes one statement in a bucket policy by Sid,
// never touching the others (read-modify-write).
func (w *World) applyStatement(op engine.Op, c *engine.Change) (*engine.Resource, error) {
	st := c.Before
	if op != engine.OpDelete {
		st = c.After
	}
	b := w.Buckets[st.BucketPolicyStatement.Bucket]
	if b == nil || b.Owner != c.Addr.Account {
		return nil, fmt.Errorf("NoSuchBucket: %s", st.BucketPolicyStatement.Bucket)
	}
	doc := map[string]any{"Version": "2012-10-17", "Statement": []any{}}
	if b.Policy != "" {
		if err := json.Unmarshal([]byte(b.Policy), &doc); err != nil {
			return nil, fmt.Errorf("MalformedPolicy: %v", err)
		}
	}
	stmts, _ := doc["Statement"].([]any)
	var kept []any
	found := false
	for _, s := range stmts {
		if m, ok := s.(map[string]any); ok && m["Sid"] == st.BucketPolicyStatement.Sid {
			found = true
			continue
		}
		kept = append(kept, s)
	}
	if op == engine.OpDelete && !found {
		return nil, notFound("statement " + st.BucketPolicyStatement.Sid)
	}
	if op != engine.OpDelete {
		var v any
		if err := json.Unmarshal([]byte(st.BucketPolicyStatement.Statement), &v); err != nil {
			return nil, fmt.Errorf("MalformedPolicy: %v", err)
		}
		kept = append(kept, v)
	}
	doc["Statement"] = kept
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	b.Policy = string(out)
	if op == engine.OpDelete {
		return nil, nil
	}
	r := clone(st)
	r.ID = engine.BucketStatementID("aws", st.BucketPolicyStatement.Bucket, st.BucketPolicyStatement.Sid)
	return r, nil
}

func mergeTags(have, add map[string]string) map[string]string {
	out := copyTags(have)
	if out == nil {
		out = map[string]string{}
	}
	for k, v := range add {
		out[k] = v
	}
	return out
}

func copyTags(t map[string]string) map[string]string {
	if t == nil {
		return nil
	}
	out := make(map[string]string, len(t))
	for k, v := range t {
		out[k] = v
	}
	return out
}

// clone copies a resource deeply enough that neither side's changes reach
// the other.
func clone(r *engine.Resource) *engine.Resource {
	c := *r
	c.Tags = copyTags(r.Tags)
	if r.FlowLog != nil {
		f := *r.FlowLog
		if f.Status != nil {
			s := *f.Status
			f.Status = &s
		}
		f.TagFieldSpecifications = append(f.TagFieldSpecifications[:0:0], f.TagFieldSpecifications...)
		c.FlowLog = &f
	}
	if r.Role != nil {
		x := *r.Role
		c.Role = &x
	}
	if r.RolePolicy != nil {
		x := *r.RolePolicy
		c.RolePolicy = &x
	}
	if r.LogGroup != nil {
		x := *r.LogGroup
		c.LogGroup = &x
	}
	if r.BucketPolicyStatement != nil {
		x := *r.BucketPolicyStatement
		c.BucketPolicyStatement = &x
	}
	return &c
}

func cloneTarget(t engine.Target) engine.Target {
	t.Tags = copyTags(t.Tags)
	return t
}
