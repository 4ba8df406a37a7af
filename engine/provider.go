package engine

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/flowplan/flowplan/spec"
)

// Provider discovers live state and carries out changes. providers/aws
// implements it over aws-sdk-go-v2; enginetest has an in-memory fake. The
// engine drives concurrency (bounded by --parallelism) and calls Discover*
// once per scope; a Provider must be safe for concurrent use.
//
// Discovery is read-only and must report "not found" as absence, never as
// an error. Errors are per scope: one failing account-region never stops the
// others.
type Provider interface {
	// Accounts resolves the spec's static accounts and, when the spec has an
	// organization block, its member accounts (skipping suspended and
	// excluded ones). Problems with individual accounts are returned as
	// ScopeErrors; err is for failures that stop everything.
	Accounts(ctx context.Context, s *spec.Spec) (accounts []Account, problems []ScopeError, err error)

	// DiscoverAccount reads an account's global state: the named delivery
	// roles and their inline policies.
	DiscoverAccount(ctx context.Context, q AccountQuery) (*AccountState, error)

	// DiscoverRegion reads one account-region: the targets of the kinds asked
	// for, every flow log, and the log groups asked for.
	DiscoverRegion(ctx context.Context, q RegionQuery) (*RegionState, error)

	// DiscoverBucket reads one S3 bucket's policy with the bucket owner's
	// credentials.
	DiscoverBucket(ctx context.Context, q BucketQuery) (*BucketState, error)

	// ListBuckets returns the names of the S3 buckets account a owns, with
	// its credentials (S3 ListBuckets lists exactly the buckets of the
	// caller's account). Discover calls it, once per account of the
	// bucket's partition, only to find the owner of a managed bucket whose
	// rules give no bucket_account.
	ListBuckets(ctx context.Context, a Account) ([]string, error)

	// Apply carries out a batch of changes that share an account, region,
	// kind and operation, and returns one Outcome per change, in order. It
	// batches API calls where AWS allows (CreateFlowLogs takes up to 1000
	// resource IDs, 25 for transit gateway types). It never returns fewer
	// outcomes than changes.
	//
	// ctx is not cancelled when the apply is interrupted: a batch that has
	// started runs to completion (within Options.InterruptGrace), so that
	// what it wrote is reported truthfully. Waits before a write, such as
	// for IAM propagation, must instead end as soon as Interrupted(ctx) is
	// closed, with an error wrapping ErrInterrupted.
	Apply(ctx context.Context, b *Batch) []Outcome

	// The apply lock (engine/lock.go) is a lease in AWS, one record per
	// generation, built on a create that AWS makes atomic. Plan and drift
	// never call these.

	// ListLeases returns the spec's apply leases where q says, sorted by
	// generation; none is no error. A lease whose record cannot be read
	// whole (a tag missing or malformed) is returned with what could be
	// read: it still holds its generation, and a zero Expires makes it
	// count as expired.
	ListLeases(ctx context.Context, q LeaseQuery) ([]Lease, error)

	// CreateLease creates lease l where q says if no lease of its
	// generation exists there, atomically, and returns an error wrapping
	// ErrAlreadyExists if one does.
	CreateLease(ctx context.Context, q LeaseQuery, l Lease) error

	// UpdateLease writes l's Expires and Released to the lease of its
	// generation; an error wrapping ErrNotFound if it is gone.
	UpdateLease(ctx context.Context, q LeaseQuery, l Lease) error

	// DeleteLease deletes the lease of generation gen, and nothing that is
	// not a lease of q.Spec; an error wrapping ErrNotFound if it is gone.
	DeleteLease(ctx context.Context, q LeaseQuery, gen int64) error
}

// LeaseQuery says where a spec's apply leases live (LockScope).
type LeaseQuery struct {
	// Account holds the leases, reached like any account of the spec. An
	// empty ID means the account of the current credentials, used as they
	// are.
	Account Account
	// Region is the region the leases live in.
	Region string
	// Spec is the spec's name.
	Spec string
}

// Lease is one generation of a spec's apply lease. The run that created
// it holds the lock until it is released or expires.
type Lease struct {
	// Generation numbers the leases of a spec, from 1; a run takes the lock
	// by creating the generation after the newest one.
	Generation int64
	// Holder names the run: "alice@ci-runner-7 pid 4242".
	Holder string
	// Started is when the run took the lock.
	Started time.Time
	// Expires is when the lease ends unless renewed.
	Expires time.Time
	// Released is set when the run gave the lock back.
	Released bool
	// Account and Location say where the lease is, for messages; providers
	// fill them in (Location: "log group /flowplan/locks/prod/0000000003 in
	// us-east-1").
	Account, Location string
}

