package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/flowplan/flowplan/spec/logformat"
)

// This file changes and reads a seeded backend out of band, through the
// AWS API with the harness's credentials, the way a colleague with the
// console would: to make drift, and to check what flowplan did.

// DeleteFlowLogs deletes the flow logs that selector picks in an
// account-region and returns how many there were. The selector is a
// resource ID (every flow log on it) or a DescribeFlowLogs filter written
// NAME=VALUE, such as tag:flowplan:rule=prod.
func (s *Seeded) DeleteFlowLogs(ctx context.Context, account, region, selector string) (int, error) {
	c, err := s.clients(account, region)
	if err != nil {
		return 0, err
	}
	ids, err := flowLogIDs(ctx, c, selector)
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	del, err := c.ec2.DeleteFlowLogs(ctx, &ec2.DeleteFlowLogsInput{FlowLogIds: ids})
	if err != nil {
		return 0, fmt.Errorf("delete flow logs %v: %w", ids, err)
	}
	if len(del.Unsuccessful) > 0 {
		u := del.Unsuccessful[0]
		return 0, fmt.Errorf("delete flow log %s: %s: %s", aws.ToString(u.ResourceId), aws.ToString(u.Error.Code), aws.ToString(u.Error.Message))
	}
	return len(ids), nil
}

// flowLogIDs returns the IDs of the flow logs a selector picks (see
// DeleteFlowLogs).
func flowLogIDs(ctx context.Context, c *clients, selector string) ([]string, error) {
	filter := ec2types.Filter{Name: aws.String("resource-id"), Values: []string{selector}}
	if name, value, ok := strings.Cut(selector, "="); ok {
		filter = ec2types.Filter{Name: aws.String(name), Values: []string{value}}
	}
	out, err := c.ec2.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{Filter: []ec2types.Filter{filter}})
	if err != nil {
		return nil, fmt.Errorf("describe flow logs (%s): %w", selector, err)
	}
	var ids []string
	for _, f := range out.FlowLogs {
		ids = append(ids, aws.ToString(f.FlowLogId))
	}
	return ids, nil
}

// ec2Targets turns a tagging target into resource IDs: an ID as it is, or
// a flow log filter NAME=VALUE into the flow logs it picks (at least one).
func ec2Targets(ctx context.Context, c *clients, target string) ([]string, error) {
	if !strings.Contains(target, "=") {
		return []string{target}, nil
	}
	ids, err := flowLogIDs(ctx, c, target)
	if err == nil && len(ids) == 0 {
		err = fmt.Errorf("no flow log matches %s", target)
	}
	return ids, err
}

// Tag sets tags on an EC2 resource (a VPC, a flow log, ...) given by ID, or
// on the flow logs a filter NAME=VALUE picks.
func (s *Seeded) Tag(ctx context.Context, account, region, target string, tags map[string]string) error {
	c, err := s.clients(account, region)
	if err != nil {
		return err
	}
	if len(tags) == 0 {
		return fmt.Errorf("tag %s: no tags given", target)
	}
	ids, err := ec2Targets(ctx, c, target)
	if err != nil {
		return fmt.Errorf("tag %s: %w", target, err)
	}
	if _, err := c.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: ids, Tags: ec2TagList(tags)}); err != nil {
		return fmt.Errorf("tag %s: %w", target, err)
	}
	return nil
}

// Untag removes tag keys from an EC2 resource given by ID, or from the flow
// logs a filter NAME=VALUE picks.
func (s *Seeded) Untag(ctx context.Context, account, region, target string, keys []string) error {
	c, err := s.clients(account, region)
	if err != nil {
		return err
	}
	ids, err := ec2Targets(ctx, c, target)
	if err != nil {
		return fmt.Errorf("untag %s: %w", target, err)
	}
	var tags []ec2types.Tag
	for _, k := range keys {
		tags = append(tags, ec2types.Tag{Key: aws.String(k)})
	}
	if _, err := c.ec2.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: ids, Tags: tags}); err != nil {
		return fmt.Errorf("untag %s: %w", target, err)
	}
	return nil
}

