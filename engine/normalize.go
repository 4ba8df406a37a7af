package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/flowplan/flowplan/spec"
	"github.com/flowplan/flowplan/spec/logformat"
)

// This file puts resources into one canonical form, so that two values that
// mean the same to AWS compare equal. Diff normalises both sides before it
// compares anything; every perpetual diff other tools show (landscape.md,
// pain points 3 and 4) has a rule here and a test case.

// Destination types as CreateFlowLogs spells them.
const (
	DestCloudWatchLogs = "cloud-watch-logs"
	DestS3             = "s3"
	DestFirehose       = "kinesis-data-firehose"
)

// DefaultFileFormat is the S3 file format when DescribeFlowLogs returns no
// DestinationOptions.
const DefaultFileFormat = "plain-text"

// Normalize returns a canonical copy of r: tags without AWS-reserved keys
// (nil when empty), and the kind's attributes in canonical form. The copy
// may share its Tags map with r; neither is modified. It never
// fails: a value it cannot parse (a malformed policy from AWS, say) is kept
// as it is, trimmed, so that it compares unequal to a well-formed one.
func Normalize(r *Resource) *Resource {
	if r == nil {
		return nil
	}
	out := *r
	out.Tags = NormalizeTags(r.Tags)
	switch {
	case r.FlowLog != nil:
		out.FlowLog = normalizeFlowLog(r.FlowLog)
	case r.Role != nil:
		role := *r.Role
		if role.Path == "" {
			role.Path = "/"
		}
		role.AssumeRolePolicy = policyOrRaw(role.AssumeRolePolicy)
		out.Role = &role
	case r.RolePolicy != nil:
		rp := *r.RolePolicy
		rp.Document = policyOrRaw(rp.Document)
		out.RolePolicy = &rp
	case r.LogGroup != nil:
		lg := *r.LogGroup
		out.LogGroup = &lg
	case r.BucketPolicyStatement != nil:
		st := *r.BucketPolicyStatement
		if c, err := NormalizeStatement(st.Statement); err == nil {
			st.Statement = c
		} else {
			st.Statement = strings.TrimSpace(st.Statement)
		}
		out.BucketPolicyStatement = &st
	}
	return &out
}

// NormalizeTags drops AWS-reserved "aws:" keys and returns nil for an empty
// result, so that nil, empty and reserved-only tag sets compare equal. A
// set with nothing to drop is returned as it is, not copied.
func NormalizeTags(tags map[string]string) map[string]string {
	reserved := 0
	for k := range tags {
		if strings.HasPrefix(k, "aws:") {
			reserved++
		}
	}
	if reserved == 0 && len(tags) > 0 {
		return tags
	}
	var out map[string]string
	for k, v := range tags {
		if strings.HasPrefix(k, "aws:") {
			continue
		}
		if out == nil {
			out = make(map[string]string, len(tags))
		}
		out[k] = v
	}
	return out
}

func normalizeFlowLog(in *FlowLog) *FlowLog {
	f := *in
	if f.ResourceType == "" {
		f.ResourceType = ResourceTypeOf(f.ResourceID)
	}
	tgw := spec.IsTransitGatewayResourceType(f.ResourceType)
	family := logformat.TargetVPC
	if tgw {
		family = logformat.TargetTransitGateway
		// AWS refuses a traffic type on transit gateway flow logs; whatever
		// an API returns there means nothing.
		f.TrafficType = ""
	}
	f.TrafficType = strings.ToUpper(f.TrafficType)
	f.LogFormat = canonicalFormat(f.LogFormat, family)
	if f.MaxAggregationInterval == 0 {
		f.MaxAggregationInterval = spec.DefaultInterval
		if tgw {
			f.MaxAggregationInterval = spec.TransitGatewayInterval
		}
	}
	if f.DestinationType == "" {
		f.DestinationType = DestCloudWatchLogs
	}
	f.Destination = NormalizeDestination(f.DestinationType, f.Destination)
	if f.DestinationType == DestS3 {
		if f.FileFormat == "" {
			f.FileFormat = DefaultFileFormat
		}
		// S3 delivery takes no role: AWS refuses one on create and some
		// APIs echo it back anyway (terraform-provider-aws#23521).
		f.DeliverLogsPermissionARN = ""
	} else {
		f.FileFormat, f.HiveCompatiblePartitions, f.PerHourPartition = "", false, false
	}
	f.TagFieldSpecifications = normalizeTagFields(f.TagFieldSpecifications)
	return &f
}

