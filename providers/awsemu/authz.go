package awsemu

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/flowplan/flowplan/providers/awsemu/iampolicy"
)

// Caller authorization (Options.EnforceIAM).
//
// AWS authorizes a request before it runs it: every IAM action, resource
// and condition context the request involves must be allowed, and an
// explicit Deny anywhere wins ("Policy evaluation logic", IAM user guide).
// With EnforceIAM the emulator does the same for role sessions (credentials
// from AssumeRole): the role's inline policies are its identity-based
// policies. The emulator models no managed policies, so a role has no
// attached ones, and a permissions boundary, whose document the emulator
// does not have, is not evaluated. Long-lived keys (the account root, IAM
// users and the sandbox's own credentials) keep full access, as without
// EnforceIAM: the emulator models no user policies.
//
// authorizers below is the one table from the API operations the emulator
// serves to what AWS authorizes them with, written from the Service
// Authorization Reference ("Actions, resources, and condition keys for
// ..." of Amazon EC2, IAM, AWS STS, Amazon CloudWatch Logs, Amazon S3,
// Amazon Data Firehose and AWS Organizations) and the service guides it
// cites. An operation missing from it is authorized on its own action with
// Resource "*", which is what the reference says for actions without
// resource-level permissions (every EC2 Describe* call, iam:ListRoles, the
// Organizations List* calls).
//
// A denied request gets the service's own error: EC2 UnauthorizedOperation
// (AWS encodes the reason; the emulator writes it plainly), IAM and STS
// AccessDenied, CloudWatch Logs, Firehose and Organizations
// AccessDeniedException, S3 AccessDenied. The request is counted (Counts)
// but changes nothing.

// authCheck is one authorization question a request asks: may the caller
// perform action (or one of alternatives) on resource, given the context?
type authCheck struct {
	action string
	// alternatives are actions any one of which does instead of action:
	// CloudWatch Logs lets logs:TagResource or logs:TagLogGroup tag a new
	// log group.
	alternatives []string
	resource     string
	context      map[string]string
	sets         map[string][]string
	// bucket is the S3 bucket acted on, whose policy also decides.
	bucket *bucket
}

// authorizer lists the checks of one request. It reads the request leniently:
// a parameter it cannot read contributes no check, and the operation's own
// validation refuses the request.
type authorizer func(c *call) []authCheck

