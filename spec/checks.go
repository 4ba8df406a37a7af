package spec

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"unicode/utf8"
)

// This file holds the value checks. Each returns "" when the value is fine,
// or a message saying what is wrong and what is allowed. The facts come from
// AWS's API references (IAM, STS, S3, CloudWatch Logs, EC2, Organizations).

var (
	accountIDRe = regexp.MustCompile(`^[0-9]{12}$`)
	regionRe    = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$`)
	// nameRe is flowplan's rule for spec, rule and alias names: they end up
	// in tags, bucket policy Sids, resource addresses and log group names.
	nameRe       = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	iamNameRe    = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	iamPathRe    = regexp.MustCompile(`^(/|/[\x21-\x7e]+/)$`)
	externalIDRe = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
	ouRe         = regexp.MustCompile(`^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$`)
	rootRe       = regexp.MustCompile(`^r-[0-9a-z]{4,32}$`)
	partitionRe  = `(aws|aws-cn|aws-us-gov|aws-iso[a-z-]*)`
	roleARNRe    = regexp.MustCompile(`^arn:` + partitionRe + `:iam::([0-9]{12}|\{account_id\}):role/(.+)$`)
	policyARNRe  = regexp.MustCompile(`^arn:` + partitionRe + `:iam::(aws|[0-9]{12}):policy/(.+)$`)
	kmsKeyARNRe  = regexp.MustCompile(`^arn:` + partitionRe + `:kms:([a-z0-9-]+):([0-9]{12}):key/([A-Za-z0-9-]+)$`)
	firehoseRe   = regexp.MustCompile(`^arn:` + partitionRe + `:firehose:([a-z0-9-]+):([0-9]{12}):deliverystream/([a-zA-Z0-9_.-]{1,64})$`)
	bucketNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	tagCharsRe   = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
	logGroupRe   = regexp.MustCompile(`^[.\-_/#A-Za-z0-9]+$`)
)

func checkAccountID(s string) string {
	if accountIDRe.MatchString(s) {
		return ""
	}
	return fmt.Sprintf("%q is not an account ID: account IDs are 12 digits", s)
}

func checkRegion(s string) string {
	if regionRe.MatchString(s) {
		return ""
	}
	return fmt.Sprintf("%q is not a region name like us-east-1 or eu-west-1", s)
}

// CheckName returns why s is not a valid spec or rule name, or "" when it
// is one.
func CheckName(s string) string { return checkName(s) }

func checkName(s string) string {
	if nameRe.MatchString(s) {
		return ""
	}
	return fmt.Sprintf("%q is not a valid name: use 1-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit", s)
}

func checkAlias(s string) string {
	if msg := checkName(s); msg != "" {
		return msg
	}
	if strings.Trim(s, "0123456789") == "" {
		return fmt.Sprintf("alias %q is all digits and would read as an account ID; include a letter", s)
	}
	return ""
}

func checkIAMName(s string) string {
	if iamNameRe.MatchString(s) {
		return ""
	}
	return fmt.Sprintf("%q is not a valid IAM role name: use 1-64 letters, digits and + = , . @ _ -", s)
}

func checkIAMPath(s string) string {
	if len(s) <= 512 && iamPathRe.MatchString(s) {
		return ""
	}
	return fmt.Sprintf("%q is not a valid IAM path: it must be \"/\" or start and end with \"/\", like /flowplan/ (at most 512 characters)", s)
}

func checkExternalID(s string) string {
	// The value is secret-ish: never echo it.
	if len(s) >= 2 && len(s) <= 1224 && externalIDRe.MatchString(s) {
		return ""
	}
	return "the external ID must be 2-1224 characters of letters, digits and + = , . @ : / _ -"
}

func checkOU(s string) string {
	if ouRe.MatchString(s) || rootRe.MatchString(s) {
		return ""
	}
	return fmt.Sprintf("%q is not an organizational unit ID (ou-xxxx-xxxxxxxx) or a root ID (r-xxxx)", s)
}

// roleARN is a parsed IAM role ARN.
type roleARN struct {
	Account string // 12 digits, or "{account_id}"
	Name    string
}

// parseRoleARN checks an IAM role ARN; placeholders says whether the
// account may be written as {account_id}.
func parseRoleARN(s string, placeholders bool) (roleARN, string) {
	m := roleARNRe.FindStringSubmatch(s)
	if m == nil {
		want := "arn:aws:iam::111111111111:role/NAME"
		if placeholders {
			want += " (the account may be {account_id})"
		}
		return roleARN{}, fmt.Sprintf("%q is not an IAM role ARN like %s", s, want)
	}
	if m[2] == "{account_id}" && !placeholders {
		return roleARN{}, fmt.Sprintf("%q: {account_id} is not allowed here; write the account ID", s)
	}
	pathAndName := m[3]
	name := pathAndName[strings.LastIndex(pathAndName, "/")+1:]
	if msg := checkIAMName(name); msg != "" {
		return roleARN{}, fmt.Sprintf("%q: %s", s, msg)
	}
	if i := strings.LastIndex(pathAndName, "/"); i >= 0 {
		if msg := checkIAMPath("/" + pathAndName[:i+1]); msg != "" {
			return roleARN{}, fmt.Sprintf("%q: %s", s, msg)
		}
	}
	return roleARN{Account: m[2], Name: name}, ""
}

func checkPolicyARN(s string) string {
	if policyARNRe.MatchString(s) {
		return ""
	}
	return fmt.Sprintf("%q is not an IAM policy ARN like arn:aws:iam::111111111111:policy/NAME", s)
}

// kmsKey is a parsed KMS key ARN.
type kmsKey struct{ Region string }

func parseKMSKeyARN(s string) (kmsKey, string) {
	if m := kmsKeyARNRe.FindStringSubmatch(s); m != nil {
		if msg := checkRegion(m[2]); msg != "" {
			return kmsKey{}, fmt.Sprintf("%q: %s", s, msg)
		}
		return kmsKey{Region: m[2]}, ""
	}
	hint := ""
	switch {
	case strings.Contains(s, ":alias/") || strings.HasPrefix(s, "alias/"):
		hint = "a key alias is not enough: "
	case !strings.HasPrefix(s, "arn:"):
		hint = "a key ID is not enough: "
	}
	return kmsKey{}, fmt.Sprintf("%q is not a KMS key ARN; %sCloudWatch Logs needs the key ARN, arn:aws:kms:REGION:ACCOUNT:key/KEY-ID", s, hint)
}

// stream is a parsed Firehose delivery stream ARN.
type stream struct{ Account string }

func parseFirehoseARN(s string) (stream, string) {
	m := firehoseRe.FindStringSubmatch(s)
	if m == nil {
		return stream{}, fmt.Sprintf("%q is not a Firehose delivery stream ARN like arn:aws:firehose:us-east-1:111111111111:deliverystream/NAME", s)
	}
	if msg := checkRegion(m[2]); msg != "" {
		return stream{}, fmt.Sprintf("%q: %s", s, msg)
	}
	return stream{Account: m[3]}, ""
}

// checkBucketARN checks arn:aws:s3:::NAME with S3's bucket naming rules.
func checkBucketARN(s string) string {
	const prefix = "arn:aws:s3:::"
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok {
		for _, p := range []string{"arn:aws-cn:s3:::", "arn:aws-us-gov:s3:::"} {
			if r, ok2 := strings.CutPrefix(s, p); ok2 {
				rest, ok = r, true
			}
		}
	}
	if !ok {
		return fmt.Sprintf("%q is not an S3 bucket ARN like arn:aws:s3:::my-bucket", s)
	}
	if name, path, found := strings.Cut(rest, "/"); found {
		hint := "remove the trailing \"/\""
		if strings.Trim(path, "/") != "" {
			hint = fmt.Sprintf("put the folder in prefix: %q", strings.TrimSuffix(path, "/")+"/")
		}
		return fmt.Sprintf("%q: bucket_arn names the bucket only (arn:aws:s3:::%s); %s", s, name, hint)
	}
	if msg := checkBucketName(rest); msg != "" {
		return fmt.Sprintf("%q: %s", s, msg)
	}
	return ""
}

func checkBucketName(name string) string {
	const rules = "bucket names are 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit"
	if !bucketNameRe.MatchString(name) {
		return fmt.Sprintf("%q is not a valid bucket name: %s", name, rules)
	}
	if strings.Contains(name, "..") {
		return fmt.Sprintf("%q is not a valid bucket name: it must not contain two adjacent dots", name)
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return fmt.Sprintf("%q is not a valid bucket name: it must not look like an IP address", name)
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return fmt.Sprintf("%q is not a valid bucket name: the prefix %q is reserved", name, p)
		}
	}
	for _, suf := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(name, suf) {
			return fmt.Sprintf("%q is not a valid bucket name: the suffix %q is reserved", name, suf)
		}
	}
	return ""
}

