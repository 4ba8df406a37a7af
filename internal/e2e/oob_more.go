package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// CreateFlowLog creates a flow log on a resource by hand, as a colleague
// outside flowplan would. The options are KEY=VALUE:
//
//	traffic=ACCEPT|REJECT|ALL (default ALL)
//	s3=BUCKET_ARN[/PREFIX/]             deliver to S3
//	log-group=NAME role=ROLE_ARN        deliver to CloudWatch Logs (LogGroupName)
//	log-destination=ARN role=ROLE_ARN   deliver to CloudWatch Logs (LogDestination)
//	interval=60|600 format='${...}'
//	tag:KEY=VALUE                        (repeatable)
//
// It returns the new flow log's ID.
func (s *Seeded) CreateFlowLog(ctx context.Context, account, region, resourceID string, opts []string) (string, error) {
	c, err := s.clients(account, region)
	if err != nil {
		return "", err
	}
	in := &ec2.CreateFlowLogsInput{ResourceIds: []string{resourceID}, ResourceType: resourceTypeOf(resourceID), TrafficType: ec2types.TrafficTypeAll}
	var tags []ec2types.Tag
	for _, o := range opts {
		k, v, ok := strings.Cut(o, "=")
		if !ok {
			return "", fmt.Errorf("create flow log: option %q is not KEY=VALUE", o)
		}
		switch {
		case k == "traffic":
			in.TrafficType = ec2types.TrafficType(v)
		case k == "s3":
			in.LogDestinationType, in.LogDestination = ec2types.LogDestinationTypeS3, aws.String(v)
		case k == "log-group":
			in.LogDestinationType, in.LogGroupName = ec2types.LogDestinationTypeCloudWatchLogs, aws.String(v)
		case k == "log-destination":
			in.LogDestinationType, in.LogDestination = ec2types.LogDestinationTypeCloudWatchLogs, aws.String(v)
		case k == "role":
			in.DeliverLogsPermissionArn = aws.String(v)
		case k == "interval":
			n, err := strconv.Atoi(v)
			if err != nil {
				return "", fmt.Errorf("create flow log: interval %q is not a number", v)
			}
			in.MaxAggregationInterval = aws.Int32(int32(n))
		case k == "format":
			in.LogFormat = aws.String(v)
		case strings.HasPrefix(k, "tag:"):
			tags = append(tags, ec2types.Tag{Key: aws.String(strings.TrimPrefix(k, "tag:")), Value: aws.String(v)})
		default:
			return "", fmt.Errorf("create flow log: unknown option %q", k)
		}
	}
	if len(tags) > 0 {
		in.TagSpecifications = []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVpcFlowLog, Tags: tags}}
	}
	out, err := c.ec2.CreateFlowLogs(ctx, in)
	if err != nil {
		return "", fmt.Errorf("create flow log on %s: %w", resourceID, err)
	}
	if len(out.Unsuccessful) > 0 {
		u := out.Unsuccessful[0]
		return "", fmt.Errorf("create flow log on %s: %s: %s", resourceID, aws.ToString(u.Error.Code), aws.ToString(u.Error.Message))
	}
	if len(out.FlowLogIds) != 1 {
		return "", fmt.Errorf("create flow log on %s: %d IDs returned", resourceID, len(out.FlowLogIds))
	}
	return out.FlowLogIds[0], nil
}

func resourceTypeOf(id string) ec2types.FlowLogsResourceType {
	switch {
	case strings.HasPrefix(id, "subnet-"):
		return ec2types.FlowLogsResourceTypeSubnet
	case strings.HasPrefix(id, "eni-"):
		return ec2types.FlowLogsResourceTypeNetworkInterface
	case strings.HasPrefix(id, "tgw-attach-"):
		return ec2types.FlowLogsResourceTypeTransitGatewayAttachment
	case strings.HasPrefix(id, "tgw-"):
		return ec2types.FlowLogsResourceTypeTransitGateway
	}
	return ec2types.FlowLogsResourceTypeVpc
}

