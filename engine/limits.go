package engine

import "github.com/flowplan/flowplan/spec"

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