// checkPrefix checks an S3 folder prefix for flow log delivery.
func checkPrefix(s string) string {
	switch {
	case s == "":
		return "prefix must not be empty; remove the key to write at the bucket's top level"
	case strings.HasPrefix(s, "/"):
		return fmt.Sprintf("%q must not start with \"/\"; write %q", s, strings.TrimLeft(s, "/"))
	case !strings.HasSuffix(s, "/"):
		return fmt.Sprintf("%q must end with \"/\" (it is a folder); write %q", s, s+"/")
	case strings.Contains(s, "//"):
		return fmt.Sprintf("%q has an empty folder name (\"//\")", s)
	case len(s) > 512:
		return "prefix is longer than 512 characters"
	}
	for _, seg := range strings.Split(strings.TrimSuffix(s, "/"), "/") {
		if seg == "AWSLogs" {
			return fmt.Sprintf("%q uses AWSLogs as a folder name, which AWS does not allow: it adds AWSLogs/ itself", s)
		}
	}
	if !utf8.ValidString(s) {
		return "prefix must be valid UTF-8"
	}
	return ""
}

// Tag limits of the resources flowplan tags (flow logs, IAM roles, log groups).
const (
	maxTags        = 50
	ownershipTags  = 2 // flowplan:spec and flowplan:rule
	maxUserTags    = maxTags - ownershipTags
	maxTagKeyLen   = 128
	maxTagValueLen = 256
)

