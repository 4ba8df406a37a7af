package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"

	"github.com/flowplan/flowplan/internal/arn"
	"github.com/flowplan/flowplan/spec"
)

// This file builds the IAM and S3 policy documents flowplan manages. Each
// builder is pure and returns canonical JSON (see NormalizePolicy), so that
// what Expand desires compares directly with what Diff reads back.

// DeliveryPolicyName is the name of the inline permissions policy flowplan
// keeps on each delivery role.
const DeliveryPolicyName = "flowplan-delivery"

// Service principals.
const (
	flowLogsService    = "vpc-flow-logs.amazonaws.com"
	logDeliveryService = "delivery.logs.amazonaws.com"
)

// deliveryActions are what VPC Flow Logs needs to write to a log group that
// already exists. logs:CreateLogGroup is left out on purpose: with it,
// in-flight records re-create a log group someone just deleted
// (terraform-aws-modules/terraform-aws-vpc#435). flowplan creates the group.
var deliveryActions = []string{"logs:CreateLogStream", "logs:DescribeLogGroups", "logs:DescribeLogStreams", "logs:PutLogEvents"}

// logDeliveryActions are what cross-account Firehose delivery needs to set
// up its log delivery. AWS documents them on "*" only: log deliveries have
// no ARN to scope them to.
var logDeliveryActions = []string{"logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:GetLogDelivery", "logs:ListLogDeliveries"}

type policyDoc struct {
	Version   string      `json:"Version"`
	Statement []statement `json:"Statement"`
}

type statement struct {
	Sid       string                         `json:"Sid,omitempty"`
	Effect    string                         `json:"Effect"`
	Principal map[string][]string            `json:"Principal,omitempty"`
	Action    []string                       `json:"Action"`
	Resource  []string                       `json:"Resource,omitempty"`
	Condition map[string]map[string][]string `json:"Condition,omitempty"`
}

// RoleNeeds is what the flow logs using one delivery role in one account
// need from it; TrustPolicy and DeliveryPolicy grant exactly that.
type RoleNeeds struct {
	// Account is the role's account.
	Account string
	// ARN is the role's own ARN: cross-account Firehose delivery passes the
	// role to the log delivery service.
	ARN string
	// LogGroupRegions are the regions of the CloudWatch Logs flow logs that
	// use the role.
	LogGroupRegions []string
	// LogGroupARNs are the log groups they write to ("...:log-group:<name>:*").
	LogGroupARNs []string
	// CrossAccountRoles are the destination roles (DeliverCrossAccountRole)
	// of the cross-account Firehose flow logs that use the role.
	CrossAccountRoles []string
}

// TrustPolicy returns a delivery role's trust policy: one statement for
// each service its flow logs need, each with the confused-deputy
// conditions AWS recommends. vpc-flow-logs.amazonaws.com may assume it for
// CloudWatch Logs flow logs of the account in the given regions;
// delivery.logs.amazonaws.com for the account's cross-account Firehose
// delivery.
func TrustPolicy(n RoleNeeds) string {
	var stmts []statement
	if len(n.LogGroupRegions) > 0 {
		var arns []string
		for _, r := range sortedUnique(n.LogGroupRegions) {
			arns = append(arns, arn.FlowLogs(n.Account, r))
		}
		stmts = append(stmts, statement{
			Effect:    "Allow",
			Principal: map[string][]string{"Service": {flowLogsService}},
			Action:    []string{"sts:AssumeRole"},
			Condition: map[string]map[string][]string{
				"StringEquals": {"aws:SourceAccount": {n.Account}},
				"ArnLike":      {"aws:SourceArn": arns},
			},
		})
	}
	if len(n.CrossAccountRoles) > 0 {
		stmts = append(stmts, statement{
			Effect:    "Allow",
			Principal: map[string][]string{"Service": {logDeliveryService}},
			Action:    []string{"sts:AssumeRole"},
			Condition: map[string]map[string][]string{"StringEquals": {"aws:SourceAccount": {n.Account}}},
		})
	}
	return mustCanonical(policyDoc{Version: "2012-10-17", Statement: stmts})
}

// DeliveryPolicy returns the flowplan-delivery permissions policy of a
// delivery role. For CloudWatch Logs: writing to the given log groups only.
// For cross-account Firehose, as AWS documents the source account role:
// passing the role itself to delivery.logs.amazonaws.com only, managing log
// deliveries, and assuming exactly the given cross-account roles.
func DeliveryPolicy(n RoleNeeds) string {
	var stmts []statement
	if len(n.LogGroupARNs) > 0 {
		stmts = append(stmts, statement{
			Sid:      "FlowLogsDelivery",
			Effect:   "Allow",
			Action:   deliveryActions,
			Resource: sortedUnique(n.LogGroupARNs),
		})
	}
	if len(n.CrossAccountRoles) > 0 {
		stmts = append(stmts,
			statement{
				Sid:       "FirehosePassRoleToLogDelivery",
				Effect:    "Allow",
				Action:    []string{"iam:PassRole"},
				Resource:  []string{n.ARN},
				Condition: map[string]map[string][]string{"StringEquals": {"iam:PassedToService": {logDeliveryService}}},
			},
			statement{
				Sid:      "FirehoseLogDelivery",
				Effect:   "Allow",
				Action:   logDeliveryActions,
				Resource: []string{"*"},
			},
			statement{
				Sid:      "FirehoseAssumeCrossAccountRole",
				Effect:   "Allow",
				Action:   []string{"sts:AssumeRole"},
				Resource: sortedUnique(n.CrossAccountRoles),
			})
	}
	return mustCanonical(policyDoc{Version: "2012-10-17", Statement: stmts})
}