// DeleteLogGroup deletes a log group, records and all, as only a person
// would: flowplan never deletes one.
func (s *Seeded) DeleteLogGroup(ctx context.Context, account, region, group string) error {
	c, err := s.clients(account, region)
	if err != nil {
		return err
	}
	if _, err := c.logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(group)}); err != nil {
		return fmt.Errorf("delete log group %s: %w", group, err)
	}
	return nil
}

// PutRoleTrust replaces a role's trust policy.
func (s *Seeded) PutRoleTrust(ctx context.Context, account, role, policy string) error {
	c, err := s.clients(account, HomeRegion)
	if err != nil {
		return err
	}
	if _, err := c.iam.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(role), PolicyDocument: aws.String(policy)}); err != nil {
		return fmt.Errorf("update trust policy of %s: %w", role, err)
	}
	return nil
}

// WriteDeliveries writes, for every flow log a selector picks (see
// DeleteFlowLogs), one record where AWS would deliver it, aged age: an
// event in the log stream "<eni>-all" of each network interface in the
// flow log's resource, or one file in its S3 folder of today. It stands
// in for AWS's delivery on a backend that delivers nothing (moto). The
// layout is written out here from the VPC user guide, independently of
// the code under test. It returns how many records it wrote.
func (s *Seeded) WriteDeliveries(ctx context.Context, account, region, selector string, age time.Duration) (int, error) {
	c, err := s.clients(account, region)
	if err != nil {
		return 0, err
	}
	ids, err := flowLogIDs(ctx, c, selector)
	if err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, fmt.Errorf("write deliveries: no flow log matches %s", selector)
	}
	fls, err := c.ec2.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{FlowLogIds: ids})
	if err != nil {
		return 0, err
	}
	at := time.Now().Add(-age).UTC()
	n := 0
	for _, f := range fls.FlowLogs {
		switch f.LogDestinationType {
		case ec2types.LogDestinationTypeS3:
			dest := strings.TrimPrefix(aws.ToString(f.LogDestination), "arn:aws:s3:::")
			bucket, prefix, _ := strings.Cut(dest, "/")
			if prefix != "" && !strings.HasSuffix(prefix, "/") {
				prefix += "/"
			}
			key := fmt.Sprintf("%sAWSLogs/%s/vpcflowlogs/%s/%s/%s_vpcflowlogs_%s_%s_%s_%08x.log.gz", prefix, account, region,
				at.Format("2006/01/02"), account, region, aws.ToString(f.FlowLogId), at.Format("20060102T1504Z"), n)
			if _, err := c.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader("version account-id\n")}); err != nil {
				return n, fmt.Errorf("write delivery %s: %w", key, err)
			}
			n++
		case ec2types.LogDestinationTypeCloudWatchLogs:
			group := cwlGroupName(f)
			enis, err := c.ec2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{Filters: []ec2types.Filter{
				{Name: aws.String(eniFilter(aws.ToString(f.ResourceId))), Values: []string{aws.ToString(f.ResourceId)}}}})
			if err != nil {
				return n, err
			}
			for _, e := range enis.NetworkInterfaces {
				stream := aws.ToString(e.NetworkInterfaceId) + "-all"
				if _, err := c.logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)}); err != nil && !strings.Contains(err.Error(), "ResourceAlreadyExists") {
					return n, fmt.Errorf("create log stream %s: %w", stream, err)
				}
				if _, err := c.logs.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream),
					LogEvents: []logstypes.InputLogEvent{{Timestamp: aws.Int64(at.UnixMilli()), Message: aws.String("2 " + account + " " + aws.ToString(e.NetworkInterfaceId) + " - - - - - - - - - ACCEPT NODATA")}}}); err != nil {
					return n, fmt.Errorf("put log events to %s: %w", stream, err)
				}
				n++
			}
		}
	}
	return n, nil
}

