// Package runnerpolicy derives from a spec the IAM policies flowplan's credentials need: the AWS operations each command makes, the IAM actions AWS authorizes them with, and statements scoped to the spec's resources.
package runnerpolicy

import "slices"

// Mode is the flowplan command a policy is for.
type Mode string

// The modes: plan and drift only read; apply also writes; audit reads and
// collects evidence of delivery.
const (
	Plan  Mode = "plan"
	Apply Mode = "apply"
	Drift Mode = "drift"
	Audit Mode = "audit"
)

// Modes lists every mode.
var Modes = []Mode{Plan, Apply, Drift, Audit}

// Phase is a part of a command's work.
type Phase string

// The phases: every mode discovers; apply takes its lock and writes;
// audit reads evidence.
const (
	Discover Phase = "discover"
	Lock     Phase = "lock"
	Write    Phase = "write"
	Evidence Phase = "evidence"
)

// Phases returns the phases a mode goes through.
func (m Mode) Phases() []Phase {
	switch m {
	case Apply:
		return []Phase{Discover, Lock, Write}
	case Audit:
		return []Phase{Discover, Evidence}
	}
	return []Phase{Discover}
}

// Principal is whose policy an operation's actions go in.
type Principal string

// The principals. Runner is the role flowplan assumes in each account (or,
// in an account without assume_role, the credentials it starts with).
// Caller is the credentials flowplan starts with: they list the
// organization and assume the runner roles.
const (
	Runner Principal = "runner"
	Caller Principal = "caller"
)

// Need names a fact about a spec that makes flowplan call an operation or
// need a grant. Needs are evaluated by facts.has.
type Need string

// The needs.
const (
	Always Need = "always"
	// TargetVPCs ... are "the spec targets this kind somewhere".
	TargetVPCs                      Need = "targets vpcs"
	TargetSubnets                   Need = "targets subnets"
	TargetNetworkInterfaces         Need = "targets network_interfaces"
	TargetRegionalNatGateways       Need = "targets regional_nat_gateways"
	TargetTransitGateways           Need = "targets transit_gateways"
	TargetTransitGatewayAttachments Need = "targets transit_gateway_attachments"
	// FlowLogTargets: a target kind CreateFlowLogs is authorized on (all
	// but regional NAT gateways, which the reference lists no resource type
	// for).
	FlowLogTargets Need = "targets a kind CreateFlowLogs authorizes"
	// CloudWatchLogs: a rule delivers to CloudWatch Logs.
	CloudWatchLogs Need = "cloudwatch_logs rules"
	// ManagedRoles: a rule names a delivery_roles entry, which flowplan
	// creates and keeps.
	ManagedRoles Need = "managed delivery roles"
	// RoleDeletes: flowplan may delete a delivery role: a managed one is
	// replaced when its path changes, and prune deletes unused ones.
	RoleDeletes Need = "managed delivery roles or prune"
	// PassedRoles: flow logs name a delivery role (managed or by ARN).
	PassedRoles Need = "delivery roles passed to flow logs"
	// LogDelivery: a rule delivers to S3 or Firehose, which AWS sets up
	// as a log delivery.
	LogDelivery Need = "s3 or firehose rules"
	// ManagedBuckets: a rule has manage_bucket_policy.
	ManagedBuckets Need = "manage_bucket_policy"
	// LocateBucketOwners: a rule has manage_bucket_policy and its bucket's
	// rules give no bucket_account, so discovery lists each account's
	// buckets to find the owner.
	LocateBucketOwners Need = "manage_bucket_policy without bucket_account"
	// S3Destinations: a rule delivers to S3.
	S3Destinations Need = "s3 rules"
	// UnmanagedS3Destinations: a rule delivers to S3 in a bucket whose
	// policy flowplan does not manage (so discovery has not located it).
	UnmanagedS3Destinations Need = "s3 rules without manage_bucket_policy"
	// WholeOrganization and OrganizationOUs: the organization block lists
	// every account, or those under include_ous.
	WholeOrganization Need = "organization without include_ous"
	OrganizationOUs   Need = "organization with include_ous"
	// Organization: the spec has an organization block.
	Organization Need = "organization"
	// StartingAccount: flowplan works in an account with the credentials
	// it starts with (a static account without assume_role, or the
	// organization account it runs in), so it asks STS which account they
	// belong to.
	StartingAccount Need = "starting credentials' account"
	// AssumesRoles: an account is reached through assume_role or the
	// organization's assume_role_name.
	AssumesRoles Need = "assume_role"
	// LockByRunner and LockByCaller: where apply's lock lives
	// (engine.LockScope). It is in the spec's first account, taken by that
	// account's runner: its assume_role, or the credentials flowplan starts
	// with when it has none (LockByRunner). A spec with only an
	// organization block keeps it in the organization account flowplan
	// runs in, with the starting credentials (LockByCaller).
	LockByRunner Need = "apply lock in an assumed account"
	LockByCaller Need = "apply lock with the starting credentials"
)