// PutBucketPolicy replaces a bucket's policy; account is the bucket owner.
func (s *Seeded) PutBucketPolicy(ctx context.Context, account, bucket, policy string) error {
	c, err := s.clients(account, HomeRegion)
	if err != nil {
		return err
	}
	if _, err := c.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(policy)}); err != nil {
		return fmt.Errorf("put bucket policy of %s: %w", bucket, err)
	}
	return nil
}

// PutRetention sets a log group's retention in days.
func (s *Seeded) PutRetention(ctx context.Context, account, region, group string, days int) error {
	c, err := s.clients(account, region)
	if err != nil {
		return err
	}
	if _, err := c.logs.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{
		LogGroupName: aws.String(group), RetentionInDays: aws.Int32(int32(days)),
	}); err != nil {
		return fmt.Errorf("put retention of %s: %w", group, err)
	}
	return nil
}

// CreateLogGroup creates a log group with tags, as someone else (or a run
// that crashed) would have.
func (s *Seeded) CreateLogGroup(ctx context.Context, account, region, group string, tags map[string]string) error {
	c, err := s.clients(account, region)
	if err != nil {
		return err
	}
	if _, err := c.logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group), Tags: tags}); err != nil {
		return fmt.Errorf("create log group %s: %w", group, err)
	}
	return nil
}

// lockPrefix starts the names of flowplan's apply lock log groups
// (providers/aws/lock.go), which DescribeLogGroups leaves out and
// DescribeLocks lists.
const lockPrefix = "/flowplan/locks/"

// DescribeLocks lists an account-region's apply lock log groups, one line
// each, sorted: the name, then the lock tags but the times (which differ
// from run to run): "/flowplan/locks/prod/0000000002 holder=set released=true".
// The holder is "set" when the tag is there.
func (s *Seeded) DescribeLocks(ctx context.Context, account, region string) ([]string, error) {
	c, err := s.clients(account, region)
	if err != nil {
		return nil, err
	}
	var lines []string
	p := cloudwatchlogs.NewDescribeLogGroupsPaginator(c.logs, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(lockPrefix)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe log groups in %s/%s: %w", account, region, err)
		}
		for _, g := range out.LogGroups {
			tags, err := c.logs.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{
				ResourceArn: aws.String(strings.TrimSuffix(aws.ToString(g.Arn), ":*")),
			})
			if err != nil {
				return nil, fmt.Errorf("list tags of log group %s: %w", aws.ToString(g.LogGroupName), err)
			}
			line := aws.ToString(g.LogGroupName) + " lock=" + tags.Tags["flowplan:lock"]
			if tags.Tags["flowplan:lock-holder"] != "" {
				line += " holder=set"
			}
			if r := tags.Tags["flowplan:lock-released"]; r != "" {
				line += " released=" + r
			}
			lines = append(lines, line)
		}
	}
	sort.Strings(lines)
	return lines, nil
}

// DescribeFlowLogs lists an account-region's flow logs, one line each,
// sorted: resource, traffic type ("-" when none), destination type and
// destination, then key=value attributes, the first being the flow log's
// ID when the world made it (id=new otherwise: IDs the backend made later
// differ between backends and runs). A CloudWatch Logs destination is
// shown as log-group:<name> whichever of LogDestination and LogGroupName
// the backend returned. The default formats show as "default".
func (s *Seeded) DescribeFlowLogs(ctx context.Context, account, region string) ([]string, error) {
	c, err := s.clients(account, region)
	if err != nil {
		return nil, err
	}
	var lines []string
	p := ec2.NewDescribeFlowLogsPaginator(c.ec2, &ec2.DescribeFlowLogsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe flow logs in %s/%s: %w", account, region, err)
		}
		for _, f := range out.FlowLogs {
			lines = append(lines, s.flowLogLine(f))
		}
	}
	sort.Strings(lines)
	return lines, nil
}