// LogGroupARN returns the ARN of a log group with the ":*" suffix IAM
// policies need. A "{resource_id}" placeholder left in name becomes "*".
func LogGroupARN(account, region, name string) string {
	return arn.LogGroupStreams(account, region, strings.ReplaceAll(name, "{resource_id}", "*"))
}

// partition is the partition of the account's regions; an account without
// regions (the owner of a bucket, say) is taken to be in aws.
func (a Account) partition() string {
	if len(a.Regions) == 0 {
		return "aws"
	}
	return arn.Partition(a.Regions[0])
}

// splitBucketARN returns the partition and the name of an S3 bucket ARN,
// arn:<partition>:s3:::<name>. Anything else is returned as the name, in
// partition aws.
func splitBucketARN(s string) (partition, name string) {
	partition, name, _, ok := arn.ParseBucket(s)
	if !ok {
		return "aws", s
	}
	return partition, name
}

// BucketWriter is one account's delivery into a bucket prefix.
type BucketWriter struct {
	// Account writes the logs (the flow log's account).
	Account string
	// Prefix is the folder in the bucket, "" or ending in "/".
	Prefix string
	// Hive selects the aws-account-id=<account> key layout.
	Hive bool
}

// BucketStatementSid returns the Sid of a flowplan statement: kind is
// "aclcheck", or "write-<8 hex of the prefix>".
func BucketStatementSid(specName, kind string) string {
	return "flowplan-" + specName + "-" + kind
}

// WriteStatementKind returns "write-<8 hex digits of sha256(prefix)>".
func WriteStatementKind(prefix string) string {
	sum := sha256.Sum256([]byte(prefix))
	return "write-" + hex.EncodeToString(sum[:4])
}

// BucketStatements returns flowplan's statements for one bucket, given by
// its ARN (arn:<partition>:s3:::<name>), keyed by Sid: one aclcheck
// statement for every writing account, and one write statement per prefix.
func BucketStatements(specName, bucketARN string, writers []BucketWriter) map[string]string {
	partition, _ := splitBucketARN(bucketARN)
	var all []string
	byPrefix := map[string][]BucketWriter{}
	for _, w := range writers {
		all = append(all, w.Account)
		byPrefix[w.Prefix] = append(byPrefix[w.Prefix], w)
	}
	out := map[string]string{}
	aclSid := BucketStatementSid(specName, "aclcheck")
	out[aclSid] = mustCanonical(statement{
		Sid:       aclSid,
		Effect:    "Allow",
		Principal: map[string][]string{"Service": {logDeliveryService}},
		Action:    []string{"s3:GetBucketAcl", "s3:ListBucket"},
		Resource:  []string{bucketARN},
		Condition: sourceConditions(partition, all),
	})
	for prefix, ws := range byPrefix {
		var accounts, resources []string
		for _, w := range ws {
			accounts = append(accounts, w.Account)
			resources = append(resources, bucketARN+"/"+spec.S3AccountFolder(prefix, w.Account, w.Hive)+"*")
		}
		cond := sourceConditions(partition, accounts)
		cond["StringEquals"]["s3:x-amz-acl"] = []string{"bucket-owner-full-control"}
		sid := BucketStatementSid(specName, WriteStatementKind(prefix))
		out[sid] = mustCanonical(statement{
			Sid:       sid,
			Effect:    "Allow",
			Principal: map[string][]string{"Service": {logDeliveryService}},
			Action:    []string{"s3:PutObject"},
			Resource:  sortedUnique(resources),
			Condition: cond,
		})
	}
	return out
}

func sourceConditions(partition string, accounts []string) map[string]map[string][]string {
	accounts = sortedUnique(accounts)
	arns := make([]string, len(accounts))
	for i, a := range accounts {
		arns[i] = arn.LogDeliverySources(partition, a)
	}
	return map[string]map[string][]string{
		"StringEquals": {"aws:SourceAccount": accounts},
		"ArnLike":      {"aws:SourceArn": arns},
	}
}

// mustCanonical encodes a value built from plain strings and puts it in
// canonical form. Neither step can fail on such values; if one did, the
// plain encoding is returned, which still compares by content.
func mustCanonical(v any) string {
	raw, err := encodeJSON(v)
	if err != nil {
		return ""
	}
	normalize := NormalizePolicy
	if _, ok := v.(statement); ok {
		normalize = NormalizeStatement
	}
	if c, err := normalize(raw); err == nil {
		return c
	}
	return raw
}

func sortedUnique(in []string) []string {
	out := append([]string(nil), in...)
	sort.Strings(out)
	return dedupSorted(out)
}