// authorizers maps "<signing name>:<operation>" to its checks.
var authorizers = map[string]authorizer{
	// STS: "No permissions are required to perform this operation. If an
	// administrator attaches a policy to your identity that explicitly
	// denies access to the sts:GetCallerIdentity action, you can still
	// perform this operation" (GetCallerIdentity, AWS STS API reference).
	"sts:GetCallerIdentity": func(*call) []authCheck { return nil },
	"sts:AssumeRole":        stsAssumeRoleAuth,

	"ec2:CreateFlowLogs": ec2CreateFlowLogsAuth,
	"ec2:DeleteFlowLogs": ec2DeleteFlowLogsAuth,
	"ec2:CreateTags":     func(c *call) []authCheck { return ec2TagAuth(c, "ec2:CreateTags") },
	"ec2:DeleteTags":     func(c *call) []authCheck { return ec2TagAuth(c, "ec2:DeleteTags") },

	"iam:CreateRole":                    iamCreateRoleAuth,
	"iam:GetRole":                       iamRoleAuth("iam:GetRole"),
	"iam:DeleteRole":                    iamRoleAuth("iam:DeleteRole"),
	"iam:UpdateAssumeRolePolicy":        iamRoleAuth("iam:UpdateAssumeRolePolicy"),
	"iam:UpdateRole":                    iamRoleAuth("iam:UpdateRole"),
	"iam:PutRolePolicy":                 iamRoleAuth("iam:PutRolePolicy"),
	"iam:GetRolePolicy":                 iamRoleAuth("iam:GetRolePolicy"),
	"iam:DeleteRolePolicy":              iamRoleAuth("iam:DeleteRolePolicy"),
	"iam:ListRolePolicies":              iamRoleAuth("iam:ListRolePolicies"),
	"iam:ListAttachedRolePolicies":      iamRoleAuth("iam:ListAttachedRolePolicies"),
	"iam:ListRoleTags":                  iamRoleAuth("iam:ListRoleTags"),
	"iam:TagRole":                       iamRoleAuth("iam:TagRole"),
	"iam:UntagRole":                     iamRoleAuth("iam:UntagRole"),
	"iam:PutRolePermissionsBoundary":    iamRoleAuth("iam:PutRolePermissionsBoundary"),
	"iam:DeleteRolePermissionsBoundary": iamRoleAuth("iam:DeleteRolePermissionsBoundary"),
	"iam:ListInstanceProfilesForRole":   iamRoleAuth("iam:ListInstanceProfilesForRole"),
	"iam:CreateInstanceProfile":         iamInstanceProfileAuth("iam:CreateInstanceProfile"),
	"iam:GetInstanceProfile":            iamInstanceProfileAuth("iam:GetInstanceProfile"),
	"iam:DeleteInstanceProfile":         iamInstanceProfileAuth("iam:DeleteInstanceProfile"),
	"iam:AddRoleToInstanceProfile":      iamInstanceProfileAuth("iam:AddRoleToInstanceProfile"),
	"iam:RemoveRoleFromInstanceProfile": iamInstanceProfileAuth("iam:RemoveRoleFromInstanceProfile"),

	"logs:CreateLogGroup":        logsCreateLogGroupAuth,
	"logs:DeleteLogGroup":        logsGroupAuth("logs:DeleteLogGroup"),
	"logs:CreateLogStream":       logsGroupAuth("logs:CreateLogStream"),
	"logs:DescribeLogGroups":     logsDescribeLogGroupsAuth,
	"logs:PutRetentionPolicy":    logsGroupAuth("logs:PutRetentionPolicy"),
	"logs:DeleteRetentionPolicy": logsGroupAuth("logs:DeleteRetentionPolicy"),
	"logs:AssociateKmsKey":       logsGroupAuth("logs:AssociateKmsKey"),
	"logs:DisassociateKmsKey":    logsGroupAuth("logs:DisassociateKmsKey"),
	"logs:DescribeLogStreams":    logsGroupAuth("logs:DescribeLogStreams"),
	"logs:GetLogEvents":          logsGroupAuth("logs:GetLogEvents"),
	"logs:FilterLogEvents":       logsGroupAuth("logs:FilterLogEvents"),
	"logs:TagLogGroup":           logsGroupAuth("logs:TagLogGroup"),
	"logs:UntagLogGroup":         logsGroupAuth("logs:UntagLogGroup"),
	"logs:ListTagsLogGroup":      logsGroupAuth("logs:ListTagsLogGroup"),
	"logs:TagResource":           logsResourceAuth("logs:TagResource"),
	"logs:UntagResource":         logsResourceAuth("logs:UntagResource"),
	"logs:ListTagsForResource":   logsResourceAuth("logs:ListTagsForResource"),

	"s3:ListBuckets":        func(*call) []authCheck { return []authCheck{{action: "s3:ListAllMyBuckets", resource: "*"}} },
	"s3:HeadBucket":         s3BucketAuth("s3:ListBucket"),
	"s3:ListObjectsV2":      s3BucketAuth("s3:ListBucket"),
	"s3:GetBucketLocation":  s3BucketAuth("s3:GetBucketLocation"),
	"s3:GetBucketPolicy":    s3BucketAuth("s3:GetBucketPolicy"),
	"s3:PutBucketPolicy":    s3BucketAuth("s3:PutBucketPolicy"),
	"s3:DeleteBucketPolicy": s3BucketAuth("s3:DeleteBucketPolicy"),
	"s3:GetObject":          s3ObjectAuth,
	"s3:HeadObject":         s3ObjectAuth,

	"firehose:DescribeDeliveryStream": firehoseStreamAuth,
}

// Service principals that delivery roles are passed to.
const (
	flowLogsServicePrincipal    = "vpc-flow-logs.amazonaws.com"
	logDeliveryServicePrincipal = "delivery.logs.amazonaws.com"
)