func (s *Seeded) flowLogLine(f ec2types.FlowLog) string {
	traffic := string(f.TrafficType)
	if traffic == "" {
		traffic = "-"
	}
	dest := aws.ToString(f.LogDestination)
	if f.LogDestinationType == ec2types.LogDestinationTypeCloudWatchLogs {
		dest = "log-group:" + cwlGroupName(f)
	}
	id := aws.ToString(f.FlowLogId)
	if !s.seededID(id) {
		id = "new"
	}
	parts := []string{aws.ToString(f.ResourceId), traffic, string(f.LogDestinationType), dest, "id=" + id}
	if r := aws.ToString(f.DeliverLogsPermissionArn); r != "" {
		parts = append(parts, "role="+r)
	}
	if r := aws.ToString(f.DeliverCrossAccountRole); r != "" {
		parts = append(parts, "cross-account-role="+r)
	}
	parts = append(parts, fmt.Sprintf("interval=%d", aws.ToInt32(f.MaxAggregationInterval)))
	switch format := aws.ToString(f.LogFormat); format {
	case logformat.DefaultVPC, logformat.DefaultTransitGateway:
		parts = append(parts, "format=default")
	default:
		parts = append(parts, fmt.Sprintf("format=%q", format))
	}
	if o := destinationOptions(f.DestinationOptions); o != "" {
		parts = append(parts, "options="+o)
	}
	if st := aws.ToString(f.DeliverLogsStatus); st != "" && st != "SUCCESS" {
		parts = append(parts, "delivery="+st)
	}
	parts = append(parts, "tags="+ec2TagString(f.Tags))
	return strings.Join(parts, " ")
}

// destinationOptions shows an S3 flow log's options that differ from the
// defaults (plain-text, no Hive partitions, daily), comma-separated. The
// defaults and absent options show as "": moto omits DestinationOptions,
// AWS returns them (API_FlowLog), and both mean the same.
func destinationOptions(o *ec2types.DestinationOptionsResponse) string {
	if o == nil {
		return ""
	}
	var out []string
	if o.FileFormat != "" && o.FileFormat != ec2types.DestinationFileFormatPlainText {
		out = append(out, string(o.FileFormat))
	}
	if aws.ToBool(o.HiveCompatiblePartitions) {
		out = append(out, "hive")
	}
	if aws.ToBool(o.PerHourPartition) {
		out = append(out, "per-hour")
	}
	return strings.Join(out, ",")
}

// seededID reports whether id is one the world made.
func (s *Seeded) seededID(id string) bool {
	for _, v := range s.IDs {
		if v == id {
			return true
		}
	}
	return false
}

// cwlGroupName is a CloudWatch Logs flow log's group name, from
// LogGroupName or from the LogDestination ARN.
func cwlGroupName(f ec2types.FlowLog) string {
	if g := aws.ToString(f.LogGroupName); g != "" {
		return g
	}
	arn := strings.TrimSuffix(aws.ToString(f.LogDestination), ":*")
	if i := strings.Index(arn, ":log-group:"); i >= 0 {
		return arn[i+len(":log-group:"):]
	}
	return arn
}

func ec2TagString(tags []ec2types.Tag) string {
	var kv []string
	for _, t := range tags {
		if strings.HasPrefix(aws.ToString(t.Key), "aws:") {
			continue
		}
		kv = append(kv, aws.ToString(t.Key)+"="+aws.ToString(t.Value))
	}
	sort.Strings(kv)
	return strings.Join(kv, ",")
}

// DescribeBucketPolicy returns a bucket's policy as indented JSON with its
// statements sorted by Sid, or "" when it has none; account is the owner.
func (s *Seeded) DescribeBucketPolicy(ctx context.Context, account, bucket string) (string, error) {
	c, err := s.clients(account, HomeRegion)
	if err != nil {
		return "", err
	}
	out, err := c.s3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
	if err != nil {
		if strings.Contains(err.Error(), "NoSuchBucketPolicy") {
			return "", nil
		}
		return "", fmt.Errorf("get bucket policy of %s: %w", bucket, err)
	}
	return canonicalPolicy(aws.ToString(out.Policy))
}

// canonicalPolicy indents a policy document and sorts its statements by
// Sid, so that documents compare equal across backends.
func canonicalPolicy(doc string) (string, error) {
	var p map[string]any
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return "", fmt.Errorf("policy is not JSON: %w", err)
	}
	if st, ok := p["Statement"].([]any); ok {
		sort.SliceStable(st, func(i, j int) bool { return sidOf(st[i]) < sidOf(st[j]) })
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return "", err
	}
	return string(b) + "\n", nil
}

func sidOf(statement any) string {
	m, _ := statement.(map[string]any)
	sid, _ := m["Sid"].(string)
	return sid
}

