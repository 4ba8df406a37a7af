// Package engine turns a spec and discovered AWS state into an ordered plan of flow-log changes, and applies it through a Provider.
package engine

import (
	"fmt"
	"strings"

	"github.com/flowplan/flowplan/spec"
)

// Kind is a kind of resource flowplan manages.
type Kind string

// The managed kinds, in dependency order: a flow log needs its log group or
// bucket policy statement, which needs the role policy, which needs the role.
const (
	KindRole                  Kind = "iam_role"
	KindRolePolicy            Kind = "iam_role_policy"
	KindLogGroup              Kind = "log_group"
	KindBucketPolicyStatement Kind = "s3_bucket_policy_statement"
	KindFlowLog               Kind = "flow_log"
)

// Kinds lists every kind in dependency order.
var Kinds = []Kind{KindRole, KindRolePolicy, KindLogGroup, KindBucketPolicyStatement, KindFlowLog}

// GlobalRegion is the Region of addresses for global resources (IAM roles
// and their policies, S3 bucket policies).
const GlobalRegion = "global"

// Ownership tag keys. A resource is managed by a spec exactly when it carries
// TagSpec=<spec name>; everything else is never modified or deleted.
const (
	TagSpec = "flowplan:spec"
	TagRule = "flowplan:rule"
)

// Addr is the stable, readable identity of a resource:
// <account>/<region>/<kind>/<name>, for example
// 111111111111/us-east-1/flow_log/prod-vpcs/vpc-0abc or
// 111111111111/global/iam_role/flowplan-flow-logs. Output, --target and
// error messages all use its String form.
//
// Names by kind:
//   - iam_role: the role name
//   - iam_role_policy: <role name>/<policy name>
//   - log_group: the log group name (it may itself contain slashes)
//   - s3_bucket_policy_statement: <bucket>/<sid>; Account is the bucket owner
//   - flow_log, managed: <rule>/<resource id>; unmanaged: <resource id>/<flow log id>
type Addr struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	Kind    Kind   `json:"kind"`
	Name    string `json:"name"`
}

// String renders the address as account/region/kind/name.
func (a Addr) String() string {
	return a.Account + "/" + a.Region + "/" + string(a.Kind) + "/" + a.Name
}

// Less is the order of every output and of Plan.Changes: by account, then
// by kind in dependency order (role, role policy, log group, bucket policy
// statement, flow log), then by region and name. A plan therefore reads in
// the order apply works: each account's IAM role first, its flow logs last.
// It compares without building strings: sorting is the hot path of a plan
// with tens of thousands of resources.
func (a Addr) Less(b Addr) bool {
	if a.Account != b.Account {
		return a.Account < b.Account
	}
	if ra, rb := a.Kind.rank(), b.Kind.rank(); ra != rb {
		return ra < rb
	}
	if a.Region != b.Region {
		return a.Region < b.Region
	}
	return a.Name < b.Name
}

// rank is the kind's position in Kinds; unknown kinds sort last.
func (k Kind) rank() int {
	for i, known := range Kinds {
		if k == known {
			return i
		}
	}
	return len(Kinds)
}

// HasPrefix reports whether the address matches a --target prefix. The
// prefix matches whole path segments: "111111111111/us-east-1" matches
// "111111111111/us-east-1/flow_log/x/vpc-1" but not ".../us-east-10/...".
func (a Addr) HasPrefix(prefix string) bool {
	s := a.String()
	prefix = strings.TrimSuffix(prefix, "/")
	return s == prefix || strings.HasPrefix(s, prefix+"/")
}

// ParseAddr parses the String form of an address.
func ParseAddr(s string) (Addr, error) {
	parts := strings.SplitN(s, "/", 4)
	if len(parts) != 4 || parts[0] == "" || parts[1] == "" || parts[3] == "" {
		return Addr{}, fmt.Errorf("engine: address %q is not <account>/<region>/<kind>/<name>", s)
	}
	k := Kind(parts[2])
	for _, known := range Kinds {
		if k == known {
			return Addr{Account: parts[0], Region: parts[1], Kind: k, Name: parts[3]}, nil
		}
	}
	return Addr{}, fmt.Errorf("engine: address %q has unknown kind %q", s, parts[2])
}

// Resource is one desired or observed object. Exactly one of the kind
// pointers is set, matching Addr.Kind. Desired resources are built by
// Expand; observed ones by a Provider. Diff normalises both before it
// compares them.
type Resource struct {
	Addr Addr `json:"address"`
	// ID is the AWS identifier once the resource exists: the flow log ID
	// (fl-...), role ARN, log group ARN, or "<bucket ARN>#<sid>". Empty for a
	// desired resource that does not exist yet.
	ID string `json:"id,omitempty"`
	// Tags are all the resource's tags, ownership tags included. Role
	// policies and bucket policy statements have none.
	Tags map[string]string `json:"tags,omitempty"`

	FlowLog               *FlowLog               `json:"flow_log,omitempty"`
	Role                  *Role                  `json:"iam_role,omitempty"`
	RolePolicy            *RolePolicy            `json:"iam_role_policy,omitempty"`
	LogGroup              *LogGroup              `json:"log_group,omitempty"`
	BucketPolicyStatement *BucketPolicyStatement `json:"s3_bucket_policy_statement,omitempty"`
}

// Owner returns the spec and rule recorded in the resource's ownership tags;
// spec is empty for an unmanaged resource.
func (r *Resource) Owner() (specName, rule string) {
	if r == nil {
		return "", ""
	}
	return r.Tags[TagSpec], r.Tags[TagRule]
}