// Grant is an IAM action an operation needs and the statement that gives
// it. When, if set, is a further need of this grant alone.
type Grant struct {
	Action    string
	Statement string
	When      Need
}

// Operation is one AWS API operation flowplan makes.
type Operation struct {
	// Service is the SigV4 signing name, which is also the IAM service
	// prefix for these services: ec2, iam, sts, logs, s3, organizations.
	Service string
	// Name is the API operation, e.g. DescribeVpcs.
	Name string
	// Principal is whose credentials make the call.
	Principal Principal
	// Phase is when flowplan makes it.
	Phase Phase
	// Need says when: the spec facts that make flowplan call it.
	Need Need
	// Grants are the IAM actions AWS authorizes it with, dependent actions
	// included. None: AWS requires no permission (sts:GetCallerIdentity).
	Grants []Grant
	// Why says what flowplan calls it for.
	Why string
}

// Key is "<service>:<operation>", as the emulator's call counters name it.
func (o Operation) Key() string { return o.Service + ":" + o.Name }

// Statement Sids, in the order policies list them.
const (
	sidDescribeNetwork         = "DescribeNetworkAndFlowLogs"
	sidListRoles               = "ListRoles"
	sidReadRoles               = "ReadRoles"
	sidCreateRoles             = "CreateDeliveryRoles"
	sidUpdateRoles             = "UpdateManagedDeliveryRoles"
	sidDeleteRoles             = "DeleteManagedDeliveryRoles"
	sidPassRoles               = "PassDeliveryRoles"
	sidDescribeLogGroups       = "DescribeLogGroups"
	sidReadLogGroups           = "ReadLogGroups"
	sidWriteLogGroups          = "WriteLogGroups"
	sidCreateFlowLogs          = "CreateTaggedFlowLogs"
	sidCreateFlowLogsOnTargets = "CreateFlowLogsOnTargets"
	sidTagOnCreate             = "TagFlowLogsOnCreate"
	sidRetag                   = "RetagManagedFlowLogs"
	sidAdopt                   = "AdoptUnmanagedFlowLogs"
	sidDeleteFlowLogs          = "DeleteManagedFlowLogs"
	sidLogDeliveries           = "LogDeliveries"
	sidBucketPolicies          = "ManagedBucketPolicies"
	sidFindBucketOwners        = "FindManagedBucketOwners"
	sidReadBuckets             = "ListDestinationBuckets"
	sidLocateBuckets           = "LocateDestinationBuckets"
	sidAssumeRunner            = "AssumeRunnerRoles"
	sidListOrganization        = "ListOrganizationAccounts"
	sidFindApplyLocks          = "FindApplyLocks"
	sidApplyLock               = "ApplyLock"
)

// statementOrder is the order statements are listed in.
var statementOrder = []string{
	sidDescribeNetwork, sidListRoles, sidReadRoles, sidCreateRoles, sidUpdateRoles, sidDeleteRoles, sidPassRoles,
	sidDescribeLogGroups, sidReadLogGroups, sidWriteLogGroups,
	sidCreateFlowLogs, sidCreateFlowLogsOnTargets, sidTagOnCreate, sidRetag, sidAdopt, sidDeleteFlowLogs, sidLogDeliveries,
	sidBucketPolicies, sidFindBucketOwners, sidReadBuckets, sidLocateBuckets,
	sidAssumeRunner, sidListOrganization,
	sidFindApplyLocks, sidApplyLock,
}

func g(action, statement string) Grant { return Grant{Action: action, Statement: statement} }

