package spec

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

var (
	destinationKeys = []string{"cloudwatch_logs", "s3", "firehose"}
	cloudWatchKeys  = []string{"log_group", "retention_days", "kms_key_arn", "delivery_role"}
	s3Keys          = []string{"bucket_arn", "prefix", "file_format", "hive_compatible_partitions", "per_hour_partition", "manage_bucket_policy", "bucket_account"}
	firehoseKeys    = []string{"delivery_stream_arn", "delivery_role", "cross_account_role"}
	// FileFormats are the values of destination.s3.file_format.
	FileFormats = []string{"plain-text", "parquet"}
)

// maxLogGroupName is CloudWatch Logs' limit on log group names.
const maxLogGroupName = 512

func (l *loader) readDestination(rs *ruleSrc, n *yaml.Node) {
	path := rs.path + ".destination"
	e, ok := l.mapping(n, path, destinationKeys, map[string]string{
		"cloudwatch":  `did you mean "cloudwatch_logs"?`,
		"kinesis":     `did you mean "firehose"?`,
		"log_group":   "log_group belongs under destination.cloudwatch_logs",
		"bucket_arn":  "bucket_arn belongs under destination.s3",
		"kinesis_arn": "use firehose.delivery_stream_arn",
	})
	if !ok {
		return
	}
	var chosen []string
	for _, k := range destinationKeys {
		if e.has(k) {
			chosen = append(chosen, k)
		}
	}
	switch {
	case len(chosen) == 0:
		if l.clean(n) {
			l.errorf(n, "%s needs exactly one of cloudwatch_logs, s3, firehose", path)
		}
		return
	case len(chosen) > 1:
		l.errorf(e[chosen[1]].key, "%s has both %s and %s: a rule sends to exactly one destination; split it into two rules", path, chosen[0], chosen[1])
		return
	}
	switch chosen[0] {
	case "cloudwatch_logs":
		l.readCloudWatch(rs, e["cloudwatch_logs"].val, path+".cloudwatch_logs")
	case "s3":
		l.readS3(rs, e["s3"].val, path+".s3")
	case "firehose":
		l.readFirehose(rs, e["firehose"].val, path+".firehose")
	}
}

func (l *loader) readCloudWatch(rs *ruleSrc, n *yaml.Node, path string) {
	e, ok := l.mapping(n, path, cloudWatchKeys, map[string]string{
		"log_group_name": `did you mean "log_group"?`,
		"retention":      `did you mean "retention_days"?`,
		"kms_key_id":     "CloudWatch Logs needs a key ARN: use kms_key_arn",
		"role_arn":       "use delivery_role: a delivery_roles name or a role ARN",
	})
	if !ok {
		return
	}
	cw := &CloudWatchLogs{}
	rs.Destination.CloudWatchLogs = cw
	if v, ok := e["log_group"]; !ok {
		l.missing(n, "log_group", "%s: log_group is required: the log group name, which may use {account_id} {account_alias} {region} {rule} {resource_id}", path)
	} else if s, ok := l.checkedStr(v.val, path+".log_group", func(s string) string { return checkLogGroup(rs, s) }); ok {
		cw.LogGroup = s
	}
	if v, ok := e["retention_days"]; ok {
		if d, ok := l.integer(v.val, path+".retention_days"); ok {
			if !slices.Contains(RetentionDays, d) {
				l.errorf(v.val, "%s.retention_days: %d is not a retention CloudWatch Logs offers; use one of %s, or remove the key to keep logs forever", path, d, joinInts(RetentionDays))
			} else {
				cw.RetentionDays = d
			}
		}
	}
	if v, ok := e["kms_key_arn"]; ok {
		cw.KMSKeyARN = l.readKMSKey(rs, v.val, path+".kms_key_arn")
	}
	if v, ok := e["delivery_role"]; !ok {
		l.missing(n, "delivery_role", "%s: delivery_role is required: a delivery_roles name, or the ARN of an existing role that lets vpc-flow-logs.amazonaws.com write to the log group", path)
	} else if s, ok := l.str(v.val, path+".delivery_role"); ok {
		users := roleUsers{accounts: rs.scope, explicit: rs.explicit, label: accountsLabel(rs.scope, rs.explicit)}
		cw.DeliveryRole, cw.DeliveryRoleARN = l.readDeliveryRoleRef(v.val, path+".delivery_role", s, users)
	}
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}

