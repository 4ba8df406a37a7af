package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
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

// TrustPolicy returns the delivery role's trust policy for an account: only
// vpc-flow-logs.amazonaws.com may assume it, and only for flow logs of that
// account in the given regions (the confused-deputy conditions AWS
// recommends).
func TrustPolicy(account string, regions []string) string {
	var arns []string
	for _, r := range sortedUnique(regions) {
		arns = append(arns, "arn:aws:ec2:"+r+":"+account+":vpc-flow-log/*")
	}
	return mustCanonical(policyDoc{Version: "2012-10-17", Statement: []statement{{
		Effect:    "Allow",
		Principal: map[string][]string{"Service": {flowLogsService}},
		Action:    []string{"sts:AssumeRole"},
		Condition: map[string]map[string][]string{
			"StringEquals": {"aws:SourceAccount": {account}},
			"ArnLike":      {"aws:SourceArn": arns},
		},
	}}})
}

// DeliveryPolicy returns the flowplan-delivery permissions policy allowing
// delivery to the given log group ARNs (each "...:log-group:<name>:*").
func DeliveryPolicy(logGroupARNs []string) string {
	return mustCanonical(policyDoc{Version: "2012-10-17", Statement: []statement{{
		Sid:      "FlowLogsDelivery",
		Effect:   "Allow",
		Action:   deliveryActions,
		Resource: sortedUnique(logGroupARNs),
	}}})
}

// LogGroupARN returns the ARN of a log group with the ":*" suffix IAM
// policies need. A "{resource_id}" placeholder left in name becomes "*".
func LogGroupARN(account, region, name string) string {
	name = strings.ReplaceAll(name, "{resource_id}", "*")
	return "arn:aws:logs:" + region + ":" + account + ":log-group:" + name + ":*"
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

// BucketStatements returns flowplan's statements for one bucket, keyed by
// Sid: one aclcheck statement for every writing account, and one write
// statement per prefix.
func BucketStatements(specName, bucket string, writers []BucketWriter) map[string]string {
	bucketARN := "arn:aws:s3:::" + bucket
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
		Condition: sourceConditions(all),
	})
	for prefix, ws := range byPrefix {
		var accounts, resources []string
		for _, w := range ws {
			accounts = append(accounts, w.Account)
			key := "AWSLogs/" + w.Account + "/*"
			if w.Hive {
				key = "AWSLogs/aws-account-id=" + w.Account + "/*"
			}
			resources = append(resources, bucketARN+"/"+prefix+key)
		}
		cond := sourceConditions(accounts)
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

func sourceConditions(accounts []string) map[string]map[string][]string {
	accounts = sortedUnique(accounts)
	arns := make([]string, len(accounts))
	for i, a := range accounts {
		arns[i] = "arn:aws:logs:*:" + a + ":*"
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