// authorize answers whether the caller may make the request; it runs with
// the state locked, before the operation.
func (e *Emulator) authorize(c *call) *apiError {
	if !e.opts.EnforceIAM || c.key.RoleARN == "" {
		return nil
	}
	key := c.svc.name + ":" + c.action
	var checks []authCheck
	if fn, ok := authorizers[key]; ok {
		checks = fn(c)
	} else {
		checks = []authCheck{{action: key, resource: "*"}}
	}
	if len(checks) == 0 {
		return nil
	}
	policies, ok := c.sessionPolicies()
	for _, chk := range checks {
		if !ok {
			return c.svc.accessDenied(c, chk.action, chk.resource, false)
		}
		if allowed, explicit := c.decide(policies, chk); !allowed {
			return c.svc.accessDenied(c, chk.action, chk.resource, explicit)
		}
	}
	return nil
}

// mayAttachBucketPolicy reports whether the caller may have AWS attach the
// log delivery statements to its own bucket when it creates an S3 flow log:
// "If the user creating the flow log owns the bucket and has
// PutBucketPolicy and GetBucketPolicy permissions for the bucket, we
// automatically attach the following policy" (VPC user guide, "Amazon S3
// bucket permissions for flow logs").
func (c *call) mayAttachBucketPolicy(b *bucket) bool {
	if !c.e.opts.EnforceIAM || c.key.RoleARN == "" {
		return true
	}
	policies, ok := c.sessionPolicies()
	if !ok {
		return false
	}
	for _, action := range []string{"s3:GetBucketPolicy", "s3:PutBucketPolicy"} {
		if allowed, _ := c.decide(policies, authCheck{action: action, resource: s3ARN(c.acct().partition(), b.Name), bucket: b}); !allowed {
			return false
		}
	}
	return true
}

// sessionPolicies returns the identity-based policies of the caller's
// role; ok is false when the role no longer exists.
func (c *call) sessionPolicies() ([]*iampolicy.Policy, bool) {
	acct, name, ok := parseRoleARN(c.key.RoleARN)
	if !ok || c.st.Accounts[acct] == nil {
		return nil, false
	}
	r := c.st.Accounts[acct].roleByName(name)
	if r == nil {
		return nil, false
	}
	return c.e.rolePolicies(r), true
}

// decide evaluates one check: an explicit Deny in the identity policies or
// the bucket policy refuses; otherwise the identity policies must allow,
// except that within the bucket owner's account the bucket policy allowing
// is enough, and across accounts both must allow ("Cross-account policy
// evaluation logic", IAM user guide).
func (c *call) decide(policies []*iampolicy.Policy, chk authCheck) (allowed, explicitDeny bool) {
	caller := iampolicy.Caller{Account: c.key.Account, Partition: c.acct().partition(), ARNs: []string{c.key.ARN, c.key.RoleARN}}
	ctx := map[string]string{
		"aws:SecureTransport":       "true",
		"aws:PrincipalType":         "AssumedRole",
		"aws:RequestedRegion":       c.region,
		"aws:PrincipalIsAWSService": "false",
	}
	for k, v := range chk.context {
		ctx[k] = v
	}
	for _, action := range append([]string{chk.action}, chk.alternatives...) {
		req := iampolicy.Request{Caller: caller, Action: action, Resource: chk.resource, Context: ctx, Sets: chk.sets}
		identity := evaluateAll(req, policies)
		resource := iampolicy.NotApplicable
		if chk.bucket != nil {
			resource = c.e.cachedPolicy(chk.bucket.Policy).Evaluate(req)
		}
		switch {
		case identity == iampolicy.Denied || resource == iampolicy.Denied:
			return false, true
		case chk.bucket != nil && chk.bucket.Owner != c.key.Account:
			if identity == iampolicy.Allowed && resource == iampolicy.Allowed {
				return true, false
			}
		case identity == iampolicy.Allowed || resource == iampolicy.Allowed:
			return true, false
		}
	}
	return false, false
}