// checkLogGroup checks a log group template: known placeholders, allowed
// characters, and a length that fits once the placeholders are expanded with
// the longest plausible values for this rule.
func checkLogGroup(rs *ruleSrc, tmpl string) string {
	if tmpl == "" {
		return "the log group name must not be empty"
	}
	if msg := checkPlaceholders(tmpl, placeholderNames); msg != "" {
		return msg
	}
	literal := Expand(tmpl, Placeholders{})
	for _, c := range literal {
		if !strings.ContainsRune(".-_/#", c) && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') {
			return fmt.Sprintf("%q: the character %q is not allowed in a log group name (allowed: letters, digits and . - _ / #)", tmpl, c)
		}
	}
	if strings.HasPrefix(tmpl, "aws/") {
		return fmt.Sprintf("%q: log group names starting with aws/ are reserved for AWS", tmpl)
	}
	longest := ""
	for _, p := range rs.samplePlaceholders() {
		if name := Expand(tmpl, p); len(name) > len(longest) {
			longest = name
		}
	}
	if len(longest) > maxLogGroupName {
		return fmt.Sprintf("%q can expand to %d characters, for example %q; CloudWatch Logs allows %d", tmpl, len(longest), longest, maxLogGroupName)
	}
	return ""
}

func (l *loader) readKMSKey(rs *ruleSrc, n *yaml.Node, path string) string {
	s, ok := l.str(n, path)
	if !ok {
		return ""
	}
	key, msg := parseKMSKeyARN(s)
	if msg != "" {
		l.errorf(n, "%s: %s", path, msg)
		return ""
	}
	if others := rs.regionsOtherThan(key.Region); len(others) > 0 {
		l.errorf(n, "%s: the key is in %s, but this rule also creates log groups in %s: CloudWatch Logs needs a key in the log group's own region; split the rule by region",
			path, key.Region, strings.Join(others, ", "))
		return ""
	}
	return s
}

// roleUsers are the accounts whose flow logs use a role a rule names.
type roleUsers struct {
	accounts []scopeAccount
	explicit bool   // the rule lists its accounts
	label    string // describes the accounts in messages
}

// readDeliveryRoleRef resolves a delivery_role value: a delivery_roles
// name, or a role ARN, returned as both role and arn. It returns empty
// strings after reporting an error.
func (l *loader) readDeliveryRoleRef(n *yaml.Node, path, s string, users roleUsers) (role, arn string) {
	if strings.HasPrefix(s, "arn:") {
		parsed, msg := parseRoleARN(s, true)
		if msg != "" {
			l.errorf(n, "%s: %s", path, msg)
			return "", ""
		}
		if l.checkRoleAccount(n, path, parsed, "the delivery role", users) {
			return s, s
		}
		return "", ""
	}
	if _, ok := l.spec.DeliveryRoleByName(s); ok {
		return s, ""
	}
	var names []string
	for _, r := range l.spec.DeliveryRoles {
		names = append(names, r.Name)
	}
	msg := fmt.Sprintf("%s: %q is not in delivery_roles", path, s)
	if sug := suggest(s, names); sug != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", sug)
	} else if len(names) > 0 {
		msg += fmt.Sprintf(" (it has %s)", listClosest(s, names))
	}
	l.errorf(n, "%s; give a delivery_roles name, or an IAM role ARN like arn:aws:iam::{account_id}:role/NAME", msg)
	return "", ""
}

