package spec

import (
	"github.com/flowplan/flowplan/internal/arn"
	"github.com/flowplan/flowplan/spec/logformat"
)

// This file holds the validated, defaulted form of a flowplan spec. Load
// produces it; the engine, the AWS provider and the reports read it. Every
// string here is already checked, and every default already applied, so
// readers never re-validate.

// Version is the only spec version this build understands.
const Version = 1

// Pos is a position in the spec file, for error messages and for tools that
// point back at the rule that produced a resource.
type Pos struct {
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
}

// Spec is one validated flowplan spec file.
type Spec struct {
	// File is the path the spec was loaded from.
	File string
	// SHA256 is the hex digest of the file's bytes; saved plans record it so
	// that applying a plan against a different spec is refused.
	SHA256 string
	// Version is the spec language version (always 1 for now).
	Version int
	// Name identifies the spec in ownership tags (flowplan:spec=<Name>).
	Name string
	// Prune deletes flow logs (and delivery roles) this spec created but no
	// longer wants. Log groups and buckets are never deleted.
	Prune bool
	// Accounts are the statically listed accounts, in file order.
	Accounts []Account
	// Organization, when set, discovers more accounts from AWS Organizations.
	Organization *Organization
	// DeliveryRoles are the IAM roles flowplan manages, sorted by Name.
	DeliveryRoles []DeliveryRole
	// Rules are the flow_logs rules in file order, with defaults merged in.
	Rules []Rule
	// RegionRefs are the regions the spec's regions lists name (accounts,
	// organization, rules), each where it is named, in file order: for
	// checks that need more than the spec (is the region known?). Left out
	// of JSON: the regions are in the accounts, organization and rules.
	RegionRefs []RegionRef `json:"-"`
}

// RegionRef is a region named in the spec, and where.
type RegionRef struct {
	Region string
	Pos    Pos
}

// Account is an account reached directly.
type Account struct {
	// ID is the 12-digit account ID.
	ID string
	// Alias is an optional unique short name usable wherever an account is named.
	Alias string
	// AssumeRole is the role ARN to assume in the account; empty means the
	// current credentials are used as they are.
	AssumeRole string
	// ExternalID is passed to AssumeRole. It is a secret-ish value: never
	// print it, log it or write it to a plan file.
	ExternalID string `json:"-"`
	// Regions are the regions flowplan manages in this account.
	Regions []string
	// Pos is where the account is declared.
	Pos Pos
}

// Organization discovers member accounts from AWS Organizations.
type Organization struct {
	// AssumeRoleName is the role name assumed in every member account
	// (arn:aws:iam::<id>:role/<AssumeRoleName>).
	AssumeRoleName string
	// ExternalID is passed to AssumeRole in every member account. Never printed.
	ExternalID string `json:"-"`
	// IncludeOUs limits discovery to these OUs (recursively); empty means the
	// whole organisation.
	IncludeOUs []string
	// ExcludeAccounts are account IDs never managed.
	ExcludeAccounts []string
	// Regions are the regions managed in every discovered account.
	Regions []string
	// Pos is where the organization block is declared.
	Pos Pos
}

// DeliveryRole is an IAM role flowplan creates in each account that needs
// one. For CloudWatch Logs rules it is trusted by vpc-flow-logs.amazonaws.com
// and may write only to their log groups; for cross-account Firehose rules
// it is trusted by delivery.logs.amazonaws.com and may assume only their
// cross-account roles. Both trusts carry confused-deputy conditions.
type DeliveryRole struct {
	// Name is the role name.
	Name string
	// Path is the IAM path, "/" by default.
	Path string
	// PermissionsBoundary is an optional policy ARN.
	PermissionsBoundary string
	// Adopt takes over a role of this name that exists without flowplan's
	// ownership tags, in each account the spec uses it: flowplan tags it
	// and writes its trust policy, boundary and flowplan-delivery policy.
	// Without it such a role is a plan error: flowplan never modifies what
	// it did not create unless told to.
	Adopt bool
	// Pos is where the role is declared.
	Pos Pos
}