// checkTagKey checks a key of a tag flowplan will apply.
func checkTagKey(k string) string {
	n := utf8.RuneCountInString(k)
	switch {
	case n == 0 || n > maxTagKeyLen:
		return fmt.Sprintf("tag key %q must be 1-%d characters", k, maxTagKeyLen)
	case strings.HasPrefix(strings.ToLower(k), "aws:"):
		return fmt.Sprintf("tag key %q: the aws: prefix is reserved for AWS", k)
	case strings.HasPrefix(strings.ToLower(k), "flowplan:"):
		return fmt.Sprintf("tag key %q: the flowplan: prefix is reserved for flowplan's ownership tags", k)
	case !tagCharsRe.MatchString(k):
		return fmt.Sprintf("tag key %q may only hold letters, digits, spaces and _ . : / = + - @", k)
	}
	return ""
}

// checkTagValue checks a value of a tag flowplan will apply.
func checkTagValue(v string) string {
	switch {
	case utf8.RuneCountInString(v) > maxTagValueLen:
		return fmt.Sprintf("tag value must be at most %d characters", maxTagValueLen)
	case !tagCharsRe.MatchString(v):
		return fmt.Sprintf("tag value %q may only hold letters, digits, spaces and _ . : / = + - @", v)
	}
	return ""
}

// checkSelectorTagKey checks a tag key a selector matches on; AWS's own
// aws: tags (aws:cloudformation:stack-name, say) are fair game here.
func checkSelectorTagKey(k string) string {
	if n := utf8.RuneCountInString(k); n == 0 || n > maxTagKeyLen {
		return fmt.Sprintf("tag key %q must be 1-%d characters", k, maxTagKeyLen)
	}
	return ""
}

func checkSelectorTagValue(v string) string {
	if utf8.RuneCountInString(v) > maxTagValueLen {
		return fmt.Sprintf("tag value must be at most %d characters", maxTagValueLen)
	}
	return ""
}

// RetentionDays are the values CloudWatch Logs accepts for a log group's
// retention (PutRetentionPolicy).
var RetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// idPatterns are the resource ID forms of each target kind.
var idPatterns = map[TargetKind]*regexp.Regexp{
	TargetVPC:                      regexp.MustCompile(`^vpc-([0-9a-f]{8}|[0-9a-f]{17})$`),
	TargetSubnet:                   regexp.MustCompile(`^subnet-([0-9a-f]{8}|[0-9a-f]{17})$`),
	TargetNetworkInterface:         regexp.MustCompile(`^eni-([0-9a-f]{8}|[0-9a-f]{17})$`),
	TargetTransitGateway:           regexp.MustCompile(`^tgw-([0-9a-f]{8}|[0-9a-f]{17})$`),
	TargetTransitGatewayAttachment: regexp.MustCompile(`^tgw-attach-([0-9a-f]{8}|[0-9a-f]{17})$`),
	TargetRegionalNatGateway:       regexp.MustCompile(`^nat-([0-9a-f]{8}|[0-9a-f]{17})$`),
}

// idPrefixes are the ID prefixes of each kind, for messages and lengths.
var idPrefixes = map[TargetKind]string{
	TargetVPC:                      "vpc-",
	TargetSubnet:                   "subnet-",
	TargetNetworkInterface:         "eni-",
	TargetTransitGateway:           "tgw-",
	TargetTransitGatewayAttachment: "tgw-attach-",
	TargetRegionalNatGateway:       "nat-",
}

func checkResourceID(k TargetKind) func(string) string {
	return func(s string) string {
		if idPatterns[k].MatchString(s) {
			return ""
		}
		return fmt.Sprintf("%q is not a %s ID (%s followed by 8 or 17 hex digits)", s, k.singular(), idPrefixes[k])
	}
}

// singular names one target of the kind, for messages.
func (k TargetKind) singular() string {
	switch k {
	case TargetVPC:
		return "VPC"
	case TargetSubnet:
		return "subnet"
	case TargetNetworkInterface:
		return "network interface"
	case TargetTransitGateway:
		return "transit gateway"
	case TargetTransitGatewayAttachment:
		return "transit gateway attachment"
	case TargetRegionalNatGateway:
		return "regional NAT gateway"
	}
	return string(k)
}
