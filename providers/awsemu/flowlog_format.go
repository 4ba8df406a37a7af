package awsemu

import (
	"regexp"
	"strings"
)

// The flow log record fields, written from AWS's documentation and kept
// apart from flowplan's own table (spec/logformat) so that the emulator can
// catch mistakes there:
//
//   - VPC, subnet and ENI flow logs: the "Available fields" table of the VPC
//     user guide's "Flow log records" page (versions 2 to 8; version 11 tag
//     fields with the TagFieldSpecifications API of June 2026).
//   - Transit gateway flow logs: the "Transit Gateway Flow Log records" table
//     of the Transit Gateway guide. Without a LogFormat, "--log-format
//     includes all log fields for transit gateway resource types".
//
// Versions 9 (resource-id) and 10 (encryption-status) could not be checked
// against an AWS page; they appear in third-party parsers of real records.
// They are accepted, which is the lenient choice, because refusing fields
// AWS may well accept would fail valid plans in the sandbox.

// vpcFieldVersions lists the fields VPC, subnet and network interface flow
// logs accept by the record version that introduced them. A record's
// version is the highest version among its format's fields.
var vpcFieldVersions = []struct {
	version int
	names   string
}{
	// version 2, in the default format's order
	{2, "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"},
	{3, "vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr"},
	{4, "region az-id sublocation-type sublocation-id"},
	{5, "pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path"},
	// version 7: ECS
	{7, "ecs-cluster-arn ecs-cluster-name ecs-container-instance-arn ecs-container-instance-id ecs-container-id " +
		"ecs-second-container-id ecs-service-name ecs-task-definition-arn ecs-task-arn ecs-task-id"},
	{8, "reject-reason"},
	// versions 9 and 10 (unverified, see above)
	{9, "resource-id"},
	{10, "encryption-status"},
	// version 11: tag fields
	{11, "instance-tag instance-tag-2 interface-tag interface-tag-2 asg-tag asg-tag-2"},
}

// vpcFields are the fields VPC, subnet and network interface flow logs accept.
var vpcFields = func() map[string]bool {
	out := map[string]bool{}
	for _, g := range vpcFieldVersions {
		for _, f := range strings.Fields(g.names) {
			out[f] = true
		}
	}
	return out
}()

// fieldVersion is the version that introduced a VPC field (0 if unknown).
var fieldVersion = func() map[string]int {
	out := map[string]int{}
	for _, g := range vpcFieldVersions {
		for _, f := range strings.Fields(g.names) {
			out[f] = g.version
		}
	}
	return out
}()

// parquetInt32 and parquetInt64 are the fields the "Available fields"
// tables give the Parquet data types INT_32 and INT_64; every other field
// is a STRING. ASSUMPTION: encryption-status, whose values are 0 to 3, is
// an INT_32 like traffic-path (its page could not be read).
var (
	parquetInt32 = fieldSet("version srcport dstport protocol tcp-flags traffic-path encryption-status")
	parquetInt64 = fieldSet("packets bytes start end packets-lost-no-route packets-lost-blackhole " +
		"packets-lost-mtu-exceeded packets-lost-ttl-expired")
)

// tgwFieldOrder is every transit gateway field, in the order of the
// Transit Gateway Flow Log records table, which is also the default format.
const tgwFieldOrder = "version resource-type account-id tgw-id tgw-attachment-id tgw-src-vpc-account-id " +
	"tgw-dst-vpc-account-id tgw-src-vpc-id tgw-dst-vpc-id tgw-src-subnet-id tgw-dst-subnet-id tgw-src-eni " +
	"tgw-dst-eni tgw-src-az-id tgw-dst-az-id tgw-pair-attachment-id srcaddr dstaddr srcport dstport protocol " +
	"packets bytes start end log-status type packets-lost-no-route packets-lost-blackhole " +
	"packets-lost-mtu-exceeded packets-lost-ttl-expired tcp-flags region flow-direction pkt-src-aws-service " +
	"pkt-dst-aws-service"

var tgwFields = fieldSet(tgwFieldOrder)

// tagFieldResource is the TagFieldSpecifications resource type each tag
// field reads its keys from; the "-2" fields use a specification's second key.
var tagFieldResource = map[string]string{
	"instance-tag": "instance", "instance-tag-2": "instance",
	"interface-tag": "network-interface", "interface-tag-2": "network-interface",
	"asg-tag": "auto-scaling-group", "asg-tag-2": "auto-scaling-group",
}

func fieldSet(groups ...string) map[string]bool {
	out := map[string]bool{}
	for _, g := range groups {
		for _, f := range strings.Fields(g) {
			out[f] = true
		}
	}
	return out
}

// defaultFormat is what DescribeFlowLogs returns as LogFormat for a flow log
// created without one.
func defaultFormat(tgwTarget bool) string {
	names := strings.Fields("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status")
	if tgwTarget {
		names = strings.Fields(tgwFieldOrder)
	}
	for i, n := range names {
		names[i] = "${" + n + "}"
	}
	return strings.Join(names, " ")
}

var formatToken = regexp.MustCompile(`^\$\{([a-z0-9-]+)\}$`)

// logFormatProblem is why a LogFormat was refused.
type logFormatProblem struct {
	// syntax is true when the string itself is malformed (AWS's "has an
	// invalid format"), false when a field is unknown or not allowed.
	syntax bool
	field  string
	reason string
}

// checkLogFormat validates a LogFormat for a target family. The string must
// be ${field} references separated by single spaces, with no leading or
// trailing whitespace: AWS refuses a trailing space as "an invalid format".
// It returns the tag fields used.
func checkLogFormat(format string, tgwTarget bool) ([]string, *logFormatProblem) {
	if format == "" || strings.TrimSpace(format) != format || strings.Contains(format, "  ") ||
		strings.ContainsAny(format, "\t\n\r") {
		return nil, &logFormatProblem{syntax: true}
	}
	allowed := vpcFields
	if tgwTarget {
		allowed = tgwFields
	}
	var tagFields []string
	seen := map[string]bool{}
	for _, tok := range strings.Split(format, " ") {
		m := formatToken.FindStringSubmatch(tok)
		if m == nil {
			return nil, &logFormatProblem{syntax: true}
		}
		name := m[1]
		switch {
		case !vpcFields[name] && !tgwFields[name]:
			return nil, &logFormatProblem{field: name, reason: "is not a flow log field"}
		case !allowed[name]:
			return nil, &logFormatProblem{field: name, reason: "is not supported for this resource type"}
		case seen[name]:
			// ASSUMPTION: AWS's pages do not say whether a field may repeat;
			// the stricter reading refuses it.
			return nil, &logFormatProblem{field: name, reason: "appears more than once"}
		}
		seen[name] = true
		if _, isTag := tagFieldResource[name]; isTag {
			tagFields = append(tagFields, name)
		}
	}
	return tagFields, nil
}