// FlowLog holds a flow log's configuration. Every field except the
// resource's Tags is immutable on AWS: a difference forces replacement.
type FlowLog struct {
	// ResourceID is the VPC, subnet, ENI, regional NAT gateway, transit
	// gateway or attachment ID.
	ResourceID string `json:"resource_id"`
	// ResourceType is VPC, Subnet, NetworkInterface, RegionalNatGateway,
	// TransitGateway or TransitGatewayAttachment.
	ResourceType string `json:"resource_type"`
	// TrafficType is ACCEPT, REJECT or ALL; empty for transit gateway types.
	TrafficType string `json:"traffic_type,omitempty"`
	// DestinationType is cloud-watch-logs, s3 or kinesis-data-firehose.
	DestinationType string `json:"destination_type"`
	// Destination is the destination ARN: the log group ARN without ":*",
	// the bucket ARN with its prefix, or the delivery stream ARN.
	Destination string `json:"destination"`
	// DeliverLogsPermissionARN is the delivery role (CloudWatch Logs, and
	// cross-account Firehose).
	DeliverLogsPermissionARN string `json:"deliver_logs_permission_arn,omitempty"`
	// DeliverCrossAccountRole is the Firehose cross-account role.
	DeliverCrossAccountRole string `json:"deliver_cross_account_role,omitempty"`
	// LogFormat is the record format; canonical after normalisation.
	LogFormat string `json:"log_format"`
	// MaxAggregationInterval is 60 or 600; 0 from AWS means 600.
	MaxAggregationInterval int `json:"max_aggregation_interval"`
	// FileFormat, HiveCompatiblePartitions and PerHourPartition are S3
	// DestinationOptions; absent from AWS means plain-text, false, false.
	FileFormat               string `json:"file_format,omitempty"`
	HiveCompatiblePartitions bool   `json:"hive_compatible_partitions,omitempty"`
	PerHourPartition         bool   `json:"per_hour_partition,omitempty"`
	// TagFieldSpecifications accompany v11 tag fields.
	TagFieldSpecifications []spec.TagFieldSpecification `json:"tag_field_specifications,omitempty"`

	// Status is what AWS reports about delivery. It is observed only and
	// never compared by Diff.
	Status *FlowLogStatus `json:"status,omitempty"`
}

// FlowLogStatus is the observed health of a flow log.
type FlowLogStatus struct {
	// FlowLogStatus is ACTIVE when the flow log exists.
	FlowLogStatus string `json:"flow_log_status,omitempty"`
	// DeliverLogsStatus is SUCCESS or FAILED.
	DeliverLogsStatus string `json:"deliver_logs_status,omitempty"`
	// DeliverLogsErrorMessage explains FAILED: "Access error", "Rate limited", ...
	DeliverLogsErrorMessage string `json:"deliver_logs_error_message,omitempty"`
	// CreationTime is RFC 3339.
	CreationTime string `json:"creation_time,omitempty"`
}

// Role is an IAM delivery role.
type Role struct {
	Name string `json:"name"`
	// Path cannot be changed in place.
	Path string `json:"path"`
	// AssumeRolePolicy is the trust policy JSON; updated in place.
	AssumeRolePolicy string `json:"assume_role_policy"`
	// PermissionsBoundary is a policy ARN or empty; updated in place.
	PermissionsBoundary string `json:"permissions_boundary,omitempty"`
}

// RolePolicy is an inline policy on a delivery role.
type RolePolicy struct {
	RoleName   string `json:"role_name"`
	PolicyName string `json:"policy_name"`
	// Document is the policy JSON; updated in place.
	Document string `json:"document"`
}

// LogGroup is a CloudWatch Logs log group. flowplan creates and updates log
// groups but never deletes one: they hold log data.
type LogGroup struct {
	Name string `json:"name"`
	// RetentionDays is 0 for "never expire".
	RetentionDays int `json:"retention_days,omitempty"`
	// KMSKeyARN is the encryption key ARN or empty.
	KMSKeyARN string `json:"kms_key_arn,omitempty"`
	// TagsUnread marks a discovered group whose tags the provider did not
	// read, as RegionQuery.LogGroupPrefixSettings allows: its settings are
	// as the spec wants, so the plan changes nothing on it, and its
	// ownership is unknown.
	TagsUnread bool `json:"tags_unread,omitempty"`
}

// BucketPolicyStatement is one statement flowplan keeps in an S3 bucket
// policy. Its Sid starts with "flowplan-"; statements with other Sids are
// never touched.
type BucketPolicyStatement struct {
	Bucket string `json:"bucket"`
	Sid    string `json:"sid"`
	// Statement is the statement's JSON object.
	Statement string `json:"statement"`
}

// Account is one account flowplan works in, static or discovered.
type Account struct {
	ID    string `json:"id"`
	Alias string `json:"alias,omitempty"`
	// Regions are the regions managed in this account.
	Regions []string `json:"regions"`
	// AssumeRole is the role ARN to assume, or empty for current credentials.
	AssumeRole string `json:"assume_role,omitempty"`
	// ExternalID is never serialised, printed or logged.
	ExternalID string `json:"-"`
	// Source is "accounts" or "organization".
	Source string `json:"source"`
}

// Target is a resource a flow log can be attached to, as discovered.
type Target struct {
	Kind spec.TargetKind   `json:"kind"`
	ID   string            `json:"id"`
	Tags map[string]string `json:"tags,omitempty"`
	// VPCID is the VPC of a subnet or ENI.
	VPCID string `json:"vpc_id,omitempty"`
	// SubnetID is the subnet of an ENI.
	SubnetID string `json:"subnet_id,omitempty"`
	// OwnerID is the owning account, which differs from the account for
	// resources shared through AWS RAM.
	OwnerID string `json:"owner_id,omitempty"`
	// State is AWS's state string (available, pending, ...).
	State string `json:"state,omitempty"`
}