// DescribeRoles lists an account's roles, one line each, sorted: path and
// name, then the names of its inline policies.
func (s *Seeded) DescribeRoles(ctx context.Context, account string) ([]string, error) {
	c, err := s.clients(account, HomeRegion)
	if err != nil {
		return nil, err
	}
	var lines []string
	p := iam.NewListRolesPaginator(c.iam, &iam.ListRolesInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list roles of %s: %w", account, err)
		}
		for _, r := range out.Roles {
			pol, err := c.iam.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: r.RoleName})
			if err != nil {
				return nil, fmt.Errorf("list policies of role %s: %w", aws.ToString(r.RoleName), err)
			}
			names := append([]string(nil), pol.PolicyNames...)
			sort.Strings(names)
			lines = append(lines, fmt.Sprintf("%s%s policies=%s", aws.ToString(r.Path), aws.ToString(r.RoleName), strings.Join(names, ",")))
		}
	}
	sort.Strings(lines)
	return lines, nil
}

// DescribeRole returns a role's trust policy and inline policies as
// canonical JSON documents, each headed by a "# <name>" line.
func (s *Seeded) DescribeRole(ctx context.Context, account, name string) (string, error) {
	c, err := s.clients(account, HomeRegion)
	if err != nil {
		return "", err
	}
	out, err := c.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		return "", fmt.Errorf("get role %s: %w", name, err)
	}
	var b strings.Builder
	if err := writeDocument(&b, "trust", aws.ToString(out.Role.AssumeRolePolicyDocument)); err != nil {
		return "", err
	}
	pol, err := c.iam.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(name)})
	if err != nil {
		return "", fmt.Errorf("list policies of role %s: %w", name, err)
	}
	names := append([]string(nil), pol.PolicyNames...)
	sort.Strings(names)
	for _, pn := range names {
		doc, err := c.iam.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(pn)})
		if err != nil {
			return "", fmt.Errorf("get policy %s of role %s: %w", pn, name, err)
		}
		if err := writeDocument(&b, "policy "+pn, aws.ToString(doc.PolicyDocument)); err != nil {
			return "", err
		}
	}
	return b.String(), nil
}

// writeDocument writes an IAM document, which IAM returns URL-encoded.
func writeDocument(b *strings.Builder, title, doc string) error {
	if decoded, err := url.QueryUnescape(doc); err == nil {
		doc = decoded
	}
	text, err := canonicalPolicy(doc)
	if err != nil {
		return fmt.Errorf("%s: %w", title, err)
	}
	fmt.Fprintf(b, "# %s\n%s", title, text)
	return nil
}

// DescribeLogGroups lists an account-region's log groups, one line each,
// sorted: name, retention ("retention=never" when none) and tags. Apply
// lock log groups are left out (DescribeLocks lists them).
func (s *Seeded) DescribeLogGroups(ctx context.Context, account, region string) ([]string, error) {
	c, err := s.clients(account, region)
	if err != nil {
		return nil, err
	}
	var lines []string
	p := cloudwatchlogs.NewDescribeLogGroupsPaginator(c.logs, &cloudwatchlogs.DescribeLogGroupsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe log groups in %s/%s: %w", account, region, err)
		}
		for _, g := range out.LogGroups {
			if strings.HasPrefix(aws.ToString(g.LogGroupName), lockPrefix) {
				// Apply locks come and go with every apply: DescribeLocks.
				continue
			}
			retention := "never"
			if d := aws.ToInt32(g.RetentionInDays); d != 0 {
				retention = fmt.Sprint(d)
			}
			tags, err := c.logs.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{
				ResourceArn: aws.String(strings.TrimSuffix(aws.ToString(g.Arn), ":*")),
			})
			if err != nil {
				return nil, fmt.Errorf("list tags of log group %s: %w", aws.ToString(g.LogGroupName), err)
			}
			var kv []string
			for k, v := range tags.Tags {
				kv = append(kv, k+"="+v)
			}
			sort.Strings(kv)
			lines = append(lines, fmt.Sprintf("%s retention=%s tags=%s", aws.ToString(g.LogGroupName), retention, strings.Join(kv, ",")))
		}
	}
	sort.Strings(lines)
	return lines, nil
}