// Operations is every operation flowplan makes, in each phase, with the
// IAM actions it needs: the one table the generated policies and the tests
// that prove them are read from. providers/aws makes these calls; the
// emulator's call counters (awsemu Counts) name them by Key.
//
// The actions and their resources and condition keys follow the Service
// Authorization Reference (Actions, resources, and condition keys for
// Amazon EC2, IAM, AWS STS, Amazon CloudWatch Logs, Amazon S3 and AWS
// Organizations) and the service guides it links:
//   - EC2 Describe* calls, iam:ListRoles and the Organizations List* calls
//     take no resource-level permissions: Resource "*".
//   - ec2:CreateFlowLogs is authorized on the new flow log (vpc-flow-log,
//     with aws:RequestTag and aws:TagKeys) and on each target's own type,
//     and lists ec2:CreateTags and iam:PassRole as dependent actions: tags
//     given at creation need ec2:CreateTags, which ec2:CreateAction can
//     limit to CreateFlowLogs (EC2 user guide, "Grant permission to tag
//     resources during creation").
//   - ec2:DeleteFlowLogs and ec2:CreateTags on vpc-flow-log take
//     aws:ResourceTag.
//   - S3 and Firehose destinations need logs:CreateLogDelivery and
//     logs:DeleteLogDelivery on "*" (VPC user guide, "Permissions for IAM
//     principals that publish flow logs to Amazon S3", and the Firehose
//     source account role).
//   - CreateLogGroup with tags needs logs:TagResource (CreateLogGroup, API
//     reference); logs:DescribeLogGroups is authorized on log-group:* of
//     the account-region, never one group.
//   - sts:GetCallerIdentity needs no permission and cannot be denied
//     (GetCallerIdentity, AWS STS API reference).
//   - S3 ListBuckets is authorized by s3:ListAllMyBuckets, which takes no
//     resource-level permissions: Resource "*" (ListBuckets, S3 API
//     reference).
var Operations = slices.Concat(surveyAndWriteOperations, lockOperations(), evidenceOperations)

