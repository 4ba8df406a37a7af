package awsemu

import (
	"strings"

	"github.com/flowplan/flowplan/providers/awsemu/iampolicy"
)

// Delivery status is what DescribeFlowLogs reports as DeliverLogsStatus and
// DeliverLogsErrorMessage. AWS learns it by delivering; the emulator works
// it out from the current roles, policies and destinations each time a flow
// log is described, so that fixing a policy fixes the status, as a later
// delivery would on AWS. The FlowLog API reference: "Access error indicates
// that the IAM role associated with the flow log does not have sufficient
// permissions to publish to CloudWatch Logs".
const (
	deliverySuccess = "SUCCESS"
	deliveryFailed  = "FAILED"
	accessError     = "Access error"
)

const (
	flowLogsService = "vpc-flow-logs.amazonaws.com"
	deliveryService = "delivery.logs.amazonaws.com"
)

func (e *Emulator) deliveryStatus(st *state, acct, regionName string, fl *flowLog) (string, string) {
	var ok bool
	switch fl.DestinationType {
	case "cloud-watch-logs":
		ok = e.canDeliverToLogs(st, acct, regionName, fl)
	case "s3":
		ok = e.canDeliverToS3(st, acct, regionName, fl.ID, fl.Destination, fl.DestinationOptions)
	default:
		ok = e.canDeliverToFirehose(st, acct, fl)
	}
	if ok {
		return deliverySuccess, ""
	}
	return deliveryFailed, accessError
}

// canDeliverToLogs checks, as the flow logs service would when it delivers:
//
//   - the role exists and its trust policy lets vpc-flow-logs.amazonaws.com
//     assume it, with aws:SourceAccount the flow log's account and
//     aws:SourceArn the flow log's ARN (the confused-deputy keys the VPC user
//     guide documents);
//   - the role's policies allow logs:CreateLogStream and logs:PutLogEvents on
//     a log stream of the group. Streams are named after network interfaces;
//     the emulator evaluates "<resource-id>-all", so a Resource of
//     "...:log-group:NAME:*" matches and "...:log-group:NAME" does not, as on
//     AWS;
//   - the log group exists, or the role may logs:CreateLogGroup it: AWS
//     creates a missing group when traffic is first delivered. The emulator
//     never creates it, so DescribeLogGroups shows what flowplan created.
func (e *Emulator) canDeliverToLogs(st *state, acct, regionName string, fl *flowLog) bool {
	roleAcct, name, ok := parseRoleARN(fl.DeliverLogsPermissionArn)
	if !ok || roleAcct != acct {
		return false
	}
	a := st.Accounts[acct]
	p := a.partition()
	r := a.roleByName(name)
	if r == nil || a.roleARN(r) != fl.DeliverLogsPermissionArn {
		return false
	}
	trust := iampolicy.Request{Caller: iampolicy.Caller{Service: flowLogsService, Partition: p}, Action: "sts:AssumeRole",
		Context: map[string]string{
			"aws:SourceAccount": acct,
			"aws:SourceArn":     arnFor(p, "ec2", regionName, acct, "vpc-flow-log/"+fl.ID),
		}}
	if e.cachedPolicy(r.TrustPolicy).Evaluate(trust) != iampolicy.Allowed {
		return false
	}
	policies := e.rolePolicies(r)
	group := logGroupARN(p, regionName, acct, fl.LogGroupName)
	stream := group + ":log-stream:" + fl.ResourceID + "-all"
	for _, action := range []string{"logs:CreateLogStream", "logs:PutLogEvents"} {
		if !iampolicy.IsAllowed(iampolicy.Request{Action: action, Resource: stream}, policies...) {
			return false
		}
	}
	if reg := st.Accounts[acct].Regions[regionName]; reg != nil && reg.LogGroups[fl.LogGroupName] != nil {
		return true
	}
	for _, res := range []string{group, group + ":*"} {
		if iampolicy.IsAllowed(iampolicy.Request{Action: "logs:CreateLogGroup", Resource: res}, policies...) {
			return true
		}
	}
	return false
}

func (e *Emulator) rolePolicies(r *role) []*iampolicy.Policy {
	out := make([]*iampolicy.Policy, 0, len(r.Policies))
	for _, doc := range r.Policies {
		out = append(out, e.cachedPolicy(doc))
	}
	return out
}

// canDeliverToS3 evaluates the bucket policy for the log delivery service
// the way the VPC user guide's bucket policy expects: s3:PutObject on the
// object key with s3:x-amz-acl=bucket-owner-full-control, and
// s3:GetBucketAcl on the bucket, both with aws:SourceAccount the flow log's
// account and aws:SourceArn an ARN of the log delivery source in that
// account and region (the guide matches it with
// "arn:aws:logs:region:account_id:*" in the aws partition; the emulator uses
// arn:PARTITION:logs:<region>:<account>:vpc-flow-log/<id>). Requests are
// over TLS (aws:SecureTransport=true).
func (e *Emulator) canDeliverToS3(st *state, acct, regionName, flowLogID, dest string, o *destinationOptions) bool {
	p := st.partitionOfAccount(acct)
	name, prefix, ok := s3Destination(p, dest)
	if !ok {
		return false
	}
	b := st.Buckets[name]
	if b == nil {
		return false
	}
	policy := e.cachedPolicy(b.Policy)
	if policy == nil {
		return false
	}
	ctx := map[string]string{
		"aws:SourceAccount":   acct,
		"aws:SourceArn":       arnFor(p, "logs", regionName, acct, "vpc-flow-log/"+flowLogID),
		"aws:SecureTransport": "true",
	}
	caller := iampolicy.Caller{Service: deliveryService, Partition: p}
	aclCheck := iampolicy.Request{Caller: caller, Action: "s3:GetBucketAcl", Resource: s3ARN(p, name), Context: ctx}
	writeCtx := map[string]string{"s3:x-amz-acl": "bucket-owner-full-control"}
	for k, v := range ctx {
		writeCtx[k] = v
	}
	write := iampolicy.Request{Caller: caller, Action: "s3:PutObject",
		Resource: s3ARN(p, name+"/"+s3ObjectKey(prefix, acct, regionName, flowLogID, o, worldEpoch, "5f3c1a2b")), Context: writeCtx}
	return iampolicy.IsAllowed(aclCheck, policy) && iampolicy.IsAllowed(write, policy)
}