// TargetKind is a kind of resource a flow log can be attached to.
type TargetKind string

// The target kinds, spelled as the spec's keys under targets.
const (
	TargetVPC                      TargetKind = "vpcs"
	TargetSubnet                   TargetKind = "subnets"
	TargetNetworkInterface         TargetKind = "network_interfaces"
	TargetTransitGateway           TargetKind = "transit_gateways"
	TargetTransitGatewayAttachment TargetKind = "transit_gateway_attachments"
	// TargetRegionalNatGateway is a NAT gateway in regional availability
	// mode, the newest CreateFlowLogs resource type (RegionalNatGateway).
	// Zonal NAT gateways have no flow log of their own: their network
	// interface does.
	TargetRegionalNatGateway TargetKind = "regional_nat_gateways"
)

// TargetKinds lists every target kind in a fixed order.
var TargetKinds = []TargetKind{TargetVPC, TargetSubnet, TargetNetworkInterface, TargetRegionalNatGateway, TargetTransitGateway, TargetTransitGatewayAttachment}

// ResourceType returns the CreateFlowLogs ResourceType for the kind: VPC,
// Subnet, NetworkInterface, RegionalNatGateway, TransitGateway or
// TransitGatewayAttachment.
func (k TargetKind) ResourceType() string {
	switch k {
	case TargetVPC:
		return "VPC"
	case TargetSubnet:
		return "Subnet"
	case TargetNetworkInterface:
		return "NetworkInterface"
	case TargetTransitGateway:
		return "TransitGateway"
	case TargetTransitGatewayAttachment:
		return "TransitGatewayAttachment"
	case TargetRegionalNatGateway:
		return "RegionalNatGateway"
	}
	return ""
}

// IsTransitGateway reports whether the kind is a transit gateway or an
// attachment, which take different flow log settings.
func (k TargetKind) IsTransitGateway() bool {
	return k == TargetTransitGateway || k == TargetTransitGatewayAttachment
}

// Selector chooses targets of one kind: all of them, explicit IDs, or those
// carrying every listed tag; minus exclusions.
type Selector struct {
	// All selects every resource of the kind.
	All bool
	// IDs selects resources by ID.
	IDs []string
	// Tags selects resources carrying every key=value pair. A value of "*"
	// matches any value of that key.
	Tags map[string]string
	// ExcludeIDs removes resources by ID.
	ExcludeIDs []string
	// ExcludeTags removes resources carrying every key=value pair.
	ExcludeTags map[string]string
	// Pos is where the selector is declared.
	Pos Pos
}

// Matches reports whether a resource with the given ID and tags is selected.
func (s *Selector) Matches(id string, tags map[string]string) bool {
	if s == nil {
		return false
	}
	for _, x := range s.ExcludeIDs {
		if x == id {
			return false
		}
	}
	if len(s.ExcludeTags) > 0 && tagsMatch(s.ExcludeTags, tags) {
		return false
	}
	if s.All {
		return true
	}
	for _, x := range s.IDs {
		if x == id {
			return true
		}
	}
	return len(s.Tags) > 0 && tagsMatch(s.Tags, tags)
}

func tagsMatch(want, have map[string]string) bool {
	for k, v := range want {
		got, ok := have[k]
		if !ok || (v != "*" && got != v) {
			return false
		}
	}
	return true
}

// Targets holds one optional selector per target kind.
type Targets struct {
	VPCs                      *Selector
	Subnets                   *Selector
	NetworkInterfaces         *Selector
	TransitGateways           *Selector
	TransitGatewayAttachments *Selector
	RegionalNatGateways       *Selector
}

// Get returns the selector for kind k, or nil.
func (t Targets) Get(k TargetKind) *Selector {
	switch k {
	case TargetVPC:
		return t.VPCs
	case TargetSubnet:
		return t.Subnets
	case TargetNetworkInterface:
		return t.NetworkInterfaces
	case TargetTransitGateway:
		return t.TransitGateways
	case TargetTransitGatewayAttachment:
		return t.TransitGatewayAttachments
	case TargetRegionalNatGateway:
		return t.RegionalNatGateways
	}
	return nil
}