// surveyAndWriteOperations are discovery's and apply's calls.
var surveyAndWriteOperations = []Operation{
	// The accounts: the organization's members, read with the caller's
	// credentials, and one AssumeRole per account.
	{Service: "organizations", Name: "ListAccounts", Principal: Caller, Phase: Discover, Need: WholeOrganization,
		Grants: []Grant{g("organizations:ListAccounts", sidListOrganization)}, Why: "list the organization's accounts"},
	{Service: "organizations", Name: "ListAccountsForParent", Principal: Caller, Phase: Discover, Need: OrganizationOUs,
		Grants: []Grant{g("organizations:ListAccountsForParent", sidListOrganization)}, Why: "list the accounts of include_ous"},
	{Service: "organizations", Name: "ListOrganizationalUnitsForParent", Principal: Caller, Phase: Discover, Need: OrganizationOUs,
		Grants: []Grant{g("organizations:ListOrganizationalUnitsForParent", sidListOrganization)}, Why: "walk the OUs under include_ous"},
	{Service: "sts", Name: "GetCallerIdentity", Principal: Caller, Phase: Discover, Need: StartingAccount,
		Why: "find the account flowplan runs in, which it works on without assuming a role (and refuse an account without assume_role that the credentials do not belong to)"},
	{Service: "sts", Name: "AssumeRole", Principal: Caller, Phase: Discover, Need: AssumesRoles,
		Grants: []Grant{g("sts:AssumeRole", sidAssumeRunner)}, Why: "assume the runner role of each account"},

	// Discovery in each account and region.
	{Service: "ec2", Name: "DescribeRegions", Principal: Runner, Phase: Discover, Need: Always,
		Grants: []Grant{g("ec2:DescribeRegions", sidDescribeNetwork)}, Why: "check, once per account, that the spec's regions are enabled there"},
	{Service: "ec2", Name: "DescribeFlowLogs", Principal: Runner, Phase: Discover, Need: Always,
		Grants: []Grant{g("ec2:DescribeFlowLogs", sidDescribeNetwork)}, Why: "read every flow log; read back created ones and check ownership before each write"},
	{Service: "ec2", Name: "DescribeVpcs", Principal: Runner, Phase: Discover, Need: TargetVPCs,
		Grants: []Grant{g("ec2:DescribeVpcs", sidDescribeNetwork)}, Why: "find the VPCs rules select"},
	{Service: "ec2", Name: "DescribeSubnets", Principal: Runner, Phase: Discover, Need: TargetSubnets,
		Grants: []Grant{g("ec2:DescribeSubnets", sidDescribeNetwork)}, Why: "find the subnets rules select"},
	{Service: "ec2", Name: "DescribeNetworkInterfaces", Principal: Runner, Phase: Discover, Need: TargetNetworkInterfaces,
		Grants: []Grant{g("ec2:DescribeNetworkInterfaces", sidDescribeNetwork)}, Why: "find the network interfaces rules select"},
	{Service: "ec2", Name: "DescribeNatGateways", Principal: Runner, Phase: Discover, Need: TargetRegionalNatGateways,
		Grants: []Grant{g("ec2:DescribeNatGateways", sidDescribeNetwork)}, Why: "find the regional NAT gateways rules select"},
	{Service: "ec2", Name: "DescribeTransitGateways", Principal: Runner, Phase: Discover, Need: TargetTransitGateways,
		Grants: []Grant{g("ec2:DescribeTransitGateways", sidDescribeNetwork)}, Why: "find the transit gateways rules select"},
	{Service: "ec2", Name: "DescribeTransitGatewayAttachments", Principal: Runner, Phase: Discover, Need: TargetTransitGatewayAttachments,
		Grants: []Grant{g("ec2:DescribeTransitGatewayAttachments", sidDescribeNetwork)}, Why: "find the attachments rules select"},
	{Service: "iam", Name: "ListRoles", Principal: Runner, Phase: Discover, Need: Always,
		Grants: []Grant{g("iam:ListRoles", sidListRoles)}, Why: "find flowplan's delivery roles, named by the spec or not (prune, orphans)"},
	{Service: "iam", Name: "GetRole", Principal: Runner, Phase: Discover, Need: Always,
		Grants: []Grant{g("iam:GetRole", sidReadRoles)}, Why: "read delivery roles with their tags; check ownership before each write"},
	{Service: "iam", Name: "GetRolePolicy", Principal: Runner, Phase: Discover, Need: Always,
		Grants: []Grant{g("iam:GetRolePolicy", sidReadRoles)}, Why: "read each delivery role's flowplan-delivery policy"},
	{Service: "logs", Name: "DescribeLogGroups", Principal: Runner, Phase: Discover, Need: CloudWatchLogs,
		Grants: []Grant{g("logs:DescribeLogGroups", sidDescribeLogGroups)}, Why: "find the log groups rules want"},
	{Service: "logs", Name: "ListTagsForResource", Principal: Runner, Phase: Discover, Need: CloudWatchLogs,
		Grants: []Grant{g("logs:ListTagsForResource", sidReadLogGroups)}, Why: "read log groups' tags (ownership)"},
	{Service: "s3", Name: "ListBuckets", Principal: Runner, Phase: Discover, Need: LocateBucketOwners,
		Grants: []Grant{g("s3:ListAllMyBuckets", sidFindBucketOwners)}, Why: "find the owner of a managed bucket without bucket_account: once per account, which lists the buckets it owns"},
	{Service: "s3", Name: "GetBucketLocation", Principal: Runner, Phase: Discover, Need: ManagedBuckets,
		Grants: []Grant{g("s3:GetBucketLocation", sidBucketPolicies)}, Why: "find a managed bucket's region"},
	{Service: "s3", Name: "GetBucketPolicy", Principal: Runner, Phase: Discover, Need: ManagedBuckets,
		Grants: []Grant{g("s3:GetBucketPolicy", sidBucketPolicies)}, Why: "read a managed bucket's policy"},

	// Apply.
	{Service: "iam", Name: "CreateRole", Principal: Runner, Phase: Write, Need: ManagedRoles,
		Grants: []Grant{g("iam:CreateRole", sidCreateRoles), g("iam:TagRole", sidCreateRoles)},
		// IAM has no condition key that limits TagRole to a CreateRole, so
		// this grant (tags with aws:RequestTag flowplan:spec=<spec>) also
		// lets flowplan adopt a role of a delivery_roles name that carries
		// no tag (adopt: true); the proof's world has such a role.
		Why: "create a delivery role with its tags; tag a role being adopted"},
	{Service: "iam", Name: "UpdateAssumeRolePolicy", Principal: Runner, Phase: Write, Need: ManagedRoles,
		Grants: []Grant{g("iam:UpdateAssumeRolePolicy", sidUpdateRoles)}, Why: "change a delivery role's trust (regions, services)"},
	{Service: "iam", Name: "UpdateRole", Principal: Runner, Phase: Write, Need: ManagedRoles,
		Grants: []Grant{g("iam:UpdateRole", sidUpdateRoles)}, Why: "give an adopted role flowplan's description, by which discovery finds it once the spec no longer names it"},
	{Service: "iam", Name: "TagRole", Principal: Runner, Phase: Write, Need: ManagedRoles,
		Grants: []Grant{g("iam:TagRole", sidUpdateRoles)}, Why: "update a delivery role's tags (the rules using it)"},
	{Service: "iam", Name: "PutRolePermissionsBoundary", Principal: Runner, Phase: Write, Need: ManagedRoles,
		Grants: []Grant{g("iam:PutRolePermissionsBoundary", sidUpdateRoles)}, Why: "set a delivery role's permissions boundary"},
	{Service: "iam", Name: "DeleteRolePermissionsBoundary", Principal: Runner, Phase: Write, Need: ManagedRoles,
		Grants: []Grant{g("iam:DeleteRolePermissionsBoundary", sidUpdateRoles)}, Why: "remove a boundary the spec no longer gives"},
	{Service: "iam", Name: "PutRolePolicy", Principal: Runner, Phase: Write, Need: ManagedRoles,
		Grants: []Grant{g("iam:PutRolePolicy", sidUpdateRoles)}, Why: "write a delivery role's flowplan-delivery policy"},
	{Service: "iam", Name: "DeleteRolePolicy", Principal: Runner, Phase: Write, Need: RoleDeletes,
		Grants: []Grant{g("iam:DeleteRolePolicy", sidDeleteRoles)}, Why: "delete flowplan-delivery before deleting its role"},
	{Service: "iam", Name: "DeleteRole", Principal: Runner, Phase: Write, Need: RoleDeletes,
		Grants: []Grant{g("iam:DeleteRole", sidDeleteRoles)}, Why: "delete a pruned or replaced delivery role"},
	{Service: "logs", Name: "CreateLogGroup", Principal: Runner, Phase: Write, Need: CloudWatchLogs,
		Grants: []Grant{g("logs:CreateLogGroup", sidWriteLogGroups), g("logs:TagResource", sidWriteLogGroups)}, Why: "create a log group with its tags"},
	{Service: "logs", Name: "PutRetentionPolicy", Principal: Runner, Phase: Write, Need: CloudWatchLogs,
		Grants: []Grant{g("logs:PutRetentionPolicy", sidWriteLogGroups)}, Why: "set a log group's retention"},
	{Service: "logs", Name: "DeleteRetentionPolicy", Principal: Runner, Phase: Write, Need: CloudWatchLogs,
		Grants: []Grant{g("logs:DeleteRetentionPolicy", sidWriteLogGroups)}, Why: "remove a retention the spec no longer gives"},
	{Service: "logs", Name: "AssociateKmsKey", Principal: Runner, Phase: Write, Need: CloudWatchLogs,
		Grants: []Grant{g("logs:AssociateKmsKey", sidWriteLogGroups)}, Why: "encrypt a log group with kms_key_arn"},
	{Service: "logs", Name: "DisassociateKmsKey", Principal: Runner, Phase: Write, Need: CloudWatchLogs,
		Grants: []Grant{g("logs:DisassociateKmsKey", sidWriteLogGroups)}, Why: "remove a key the spec no longer gives"},
	{Service: "logs", Name: "TagResource", Principal: Runner, Phase: Write, Need: CloudWatchLogs,
		Grants: []Grant{g("logs:TagResource", sidWriteLogGroups)}, Why: "update a log group's tags"},
	{Service: "ec2", Name: "CreateFlowLogs", Principal: Runner, Phase: Write, Need: Always,
		Grants: []Grant{
			g("ec2:CreateFlowLogs", sidCreateFlowLogs),
			{Action: "ec2:CreateFlowLogs", Statement: sidCreateFlowLogsOnTargets, When: FlowLogTargets},
			g("ec2:CreateTags", sidTagOnCreate),
			{Action: "iam:PassRole", Statement: sidPassRoles, When: PassedRoles},
			{Action: "logs:CreateLogDelivery", Statement: sidLogDeliveries, When: LogDelivery},
		}, Why: "create flow logs, tagged, with their delivery role"},
	{Service: "ec2", Name: "CreateTags", Principal: Runner, Phase: Write, Need: Always,
		Grants: []Grant{g("ec2:CreateTags", sidRetag), g("ec2:CreateTags", sidAdopt)}, Why: "update a managed flow log's tags; adopt an unmanaged one"},
	{Service: "ec2", Name: "DeleteFlowLogs", Principal: Runner, Phase: Write, Need: Always,
		Grants: []Grant{g("ec2:DeleteFlowLogs", sidDeleteFlowLogs), {Action: "logs:DeleteLogDelivery", Statement: sidLogDeliveries, When: LogDelivery}},
		Why:    "delete replaced and pruned flow logs"},
	{Service: "s3", Name: "PutBucketPolicy", Principal: Runner, Phase: Write, Need: ManagedBuckets,
		Grants: []Grant{g("s3:PutBucketPolicy", sidBucketPolicies)}, Why: "write flowplan's statements into a bucket policy"},
	{Service: "s3", Name: "DeleteBucketPolicy", Principal: Runner, Phase: Write, Need: ManagedBuckets,
		Grants: []Grant{g("s3:DeleteBucketPolicy", sidBucketPolicies)}, Why: "remove a bucket policy left with only flowplan's removed statements"},
}