// checkRoleAccount checks that a role ARN with a literal account ID is used
// only by flow logs of that one account, which the rule lists: AWS wants
// the role in the flow log's own account.
func (l *loader) checkRoleAccount(n *yaml.Node, path string, arn roleARN, what string, users roleUsers) bool {
	if arn.Account == "{account_id}" {
		return true
	}
	if one := users.accounts; users.explicit && len(one) == 1 && !one[0].symbolic {
		if one[0].id == arn.Account {
			return true
		}
		l.errorf(n, "%s: %s is in account %s, but this rule's flow logs are in account %s; it must be in the flow log's account", path, what, arn.Account, one[0].id)
		return false
	}
	l.errorf(n, "%s: %s names account %s, but this rule creates flow logs in %s; write arn:aws:iam::{account_id}:role/%s so that each account uses its own role",
		path, what, arn.Account, users.label, arn.Name)
	return false
}

func (l *loader) readS3(rs *ruleSrc, n *yaml.Node, path string) {
	e, ok := l.mapping(n, path, s3Keys, map[string]string{
		"delivery_role": "S3 delivery takes no delivery role: the bucket policy grants access (see manage_bucket_policy)",
		"kms_key_arn":   "S3 encryption is the bucket's own setting; flowplan does not manage it",
		"bucket":        `did you mean "bucket_arn"?`,
		"folder":        `did you mean "prefix"?`,
	})
	if !ok {
		return
	}
	s3 := &S3{FileFormat: "plain-text"}
	rs.Destination.S3 = s3
	if v, ok := e["bucket_arn"]; !ok {
		l.missing(n, "bucket_arn", "%s: bucket_arn is required, like arn:aws:s3:::my-flow-logs", path)
	} else if s, ok := l.checkedStr(v.val, path+".bucket_arn", checkBucketARN); ok {
		s3.BucketARN = s
	}
	if v, ok := e["prefix"]; ok {
		if s, ok := l.checkedStr(v.val, path+".prefix", checkPrefix); ok {
			s3.Prefix = s
		}
	}
	if v, ok := e["file_format"]; ok {
		if s, ok := l.enum(v.val, path+".file_format", FileFormats); ok {
			s3.FileFormat = s
		}
	}
	for _, opt := range []struct {
		key string
		dst *bool
	}{
		{"hive_compatible_partitions", &s3.HiveCompatiblePartitions},
		{"per_hour_partition", &s3.PerHourPartition},
		{"manage_bucket_policy", &s3.ManageBucketPolicy},
	} {
		if v, ok := e[opt.key]; ok {
			*opt.dst, _ = l.boolean(v.val, path+"."+opt.key)
		}
	}
	// Without bucket_account, plan finds the bucket's owner among the
	// spec's accounts (engine.Discover).
	if v, ok := e["bucket_account"]; ok {
		s3.BucketAccount = l.readBucketAccount(v.val, path+".bucket_account")
	}
}

// readBucketAccount resolves bucket_account, which must be a static account.
func (l *loader) readBucketAccount(n *yaml.Node, path string) string {
	ref, ok := l.accountRef(n, path)
	if !ok {
		return ""
	}
	if a, ok := l.spec.AccountByRef(ref); ok {
		return a.ID
	}
	var known []string
	for _, a := range l.spec.Accounts {
		known = append(known, a.ID)
		if a.Alias != "" {
			known = append(known, a.Alias)
		}
	}
	msg := fmt.Sprintf("%s: %q is not one of accounts; name the bucket owner's account by ID or alias, and list it under accounts so that flowplan has its credentials", path, ref)
	if s := suggest(ref, known); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	l.errorf(n, "%s", msg)
	return ""
}