// set stores the selector for kind k.
func (t *Targets) set(k TargetKind, s *Selector) {
	switch k {
	case TargetVPC:
		t.VPCs = s
	case TargetSubnet:
		t.Subnets = s
	case TargetNetworkInterface:
		t.NetworkInterfaces = s
	case TargetTransitGateway:
		t.TransitGateways = s
	case TargetTransitGatewayAttachment:
		t.TransitGatewayAttachments = s
	case TargetRegionalNatGateway:
		t.RegionalNatGateways = s
	}
}

// Kinds returns the kinds that have a selector, in TargetKinds order.
func (t Targets) Kinds() []TargetKind {
	var out []TargetKind
	for _, k := range TargetKinds {
		if t.Get(k) != nil {
			out = append(out, k)
		}
	}
	return out
}

// TagFieldSpecification names the tag keys whose values v11 tag fields
// record (CreateFlowLogs TagFieldSpecifications).
type TagFieldSpecification struct {
	// ResourceType is network-interface, instance or auto-scaling-group.
	ResourceType string `json:"resource_type"`
	// TagKeys are one or two keys, 1-128 characters each.
	TagKeys []string `json:"tag_keys"`
}

// Rule is one entry of flow_logs, with defaults merged in.
type Rule struct {
	// Name is unique within the spec and recorded in flowplan:rule tags.
	Name string
	// Accounts are account IDs (aliases resolved); empty means every account.
	Accounts []string
	// Regions limit the rule; empty means each account's regions.
	Regions []string
	// Targets select what gets a flow log.
	Targets Targets
	// TrafficType is ACCEPT, REJECT or ALL; empty for transit gateway rules,
	// where AWS refuses a traffic type.
	TrafficType string
	// MaxAggregationInterval is 60 or 600 (always 60 for transit gateways).
	MaxAggregationInterval int
	// LogFormat is the canonical format string (see package logformat);
	// "default" has already been expanded for the rule's target family.
	LogFormat string
	// TagFieldSpecifications accompany v11 tag fields in LogFormat.
	TagFieldSpecifications []TagFieldSpecification
	// Destination is where the records go.
	Destination Destination
	// Tags are the defaults' tags merged with the rule's own; ownership tags
	// are added by the engine, not here.
	Tags map[string]string
	// Pos is where the rule is declared.
	Pos Pos
}

// IsTransitGateway reports whether the rule targets transit gateways or
// their attachments. A rule never mixes those with VPC, subnet or network
// interface kinds.
func (r *Rule) IsTransitGateway() bool {
	for _, k := range r.Targets.Kinds() {
		if k.IsTransitGateway() {
			return true
		}
	}
	return false
}

// Family returns the log format family of the rule's targets.
func (r *Rule) Family() logformat.Target {
	if r.IsTransitGateway() {
		return logformat.TargetTransitGateway
	}
	return logformat.TargetVPC
}

// Destination is exactly one of CloudWatchLogs, S3 or Firehose.
type Destination struct {
	CloudWatchLogs *CloudWatchLogs
	S3             *S3
	Firehose       *Firehose
}

// Type returns the CreateFlowLogs LogDestinationType: cloud-watch-logs, s3
// or kinesis-data-firehose.
func (d Destination) Type() string {
	switch {
	case d.CloudWatchLogs != nil:
		return "cloud-watch-logs"
	case d.S3 != nil:
		return "s3"
	case d.Firehose != nil:
		return "kinesis-data-firehose"
	}
	return ""
}