// AccountQuery says what to read in one account's global scope.
type AccountQuery struct {
	Account Account
	// RoleNames are the delivery roles to read (GetRole, then GetRolePolicy
	// for each of PolicyNames).
	RoleNames []string
	// PolicyNames are the inline policy names flowplan manages on its roles.
	PolicyNames []string
	// ListPathPrefixes, when set, also lists roles under these IAM paths so
	// that pruning can find delivery roles the spec no longer names.
	ListPathPrefixes []string
}

// AccountState is an account's discovered global state.
type AccountState struct {
	// Roles are iam_role resources with their tags.
	Roles []*Resource
	// RolePolicies are iam_role_policy resources.
	RolePolicies []*Resource
}

// RegionQuery says what to read in one account-region.
type RegionQuery struct {
	Account Account
	Region  string
	// TargetKinds are the kinds the spec targets here; other kinds are not
	// read at all.
	TargetKinds []spec.TargetKind
	// LogGroupNames are the exact log group names the spec wants here; the
	// provider reads them (by prefix) with their tags.
	LogGroupNames []string
	// LogGroupPrefixes are name prefixes of log groups the spec wants here
	// whose full names depend on the targets (templates with {resource_id}:
	// the prefix is the name up to the placeholder). The provider reads
	// every log group whose name starts with one.
	LogGroupPrefixes []string
	// LogGroupPrefixSettings are, for each of LogGroupPrefixes, the
	// settings the rules give the groups under it. Their number grows with
	// the targets (a group per VPC), and CloudWatch Logs reads tags one
	// group a call at 5 a second, so ownership is read only where it
	// matters: a group whose retention and key are as one of these says
	// needs no change, whoever owns it, and the provider may return it
	// without its tags (LogGroup.TagsUnread). Every other group is returned
	// with its tags, so that nothing is changed without its ownership read
	// from AWS.
	LogGroupPrefixSettings map[string][]LogGroupSettings
}

// LogGroupSettings are the settings of a log group a rule wants, besides
// its name and tags.
type LogGroupSettings struct {
	RetentionDays int
	KMSKeyARN     string
}

// RegionState is one account-region's discovered state.
type RegionState struct {
	Targets []Target
	// FlowLogs are every flow log in the account-region, managed or not.
	FlowLogs []*Resource
	// LogGroups are the log groups that exist among those asked for.
	LogGroups []*Resource
}

// BucketQuery says which bucket policy to read.
type BucketQuery struct {
	// Account owns the bucket; its credentials are used.
	Account Account
	Bucket  string
	// Partition is the bucket ARN's partition; empty means aws.
	Partition string
}

func (q BucketQuery) partition() string {
	if q.Partition == "" {
		return "aws"
	}
	return q.Partition
}

// BucketState is a bucket's discovered policy.
type BucketState struct {
	// Exists is false when the bucket does not exist or cannot be seen.
	Exists bool
	// Policy is the raw bucket policy JSON, empty when there is none.
	Policy string
}

// Op is the operation a Batch performs.
type Op string

// The operations a provider performs. A replace is a Create followed, after
// the create succeeded, by a Delete of the old resource; an adopt is a
// TagOwnership of an existing flow log.
const (
	OpCreate Op = "create"
	OpUpdate Op = "update"
	OpDelete Op = "delete"
	OpAdopt  Op = "adopt"
)

// Batch is a group of changes a provider applies together.
type Batch struct {
	Account Account
	// Region is GlobalRegion for IAM roles, role policies and bucket policies.
	Region string
	Kind   Kind
	Op     Op
	// Changes all have this Batch's account, region and kind. For OpCreate
	// and OpUpdate the provider works from Change.After; for OpDelete from
	// Change.Before; for OpAdopt it adds After's ownership tags to Before.
	//
	// Tags, for OpUpdate and OpAdopt: After.Tags are the tags the resource
	// must end with: the ownership and rule tags, plus the tags only the
	// AWS resource has, which flowplan leaves alone so that tags other
	// tools add never cause a perpetual diff. A provider sets what differs
	// from Before.Tags; it never needs to remove a tag.
	//
	// Replace is two batches: for a flow log an OpCreate (from After), then,
	// after the new one delivers, an OpDelete (from Before); for a role or
	// role policy, whose names are unique, an OpDelete first, then an
	// OpCreate. The Change's Action stays Replace in both.
	Changes []*Change
	// Spec is the name of the spec applying the batch. Providers refuse to
	// update or delete a resource another spec owns, as a last defence
	// behind the engine, which never plans that.
	Spec string
	// ClientTokenSeed is the plan's ID. Providers derive CreateFlowLogs
	// client tokens from it and the batch's addresses, so tokens are stable
	// across retries and re-runs of the same saved plan, and unique to it.
	ClientTokenSeed string
}

