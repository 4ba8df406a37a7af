package awsemu

import (
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// stateFormatVersion is written into saved state; Load refuses other versions.
const stateFormatVersion = 1

// state is everything the emulator knows. It is saved and loaded as JSON, so
// every saved field is exported and tagged; it is guarded by Emulator.mu
// and the scope locks (locks.go).
type state struct {
	FormatVersion int `json:"format_version"`
	// Seed and Counter drive deterministic ID generation; idMu guards
	// Counter (a leaf lock: calls of several account-regions make IDs at
	// once).
	Seed    int64  `json:"seed"`
	Counter uint64 `json:"counter"`
	idMu    sync.Mutex
	// Accounts by account ID.
	Accounts map[string]*account `json:"accounts"`
	// Keys are credentials by access key ID, long-lived and minted by AssumeRole.
	Keys map[string]*accessKey `json:"keys"`
	// Buckets by name: S3 bucket names are global.
	Buckets map[string]*bucket `json:"buckets"`
	// Organization is nil when no organisation exists.
	Organization *organization `json:"organization,omitempty"`
}

// accessKey is a credential the emulator accepts.
type accessKey struct {
	AccessKeyID     string `json:"access_key_id"`
	SecretAccessKey string `json:"secret_access_key"`
	// SessionToken is set for temporary credentials; requests must carry it.
	SessionToken string `json:"session_token,omitempty"`
	Account      string `json:"account"`
	// ARN is the principal: an IAM user, the account root, or an
	// assumed-role session.
	ARN string `json:"arn"`
	// RoleARN is the role a session belongs to.
	RoleARN string `json:"role_arn,omitempty"`
	// UserID is what GetCallerIdentity reports as UserId.
	UserID string `json:"user_id"`
	// Expires is zero for long-lived keys.
	Expires time.Time `json:"expires,omitzero"`
	// Sandbox marks the credentials SandboxCredentials returns.
	Sandbox bool `json:"sandbox,omitempty"`
}

type account struct {
	ID     string `json:"id"`
	Name   string `json:"name,omitempty"`
	Email  string `json:"email,omitempty"`
	Status string `json:"status,omitempty"` // ACTIVE or SUSPENDED (Organizations)
	// Partition is aws (when empty), aws-cn or aws-us-gov.
	Partition string `json:"partition,omitempty"`
	// OptInRegions are opt-in regions this account has enabled.
	OptInRegions []string `json:"opt_in_regions,omitempty"`
	// Regions by name; created on first use.
	Regions map[string]*region `json:"regions"`
	// Roles by lower-cased name: IAM role names are unique case-insensitively.
	Roles map[string]*role `json:"roles"`
	// InstanceProfiles by lower-cased name, unique case-insensitively like roles.
	InstanceProfiles map[string]*instanceProfile `json:"instance_profiles,omitempty"`
}

type region struct {
	Name            string                     `json:"name"`
	VPCs            map[string]*vpc            `json:"vpcs"`
	Subnets         map[string]*subnet         `json:"subnets"`
	ENIs            map[string]*eni            `json:"enis"`
	TGWs            map[string]*tgw            `json:"transit_gateways"`
	TGWAttachments  map[string]*tgwAttachment  `json:"transit_gateway_attachments"`
	NATGateways     map[string]*natGateway     `json:"nat_gateways,omitempty"`
	FlowLogs        map[string]*flowLog        `json:"flow_logs"`
	LogGroups       map[string]*logGroup       `json:"log_groups"`
	DeliveryStreams map[string]*deliveryStream `json:"delivery_streams"`
	// ClientTokens records CreateFlowLogs results for idempotency.
	ClientTokens map[string]*clientTokenRecord `json:"client_tokens"`
	// CreateTokens records other idempotent creates by "Action/token".
	CreateTokens map[string]*tokenResult `json:"create_tokens,omitempty"`
}

func newRegion(name string) *region {
	return &region{
		Name:            name,
		VPCs:            map[string]*vpc{},
		Subnets:         map[string]*subnet{},
		ENIs:            map[string]*eni{},
		TGWs:            map[string]*tgw{},
		TGWAttachments:  map[string]*tgwAttachment{},
		NATGateways:     map[string]*natGateway{},
		FlowLogs:        map[string]*flowLog{},
		LogGroups:       map[string]*logGroup{},
		DeliveryStreams: map[string]*deliveryStream{},
		ClientTokens:    map[string]*clientTokenRecord{},
		CreateTokens:    map[string]*tokenResult{},
	}
}

// tags is a resource's tag set. EC2 returns tags in no documented order; the
// emulator returns them sorted by key.
type tags map[string]string

func (t tags) sortedKeys() []string { return slices.Sorted(maps.Keys(t)) }

type vpc struct {
	ID            string `json:"id"`
	CIDR          string `json:"cidr"`
	DHCPOptionsID string `json:"dhcp_options_id"`
	AssociationID string `json:"association_id"`
	IsDefault     bool   `json:"is_default,omitempty"`
	// Tenancy is default (when empty) or dedicated.
	Tenancy string    `json:"instance_tenancy,omitempty"`
	Tags    tags      `json:"tags,omitempty"`
	Created time.Time `json:"created"`
}

type subnet struct {
	ID      string `json:"id"`
	VPCID   string `json:"vpc_id"`
	CIDR    string `json:"cidr"`
	AZ      string `json:"az"`
	AZID    string `json:"az_id"`
	Tags    tags   `json:"tags,omitempty"`
	Default bool   `json:"default_for_az,omitempty"`
}

type eni struct {
	ID          string `json:"id"`
	SubnetID    string `json:"subnet_id"`
	VPCID       string `json:"vpc_id"`
	AZ          string `json:"az"`
	PrivateIP   string `json:"private_ip"`
	MAC         string `json:"mac"`
	Description string `json:"description,omitempty"`
	Type        string `json:"interface_type"`
	// Status is in-use (attached) or available.
	Status string `json:"status"`
	// RequesterManaged marks an interface a service created for itself
	// (a NAT gateway's); it cannot be deleted.
	RequesterManaged bool `json:"requester_managed,omitempty"`
	Tags             tags `json:"tags,omitempty"`
	// NoTraffic marks an interface that sends and receives nothing, so
	// that its flow logs deliver no records (world files: traffic: false).
	NoTraffic bool `json:"no_traffic,omitempty"`
}

type tgw struct {
	ID          string    `json:"id"`
	Description string    `json:"description,omitempty"`
	ASN         int64     `json:"amazon_side_asn"`
	RouteTable  string    `json:"route_table_id"`
	Tags        tags      `json:"tags,omitempty"`
	Created     time.Time `json:"created"`
}

type tgwAttachment struct {
	ID            string    `json:"id"`
	TGWID         string    `json:"transit_gateway_id"`
	TGWOwner      string    `json:"transit_gateway_owner_id"`
	ResourceType  string    `json:"resource_type"`
	ResourceID    string    `json:"resource_id"`
	ResourceOwner string    `json:"resource_owner_id"`
	RouteTable    string    `json:"route_table_id"`
	Tags          tags      `json:"tags,omitempty"`
	Created       time.Time `json:"created"`
}

// natGateway is a zonal or regional NAT gateway (see ec2_nat.go).
type natGateway struct {
	ID string `json:"id"`
	// AvailabilityMode is zonal or regional.
	AvailabilityMode string `json:"availability_mode"`
	// ConnectivityType is public or private.
	ConnectivityType string `json:"connectivity_type"`
	VPCID            string `json:"vpc_id"`
	// SubnetID and ENIID are a zonal NAT gateway's subnet and interface.
	SubnetID string `json:"subnet_id,omitempty"`
	ENIID    string `json:"eni_id,omitempty"`
	// State is available or deleted.
	State   string    `json:"state"`
	Tags    tags      `json:"tags,omitempty"`
	Created time.Time `json:"created"`
	Deleted time.Time `json:"deleted,omitzero"`
}

// flowLog is stored as created. Its delivery status is not stored: it is
// worked out from the current roles, policies and destinations each time it
// is described, the way AWS reports the outcome of its latest delivery.
type flowLog struct {
	ID                       string              `json:"id"`
	ResourceID               string              `json:"resource_id"`
	ResourceType             string              `json:"resource_type"`
	TrafficType              string              `json:"traffic_type,omitempty"`
	DestinationType          string              `json:"log_destination_type"`
	Destination              string              `json:"log_destination"`
	LogGroupName             string              `json:"log_group_name,omitempty"`
	DeliverLogsPermissionArn string              `json:"deliver_logs_permission_arn,omitempty"`
	DeliverCrossAccountRole  string              `json:"deliver_cross_account_role,omitempty"`
	LogFormat                string              `json:"log_format"`
	MaxAggregationInterval   int                 `json:"max_aggregation_interval"`
	DestinationOptions       *destinationOptions `json:"destination_options,omitempty"`
	TagFieldSpecs            []tagFieldSpec      `json:"tag_field_specifications,omitempty"`
	Tags                     tags                `json:"tags,omitempty"`
	Created                  time.Time           `json:"created"`
	// ResourceDeleted is when the flow log's resource was deleted; the flow
	// log lingers for flowLogLinger after it.
	ResourceDeleted time.Time `json:"resource_deleted,omitzero"`
	// DeliveredUntil is the end of the last delivery window the flow log
	// has delivered (flowlog_delivery.go); zero before its first delivery.
	DeliveredUntil time.Time `json:"delivered_until,omitzero"`
}

type destinationOptions struct {
	FileFormat               string `json:"file_format"`
	HiveCompatiblePartitions bool   `json:"hive_compatible_partitions"`
	PerHourPartition         bool   `json:"per_hour_partition"`
}

type tagFieldSpec struct {
	ResourceType string   `json:"resource_type"`
	TagKeys      []string `json:"tag_keys"`
}

type logGroup struct {
	Name          string    `json:"name"`
	Created       time.Time `json:"created"`
	RetentionDays int       `json:"retention_days,omitempty"`
	KMSKeyID      string    `json:"kms_key_id,omitempty"`
	Class         string    `json:"class"`
	Tags          tags      `json:"tags,omitempty"`
	// Streams are the log streams by name; flow logs write one per
	// network interface.
	Streams map[string]*logStream `json:"streams,omitempty"`
}

// logStream is a CloudWatch Logs log stream with its events, oldest first.
// Times are milliseconds since the epoch, as the API reports them.
type logStream struct {
	Name          string     `json:"name"`
	Created       int64      `json:"created"`
	FirstEvent    int64      `json:"first_event"`
	LastEvent     int64      `json:"last_event"`
	LastIngestion int64      `json:"last_ingestion"`
	Events        []logEvent `json:"events"`
}

type logEvent struct {
	Timestamp int64  `json:"timestamp"`
	Ingestion int64  `json:"ingestion"`
	Message   string `json:"message"`
}

type deliveryStream struct {
	Name    string    `json:"name"`
	Status  string    `json:"status"`
	Created time.Time `json:"created"`
	Tags    tags      `json:"tags,omitempty"`
}

type clientTokenRecord struct {
	Fingerprint  string         `json:"fingerprint"`
	FlowLogIDs   []string       `json:"flow_log_ids"`
	Unsuccessful []unsuccessful `json:"unsuccessful,omitempty"`
	Created      time.Time      `json:"created"`
}

type unsuccessful struct {
	ResourceID string `json:"resource_id"`
	Code       string `json:"code"`
	Message    string `json:"message"`
}

type role struct {
	Name        string    `json:"name"`
	Path        string    `json:"path"`
	ID          string    `json:"id"`
	Created     time.Time `json:"created"`
	Description string    `json:"description,omitempty"`
	MaxSession  int       `json:"max_session_duration"`
	// TrustPolicy is stored as IAM keeps it (account-ID principals rewritten).
	TrustPolicy string `json:"trust_policy"`
	// TrustUpdated is when the trust policy last changed; IAM propagation
	// delays run from max(Created, TrustUpdated).
	TrustUpdated time.Time `json:"trust_updated,omitzero"`
	// Policies are inline policies by name.
	Policies map[string]string `json:"policies,omitempty"`
	Boundary string            `json:"permissions_boundary,omitempty"`
	Tags     []tagPair         `json:"tags,omitempty"`
}

// tagPair keeps IAM tag order: IAM returns tags in the order they were added.
type tagPair struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// roleARN is the ARN of one of the account's roles.
func (a *account) roleARN(r *role) string {
	return iamARN(a.partition(), a.ID, "role"+r.Path+r.Name)
}

// instanceProfile is an IAM instance profile: a container for at most one
// role, which EC2 instances use.
type instanceProfile struct {
	Name    string    `json:"name"`
	Path    string    `json:"path"`
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	// Roles are the lower-cased names of the roles in the profile (at most
	// one: the InstanceSessionsPerInstanceProfile quota).
	Roles []string  `json:"roles,omitempty"`
	Tags  []tagPair `json:"tags,omitempty"`
}

func (p *instanceProfile) arn(a *account) string {
	return iamARN(a.partition(), a.ID, "instance-profile"+p.Path+p.Name)
}

type bucket struct {
	Name    string    `json:"name"`
	Owner   string    `json:"owner"`
	Region  string    `json:"region"`
	Created time.Time `json:"created"`
	Policy  string    `json:"policy,omitempty"`
	// Objects by key: the log files flow logs delivered.
	Objects map[string]*s3Object `json:"objects,omitempty"`
}

// s3Object is an object in a bucket. FlowLogID records which flow log
// delivered it, so that the emulator can bound what it keeps per flow log;
// S3 does not report it.
type s3Object struct {
	Key          string    `json:"key"`
	LastModified time.Time `json:"last_modified"`
	Body         []byte    `json:"body"`
	ContentType  string    `json:"content_type"`
	FlowLogID    string    `json:"flow_log_id,omitempty"`
}

type organization struct {
	ID                string   `json:"id"`
	ManagementAccount string   `json:"management_account"`
	DelegatedAdmins   []string `json:"delegated_admins,omitempty"`
	Root              *orgUnit `json:"root"`
	// Joined is when each member account joined, by account ID.
	Joined map[string]time.Time `json:"joined"`
}

// orgUnit is the root or an OU.
type orgUnit struct {
	ID       string     `json:"id"`
	Name     string     `json:"name"`
	Accounts []string   `json:"accounts,omitempty"`
	Children []*orgUnit `json:"children,omitempty"`
}

func (o *organization) find(id string) *orgUnit {
	var walk func(u *orgUnit) *orgUnit
	walk = func(u *orgUnit) *orgUnit {
		if u.ID == id {
			return u
		}
		for _, c := range u.Children {
			if f := walk(c); f != nil {
				return f
			}
		}
		return nil
	}
	return walk(o.Root)
}

func (o *organization) members() []string {
	var out []string
	var walk func(u *orgUnit)
	walk = func(u *orgUnit) {
		out = append(out, u.Accounts...)
		for _, c := range u.Children {
			walk(c)
		}
	}
	walk(o.Root)
	sort.Strings(out)
	return out
}

// regionOf returns the account's region, creating an empty one on first use.
func (a *account) regionOf(name string) *region {
	r, ok := a.Regions[name]
	if !ok {
		r = newRegion(name)
		a.Regions[name] = r
	}
	return r
}

func (a *account) roleByName(name string) *role {
	return a.Roles[strings.ToLower(name)]
}

func newState(seed int64) *state {
	return &state{
		FormatVersion: stateFormatVersion,
		Seed:          seed,
		Accounts:      map[string]*account{},
		Keys:          map[string]*accessKey{},
		Buckets:       map[string]*bucket{},
	}
}

func (s *state) accountOf(id string) *account {
	a, ok := s.Accounts[id]
	if !ok {
		a = &account{ID: id, Status: "ACTIVE", Regions: map[string]*region{}, Roles: map[string]*role{},
			InstanceProfiles: map[string]*instanceProfile{}}
		s.Accounts[id] = a
	}
	return a
}