// CloudWatchLogs delivers to a log group flowplan creates and manages.
type CloudWatchLogs struct {
	// LogGroup is a name template; placeholders {account_id},
	// {account_alias}, {region}, {rule} and {resource_id} are expanded per
	// flow log by the engine.
	LogGroup string
	// RetentionDays is one of CloudWatch's allowed values; 0 means never expire.
	RetentionDays int
	// KMSKeyARN optionally encrypts the log group; always a key ARN.
	KMSKeyARN string
	// DeliveryRole is a delivery_roles name, or (when DeliveryRoleARN is set)
	// the ARN of an existing role in the same account.
	DeliveryRole string
	// DeliveryRoleARN is set when DeliveryRole is an existing role's ARN;
	// it may contain the {account_id} placeholder.
	DeliveryRoleARN string
}

// S3 delivers to a bucket, usually a central one.
type S3 struct {
	// BucketARN is arn:aws:s3:::name (no prefix; see Prefix).
	BucketARN string
	// Prefix is an optional folder ending in "/"; "AWSLogs" is not allowed.
	Prefix string
	// FileFormat is plain-text or parquet.
	FileFormat string
	// HiveCompatiblePartitions and PerHourPartition are DestinationOptions.
	HiveCompatiblePartitions bool
	PerHourPartition         bool
	// ManageBucketPolicy makes flowplan keep its own delivery statements
	// (Sids prefixed "flowplan-") in the bucket policy.
	ManageBucketPolicy bool
	// BucketAccount is the account ID that owns the bucket, whose
	// credentials manage its policy. Optional: with ManageBucketPolicy and
	// no BucketAccount, discovery finds the owner among the spec's
	// accounts (engine.Discover).
	BucketAccount string
}

// Firehose delivers to a Kinesis Data Firehose delivery stream.
//
// Delivery to a stream in another account takes two roles: DeliveryRole in
// the flow log's account (DeliverLogsPermissionArn), which the log delivery
// service assumes, and CrossAccountRole in the stream's account
// (DeliverCrossAccountRole), which DeliveryRole assumes to write to the
// stream. Delivery within the stream's own account takes neither.
type Firehose struct {
	// DeliveryStreamARN is the stream's ARN.
	DeliveryStreamARN string
	// DeliveryRole is a delivery_roles name, or (when DeliveryRoleARN is
	// set) the ARN of an existing role; flow logs outside the stream's
	// account use it. Empty when the rule has no such flow logs.
	DeliveryRole string
	// DeliveryRoleARN is set when DeliveryRole is an existing role's ARN;
	// it may contain the {account_id} placeholder.
	DeliveryRoleARN string
	// CrossAccountRole is the role in the stream's account that writes to
	// the stream for flow logs of other accounts. Its name starts with
	// CrossAccountRolePrefix. Empty when the rule has no such flow logs.
	CrossAccountRole string
}

// CrossAccountRolePrefix starts the name of every Firehose destination
// role (DeliverCrossAccountRole): AWS's log delivery uses no other.
const CrossAccountRolePrefix = "AWSLogDeliveryFirehoseCrossAccountRole"

// StreamAccount returns the account ID of the delivery stream, or "" when
// the ARN has none.
func (f *Firehose) StreamAccount() string {
	return arn.DeliveryStreamAccount(f.DeliveryStreamARN)
}

// CrossAccount reports whether flow logs in account deliver to the stream
// across accounts, and so need DeliveryRole and CrossAccountRole.
func (f *Firehose) CrossAccount(account string) bool {
	return account != f.StreamAccount()
}

// AccountByRef finds a static account by ID or alias.
func (s *Spec) AccountByRef(ref string) (Account, bool) {
	for _, a := range s.Accounts {
		if a.ID == ref || (a.Alias != "" && a.Alias == ref) {
			return a, true
		}
	}
	return Account{}, false
}

// DeliveryRoleByName finds a delivery role by name.
func (s *Spec) DeliveryRoleByName(name string) (DeliveryRole, bool) {
	for _, r := range s.DeliveryRoles {
		if r.Name == name {
			return r, true
		}
	}
	return DeliveryRole{}, false
}

// RuleByName finds a rule by name.
func (s *Spec) RuleByName(name string) (*Rule, bool) {
	for i := range s.Rules {
		if s.Rules[i].Name == name {
			return &s.Rules[i], true
		}
	}
	return nil, false
}