// evidenceOperations are audit's reads of each destination's newest
// records, after the survey.
var evidenceOperations = []Operation{
	{Service: "ec2", Name: "DescribeVpcs", Principal: Runner, Phase: Evidence, Need: Always,
		Grants: []Grant{g("ec2:DescribeVpcs", sidDescribeNetwork)}, Why: "--all-vpcs: every VPC, held to EC2.6"},
	{Service: "ec2", Name: "DescribeNetworkInterfaces", Principal: Runner, Phase: Evidence, Need: Always,
		Grants: []Grant{g("ec2:DescribeNetworkInterfaces", sidDescribeNetwork)}, Why: "attribute each interface's log stream to its VPC and subnet"},
	{Service: "s3", Name: "GetBucketLocation", Principal: Runner, Phase: Evidence, Need: UnmanagedS3Destinations,
		Grants: []Grant{g("s3:GetBucketLocation", sidLocateBuckets)}, Why: "find the region of a destination bucket flowplan does not manage (discovery located the others)"},
	{Service: "logs", Name: "DescribeLogStreams", Principal: Runner, Phase: Evidence, Need: CloudWatchLogs,
		Grants: []Grant{g("logs:DescribeLogStreams", sidReadLogGroups)}, Why: "newest ingestion of a log group's streams"},
	{Service: "s3", Name: "ListObjectsV2", Principal: Runner, Phase: Evidence, Need: S3Destinations,
		Grants: []Grant{g("s3:ListBucket", sidReadBuckets)}, Why: "newest object under a flow logs prefix"},
	{Service: "sts", Name: "GetCallerIdentity", Principal: Caller, Phase: Evidence, Need: Always,
		Why: "the evidence header's caller"},
}

