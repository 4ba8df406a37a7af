// Package arn builds and parses the Amazon Resource Names flowplan uses, in every partition; it is the one place an ARN's shape is written down.
package arn

import (
	"strings"
)

// Partition returns the AWS partition of a region: aws-cn in China,
// aws-us-gov in GovCloud, aws-iso, aws-iso-b, aws-iso-e and aws-iso-f in
// the isolated regions, aws everywhere else. Every ARN flowplan builds
// starts with it, so that it compares equal to the ARNs AWS reports there.
func Partition(region string) string {
	for _, p := range [...][2]string{
		{"cn-", "aws-cn"},
		{"us-gov-", "aws-us-gov"},
		{"us-iso-", "aws-iso"},
		{"us-isob-", "aws-iso-b"},
		{"eu-isoe-", "aws-iso-e"},
		{"us-isof-", "aws-iso-f"},
	} {
		if strings.HasPrefix(region, p[0]) {
			return p[1]
		}
	}
	return "aws"
}

// ARN is a parsed ARN: arn:<partition>:<service>:<region>:<account>:<resource>.
type ARN struct {
	Partition string
	Service   string
	Region    string
	Account   string
	// Resource is everything after the fifth colon; it may hold colons
	// itself (log-group:NAME:*).
	Resource string
}

// String renders the ARN.
func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.Account + ":" + a.Resource
}

// Parse splits an ARN into its parts. It reports false for anything that
// is not arn:<partition>:<service>:<region>:<account>:<resource> with a
// partition, a service and a resource.
func Parse(s string) (ARN, bool) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] == "" || parts[5] == "" {
		return ARN{}, false
	}
	return ARN{Partition: parts[1], Service: parts[2], Region: parts[3], Account: parts[4], Resource: parts[5]}, true
}

// Role returns the ARN of an IAM role from its partition, account, path
// ("/" when empty) and name.
func Role(partition, account, path, name string) string {
	if path == "" {
		path = "/"
	}
	return ARN{Partition: partition, Service: "iam", Account: account, Resource: "role" + path + name}.String()
}

// ParseRole returns the account and name of an IAM role ARN; a role's name
// is unique in its account whatever its path.
func ParseRole(s string) (account, name string, ok bool) {
	a, ok := Parse(s)
	if !ok || a.Service != "iam" || !strings.HasPrefix(a.Resource, "role/") {
		return "", "", false
	}
	name = a.Resource[strings.LastIndex(a.Resource, "/")+1:]
	return a.Account, name, name != ""
}

// AccountRoot returns the ARN IAM writes for a bare account ID in a
// policy's AWS principal.
func AccountRoot(partition, account string) string {
	return ARN{Partition: partition, Service: "iam", Account: account, Resource: "root"}.String()
}

// LogGroup returns the ARN of a log group as a flow log's destination and
// as DescribeLogGroups' logGroupArn: without the ":*" suffix.
func LogGroup(account, region, name string) string {
	return ARN{Partition: Partition(region), Service: "logs", Region: region, Account: account, Resource: "log-group:" + name}.String()
}

// LogGroupStreams returns the ARN IAM policies use for writing to a log
// group's streams: the group's ARN with ":*".
func LogGroupStreams(account, region, name string) string {
	return LogGroup(account, region, name) + ":*"
}

// ParseLogGroup returns the log group name in a CloudWatch Logs ARN, with
// or without ":*".
func ParseLogGroup(s string) (name string, ok bool) {
	a, ok := Parse(strings.TrimSuffix(s, ":*"))
	if !ok || a.Service != "logs" {
		return "", false
	}
	name, ok = strings.CutPrefix(a.Resource, "log-group:")
	return name, ok && name != ""
}

// Bucket returns the ARN of an S3 bucket.
func Bucket(partition, name string) string {
	return "arn:" + partition + ":s3:::" + name
}

// ParseBucket splits an S3 ARN, arn:<partition>:s3:::<bucket>[/<prefix>],
// into its partition, bucket name and prefix (as written after the first
// "/", possibly empty).
func ParseBucket(s string) (partition, bucket, prefix string, ok bool) {
	a, ok := Parse(s)
	if !ok || a.Service != "s3" || a.Region != "" || a.Account != "" {
		return "", "", "", false
	}
	bucket, prefix, _ = strings.Cut(a.Resource, "/")
	return a.Partition, bucket, prefix, bucket != ""
}

// FlowLogs returns the ARN pattern of every flow log of an account in a
// region, as the confused-deputy aws:SourceArn condition of a delivery
// role's trust policy names them.
func FlowLogs(account, region string) string {
	return ARN{Partition: Partition(region), Service: "ec2", Region: region, Account: account, Resource: "vpc-flow-log/*"}.String()
}

// LogDeliverySources returns the ARN pattern of an account's log delivery
// sources in every region, as a bucket policy's aws:SourceArn condition
// names them.
func LogDeliverySources(partition, account string) string {
	return ARN{Partition: partition, Service: "logs", Region: "*", Account: account, Resource: "*"}.String()
}

// DeliveryStreamAccount returns the account of a Firehose delivery stream
// ARN, or "".
func DeliveryStreamAccount(s string) string {
	a, ok := Parse(s)
	if !ok || a.Service != "firehose" {
		return ""
	}
	return a.Account
}
