package spec

import (
	"strings"
	"time"
)

// Flow log settings AWS fixes, each defined once: the validator applies
// them to the spec, and the engine to what it desires and reads back.
const (
	// DefaultInterval is the MaxAggregationInterval, in seconds, of VPC,
	// subnet and network interface flow logs created without one.
	DefaultInterval = 600
	// ShortInterval is the other interval those flow logs accept.
	ShortInterval = 60
	// TransitGatewayInterval is the only interval transit gateway flow
	// logs accept, and their default; they take no traffic type.
	TransitGatewayInterval = 60
)

// KindOfResourceType returns the target kind whose CreateFlowLogs
// ResourceType is rt.
func KindOfResourceType(rt string) (TargetKind, bool) {
	for _, k := range TargetKinds {
		if k.ResourceType() == rt {
			return k, true
		}
	}
	return "", false
}

// IsTransitGatewayResourceType reports whether a CreateFlowLogs
// ResourceType is a transit gateway or an attachment, which take a fixed
// interval and no traffic type.
func IsTransitGatewayResourceType(rt string) bool {
	k, ok := KindOfResourceType(rt)
	return ok && k.IsTransitGateway()
}

// Where AWS writes flow log files in S3, from the VPC user guide's "Flow
// log files" page:
//
//	<prefix>AWSLogs/<account>/vpcflowlogs/<region>/<yyyy>/<MM>/<dd>/[<HH>/]<file>
//	<prefix>AWSLogs/aws-account-id=<account>/aws-service=vpcflowlogs/aws-region=<region>/year=<yyyy>/month=<MM>/day=<dd>/[hour=<HH>/]<file>
//
// the second with Hive-compatible partitions, where <file> is
// <account>_vpcflowlogs_<region>_<flow log id>_<yyyyMMddTHHmmZ>_<hash>.log.gz
// (or .log.parquet). Dates are UTC; prefix is "" or ends in "/".

// S3AccountFolder is the folder under prefix holding account's flow log
// files: what a bucket policy lets the log delivery service write.
func S3AccountFolder(prefix, account string, hive bool) string {
	if hive {
		return prefix + "AWSLogs/aws-account-id=" + account + "/"
	}
	return prefix + "AWSLogs/" + account + "/"
}

// S3RegionFolder is the folder holding an account-region's flow log files,
// one folder a day below it.
func S3RegionFolder(prefix, account, region string, hive bool) string {
	if hive {
		return S3AccountFolder(prefix, account, true) + "aws-service=vpcflowlogs/aws-region=" + region + "/"
	}
	return S3AccountFolder(prefix, account, false) + "vpcflowlogs/" + region + "/"
}

// S3DayFolder is the folder of one UTC day's files in an account-region.
// Day folders sort by date, so the keys after one are that day's and
// later days'.
func S3DayFolder(prefix, account, region string, hive bool, day time.Time) string {
	day = day.UTC()
	if hive {
		return S3RegionFolder(prefix, account, region, true) + day.Format("year=2006/month=01/day=02/")
	}
	return S3RegionFolder(prefix, account, region, false) + day.Format("2006/01/02/")
}

// S3FileFlowLogID returns the flow log ID in the name of a flow log file
// (the object key's last segment), or false when the key is not one.
func S3FileFlowLogID(key string) (string, bool) {
	name := key[strings.LastIndexByte(key, '/')+1:]
	parts := strings.Split(name, "_")
	if len(parts) != 6 || parts[1] != "vpcflowlogs" || !strings.HasPrefix(parts[3], "fl-") {
		return "", false
	}
	return parts[3], true
}

// StreamInterface returns the network interface of a CloudWatch Logs log
// stream a flow log writes: AWS writes one stream per interface, named
// after it ("eni-0123456789abcdef0-all"). It returns false for other
// names.
func StreamInterface(stream string) (string, bool) {
	if !strings.HasPrefix(stream, "eni-") {
		return "", false
	}
	end := len("eni-")
	for end < len(stream) && isHexDigit(stream[end]) {
		end++
	}
	if end == len("eni-") || (end < len(stream) && stream[end] != '-') {
		return "", false
	}
	return stream[:end], true
}

func isHexDigit(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' }