func (l *loader) readFirehose(rs *ruleSrc, n *yaml.Node, path string) {
	e, ok := l.mapping(n, path, firehoseKeys, map[string]string{
		"stream_arn":                  `did you mean "delivery_stream_arn"?`,
		"deliver_logs_permission_arn": "use delivery_role: a delivery_roles name or a role ARN",
		"deliver_cross_account_role":  `did you mean "cross_account_role"?`,
	})
	if !ok {
		return
	}
	fh := &Firehose{}
	rs.Destination.Firehose = fh
	v, ok := e["delivery_stream_arn"]
	if !ok {
		l.missing(n, "delivery_stream_arn", "%s: delivery_stream_arn is required, like arn:aws:firehose:us-east-1:111111111111:deliverystream/flow-logs", path)
		return
	}
	s, ok := l.str(v.val, path+".delivery_stream_arn")
	if !ok {
		return
	}
	st, msg := parseFirehoseARN(s)
	if msg != "" {
		l.errorf(v.val, "%s.delivery_stream_arn: %s", path, msg)
		return
	}
	fh.DeliveryStreamARN = s
	others := rs.scopeOtherThan(st.Account)
	if len(others) == 0 {
		for _, key := range []string{"delivery_role", "cross_account_role"} {
			if v, ok := e[key]; ok {
				l.errorf(v.key, "%s.%s: every flow log of this rule is in the stream's own account %s, and AWS takes no %s for delivery within an account; remove it",
					path, key, st.Account, key)
			}
		}
		return
	}
	l.crossAccountMissing(e, n, path, st.Account, others)
	if v, ok := e["delivery_role"]; ok {
		if s, ok := l.str(v.val, path+".delivery_role"); ok {
			users := roleUsers{accounts: others, explicit: rs.explicit, label: labels(others) + ", outside the stream's account"}
			fh.DeliveryRole, fh.DeliveryRoleARN = l.readDeliveryRoleRef(v.val, path+".delivery_role", s, users)
		}
	}
	if v, ok := e["cross_account_role"]; ok {
		check := func(s string) string { return checkCrossAccountRole(s, st.Account) }
		if s, ok := l.checkedStr(v.val, path+".cross_account_role", check); ok {
			fh.CrossAccountRole = s
		}
	}
}

// crossAccountMissing reports, in one message, which of the two roles that
// cross-account delivery needs the firehose mapping n lacks.
func (l *loader) crossAccountMissing(e entries, n *yaml.Node, path, streamAccount string, others []scopeAccount) {
	var need []string
	if !e.has("delivery_role") && !l.explained(n, "delivery_role") {
		need = append(need, "delivery_role, the role in the flow log's account that the log delivery service assumes (a delivery_roles name, or a role ARN like arn:aws:iam::{account_id}:role/NAME)")
	}
	if !e.has("cross_account_role") && !l.explained(n, "cross_account_role") {
		need = append(need, fmt.Sprintf("cross_account_role, the role in the stream's account that writes to the stream (like arn:aws:iam::%s:role/%s)", streamAccount, CrossAccountRolePrefix))
	}
	if len(need) > 0 {
		l.errorf(n, "%s: the delivery stream is in account %s, but this rule creates flow logs in %s: delivery to another account needs %s",
			path, streamAccount, labels(others), strings.Join(need, ", and "))
	}
}

// checkCrossAccountRole checks a Firehose destination role ARN: in the
// stream's account, named with AWS's prefix.
func checkCrossAccountRole(s, streamAccount string) string {
	arn, msg := parseRoleARN(s, true)
	switch {
	case msg != "":
		return msg
	case arn.Account == "{account_id}":
		name := arn.Name
		if !strings.HasPrefix(name, CrossAccountRolePrefix) {
			name = CrossAccountRolePrefix
		}
		return fmt.Sprintf("%q: the cross-account role is in the stream's account, not the flow log's, so {account_id} does not fit; write arn:aws:iam::%s:role/%s", s, streamAccount, name)
	case arn.Account != streamAccount:
		return fmt.Sprintf("%q is in account %s, but the delivery stream is in account %s: the cross-account role is the stream account's role that writes to the stream", s, arn.Account, streamAccount)
	case !strings.HasPrefix(arn.Name, CrossAccountRolePrefix):
		return fmt.Sprintf("%q: the role name %q must start with %s, or AWS's log delivery will not use it", s, arn.Name, CrossAccountRolePrefix)
	}
	return ""
}