// formatCache memoises canonicalFormat: an organisation's tens of
// thousands of flow logs share a handful of formats.
var formatCache sync.Map // formatKey → string

type formatKey struct {
	format string
	family logformat.Target
}

// canonicalFormat is logformat.Canonical, or the trimmed format when it
// does not parse (so that it compares unequal to any valid one).
func canonicalFormat(format string, family logformat.Target) string {
	key := formatKey{format, family}
	if c, ok := formatCache.Load(key); ok {
		return c.(string)
	}
	c, err := logformat.Canonical(format, family)
	if err != nil {
		c = strings.TrimSpace(format)
	}
	formatCache.Store(key, c)
	return c
}

// NormalizeDestination puts a destination ARN in canonical form: a CloudWatch
// Logs ARN without its ":*" suffix; an S3 ARN without a trailing "/" when it
// names only the bucket, and with exactly one when it has a prefix; any other
// ARN as it is.
func NormalizeDestination(destType, arn string) string {
	arn = strings.TrimSpace(arn)
	switch destType {
	case DestCloudWatchLogs, "":
		return strings.TrimSuffix(arn, ":*")
	case DestS3:
		trimmed := strings.TrimRight(arn, "/")
		i := strings.Index(trimmed, ":::")
		if i >= 0 && strings.Contains(trimmed[i+3:], "/") {
			return trimmed + "/"
		}
		return trimmed
	}
	return arn
}

func normalizeTagFields(in []spec.TagFieldSpecification) []spec.TagFieldSpecification {
	if len(in) == 0 {
		return nil
	}
	out := make([]spec.TagFieldSpecification, len(in))
	for i, t := range in {
		out[i] = spec.TagFieldSpecification{ResourceType: t.ResourceType, TagKeys: append([]string(nil), t.TagKeys...)}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ResourceType < out[j].ResourceType })
	return out
}

// ResourceTypeOf infers a flow log's ResourceType from its resource ID, as
// DescribeFlowLogs does not return the type.
func ResourceTypeOf(id string) string {
	switch {
	case strings.HasPrefix(id, "vpc-"):
		return "VPC"
	case strings.HasPrefix(id, "subnet-"):
		return "Subnet"
	case strings.HasPrefix(id, "eni-"):
		return "NetworkInterface"
	case strings.HasPrefix(id, "tgw-attach-"):
		return "TransitGatewayAttachment"
	case strings.HasPrefix(id, "tgw-"):
		return "TransitGateway"
	case strings.HasPrefix(id, "nat-"):
		// Only regional NAT gateways take flow logs of their own.
		return "RegionalNatGateway"
	}
	return ""
}

// NormalizePolicy returns the canonical JSON of an IAM or bucket policy
// document: URL-decoded when IAM returned it encoded, statements in a stable
// order, object keys sorted, and every set-valued element (Action, Resource,
// Principal values, Condition values, ...) a sorted list without duplicates,
// so that a single string equals a one-element list. Version is kept.
func NormalizePolicy(doc string) (string, error) {
	v, err := decodePolicyJSON(doc)
	if err != nil {
		return "", err
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return "", fmt.Errorf("policy document is not a JSON object")
	}
	for k, val := range obj {
		if k == "Statement" {
			stmts, err := canonicalStatements(val)
			if err != nil {
				return "", err
			}
			obj[k] = stmts
		}
	}
	return encodeJSON(obj)
}

// NormalizeStatement returns the canonical JSON of one policy statement.
func NormalizeStatement(stmt string) (string, error) {
	v, err := decodePolicyJSON(stmt)
	if err != nil {
		return "", err
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return "", fmt.Errorf("policy statement is not a JSON object")
	}
	return encodeJSON(canonicalStatement(obj))
}

func policyOrRaw(doc string) string {
	if c, err := NormalizePolicy(doc); err == nil {
		return c
	}
	return strings.TrimSpace(doc)
}

// decodePolicyJSON parses a policy, URL-decoding it first when it looks
// encoded (IAM's GetRole and GetRolePolicy return RFC 3986 encoding).
func decodePolicyJSON(doc string) (any, error) {
	doc = strings.TrimSpace(doc)
	if strings.HasPrefix(doc, "%") {
		decoded, err := url.PathUnescape(doc)
		if err != nil {
			return nil, fmt.Errorf("policy document: url-decode: %w", err)
		}
		if v, err := parseJSON(decoded); err == nil {
			return v, nil
		}
		// Some encoders write spaces as "+".
		decoded, err = url.QueryUnescape(doc)
		if err != nil {
			return nil, fmt.Errorf("policy document: url-decode: %w", err)
		}
		doc = decoded
	}
	return parseJSON(doc)
}