// canDeliverToFirehose checks that the stream exists and is ACTIVE and, for
// cross-account delivery, that the source role exists and trusts
// delivery.logs.amazonaws.com and the destination account's role exists
// (the VPC user guide's "Cross-account delivery" section).
func (e *Emulator) canDeliverToFirehose(st *state, acct string, fl *flowLog) bool {
	dest, ok := parseARN(fl.Destination)
	if !ok {
		return false
	}
	streamRegion, streamAcct, stream := dest.Region, dest.Account, strings.TrimPrefix(dest.Resource, "deliverystream/")
	a := st.Accounts[streamAcct]
	if a == nil || a.Regions[streamRegion] == nil {
		return false
	}
	ds := a.Regions[streamRegion].DeliveryStreams[stream]
	if ds == nil || ds.Status != "ACTIVE" {
		return false
	}
	if streamAcct == acct {
		return true
	}
	srcAcct, srcName, ok := parseRoleARN(fl.DeliverLogsPermissionArn)
	if !ok || srcAcct != acct || st.Accounts[acct].roleByName(srcName) == nil {
		return false
	}
	src := st.Accounts[acct].roleByName(srcName)
	// The log delivery service assumes the source role on behalf of the
	// flow log's account; like every service principal it supplies
	// aws:SourceAccount, so confused-deputy conditions can be checked.
	p := st.Accounts[acct].partition()
	trust := iampolicy.Request{Caller: iampolicy.Caller{Service: deliveryService, Partition: p}, Action: "sts:AssumeRole",
		Context: map[string]string{"aws:SourceAccount": acct}}
	if e.cachedPolicy(src.TrustPolicy).Evaluate(trust) != iampolicy.Allowed {
		return false
	}
	dstAcct, dstName, ok := parseRoleARN(fl.DeliverCrossAccountRole)
	if !ok || dstAcct != streamAcct {
		return false
	}
	dst := a.roleByName(dstName)
	if dst == nil {
		return false
	}
	// The source role must be allowed to assume the destination role, and
	// the destination role must trust the source role.
	assume := iampolicy.Request{Action: "sts:AssumeRole", Resource: fl.DeliverCrossAccountRole}
	if !iampolicy.IsAllowed(assume, e.rolePolicies(src)...) {
		return false
	}
	byRole := iampolicy.Request{Caller: iampolicy.Caller{Account: acct, Partition: p, ARNs: []string{fl.DeliverLogsPermissionArn}}, Action: "sts:AssumeRole"}
	return e.cachedPolicy(dst.TrustPolicy).Evaluate(byRole) == iampolicy.Allowed
}

// autoAttachBucketPolicy models the VPC user guide's S3 note: "If the user
// creating the flow log owns the bucket and has PutBucketPolicy and
// GetBucketPolicy permissions for the bucket, we automatically attach the
// following policy to the bucket. This policy overwrites any existing policy
// attached to the bucket." (The CloudWatch Logs guide says the statement is
// appended instead; the documents disagree and the emulator takes the
// harsher one.) It does nothing when the bucket policy already lets the
// flow log deliver.
func (e *Emulator) autoAttachBucketPolicy(st *state, b *bucket, acct, regionName, prefix string, o *destinationOptions) {
	p := st.partitionOfAccount(acct)
	dest := s3ARN(p, b.Name+"/"+prefix)
	if e.canDeliverToS3(st, acct, regionName, "fl-00000000000000000", dest, o) {
		return
	}
	logs := "AWSLogs/" + acct + "/*"
	if o != nil && o.HiveCompatiblePartitions {
		logs = "AWSLogs/aws-account-id=" + acct + "/*"
	}
	source := arnFor(p, "logs", regionName, acct, "*")
	// A bucket policy is global data: every flow log delivering to the
	// bucket may deliver now, or no longer.
	e.pumps.allChanged()
	b.Policy = `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"AWSLogDeliveryWrite","Effect":"Allow","Principal":{"Service":"delivery.logs.amazonaws.com"},` +
		`"Action":"s3:PutObject","Resource":"` + s3ARN(p, b.Name+"/"+prefix+logs) + `",` +
		`"Condition":{"StringEquals":{"aws:SourceAccount":"` + acct + `","s3:x-amz-acl":"bucket-owner-full-control"},` +
		`"ArnLike":{"aws:SourceArn":"` + source + `"}}},` +
		`{"Sid":"AWSLogDeliveryAclCheck","Effect":"Allow","Principal":{"Service":"delivery.logs.amazonaws.com"},` +
		`"Action":["s3:GetBucketAcl","s3:ListBucket"],"Resource":"` + s3ARN(p, b.Name) + `",` +
		`"Condition":{"StringEquals":{"aws:SourceAccount":"` + acct + `"},"ArnLike":{"aws:SourceArn":"` + source + `"}}}]}`
}