// eniFilter is the DescribeNetworkInterfaces filter that finds the
// interfaces in a resource.
func eniFilter(resourceID string) string {
	switch {
	case strings.HasPrefix(resourceID, "subnet-"):
		return "subnet-id"
	case strings.HasPrefix(resourceID, "eni-"):
		return "network-interface-id"
	}
	return "vpc-id"
}

// CreateVpc creates a VPC with tags by hand, as a team outside flowplan
// would, records its ID under the variable VPC_<name> (so that Names
// replaces it, as for the world's VPCs) and returns the variable's name
// and the ID.
func (s *Seeded) CreateVpc(ctx context.Context, account, region, name, cidr string, tags map[string]string) (string, string, error) {
	c, err := s.clients(account, region)
	if err != nil {
		return "", "", err
	}
	v := VarName(KindVPC, name)
	if _, taken := s.IDs[v]; taken {
		return "", "", fmt.Errorf("create vpc %s: $%s is already a seeded resource", name, v)
	}
	in := &ec2.CreateVpcInput{CidrBlock: aws.String(cidr)}
	if len(tags) > 0 {
		in.TagSpecifications = []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVpc, Tags: ec2TagList(tags)}}
	}
	out, err := c.ec2.CreateVpc(ctx, in)
	if err != nil {
		return "", "", fmt.Errorf("create vpc %s (%s): %w", name, cidr, err)
	}
	id := aws.ToString(out.Vpc.VpcId)
	if id == "" {
		return "", "", fmt.Errorf("create vpc %s (%s): no VPC ID returned", name, cidr)
	}
	s.IDs[v] = id
	return v, id, nil
}

// AddBucketStatement adds a statement (a JSON object) to a bucket's
// policy, as the bucket's owner editing the policy by hand would: it reads
// the policy, appends the statement and puts the policy back. account is
// the bucket owner.
func (s *Seeded) AddBucketStatement(ctx context.Context, account, bucket, statement string) error {
	var st map[string]any
	if err := json.Unmarshal([]byte(statement), &st); err != nil {
		return fmt.Errorf("add statement to the policy of %s: the statement is not a JSON object: %w", bucket, err)
	}
	return s.editBucketPolicy(ctx, account, bucket, func(list []any) ([]any, error) { return append(list, st), nil })
}

// RemoveBucketStatements removes the statements with the given Sids from a
// bucket's policy (each must be there), as the bucket's owner would.
func (s *Seeded) RemoveBucketStatements(ctx context.Context, account, bucket string, sids []string) error {
	return s.editBucketPolicy(ctx, account, bucket, func(list []any) ([]any, error) {
		var kept []any
		found := map[string]bool{}
		for _, st := range list {
			if sid := sidOf(st); slices.Contains(sids, sid) {
				found[sid] = true
				continue
			}
			kept = append(kept, st)
		}
		for _, sid := range sids {
			if !found[sid] {
				return nil, fmt.Errorf("no statement %q", sid)
			}
		}
		return kept, nil
	})
}

// editBucketPolicy reads a bucket's policy, changes its statements and
// puts it back.
func (s *Seeded) editBucketPolicy(ctx context.Context, account, bucket string, edit func([]any) ([]any, error)) error {
	c, err := s.clients(account, HomeRegion)
	if err != nil {
		return err
	}
	out, err := c.s3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
	if err != nil {
		return fmt.Errorf("edit the policy of %s: %w", bucket, err)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(out.Policy)), &doc); err != nil {
		return fmt.Errorf("edit the policy of %s: it is not JSON: %w", bucket, err)
	}
	var list []any
	switch st := doc["Statement"].(type) {
	case []any:
		list = st
	case map[string]any:
		list = []any{st}
	}
	if list, err = edit(list); err != nil {
		return fmt.Errorf("edit the policy of %s: %w", bucket, err)
	}
	doc["Statement"] = list
	b, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("edit the policy of %s: %w", bucket, err)
	}
	if _, err := c.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(string(b))}); err != nil {
		return fmt.Errorf("put the edited policy of %s: %w", bucket, err)
	}
	return nil
}
