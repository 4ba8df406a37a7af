package aws

import (
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/flowplan/flowplan/engine"
	"github.com/flowplan/flowplan/internal/arn"
	"github.com/flowplan/flowplan/spec"
)

// This file maps SDK types to engine resources as AWS reports them. It
// does not normalise: the engine does that on both sides of a diff.

func ec2Tags(tags []ec2types.Tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

func iamTags(tags []iamtypes.Tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

func vpcTarget(v ec2types.Vpc) engine.Target {
	return engine.Target{Kind: spec.TargetVPC, ID: aws.ToString(v.VpcId), Tags: ec2Tags(v.Tags),
		OwnerID: aws.ToString(v.OwnerId), State: string(v.State)}
}

func subnetTarget(s ec2types.Subnet) engine.Target {
	return engine.Target{Kind: spec.TargetSubnet, ID: aws.ToString(s.SubnetId), Tags: ec2Tags(s.Tags),
		VPCID: aws.ToString(s.VpcId), OwnerID: aws.ToString(s.OwnerId), State: string(s.State)}
}

func eniTarget(n ec2types.NetworkInterface) engine.Target {
	return engine.Target{Kind: spec.TargetNetworkInterface, ID: aws.ToString(n.NetworkInterfaceId), Tags: ec2Tags(n.TagSet),
		VPCID: aws.ToString(n.VpcId), SubnetID: aws.ToString(n.SubnetId), OwnerID: aws.ToString(n.OwnerId), State: string(n.Status)}
}

func tgwTarget(t ec2types.TransitGateway) engine.Target {
	return engine.Target{Kind: spec.TargetTransitGateway, ID: aws.ToString(t.TransitGatewayId), Tags: ec2Tags(t.Tags),
		OwnerID: aws.ToString(t.OwnerId), State: string(t.State)}
}

// regionalNatGateways keeps the NAT gateways in regional availability mode.
func regionalNatGateways(in []ec2types.NatGateway) []ec2types.NatGateway {
	var out []ec2types.NatGateway
	for _, g := range in {
		if g.AvailabilityMode == ec2types.AvailabilityModeRegional {
			out = append(out, g)
		}
	}
	return out
}

// natGatewayTarget maps a regional NAT gateway. DescribeNatGateways names
// no owner: a NAT gateway is listed only in its own account.
func natGatewayTarget(g ec2types.NatGateway) engine.Target {
	return engine.Target{Kind: spec.TargetRegionalNatGateway, ID: aws.ToString(g.NatGatewayId), Tags: ec2Tags(g.Tags),
		VPCID: aws.ToString(g.VpcId), State: string(g.State)}
}

// tgwAttachmentTarget records the transit gateway's owner as the owner (the
// account that sees the attachment and can give it a flow log), and the
// VPC when the attachment is a VPC attachment.
func tgwAttachmentTarget(a ec2types.TransitGatewayAttachment) engine.Target {
	t := engine.Target{Kind: spec.TargetTransitGatewayAttachment, ID: aws.ToString(a.TransitGatewayAttachmentId),
		Tags: ec2Tags(a.Tags), OwnerID: aws.ToString(a.TransitGatewayOwnerId), State: string(a.State)}
	if a.ResourceType == ec2types.TransitGatewayAttachmentResourceTypeVpc {
		t.VPCID = aws.ToString(a.ResourceId)
	}
	return t
}

// flowLogResource maps a described flow log. Old flow logs have only a
// LogGroupName: their destination is that group's ARN and their type
// cloud-watch-logs. Missing DestinationOptions stay zero values.
func flowLogResource(account, region string, f ec2types.FlowLog) *engine.Resource {
	fl := &engine.FlowLog{
		ResourceID:               aws.ToString(f.ResourceId),
		ResourceType:             engine.ResourceTypeOf(aws.ToString(f.ResourceId)),
		TrafficType:              string(f.TrafficType),
		DestinationType:          string(f.LogDestinationType),
		Destination:              aws.ToString(f.LogDestination),
		DeliverLogsPermissionARN: aws.ToString(f.DeliverLogsPermissionArn),
		DeliverCrossAccountRole:  aws.ToString(f.DeliverCrossAccountRole),
		LogFormat:                aws.ToString(f.LogFormat),
		MaxAggregationInterval:   int(aws.ToInt32(f.MaxAggregationInterval)),
		Status: &engine.FlowLogStatus{
			FlowLogStatus:           aws.ToString(f.FlowLogStatus),
			DeliverLogsStatus:       aws.ToString(f.DeliverLogsStatus),
			DeliverLogsErrorMessage: aws.ToString(f.DeliverLogsErrorMessage),
		},
	}
	if f.CreationTime != nil {
		fl.Status.CreationTime = f.CreationTime.UTC().Format(time.RFC3339)
	}
	if fl.DestinationType == "" {
		fl.DestinationType = string(ec2types.LogDestinationTypeCloudWatchLogs)
	}
	if fl.Destination == "" && aws.ToString(f.LogGroupName) != "" {
		fl.Destination = arn.LogGroup(account, region, aws.ToString(f.LogGroupName))
	}
	if o := f.DestinationOptions; o != nil {
		fl.FileFormat = string(o.FileFormat)
		fl.HiveCompatiblePartitions = aws.ToBool(o.HiveCompatiblePartitions)
		fl.PerHourPartition = aws.ToBool(o.PerHourPartition)
	}
	for _, t := range f.TagFieldSpecifications {
		fl.TagFieldSpecifications = append(fl.TagFieldSpecifications, spec.TagFieldSpecification{
			ResourceType: string(t.ResourceType), TagKeys: append([]string(nil), t.TagKeys...),
		})
	}
	return &engine.Resource{
		Addr:    engine.Addr{Account: account, Region: region, Kind: engine.KindFlowLog},
		ID:      aws.ToString(f.FlowLogId),
		Tags:    ec2Tags(f.Tags),
		FlowLog: fl,
	}
}

// flowLogResources maps described flow logs, sorted by flow log ID. They
// carry their account and region but no name: a flow log's address depends
// on the spec that owns it, which the engine knows (engine.FlowLogAddrs).
func flowLogResources(account, region string, fls []ec2types.FlowLog) []*engine.Resource {
	out := make([]*engine.Resource, 0, len(fls))
	for _, f := range fls {
		out = append(out, flowLogResource(account, region, f))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// logGroupResource maps a described log group; tags come from
// ListTagsForResource.
func logGroupResource(account, region string, g logstypes.LogGroup, tags map[string]string) *engine.Resource {
	name := aws.ToString(g.LogGroupName)
	groupARN := aws.ToString(g.LogGroupArn)
	if groupARN == "" {
		groupARN = strings.TrimSuffix(aws.ToString(g.Arn), ":*")
	}
	if groupARN == "" {
		groupARN = arn.LogGroup(account, region, name)
	}
	if len(tags) == 0 {
		tags = nil
	}
	return &engine.Resource{
		Addr: engine.LogGroupAddr(account, region, name),
		ID:   groupARN,
		Tags: tags,
		LogGroup: &engine.LogGroup{
			Name:          name,
			RetentionDays: int(aws.ToInt32(g.RetentionInDays)),
			KMSKeyARN:     aws.ToString(g.KmsKeyId),
		},
	}
}

// roleResource maps a role from GetRole. The trust policy is kept as IAM
// returns it (URL-encoded); the engine decodes it when it normalises.
func roleResource(account string, r *iamtypes.Role) *engine.Resource {
	res := &engine.Resource{
		Addr: engine.RoleAddr(account, aws.ToString(r.RoleName)),
		ID:   aws.ToString(r.Arn),
		Tags: iamTags(r.Tags),
		Role: &engine.Role{
			Name:             aws.ToString(r.RoleName),
			Path:             aws.ToString(r.Path),
			AssumeRolePolicy: aws.ToString(r.AssumeRolePolicyDocument),
		},
	}
	if r.PermissionsBoundary != nil {
		res.Role.PermissionsBoundary = aws.ToString(r.PermissionsBoundary.PermissionsBoundaryArn)
	}
	return res
}

// rolePolicyID identifies an inline policy: "<role name>:<policy name>".
func rolePolicyID(role, policy string) string { return role + ":" + policy }

// rolePolicyResource maps an inline policy.
func rolePolicyResource(account, roleName, policyName, document string) *engine.Resource {
	return &engine.Resource{
		Addr: engine.RolePolicyAddr(account, roleName, policyName),
		ID:   rolePolicyID(roleName, policyName),
		RolePolicy: &engine.RolePolicy{
			RoleName:   roleName,
			PolicyName: policyName,
			Document:   document,
		},
	}
}