// Outcome is the result of one change in a Batch.
type Outcome struct {
	Change *Change
	// Resource is the resource as it now exists (a created flow log carries
	// its new ID and Status); nil after a delete or a failure.
	Resource *Resource
	// Err is nil on success. Providers wrap AWS errors so that errors.Is
	// works with ErrAlreadyExists and ErrNotFound.
	Err error
}

// Sentinel errors providers wrap so that the engine can branch on them.
var (
	// ErrAlreadyExists means AWS refused a create as a duplicate
	// (FlowLogAlreadyExists). The engine falls back to delete-then-create for
	// replacements.
	ErrAlreadyExists = errors.New("engine: already exists")
	// ErrNotFound means the resource is already gone; deletes treat it as
	// success.
	ErrNotFound = errors.New("engine: not found")
	// ErrInterrupted means the provider stopped before it made a change,
	// because the apply was interrupted (see Interrupted): it was waiting
	// for IAM to propagate a role, say, and stopped waiting. Nothing was
	// written for the change. The engine reports it as StatusInterrupted.
	ErrInterrupted = errors.New("engine: apply interrupted")
)

// ScopeError is a failure confined to one account, account-region or bucket:
// its discovery failed (StageDiscover), or planning found something that
// must be fixed before anything is applied (StagePlan). A plan with any
// ScopeError is never applied.
type ScopeError struct {
	// Scope is "<account>", "<account>/<region>" or "<account>/s3/<bucket>".
	Scope string `json:"scope"`
	// Code is the AWS error code of a failed discovery (AccessDenied, ...),
	// or one of the Code* constants for a planning error.
	Code string `json:"code,omitempty"`
	// Message says what failed.
	Message string `json:"message"`
	// Stage is where the error arose; empty (in plan files of earlier
	// versions) means StageDiscover.
	Stage Stage `json:"stage,omitempty"`
}

// Stage is where a ScopeError arose.
type Stage string

// The stages.
const (
	// StageDiscover: the scope could not be read, so nothing is known of it.
	StageDiscover Stage = "discover"
	// StagePlan: the scope was read, and planning found a problem.
	StagePlan Stage = "plan"
)

// Planning is true for a planning error: the scope was discovered.
func (e ScopeError) Planning() bool { return e.Stage == StagePlan }

// Where splits the scope: its account, and the region of an
// account-region scope ("" for the whole account), or the bucket of a
// bucket scope (BucketScope). Renderers and reports use it instead of
// parsing Scope.
func (e ScopeError) Where() (account, region, bucket string) {
	account, rest, _ := strings.Cut(e.Scope, "/")
	if b, ok := strings.CutPrefix(rest, "s3/"); ok {
		return account, "", b
	}
	return account, rest, ""
}

// LeavesUnknown says whether the error leaves account-region unread: a
// discovery error of that account-region or of the whole account. A
// bucket's error and a planning error leave no region unread.
func (e ScopeError) LeavesUnknown(account, region string) bool {
	a, r, b := e.Where()
	return !e.Planning() && b == "" && a == account && (r == "" || r == region)
}

// Codes of planning errors.
const (
	// CodeBucketPolicyTooLarge: the merged bucket policy would exceed
	// BucketPolicyMaxBytes.
	CodeBucketPolicyTooLarge = "BucketPolicyTooLarge"
	// CodeRoleConflict: a delivery role of the spec's name exists without
	// this spec's ownership and does not fit.
	CodeRoleConflict = "DeliveryRoleConflict"
	// CodeBucketOwner: the owner of a managed bucket without
	// bucket_account is none of the spec's accounts, or several claim it.
	CodeBucketOwner = "BucketOwnerNotFound"
)

// BucketScope is the scope of a bucket: "<owner>/s3/<bucket>", or
// "s3/<bucket>" when its owner is unknown.
func BucketScope(owner, bucket string) string {
	if owner == "" {
		return "s3/" + bucket
	}
	return owner + "/s3/" + bucket
}

func (e ScopeError) Error() string {
	if e.Code != "" {
		return e.Scope + ": " + e.Code + ": " + e.Message
	}
	return e.Scope + ": " + e.Message
}

// Reporter receives progress events from the engine and providers. It must
// be safe for concurrent use. A nil Reporter is allowed everywhere.
type Reporter interface {
	Report(Event)
}

// Event is one progress event.
type Event struct {
	// Type is one of the Event* constants.
	Type EventType
	// Scope is "<account>/<region>" or "<account>/global".
	Scope string
	// Message is human-readable detail, already free of secrets.
	Message string
}

// EventType classifies progress events.
type EventType string

// Progress event types.
const (
	EventScopeStarted EventType = "scope_started"
	EventScopeDone    EventType = "scope_done"
	EventCall         EventType = "call"
	EventThrottled    EventType = "throttled"
	EventIAMWait      EventType = "iam_wait"
	EventChangeDone   EventType = "change_done"
)
