package awsemu

import (
	"cmp"
	"strings"
)

// Partitions. An AWS account lives in one partition: aws (the commercial
// regions), aws-cn (cn-north-1, cn-northwest-1) or aws-us-gov
// (us-gov-east-1, us-gov-west-1). Every ARN the emulator builds or reads
// names its account's partition, through arnFor and parseARN here: IAM
// roles and users, STS sessions, log groups, S3 buckets
// ("arn:aws-cn:s3:::bucket"), flow logs, subnets, transit gateways,
// delivery streams and the principals of stored policies. Credentials of
// one partition are unknown in the others, as on AWS: a request signed for
// a region of another partition is refused like an unknown key.

const partitionAWS = "aws"

// partitionRegions are the regions of the partitions other than aws, all
// enabled by default.
var partitionRegions = map[string][]string{
	"aws-cn":     {"cn-north-1", "cn-northwest-1"},
	"aws-us-gov": {"us-gov-east-1", "us-gov-west-1"},
}

// partitionOf returns the partition of a region name.
func partitionOf(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return partitionAWS
}

// knownPartition reports whether p is a partition the emulator models.
func knownPartition(p string) bool {
	_, ok := partitionRegions[p]
	return ok || p == partitionAWS
}

// partition returns the account's partition.
func (a *account) partition() string { return cmp.Or(a.Partition, partitionAWS) }

// arnFor builds arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE.
func arnFor(partition, service, region, account, resource string) string {
	return "arn:" + partition + ":" + service + ":" + region + ":" + account + ":" + resource
}

// arnParts is a parsed ARN.
type arnParts struct {
	Partition, Service, Region, Account, Resource string
}

// parseARN splits an ARN of a known partition into its six parts.
func parseARN(s string) (arnParts, bool) {
	p := strings.SplitN(s, ":", 6)
	if len(p) != 6 || p[0] != "arn" || !knownPartition(p[1]) || p[2] == "" {
		return arnParts{}, false
	}
	return arnParts{Partition: p[1], Service: p[2], Region: p[3], Account: p[4], Resource: p[5]}, true
}

// s3ARN is a bucket's (or an object's, with a key) ARN.
func s3ARN(partition, bucket string) string { return arnFor(partition, "s3", "", "", bucket) }

// iamARN is an IAM resource's ARN (IAM ARNs have no region).
func iamARN(partition, account, resource string) string {
	return arnFor(partition, "iam", "", account, resource)
}

// rootARN is an account's root principal.
func rootARN(partition, account string) string { return iamARN(partition, account, "root") }

// partitionOfAccount returns an account's partition, or aws when the
// emulator does not know the account.
func (s *state) partitionOfAccount(id string) string {
	if a := s.Accounts[id]; a != nil {
		return a.partition()
	}
	return partitionAWS
}