// evaluateAll combines policies: Deny if any denies, Allow if one allows.
func evaluateAll(r iampolicy.Request, policies []*iampolicy.Policy) iampolicy.Decision {
	out := iampolicy.NotApplicable
	for _, p := range policies {
		switch p.Evaluate(r) {
		case iampolicy.Denied:
			return iampolicy.Denied
		case iampolicy.Allowed:
			out = iampolicy.Allowed
		}
	}
	return out
}

// accessDenied is each service's refusal of an unauthorized request.
func (s *service) accessDenied(c *call, action, resource string, explicit bool) *apiError {
	why := "because no identity-based policy allows the " + action + " action"
	if explicit {
		why = "with an explicit deny in an identity-based or resource-based policy"
	}
	msg := fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s %s", c.key.ARN, action, resource, why)
	switch s.protocol {
	case protoEC2:
		return newError(http.StatusForbidden, "UnauthorizedOperation", "You are not authorized to perform this operation. %s", msg)
	case protoQuery:
		return newError(http.StatusForbidden, "AccessDenied", "%s", msg)
	case protoJSON:
		return badRequest("AccessDeniedException", "%s", msg)
	default:
		return newError(http.StatusForbidden, "AccessDenied", "%s", msg)
	}
}

// tagContext is the condition context of a resource's tags and of the tags
// a request sets: aws:ResourceTag/<key> (and the service's own
// <prefix>:ResourceTag/<key>), aws:RequestTag/<key> and aws:TagKeys.
func tagContext(prefix string, resourceTags, requestTags map[string]string) (map[string]string, map[string][]string) {
	ctx := map[string]string{}
	for k, v := range resourceTags {
		ctx["aws:ResourceTag/"+k] = v
		if prefix != "" {
			ctx[prefix+":ResourceTag/"+k] = v
		}
	}
	var keys []string
	for k, v := range requestTags {
		ctx["aws:RequestTag/"+k] = v
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return ctx, map[string][]string{"aws:TagKeys": keys}
}

// --- STS ---

// stsAssumeRoleAuth: a role session needs sts:AssumeRole on the role in
// its identity policies, besides the role's trust, which the operation
// checks. (Within one account a trust policy naming the session's role
// would be enough on its own; the emulator always asks for both, the
// stricter reading.)
func stsAssumeRoleAuth(c *call) []authCheck {
	return []authCheck{{action: "sts:AssumeRole", resource: c.form.str("RoleArn")}}
}

// --- EC2 ---

// ec2ResourceTypes are the Service Authorization Reference's EC2 resource
// types by ID prefix.
var ec2ResourceTypes = map[string]string{
	"vpc-": "vpc", "subnet-": "subnet", "eni-": "network-interface", "tgw-": "transit-gateway",
	"tgw-attach-": "transit-gateway-attachment", "fl-": "vpc-flow-log", "nat-": "natgateway",
}

func (c *call) ec2ARN(resource string) string { return c.arn("ec2", resource) }

// ec2Resource is the ARN of an EC2 resource by ID, with its tags (nil
// when it does not exist).
func (c *call) ec2Resource(id string) (string, map[string]string) {
	typ := ec2ResourceTypes[idPrefix(id)]
	if typ == "" {
		return c.ec2ARN(id), nil
	}
	arn := c.ec2ARN(typ + "/" + id)
	t, _, err := taggable(c.reg(), id)
	if err != nil || t == nil {
		return arn, nil
	}
	return arn, *t
}

// flowLogTargetTypes are the resource types CreateFlowLogs is authorized
// on besides the new flow log (vpc-flow-log*): network-interface, subnet,
// transit-gateway, transit-gateway-attachment and vpc. The reference lists
// no NAT gateway type for it, so a RegionalNatGateway flow log is
// authorized on the flow log alone.
var flowLogTargetTypes = map[string]bool{"vpc-": true, "subnet-": true, "eni-": true, "tgw-": true, "tgw-attach-": true}

// ec2CreateFlowLogsAuth: ec2:CreateFlowLogs on the new flow log
// (aws:RequestTag, aws:TagKeys) and on each target (its tags); with tags,
// ec2:CreateTags on the flow log with ec2:CreateAction=CreateFlowLogs
// ("Grant permission to tag resources during creation", EC2 user guide:
// "users must also have explicit permissions to use the ec2:CreateTags
// action"); iam:PassRole on DeliverLogsPermissionArn (a dependent action in
// the reference), with iam:PassedToService the service that assumes it:
// vpc-flow-logs.amazonaws.com for CloudWatch Logs, delivery.logs.amazonaws.com
// for Firehose across accounts (the VPC user guide's source account role
// trusts it); and for S3 and Firehose destinations logs:CreateLogDelivery
// on "*" ("Permissions for IAM principals that publish flow logs to Amazon
// S3" and the Firehose source account role, VPC user guide).
func ec2CreateFlowLogsAuth(c *call) []authCheck {
	in, err := readCreateFlowLogs(c)
	if err != nil {
		return nil
	}
	ctx, sets := tagContext("", nil, in.tags)
	checks := []authCheck{{action: "ec2:CreateFlowLogs", resource: c.ec2ARN("vpc-flow-log/*"), context: ctx, sets: sets}}
	for _, id := range in.resourceIDs {
		if !flowLogTargetTypes[idPrefix(id)] {
			continue
		}
		arn, tags := c.ec2Resource(id)
		rctx, _ := tagContext("ec2", tags, nil)
		checks = append(checks, authCheck{action: "ec2:CreateFlowLogs", resource: arn, context: rctx})
	}
	if len(in.tags) > 0 {
		tctx, tsets := tagContext("", nil, in.tags)
		tctx["ec2:CreateAction"] = "CreateFlowLogs"
		checks = append(checks, authCheck{action: "ec2:CreateTags", resource: c.ec2ARN("vpc-flow-log/*"), context: tctx, sets: tsets})
	}
	destType := in.destinationType
	if destType == "" {
		destType = "cloud-watch-logs"
	}
	if in.roleARN != "" {
		service := flowLogsServicePrincipal
		if destType == "kinesis-data-firehose" {
			service = logDeliveryServicePrincipal
		}
		checks = append(checks, authCheck{action: "iam:PassRole", resource: in.roleARN,
			context: map[string]string{"iam:PassedToService": service}})
	}
	if destType == "s3" || destType == "kinesis-data-firehose" {
		checks = append(checks, authCheck{action: "logs:CreateLogDelivery", resource: "*"})
	}
	return checks
}

// ec2DeleteFlowLogsAuth: ec2:DeleteFlowLogs on each flow log with its tags,
// and logs:DeleteLogDelivery on "*" when one delivers to S3 or Firehose:
// the VPC user guide lists it with logs:CreateLogDelivery as what the
// principal publishing to S3 needs, without naming the operation that uses
// it; the emulator asks for it on delete, the stricter reading.
func ec2DeleteFlowLogsAuth(c *call) []authCheck {
	var checks []authCheck
	delivery := false
	for _, id := range c.form.strs("FlowLogId") {
		arn, tags := c.ec2Resource(id)
		ctx, _ := tagContext("ec2", tags, nil)
		checks = append(checks, authCheck{action: "ec2:DeleteFlowLogs", resource: arn, context: ctx})
		if fl := c.reg().FlowLogs[id]; fl != nil && (fl.DestinationType == "s3" || fl.DestinationType == "kinesis-data-firehose") {
			delivery = true
		}
	}
	if delivery {
		checks = append(checks, authCheck{action: "logs:DeleteLogDelivery", resource: "*"})
	}
	return checks
}

// ec2TagAuth: the action on each resource, with the resource's tags, the
// tags set (CreateTags) and the keys named (aws:TagKeys).
func ec2TagAuth(c *call, action string) []authCheck {
	req := map[string]string{}
	var keys []string
	for _, t := range readEC2Tags(c.form.items("Tag")) {
		keys = append(keys, t.key)
		if action == "ec2:CreateTags" {
			req[t.key] = t.value
		}
	}
	var checks []authCheck
	for _, id := range c.form.strs("ResourceId") {
		arn, tags := c.ec2Resource(id)
		ctx, sets := tagContext("ec2", tags, req)
		if action == "ec2:DeleteTags" {
			slices.Sort(keys)
			sets = map[string][]string{"aws:TagKeys": keys}
		}
		checks = append(checks, authCheck{action: action, resource: arn, context: ctx, sets: sets})
	}
	return checks
}

// --- IAM ---

// iamRole returns a role's ARN and tags by name; a role that does not
// exist is arn:...:role/<name> without tags.
func (c *call) iamRole(name string) (string, map[string]string) {
	a := c.acct()
	if r := a.roleByName(name); r != nil {
		t := map[string]string{}
		for _, p := range r.Tags {
			t[p.Key] = p.Value
		}
		return a.roleARN(r), t
	}
	return iamARN(a.partition(), c.key.Account, "role/"+name), nil
}

// iamCreateRoleAuth: iam:CreateRole on the new role (aws:RequestTag,
// aws:TagKeys, iam:PermissionsBoundary) and, with tags, iam:TagRole on it:
// IAM tags a role created with tags through TagRole's permission, as
// CloudWatch Logs documents for CreateLogGroup (the emulator takes the
// stricter reading for IAM, whose reference is silent).
func iamCreateRoleAuth(c *call) []authCheck {
	path := c.form.str("Path")
	if path == "" {
		path = "/"
	}
	arn := iamARN(c.acct().partition(), c.key.Account, "role"+path+c.form.str("RoleName"))
	req := map[string]string{}
	for _, t := range readIAMTags(c.form, "Tags") {
		req[t.Key] = t.Value
	}
	ctx, sets := tagContext("", nil, req)
	if b := c.form.str("PermissionsBoundary"); b != "" {
		ctx["iam:PermissionsBoundary"] = b
	}
	checks := []authCheck{{action: "iam:CreateRole", resource: arn, context: ctx, sets: sets}}
	if len(req) > 0 {
		checks = append(checks, authCheck{action: "iam:TagRole", resource: arn, context: ctx, sets: sets})
	}
	return checks
}

// iamRoleAuth: the action on the role named by RoleName, with its tags as
// aws:ResourceTag and iam:ResourceTag; TagRole and UntagRole add the tags
// set or the keys removed, PutRolePermissionsBoundary the boundary.
func iamRoleAuth(action string) authorizer {
	return func(c *call) []authCheck {
		arn, tags := c.iamRole(c.form.str("RoleName"))
		req := map[string]string{}
		var keys []string
		switch action {
		case "iam:TagRole":
			for _, t := range readIAMTags(c.form, "Tags") {
				req[t.Key] = t.Value
			}
		case "iam:UntagRole":
			keys = c.form.strs("TagKeys.member")
		}
		ctx, sets := tagContext("iam", tags, req)
		if keys != nil {
			slices.Sort(keys)
			sets = map[string][]string{"aws:TagKeys": keys}
		}
		if action == "iam:PutRolePermissionsBoundary" {
			ctx["iam:PermissionsBoundary"] = c.form.str("PermissionsBoundary")
		}
		return []authCheck{{action: action, resource: arn, context: ctx, sets: sets}}
	}
}

func iamInstanceProfileAuth(action string) authorizer {
	return func(c *call) []authCheck {
		path := c.form.str("Path")
		if path == "" {
			path = "/"
		}
		arn := iamARN(c.acct().partition(), c.key.Account, "instance-profile"+path+c.form.str("InstanceProfileName"))
		return []authCheck{{action: action, resource: arn}}
	}
}

// --- CloudWatch Logs ---

// The reference's log-group resource is
// arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}; the
// emulator authorizes operations that name a log group on that ARN, without
// the ":*" AWS's examples often add (a policy Resource ending in "*"
// covers both).

func logsGroupName(c *call) string {
	var in struct {
		LogGroupName string `json:"logGroupName"`
	}
	_ = json.Unmarshal(c.body, &in)
	return in.LogGroupName
}

func (c *call) logGroupTags(name string) map[string]string {
	if g := c.reg().LogGroups[name]; g != nil {
		return g.Tags
	}
	return nil
}

func logsGroupAuth(action string) authorizer {
	return func(c *call) []authCheck {
		name := logsGroupName(c)
		ctx, sets := tagContext("", c.logGroupTags(name), nil)
		return []authCheck{{action: action, resource: c.logGroupARN(name), context: ctx, sets: sets}}
	}
}

// logsCreateLogGroupAuth: logs:CreateLogGroup on the new group and, with
// tags, logs:TagResource or logs:TagLogGroup: "To assign tags when you
// create a log group, you must have either the logs:TagResource or
// logs:TagLogGroup permission" (CreateLogGroup, CloudWatch Logs API
// reference).
func logsCreateLogGroupAuth(c *call) []authCheck {
	var in struct {
		LogGroupName string            `json:"logGroupName"`
		Tags         map[string]string `json:"tags"`
	}
	_ = json.Unmarshal(c.body, &in)
	arn := c.logGroupARN(in.LogGroupName)
	ctx, sets := tagContext("", nil, in.Tags)
	checks := []authCheck{{action: "logs:CreateLogGroup", resource: arn, context: ctx, sets: sets}}
	if len(in.Tags) > 0 {
		checks = append(checks, authCheck{action: "logs:TagResource", alternatives: []string{"logs:TagLogGroup"},
			resource: arn, context: ctx, sets: sets})
	}
	return checks
}

// logsDescribeLogGroupsAuth: DescribeLogGroups lists, so it is authorized
// on every log group of the account-region, log-group:*; the CloudWatch
// Logs guide asks for "a * wildcard, instead of specifying only a single
// log group name" there, and says aws:ResourceTag cannot control it.
func logsDescribeLogGroupsAuth(c *call) []authCheck {
	return []authCheck{{action: "logs:DescribeLogGroups", resource: c.logGroupARN("*")}}
}

// logsResourceAuth: the action on resourceArn as given, with the group's
// tags, the tags set (TagResource) or the keys removed (UntagResource).
func logsResourceAuth(action string) authorizer {
	return func(c *call) []authCheck {
		var in struct {
			ResourceArn string            `json:"resourceArn"`
			Tags        map[string]string `json:"tags"`
			TagKeys     []string          `json:"tagKeys"`
		}
		_ = json.Unmarshal(c.body, &in)
		name, _ := strings.CutPrefix(in.ResourceArn, c.logGroupARN(""))
		ctx, sets := tagContext("", c.logGroupTags(name), in.Tags)
		if action == "logs:UntagResource" {
			keys := slices.Clone(in.TagKeys)
			slices.Sort(keys)
			sets = map[string][]string{"aws:TagKeys": keys}
		}
		return []authCheck{{action: action, resource: in.ResourceArn, context: ctx, sets: sets}}
	}
}

// --- S3 ---

func s3BucketAuth(action string) authorizer {
	return func(c *call) []authCheck {
		name, _ := bucketOf(c.req, c.st)
		chk := authCheck{action: action, resource: s3ARN(c.acct().partition(), name), bucket: c.st.Buckets[name]}
		if c.action == "ListObjectsV2" {
			chk.context = map[string]string{"s3:prefix": c.req.URL.Query().Get("prefix")}
		}
		return []authCheck{chk}
	}
}

func s3ObjectAuth(c *call) []authCheck {
	name, key := bucketOf(c.req, c.st)
	return []authCheck{{action: "s3:GetObject", resource: s3ARN(c.acct().partition(), name+"/"+key), bucket: c.st.Buckets[name]}}
}

// --- Firehose ---

func firehoseStreamAuth(c *call) []authCheck {
	var in struct {
		DeliveryStreamName string `json:"DeliveryStreamName"`
	}
	_ = json.Unmarshal(c.body, &in)
	return []authCheck{{action: "firehose:DescribeDeliveryStream", resource: c.arn("firehose", "deliverystream/"+in.DeliveryStreamName)}}
}
