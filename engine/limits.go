package engine

import (
	"strings"

	"github.com/flowplan/flowplan/spec"
)

// Limits AWS sets that more than one part of flowplan needs, each defined
// here once.
const (
	// BucketPolicyMaxBytes is S3's limit on the size of a bucket policy.
	// A plan whose merged policy would be larger is refused in the
	// bucket's scope.
	BucketPolicyMaxBytes = 20 * 1024
	// BucketPolicyWarnBytes is the size from which plans warn that a bucket
	// policy is nearing the limit.
	BucketPolicyWarnBytes = 16 * 1024
	// MaxFlowLogIDs is how many flow log IDs DeleteFlowLogs and
	// DescribeFlowLogs take in one call.
	MaxFlowLogIDs = 1000
)

// MaxCreateFlowLogsResources is how many resource IDs one CreateFlowLogs
// call takes for a resource type. The EC2 API reference's ResourceIds
// constraint: "Maximum of 25 for transit gateway resource types. Maximum
// of 300 for the other resource types." (Older references said 1000.)
func MaxCreateFlowLogsResources(resourceType string) int {
	if spec.IsTransitGatewayResourceType(resourceType) {
		return 25
	}
	return 300
}

// APIRate is a token bucket AWS meters a group of API actions with: Burst
// tokens, refilled at PerSecond, one token a call. Per is what the bucket
// belongs to.
type APIRate struct {
	// Bucket names the group of actions that share the tokens.
	Bucket string
	// Burst is the bucket's size, PerSecond its refill rate.
	Burst, PerSecond float64
	// PerCaller marks a bucket of the calling account (STS meters the
	// credentials' account, whichever account's role is assumed); the
	// others belong to the account-region called.
	PerCaller bool
}

// APIRateOf returns the bucket AWS meters an action with, by the SDK's
// service ID ("EC2", "CloudWatch Logs", "STS") and the action's name, as
// AWS documents them; ok is false for an action with no published rate,
// which is left to the SDK's retries.
//
//   - EC2 (ec2-api-throttling.html), per account and region: non-mutating
//     actions 100 tokens refilled at 20 a second, mutating ones 50 at 5,
//     CreateTags and DeleteTags 100 at 10. AWS now meters each API on its
//     own bucket where older pages described one bucket for all describes;
//     the stricter reading, one shared bucket, is taken.
//   - CloudWatch Logs (cloudwatch_limits_cwl.html), per account and region:
//     CreateLogGroup, DeleteLogGroup and DescribeLogGroups 10 a second;
//     PutRetentionPolicy, DeleteRetentionPolicy, TagResource, UntagResource
//     and ListTagsForResource 5 a second. A rate is read as a bucket of a
//     second's tokens.
//   - STS AssumeRole: 600 requests a second for the calling account
//     (iam quotas page); flowplan takes half, so that other users of the
//     same credentials' account keep room.
func APIRateOf(service, action string) (APIRate, bool) {
	switch service {
	case "EC2":
		switch {
		case action == "CreateTags" || action == "DeleteTags":
			return APIRate{Bucket: "ec2-tags", Burst: 100, PerSecond: 10}, true
		case strings.HasPrefix(action, "Describe"):
			return APIRate{Bucket: "ec2-non-mutating", Burst: 100, PerSecond: 20}, true
		}
		return APIRate{Bucket: "ec2-mutating", Burst: 50, PerSecond: 5}, true
	case "CloudWatch Logs":
		switch action {
		case "CreateLogGroup", "DeleteLogGroup", "DescribeLogGroups":
			return APIRate{Bucket: "logs-" + action, Burst: 10, PerSecond: 10}, true
		case "PutRetentionPolicy", "DeleteRetentionPolicy", "TagResource", "UntagResource", "ListTagsForResource":
			return APIRate{Bucket: "logs-" + action, Burst: 5, PerSecond: 5}, true
		}
	case "STS":
		if action == "AssumeRole" {
			return APIRate{Bucket: "sts-assume-role", Burst: 300, PerSecond: 300, PerCaller: true}, true
		}
	}
	return APIRate{}, false
}

// MaxConcurrentAssumeRoles bounds the AssumeRole calls in flight at once,
// across all accounts: every account's role is assumed once a run, and
// 1,000 accounts must not arrive at STS at once.
const MaxConcurrentAssumeRoles = 16