// lockOperations are the apply lock's CloudWatch Logs calls
// (engine.AcquireLock: one lease log group per apply under
// /flowplan/locks/<spec>/, in the lock's account and region), made by
// whichever principal holds the lock.
func lockOperations() []Operation {
	calls := []struct {
		name, why string
		grants    []Grant
	}{
		{"DescribeLogGroups", "find the leases of the apply lock", []Grant{g("logs:DescribeLogGroups", sidFindApplyLocks)}},
		{"ListTagsForResource", "read a lease's holder and expiry, and check it is flowplan's before deleting it", []Grant{g("logs:ListTagsForResource", sidApplyLock)}},
		{"CreateLogGroup", "take the apply lock: create a lease log group with its tags", []Grant{g("logs:CreateLogGroup", sidApplyLock), g("logs:TagResource", sidApplyLock)}},
		{"TagResource", "renew or release the lease", []Grant{g("logs:TagResource", sidApplyLock)}},
		{"DescribeLogStreams", "check that a lease holds no log stream before deleting it", []Grant{g("logs:DescribeLogStreams", sidApplyLock)}},
		{"DeleteLogGroup", "delete leases that have ended (never a group holding data)", []Grant{g("logs:DeleteLogGroup", sidApplyLock)}},
	}
	var out []Operation
	for _, holder := range []struct {
		p Principal
		n Need
	}{{Runner, LockByRunner}, {Caller, LockByCaller}} {
		for _, c := range calls {
			out = append(out, Operation{Service: "logs", Name: c.name, Principal: holder.p, Phase: Lock, Need: holder.n, Grants: c.grants, Why: c.why})
		}
	}
	return out
}