func parseJSON(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("policy document: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("policy document: trailing data after the JSON object")
	}
	return v, nil
}

func encodeJSON(v any) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// canonicalStatements turns a Statement value (one object or a list) into a
// list of canonical statements sorted by their JSON.
func canonicalStatements(v any) ([]any, error) {
	var list []any
	switch t := v.(type) {
	case map[string]any:
		list = []any{t}
	case []any:
		list = t
	default:
		return nil, fmt.Errorf("policy Statement is neither an object nor a list")
	}
	type keyed struct {
		key  string
		stmt any
	}
	out := make([]keyed, 0, len(list))
	for _, s := range list {
		obj, ok := s.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("policy statement is not a JSON object")
		}
		c := canonicalStatement(obj)
		k, err := encodeJSON(c)
		if err != nil {
			return nil, err
		}
		out = append(out, keyed{k, c})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].key < out[j].key })
	res := make([]any, len(out))
	for i, k := range out {
		res[i] = k.stmt
	}
	return res, nil
}

// setElements are statement elements whose value is a set of strings that
// IAM accepts either as one string or as a list.
var setElements = map[string]bool{"Action": true, "NotAction": true, "Resource": true, "NotResource": true}

func canonicalStatement(s map[string]any) map[string]any {
	out := make(map[string]any, len(s))
	for k, v := range s {
		switch {
		case setElements[k]:
			out[k] = stringSet(v)
		case k == "Principal" || k == "NotPrincipal":
			out[k] = canonicalPrincipal(v)
		case k == "Condition":
			out[k] = canonicalCondition(v)
		default:
			out[k] = v
		}
	}
	return out
}

// canonicalPrincipal keeps "*" as it is and turns each principal type's
// value into a sorted set. IAM rewrites a bare account ID in an AWS
// principal to the account's root ARN, so the ID is rewritten here too.
func canonicalPrincipal(v any) any {
	obj, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := make(map[string]any, len(obj))
	for typ, val := range obj {
		set := stringSet(val)
		if typ == "AWS" {
			set = mapStrings(set, func(s string) string {
				if isAccountID(s) {
					return "arn:aws:iam::" + s + ":root"
				}
				return s
			})
		}
		out[typ] = set
	}
	return out
}

// canonicalCondition turns {operator: {key: value}} into sorted string sets.
// Condition values are compared as strings: IAM treats true and "true" alike.
func canonicalCondition(v any) any {
	ops, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := make(map[string]any, len(ops))
	for op, keys := range ops {
		km, ok := keys.(map[string]any)
		if !ok {
			out[op] = keys
			continue
		}
		ck := make(map[string]any, len(km))
		for key, val := range km {
			ck[key] = stringSet(val)
		}
		out[op] = ck
	}
	return out
}

// stringSet turns a string, a scalar or a list of them into a sorted list
// of distinct strings. Anything else (an object inside a list) is kept as
// it is, so that it still compares by content.
func stringSet(v any) any {
	var items []any
	switch t := v.(type) {
	case []any:
		items = t
	default:
		items = []any{t}
	}
	strs := make([]string, 0, len(items))
	for _, it := range items {
		switch x := it.(type) {
		case string:
			strs = append(strs, x)
		case json.Number:
			strs = append(strs, x.String())
		case bool:
			strs = append(strs, fmt.Sprint(x))
		default:
			return v
		}
	}
	return anySet(strs)
}

func mapStrings(set any, f func(string) string) any {
	list, ok := set.([]any)
	if !ok {
		return set
	}
	strs := make([]string, 0, len(list))
	for _, it := range list {
		s, ok := it.(string)
		if !ok {
			return set
		}
		strs = append(strs, f(s))
	}
	return anySet(strs)
}

// anySet sorts strs in place, drops duplicates and returns them as JSON
// values.
func anySet(strs []string) []any {
	sort.Strings(strs)
	strs = dedupSorted(strs)
	out := make([]any, len(strs))
	for i, s := range strs {
		out[i] = s
	}
	return out
}

func dedupSorted(s []string) []string {
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
